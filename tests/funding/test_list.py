"""The coordinators' list of programmes, funds and grants: add, change, list members; bad input; audit."""
from __future__ import annotations

from sqlalchemy import func, select


def _count(app, model):
    from timebank.extensions import db

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_a_coordinator_adds_a_grant_and_its_members(app, client, auth, funding):
    from timebank.audit.models import AuditEvent
    from timebank.extensions import db
    from timebank.funding.models import FundingTag

    auth.login(funding.coordinator)
    response = client.post("/coordinator/funding/new", data={
        "code": " kirkby-arts 27 ", "name": "Arts in Kirkby", "kind": "grant", "funder": "Arts Council England",
        "starts_on": "2027-01-01", "ends_on": "2027-12-31", "open_to_all": "listed"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "KIRKBY-ARTS27 added" in page and "Arts Council England" in page
    with app.app_context():
        tag = db.session.scalar(select(FundingTag).where(FundingTag.code == "KIRKBY-ARTS27"))
        assert tag.name == "Arts in Kirkby" and not tag.open_to_all
        tag_id = tag.id
    page = client.post(f"/coordinator/funding/{tag_id}/members", data={"member_id": str(funding.b)},
                       follow_redirects=True).get_data(as_text=True)
    assert "Halewood Youth Club may now tag" in page
    page = client.post(f"/coordinator/funding/{tag_id}/members", data={"member_id": str(funding.b)},
                       follow_redirects=True).get_data(as_text=True)
    assert "Choose a member" in page  # B is no longer offered: already part of it
    client.post(f"/coordinator/funding/{tag_id}/edit", data={
        "code": "KIRKBY-ARTS27", "name": "Arts in Kirkby and Northwood", "kind": "grant",
        "funder": "Arts Council England", "starts_on": "2027-01-01", "ends_on": "", "open_to_all": "listed"})
    page = client.get(f"/coordinator/funding/{tag_id}").get_data(as_text=True)
    assert "Arts in Kirkby and Northwood" in page and "from 1 January 2027" in page
    # Every change is in the audit log, and on the page's history.
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.subject_type == "funding_tags", AuditEvent.subject_id == tag_id).order_by(AuditEvent.id)).all()
        changed = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "funding.changed",
                                                             AuditEvent.subject_id == tag_id))
        assert actions == ["funding.created", "funding.member_added", "funding.changed"]
        assert changed.details["changes"]["name"] == ["Arts in Kirkby", "Arts in Kirkby and Northwood"]
        assert changed.details["changes"]["ends_on"] == ["2027-12-31", None]
    assert "Halewood Youth Club is part of KIRKBY-ARTS27" in page
    client.post(f"/coordinator/funding/{tag_id}/members/{funding.b}/remove")
    with app.app_context():
        assert not db.session.get(FundingTag, tag_id).members


def test_bad_input_is_shown_beside_each_field_keeps_what_was_typed_and_saves_nothing(app, client, auth, funding):
    from timebank.funding.models import FundingTag

    auth.login(funding.coordinator)
    before = _count(app, FundingTag)
    page = client.post("/coordinator/funding/new", data={
        "code": "", "name": "<b>Bold</b> plans", "kind": "loan", "funder": "", "starts_on": "2027-13-01",
        "ends_on": "", "open_to_all": "listed"}).get_data(as_text=True)
    assert "There is a problem" in page
    for message in ("Enter a short code", "Enter the funder", "Enter a real date, like", "Not a valid choice"):
        assert message in page, message
    assert 'value="&lt;b&gt;Bold&lt;/b&gt; plans"' in page  # kept, and escaped
    page = client.post("/coordinator/funding/new", data={
        "code": "NLCF-FOOD-26", "name": "Another", "kind": "fund", "funder": "Someone", "starts_on": "2027-01-01",
        "ends_on": "2026-01-01", "open_to_all": "all"}).get_data(as_text=True)
    assert "The end date must be on or after the start date" in page
    page = client.post("/coordinator/funding/new", data={
        "code": "nlcf-food-26", "name": "Another", "kind": "fund", "funder": "Someone", "starts_on": "2027-01-01",
        "ends_on": "", "open_to_all": "all"}).get_data(as_text=True)
    assert "NLCF-FOOD-26 is already the code of \u201cFood resilience in Kirkby\u201d" in page
    assert 'id="code-error"' in page and 'value="nlcf-food-26"' in page
    page = client.post("/coordinator/funding/new", data={
        "code": "bad code!", "name": "Another", "kind": "fund", "funder": "Someone", "starts_on": "2027-01-01",
        "ends_on": "", "open_to_all": "all"}).get_data(as_text=True)
    assert "Enter a code of 2 to 20 letters, numbers and hyphens" in page
    assert _count(app, FundingTag) == before
    page = client.post(f"/coordinator/funding/{funding.grant}/members", data={"member_id": "999999"}).get_data(as_text=True)
    assert "Choose a member from the list" in page
    page = client.post(f"/coordinator/funding/{funding.grant}/members", data={"member_id": "x"}).get_data(as_text=True)
    assert "Choose a member to add" in page
    assert client.get("/coordinator/funding/999999").status_code == 404


def test_only_coordinators_keep_the_list(app, client, auth, funding):
    auth.login(funding.admin_a)
    assert client.get("/coordinator/funding").status_code == 403
    assert client.post("/coordinator/funding/new", data={"code": "X1"}).status_code == 403


def test_the_same_new_tag_submitted_twice_at_once_is_a_conflict_beside_the_code(app, funding):
    """A double click: both requests pass the "code taken?" check before either writes."""
    from datetime import date

    import pytest

    from tests.races import committed_first
    from timebank.accounts.models import User
    from timebank.errors import Conflict
    from timebank.extensions import db
    from timebank.funding import services
    from timebank.funding.models import FundingTag

    values = {"code": "HAF-26", "name": "Holiday activities and food", "kind": "programme",
              "funder": "Knowsley Council", "starts_on": date(2026, 7, 1), "ends_on": None, "open_to_all": True}
    before = _count(app, FundingTag)
    with app.test_request_context():
        coordinator = db.session.scalar(select(User).where(User.email == funding.coordinator))
        with committed_first(FundingTag, values), pytest.raises(Conflict, match="HAF-26 is already the code") as twice:
            services.create_tag(coordinator, **values)
        assert twice.value.field == "code" and twice.value.status_code == 409
        db.session.rollback()
    assert _count(app, FundingTag) == before + 1


def test_the_same_member_added_twice_at_once_is_a_conflict(app, funding):
    import pytest

    from tests.races import committed_first
    from timebank.accounts.models import User
    from timebank.errors import Conflict
    from timebank.extensions import db
    from timebank.funding import services
    from timebank.funding.models import FundingTag, FundingTagMember
    from timebank.members.models import Member

    before = _count(app, FundingTagMember)
    with app.test_request_context():
        coordinator = db.session.scalar(select(User).where(User.email == funding.coordinator))
        tag, member = db.session.get(FundingTag, funding.grant), db.session.get(Member, funding.b)
        tag.members  # noqa: B018 (loaded before the other request adds B)
        with committed_first(FundingTagMember, {"tag_id": tag.id, "member_id": member.id}), \
                pytest.raises(Conflict, match="Halewood Youth Club is already part of NLCF-FOOD-26") as twice:
            services.add_member(tag, coordinator, member)
        assert twice.value.field == "member_id"
        db.session.rollback()
    assert _count(app, FundingTagMember) == before + 1


def test_too_long_a_code_or_name_is_refused_beside_it_not_cut(app, client, auth, funding):
    """What the walk saw saved as 20 and 200 characters was the browser's maxlength cutting it: sent
    whole, it is refused beside the field, kept, and nothing is saved."""
    from timebank.funding.models import FundingTag

    auth.login(funding.coordinator)
    before = _count(app, FundingTag)
    page = client.post("/coordinator/funding/new", data={
        "code": "X" * 300, "name": "N" * 1000, "kind": "fund", "funder": "Someone", "starts_on": "2027-01-01",
        "ends_on": "", "open_to_all": "all"}).get_data(as_text=True)
    assert "Code must be 20 characters or fewer" in page and "Name must be 200 characters or fewer" in page
    assert 'value="' + "X" * 300 + '"' in page and _count(app, FundingTag) == before
