"""Every exchange's conversation: its parties' people and coordinators write; the others are told
with a link and never the message; bad input is refused beside the box; contact details appear
only once everyone has accepted."""
from datetime import datetime, timedelta

from sqlalchemy import func, select

from timebank.conversations.models import Message
from timebank.db import today
from timebank.exchanges.models import Exchange
from timebank.extensions import db


def _asked(app, client, auth, pair):
    """The food bank asks for the firm's offer (through the page); returns the exchange id."""
    start = datetime.combine(today() + timedelta(days=3), datetime.min.time()).replace(hour=10)
    auth.login("food@direct.example")
    client.post(f"/listings/{pair['offer']}/ask", data={
        "member_id": pair["food"], "hours": "2", "people": "1", "start": start.strftime("%Y-%m-%dT%H:%M"),
        "end": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"), "message": "Can you help us?"})
    auth.logout()
    with app.app_context():
        return db.session.scalars(select(Exchange.id)).one()


def _messages(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Message))


def test_parties_and_coordinators_talk_and_are_told_without_the_message(app, client, auth, pair, mailbox,
                                                                         make_member):
    exchange_id = _asked(app, client, auth, pair)
    auth.login("firm@direct.example")
    page = client.get(f"/exchanges/{exchange_id}").data.decode()
    assert "Can you help us?" in page and "Send message" in page
    # Bad input: a clear message beside the box, the typed text kept, nothing saved.
    empty = client.post(f"/exchanges/{exchange_id}/messages", data={"body": "   "}).data.decode()
    assert "Write a message" in empty
    too_long = "Tuesday works. " * 150
    page = client.post(f"/exchanges/{exchange_id}/messages", data={"body": too_long}).data.decode()
    assert "2,000 characters or fewer" in page and "Tuesday works. Tuesday works." in page
    assert _messages(app) == 1
    before, coordinator_before = len(mailbox.to("food@direct.example")), len(mailbox.to("coord@direct.example"))
    secret = "Our <b>door code</b> is 4321"
    response = client.post(f"/exchanges/{exchange_id}/messages", data={"body": secret}, follow_redirects=True)
    page = response.data.decode()
    assert "Message sent" in page and "Our &lt;b&gt;door code&lt;/b&gt; is 4321" in page
    auth.logout()
    told = mailbox.to("food@direct.example")[before:]
    assert len(told) == 1
    assert f"/exchanges/{exchange_id}#messages" in mailbox.body(told[0]) and "4321" not in mailbox.body(told[0])
    assert "4321" not in told[0]["Subject"]
    # Coordinators hear only of conversations they have written in.
    assert len(mailbox.to("coord@direct.example")) == coordinator_before

    # A coordinator writes: every member's people are told; the coordinator is told of replies.
    auth.login("coord@direct.example")
    client.post(f"/exchanges/{exchange_id}/messages", data={"body": "I can help arrange this."})
    auth.logout()
    assert any("a coordinator" in mailbox.body(m) for m in mailbox.to("firm@direct.example"))
    auth.login("food@direct.example")
    page = client.get(f"/exchanges/{exchange_id}").data.decode()
    assert "door code" in page and "I can help arrange this." in page
    sent_to_coordinator = len(mailbox.to("coord@direct.example"))
    client.post(f"/exchanges/{exchange_id}/messages", data={"body": "Thank you"})
    auth.logout()
    assert len(mailbox.to("coord@direct.example")) == sent_to_coordinator + 1

    # Someone from an organisation outside the exchange neither reads nor writes.
    make_member("Halewood Youth Club", admin_email="youth@direct.example")
    auth.login("youth@direct.example")
    assert client.get(f"/exchanges/{exchange_id}").status_code == 404
    assert client.post(f"/exchanges/{exchange_id}/messages", data={"body": "Hello"}).status_code == 404
    assert _messages(app) == 4


def test_contact_details_appear_only_once_everyone_has_accepted(app, client, auth, make_member, make_listing):
    from decimal import Decimal

    food, food_admin = make_member("Kirkby Food Bank", admin_email="food@contacts.example",
                                   contact_phone="0151 496 0000", contact_email="hello@food.example")
    firm, firm_admin = make_member("Prescot Accountants", admin_email="firm@contacts.example", type="business",
                                   contact_phone="0151 496 0999", contact_email="office@firm.example")
    offer = make_listing(firm, firm_admin, direction="offer", title="Bookkeeping", quantity=Decimal(3))
    start = datetime.combine(today() + timedelta(days=3), datetime.min.time()).replace(hour=10)
    auth.login("food@contacts.example")
    client.post(f"/listings/{offer}/ask", data={
        "member_id": food, "hours": "2", "people": "1", "start": start.strftime("%Y-%m-%dT%H:%M"),
        "end": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"), "message": "Hello"})
    with app.app_context():
        exchange_id = db.session.scalars(select(Exchange.id)).one()
    page = client.get(f"/exchanges/{exchange_id}").data.decode()
    assert "0151 496 0999" not in page and "office@firm.example" not in page
    assert "shown here once everyone has accepted" in page
    auth.logout()
    auth.login("firm@contacts.example")
    page = client.get(f"/exchanges/{exchange_id}").data.decode()
    assert "0151 496 0000" not in page and "hello@food.example" not in page
    client.post(f"/exchanges/{exchange_id}/respond", data={"member_id": firm, "answer": "accept"})
    page = client.get(f"/exchanges/{exchange_id}").data.decode()
    assert "0151 496 0000" in page and "hello@food.example" in page and "Test Person" in page
    auth.logout()
    auth.login("food@contacts.example")
    page = client.get(f"/exchanges/{exchange_id}").data.decode()
    assert "0151 496 0999" in page and "office@firm.example" in page
    assert "Everyone has accepted, so you can reach each other directly." in page


def test_a_coordinator_sees_contacts_with_words_that_are_true_of_the_exchange(app, client, auth, make_member,
                                                                              make_listing, make_user):
    """Coordinators see members' contact details at any stage; the page says why, never "everyone has
    accepted" while someone has not."""
    from decimal import Decimal

    food, _ = make_member("Kirkby Food Bank", admin_email="food@contacts.example")
    firm, firm_admin = make_member("Prescot Accountants", admin_email="firm@contacts.example", type="business",
                                   contact_phone="0151 496 0999")
    offer = make_listing(firm, firm_admin, direction="offer", title="Bookkeeping", quantity=Decimal(3))
    make_user("coord@contacts.example", coordinator=True)
    start = datetime.combine(today() + timedelta(days=3), datetime.min.time()).replace(hour=10)
    auth.login("food@contacts.example")
    client.post(f"/listings/{offer}/ask", data={
        "member_id": food, "hours": "2", "people": "1", "start": start.strftime("%Y-%m-%dT%H:%M"),
        "end": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"), "message": "Hello"})
    auth.logout()
    with app.app_context():
        exchange_id = db.session.scalars(select(Exchange.id)).one()
    auth.login("coord@contacts.example")
    page = client.get(f"/exchanges/{exchange_id}").data.decode()
    assert "0151 496 0999" in page
    assert "Everyone has accepted" not in page
    assert ("You see these because you are a coordinator. Still to answer: Prescot Accountants. The members see "
            "each other&#39;s details once everyone has accepted.") in page
    auth.logout()
    auth.login("firm@contacts.example")
    client.post(f"/exchanges/{exchange_id}/respond", data={"member_id": firm, "answer": "accept"})
    auth.logout()
    auth.login("coord@contacts.example")
    page = client.get(f"/exchanges/{exchange_id}").data.decode()
    assert "Everyone has accepted, so the members can reach each other directly." in page


def test_a_reader_gets_one_email_per_thread_until_they_open_the_exchange(app, client, auth, pair, mailbox):
    from timebank.notifications.models import Notification

    exchange_id = _asked(app, client, auth, pair)
    before = len(mailbox.to("food@direct.example"))
    auth.login("firm@direct.example")
    for n in range(30):
        client.post(f"/exchanges/{exchange_id}/messages", data={"body": f"Message {n}"})
    auth.logout()
    assert _messages(app) == 31
    assert len(mailbox.to("food@direct.example")) == before + 1
    with app.app_context():  # the in-app notice is collapsed too: one unread per thread
        unread = db.session.scalar(select(func.count()).select_from(Notification).where(
            Notification.url == f"/exchanges/{exchange_id}#messages", Notification.read_at.is_(None)))
        assert unread == 1
    # The food bank opens the exchange; the next message is emailed again (once).
    auth.login("food@direct.example")
    client.get(f"/exchanges/{exchange_id}")
    auth.logout()
    auth.login("firm@direct.example")
    client.post(f"/exchanges/{exchange_id}/messages", data={"body": "Are you there?"})
    client.post(f"/exchanges/{exchange_id}/messages", data={"body": "Hello?"})
    auth.logout()
    assert len(mailbox.to("food@direct.example")) == before + 2


def test_what_waits_for_whom_sits_under_members_not_under_the_next_sections(app, client, auth, pair):
    """The asker's "waiting for the other side" and the other side's answer buttons follow the Members list."""
    import re

    exchange_id = _asked(app, client, auth, pair)

    def section_of(page: str, words: str) -> str:
        before = page[:page.index(words)]
        return re.findall(r"<h2[^>]*>(.*?)</h2>", before)[-1]

    auth.login("food@direct.example")
    page = client.get(f"/exchanges/{exchange_id}").data.decode()
    assert section_of(page, "Waiting for the other side to accept, decline") == "Members"
    auth.logout()
    auth.login("firm@direct.example")
    page = client.get(f"/exchanges/{exchange_id}").data.decode()
    assert section_of(page, f"/exchanges/{exchange_id}/respond?member_id={pair['firm']}") == "Members"
