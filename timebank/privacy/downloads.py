"""Right of access: a person's own data, and a member's data with its people's, as a zip of CSV files.

Both downloads are built the same way, from the inventory (timebank/privacy/inventory.py): one CSV
file per table, named after it, with the columns the inventory gives in that order, and a
README.txt that says what each file and column is and what was left out and why. Which rows go in
is decided below, table by table: `MEMBER_ROWS` for a member's download, `PERSON_ROWS` for a
person's. A test checks both against the schema, so a new table or column is never silently left
out. docs/privacy.md describes the format.
"""
from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

from sqlalchemy import Table, and_, func, literal, or_, select

from timebank.accounts.models import User
from timebank.audit.models import AuditEvent
from timebank.bookings.models import Booking, Loan
from timebank.db import Base, utcnow
from timebank.exchanges.models import Exchange, Leg, Party
from timebank.exchanges.visibility import shown_to_members
from timebank.extensions import db
from timebank.ledger.models import Account, LedgerEntry, Posting
from timebank.listings.models import Listing
from timebank.members.models import Asset, ComplianceRecord, Invitation, Member, Membership
from timebank.privacy.erasure import Identity, texts_naming
from timebank.privacy.inventory import BY_NAME, TABLES
from timebank.reports.csv_export import csv_text

Where = Callable[[int], object]


def _in(column, subquery):
    return column.in_(subquery)


def _member_rows() -> dict[str, Where | str]:
    """For each table: the rows about a member (a function of its id), or why there are none."""
    def people(m):
        return select(Membership.user_id).where(Membership.member_id == m)

    def exchanges(m):
        # Not a proposal held for a coordinator's review that never reached the member (waiting, or
        # expired or rejected unreviewed): its download shows what the member's pages show.
        return select(Party.exchange_id).join(Exchange, Exchange.id == Party.exchange_id).where(
            Party.member_id == m, shown_to_members())

    def accounts(m):
        return select(Account.id).where(Account.member_id == m)

    def ids(model, m):
        return select(model.id).where(model.member_id == m)

    def about(m):
        subjects = {
            "members": select(literal(m)), "listings": ids(Listing, m), "assets": ids(Asset, m),
            "compliance_records": ids(ComplianceRecord, m), "memberships": ids(Membership, m),
            "invitations": ids(Invitation, m), "exchanges": exchanges(m),
            "legs": select(Leg.id).where(Leg.exchange_id.in_(exchanges(m))),
            "bookings": select(Booking.id).where(or_(Booking.member_id == m, Booking.asset_id.in_(ids(Asset, m)))),
            "loans": select(Loan.id).where(or_(Loan.member_id == m, Loan.asset_id.in_(ids(Asset, m)))),
            "booking_series": select(_table("booking_series").c.id).where(or_(
                _table("booking_series").c.member_id == m, _table("booking_series").c.asset_id.in_(ids(Asset, m)))),
            "ledger_entries": select(Posting.entry_id).where(Posting.account_id.in_(accounts(m))),
        }
        return or_(AuditEvent.member_id == m, *(and_(AuditEvent.subject_type == kind, AuditEvent.subject_id.in_(q))
                                                for kind, q in subjects.items()))

    user_owned = lambda name: lambda m: _table(name).c.user_id.in_(people(m))  # noqa: E731
    return {
        "users": lambda m: User.id.in_(people(m)),
        "coordinators": "Coordinators are One Knowsley's staff, not a member's.",
        "memberships": lambda m: Membership.member_id == m,
        "invitations": lambda m: Invitation.member_id == m,
        "api_tokens": user_owned("api_tokens"),
        "saved_searches": "A person's saved searches are their own (in their own download), not the member's.",
        "api_idempotent_requests": "A person's retried API requests are theirs (in their own download), kept a day.",
        "api_allowed_origins": "The websites allowed to call the API are the coordinators' setting, the same for "
                               "every member.",
        "login_sessions": user_owned("login_sessions"),
        "account_links": user_owned("account_links"),
        "email_preferences": user_owned("email_preferences"),
        "notifications": user_owned("notifications"),
        "members": lambda m: Member.id == m,
        "compliance_records": lambda m: ComplianceRecord.member_id == m,
        "assets": lambda m: Asset.member_id == m,
        "calendar_feeds": lambda m: _table("calendar_feeds").c.member_id == m,
        "categories": "The taxonomy is the same for everyone (listings name their category by id).",
        "listings": lambda m: Listing.member_id == m,
        "listing_dates": lambda m: _table("listing_dates").c.listing_id.in_(ids(Listing, m)),
        "matcher_runs": "A run is the coordinators' (its proposals to the member are in exchanges).",
        "exchanges": lambda m: Exchange.id.in_(exchanges(m)),
        "exchange_parties": lambda m: Party.exchange_id.in_(exchanges(m)),
        "legs": lambda m: Leg.exchange_id.in_(exchanges(m)),
        "reminders": lambda m: _table("reminders").c.member_id == m,
        "messages": lambda m: _table("messages").c.exchange_id.in_(exchanges(m)),
        "exchange_change_requests": lambda m: _table("exchange_change_requests").c.exchange_id.in_(exchanges(m)),
        "declined_pairs": lambda m: or_(*(c.in_(ids(Listing, m)) for c in (
            _table("declined_pairs").c.offer_listing_id, _table("declined_pairs").c.need_listing_id)),
            _table("declined_pairs").c.declined_by_member_id == m),
        "bookings": lambda m: or_(Booking.member_id == m, Booking.asset_id.in_(ids(Asset, m))),
        "loans": lambda m: or_(Loan.member_id == m, Loan.asset_id.in_(ids(Asset, m))),
        "booking_series": lambda m: or_(_table("booking_series").c.member_id == m,
                                        _table("booking_series").c.asset_id.in_(ids(Asset, m))),
        "ledger_accounts": lambda m: Account.member_id == m,
        "ledger_entries": lambda m: LedgerEntry.id.in_(select(Posting.entry_id).where(
            Posting.account_id.in_(accounts(m)))),
        "ledger_postings": lambda m: Posting.entry_id.in_(select(Posting.entry_id).where(
            Posting.account_id.in_(accounts(m)))),
        "audit_events": about,
        "case_studies": lambda m: or_(_table("case_studies").c.author_member_id == m,
                                      _table("case_studies").c.leg_id.in_(select(Leg.id).where(
                                          or_(Leg.giver_member_id == m, Leg.receiver_member_id == m)))),
        "funding_tags": lambda m: _table("funding_tags").c.id.in_(
            select(_table("funding_tag_members").c.tag_id).where(_table("funding_tag_members").c.member_id == m)),
        "funding_tag_members": lambda m: _table("funding_tag_members").c.member_id == m,
        "listing_funding_tags": lambda m: _table("listing_funding_tags").c.listing_id.in_(ids(Listing, m)),
        "exchange_funding_tags": lambda m: _table("exchange_funding_tags").c.exchange_id.in_(exchanges(m)),
        "network_figures": "The network's figures are the whole sector's, worked out again every day (yours are "
                           "in your reports).",
        "valuation_rates": "Rates are the exchange's, the same for everyone.",
        "job_runs": "Daily jobs' outcomes hold nothing about a member.",
        "direct_exchange_policy": "The coordinators' rule for direct asks is the same for every member.",
        "matcher_schedule": "When the matcher runs is the same for every member.",
        "search_words": "The search vocabulary is an index of every open listing's words (yours are in listings.csv).",
        "search_word_trigrams": "As for the search vocabulary.",
        "search_vocabulary": "As for the search vocabulary.",
    }


def _person_rows() -> dict[str, Where | str]:
    """For each table: the rows about a person, or why there are none. Every table with a column
    naming a person (a foreign key to users) gives the rows where that column is them."""
    def email_of(u):
        return select(User.email).where(User.id == u).scalar_subquery()

    special: dict[str, Where | str] = {
        "users": lambda u: User.id == u,
        "api_idempotent_requests": lambda u: _table("api_idempotent_requests").c.token_id.in_(
            select(_table("api_tokens").c.id).where(_table("api_tokens").c.user_id == u)),
        "invitations": lambda u: or_(Invitation.invited_by_id == u, func.lower(Invitation.email) == email_of(u)),
        "members": lambda u: or_(Member.decided_by_id == u,
                                 Member.id.in_(select(Membership.member_id).where(Membership.user_id == u)),
                                 func.lower(Member.contact_email) == email_of(u)),
        "audit_events": lambda u: or_(AuditEvent.actor_id == u,
                                      and_(AuditEvent.subject_type == "users", AuditEvent.subject_id == u)),
    }
    reasons = {
        "compliance_records": "DBS records give a role or initials, never a person's account.",
        "assets": "Rooms and equipment are organisations'.", "categories": "Not about anyone.",
        "listings": "Offers and needs are organisations' (your organisation's download has them).",
        "listing_dates": "As for offers and needs.",
        "ledger_accounts": "Accounts are organisations'.", "ledger_postings": "Postings move organisations' credits "
        "(the entries you made are in ledger_entries.csv).",
        "declined_pairs": "Declines are organisations' (the answer you gave is in exchange_parties.csv).",
        "job_runs": "Not about anyone.",
    }
    rules: dict[str, Where | str] = {}
    for table in Base.metadata.sorted_tables:
        if table.name in special:
            rules[table.name] = special[table.name]
            continue
        naming = [c for c in table.columns if any(fk.column.table.name == "users" for fk in c.foreign_keys)]
        if naming:
            rules[table.name] = (lambda cols: lambda u: or_(*(c == u for c in cols)))(naming)
        elif table.name in reasons:
            rules[table.name] = reasons[table.name]
    return rules


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def _rows(table_name: str, where) -> list[tuple]:
    table = _table(table_name)
    columns = [table.c[name] for name in BY_NAME[table_name].columns]
    key = list(table.primary_key.columns)
    return db.session.execute(select(*columns).where(where).order_by(*key)).all()


def _readme(title: str, made_for: str, files: list[tuple[str, int]], left_out: dict[str, str]) -> str:
    lines = [title, "=" * len(title), "",
             f"Made on {utcnow():%d %B %Y at %H:%M} UTC for {made_for} by the Knowsley Social Sector Exchange.",
             "",
             "Each file is one table of the exchange's database, as CSV (UTF-8, comma-separated, one header",
             "row, dates as YYYY-MM-DD and times as YYYY-MM-DD HH:MM:SS in UTC, yes/no for true/false).",
             "Columns ending in _id are the id of a row in the file named like it (member_id -> members.csv,",
             "user_id and *_by_id -> users.csv); a row that is not yours may be named by its id only.",
             "Text that starts with = + - or @ has a ' in front, so a spreadsheet does not run it.",
             "How long each kind of record is kept, and why: the exchange's privacy notice and",
             "docs/privacy.md. The format is described there too.", ""]
    for filename, count in files:
        table = BY_NAME[filename.removesuffix(".csv")]
        lines += [f"{filename} ({count:,} {'row' if count == 1 else 'rows'})", f"  {table.what}",
                  f"  Columns: {', '.join(table.columns)}."]
        for column, why in table.withheld.items():
            lines.append(f"  Left out: {column}. {why}")
        lines.append(f"  Kept: {table.keep}")
        lines.append("")
    if left_out:
        lines += ["Not in this download", "--------------------"]
        lines += [f"{name}: {why}" for name, why in sorted(left_out.items())]
        lines.append("")
    return "\r\n".join(lines)


def _zip(title: str, made_for: str, rules: dict[str, Where | str], key: int,
         extra: list[tuple[str, str]] | None = None) -> bytes:
    buffer = io.BytesIO()
    files, left_out = [], {}
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for table in TABLES:
            rule = rules.get(table.name)
            if not callable(rule):
                if table.personal:
                    left_out[table.name] = rule or "Nothing in it is about you."
                continue
            rows = _rows(table.name, rule(key))
            archive.writestr(f"{table.name}.csv", "\ufeff" + csv_text(table.columns, rows))
            files.append((f"{table.name}.csv", len(rows)))
        for filename, content in extra or []:
            archive.writestr(filename, "\ufeff" + content)
        readme = _readme(title, made_for, files, left_out)
        if extra:
            readme += "\r\n" + MENTIONS_README + "\r\n"
        archive.writestr("README.txt", readme)
    return buffer.getvalue()


def member_zip(member: Member) -> bytes:
    """Everything the exchange holds about a member and its people (UK GDPR Article 15 and 20)."""
    return _zip(f"Everything the exchange holds about {member.name} and its people",
                f"{member.name} (member {member.id})", _member_rows(), member.id)


def person_zip(user: User) -> bytes:
    """Everything the exchange holds about one person: the rows that are theirs or name them as the
    one who acted, and every text that gives their email address (mentions.csv)."""
    mentions = [(table.name, row_id, column.name, value) for table, _key, column, row_id, value in
                texts_naming(Identity(user.id, [], [user.email], []))]
    extra = [("mentions.csv", csv_text(["table", "id", "column", "text"], mentions))]
    return _zip(f"Everything the exchange holds about {user.display_name}", f"{user.display_name} (person {user.id})",
                _person_rows(), user.id, extra)


MEMBER_ROWS = _member_rows
PERSON_ROWS = _person_rows
MENTIONS_README = ("mentions.csv: every text elsewhere in the exchange that gives your email address: the table, "
                   "the row's id, the column and the text.")
