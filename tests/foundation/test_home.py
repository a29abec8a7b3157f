"""The home page's headline figures: open offers and needs of active members, remembered a minute."""
import re
from datetime import timedelta

from timebank.db import today
from timebank.extensions import db
from timebank.members.models import Member


def _figures(page: str) -> dict[str, str]:
    return {label: value for value, label in
            re.findall(r'<p class="stat__value">([^<]+)</p>\s*<p class="stat__label">([^<]+)</p>', page)}


def test_home_counts_open_unexpired_listings_of_active_members(client, app, make_member, make_listing):
    active, active_admin = make_member("Active Group")
    suspended, suspended_admin = make_member("Suspended Group")
    make_listing(active, active_admin, direction="offer", title="Open offer")
    make_listing(active, active_admin, direction="need", title="Open need")
    make_listing(active, active_admin, direction="need", title="Ended yesterday",
                 available_from=today() - timedelta(days=5), available_until=today() - timedelta(days=1))
    make_listing(suspended, suspended_admin, direction="offer", title="Offer of a suspended member")
    with app.app_context():
        db.session.get(Member, suspended).status = "suspended"
        db.session.commit()
    page = client.get("/").data.decode()
    assert _figures(page) == {"organisations and businesses taking part": "1", "open offers": "1",
                              "open needs": "1"}
    assert "can be up to a minute old" in page


def test_home_figures_are_remembered_then_counted_again(client, app, make_member, make_listing):
    member_id, admin_id = make_member()
    make_listing(member_id, admin_id, direction="offer")
    assert _figures(client.get("/").data.decode())["open offers"] == "1"
    make_listing(member_id, admin_id, direction="offer")
    assert _figures(client.get("/").data.decode())["open offers"] == "1"  # remembered
    app.config["FIGURES_MAX_AGE"] = 0
    assert _figures(client.get("/").data.decode())["open offers"] == "2"
