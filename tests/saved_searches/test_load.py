"""The one loader of a saved search, that the web page and the API both use: a person's own only."""
from __future__ import annotations

import pytest

from timebank.accounts.models import User
from timebank.errors import NotFound
from timebank.extensions import db
from timebank.saved_searches import services


def test_load_saved_search_missing_someone_elses_and_own(app, make_user):
    owner_id, other_id = make_user("owner@example.org"), make_user("other@example.org")
    with app.test_request_context():
        owner, other = db.session.get(User, owner_id), db.session.get(User, other_id)
        saved = services.save_search(owner, keyword="bookkeeping")
        with pytest.raises(NotFound, match="You have no saved search 999999"):
            services.load_saved_search(999999, owner)
        with pytest.raises(NotFound, match=f"You have no saved search {saved.id}"):  # another's is as good as missing
            services.load_saved_search(saved.id, other)
        assert services.load_saved_search(saved.id, owner) is saved
