"""Offers that could serve a need: the service, and the dashboard that shows them under each open need."""
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import update

from timebank.db import today
from timebank.extensions import db
from timebank.listings import services
from timebank.listings.models import Listing
from timebank.members.models import Member


def _set(app, model, row_id, **values):
    with app.app_context():
        db.session.execute(update(model).where(model.id == row_id).values(**values))
        db.session.commit()


def _world(app, make_member, make_listing, categories):
    """A payroll need in Halewood (6 km radius) and offers around it, some of which must not show."""
    halewood, h_admin = make_member("Halewood Youth Club", postcode="L26 1UU", admin_email="hal@example.org")
    need = make_listing(halewood, h_admin, title="Help with our payroll", category_id=categories["payroll"],
                        travel_km=Decimal(6))
    near, n_admin = make_member("Hunts Cross Accountants", postcode="L25 2RW")   # 3.5 km, postcode to postcode
    huyton, u_admin = make_member("Huyton Books", postcode="L36 9YS")           # about 5 km (L36's centre)
    kirkby, k_admin = make_member("Kirkby Ledgers", postcode="L32 8TS")         # about 12 km
    lapsed, l_admin = make_member("Lapsed Ledgers", postcode="L25 2RW")

    def offer(member_id, admin_id, title, **fields):
        fields.setdefault("category_id", categories["payroll"])
        return make_listing(member_id, admin_id, title=title, direction="offer", **fields)

    offer(near, n_admin, "Payroll set-up")
    offer(near, n_admin, "Grant finder", category_id=categories["finance-and-funding"])  # the parent
    offer(huyton, u_admin, "Payroll for charities")
    offer(kirkby, k_admin, "Remote payroll clinic", location="remote")
    offer(kirkby, k_admin, "Payroll in Kirkby")                                        # beyond 6 km
    offer(near, n_admin, "Bookkeeping", category_id=categories["bookkeeping"])         # a sibling: not the matcher's
    offer(near, n_admin, "Payroll from the spring", available_from=today() + timedelta(days=70),
          available_until=today() + timedelta(days=120))                                # after the need's dates
    offer(near, n_admin, "Legal advice", category_id=categories["legal-advice"])       # unrelated category
    offer(near, n_admin, "Finance volunteers", kind="time")                            # another kind
    offer(halewood, h_admin, "Our own bookkeeping offer")                              # the need's member
    make_listing(near, n_admin, title="Another payroll need", category_id=categories["payroll"])
    _set(app, Listing, offer(near, n_admin, "Withdrawn bookkeeping"), status="withdrawn")
    offer(near, n_admin, "Expired yesterday", available_from=today() - timedelta(days=5),
          available_until=today() - timedelta(days=1))                                 # before the job runs
    offer(lapsed, l_admin, "Bookkeeping from a suspended member")
    _set(app, Member, lapsed, status="suspended")
    return need


def test_nearby_offers_are_related_open_near_and_nearest_first(app, make_member, make_listing, categories):
    need = _world(app, make_member, make_listing, categories)
    with app.test_request_context():
        need_row = db.session.get(Listing, need)
        found = services.nearby_offers_for(need_row, limit=10)
        assert [listing.title for listing, _ in found] == [
            "Payroll set-up", "Grant finder", "Payroll for charities", "Remote payroll clinic"]
        kms = [km for _, km in found]
        assert kms == sorted(kms) and 3 < kms[0] < 4 and kms[-1] > 6
        assert [listing.title for listing, _ in services.nearby_offers_for(need_row)] == [
            "Payroll set-up", "Grant finder", "Payroll for charities"]


def test_needs_judged_together_get_what_each_gets_alone(app, make_member, make_listing, categories):
    """The dashboard judges all its needs in one market; no need's offers change for it."""
    need = _world(app, make_member, make_listing, categories)
    with app.app_context():
        member_id = db.session.get(Listing, need).member_id
        admin_id = db.session.get(Listing, need).member.memberships[0].user_id
    remote = make_listing(member_id, admin_id, title="A remote payroll check", category_id=categories["payroll"],
                          location="remote")
    legal = make_listing(member_id, admin_id, title="Legal advice for our lease", category_id=categories["legal-advice"])
    with app.test_request_context():
        needs = [db.session.get(Listing, listing_id) for listing_id in (need, remote, legal)]
        together = services.nearby_offers(needs, limit=10)
        alone = {row.id: services.nearby_offers([row], limit=10)[row.id] for row in needs}
        titles = {need_id: [listing.title for listing, _ in found] for need_id, found in together.items()}
    assert together == alone
    assert titles == {need: ["Payroll set-up", "Grant finder", "Payroll for charities", "Remote payroll clinic"],
                      remote: ["Remote payroll clinic"], legal: ["Legal advice"]}


def test_a_remote_need_takes_remote_offers_from_anywhere(app, make_member, make_listing, categories):
    need = _world(app, make_member, make_listing, categories)
    _set(app, Listing, need, location="remote")
    with app.test_request_context():
        titles = [listing.title for listing, _ in services.nearby_offers_for(db.session.get(Listing, need), limit=10)]
    assert titles == ["Remote payroll clinic"]  # as the matcher judges: help given in person cannot be remote


def test_a_step_free_room_for_15_never_brings_a_cupboard_a_small_or_stepped_room_or_a_pa_system(
        app, make_member, make_listing, categories):
    from timebank.accounts.models import User
    from timebank.members.assets import add_asset

    club, c_admin = make_member("Prescot Seniors", postcode="L34 5QW")
    need = make_listing(club, c_admin, title="A step-free room for our group of 15", kind="room",
                        category_id=categories["meeting-room"], needs_step_free=True, min_capacity=15)
    venue, v_admin = make_member("Huyton Venues", postcode="L36 9YS")

    def room(title, slug, **asset):
        with app.test_request_context():
            member = db.session.get(Member, venue)
            added = add_asset(member, db.session.get(User, v_admin), name=title, **asset)
            db.session.commit()
            asset_id = added.id
        return make_listing(venue, v_admin, title=title, direction="offer", kind=asset.get("kind", "room"),
                            category_id=categories[slug], asset_id=asset_id, quantity=Decimal(8))

    room("Storage cupboard", "storage-space", kind="room", capacity=2, step_free=True)
    room("Small meeting room", "meeting-room", kind="room", capacity=8, step_free=True)
    room("Upstairs hall", "meeting-room", kind="room", capacity=60, step_free=False)
    room("PA system", "pa-system", kind="equipment", condition="good")
    room("Ground-floor community room", "meeting-room", kind="room", capacity=20, step_free=True)
    with app.test_request_context():
        found = services.nearby_offers_for(db.session.get(Listing, need), limit=10)
    assert [listing.title for listing, _ in found] == ["Ground-floor community room"]


def test_the_dashboard_shows_nearby_offers_under_each_open_need(client, auth, app, make_member, make_listing,
                                                               categories):
    need = _world(app, make_member, make_listing, categories)
    with app.app_context():
        member_id = db.session.get(Listing, need).member_id
        admin_id = db.session.get(Listing, need).member.memberships[0].user_id
    # a second need with nothing near it
    make_listing(member_id, admin_id, title="A marquee for our fun day", kind="time",
                 category_id=categories["marquee"])
    auth.login("hal@example.org")
    page = client.get("/dashboard").data.decode()
    section = page[page.index("Offers that could help with “Help with our payroll”"):]
    assert section.index("Payroll set-up") < section.index("Grant finder") < section.index("Payroll for charities")
    assert "3.5 km away (between postcodes, to about 100 m)" in section
    assert "Remote payroll clinic" not in page  # three at most
    assert "Offers that could help with “A marquee for our fun day”" in page
    assert "No open offers of this kind within 5 km yet." in page


def test_remembered_judgement_follows_the_need_and_drops_closed_offers(app, make_member, make_listing, categories):
    """Each worker remembers a dashboard's judgement for a minute, but never shows an offer closed
    since, and judges a need afresh as soon as it is edited."""
    need = _world(app, make_member, make_listing, categories)

    def titles():
        with app.test_request_context():
            return [listing.title for listing, _ in services.nearby_offers_for(db.session.get(Listing, need), limit=10)]

    assert titles() == ["Payroll set-up", "Grant finder", "Payroll for charities", "Remote payroll clinic"]
    with app.app_context():
        huyton_offer = db.session.scalar(db.select(Listing.id).where(Listing.title == "Payroll for charities"))
    _set(app, Listing, huyton_offer, status="withdrawn")
    assert titles() == ["Payroll set-up", "Grant finder", "Remote payroll clinic"]
    with app.app_context():  # a wider radius, saved as the edit form saves it: Kirkby's offer is now in reach
        row = db.session.get(Listing, need)
        row.travel_km = Decimal(20)
        db.session.commit()
    assert "Payroll in Kirkby" in titles()
