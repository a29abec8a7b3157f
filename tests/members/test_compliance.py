"""Compliance records: add, change, delete, warnings before they lapse, and DBS records deleted after 6 months."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from timebank.db import today
from timebank.extensions import db
from timebank.members.models import ComplianceRecord
from timebank.members.compliance import add_months, dbs_delete_on


def _records(app, member_id: int) -> list[ComplianceRecord]:
    with app.app_context():
        return list(db.session.scalars(select(ComplianceRecord).where(ComplianceRecord.member_id == member_id)
                                       .order_by(ComplianceRecord.id)))


def _iso(day: date) -> str:
    return day.isoformat()


@pytest.fixture()
def signed_in_admin(client, auth, make_member):
    member_id, _ = make_member("Kirkby Community Food Bank", admin_email="admin@foodbank.example")
    auth.login("admin@foodbank.example")
    return member_id


def test_insurance_is_added_listed_changed_and_deleted(client, app, signed_in_admin):
    member_id = signed_in_admin
    ends = today() + timedelta(days=200)
    client.post(f"/members/{member_id}/compliance/new/insurance",
                data={"insurer": "Community Mutual", "cover_amount": "£5,000,000", "expires_on": _iso(ends)})
    page = client.get(f"/members/{member_id}/compliance").data.decode()
    assert "Community Mutual" in page and "£5,000,000" in page and "Up to date" in page
    [record] = _records(app, member_id)
    client.post(f"/members/{member_id}/compliance/{record.id}/edit",
                data={"insurer": "Merseyside Mutual", "cover_amount": "10000000", "expires_on": _iso(ends)})
    assert _records(app, member_id)[0].insurer == "Merseyside Mutual"
    confirm = client.get(f"/members/{member_id}/compliance/{record.id}/delete")
    assert b"This cannot be undone" in confirm.data and _records(app, member_id)
    client.post(f"/members/{member_id}/compliance/{record.id}/delete")
    assert _records(app, member_id) == []


def test_bad_insurance_input_is_shown_beside_the_fields_and_nothing_is_saved(client, app, signed_in_admin):
    member_id = signed_in_admin
    response = client.post(f"/members/{member_id}/compliance/new/insurance",
                           data={"insurer": "Community Mutual", "cover_amount": "lots", "expires_on": ""})
    page = response.data.decode()
    assert response.status_code == 200 and "There is a problem" in page
    assert "Enter the amount of cover in pounds" in page and "Enter the date the cover ends" in page
    assert 'value="Community Mutual"' in page and 'value="lots"' in page
    started, ended = today(), today() - timedelta(days=1)
    backwards = client.post(f"/members/{member_id}/compliance/new/insurance",
                            data={"insurer": "X", "issued_on": _iso(started), "expires_on": _iso(ended)})
    assert b"The cover must end after it starts" in backwards.data
    assert _records(app, member_id) == []


@pytest.mark.parametrize("days, tag", [(-1, "Expired"), (0, "Expires soon"), (30, "Expires soon"), (31, "Up to date")])
def test_insurance_warns_from_30_days_before_it_ends(client, app, signed_in_admin, days, tag):
    member_id = signed_in_admin
    client.post(f"/members/{member_id}/compliance/new/insurance",
                data={"insurer": "Community Mutual", "expires_on": _iso(today() + timedelta(days=days))})
    assert tag in client.get(f"/members/{member_id}/compliance").data.decode()
    dashboard = client.get("/dashboard").data.decode()
    assert ("Public liability insurance: Community Mutual" in dashboard) == (tag != "Up to date")


def test_safeguarding_review_due_shows_on_the_dashboard(client, app, signed_in_admin):
    member_id = signed_in_admin
    missing = client.post(f"/members/{member_id}/compliance/new/safeguarding", data={"policy_held": "yes"})
    assert b"Enter the date the policy is next due for review" in missing.data
    client.post(f"/members/{member_id}/compliance/new/safeguarding",
                data={"policy_held": "yes", "expires_on": _iso(today() + timedelta(days=10))})
    dashboard = client.get("/dashboard").data.decode()
    assert "1 record needs your attention" in dashboard and "Review due soon" in dashboard


def test_a_dbs_record_counts_people_and_keeps_no_image_and_no_certificate_number(client, app, signed_in_admin):
    member_id = signed_in_admin
    form = client.get(f"/members/{member_id}/compliance/new/dbs").data.decode()
    assert 'type="file"' not in form and "Certificate number" not in form
    assert "A role or initials" in form and "Never full names" in form
    issued, decided = today() - timedelta(days=20), today() - timedelta(days=10)
    client.post(f"/members/{member_id}/compliance/new/dbs", data={
        "holder": "Volunteer drivers", "people": "6", "dbs_level": "enhanced", "certificate_number": "001234567890",
        "issued_on": _iso(issued), "decision": "Suitable to drive the minibus", "decided_on": _iso(decided)})
    [record] = _records(app, member_id)
    assert (record.people, record.certificate_number, record.decided_on) == (6, None, decided)
    page = client.get(f"/members/{member_id}/compliance").data.decode()
    assert "Volunteer drivers" in page and "Enhanced" in page and "001234567890" not in page
    delete_on = add_months(decided, 6)
    assert f"{delete_on.day} {delete_on:%B %Y}" in page
    assert "6 months after your decision" in page


def test_no_certificate_number_is_kept_without_a_documented_need(app, make_member):
    from timebank.accounts.models import User
    from timebank.errors import DomainError
    from timebank.members.models import Member
    from timebank.members.compliance import add_compliance_record

    member_id, admin_id = make_member()
    with app.test_request_context():
        with pytest.raises(DomainError, match="We do not keep DBS certificate numbers") as error:
            add_compliance_record(db.session.get(Member, member_id), db.session.get(User, admin_id), kind="dbs",
                                  holder="Cooks", people=2, dbs_level="basic", certificate_number="001234567890",
                                  issued_on=today())
        assert error.value.field == "certificate_number"


def test_with_a_documented_need_the_number_is_kept_but_only_ever_shown_masked(client, app, signed_in_admin):
    app.config["DBS_CERTIFICATE_NEED"] = "Our insurer asks us to check certificates on the DBS update service."
    member_id = signed_in_admin
    form = client.get(f"/members/{member_id}/compliance/new/dbs").data.decode()
    assert "Certificate number" in form and "Our insurer asks us to check certificates" in form
    bad = client.post(f"/members/{member_id}/compliance/new/dbs", data={
        "holder": "J.S.", "people": "1", "dbs_level": "basic", "certificate_number": "12345",
        "issued_on": _iso(today())}).data.decode()
    assert "Enter the 12-digit certificate number" in bad and _records(app, member_id) == []
    client.post(f"/members/{member_id}/compliance/new/dbs", data={
        "holder": "J.S.", "people": "1", "dbs_level": "basic", "certificate_number": "0012 3456 7890",
        "issued_on": _iso(today())})
    [record] = _records(app, member_id)
    assert record.certificate_number == "001234567890"
    listed = client.get(f"/members/{member_id}/compliance").data.decode()
    edit = client.get(f"/members/{member_id}/compliance/{record.id}/edit").data.decode()
    for page in (listed, edit):
        assert "7890" in page and "00123456" not in page
    client.post(f"/members/{member_id}/compliance/{record.id}/edit", data={
        "holder": "J.S.", "people": "2", "dbs_level": "basic", "certificate_number": "", "issued_on": _iso(today())})
    assert [(r.people, r.certificate_number) for r in _records(app, member_id)] == [(2, "001234567890")]


@pytest.mark.parametrize("fields, message", [
    ({"people": ""}, "Enter how many people these checks cover"),
    ({"people": "0"}, "Enter how many people these checks cover, from 1 to 999"),
    ({"people": "six"}, "Enter how many people these checks cover, as a number"),
    ({"issued_on": "2099-01-01"}, "The issue date must be today or in the past"),
    ({"decision": "Suitable"}, "Enter the date of the decision"),
    ({"dbs_level": "platinum"}, "Not a valid choice"),
])
def test_bad_dbs_input_is_refused(client, app, signed_in_admin, fields, message):
    member_id = signed_in_admin
    data = {"holder": "Cook", "people": "1", "dbs_level": "basic", "issued_on": _iso(today() - timedelta(days=3)),
            **fields}
    page = client.post(f"/members/{member_id}/compliance/new/dbs", data=data).data.decode()
    assert message in page and 'value="Cook"' in page
    assert _records(app, member_id) == []


def test_a_dbs_decision_older_than_6_months_cannot_be_recorded(client, app, signed_in_admin):
    member_id = signed_in_admin
    old = add_months(today(), -7)
    page = client.post(f"/members/{member_id}/compliance/new/dbs", data={
        "holder": "Cook", "people": "1", "dbs_level": "basic", "issued_on": _iso(old), "decision": "Suitable",
        "decided_on": _iso(old)}).data.decode()
    assert "We keep DBS records for 6 months after the decision" in page
    assert _records(app, member_id) == []


def test_the_retention_job_deletes_dbs_records_6_months_after_the_decision(app, runner, make_member):
    member_id, _ = make_member()
    with app.app_context():
        def dbs(holder, issued, decided=None):
            db.session.add(ComplianceRecord(member_id=member_id, kind="dbs", dbs_level="basic", holder=holder, people=1,
                                            issued_on=issued, decided_on=decided, decision="Suitable" if decided else None))
        now = today()
        dbs("decided 6 months ago", add_months(now, -7), add_months(now, -6))
        dbs("decided 5 months ago", add_months(now, -8), add_months(now, -5))
        dbs("issued 7 months ago, no decision", add_months(now, -7))
        dbs("issued last week, no decision", now - timedelta(days=7))
        db.session.add(ComplianceRecord(member_id=member_id, kind="insurance", insurer="Old Insurer",
                                        expires_on=add_months(now, -12)))
        db.session.commit()
    result = runner.invoke(args=["jobs", "run", "retention"])
    assert result.exit_code == 0 and "dbs-records 2" in result.output
    kept = {r.holder or r.insurer for r in _records(app, member_id)}
    assert kept == {"decided 5 months ago", "issued last week, no decision", "Old Insurer"}
    assert "nothing past its period" in runner.invoke(args=["jobs", "run", "retention"]).output


@pytest.mark.parametrize("start, end", [(date(2026, 8, 31), date(2027, 2, 28)), (date(2027, 8, 31), date(2028, 2, 29)),
                                        (date(2026, 1, 15), date(2026, 7, 15)), (date(2026, 12, 1), date(2027, 6, 1))])
def test_six_months_after_a_decision(start, end):
    assert add_months(start, 6) == end
    assert dbs_delete_on(ComplianceRecord(kind="dbs", issued_on=start - timedelta(days=3), decided_on=start)) == end


def test_another_members_staff_cannot_see_or_change_the_records(client, auth, app, make_member, signed_in_admin):
    member_id = signed_in_admin
    client.post(f"/members/{member_id}/compliance/new/safeguarding",
                data={"policy_held": "yes", "expires_on": _iso(today() + timedelta(days=100))})
    [record] = _records(app, member_id)
    auth.logout()
    make_member(admin_email="other@example.org")
    auth.login("other@example.org")
    assert client.get(f"/members/{member_id}/compliance").status_code == 403
    assert client.post(f"/members/{member_id}/compliance/{record.id}/delete").status_code == 403
    assert len(_records(app, member_id)) == 1
