"""Every route in the app, with every role: who may use what.

The list of routes comes from `app.url_map`, so a new route is walked as soon as it exists, and
the test fails until its author says, in EXPECTED below, who may use it. Each role gets its own
fresh rows for a POST (see world.py), so what one role's POST changes cannot change what the next
role sees; a GET changes nothing, so for GETs the roles share one set of rows.

What each outcome means:
    "ok"     the page or action answered (200, or a redirect that is not to sign-in); never a 5xx
    "login"  a redirect to the sign-in page (visitors on member-only pages)
    "403"    refused; "404" hidden (used where a thing's existence is private, or for bad links)
"""
from __future__ import annotations

from dataclasses import dataclass, field
import pytest
from flask import url_for
from sqlalchemy import select

from tests.permissions import world as rows
from tests.permissions.world import ROLES, build_world
from timebank import create_app
from timebank.extensions import db

EVERYONE = frozenset(ROLES)
SIGNED_IN_ROLES = EVERYONE - {"visitor"}
A_PEOPLE = frozenset({"staff_a", "admin_a"})


@dataclass(frozen=True)
class Rule:
    """Who may use a route. Roles not in `allowed` get `denied` (per role), visitors "login" by default."""

    allowed: frozenset
    denied: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)  # URL parameter -> world row name or literal value
    query: dict = field(default_factory=dict)  # query-string values, same form as params

    def expect(self, role: str) -> str:
        if role in self.allowed:
            return "ok"
        return self.denied.get(role, "login" if role == "visitor" else "403")

    def but(self, **changes) -> Rule:
        return Rule(**{**self.__dict__, **changes})


PUBLIC = Rule(EVERYONE)
SIGNED_IN = Rule(SIGNED_IN_ROLES)
ACT_A = Rule(A_PEOPLE | {"coordinator"})  # member A's own people, and coordinators
MANAGE_A = Rule(frozenset({"admin_a", "coordinator"}))  # member A's admins, and coordinators
COORDINATOR = Rule(frozenset({"coordinator"}))
BAD_LINK = Rule(frozenset(), denied={role: "404" for role in ROLES}, params={"token": "not-a-real-token"})
PARTY_OF_EXCHANGE = ACT_A.but(denied={"staff_b": "404"})  # outsiders are not told an exchange exists


def literal(value):
    return lambda world: value


# Who may use each route. A new route fails the test until it is added here.
EXPECTED: dict[str, Rule] = {
    # Public pages.
    "static": PUBLIC.but(params={"filename": literal("css/app.css")}),
    "main.index": PUBLIC, "main.healthz": PUBLIC, "main.styleguide": PUBLIC, "main.accessibility": PUBLIC,
    "main.privacy": PUBLIC, "main.cookies": PUBLIC, "reports.public_dashboard": PUBLIC, "listings.directory": PUBLIC,
    "listings.detail": PUBLIC, "members.profile": PUBLIC,
    # Prometheus metrics: only a scraper with METRICS_TOKEN (tests/operations); without one, no page.
    "metrics.metrics": Rule(frozenset(), denied={role: "404" for role in ROLES}),
    # Accounts. Signed-in people are sent from sign-in and sign-up to their dashboard ("ok").
    "auth.login": PUBLIC, "auth.signup": PUBLIC, "auth.logout": PUBLIC, "auth.forgot_password": PUBLIC,
    "auth.confirm_email": BAD_LINK, "auth.reset_password": BAD_LINK, "people.invitation": BAD_LINK,
    "auth.account": SIGNED_IN, "auth.logout_everywhere": SIGNED_IN, "members.dashboard": SIGNED_IN, "members.register": SIGNED_IN,
    "notifications.index": SIGNED_IN, "notifications.preferences": SIGNED_IN, "notifications.mark_read": SIGNED_IN,
    # Members and their people.
    "members.edit": MANAGE_A,
    "place.edit": MANAGE_A, "place.set_point": MANAGE_A, "place.use_postcode": MANAGE_A,
    "people.find": SIGNED_IN, "people.request_join": SIGNED_IN,
    "people.leave": Rule(A_PEOPLE, denied={"staff_b": "404", "coordinator": "404"}),  # only your own membership
    "people.index": ACT_A,
    "people.invite": MANAGE_A, "people.approve": MANAGE_A, "people.decline": MANAGE_A,
    "people.change_role": MANAGE_A, "people.remove": MANAGE_A, "people.cancel_invitation": MANAGE_A,
    # Compliance records and assets: the member's own people and coordinators.
    "compliance.index": ACT_A, "compliance.new": ACT_A.but(params={"kind": literal("dbs")}),
    "compliance.edit": ACT_A, "compliance.delete": ACT_A,
    "assets.index": ACT_A, "assets.new": ACT_A.but(params={"kind": literal("equipment")}),
    "assets.edit": ACT_A, "assets.remove": ACT_A,
    # Listings: staff of organisation B cannot post for, edit or withdraw organisation A's listings.
    "listings.new": ACT_A, "listings.edit": ACT_A, "listings.withdraw": ACT_A, "listings.renew": ACT_A,
    # The coordinators' desk: only coordinators approve (member_id is a member admin_a registered).
    "coordinator.home": COORDINATOR,
    "coordinator.review_member": COORDINATOR.but(params={"member_id": "pending_member"}),
    "coordinator.approve_member": COORDINATOR.but(params={"member_id": "pending_member"}),
    "coordinator.reject_member": COORDINATOR.but(params={"member_id": "pending_member"}),
    # Exchanges (between members A and C; B is not in it).
    "exchanges.index": SIGNED_IN, "exchanges.detail": PARTY_OF_EXCHANGE,
    "exchanges.respond": PARTY_OF_EXCHANGE.but(query={"member_id": "member_a"}),
    "exchanges.confirm_leg": PARTY_OF_EXCHANGE, "exchanges.dispute_leg": PARTY_OF_EXCHANGE,
    "exchanges.approve": COORDINATOR, "exchanges.reject": COORDINATOR, "exchanges.settle": COORDINATOR,
    "queue.index": COORDINATOR, "queue.approve": COORDINATOR, "queue.remind": COORDINATOR,
    "queue.review": COORDINATOR,
    "exchanges.reschedule": COORDINATOR, "exchanges.cancel": COORDINATOR,
    # A party's people ask for a change or withdraw it; only the giver's (C's) people give their side.
    "exchanges.withdraw": PARTY_OF_EXCHANGE, "exchanges.request_change": PARTY_OF_EXCHANGE,
    "exchanges.give_side": COORDINATOR.but(denied={"staff_b": "404"}),
    "exchanges.record_help": ACT_A,
    # Direct asks: anyone signed in may open the form on an open listing (A's need; the page says
    # when none of their organisations may ask); only the exchange's parties answer it.
    "direct.ask": SIGNED_IN, "direct.counter": PARTY_OF_EXCHANGE.but(query={"member_id": "member_a"}),
    "conversations.post": PARTY_OF_EXCHANGE,  # the parties' people and coordinators write in it
    "direct.policy_page": COORDINATOR,
    "matcher_schedule.schedule_page": COORDINATOR, "matcher_schedule.release": COORDINATOR,
    "exchanges.coordinator_list": COORDINATOR,
    "matcher.index": COORDINATOR, "matcher.run": COORDINATOR, "matcher.progress": COORDINATOR,
    "audit.log": COORDINATOR,
    # Time credits.
    "ledger.member_credits": ACT_A, "ledger.give_to_pot": MANAGE_A,
    "ledger.coordinator_ledger": COORDINATOR, "ledger.adjust": COORDINATOR, "ledger.reverse": COORDINATOR,
    "ledger.grant": COORDINATOR, "ledger.change_credit_limit": COORDINATOR,
    # Bookings and loans (A books C's room and borrows C's gazebo).
    "bookings.request_asset": SIGNED_IN.but(params={"asset_id": rows.room_of_c}),
    "bookings.member_bookings": ACT_A, "bookings.reset_calendar": ACT_A,
    "bookings.calendar_feed": BAD_LINK,
    "bookings.cancel_booking": ACT_A, "bookings.cancel_loan": ACT_A, "bookings.cancel_series": ACT_A,
    # Only the lender (C) hands an item over and takes it back; A is the borrower.
    "bookings.check_out": COORDINATOR, "bookings.check_in": COORDINATOR,
    "bookings.coordinator_loans": COORDINATOR,
    # Reports, rates and data: a member's own reports and exports; the sector's for coordinators.
    "reports.member_social_value": ACT_A, "reports.member_impact": ACT_A, "reports.member_exports": ACT_A,
    "reports.member_export": ACT_A.but(params={"name": literal("listings")}),
    "reports.coordinator_dashboard": COORDINATOR, "reports.coordinator_exports": COORDINATOR,
    "reports.coordinator_export": COORDINATOR.but(params={"name": literal("members")}),
    "reports.rates": COORDINATOR, "reports.new_rate": COORDINATOR, "reports.new_rate_version": COORDINATOR,
    "reports.end_rate": COORDINATOR,
    "reports.public_network": PUBLIC, "reports.coordinator_network": COORDINATOR,
    "reports.work_out_network": COORDINATOR,
    # Programmes, funds and grants: coordinators keep the list; a member's people tag its listings
    # and the exchanges it is in (outsiders are not told an exchange exists).
    "funding.index": COORDINATOR, "funding.new": COORDINATOR, "funding.detail": COORDINATOR,
    "funding.edit": COORDINATOR, "funding.add_member": COORDINATOR, "funding.remove_member": COORDINATOR,
    "funding.listing_tags": ACT_A, "funding.exchange_tags": PARTY_OF_EXCHANGE,
    # Case studies (A wrote one about help it gave C in a completed exchange; B is not in it). Only
    # a member's own people write or change its case studies; coordinators see and may delete them.
    "case_studies.new": Rule(A_PEOPLE, denied={"staff_b": "404", "coordinator": "404"},
                             params={"exchange_id": rows.completed_exchange_a_c}),
    "case_studies.edit": Rule(A_PEOPLE, denied={"staff_b": "404", "coordinator": "403"}),
    "case_studies.remove": PARTY_OF_EXCHANGE, "case_studies.consent": PARTY_OF_EXCHANGE,
    # Open data: public feeds; an id nobody published is 404 to everyone; a member's admins choose.
    "opendata.index": PUBLIC, "opendata.volunteering_feed": PUBLIC, "opendata.oruk_root": PUBLIC,
    "opendata.oruk_services": PUBLIC, "opendata.oruk_organizations": PUBLIC,
    "opendata.oruk_service": BAD_LINK.but(params={"service_id": literal("00000000-0000-0000-0000-000000000000")}),
    "opendata.oruk_organization": BAD_LINK.but(params={"organization_id": literal("not-published")}),
    "opendata.consent": MANAGE_A,
    # Privacy: each person's own data; a member's for its admins; finding, downloading and erasing people.
    "privacy.my_data": SIGNED_IN, "privacy.member_data": MANAGE_A,
    "privacy.people": COORDINATOR, "privacy.person_data": COORDINATOR,
    "privacy.erase_person": COORDINATOR,  # erasing asks for a reason first
    # API tokens: each person's own (another's token is not found). The API's reference is public.
    "api_tokens.index": SIGNED_IN,
    "api_tokens.revoke": Rule(frozenset({"staff_a"}), denied={role: "404" for role in ROLES} | {"visitor": "login"}),
    "api_docs.index": PUBLIC, "api-docs.openapi_json": PUBLIC,
    # Saved searches: each person's own (another's is not found).
    "saved_searches.index": SIGNED_IN, "saved_searches.save": SIGNED_IN,
    "saved_searches.delete": Rule(frozenset({"staff_a"}), denied={role: "404" for role in ROLES} | {"visitor": "login"}),
    "api_docs.problems": PUBLIC, "api_docs.problem": PUBLIC.but(params={"slug": literal("credit-limit")}),
    # Websites allowed to call the API from a browser (CORS): coordinators choose.
    "api_origins.index": COORDINATOR, "api_origins.remove": COORDINATOR.but(params={"origin_id": rows.allowed_origin}),
}
# The JSON API takes a bearer token, never the session cookie: signed in or not, every role gets 401.
# (tests/api/ checks what each token may do.)
TOKEN_ONLY = Rule(frozenset(), denied={role: "401" for role in ROLES})
EXPECTED["api_queue.list_queue_items"] = TOKEN_ONLY.but(params={"name": literal("answers")})
EXPECTED["api_reports.export_member_data"] = TOKEN_ONLY.but(params={"dataset": literal("listings")})
# Refused before anything is looked up, so any id will do.
for endpoint in ("api_ledger.get_ledger_entry", "api_coordinator.reverse_ledger_entry"):
    EXPECTED[endpoint] = TOKEN_ONLY.but(params={"entry_id": literal(1)})
EXPECTED["api_exchanges.get_change_request"] = TOKEN_ONLY.but(params={"request_id": literal(1)})
EXPECTED["api_messages.get_message"] = TOKEN_ONLY.but(params={"message_id": literal(1)})
EXPECTED.update({rule.endpoint: TOKEN_ONLY for rule in create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
                 .url_map.iter_rules() if rule.endpoint.startswith("api_") and rule.endpoint not in EXPECTED})


def _saved_search_of_staff_a(world) -> int:
    from timebank.saved_searches.services import save_search

    if "saved_search" not in world.ids:
        world.ids["saved_search"] = save_search(world.users["staff_a"], keyword="bookkeeping").id
    return world.ids["saved_search"]


def _token_of_staff_a(world) -> int:
    from timebank.accounts.tokens import create_token

    if "token" not in world.ids:
        world.ids["token"] = create_token(world.users["staff_a"], name="Staff A's system", scope="read")[0].id
    return world.ids["token"]

# How to fill each URL parameter: the name of a row in the world, or a function making one.
PARAMS = {
    "member_id": "member_a", "listing_id": "listing_a", "membership_id": "other_staff_a",
    "invitation_id": "invitation_a", "record_id": "record_a", "asset_id": "room_a",
    "exchange_id": rows.exchange_between_a_and_c, "leg_id": rows.leg_received_by_a, "run_id": rows.matcher_run,
    "booking_id": rows.booking_by_a_of_cs_room, "loan_id": rows.loan_to_a_of_cs_gazebo, "series_id": rows.series_by_a_of_cs_room,
    "rate_id": rows.valuation_rate, "user_id": "asker", "token_id": _token_of_staff_a,
    "saved_search_id": _saved_search_of_staff_a, "tag_id": rows.funding_tag,
    "case_id": rows.case_study_by_a,
}


def _routes(app) -> list[tuple[str, str, tuple[str, ...]]]:
    """(endpoint, method, URL parameters) for every route of the app, sorted."""
    found = set()
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.add((rule.endpoint, method, tuple(sorted(rule.arguments))))
    return sorted(found)


ROUTES = _routes(create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"}))


def test_every_route_says_who_may_use_it(app):
    missing = sorted({endpoint for endpoint, _, _ in _routes(app) if endpoint not in EXPECTED})
    assert not missing, (
        f"These routes are not in the permission table: {missing}. Add each to EXPECTED in "
        "tests/permissions/test_routes.py with who may use it (PUBLIC, SIGNED_IN, ACT_A, MANAGE_A, "
        "COORDINATOR, ...), so that nobody adds a page without deciding who may see it.")


def _value(spec, world):
    if callable(spec):
        return spec(world)
    return world.ids[spec] if isinstance(spec, str) and spec in world.ids else spec


def _url(endpoint: str, params: tuple[str, ...], rule: Rule, world) -> str:
    values = {}
    for name in params:
        spec = rule.params.get(name, PARAMS.get(name))
        if spec is None:
            pytest.fail(f"{endpoint} has the URL parameter <{name}>, which the permission test cannot fill yet. "
                        "Add a way to make a real row for it to PARAMS in tests/permissions/test_routes.py "
                        "(and world.py), or a literal in the route's Rule(params=...).")
        values[name] = _value(spec, world)
    values.update({name: _value(spec, world) for name, spec in rule.query.items()})
    return url_for(endpoint, **values)


def _outcome(response) -> str:
    if response.status_code >= 500:
        return f"server error {response.status_code}"
    if response.status_code in (301, 302, 303, 307, 308):
        return "login" if "/sign-in" in response.location else "ok"
    if response.status_code in (401, 403, 404, 405):
        return str(response.status_code)
    return "ok"


@pytest.mark.parametrize("endpoint, method, params", ROUTES, ids=[f"{m} {e}" for e, m, _ in ROUTES])
def test_route_answers_each_role_as_expected(app, categories, endpoint, method, params):
    rule = EXPECTED.get(endpoint)
    if rule is None:
        pytest.fail(f"{endpoint} is not in the permission table: add it to EXPECTED in "
                    "tests/permissions/test_routes.py, saying who may use it.")
    wrong, url, world = [], None, None
    for n, role in enumerate(ROLES):
        if world is None or method != "GET":  # a GET changes nothing, so the roles may share one world
            with app.test_request_context():
                world = build_world(f"w{n}", categories["bookkeeping"])
                url = _url(endpoint, params, rule, world)
                db.session.commit()
        session_user = world.user_id(role)
        client = app.test_client()
        if session_user:
            with client.session_transaction() as session:
                session["_user_id"] = session_user
                session["_fresh"] = True
        response = client.open(url, method=method, data={})
        got, want = _outcome(response), rule.expect(role)
        if got != want:
            wrong.append(f"{role}: expected {want}, got {got} ({response.status_code})")
    assert not wrong, f"{method} {endpoint}: " + "; ".join(wrong)


# -- the two named cases, with what the user would notice ------------------------------

def _sign_in(client, world, role):
    with client.session_transaction() as session:
        session["_user_id"] = world.user_id(role)


def test_staff_of_organisation_b_cannot_edit_or_withdraw_organisation_as_listing(app, client, categories):
    from timebank.listings.models import Listing

    with app.test_request_context():
        world = build_world("x", categories["bookkeeping"])
        db.session.commit()
    listing_id = world.ids["listing_a"]
    _sign_in(client, world, "staff_b")
    assert client.get(f"/listings/{listing_id}/edit").status_code == 403
    assert client.post(f"/listings/{listing_id}/edit", data={"title": "Taken over"}).status_code == 403
    assert client.post(f"/listings/{listing_id}/withdraw").status_code == 403
    with app.app_context():
        listing = db.session.get(Listing, listing_id)
        assert (listing.title, listing.status) == ("Help with our accounts", "open")
    _sign_in(client, world, "staff_a")
    assert client.post(f"/listings/{listing_id}/withdraw").status_code == 302
    with app.app_context():
        assert db.session.get(Listing, listing_id).status == "withdrawn"


def test_only_coordinators_approve(app, client, categories):
    from timebank.members.models import Member

    with app.test_request_context():
        world = build_world("x", categories["bookkeeping"])
        db.session.commit()
    pending = world.ids["pending_member"]
    for role in ("admin_a", "staff_a", "staff_b"):  # admin_a registered it, and still may not approve it
        _sign_in(client, world, role)
        assert client.post(f"/coordinator/members/{pending}/approve").status_code == 403
    with app.app_context():
        assert db.session.get(Member, pending).status == "pending"
    _sign_in(client, world, "coordinator")
    client.post(f"/coordinator/members/{pending}/approve")
    with app.app_context():
        assert db.session.get(Member, pending).status == "active"


def test_the_world_has_what_the_table_assumes(app, categories):
    """The table's reasons hold: B is not in A, C's rows belong to C, the pending member is pending."""
    from timebank.members.models import Member, Membership

    with app.test_request_context():
        world = build_world("x", categories["bookkeeping"])
        members_of_a = set(db.session.scalars(select(Membership.user_id).where(
            Membership.member_id == world.ids["member_a"], Membership.status == "active")))
        assert world.users["staff_b"].id not in members_of_a
        assert {world.users["staff_a"].id, world.users["admin_a"].id} <= members_of_a
        assert db.session.get(Member, world.ids["pending_member"]).status == "pending"
