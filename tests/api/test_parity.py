"""What the web could do and the API could not (issue 20): the same services, the same rules."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from timebank.db import today
from timebank.extensions import db

PROBLEMS = "/api/v1/problems/"


# -- tokens ----------------------------------------------------------------------------------------

def test_a_token_makes_lists_and_revokes_tokens_whose_secret_is_shown_once(app, api, world, tokens):
    from timebank.api.models import IdempotentRequest

    staff_a = api(tokens["staff_a"])
    made = staff_a.post("/api/v1/tokens", json={"name": "Rota system", "scope": "read"},
                        headers={"Idempotency-Key": "token-1"})
    assert made.status_code == 201 and made.json["scope"] == "read" and made.json["secret"].startswith("tbk_")
    assert made.headers["Location"].endswith(f"/api/v1/tokens/{made.json['id']}")
    # The new token works, and reads as its person.
    assert api(made.json["secret"]).get("/api/v1/me").json["token_scope"] == "read"
    # A retry answers as the first time did, but the secret was never stored: it is null.
    again = staff_a.post("/api/v1/tokens", json={"name": "Rota system", "scope": "read"},
                         headers={"Idempotency-Key": "token-1"})
    assert again.status_code == 201 and again.json["id"] == made.json["id"] and again.json["secret"] is None
    with app.app_context():
        kept = db.session.scalars(select(IdempotentRequest.body)).all()
        assert kept and not any(made.json["secret"] in body for body in kept)
    listed = staff_a.get("/api/v1/tokens").json["items"]
    assert made.json["id"] in [t["id"] for t in listed] and all("secret" not in t for t in listed)
    # Revoked, it stops working at once; revoking twice is a wrong state.
    revoked = staff_a.post(f"/api/v1/tokens/{made.json['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json["revoked_at"]
    assert api(made.json["secret"]).get("/api/v1/me").status_code == 401
    twice = staff_a.post(f"/api/v1/tokens/{made.json['id']}/revoke")
    assert twice.status_code == 409 and twice.json["type"] == PROBLEMS + "wrong-state"


def test_a_token_makes_no_token_stronger_than_itself_and_sees_only_its_persons_tokens(api, world, tokens):
    # A coordinator's read-write token cannot make a coordinator token; its coordinator token can.
    coordinator = api(tokens["coordinator"])
    refused = coordinator.post("/api/v1/tokens", json={"name": "Everything", "scope": "coordinator"})
    assert refused.status_code == 403 and refused.json["errors"] == {"scope": [refused.json["detail"]]}
    made = api(tokens["coordinator_scope"]).post("/api/v1/tokens", json={"name": "Everything", "scope": "coordinator"})
    assert made.status_code == 201 and made.json["scope"] == "coordinator"
    # A read token cannot make tokens at all.
    assert api(tokens["read_a"]).post("/api/v1/tokens", json={"name": "x", "scope": "read"}).status_code == 403
    # Another person's token is not found, and cannot be revoked.
    other = made.json["id"]
    assert api(tokens["staff_a"]).get(f"/api/v1/tokens/{other}").status_code == 404
    assert api(tokens["staff_a"]).post(f"/api/v1/tokens/{other}/revoke").status_code == 404
    assert api(made.json["secret"]).get("/api/v1/me").status_code == 200
    # Bad input is a validation problem naming the field.
    bad = coordinator.post("/api/v1/tokens", json={"name": "", "scope": "admin"})
    assert bad.status_code == 422 and set(bad.json["errors"]) == {"name", "scope"}


# -- one member's listings ---------------------------------------------------------------------------

def test_listings_of_one_member_every_status_for_its_people_the_open_ones_for_others(api, world, tokens):
    a, listing = world.ids["member_a"], world.ids["listing_a"]
    staff_a, staff_b = api(tokens["staff_a"]), api(tokens["staff_b"])
    assert staff_a.post(f"/api/v1/listings/{listing}/withdraw").json["status"] == "withdrawn"
    own = staff_a.get(f"/api/v1/listings?member_id={a}")
    assert own.status_code == 200 and [(x["id"], x["status"]) for x in own.json["items"]] == [(listing, "withdrawn")]
    assert staff_a.get(f"/api/v1/listings?member_id={a}&status=open").json["items"] == []
    # Another member's people see only its open listings, as on its profile page.
    assert staff_b.get(f"/api/v1/listings?member_id={a}").json["items"] == []
    hidden = staff_b.get(f"/api/v1/listings?member_id={a}&status=withdrawn")
    assert hidden.status_code == 403 and hidden.json["errors"] == {"status": [hidden.json["detail"]]}
    # Filters that do not apply to one member are refused, not ignored.
    mixed = staff_a.get(f"/api/v1/listings?member_id={a}&q=accounts")
    assert mixed.status_code == 422 and list(mixed.json["errors"]) == ["q"]
    assert staff_a.get("/api/v1/listings?status=open").status_code == 422
    assert staff_a.get("/api/v1/listings?member_id=2147483647").status_code == 404


# -- the ledger: gifts, grants, reversals, entries ---------------------------------------------------

def test_members_give_to_the_pot_and_coordinators_grant_from_it_and_reverse(api, world, tokens):
    a = world.ids["member_a"]
    coordinator, admin_a, staff_b = api(tokens["coordinator_scope"]), api(tokens["admin_a"]), api(tokens["staff_b"])
    adjusted = coordinator.post("/api/v1/coordinator/ledger/adjustments",
                                json={"member_id": a, "amount": 5, "reason": "Help before the exchange opened"})
    assert adjusted.status_code == 201
    # Where it says: the member's people read the entry; another member's do not.
    entry = admin_a.get(adjusted.headers["Location"]).json
    assert entry["id"] == adjusted.json["id"] and entry["kind"] == "adjustment"
    assert {(p["account"], p["member_id"], p["amount"]) for p in entry["postings"]} == {
        ("adjustments", None, -5), ("member", a, 5)}
    assert staff_b.get(adjusted.headers["Location"]).status_code == 404

    # An admin of A gives 3 to the pot; never more than A has.
    gift = admin_a.post(f"/api/v1/members/{a}/gifts", json={"amount": 3})
    assert gift.status_code == 201, gift.json
    assert gift.json["kind"] == "donation" and admin_a.get(gift.headers["Location"]).json == gift.json
    too_much = admin_a.post(f"/api/v1/members/{a}/gifts", json={"amount": 4})
    assert too_much.status_code == 422 and too_much.json["type"] == "/api/v1/problems/rule"
    assert list(too_much.json["errors"]) == ["amount"]
    assert staff_b.post(f"/api/v1/members/{a}/gifts", json={"amount": 1}).status_code == 403

    # The coordinator grants 2 of them to A, then reverses the grant once; twice is a wrong state.
    granted = coordinator.post("/api/v1/coordinator/ledger/grants",
                               json={"member_id": a, "amount": 2, "reason": "Start-up credits"})
    assert granted.status_code == 201, granted.json
    assert granted.json["kind"] == "grant" and admin_a.get(f"/api/v1/members/{a}/balance").json["balance"] == 4
    reversal = coordinator.post(f"/api/v1/coordinator/ledger/entries/{granted.json['id']}/reverse",
                                json={"reason": "Granted to the wrong member"})
    assert reversal.status_code == 201, reversal.json
    assert reversal.json["reverses_entry_id"] == granted.json["id"]
    assert admin_a.get(granted.headers["Location"]).json["reversed_by_id"] == reversal.json["id"]
    again = coordinator.post(f"/api/v1/coordinator/ledger/entries/{granted.json['id']}/reverse",
                             json={"reason": "Twice"})
    assert again.status_code == 409 and again.json["type"] == "/api/v1/problems/wrong-state"
    assert admin_a.get(f"/api/v1/members/{a}/balance").json["balance"] == 2
    # Grants are the coordinators' (a member's read-write token is refused).
    assert admin_a.post("/api/v1/coordinator/ledger/grants",
                        json={"member_id": a, "amount": 1, "reason": "Me"}).status_code == 403
    assert coordinator.post("/api/v1/coordinator/ledger/entries/2147483647/reverse",
                            json={"reason": "x"}).status_code == 404


def test_a_coordinator_changes_a_credit_limit_saying_why_never_below_what_is_owed(app, api, world, tokens):
    from timebank.audit.models import AuditEvent

    a, url = world.ids["member_a"], f"/api/v1/coordinator/members/{world.ids['member_a']}/credit-limit"
    coordinator, admin_a = api(tokens["coordinator_scope"]), api(tokens["admin_a"])
    read = coordinator.get(f"/api/v1/members/{a}/balance")
    assert read.json == {"member_id": a, "balance": 0, "credit_limit": 10}
    # If-Match: the balance as read; once it has changed, a change sent with the old ETag is refused.
    raised = coordinator.post(url, json={"credit_limit": 12.5, "reason": "Winter appeal"},
                              headers={"If-Match": read.headers["ETag"], "Idempotency-Key": "limit-1"})
    assert raised.status_code == 200, raised.json
    assert raised.json == {"member_id": a, "balance": 0, "credit_limit": 12.5}
    assert raised.headers["ETag"] == coordinator.get(f"/api/v1/members/{a}/balance").headers["ETag"]
    stale = coordinator.post(url, json={"credit_limit": 20, "reason": "More"}, headers={"If-Match": read.headers["ETag"]})
    assert stale.status_code == 412 and stale.json["type"] == PROBLEMS + "precondition-failed"
    # Retried with its Idempotency-Key: the first answer again, and no second change.
    again = coordinator.post(url, json={"credit_limit": 12.5, "reason": "Winter appeal"},
                             headers={"Idempotency-Key": "limit-1"})
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "ledger.credit_limit_changed")).all()
        assert [(e.member_id, e.details["before"], e.details["after"], e.details["reason"]) for e in events] == [
            (a, "10.00", "12.50", "Winter appeal")]
    # Below what A owes: refused with its own type, beside the field, and nothing changes.
    assert coordinator.post("/api/v1/coordinator/ledger/adjustments",
                            json={"member_id": a, "amount": -6, "reason": "Missed session"}).status_code == 201
    low = coordinator.post(url, json={"credit_limit": 5.99, "reason": "Tighter"})
    assert low.status_code == 409 and low.json["type"] == PROBLEMS + "credit-limit-below-balance"
    assert low.json["errors"] == {"credit_limit": [low.json["detail"]]}
    assert "its credit limit cannot be less than 6." in low.json["detail"]
    assert coordinator.post(url, json={"credit_limit": 6, "reason": "Tighter"}).json["credit_limit"] == 6
    # What the document says it takes, and who may.
    for body in ({"credit_limit": -1, "reason": "x"}, {"credit_limit": 5}, {"credit_limit": "5", "reason": "x"},
                 {"credit_limit": 5, "reason": ""}):
        refused = coordinator.post(url, json=body)
        assert refused.status_code == 422 and refused.json["type"] == PROBLEMS + "validation", body
    cents = coordinator.post(url, json={"credit_limit": 6.001, "reason": "x"})
    assert cents.status_code == 422 and list(cents.json["errors"]) == ["credit_limit"]
    assert admin_a.post(url, json={"credit_limit": 50, "reason": "Please"}).status_code == 403
    assert coordinator.post("/api/v1/coordinator/members/999999/credit-limit",
                            json={"credit_limit": 5, "reason": "x"}).status_code == 404
    assert admin_a.get(f"/api/v1/members/{a}/balance").json == {"member_id": a, "balance": -6, "credit_limit": 6}


# -- a person's own data ----------------------------------------------------------------------------

def _unzipped(content: bytes) -> dict[str, bytes]:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _downloaded_both_ways(app, api, world, tokens, role: str, web_url: str, api_url: str):
    """The role's download from its web page and through the API, on one stopped clock (each zip's
    README says when it was made), once the token has noted it was used; both answers, and the API's files."""
    import time_machine

    token = api(tokens[role])
    with time_machine.travel(datetime.now(timezone.utc), tick=False):
        token.get("/api/v1/me")
        web = app.test_client()
        with web.session_transaction() as session:
            session["_user_id"] = world.user_id(role)
            session["_fresh"] = True
        from_web, from_api = web.get(web_url), token.get(api_url)
    assert from_web.status_code == 200 and from_api.status_code == 200, from_api.get_data()[:300]
    assert from_api.mimetype == "application/zip" and from_api.headers["Cache-Control"] == "no-store"
    assert from_api.headers["Content-Disposition"] == from_web.headers["Content-Disposition"]
    files = _unzipped(from_api.get_data())
    assert files == _unzipped(from_web.get_data())
    return from_api, files


def test_a_token_downloads_its_own_persons_data_the_same_zip_as_the_web_gives(app, api, world, tokens):
    answer, files = _downloaded_both_ways(app, api, world, tokens, "staff_a", "/account/my-data.zip", "/api/v1/me/data")
    assert answer.headers["Content-Disposition"] == f'attachment; filename="my-data-{world.user_ids["staff_a"]}.zip"'
    # It is the token's person's, and names nobody else's email.
    assert b"staff.a.api@example.org" in files["users.csv"]
    assert b"staff.b.api@example.org" not in b"".join(files.values())
    assert {"README.txt", "users.csv", "api_tokens.csv", "mentions.csv"} <= set(files)
    # Another person's token gets that person's own, never staff A's.
    other = _unzipped(api(tokens["staff_b"]).get("/api/v1/me/data").get_data())
    assert b"staff.a.api@example.org" not in b"".join(other.values())
    assert api().get("/api/v1/me/data").status_code == 401


def test_a_members_admin_downloads_everything_about_it_the_same_zip_as_its_exports_page(app, api, world, tokens):
    a = world.ids["member_a"]
    _, files = _downloaded_both_ways(app, api, world, tokens, "admin_a", f"/members/{a}/exports/all-our-data.zip",
                                     f"/api/v1/members/{a}/data")
    assert b"Help with our accounts" in files["listings.csv"]
    # Its admins and coordinators only: its staff are refused, and another member's admins too.
    assert api(tokens["staff_a"]).get(f"/api/v1/members/{a}/data").status_code == 403
    assert api(tokens["admin_b"]).get(f"/api/v1/members/{a}/data").status_code == 403
    assert api(tokens["coordinator_scope"]).get(f"/api/v1/members/{a}/data").status_code == 200


# -- loans: check out and in -------------------------------------------------------------------------

def test_the_lender_checks_a_loan_out_on_its_first_day_and_back_in(app, api, world, tokens):
    import time_machine

    from timebank.bookings.models import Loan

    with app.app_context():
        loan = db.session.scalars(select(Loan).where(Loan.member_id == world.ids["member_a"])).first()
        loan_id, starts_on = loan.id, loan.starts_on
    admin_c, staff_a = api(tokens["admin_c"]), api(tokens["staff_a"])
    early = admin_c.post(f"/api/v1/loans/{loan_id}/check-out", json={"condition": "Good, all poles"})
    assert early.status_code == 422 and early.json["type"] == "/api/v1/problems/rule"
    with time_machine.travel(f"{starts_on}T10:00:00+00:00"):
        # The borrower cannot hand over what is not its own.
        assert staff_a.post(f"/api/v1/loans/{loan_id}/check-out", json={"condition": "Fine"}).status_code == 403
        out = admin_c.post(f"/api/v1/loans/{loan_id}/check-out", json={"condition": "Good, all poles"})
        assert out.status_code == 200 and out.json["status"] == "out" and out.json["condition_out"] == "Good, all poles"
        assert admin_c.post(f"/api/v1/loans/{loan_id}/check-out", json={"condition": "x"}).status_code == 409
        back = admin_c.post(f"/api/v1/loans/{loan_id}/check-in", json={"condition": "One peg missing"})
        assert back.status_code == 200 and back.json["status"] == "returned" and back.json["returned_at"]
        assert staff_a.get(f"/api/v1/loans/{loan_id}").json["condition_in"] == "One peg missing"
        blank = admin_c.post(f"/api/v1/loans/{loan_id}/check-in", json={"condition": ""})
        assert blank.status_code == 422 and list(blank.json["errors"]) == ["condition"]


# -- a member's own reports ---------------------------------------------------------------------------

def test_a_members_social_value_and_impact_from_the_same_figures_as_its_pages(app, api, world, tokens):
    from timebank.reports.figures import Period
    from timebank.reports.social_value import impact_statement, social_value
    from timebank.members.models import Member

    from decimal import Decimal

    from timebank.reports.models import ValuationRate

    a, b = world.ids["member_a"], world.ids["member_b"]
    with app.app_context():  # a central rate for skills: the report values the help with it
        db.session.add(ValuationRate(name="Test skills rate", kind="skill", unit="hour", band="central",
                                     value=Decimal("20.00"), valid_from=today(), source="Test", licence="Test"))
        db.session.commit()
    staff_a, admin_b = api(tokens["staff_a"]), api(tokens["admin_b"])
    recorded = staff_a.post("/api/v1/exchanges", json={
        "member_id": a, "other_member_id": b, "we_gave": True, "kind": "skill", "hours": 3,
        "description": "Payroll set-up", "happened_on": str(today())})
    assert admin_b.post(f"/api/v1/proposals/{recorded.json['id']}/accept").json["status"] == "completed"

    value = staff_a.get(f"/api/v1/members/{a}/social-value")
    assert value.status_code == 200 and value.json["person_hours"] == 3 and value.json["organisations_supported"] == 1
    skill = next(row for row in value.json["given"] if row["kind"] == "skill")
    assert skill["quantity"] == 3 and skill["unit"] == "person-hours"
    assert [(line["kind"], line["quantity"], line["exchange_id"]) for line in value.json["lines"]] == [
        ("skill", 3, recorded.json["id"])]
    assert value.json["lines"][0]["value"] == {"low": None, "central": 60, "high": None}
    assert skill["value"]["central"] == 60 and value.json["rates_used"][0]["name"] == "Test skills rate"
    impact = admin_b.get(f"/api/v1/members/{b}/impact")
    assert impact.status_code == 200 and [p["member_id"] for p in impact.json["partners"]] == [a]
    assert next(row for row in impact.json["received"] if row["kind"] == "skill")["quantity"] == 3
    # The same figures as the pages: the services' own numbers.
    with app.test_request_context():
        report = social_value(db.session.get(Member, a), Period(None, None))
        statement = impact_statement(db.session.get(Member, b), Period(None, None))
        assert value.json["credits_earned"] == float(report.credits_earned)
        assert impact.json["balance"] == float(statement.balance)
    # A period: from after today counts nothing; an end before the start is a rule broken.
    later = staff_a.get(f"/api/v1/members/{a}/social-value?from={today() + timedelta(days=1)}").json
    assert later["person_hours"] == 0 and later["lines"] == []
    backwards = staff_a.get(f"/api/v1/members/{a}/impact?from=2027-02-01&to=2027-01-01")
    assert backwards.status_code == 422 and list(backwards.json["errors"]) == ["to"]
    # Another member's report is not yours to read.
    assert admin_b.get(f"/api/v1/members/{a}/social-value").status_code == 403


def test_a_members_data_as_its_csv_downloads_have_it(api, world, tokens):
    a, listing = world.ids["member_a"], world.ids["listing_a"]
    staff_a = api(tokens["staff_a"])
    listings = staff_a.get(f"/api/v1/members/{a}/exports/listings")
    assert listings.status_code == 200 and listings.json["columns"][:2] == ["id", "member_id"]
    rows = [dict(zip(listings.json["columns"], row)) for row in listings.json["rows"]]
    assert [(row["id"], row["title"], row["quantity"]) for row in rows] == [(listing, "Help with our accounts", 4)]
    assert staff_a.get(f"/api/v1/members/{a}/exports/postings").json["rows"] == []
    assert staff_a.get(f"/api/v1/members/{a}/exports/people").status_code == 404
    assert api(tokens["staff_b"]).get(f"/api/v1/members/{a}/exports/listings").status_code == 403
