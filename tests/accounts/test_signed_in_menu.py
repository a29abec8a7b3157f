"""What every signed-in page knows about its person: who they are, whether they coordinate, and
how many notifications they have not read (the menu shows both).

The user loader reads all three in one query and keeps the count for the request; anything that
adds notifications or marks them read makes the page count again.
"""
from __future__ import annotations

import re

from sqlalchemy import event

from timebank.accounts.models import User
from timebank.accounts.services import set_password
from timebank.accounts.sessions import load_user, start_session
from timebank.extensions import db
from timebank.notifications import services as notifications


def _menu_count(html: str) -> str | None:
    found = re.search(r'class="nav__count">(\d+)<', html)
    return found.group(1) if found else None


def test_the_menu_counts_unread_notifications_until_they_are_read(app, client, auth, make_user):
    uid = make_user("reader@example.org")
    with app.test_request_context():
        user = db.session.get(User, uid)
        notifications.notify([user], "members", "First")
        notifications.notify([user], "members", "Second")
        db.session.commit()
    page = auth.login("reader@example.org")
    assert _menu_count(page.get_data(as_text=True)) == "2"
    page = client.post("/notifications/read", follow_redirects=True)
    assert "All notifications marked as read." in page.get_data(as_text=True)
    assert _menu_count(page.get_data(as_text=True)) is None
    assert _menu_count(client.get("/dashboard").get_data(as_text=True)) is None


def test_only_coordinators_see_the_coordinator_menu(app, client, auth, make_user):
    make_user("plain@example.org")
    make_user("coord@example.org", coordinator=True)
    auth.login("plain@example.org")
    assert 'href="/coordinator' not in client.get("/dashboard").get_data(as_text=True)
    auth.logout()
    auth.login("coord@example.org")
    assert 'href="/coordinator' in client.get("/").get_data(as_text=True)


def test_one_query_loads_the_user_its_coordinator_row_and_its_unread_count(app, make_user):
    uid = make_user("one@example.org", coordinator=True)
    with app.test_request_context():
        notifications.notify([db.session.get(User, uid)], "members", "Hello")
        db.session.commit()
    with app.test_request_context():
        secret = start_session(db.session.get(User, uid))
        db.session.commit()
    with app.test_request_context():
        statements = []

        def count(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            user = load_user(secret)
            assert user is not None and user.is_coordinator
            assert notifications.unread_count_for_page(user) == 1
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert len(statements) == 1


def test_a_notification_made_during_the_request_is_counted(app, make_user):
    uid = make_user("busy@example.org")
    other = make_user("other@example.org")
    with app.test_request_context():
        secret = start_session(db.session.get(User, uid))
        user = load_user(secret)
        assert notifications.unread_count_for_page(user) == 0
        notifications.notify([user], "members", "Something happened")
        assert notifications.unread_count_for_page(user) == 1
        notifications.mark_all_read(user)
        assert notifications.unread_count_for_page(user) == 0
        # The remembered count is this person's: another person is counted afresh.
        notifications.notify([db.session.get(User, other)], "members", "For the other person")
        load_user(secret)
        assert notifications.unread_count_for_page(db.session.get(User, other)) == 1
        db.session.rollback()


def test_the_loader_refuses_ended_sessions_erased_people_and_nonsense(app, make_user):
    uid = make_user("gone@example.org")
    with app.test_request_context():
        user = db.session.get(User, uid)
        secret = start_session(user)
        db.session.commit()
        assert load_user(secret) is not None
        assert load_user(f"{uid}:1") is None  # what a session cookie held before sessions were rows
        assert load_user("not-a-session") is None
        set_password(user, "another long password")  # the password changed since this session began
        db.session.commit()
        assert load_user(secret) is None
        later = start_session(user)
        db.session.get(User, uid).erased_at = db.func.now()
        db.session.commit()
        assert load_user(later) is None
