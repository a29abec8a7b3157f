"""Published members with open needs and offers: plain ones, hostile ones (markup in names,
unicode, empty optional fields), and members that did not agree to be published."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest

HOSTILE_NAME = '<script>alert("x")</script> Ŵelsh & Ēast — “Zoë’s” café 🍲'


@dataclass
class Published:
    member_ids: list[int] = field(default_factory=list)
    hidden_ids: list[int] = field(default_factory=list)
    needs: list[int] = field(default_factory=list)
    offers: list[int] = field(default_factory=list)
    hidden_listings: list[int] = field(default_factory=list)
    admins: dict = field(default_factory=dict)


def _consent(app, member_id, user_id):
    from timebank.accounts.models import User
    from timebank.extensions import db
    from timebank.members.models import Member
    from timebank.opendata.services import set_consent

    with app.test_request_context():
        set_consent(db.session.get(Member, member_id), db.session.get(User, user_id), True)
        db.session.commit()


@pytest.fixture()
def published(app, make_member, make_listing, categories):
    from timebank.db import today

    p = Published()
    litter, meeting = categories["litter-picks-and-clean-ups"], categories["bookkeeping"]
    plain, plain_admin = make_member("Kirkby Community Food Bank", postcode="L32 1AB",
                                     admin_email="admin@food.example", website="https://food.example/",
                                     description="Food parcels and a community kitchen in Kirkby.",
                                     contact_email="secret-person@food.example", contact_phone="0151 000 0000")
    hostile, hostile_admin = make_member(HOSTILE_NAME, type="community_group", postcode="L36 9YS",
                                         admin_email="admin@hostile.example", website="javascript:alert(1)",
                                         description="")
    hidden, hidden_admin = make_member("Quiet Trust", postcode="L34 5QW", admin_email="admin@quiet.example")
    p.member_ids, p.hidden_ids = [plain, hostile], [hidden]
    p.admins = {plain: "admin@food.example", hostile: "admin@hostile.example", hidden: "admin@quiet.example"}
    for member_id, user_id in ((plain, plain_admin), (hostile, hostile_admin)):
        _consent(app, member_id, user_id)
    soon = today() + timedelta(days=30)
    p.needs.append(make_listing(plain, plain_admin, kind="time", category_id=litter, title="Six volunteers for a litter pick",
                                description="Gloves and bags provided.", quantity=Decimal(3), people=6,
                                available_until=soon, min_dbs_level="enhanced", weekly_pattern=0b000000000000000011))
    p.needs.append(make_listing(hostile, hostile_admin, kind="time", category_id=litter,
                                title='<img src=x onerror=alert(1)> Tidy the “Ŵ” garden 🌱', description="",
                                quantity=Decimal("1.5"), location="remote"))
    p.offers.append(make_listing(plain, plain_admin, direction="offer", kind="skill", category_id=meeting,
                                 title="Bookkeeping help from our treasurer", description="An hour a week."))
    p.offers.append(make_listing(hostile, hostile_admin, direction="offer", kind="time", category_id=litter,
                                 title="<b>Litter</b> pickers & co", description=""))
    p.hidden_listings.append(make_listing(hidden, hidden_admin, kind="time", category_id=litter,
                                          title="A need nobody agreed to publish"))
    p.hidden_listings.append(make_listing(hidden, hidden_admin, direction="offer", kind="skill", category_id=meeting,
                                          title="An offer nobody agreed to publish"))
    # a skill need of a published member is not a volunteering opportunity (it is expert help)
    p.hidden_listings.append(make_listing(plain, plain_admin, kind="skill", category_id=meeting,
                                          title="A skill need, not for volunteers"))
    return p
