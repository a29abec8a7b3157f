"""Erasure that erases: after it, nothing in the database, the search index or the outbox gives the
person's name, email or phone; the ledger and the audit log keep pseudonymous rows."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text

from tests.privacy.conftest import EMAIL, NAME, PHONE
from timebank.accounts.models import User
from timebank.extensions import db

# Written out here, not taken from the code under test: the name in any case, the email, the phone
# with any separators, starting 0 or +44.
TRACES = [re.compile(r"philippa\W+quennell", re.I), re.compile(r"quennell", re.I), re.compile(re.escape(EMAIL), re.I),
          re.compile(r"(?:\+\W*44|0)\W*151\W*496\W*0123")]
WORDS = (b"quennel", b"philippa")  # as a search index stores them (lower case, stemmed)


def traces_in_database() -> list[str]:
    """Every cell of every table (the search index's own tables too) that still gives her away."""
    found = []
    connection = db.session.connection()
    for table in inspect(connection).get_table_names():
        for row in connection.execute(text(f'SELECT * FROM "{table}"')).mappings():
            for column, value in row.items():
                if isinstance(value, (bytes, memoryview)):
                    if any(word in bytes(value).lower() for word in WORDS):
                        found.append(f"{table}.{column}: {bytes(value)[:80]!r}")
                elif value is not None and any(t.search(str(value)) for t in TRACES):
                    found.append(f"{table}.{column}: {str(value)[:120]!r}")
    return found


def traces_in_outbox(folder) -> list[str]:
    from email import message_from_bytes
    from email import policy

    found = []
    for path in folder.iterdir():
        raw = path.read_bytes()
        message = message_from_bytes(raw.split(b"\n" + b"-" * 79 + b"\n")[0], policy=policy.default)
        readable = raw.decode("utf-8", "replace") + str(dict(message.items())) + message.get_body().get_content()
        if any(t.search(readable) for t in TRACES):
            found.append(path.name)
    return found


def test_erasing_a_person_who_did_everything_leaves_nothing_that_names_them(app, client, auth, everything):
    from timebank.ledger.models import Posting
    from timebank.ledger.services import balances
    from timebank.members.models import Member

    with app.app_context():
        assert len(traces_in_database()) > 30  # she is everywhere before
        before = (db.session.scalar(select(func.count()).select_from(Posting)),
                  balances([everything.member_id, everything.other_member_id]))
    assert len(traces_in_outbox(everything.outbox)) >= 5

    auth.login("coordinator@oneknowsley.example")
    assert "Garden design advice" in client.get("/listings?q=Quennell").get_data(as_text=True)
    typo = client.get("/listings?q=Quenel").get_data(as_text=True)  # the vocabulary forgives typos
    assert "Garden design advice" in typo or "quennell" in typo.lower()
    url = f"/coordinator/people/{everything.user_id}/erase"
    check = client.post(url, data={"reason": f"Erasure request from {NAME} by email"}).get_data(as_text=True)
    assert "Check before you erase this person" in check
    assert "Contact details they gave are cleared for Stockbridge Community Garden" in check
    assert re.search(r"Their name, email or phone is replaced in \d+ records \(.*audit events \d+.*ledger entries \d+.*"
                     r"legs \d+.*listings \d+", check)
    with app.app_context():
        assert db.session.get(User, everything.user_id).erased_at is None  # nothing happens before the check
    done = client.post(url, data={"reason": f"Erasure request from {NAME} by email", "confirm": "yes"},
                       follow_redirects=True).get_data(as_text=True)
    assert f"Person {everything.user_id} is erased." in done
    deleted = re.search(r"Deleted: ([^.]*)\.", done).group(1)
    for item in ("1 API token", "1 saved search", "1 email setting", "1 invitation", "3 places in organisations", "notifications",
                 "signed-in session", "emailed link", "outbox files"):
        assert item in deleted, item
    assert "Kept under \u201cErased person" in done and "audit events about what they did" in done

    with app.app_context():
        assert traces_in_database() == []
        user = db.session.get(User, everything.user_id)
        assert (user.display_name, user.email, user.phone) == (
            f"Erased person {user.id}", f"erased-{user.id}@invalid", None)
        member = db.session.get(Member, everything.member_id)
        assert (member.contact_email, member.contact_phone) == (None, None)
        assert "Erased person" in member.description and "[phone removed]" in member.description
        assert (db.session.scalar(select(func.count()).select_from(Posting)),
                balances([everything.member_id, everything.other_member_id])) == before
        if app.backend == "sqlite":
            hits = db.session.execute(text("SELECT rowid FROM listings_fts WHERE listings_fts MATCH 'quennell'"))
            assert hits.all() == []
            # Not even in the file's free space: deleted text is overwritten (PRAGMA secure_delete).
            path = db.engine.url.database
        db.session.remove()
    if app.backend == "sqlite":
        data = Path(path).read_bytes().lower()
        assert b"quennell" not in data and EMAIL.encode() not in data and b"496 0123" not in data
    assert traces_in_outbox(everything.outbox) == []
    assert "Garden design advice" not in client.get("/listings?q=Quennell").get_data(as_text=True)
    typo = client.get("/listings?q=Quenel").get_data(as_text=True)  # no result, and no "Did you mean"
    assert "Garden design advice" not in typo and "quennell" not in typo.lower()
    assert app.test_cli_runner().invoke(args=["ledger", "check"]).exit_code == 0
    auth.logout()
    assert "Signed in as" not in auth.login(EMAIL, "a-long-password-1").get_data(as_text=True)


@pytest.mark.parametrize("written", ["0151 496 0123", "01514960123", "(0151) 496-0123", "+44 151 496 0123",
                                     "+44 (0)151 496 0123", "0151.496.0123"])
def test_a_phone_number_is_found_however_it_was_written(written):
    from timebank.privacy.erasure import Identity

    identity = Identity(7, ["Philippa Quennell"], [EMAIL], [PHONE])
    assert identity.scrub(f"Call {written} today") == "Call [phone removed] today"
    assert identity.scrub("Order 101514960123 and 0151 496 01234") == "Order 101514960123 and 0151 496 01234"


def test_names_and_emails_are_replaced_as_whole_words_only():
    from timebank.privacy.erasure import Identity

    identity = Identity(7, ["Philippa Quennell", "Pip"], [EMAIL], [])
    assert identity.scrub("PHILIPPA  QUENNELL wrote to philippa.quennell@example.org. Pip's pipes.") == (
        "Erased person 7 wrote to [email removed]. Erased person 7's pipes.")
    assert identity.scrub("xphilippa.quennell@example.orgx and Philippa Quennellson") == (
        "xphilippa.quennell@example.orgx and Philippa Quennellson")


def test_other_names_the_coordinator_gives_are_erased_too(app, make_user, make_member, make_listing):
    from timebank.privacy.erasure import erase_person
    from timebank.listings.models import Listing

    coordinator = make_user(coordinator=True)
    member_id, admin_id = make_member("Halewood Bowls Club", admin_email="june.smith@example.org")
    listing = make_listing(member_id, admin_id, description="Ask Junie on the green, or Mrs Smith.")
    with app.test_request_context():
        person = db.session.get(User, admin_id)
        done = erase_person(person, db.session.get(User, coordinator), "Asked in person",
                            other_names=["Junie", "Mrs Smith"])
        db.session.commit()
        assert done.rewritten["listings"] == 1
        assert db.session.get(Listing, listing).description == (
            f"Ask Erased person {admin_id} on the green, or Erased person {admin_id}.")


def test_nobody_but_a_coordinator_erases_and_nobody_erases_themselves(app, make_user):
    from timebank.errors import Conflict, NotAllowed
    from timebank.privacy.erasure import erase_person

    person, coordinator = make_user(), make_user(coordinator=True)
    with app.test_request_context():
        with pytest.raises(NotAllowed):
            erase_person(db.session.get(User, person), db.session.get(User, person), "Because")
        with pytest.raises(Conflict, match="You cannot erase yourself"):
            erase_person(db.session.get(User, coordinator), db.session.get(User, coordinator), "Because")


def test_a_rolled_back_erasure_changes_nothing_and_keeps_the_outbox(app, everything):
    from timebank.privacy.erasure import erase_person

    files = sorted(p.name for p in everything.outbox.iterdir())
    with app.test_request_context():
        erase_person(db.session.get(User, everything.user_id), db.session.get(User, everything.coordinator_id),
                     "Asked by email")
        db.session.rollback()
        assert db.session.get(User, everything.user_id).email == EMAIL
    assert sorted(p.name for p in everything.outbox.iterdir()) == files


def test_every_sqlite_connection_overwrites_what_it_deletes(app):
    if app.backend != "sqlite":
        pytest.skip("PostgreSQL's old row versions go with vacuum (docs/privacy.md)")
    with app.app_context():
        assert db.session.execute(text("PRAGMA secure_delete")).scalar() == 1


def test_a_text_that_grows_past_its_column_when_a_name_is_replaced_is_cut_to_fit(app, make_user, make_member):
    """A short name ("Jo Li") becomes "Erased person N": a full message, or a full short column, would
    overflow (PostgreSQL refuses it, so the erasure would fail) unless the text is cut to fit."""
    from timebank.accounts.models import User
    from timebank.conversations.models import MAX_LENGTH, Message
    from timebank.exchanges.models import Exchange
    from timebank.members.models import Member
    from timebank.privacy.erasure import erase_person

    coordinator_id = make_user("coordinator@oneknowsley.example", name="Cora Ordinator", coordinator=True)
    person_id = make_user("jo.li@example.org", name="Jo Li")
    member_id, _ = make_member("Halewood Choir")
    with app.app_context():
        exchange = Exchange(shape="pair", status="scheduled", story="")
        db.session.add(exchange)
        db.session.flush()
        body = "x" * (MAX_LENGTH - 6) + " Jo Li"
        message = Message(exchange_id=exchange.id, author_id=person_id, member_id=member_id, body=body)
        member = db.session.get(Member, member_id)
        member.town = "Jo Li " + "y" * (Member.__table__.c.town.type.length - 6)
        db.session.add(message)
        db.session.commit()
        erase_person(db.session.get(User, person_id), db.session.get(User, coordinator_id), "Asked by letter")
        db.session.commit()
        message, member = db.session.get(Message, message.id), db.session.get(Member, member_id)
        assert len(message.body) == MAX_LENGTH and message.body.endswith("\u2026") and "Jo Li" not in message.body
        assert len(member.town) == Member.__table__.c.town.type.length and member.town.startswith("Erased person")
