"""The one loader of a programme, fund or grant, that the coordinators' pages and the API both use."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from timebank.accounts.models import User
from timebank.errors import NotAllowed, NotFound
from timebank.extensions import db
from timebank.funding import services


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def test_load_tag_missing_not_allowed_and_allowed(app, funding):
    with app.test_request_context():
        coordinator, admin = _user(funding.coordinator), _user(funding.admin_a)
        with pytest.raises(NotFound, match="There is no programme, fund or grant 999999"):
            services.load_tag(999999, coordinator)
        with pytest.raises(NotAllowed, match="Only a coordinator can change programmes, funds and grants"):
            services.load_tag(funding.grant, admin, need="manage")
        assert services.load_tag(funding.grant, admin).code == "NLCF-FOOD-26"  # anyone signed in reads one
        assert services.load_tag(funding.grant, coordinator, need="manage").id == funding.grant
