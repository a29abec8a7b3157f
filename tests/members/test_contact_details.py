"""Contact details: coordinators, the member's own people, and members it is exchanging with; nobody else."""
import pytest

from timebank.exchanges.models import Exchange, Party
from timebank.extensions import db
from timebank.members.models import Membership

CONTACT = "bookings@kirkbyfoodbank.example"


@pytest.fixture()
def food_bank(app, make_member):
    member_id, _ = make_member("Kirkby Community Food Bank", admin_email="admin@foodbank.example",
                               contact_email=CONTACT, contact_phone="0151 555 0101")
    return member_id


def _sees_contact(client, member_id: int) -> bool:
    page = client.get(f"/members/{member_id}").data.decode()
    assert "Kirkby Community Food Bank" in page
    shown = CONTACT in page
    assert shown == ("0151 555 0101" in page)  # email and phone go together
    return shown


def test_visitors_and_other_members_do_not_see_contact_details(client, auth, make_member, food_bank):
    assert not _sees_contact(client, food_bank)
    make_member("Halewood Youth Club", admin_email="admin@youthclub.example")
    auth.login("admin@youthclub.example")
    assert not _sees_contact(client, food_bank)


def test_the_members_own_people_and_coordinators_see_contact_details(client, auth, app, make_user, food_bank):
    staff_id = make_user("staff@foodbank.example")
    with app.app_context():
        db.session.add(Membership(member_id=food_bank, user_id=staff_id, role="staff"))
        db.session.commit()
    for email in ("admin@foodbank.example", "staff@foodbank.example"):
        auth.login(email)
        assert _sees_contact(client, food_bank)
        auth.logout()
    make_user("coord@example.org", coordinator=True)
    auth.login("coord@example.org")
    assert _sees_contact(client, food_bank)


def test_someone_who_only_asked_to_join_does_not_see_contact_details(client, auth, app, make_user, food_bank):
    asker = make_user("asker@example.org")
    with app.app_context():
        db.session.add(Membership(member_id=food_bank, user_id=asker, role="staff", status="requested"))
        db.session.commit()
    auth.login("asker@example.org")
    assert not _sees_contact(client, food_bank)


def test_members_exchanging_with_it_see_contact_details(client, auth, app, make_member, food_bank):
    youth_club, _ = make_member("Halewood Youth Club", admin_email="admin@youthclub.example")
    other, _ = make_member("Prescot Seniors", admin_email="admin@seniors.example")
    with app.app_context():  # the youth club and the food bank have both accepted a pair; the seniors are in none
        exchange = Exchange(shape="pair", status="accepted")
        exchange.parties = [Party(member_id=youth_club, status="accepted"), Party(member_id=food_bank, status="accepted")]
        db.session.add(exchange)
        db.session.commit()
    auth.login("admin@youthclub.example")
    assert _sees_contact(client, food_bank)
    auth.logout()
    auth.login("admin@seniors.example")
    assert not _sees_contact(client, food_bank)
