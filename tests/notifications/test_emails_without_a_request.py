"""Every kind of email, sent as a job or the CLI sends it: no request, real or made up, and links
that are whole addresses on BASE_URL leading to the right page.

The app here is set up as an installation is (no SERVER_NAME: a link can be built without a
request only from BASE_URL), under a path of its own, so a link built from anything else shows.
"""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from flask import request_tearing_down
from werkzeug.routing import RequestRedirect

from timebank.accounts import services as accounts
from timebank.accounts.models import User
from timebank.db import utcnow
from timebank.extensions import db
from timebank.members import people
from timebank.members import services as members
from timebank.members.models import Member
from timebank.notifications.links import Page
from timebank.notifications.services import notify
from timebank.saved_searches.services import save_search, send_digests
from tests.conftest import PASSWORD

BASE_URL = "https://exchange.example.org/knowsley"
LINK = re.compile(r"https?://\S+")
EMAIL_TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "email"


def _pages(app, body: str) -> list[tuple[str, dict, str]]:
    """The page (endpoint, arguments, path) each link of an email leads to; every link must be on BASE_URL."""
    adapter = app.url_map.bind("exchange.example.org", script_name="/knowsley", url_scheme="https")
    found = []
    for url in LINK.findall(body):
        assert url.startswith(BASE_URL + "/"), url
        path, _, query = url[len(BASE_URL):].partition("?")
        try:
            endpoint, args = adapter.match(path, method="GET", query_args=query)
        except RequestRedirect as moved:  # a link the site would redirect is not the page's own address
            raise AssertionError(f"{url} redirects to {moved.new_url}") from None
        found.append((endpoint, args, path))
    return found


def test_every_email_is_rendered_without_a_request_and_links_to_the_right_page(
        app, client, make_user, make_member, make_listing, mailbox):
    coordinator_id = make_user(coordinator=True)
    pending_id, _ = make_member(status="pending", admin_email="pending@example.org")
    refused_id, _ = make_member(status="pending", admin_email="refused@example.org")
    member_id, admin_id = make_member(admin_email="admin@example.org")
    poster_id, poster_admin = make_member(admin_email="poster@example.org")
    joiner_id = make_user("joiner@example.org", name="Joan Joiner")
    declined_id = make_user("declined@example.org", name="Dee Clined")
    listing_id = make_listing(poster_id, poster_admin, direction="offer", title="Bookkeeping for charities")
    app.config.update(SERVER_NAME=None, BASE_URL=BASE_URL)  # as installed: links come from BASE_URL alone
    requests = []
    request_tearing_down.connect(lambda sender, **extra: requests.append(sender), app, weak=False)

    with app.app_context():  # as `flask jobs run` and the seed: no request
        coordinator, admin = db.session.get(User, coordinator_id), db.session.get(User, admin_id)
        member = db.session.get(Member, member_id)
        members.approve_member(db.session.get(Member, pending_id), coordinator)
        members.reject_member(db.session.get(Member, refused_id), coordinator, "We could not find your charity number.")
        people.approve_join_request(people.request_to_join(member, db.session.get(User, joiner_id)), admin)
        people.decline_join_request(people.request_to_join(member, db.session.get(User, declined_id)), admin)
        people.invite_person(member, admin, "invited@example.org")
        accounts.sign_up("newcomer@example.org", PASSWORD, "Newcomer")
        accounts.sign_up("admin@example.org", PASSWORD, "Someone else")
        accounts.request_password_reset("nobody@example.org")
        accounts.request_password_reset("joiner@example.org")
        notify([db.session.get(User, joiner_id)], "ledger", "You were given 2 credits.",
               page=Page("ledger.member_credits", member_id=member_id))
        saved = save_search(db.session.get(User, joiner_id), name="Bookkeeping", keyword="bookkeeping")
        saved.covered_until = utcnow() - timedelta(days=7)  # saved a week ago, before the listing was posted
        db.session.commit()
        assert send_digests() == 1
        db.session.commit()

    expected = [  # (template, to, its subject begins, the pages its links lead to: arguments, or "token")
        ("member_approved", "pending@example.org", "Your organisation has been approved", [("members.dashboard", {})]),
        ("member_rejected", "refused@example.org", "Your registration was not approved", []),
        ("join_requested", "admin@example.org", "Joan Joiner asked to join", [("people.index", {"member_id": member_id})]),
        ("join_requested", "admin@example.org", "Dee Clined asked to join", [("people.index", {"member_id": member_id})]),
        ("join_approved", "joiner@example.org", "You have joined", [("members.dashboard", {})]),
        ("join_declined", "declined@example.org", "Your request to join", []),
        ("invitation", "invited@example.org", "Test Person invited you to join", [("people.invitation", "token")]),
        ("confirm_email", "newcomer@example.org", "Confirm your email address", [("auth.confirm_email", "token")]),
        ("account_exists", "admin@example.org", "You already have an account",
         [("auth.login", {}), ("auth.forgot_password", {})]),
        ("no_account", "nobody@example.org", "Resetting a password", [("auth.signup", {})]),
        ("reset_password", "joiner@example.org", "Reset your password", [("auth.reset_password", "token")]),
        ("notification", "joiner@example.org", "You were given 2 credits.",
         [("ledger.member_credits", {"member_id": member_id})]),
        ("saved_search_digest", "joiner@example.org", "1 new listing for your saved search",
         [("listings.detail", {"listing_id": listing_id}), ("saved_searches.index", {})]),
    ]
    assert {case[0] for case in expected} == {path.stem for path in EMAIL_TEMPLATES.glob("*.txt")}, \
        "a kind of email this test does not send"
    assert requests == [], "an email was rendered inside a request context"
    assert len(mailbox.messages) == len(expected)
    opened = []
    for template, to, subject, pages in expected:
        [message] = [m for m in mailbox.to(to) if m["Subject"].startswith(subject)]
        found = _pages(app, mailbox.body(message))
        assert [endpoint for endpoint, _, _ in found] == [endpoint for endpoint, _ in pages], template
        for (endpoint, args, path), (_, wanted) in zip(found, pages):
            if wanted == "token":
                opened.append(path)
            else:
                assert args == wanted, (template, endpoint)

    # The secrets in the links are the ones the pages take: each opens its page, not "link not valid".
    for path in opened:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "not valid" not in response.get_data(as_text=True), path
