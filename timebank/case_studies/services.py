"""Case studies: write one about help in a completed exchange, ask the other side, answer, change
or withdraw that answer, and read the ones reports may show.

The rules: a member's own people write about help their member gave or received in a completed
exchange (one each per part); the other side of that help is asked in the app and by email, and
only its people answer (a coordinator never agrees for a member); changing the text asks again;
the other side may withdraw its agreement at any time, and the author may delete its case study.
Reports show a case study only while the answer is yes. The text is plain (the pages escape it),
one paragraph of at most 600 characters, with no email address or phone number in it.
"""
from __future__ import annotations

import re

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from timebank.accounts.models import User
from timebank.audit.services import record
from timebank.case_studies.models import CASE_STUDY_KINDS, MAX_TEXT, CaseStudy
from timebank.db import utcnow
from timebank.errors import Conflict, DomainError, NotAllowed, NotFound
from timebank.exchanges.models import Exchange, Leg, exchange_page
from timebank.extensions import db
from timebank.members.models import Member
from timebank.members.access import membership_of
from timebank.notifications.links import Page
from timebank.notifications.services import notify_member

EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
# Eight or more digits, however spaced or punctuated: a phone number (or another personal number).
PHONE = re.compile(r"(?:\+?\d[\s().-]*){8,}")


def _belongs(actor: User, member: Member) -> bool:
    """The actor is one of the member's own people (a coordinator's role does not count here)."""
    return actor is not None and actor.is_authenticated and membership_of(actor, member) is not None


def clean(kind: str | None, text: str | None) -> tuple[str, str]:
    """The kind and the text, checked; each problem names its field."""
    if kind not in CASE_STUDY_KINDS:
        raise DomainError("Choose whether it is an outcome or a quote", field="kind")
    text = " ".join((text or "").split())
    if not text:
        raise DomainError("Write the outcome or the quote", field="text")
    if "\x00" in text:
        raise DomainError("Remove the NUL character", field="text")
    if len(text) > MAX_TEXT:
        raise DomainError(f"Write {MAX_TEXT} characters or fewer: this is {len(text):,}", field="text")
    if EMAIL.search(text):
        raise DomainError("Take out the email address: a case study gives nobody's contact details", field="text")
    if PHONE.search(text):
        raise DomainError("Take out the phone number (or other long number): a case study gives nobody's "
                          "contact details", field="text")
    return kind, text


def _describe(leg: Leg) -> str:
    return f"\u201c{leg.description}\u201d ({leg.giver.name} to {leg.receiver.name})"


def writable(actor: User, exchange: Exchange) -> list[tuple[Leg, Member]]:
    """The parts of a completed exchange the actor may write about, with the member it writes for."""
    if exchange.status != "completed":
        return []
    found = []
    for leg in exchange.legs:
        if leg.status != "confirmed":
            continue
        for member in (leg.giver, leg.receiver):
            if _belongs(actor, member):
                found.append((leg, member))
                break
    return found


def write(actor: User, leg: Leg, author: Member, kind: str, text: str) -> CaseStudy:
    """A new case study about `leg`, written for `author`; the other side is asked."""
    if leg.exchange.status != "completed" or leg.status != "confirmed":
        raise DomainError("Case studies are written once the exchange is completed", field="leg_id")
    if author.id not in (leg.giver_member_id, leg.receiver_member_id):
        raise DomainError("Choose help your organisation gave or received", field="leg_id")
    if not _belongs(actor, author):
        raise NotAllowed(f"Only {author.name}'s own people can write its case studies", field="leg_id")
    kind, text = clean(kind, text)
    def already_written() -> None:
        if db.session.scalar(select(CaseStudy.id).where(CaseStudy.leg_id == leg.id,
                                                        CaseStudy.author_member_id == author.id)):
            raise Conflict(f"{author.name} has already written about this help: change that one instead",
                           field="leg_id")

    already_written()
    case = CaseStudy(leg_id=leg.id, author_member_id=author.id, kind=kind, text=text, written_by_id=actor.id)
    try:
        with db.session.begin_nested():
            db.session.add(case)
            db.session.flush()
    except IntegrityError:
        already_written()  # another request (a double click) wrote it since the check
        raise
    _ask(case, actor, f"{author.name} wrote a case study about {_describe(leg)} and asks whether reports may show it")
    record(actor, "case_study.written", case, f"{author.name} wrote a case study about {leg.description}",
           member_id=author.id, other_member_id=case.other_member_id)
    return case


def _ask(case: CaseStudy, actor: User, text: str) -> None:
    case.consent, case.consent_by_id, case.consent_at = "asked", None, None
    db.session.flush()
    notify_member([case.other], "exchanges", f"{text}. Read it and answer.", page=Page("case_studies.consent", case_id=case.id),
                  subject=f"{case.author.name} asks whether reports may show its case study")


def load_case_study(case_id: int, user: User, *, need: str = "view") -> CaseStudy:
    """The case study, for the people of the two sides of its help and coordinators (to anyone else it is
    as good as missing); `need="change"`: only its author's own people."""
    case = db.session.get(CaseStudy, case_id)
    if case is None or not may_see(user, case):
        raise NotFound(f"There is no case study {case_id}")
    if need == "change":
        _require_change(user, case)
    return case


def _require_change(actor: User, case: CaseStudy) -> None:
    if not may_change(actor, case):
        raise NotAllowed(f"Only {case.author.name}'s own people can change its case studies")


def change(case: CaseStudy, actor: User, kind: str, text: str) -> CaseStudy:
    """New words: the other side is asked again, and until it agrees the case study is not shown."""
    _require_change(actor, case)
    kind, text = clean(kind, text)
    if (kind, text) == (case.kind, case.text):
        return case
    case.kind, case.text, case.written_by_id, case.written_at = kind, text, actor.id, utcnow()
    _ask(case, actor, f"{case.author.name} changed its case study about {_describe(case.leg)} and asks again "
                      "whether reports may show it")
    record(actor, "case_study.changed", case, f"{case.author.name} changed its case study; {case.other.name} is "
           "asked again", member_id=case.author_member_id)
    return case


def remove(case: CaseStudy, actor: User) -> None:
    """The author (or a coordinator) deletes it: it is gone from every report."""
    if not (_belongs(actor, case.author) or actor.is_coordinator):
        raise NotAllowed(f"Only {case.author.name}'s own people (or a coordinator) can delete its case study")
    record(actor, "case_study.removed", case, f"Case study by {case.author.name} about {case.leg.description} deleted",
           member_id=case.author_member_id)
    db.session.delete(case)
    db.session.flush()


def answer(case: CaseStudy, actor: User, agree: bool) -> CaseStudy:
    """The other side's answer: yes shows it in reports; no refuses it, or withdraws a yes."""
    other = case.other
    if not _belongs(actor, other):
        raise NotAllowed(f"Only {other.name}'s own people can answer for it", field="agree")
    if agree:
        status = "given"
    else:
        status = "withdrawn" if case.consent == "given" else "refused"
    if status == case.consent:
        return case
    case.consent, case.consent_by_id, case.consent_at = status, actor.id, utcnow()
    db.session.flush()
    words = {"given": "agreed that reports may show", "refused": "did not agree to show",
             "withdrawn": "withdrew its agreement to show"}[status]
    record(actor, f"case_study.consent_{status}", case, f"{other.name} {words} the case study by {case.author.name}",
           member_id=other.id)
    notify_member([case.author], "exchanges", f"{other.name} {words} your case study about {_describe(case.leg)}.",
                  page=exchange_page(case.leg.exchange_id))
    return case


def of_exchange(exchange: Exchange, viewer: User) -> list[CaseStudy]:
    """The case studies about an exchange's help that `viewer` may see: the two sides' people and coordinators."""
    cases = db.session.scalars(select(CaseStudy).join(Leg, Leg.id == CaseStudy.leg_id)
                               .where(Leg.exchange_id == exchange.id).order_by(CaseStudy.id)).all()
    if viewer.is_coordinator:
        return list(cases)
    return [c for c in cases if _belongs(viewer, c.leg.giver) or _belongs(viewer, c.leg.receiver)]


def may_change(actor: User, case: CaseStudy) -> bool:
    """Its author's own people change its words."""
    return _belongs(actor, case.author)


def may_see(viewer: User, case: CaseStudy) -> bool:
    return viewer.is_coordinator or _belongs(viewer, case.leg.giver) or _belongs(viewer, case.leg.receiver)


def shown_in(period, member: Member | None = None, *, giver: bool | None = None) -> list[CaseStudy]:
    """The agreed case studies about the records of a report: `period` (its dates and cut), and
    `member`'s help (as giver, as receiver, or either when `giver` is None), newest help first."""
    from timebank.reports.figures import activity

    act = activity(period)
    legs = select(act.c.leg_id).where(act.c.leg_id.is_not(None))
    if member is not None:
        sides = {True: [act.c.giver_id == member.id], False: [act.c.receiver_id == member.id],
                 None: [act.c.giver_id == member.id, act.c.receiver_id == member.id]}[giver]
        legs = legs.where(or_(*sides))
    return list(db.session.scalars(
        select(CaseStudy).join(Leg, Leg.id == CaseStudy.leg_id)
        .where(CaseStudy.consent == "given", CaseStudy.leg_id.in_(legs))
        .order_by(Leg.confirmed_at.desc(), CaseStudy.id)))
