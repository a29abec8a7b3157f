"""The loader of a valuation rate for the coordinators' pages that change it."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from timebank.accounts.models import User
from timebank.errors import NotAllowed, NotFound
from timebank.extensions import db
from timebank.reports import rates
from timebank.reports.models import ValuationRate


def test_load_rate_missing_not_allowed_and_allowed(app, make_user):
    from seed.rates import load_rates

    coordinator_id, person_id = make_user("coord@rates.example", coordinator=True), make_user("person@rates.example")
    with app.test_request_context():
        load_rates(log=lambda *_: None)
        coordinator, person = db.session.get(User, coordinator_id), db.session.get(User, person_id)
        rate_id = db.session.scalar(select(ValuationRate.id).limit(1))
        with pytest.raises(NotFound, match="There is no valuation rate 999999"):
            rates.load_rate(999999, coordinator)
        with pytest.raises(NotAllowed, match="Only a coordinator can change valuation rates"):
            rates.load_rate(rate_id, person)
        assert rates.load_rate(rate_id, coordinator).id == rate_id
