"""Case studies: written about a completed exchange, shown in reports only while the other side agrees;
plain text, length-limited, no contact details; bad input kept beside its field and nothing saved."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select


@dataclass
class Story:
    giver: int
    receiver: int
    outsider: int
    exchange: int
    leg: int
    admin_giver: str = "admin@giver.example"
    admin_receiver: str = "admin@receiver.example"
    admin_outsider: str = "admin@outsider.example"
    coordinator: str = "coord@stories.example"


@pytest.fixture()
def story(app, make_member, make_user):
    from seed.rates import load_rates
    from timebank.exchanges.models import Exchange, Leg, Party
    from timebank.extensions import db

    giver, _ = make_member("Merseyside Accountants", type="business", admin_email="admin@giver.example")
    receiver, _ = make_member("Kirkby Food Bank", admin_email="admin@receiver.example")
    outsider, _ = make_member("Halewood Youth Club", admin_email="admin@outsider.example")
    make_user("coord@stories.example", coordinator=True)
    with app.test_request_context():
        load_rates(log=lambda *_: None)
        when = datetime(2025, 9, 10, 12)
        exchange = Exchange(shape="direct", status="completed", story="Books done", completed_at=when)
        exchange.parties = [Party(member_id=giver, status="accepted"), Party(member_id=receiver, status="accepted")]
        leg = Leg(position=0, giver_member_id=giver, receiver_member_id=receiver, kind="skill", is_gift=True,
                  description="Year-end accounts", hours=Decimal(6), people=1, status="confirmed", actual_hours=Decimal(6),
                  actual_people=1, confirmed_at=when)
        exchange.legs = [leg]
        db.session.add(exchange)
        db.session.commit()
        return Story(giver, receiver, outsider, exchange.id, leg.id)


def _count(app):
    from timebank.case_studies.models import CaseStudy
    from timebank.extensions import db

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(CaseStudy))


def _write(client, story, text, kind="quote"):
    return client.post(f"/exchanges/{story.exchange}/case-studies/new",
                       data={"part": f"{story.leg}-{story.giver}", "kind": kind, "text": text}, follow_redirects=True)


@pytest.mark.parametrize(("data", "message"), [
    ({"kind": "quote", "text": ""}, "Write the outcome or the quote"),
    ({"kind": "quote", "text": "x" * 601}, "Write 600 characters or fewer"),
    ({"kind": "quote", "text": "Ring Jo on jo.bloggs@example.org about it"}, "Take out the email address"),
    ({"kind": "outcome", "text": "Call 0151 443 2000 for the books"}, "Take out the phone number"),
    ({"kind": "poem", "text": "A fine job"}, "Not a valid choice"),
    ({"kind": "quote", "text": "A fine job", "part": "999999-1"}, "Choose the help it is about from the list"),
    ({"kind": "quote", "text": "A fine job", "part": "nonsense"}, "Choose the help it is about from the list"),
])
def test_bad_input_is_shown_beside_the_field_kept_and_nothing_is_saved(app, client, auth, story, data, message):
    auth.login(story.admin_giver)
    sent = {"part": f"{story.leg}-{story.giver}", **data}
    page = client.post(f"/exchanges/{story.exchange}/case-studies/new", data=sent).get_data(as_text=True)
    assert "There is a problem" in page and message in page
    if data["text"] and len(data["text"]) < 100:
        assert data["text"] in page  # what was typed is kept
    assert _count(app) == 0


def test_the_form_says_not_to_write_personal_details(client, auth, story):
    auth.login(story.admin_giver)
    page = client.get(f"/exchanges/{story.exchange}/case-studies/new").get_data(as_text=True)
    assert "Do not write anyone&#39;s name, contact details, health or other personal details" in page
    assert 'maxlength="600"' in page


def test_shown_in_reports_only_while_the_other_side_agrees(app, client, auth, story, mailbox):
    from tests.reports.test_documents import _pdf
    from timebank.notifications.models import Notification
    from timebank.extensions import db

    auth.login(story.admin_giver)
    page = _write(client, story, "They <b>saved</b> our   Christmas\nappeal, said one of our volunteers").get_data(as_text=True)
    assert "Kirkby Food Bank is asked whether reports may show it" in page
    assert "They &lt;b&gt;saved&lt;/b&gt; our Christmas appeal" in page  # escaped, one paragraph
    assert "Waiting for their answer" in page
    report = client.get(f"/members/{story.giver}/social-value").get_data(as_text=True)
    assert "Christmas appeal" not in report  # not agreed yet
    with app.app_context():
        asked = db.session.scalar(select(Notification).where(Notification.topic == "exchanges"))
        assert "asks whether reports may show it" in asked.text and asked.url.endswith("/consent")
    assert any("asks whether reports may show it" in m["Subject"] for m in mailbox.to(story.admin_receiver))
    case_url = asked.url
    # The author cannot answer for the other side.
    page = client.post(case_url, data={"agree": "yes"}).get_data(as_text=True)
    assert "Save my answer" not in page
    auth.logout()

    auth.login(story.admin_receiver)
    page = client.get(case_url).get_data(as_text=True)
    assert "May reports show this case study?" in page and "&lt;b&gt;saved&lt;/b&gt;" in page
    page = client.post(case_url, data={}).get_data(as_text=True)
    assert "Choose yes or no" in page
    client.post(case_url, data={"agree": "yes"})
    impact = client.get(f"/members/{story.receiver}/impact").get_data(as_text=True)
    assert "Case studies" in impact and "&lt;b&gt;saved&lt;/b&gt; our Christmas appeal" in impact
    auth.logout()

    auth.login(story.admin_giver)
    report = client.get(f"/members/{story.giver}/social-value").get_data(as_text=True)
    assert "Quote from Merseyside Accountants" in report and "Christmas appeal" in report
    _, text = _pdf(client.get(f"/members/{story.giver}/social-value?format=pdf"))
    assert "Christmas appeal" in text and "Case studies" in text
    auth.logout()
    assert "Christmas appeal" not in client.get("/impact/").get_data(as_text=True)  # never public
    auth.login(story.coordinator)
    assert "Christmas appeal" in client.get("/coordinator/impact").get_data(as_text=True)
    auth.logout()

    # The other side withdraws: gone from every report.
    auth.login(story.admin_receiver)
    client.post(case_url, data={"agree": "no"})
    assert "Christmas appeal" not in client.get(f"/members/{story.receiver}/impact").get_data(as_text=True)
    client.post(case_url, data={"agree": "yes"})
    auth.logout()
    # The author changes its words: asked again, not shown until agreed again.
    auth.login(story.admin_giver)
    case_id = int(case_url.split("/")[2])
    page = client.post(f"/case-studies/{case_id}/edit", data={"kind": "outcome", "text": "Our books were done on time"},
                       follow_redirects=True).get_data(as_text=True)
    assert "asked again" in page
    report = client.get(f"/members/{story.giver}/social-value").get_data(as_text=True)
    assert "books were done on time" not in report and "Christmas appeal" not in report
    with app.app_context():
        from timebank.audit.models import AuditEvent

        actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "case_studies")
                                     .order_by(AuditEvent.id)).all()
    assert actions == ["case_study.written", "case_study.consent_given", "case_study.consent_withdrawn",
                       "case_study.consent_given", "case_study.changed"]


def test_who_may_see_answer_and_delete(app, client, auth, story):
    auth.login(story.admin_giver)
    _write(client, story, "A fine job, done early")
    case_id = 1
    with app.app_context():
        from timebank.case_studies.models import CaseStudy
        from timebank.extensions import db

        case_id = db.session.scalar(select(CaseStudy.id))
    page = _write(client, story, "Another one").get_data(as_text=True)
    assert "has already written about this help" in page
    auth.logout()
    auth.login(story.admin_outsider)  # not a side of the help: nothing to see
    assert client.get(f"/case-studies/{case_id}/consent").status_code == 404
    assert client.get(f"/exchanges/{story.exchange}/case-studies/new").status_code == 404
    auth.logout()
    auth.login(story.admin_receiver)  # the other side answers it but may not delete it: 403, not a redirect
    refused = client.post(f"/case-studies/{case_id}/remove")
    assert refused.status_code == 403
    assert "can delete its case study" in refused.get_data(as_text=True)
    assert _count(app) == 1
    auth.logout()
    auth.login(story.coordinator)  # sees it, cannot agree for a member, can delete it
    page = client.post(f"/case-studies/{case_id}/consent", data={"agree": "yes"}).get_data(as_text=True)
    assert "Save my answer" not in page
    with app.app_context():
        from timebank.case_studies.models import CaseStudy
        from timebank.extensions import db

        assert db.session.get(CaseStudy, case_id).consent == "asked"
    page = client.post(f"/case-studies/{case_id}/remove", follow_redirects=True).get_data(as_text=True)
    assert "Case study deleted" in page
    assert _count(app) == 0


def test_only_completed_exchanges_take_case_studies(app, client, auth, story):
    from timebank.exchanges.models import Exchange
    from timebank.extensions import db

    with app.app_context():
        db.session.get(Exchange, story.exchange).status = "scheduled"
        db.session.commit()
    auth.login(story.admin_giver)
    assert client.get(f"/exchanges/{story.exchange}/case-studies/new").status_code == 404
    assert "Write a case study" not in client.get(f"/exchanges/{story.exchange}").get_data(as_text=True)


def test_erasing_a_person_deletes_the_case_studies_they_wrote_and_takes_their_name_out_of_others(app, story):
    """A case study is someone's words, perhaps their story: erasure (timebank/privacy/erasure.py)
    deletes those the person wrote and replaces their name in those others wrote about them."""
    from timebank.accounts.models import User
    from timebank.case_studies import services
    from timebank.case_studies.models import CaseStudy
    from timebank.exchanges.models import Leg
    from timebank.extensions import db
    from timebank.members.models import Member
    from timebank.privacy.erasure import erase_person, pseudonym

    with app.test_request_context():
        writer = db.session.scalar(select(User).where(User.email == story.admin_giver))
        other = db.session.scalar(select(User).where(User.email == story.admin_receiver))
        writer.display_name, other.display_name = "Rosalind Featherstonehaugh", "Dev Okonjo"
        leg = db.session.get(Leg, story.leg)
        theirs = services.write(writer, leg, db.session.get(Member, story.giver), "outcome",
                                "Our accountant sat with the food bank's treasurer for a morning")
        about_them = services.write(other, leg, db.session.get(Member, story.receiver), "quote",
                                    "Rosalind Featherstonehaugh made our year-end painless")
        services.answer(about_them, writer, True)
        db.session.commit()
        theirs_id, about_them_id, writer_id = theirs.id, about_them.id, writer.id
        coordinator = db.session.scalar(select(User).where(User.email == story.coordinator))

        done = erase_person(db.session.get(User, writer_id), coordinator, "Her request of 1 December")
        db.session.commit()

        assert done.removed["case_studies"] == 1
        assert db.session.get(CaseStudy, theirs_id) is None
        kept = db.session.get(CaseStudy, about_them_id)
        assert kept.text == f"{pseudonym(writer_id)} made our year-end painless"
        assert "Featherstonehaugh" not in kept.text and done.rewritten["case_studies"] == 1
        assert kept.consent == "given"  # the other member's agreement stands; the text no longer names her


def _zip_csv(response, name: str) -> list[dict]:
    import csv
    import io
    import zipfile

    assert response.status_code == 200, response.status_code
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    if f"{name}.csv" not in archive.namelist():
        return []
    return list(csv.DictReader(io.StringIO(archive.read(f"{name}.csv").decode("utf-8-sig"))))


def test_both_members_downloads_and_the_writers_own_hold_the_case_study_and_an_outsiders_do_not(
        app, client, auth, story):
    """Right of access (timebank/privacy/downloads.py): the case study is the author's and the other side's."""
    from timebank.accounts.models import User
    from timebank.case_studies import services
    from timebank.exchanges.models import Leg
    from timebank.extensions import db
    from timebank.members.models import Member

    with app.test_request_context():
        writer = db.session.scalar(select(User).where(User.email == story.admin_giver))
        case = services.write(writer, db.session.get(Leg, story.leg), db.session.get(Member, story.giver), "outcome",
                              "The food bank's books were ready for its funder a month early")
        db.session.commit()
        case_id = case.id
    for email, member_id, expected in ((story.admin_giver, story.giver, [str(case_id)]),
                                       (story.admin_receiver, story.receiver, [str(case_id)]),
                                       (story.admin_outsider, story.outsider, [])):
        auth.login(email)
        rows = _zip_csv(client.get(f"/members/{member_id}/exports/all-our-data.zip"), "case_studies")
        assert [row["id"] for row in rows] == expected, email
        if expected:
            assert rows[0]["text"] == "The food bank's books were ready for its funder a month early"
            assert rows[0]["consent"] == "asked"
        auth.logout()
    auth.login(story.admin_giver)
    mine = _zip_csv(client.get("/account/my-data.zip"), "case_studies")
    assert [(row["id"], row["kind"]) for row in mine] == [(str(case_id), "outcome")]


def test_the_same_case_study_submitted_twice_at_once_is_a_conflict_beside_the_help(app, story):
    """A double click: both requests pass the "already written?" check before either writes."""
    from tests.races import committed_first
    from timebank.accounts.models import User
    from timebank.case_studies import services
    from timebank.case_studies.models import CaseStudy
    from timebank.errors import Conflict
    from timebank.exchanges.models import Leg
    from timebank.extensions import db
    from timebank.members.models import Member

    with app.test_request_context():
        writer = db.session.scalar(select(User).where(User.email == story.admin_giver))
        leg, giver = db.session.get(Leg, story.leg), db.session.get(Member, story.giver)
        first = {"leg_id": leg.id, "author_member_id": giver.id, "kind": "quote", "text": "A fine job", "consent": "asked"}
        with committed_first(CaseStudy, first), \
                pytest.raises(Conflict, match="has already written about this help") as twice:
            services.write(writer, leg, giver, "quote", "A fine job")
        assert twice.value.field == "leg_id" and twice.value.status_code == 409
        db.session.rollback()
    assert _count(app) == 1


def test_the_same_case_study_written_by_two_people_at_once_is_saved_once(app, story):
    """Two of the giver's people really at once (on PostgreSQL the second waits on the first's row at
    the unique index): one is saved, the other is told beside the help, never a 500."""
    from tests.races import run_overlapping
    from timebank.accounts.models import User
    from timebank.case_studies import services
    from timebank.errors import Conflict
    from timebank.exchanges.models import Leg
    from timebank.extensions import db
    from timebank.members.models import Member

    def write():
        writer = db.session.scalar(select(User).where(User.email == story.admin_giver))
        return services.write(writer, db.session.get(Leg, story.leg), db.session.get(Member, story.giver), "quote",
                              "A fine job").id

    one, two = run_overlapping(app, write, write)
    assert [w.error for w in (one, two)].count(None) == 1, (one.error, two.error)
    loser = one if one.error else two
    assert isinstance(loser.error, Conflict) and loser.error.field == "leg_id", repr(loser.error)
    assert "has already written about this help" in loser.error.message
    assert _count(app) == 1


def test_load_case_study_missing_not_seen_not_allowed_and_allowed(app, story):
    from timebank.accounts.models import User
    from timebank.case_studies import services
    from timebank.errors import NotAllowed, NotFound
    from timebank.exchanges.models import Leg
    from timebank.extensions import db
    from timebank.members.models import Member

    with app.test_request_context():
        person = {email: db.session.scalar(select(User).where(User.email == email)) for email in
                  (story.admin_giver, story.admin_receiver, story.admin_outsider, story.coordinator)}
        case = services.write(person[story.admin_giver], db.session.get(Leg, story.leg),
                              db.session.get(Member, story.giver), "quote", "Our books were done in a day")
        with pytest.raises(NotFound, match="There is no case study 999999"):
            services.load_case_study(999999, person[story.coordinator])
        with pytest.raises(NotFound, match=f"There is no case study {case.id}"):  # not its help: as good as missing
            services.load_case_study(case.id, person[story.admin_outsider])
        with pytest.raises(NotAllowed, match="Only Merseyside Accountants's own people can change its case studies"):
            services.load_case_study(case.id, person[story.admin_receiver], need="change")
        assert services.load_case_study(case.id, person[story.admin_receiver]) is case
        assert services.load_case_study(case.id, person[story.coordinator]) is case
        assert services.load_case_study(case.id, person[story.admin_giver], need="change") is case
