"""The report pages as people use them: who may see what, the CSVs, the rates pages, erasure."""
from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal

from sqlalchemy import func, select

from tests.conftest import PASSWORD


def _csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_safe_cell_defuses_formulas():
    from timebank.reports.csv_export import csv_text, safe_cell

    for text in ("=1+1", "+44 151", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(text) == "'" + text
    assert safe_cell("Kirkby") == "Kirkby"
    assert safe_cell(Decimal("-3.50")) == "-3.50"  # a number stays a number
    assert csv_text(["a"], [["=HYPERLINK(\"http://x\")"]]).splitlines()[1] == '"\'=HYPERLINK(""http://x"")"'


def test_public_dashboard_shows_figures_without_names(client, history):
    page = client.get("/impact/").get_data(as_text=True)
    assert "recorded through the exchange" in page
    assert "Reports Member" not in page
    assert "data:image/svg+xml;base64," in page and "<table" in page
    assert "not valued: no rate set" in page
    assert "National Living Wage (21 and over)" in page and "https://www.gov.uk/national-minimum-wage-rates" in page


def test_bad_dates_are_shown_not_used(client, history):
    """Dates the wrong way round are answered beside the field, with no figures under them (never the
    whole sector's figures shown as if they were the period asked for: tests/reports/test_filters_wrong.py)."""
    response = client.get("/impact/?from=2026-02-01&to=2025-01-01")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The end date must be on or after the start date" in page
    assert "person-hours of time and skills given" not in page


def test_coordinator_dashboard_names_members_and_is_only_for_coordinators(client, auth, history):
    auth.login(history.admins[history.members[0]])
    assert client.get("/coordinator/impact").status_code == 403
    auth.logout()
    auth.login(history.coordinator)
    page = client.get("/coordinator/impact").get_data(as_text=True)
    assert "Members who gave the most time and skills" in page and "Reports Member" in page


def test_social_value_report_and_its_csv_agree(app, client, auth, history):
    business = history.members[3]
    auth.login(history.admins[business])
    page = client.get(f"/members/{business}/social-value").get_data(as_text=True)
    assert "NT17: no licensed value entered" in page
    assert "Signed off by Reports Member" in page
    rows = _csv(client.get(f"/members/{business}/social-value?format=csv"))
    given = [leg for leg in history.legs if leg["giver"] == business]
    # One row per leg it gave, and per booking of its room and loan of its van.
    assert len(rows) == len(given) + len(history.bookings) + len(history.loans)
    assert {r["record"] for r in rows} == {"leg", "booking", "loan"}
    with app.test_request_context():
        from timebank.extensions import db
        from timebank.members.models import Member
        from timebank.reports.figures import Period
        from timebank.reports.social_value import social_value

        report = social_value(db.session.get(Member, business), Period())
    central = sum((Decimal(r["value_central_gbp"]) for r in rows if r["value_central_gbp"]), Decimal(0))
    assert central == report.given.band_total("central", ("time", "skill", "room", "equipment"))
    assert report.organisations_supported == len({leg["receiver"] for leg in given}
                                                 | {b["receiver"] for b in history.bookings + history.loans})
    # The outsider (St Helens, WA9 1AA) is the only receiver outside Knowsley.
    local_hours = sum(leg["quantity"] for leg in given if leg["kind"] in ("time", "skill")
                      and leg["receiver"] != history.members[4])
    assert report.local_hours == local_hours


def test_filled_licensed_slot_is_used(app, client, auth, history):
    from timebank.extensions import db
    from timebank.reports.models import ValuationRate

    auth.login(history.coordinator)
    with app.app_context():
        slot = db.session.scalar(select(ValuationRate).where(ValuationRate.measure_code == "NT17"))
        slot_id = slot.id
    form = {"name": "TOMs NT17 voluntary hours donated to VCSEs (hours)", "value": "1.50", "valid_from": "2025-04-01",
            "valid_to": "", "region": "UK", "source": "National TOMs", "source_url": "", "licence": "Our licence",
            "note": ""}
    response = client.post(f"/coordinator/rates/{slot_id}/versions/new", data=form, follow_redirects=True)
    assert "filled in from 1 April 2025" in response.get_data(as_text=True)
    giver = history.members[0]
    page = client.get(f"/members/{giver}/social-value").get_data(as_text=True)
    assert "NT17: valued with the licensed rate" in page


def test_rate_form_keeps_bad_input_and_saves_nothing(app, client, auth, history):
    from timebank.extensions import db
    from timebank.reports.models import ValuationRate

    auth.login(history.coordinator)
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(ValuationRate))
    response = client.post("/coordinator/rates/new", data={
        "name": "Equipment at an hourly rate", "band": "central", "kind": "equipment", "category_id": "",
        "value": "12.5x", "unit": "day", "measure_code": "", "valid_from": "2026-01-01", "region": "UK"})
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and "Enter the value in pounds" in page
    assert 'value="Equipment at an hourly rate"' in page
    response = client.post("/coordinator/rates/new", data={
        "name": "Equipment at an hourly rate", "band": "central", "kind": "equipment", "category_id": "",
        "value": "12.50", "unit": "hour", "measure_code": "", "valid_from": "2026-01-01", "region": "UK"})
    assert "Equipment is lent by the day" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ValuationRate)) == before


def test_only_its_own_people_see_a_members_reports(client, auth, history):
    business = history.members[3]
    auth.login(history.admins[history.members[0]])
    for url in (f"/members/{business}/social-value", f"/members/{business}/impact",
                f"/members/{business}/exports/legs.csv", f"/members/{business}/exports/all-our-data.zip",
                "/coordinator/exports/members.csv", "/coordinator/rates"):
        assert client.get(url).status_code == 403, url


def test_staff_are_not_offered_the_admins_download(app, client, auth, make_member, make_user):
    from timebank.extensions import db
    from timebank.members.models import Membership

    member, _ = make_member("Halewood Youth Club", admin_email="admin@exports.example")
    staff = make_user("staff@exports.example")
    with app.app_context():
        db.session.add(Membership(user_id=staff, member_id=member, role="staff"))
        db.session.commit()
    link = f"/members/{member}/exports/all-our-data.zip"
    auth.login("staff@exports.example")
    page = client.get(f"/members/{member}/exports").get_data(as_text=True)
    assert link not in page and client.get(link).status_code == 403
    assert "The admins of Halewood Youth Club can download everything we hold about it" in page
    auth.logout()
    auth.login("admin@exports.example")
    assert link in client.get(f"/members/{member}/exports").get_data(as_text=True)


def test_member_exports_hold_only_its_rows(client, auth, history):
    member = history.members[1]
    auth.login(history.admins[member])
    rows = _csv(client.get(f"/members/{member}/exports/legs.csv"))
    mine = [leg for leg in history.legs if member in (leg["giver"], leg["receiver"])]
    assert {int(r["id"]) for r in rows} >= {leg["id"] for leg in mine}
    assert all("Reports Member 1" in (r["giver"], r["receiver"]) for r in rows)
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/members/{member}/exports/all-our-data.zip").data))
    assert {"members.csv", "users.csv", "ledger_postings.csv", "legs.csv", "loans.csv", "README.txt"} <= set(
        archive.namelist())
    assert history.admins[member] in archive.read("users.csv").decode()


def test_erasing_a_person_keeps_the_ledger(app, client, auth, history):
    from timebank.accounts.models import User
    from timebank.extensions import db
    from timebank.ledger.models import Posting
    from timebank.ledger.services import balances

    email = history.admins[history.members[2]]
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == email))
        before = (db.session.scalar(select(func.count()).select_from(Posting)), balances(history.members))
    auth.login(history.coordinator)
    page = client.post(f"/coordinator/people/{user_id}/erase", data={"reason": ""}).get_data(as_text=True)
    assert "Enter the reason" in page
    page = client.post(f"/coordinator/people/{user_id}/erase", data={"reason": "Asked by email"}).get_data(as_text=True)
    assert "Check before you erase this person" in page and "Asked by email" in page
    with app.app_context():
        assert db.session.get(User, user_id).erased_at is None  # nothing happens before the check
    response = client.post(f"/coordinator/people/{user_id}/erase",
                           data={"reason": "Asked by email", "confirm": "yes"}, follow_redirects=True)
    assert f"Person {user_id} is erased" in response.get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, user_id)
        assert (user.email, user.display_name, user.phone) == (f"erased-{user_id}@invalid",
                                                               f"Erased person {user_id}", None)
        assert user.erased_at is not None and not user.memberships
        assert (db.session.scalar(select(func.count()).select_from(Posting)), balances(history.members)) == before
    auth.logout()
    assert "Signed in as" not in auth.login(email, PASSWORD).get_data(as_text=True)


def test_members_and_coordinators_find_their_reports_from_their_pages(client, auth, history):
    business, charity = history.members[3], history.members[0]
    auth.login(history.admins[business])
    page = client.get(f"/members/{business}").get_data(as_text=True)
    for link in (f"/members/{business}/social-value", f"/members/{business}/impact", f"/members/{business}/exports"):
        assert f'href="{link}"' in page
        assert client.get(link).status_code == 200
    auth.logout()
    auth.login(history.admins[charity])
    page = client.get(f"/members/{charity}").get_data(as_text=True)
    assert f'href="/members/{charity}/impact"' in page and f'href="/members/{charity}/exports"' in page
    assert "social-value" not in page  # the Social Value report is a business's
    auth.logout()
    auth.login(history.coordinator)
    page = client.get("/coordinator/").get_data(as_text=True)
    for link in ("/coordinator/impact", "/coordinator/rates", "/coordinator/exports", "/coordinator/people"):
        assert f'href="{link}"' in page
        assert client.get(link).status_code == 200
