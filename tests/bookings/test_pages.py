"""The booking and loan pages: asking, errors beside the fields, lists, handing over, returns, cancelling."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from tests.bookings.conftest import next_year
from timebank.bookings.models import Booking, Loan, uk_today
from timebank.extensions import db
from timebank.members.models import Asset


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _room(day, member_id, start="10:00", end="12:00", **extra):
    return {"member_id": member_id, "day": day.isoformat(), "starts_at": start, "ends_at": end, **extra}


def _hidden_member(page: str) -> str:
    """The borrower the form chose (someone in one organisation gets it as a hidden field)."""
    return re.search(r'name="member_id" value="(\d+)"', page).group(1)


def test_book_a_room_from_its_page(client, auth, place, app, mailbox):
    auth.login("youth@example.org")
    page = client.get(f"/assets/{place.hall_id}/book").data.decode()
    assert "Book Community hall" in page and "Mon to Fri 9am to 9pm" in page
    assert "Booking for <strong>Halewood Youth Club</strong>" in page
    assert _hidden_member(page) == str(place.borrower_id)
    day = next_year()
    response = client.post(f"/assets/{place.hall_id}/book", data=_room(day, place.borrower_id, note="About 40 young people"),
                           follow_redirects=True)
    page = response.data.decode()
    assert "Your booking of Community hall is confirmed" in page
    assert "Rooms you have booked" in page and f"3 March {day.year}, 10:00 to 12:00" in page
    assert mailbox.to("hall@example.org"), "the room's owner is told"
    auth.logout()
    auth.login("hall@example.org")
    page = client.get(f"/members/{place.owner_id}/bookings").data.decode()
    assert "Bookings of your rooms" in page and "About 40 young people" in page


def test_bad_room_input_is_explained_values_kept_and_nothing_saved(client, auth, place, app):
    auth.login("youth@example.org")
    day = next_year()
    page = client.post(f"/assets/{place.hall_id}/book", data=_room(day, place.borrower_id, start="14:00", end="13:30")).data.decode()
    assert "There is a problem" in page
    assert 'id="ends_at-error"' in page and "The end time must be after the start time" in page
    assert 'value="14:00"' in page and 'value="13:30"' in page and f'value="{day.isoformat()}"' in page
    yesterday = uk_today() - timedelta(days=1)
    page = client.post(f"/assets/{place.hall_id}/book", data=_room(yesterday, place.borrower_id)).data.decode()
    assert 'id="day-error"' in page and "The date must be today or in the future" in page
    page = client.post(f"/assets/{place.hall_id}/book", data={"member_id": place.borrower_id, "day": "31/02/2027", "starts_at": "ten",
                                                                "ends_at": ""}).data.decode()
    assert "Enter a real date, like 3 3 2027" in page and "Not a valid" not in page
    assert "Enter the start time, like 10:00" in page and "Enter the end time, like 12:00" in page
    assert 'value="ten"' in page
    assert _count(app, Booking) == 0


def test_a_taken_slot_is_explained_beside_the_start_time(client, auth, place, app):
    day = next_year()
    auth.login("youth@example.org")
    client.post(f"/assets/{place.hall_id}/book", data=_room(day, place.borrower_id))
    auth.logout()
    auth.login("seniors@example.org")
    page = client.post(f"/assets/{place.hall_id}/book", data=_room(day, place.other_id, start="11:30", end="13:00")).data.decode()
    assert 'id="starts_at-error"' in page
    assert f"Community hall is already booked from 10:00 to 12:00 on 3 March {day.year}." in page
    assert 'value="11:30"' in page
    assert "Times already booked" in page and f"3 March {day.year}, 10:00 to 12:00" in page
    assert _count(app, Booking) == 1


def test_borrow_equipment_and_bad_dates(client, auth, place, app):
    auth.login("youth@example.org")
    page = client.get(f"/assets/{place.trolley_id}/book").data.decode()
    assert "Borrow Folding tables trolley" in page
    first = uk_today() + timedelta(days=5)
    page = client.post(f"/assets/{place.trolley_id}/book", data={"member_id": place.borrower_id,
        "starts_on": first.isoformat(), "due_on": (first - timedelta(days=2)).isoformat()}).data.decode()
    assert 'id="due_on-error"' in page and "The last day must be the same as or after the first day" in page
    page = client.post(f"/assets/{place.trolley_id}/book", data={"member_id": place.borrower_id,
        "starts_on": first.isoformat(), "due_on": (first + timedelta(days=200)).isoformat()}).data.decode()
    assert "Folding tables trolley can be borrowed for 14 days at most" in page
    assert _count(app, Loan) == 0
    response = client.post(f"/assets/{place.trolley_id}/book", data={"member_id": place.borrower_id,
        "starts_on": first.isoformat(), "due_on": (first + timedelta(days=1)).isoformat()}, follow_redirects=True)
    assert "Folding tables trolley is reserved for you" in response.data.decode()
    assert _count(app, Loan) == 1


def test_someone_with_no_other_organisation_is_told_how_to_book(client, auth, place):
    auth.login("hall@example.org")
    page = client.get(f"/assets/{place.hall_id}/book").data.decode()
    assert "you need to act for an approved member organisation other than Kirkby Community Centre" in page
    assert "<form method=\"post\"" not in page


def test_a_member_waiting_for_approval_is_told_so_not_to_register(client, auth, place, make_member):
    make_member("Whiston Walkers", status="pending", admin_email="walk@example.org")
    auth.login("walk@example.org")
    page = client.get(f"/assets/{place.hall_id}/book").data.decode()
    assert "Whiston Walkers can book it once it is approved" in page
    assert "register your organisation" not in page and "<form method=\"post\"" not in page


def _reserve(client, auth, place, asset_id, first, last):
    auth.login("youth@example.org")
    client.post(f"/assets/{asset_id}/book", data={"member_id": place.borrower_id, "starts_on": first.isoformat(),
                                                  "due_on": last.isoformat()})
    auth.logout()
    auth.login("hall@example.org")


def test_hand_over_an_electrical_item_needs_a_pat_check_then_return_it(client, auth, place, app):
    today = uk_today()
    _reserve(client, auth, place, place.projector_id, today, today + timedelta(days=2))
    with app.app_context():
        loan_id = db.session.scalar(select(Loan.id))
    page = client.get(f"/members/{place.owner_id}/bookings").data.decode()
    assert "Hand over" in page and "Equipment you lend" in page
    page = client.get(f"/loans/{loan_id}/check-out").data.decode()
    assert "PAT test was due on" in page and "I have inspected and tested it today" in page
    page = client.post(f"/loans/{loan_id}/check-out", data={"condition": "Good, with remote"}).data.decode()
    assert 'id="pat_checked-error"' in page and "Confirm you have inspected and tested it today" in page
    assert "Good, with remote" in page
    with app.app_context():
        assert db.session.get(Loan, loan_id).status == "reserved"
    page = client.post(f"/loans/{loan_id}/check-out", data={"condition": "", "pat_checked": "y"}).data.decode()
    assert "Describe the item&#39;s condition as it goes out" in page
    response = client.post(f"/loans/{loan_id}/check-out", data={"condition": "Good, with remote", "pat_checked": "y"},
                           follow_redirects=True)
    assert "Projector is out on loan to Halewood Youth Club" in response.data.decode()
    with app.app_context():
        assert db.session.get(Asset, place.projector_id).pat_due_on == today + timedelta(days=365)
    page = client.post(f"/loans/{loan_id}/return", data={"condition": ""}).data.decode()
    assert "Describe the item&#39;s condition as it came back" in page
    response = client.post(f"/loans/{loan_id}/return", data={"condition": "Remote battery flat"},
                           follow_redirects=True)
    assert "Projector is back from Halewood Youth Club" in response.data.decode()
    with app.app_context():
        loan = db.session.get(Loan, loan_id)
        assert (loan.status, loan.condition_in) == ("returned", "Remote battery flat")


def test_the_borrower_cannot_hand_over(client, auth, place, app):
    today = uk_today()
    _reserve(client, auth, place, place.trolley_id, today, today)
    auth.logout()
    auth.login("youth@example.org")
    with app.app_context():
        loan_id = db.session.scalar(select(Loan.id))
    assert client.get(f"/loans/{loan_id}/check-out").status_code == 403
    assert client.post(f"/loans/{loan_id}/return", data={"condition": "Fine"}).status_code == 403


def test_overdue_loans_are_flagged_for_members_and_coordinators(client, auth, place, app, make_user):
    today = uk_today()
    with app.app_context():
        db.session.add(Loan(asset_id=place.trolley_id, member_id=place.borrower_id, starts_on=today - timedelta(days=9),
                            due_on=today - timedelta(days=2), status="out", condition_out="Good"))
        db.session.commit()
    auth.login("youth@example.org")
    page = client.get(f"/members/{place.borrower_id}/bookings").data.decode()
    assert "Equipment you are borrowing" in page and "Overdue" in page
    assert client.get("/coordinator/loans").status_code == 403
    auth.logout()
    make_user("desk@oneknowsley.example", coordinator=True)
    auth.login("desk@oneknowsley.example")
    page = client.get("/coordinator/loans").data.decode()
    assert "1 overdue loan" in page and "Folding tables trolley" in page and "2 days" in page


def test_cancel_a_booking_needs_a_reason_and_tells_both(client, auth, place, app, mailbox):
    day = next_year()
    auth.login("youth@example.org")
    client.post(f"/assets/{place.hall_id}/book", data=_room(day, place.borrower_id))
    auth.logout()
    auth.login("hall@example.org")
    with app.app_context():
        booking_id = db.session.scalar(select(Booking.id))
    page = client.post(f"/bookings/{booking_id}/cancel", data={"reason": ""}).data.decode()
    assert "Enter the reason, which will be sent to the other organisation" in page
    with app.app_context():
        assert db.session.get(Booking, booking_id).status == "confirmed"
    response = client.post(f"/bookings/{booking_id}/cancel", data={"reason": "Flooded kitchen"}, follow_redirects=True)
    assert "The booking of Community hall is cancelled" in response.data.decode()
    assert any("Flooded kitchen" in mailbox.body(m) for m in mailbox.to("youth@example.org"))
    with app.app_context():
        assert db.session.get(Booking, booking_id).status == "cancelled"


def test_strangers_see_nothing(client, auth, place, app, make_member):
    day = next_year()
    auth.login("youth@example.org")
    client.post(f"/assets/{place.hall_id}/book", data=_room(day, place.borrower_id))
    auth.logout()
    assert client.get(f"/members/{place.owner_id}/bookings").status_code == 302  # to sign in
    make_member("Knowsley Stranger Group", admin_email="stranger@example.org")
    auth.login("stranger@example.org")
    with app.app_context():
        booking_id = db.session.scalar(select(Booking.id))
    assert client.get(f"/members/{place.owner_id}/bookings").status_code == 403
    assert client.post(f"/bookings/{booking_id}/cancel", data={"reason": "Mischief"}).status_code == 403
    assert client.get("/assets/9999/book").status_code == 404


def test_an_offer_of_a_room_links_to_its_booking_form(client, auth, place, make_listing, categories):
    listing_id = make_listing(place.owner_id, place.owner_user_id, direction="offer", kind="room",
                              category_id=categories["hall"], title="Our hall on weekday evenings",
                              asset_id=place.hall_id)
    auth.login("youth@example.org")
    page = client.get(f"/listings/{listing_id}").data.decode()
    assert "Book this room" in page and f'href="/assets/{place.hall_id}/book"' in page
    auth.logout()
    auth.login("hall@example.org")
    assert "Book this room" not in client.get(f"/listings/{listing_id}").data.decode()
