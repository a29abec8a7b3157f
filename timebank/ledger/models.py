"""The time-credit ledger: accounts, entries and their postings (double entry, append-only).

An Account belongs to a member, or is one of two community accounts: the pot (credits members
give away, which coordinators grant on) and the adjustments account (the other side of every
coordinator adjustment). A LedgerEntry is one event (a confirmed leg, an adjustment, a reversal,
a donation, a grant); its Postings move credits between accounts and always sum to zero. A
balance is the sum of an account's postings: nothing is cached, so nothing can drift.

Postings and entries are never changed or deleted: database triggers refuse it (created here for
`create_all`, and by the migrations). A correction is a new reversing entry. The one change allowed
is to an entry's wording, which erasure uses to remove a person's name (docs/privacy.md).
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import DDL, CheckConstraint, ForeignKey, Index, Numeric, String, Text, event, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from timebank.db import in_list, utcnow
from timebank.extensions import db

if TYPE_CHECKING:
    from timebank.accounts.models import User
    from timebank.exchanges.models import Leg
    from timebank.members.models import Member

def _uk_today() -> date:
    from timebank.bookings.models import uk_today

    return uk_today()


ACCOUNT_KINDS = {"member": "Member", "pot": "Community pot", "adjustments": "Coordinator adjustments"}
ENTRY_KINDS = {
    "leg": "Exchange",
    "adjustment": "Adjustment",
    "reversal": "Reversal",
    "donation": "Given to the community pot",
    "grant": "Granted from the community pot",
}
# Kinds a coordinator makes, which must say why.
ENTRY_KINDS_WITH_REASON = ("adjustment", "reversal", "grant")


class Account(db.Model):
    """Where credits are kept: one per member, plus the community pot and the adjustments account."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (
        CheckConstraint(in_list("kind", ACCOUNT_KINDS), name="kind_known"),
        CheckConstraint("(kind = 'member') = (member_id IS NOT NULL)", name="member_account_has_member"),
        # One pot and one adjustments account, even if two requests create them at once.
        Index("uq_ledger_accounts_community_kind", "kind", unique=True,
              sqlite_where=text("kind != 'member'"), postgresql_where=text("kind != 'member'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    member: Mapped[Member | None] = relationship()

    @property
    def name(self) -> str:
        return self.member.name if self.member is not None else ACCOUNT_KINDS[self.kind]


class LedgerEntry(db.Model):
    """One event that moves credits; its postings sum to zero and name it as what they were for."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint(in_list("kind", ENTRY_KINDS), name="kind_known"),
        CheckConstraint("(kind = 'leg') = (leg_id IS NOT NULL)", name="leg_entry_has_leg"),
        CheckConstraint("(kind = 'reversal') = (reverses_entry_id IS NOT NULL)", name="reversal_names_entry"),
        CheckConstraint(f"kind NOT IN ({', '.join(repr(k) for k in ENTRY_KINDS_WITH_REASON)}) "
                        "OR (reason IS NOT NULL AND reason != '')", name="reason_given"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    # Unique: a leg is posted once however often its confirmation is retried.
    leg_id: Mapped[int | None] = mapped_column(ForeignKey("legs.id", ondelete="RESTRICT"), unique=True)
    # Unique: an entry is reversed at most once.
    reverses_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("ledger_entries.id", ondelete="RESTRICT"), unique=True)
    description: Mapped[str] = mapped_column(String(300))
    reason: Mapped[str | None] = mapped_column(Text)
    # People are erased by blanking their user row, never by deleting it, so RESTRICT keeps history.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The day it counts on: for a leg, the day the help happened; otherwise the day it was made
    # (UK). Statements show it and date-filtered reports filter on it.
    happened_on: Mapped[date] = mapped_column(default=_uk_today, index=True)

    postings: Mapped[list[Posting]] = relationship(back_populates="entry", order_by="Posting.id")
    leg: Mapped[Leg | None] = relationship()
    reverses: Mapped[LedgerEntry | None] = relationship(remote_side=[id], foreign_keys=[reverses_entry_id])
    created_by: Mapped[User | None] = relationship()

    @property
    def kind_label(self) -> str:
        return ENTRY_KINDS[self.kind]


class Posting(db.Model):
    """Credits into (positive) or out of (negative) one account, as part of one entry."""

    __tablename__ = "ledger_postings"
    __table_args__ = (
        CheckConstraint("amount != 0", name="amount_not_zero"),
        Index("ix_ledger_postings_account_id", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id", ondelete="RESTRICT"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id", ondelete="RESTRICT"))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))

    entry: Mapped[LedgerEntry] = relationship(back_populates="postings")
    account: Mapped[Account] = relationship()


# -- append-only, held by the database ----------------------------------------------------------
# The migrations create the same triggers; these make `create_all` (the tests' template databases)
# match them. The message names the rule so that whoever meets it knows what to do instead.
#
# One change is allowed: the wording of an entry (description and reason), which erasing a person
# rewrites to remove their name (docs/privacy.md). Kinds, amounts, accounts, links, authors and
# dates never change; postings never change at all.

APPEND_ONLY_MESSAGE = "The ledger is append-only: correct it with a reversing entry"
APPEND_ONLY_TABLES = ("ledger_entries", "ledger_postings")
REWORDABLE_COLUMNS = ("description", "reason")

_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = '{APPEND_ONLY_MESSAGE} (' || TG_OP || ' on ' || TG_TABLE_NAME || ')',
                          ERRCODE = 'restrict_violation';
END
$$
"""
_PG_WORDING_ONLY = f"""
CREATE OR REPLACE FUNCTION ledger_entries_wording_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (to_jsonb(NEW) - 'description' - 'reason') IS DISTINCT FROM (to_jsonb(OLD) - 'description' - 'reason') THEN
        RAISE EXCEPTION USING MESSAGE = '{APPEND_ONLY_MESSAGE} (UPDATE on ledger_entries: only the wording of '
                                        || 'its description and reason can change)',
                              ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$$
"""


def sqlite_wording_only_trigger(columns) -> str:
    """SQLite has no row comparison: the trigger names every column but the wording (a new column
    needs the trigger made again; tests/ledger/test_append_only.py tries every column)."""
    changed = " OR ".join(f"NEW.{name} IS NOT OLD.{name}" for name in columns if name not in REWORDABLE_COLUMNS)
    return (f"CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries WHEN {changed} "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE} (UPDATE on ledger_entries: only the wording of "
            "its description and reason can change)'); END")


def _attach_append_only(table_name: str) -> None:
    table = db.metadata.tables[table_name]
    if table_name == "ledger_entries":
        updates = [(_PG_WORDING_ONLY, "postgresql"),
                   (f"CREATE TRIGGER {table_name}_wording_only BEFORE UPDATE ON {table_name} "
                    "FOR EACH ROW EXECUTE FUNCTION ledger_entries_wording_only()", "postgresql"),
                   (sqlite_wording_only_trigger([c.name for c in table.columns]), "sqlite")]
        pg_refused = "DELETE"
    else:
        updates = [(f"CREATE TRIGGER {table_name}_no_update BEFORE UPDATE ON {table_name} "
                    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE} (UPDATE on {table_name})'); END", "sqlite")]
        pg_refused = "UPDATE OR DELETE"
    statements = [
        (_PG_FUNCTION, "postgresql"),
        (f"CREATE TRIGGER {table_name}_append_only BEFORE {pg_refused} ON {table_name} "
         "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()", "postgresql"),
        (f"CREATE TRIGGER {table_name}_no_truncate BEFORE TRUNCATE ON {table_name} "
         "FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()", "postgresql"),
        *updates,
        (f"CREATE TRIGGER {table_name}_no_delete BEFORE DELETE ON {table_name} "
         f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE} (DELETE on {table_name})'); END", "sqlite"),
    ]
    for sql, dialect in statements:
        event.listen(table, "after_create", DDL(sql).execute_if(dialect=dialect))


for _name in APPEND_ONLY_TABLES:
    _attach_append_only(_name)
# The entries table is dropped last (postings refer to it); the functions go with it.
event.listen(db.metadata.tables["ledger_entries"], "after_drop",
             DDL("DROP FUNCTION IF EXISTS ledger_refuse_change()").execute_if(dialect="postgresql"))
event.listen(db.metadata.tables["ledger_entries"], "after_drop",
             DDL("DROP FUNCTION IF EXISTS ledger_entries_wording_only()").execute_if(dialect="postgresql"))
