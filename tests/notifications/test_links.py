"""Services name pages (notifications.links.Page); links are made from the app's URL map, in a
request or outside one (the CLI and the daily jobs), with no request context faked."""
from __future__ import annotations

from flask import url_for
from sqlalchemy import select

from timebank.accounts.models import User
from timebank.extensions import db
from timebank.notifications.links import Page
from timebank.notifications.models import Notification
from timebank.notifications.services import notify


def test_a_page_links_the_same_in_a_request_and_outside_one(app):
    page = Page("exchanges.detail", exchange_id=4, anchor="messages")
    with app.app_context():  # as `flask exchanges remind` runs: no request
        assert page.path() == "/exchanges/4#messages"
        assert page.url() == "http://exchange.test/exchanges/4#messages"  # BASE_URL
    with app.test_request_context("/", base_url="http://exchange.test"):
        assert page.path() == url_for("exchanges.detail", exchange_id=4, _anchor="messages")
        assert page.url() == url_for("exchanges.detail", exchange_id=4, _anchor="messages", _external=True)


def test_an_email_links_to_base_url_even_from_a_request_made_at_another_address(app):
    page = Page("exchanges.detail", exchange_id=4, anchor="messages")
    app.config["SERVER_NAME"] = None  # as installed: requests may come in at any address the proxy passes
    with app.test_request_context("/", base_url="http://10.0.0.5:8000"):
        assert page.path() == "/exchanges/4#messages"
        assert page.url() == "http://exchange.test/exchanges/4#messages"  # BASE_URL, not the request's host


def test_a_notification_outside_a_request_keeps_the_path_and_emails_the_whole_link(app, make_user, mailbox):
    person = make_user("ada@example.org", name="Ada")
    with app.app_context():
        notify([db.session.get(User, person)], "ledger", "You were given 2 credits.",
               page=Page("ledger.member_credits", member_id=12))
        db.session.commit()
        assert db.session.scalar(select(Notification.url).where(Notification.user_id == person)) == "/members/12/credits"
    [message] = mailbox.to("ada@example.org")
    assert "http://exchange.test/members/12/credits" in mailbox.body(message)
