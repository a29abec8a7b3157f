"""Erasing a person: everything that identifies them goes, except pseudonymous rows the ledger and the
audit log need.

What identifies a person here: their user row (name, email, phone, password, sign-in record), the
rows that are only theirs (memberships, notifications, email settings, API tokens, invitations sent
to their address, their coordinator appointment, signed-in sessions and emailed links), the contact
details of an organisation that were theirs (a member's contact email equal to theirs, and the phone
given with it), mail sent about them (outbox files), and free text anyone wrote that names them,
gives their email or their phone.

Free text is found by reading every text column of every table (and the JSON of the audit log), so
a table added later is reached without anyone remembering to add it here. Names are replaced with
"Erased person N", emails and phones with "[email removed]" and "[phone removed]". The `users`
table is the one exception: only the erased person's own row changes (someone else may share the
name). The directory's search vocabulary, and SQLite's full-text index, are rebuilt so no old word
stays in them; PostgreSQL's full-text index is a generated column and follows the rows.

What is kept: the user row, pseudonymised ("Erased person N", erased-N@invalid, no password), while
ledger entries name it (the retention job deletes it once nothing needs it); ledger entries and
audit events they made, with their wording cleaned. docs/privacy.md says why.
"""
from __future__ import annotations

import json
import re
import secrets
from collections import Counter
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path

from flask import current_app
from sqlalchemy import JSON, String, Text, cast, delete, event, func, or_, select, text, update
from sqlalchemy.orm import Session

from timebank.accounts.models import AccountLink, Coordinator, LoginSession, User
from timebank.accounts.tokens import ApiToken
from timebank.audit.models import AuditEvent
from timebank.audit.services import record
from timebank.case_studies.models import CaseStudy
from timebank.db import Base, utcnow
from timebank.errors import Conflict, DomainError, NotAllowed
from timebank.extensions import db
from timebank.ledger.models import LedgerEntry
from timebank.members.models import Invitation, Member, Membership
from timebank.notifications.models import EmailPreference, Notification
from timebank.saved_searches.models import SavedSearch

EMAIL_REMOVED = "[email removed]"
PHONE_REMOVED = "[phone removed]"
_PHONE_SEPARATORS = r"[\s().-]*"


def pseudonym(user_id: int) -> str:
    return f"Erased person {user_id}"


# -- who the person is, as patterns in text ------------------------------------------------------

def _phone_pattern(phone: str) -> str | None:
    """A phone number however it was written: spaces, dashes, dots, brackets, +44 or 0."""
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("44") and len(digits) > 10:
        digits = "0" + digits[2:]
    if len(digits) < 6:
        return None
    if digits.startswith("0"):
        start, digits = rf"(?:\+{_PHONE_SEPARATORS}44{_PHONE_SEPARATORS}(?:\(0\){_PHONE_SEPARATORS})?|0)", digits[1:]
    else:
        start = ""
    return r"(?<![\d(])\(?" + start + _PHONE_SEPARATORS.join(digits) + r"(?!\d)"


@dataclass
class Identity:
    """The words that identify one person, and what each is replaced with."""

    user_id: int
    names: list[str]
    emails: list[str]
    phones: list[str]

    def __post_init__(self) -> None:
        self.names = _unique(" ".join(n.split()) for n in self.names if n and len(n.strip()) >= 2)
        self.emails = _unique(e.strip().lower() for e in self.emails if e and "@" in e)
        self.phones = _unique(p.strip() for p in self.phones if p and _phone_pattern(p))
        replacements = [(re.escape(e), EMAIL_REMOVED) for e in self.emails]
        replacements += [(_phone_pattern(p), PHONE_REMOVED) for p in self.phones]
        # Longest names first, so "Jane Smith" goes whole before "Jane" alone.
        replacements += [(r"\s+".join(map(re.escape, n.split())), pseudonym(self.user_id))
                         for n in sorted(self.names, key=len, reverse=True)]
        self._patterns = [(re.compile(rf"(?<![\w.+-]){p}(?![\w-]|\.\w)" if r == EMAIL_REMOVED
                                      else p if r == PHONE_REMOVED else rf"(?<!\w){p}(?!\w)", re.IGNORECASE), r)
                          for p, r in replacements]

    def scrub(self, value: str) -> str:
        for pattern, replacement in self._patterns:
            value = pattern.sub(replacement, value)
        return value

    def found_in(self, value: str) -> bool:
        return any(pattern.search(value) for pattern, _ in self._patterns)

    def like_terms(self) -> list[str]:
        """Plain strings one of which every matching text contains (the database narrows with them)."""
        terms = [*self.emails, *self.names]
        # Phones are written many ways; their last two digits are almost always side by side.
        terms += [re.sub(r"\D", "", p)[-2:] for p in self.phones]
        variants = set()
        for term in terms:
            for form in (term, term.lower(), term.upper(), term.title()):
                variants.add(form)
                variants.add(json.dumps(form)[1:-1])  # as the JSON columns store it (\u00eb for ë)
        return sorted(variants)


def _unique(values) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        if value and value.lower() not in {v.lower() for v in seen}:
            seen[value] = None
    return list(seen)


def identity_of(user: User, *, other_names: list[str] | None = None, phones: list[str] | None = None) -> Identity:
    """The person's own name, email and phone; the phone of any member whose contact email is theirs
    (they gave the pair); and whatever other names or numbers the coordinator adds."""
    member_phones = db.session.scalars(select(Member.contact_phone).where(
        func.lower(Member.contact_email) == user.email.lower(), Member.contact_phone.is_not(None))).all()
    return Identity(user.id, [user.display_name, *(other_names or [])], [user.email],
                    [user.phone or "", *member_phones, *(phones or [])])


# -- where the person appears -------------------------------------------------------------------

# Rows that are the person's own: deleted whole. (table, how to find them)
OWN_ROWS = {
    "memberships": lambda user: delete(Membership).where(Membership.user_id == user.id),
    "login_sessions": lambda user: delete(LoginSession).where(LoginSession.user_id == user.id),
    "account_links": lambda user: delete(AccountLink).where(AccountLink.user_id == user.id),
    "notifications": lambda user: delete(Notification).where(Notification.user_id == user.id),
    "email_preferences": lambda user: delete(EmailPreference).where(EmailPreference.user_id == user.id),
    "api_tokens": lambda user: delete(ApiToken).where(ApiToken.user_id == user.id),
    "saved_searches": lambda user: delete(SavedSearch).where(SavedSearch.user_id == user.id),  # their words, places
    "coordinators": lambda user: delete(Coordinator).where(Coordinator.user_id == user.id),
    # The outcomes and quotes they wrote: their words, perhaps their own story.
    "case_studies": lambda user: delete(CaseStudy).where(CaseStudy.written_by_id == user.id),
    "invitations": lambda user: delete(Invitation).where(func.lower(Invitation.email) == user.email.lower()),
}
TABLE_WORDS = {
    "memberships": ("place in an organisation", "places in organisations"),
    "login_sessions": ("signed-in session", "signed-in sessions"),
    "account_links": ("emailed link", "emailed links"),
    "notifications": ("notification", "notifications"),
    "email_preferences": ("email setting", "email settings"),
    "api_tokens": ("API token", "API tokens"),
    "saved_searches": ("saved search", "saved searches"),
    "coordinators": ("coordinator appointment", "coordinator appointments"),
    "case_studies": ("case study they wrote", "case studies they wrote"),
    "invitations": ("invitation", "invitations"),
}


def _text_columns():
    """(table, primary key column, text column) for every text or JSON column outside `users`."""
    for table in Base.metadata.sorted_tables:
        if table.name == "users" or len(table.primary_key.columns) != 1:
            continue
        key = next(iter(table.primary_key.columns))
        for column in table.columns:
            if isinstance(column.type, (String, Text, JSON)) and not column.foreign_keys:
                yield table, key, column


def texts_naming(identity: Identity):
    """(table, key, column, row id, value) for every text (outside `users`) that names the person."""
    terms = identity.like_terms()
    if not terms:
        return
    for table, key, column in _text_columns():
        as_text = cast(column, Text) if isinstance(column.type, JSON) else column
        for row_id, value in db.session.execute(
                select(key, column).where(or_(*(as_text.icontains(t, autoescape=True) for t in terms)))):
            if identity.found_in(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)):
                yield table, key, column, row_id, value


def _longest(column) -> int | None:
    """The most characters the column takes: its type's length, or a limit its table checks."""
    if getattr(column.type, "length", None):
        return column.type.length
    from timebank.conversations.models import MAX_LENGTH as MESSAGE_LENGTH

    return {("messages", "body"): MESSAGE_LENGTH}.get((column.table.name, column.name))


def _mentions(identity: Identity):
    """(table, key, column, row id, old value, new value) for every text that names the person. A
    replacement can be longer than what it replaces ("Jo Li" -> "Erased person 12"): a text that
    then overflows its column is cut to fit, so the erasure never fails on it."""
    for table, key, column, row_id, value in texts_naming(identity):
        new = _scrub_value(identity, value)
        longest = _longest(column)
        if isinstance(new, str) and longest and len(new) > longest:
            new = new[:longest - 1] + "…"
        if new != value:
            yield table, key, column, row_id, value, new


def _scrub_value(identity: Identity, value):
    if isinstance(value, str):
        return identity.scrub(value)
    if isinstance(value, list):
        return [_scrub_value(identity, v) for v in value]
    if isinstance(value, dict):
        return {k: _scrub_value(identity, v) for k, v in value.items()}
    return value


def _member_contacts(user: User, identity: Identity) -> list[Member]:
    """Members whose contact email or phone is the person's: the person gave them."""
    found = []
    for member in db.session.scalars(select(Member).where(or_(Member.contact_email.is_not(None),
                                                              Member.contact_phone.is_not(None)))):
        email_theirs = (member.contact_email or "").strip().lower() in identity.emails
        phone_theirs = bool(member.contact_phone) and any(
            re.fullmatch(_phone_pattern(p), member.contact_phone.strip()) for p in identity.phones)
        if email_theirs or phone_theirs:
            found.append(member)
    return found


def outbox_files(identity: Identity) -> list[Path]:
    """Files of the file mail backend (the development outbox) that were sent to or name the person."""
    if current_app.config.get("MAIL_BACKEND") != "file":
        return []
    folder = Path(current_app.config["MAIL_FILE_PATH"])
    if not folder.is_dir():
        return []
    return [path for path in sorted(folder.iterdir()) if path.is_file() and identity.found_in(mail_text(path))]


def mail_text(path: Path) -> str:
    """Everything readable in an outbox file: its raw text and every header and body part, decoded."""
    raw = path.read_bytes()
    parts = [raw.decode("utf-8", "replace")]
    for chunk in raw.split(b"\n" + b"-" * 79 + b"\n"):
        if not chunk.strip():
            continue
        message = message_from_bytes(chunk, policy=email_policy.default)
        parts += [str(value) for value in message.values()]
        for part in message.walk():
            if part.get_content_maintype() == "text":
                try:
                    parts.append(part.get_content())
                except (LookupError, ValueError):
                    continue
    return "\n".join(parts)


# -- the plan, and doing it ---------------------------------------------------------------------

@dataclass
class Erasure:
    """What erasing a person removes, rewrites and keeps: shown before, carried out, then told."""

    user_id: int
    removed: Counter = field(default_factory=Counter)         # table -> rows deleted
    rewritten: Counter = field(default_factory=Counter)       # table -> rows whose text changed
    contacts_cleared: list[str] = field(default_factory=list)  # member names
    outbox: list[Path] = field(default_factory=list)
    kept_ledger_entries: int = 0
    kept_audit_events: int = 0
    left_without_admin: list[str] = field(default_factory=list)

    def sentences(self) -> list[str]:
        """What happened (or will), in plain words, for the check page, the message and the log."""
        said = ["Their name, email, phone and password are removed: they show as "
                f"\u201c{pseudonym(self.user_id)}\u201d."]
        removed = [_count(n, *TABLE_WORDS[t]) for t, n in sorted(self.removed.items()) if n]
        if self.outbox:
            removed.append(_count(len(self.outbox), "outbox file", "outbox files"))
        if removed:
            said.append("Deleted: " + _and(removed) + ".")
        if self.contacts_cleared:
            said.append("Contact details they gave are cleared for " + _and(self.contacts_cleared) + ".")
        if self.rewritten:
            places = [f"{_label(t)} {n}" for t, n in sorted(self.rewritten.items())]
            records = _count(sum(self.rewritten.values()), "record", "records")
            said.append(f"Their name, email or phone is replaced in {records} ({', '.join(places)}); "
                        "the search index is rebuilt.")
        kept = []
        if self.kept_ledger_entries:
            kept.append(_count(self.kept_ledger_entries, "ledger entry", "ledger entries")
                        + " they made (the ledger must balance)")
        if self.kept_audit_events:
            kept.append(_count(self.kept_audit_events, "audit event", "audit events") + " about what they did "
                        "(kept 6 years to answer questions and complaints)")
        if kept:
            said.append(f"Kept under \u201c{pseudonym(self.user_id)}\u201d: " + _and(kept) + ".")
        if self.left_without_admin:
            said.append("No admin is left in " + _and(self.left_without_admin) + ": appoint one.")
        return said

    def counts(self) -> dict:
        return {"removed": dict(self.removed), "rewritten": dict(self.rewritten), "outbox_files": len(self.outbox),
                "contacts_cleared": len(self.contacts_cleared), "kept_ledger_entries": self.kept_ledger_entries,
                "kept_audit_events": self.kept_audit_events}


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _label(table_name: str) -> str:
    return table_name.replace("_", " ")


def plan_erasure(user: User, identity: Identity) -> Erasure:
    """What erasing would do, changing nothing."""
    plan = Erasure(user.id)
    for table, statement in OWN_ROWS.items():
        where = statement(user).whereclause
        plan.removed[table] = db.session.scalar(select(func.count()).select_from(
            Base.metadata.tables[table]).where(where)) or 0
    for table, _key, _column, row_id, _old, _new in _mentions(identity):
        plan.rewritten[(table.name, row_id)] += 1
    plan.rewritten = Counter(table for table, _ in plan.rewritten)
    plan.contacts_cleared = [m.name for m in _member_contacts(user, identity)]
    plan.outbox = outbox_files(identity)
    plan.kept_ledger_entries = db.session.scalar(select(func.count()).select_from(LedgerEntry).where(
        LedgerEntry.created_by_id == user.id)) or 0
    plan.kept_audit_events = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.actor_id == user.id)) or 0
    plan.left_without_admin = _left_without_admin(user)
    return plan


def _left_without_admin(user: User) -> list[str]:
    names = []
    for membership in db.session.scalars(select(Membership).where(Membership.user_id == user.id,
                                                                  Membership.role == "admin",
                                                                  Membership.status == "active")):
        others = db.session.scalar(select(func.count()).select_from(Membership).where(
            Membership.member_id == membership.member_id, Membership.role == "admin",
            Membership.status == "active", Membership.user_id != user.id))
        if not others:
            names.append(membership.member.name)
    return names


def erase_person(user: User, actor: User | None, reason: str, *, other_names: list[str] | None = None,
                 phones: list[str] | None = None) -> Erasure:
    """Erase a person: see the module's docstring. `actor` None is the retention job."""
    if actor is not None and not actor.is_coordinator:
        raise NotAllowed("Only a coordinator can erase a person")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Enter the reason (for example, the date of the person's erasure request)", field="reason")
    if len(reason) > 2000:
        raise DomainError("Reason must be 2,000 characters or fewer", field="reason")
    if actor is not None and user.id == actor.id:
        raise Conflict("You cannot erase yourself: ask another coordinator", field="reason")
    if user.erased_at is not None:
        raise Conflict("This person was already erased", field="reason")
    identity = identity_of(user, other_names=other_names, phones=phones)
    done = plan_erasure(user, identity)

    for member in _member_contacts(user, identity):
        if (member.contact_email or "").strip().lower() in identity.emails:
            member.contact_email = None
        member.contact_phone = None if member.contact_phone and identity.found_in(member.contact_phone) \
            else member.contact_phone
    for table, statement in OWN_ROWS.items():
        done.removed[table] = db.session.execute(statement(user)).rowcount or 0
    user.email = f"erased-{user.id}@invalid"
    user.display_name = pseudonym(user.id)
    user.password_hash = "!erased:" + secrets.token_hex(16)  # a hash of nothing anyone knows
    user.phone = None
    user.erased_at = utcnow()
    user.failed_logins, user.locked_until, user.last_login_at, user.email_confirmed_at = 0, None, None, None
    db.session.flush()
    # The audit entry goes in before the text is cleaned: the coordinator's reason may name the person.
    record(actor, "person.erased", user, f"Erased {pseudonym(user.id)}", reason=reason, **done.counts())
    db.session.flush()

    rewritten: Counter = Counter()
    listings_changed = False
    for table, key, column, row_id, _old, new in list(_mentions(identity)):
        db.session.execute(update(table).where(key == row_id).values({column.name: new}))
        rewritten[(table.name, row_id)] += 1
        listings_changed |= table.name == "listings"
    done.rewritten = Counter(table for table, _ in rewritten)
    if listings_changed:
        rebuild_search_index()
    db.session.expire_all()
    remove_after_commit(done.outbox)
    return done


def rebuild_search_index() -> None:
    """The directory's vocabulary (typo-tolerant search) afresh from the rewritten listings, and on
    SQLite the FTS5 index too, which keeps old words in its segments until rebuilt."""
    from timebank.listings.words import rebuild_vocabulary

    rebuild_vocabulary()
    if db.session.get_bind().dialect.name == "sqlite":
        from timebank.listings.search import FTS_TABLE

        db.session.execute(text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')"))


# -- files go once the erasure has committed ----------------------------------------------------

_FILES = "timebank.files_to_remove"


def remove_after_commit(paths: list[Path]) -> None:
    """Delete these files when the transaction commits (a rolled-back erasure leaves them)."""
    if paths:
        db.session().info.setdefault(_FILES, []).extend(paths)


@event.listens_for(Session, "after_commit")
def _remove_files(session: Session) -> None:
    for path in session.info.pop(_FILES, []):
        Path(path).unlink(missing_ok=True)


@event.listens_for(Session, "after_transaction_end")
def _keep_files(session: Session, transaction) -> None:
    if transaction.parent is None and not transaction.nested:
        session.info.pop(_FILES, None)
