"""ledger: an entry's wording (description, reason) can be rewritten, for erasure; nothing else

Erasing a person must remove their name from every text, the ledger's included (docs/privacy.md).
The UPDATE trigger on ledger_entries now refuses any change except to description and reason;
DELETE, TRUNCATE and every change to postings stay refused. The SQL is written out here so that
this migration stays what it was when it ran. On SQLite the trigger names the columns the table
has when it runs (a later column needs the trigger made again).

Revision ID: 5d1c2e8a9f40
Revises: bea814c626ce
Create Date: 2026-12-06 13:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5d1c2e8a9f40'
down_revision = 'bea814c626ce'
branch_labels = None
depends_on = None

MESSAGE = "The ledger is append-only: correct it with a reversing entry"
WORDING_MESSAGE = f"{MESSAGE} (UPDATE on ledger_entries: only the wording of its description and reason can change)"
PG_WORDING_ONLY = f"""
CREATE OR REPLACE FUNCTION ledger_entries_wording_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (to_jsonb(NEW) - 'description' - 'reason') IS DISTINCT FROM (to_jsonb(OLD) - 'description' - 'reason') THEN
        RAISE EXCEPTION USING MESSAGE = '{WORDING_MESSAGE}', ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$$
"""


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS ledger_entries_append_only ON ledger_entries")
        op.execute("CREATE TRIGGER ledger_entries_append_only BEFORE DELETE ON ledger_entries "
                   "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()")
        op.execute(PG_WORDING_ONLY)
        op.execute("CREATE TRIGGER ledger_entries_wording_only BEFORE UPDATE ON ledger_entries "
                   "FOR EACH ROW EXECUTE FUNCTION ledger_entries_wording_only()")
    else:
        columns = [c["name"] for c in sa.inspect(op.get_bind()).get_columns("ledger_entries")]
        changed = " OR ".join(f"NEW.{name} IS NOT OLD.{name}" for name in columns
                              if name not in ("description", "reason"))
        op.execute("DROP TRIGGER IF EXISTS ledger_entries_no_update")
        op.execute(f"CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries WHEN {changed} "
                   f"BEGIN SELECT RAISE(ABORT, '{WORDING_MESSAGE}'); END")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS ledger_entries_wording_only ON ledger_entries")
        op.execute("DROP FUNCTION IF EXISTS ledger_entries_wording_only()")
        op.execute("DROP TRIGGER IF EXISTS ledger_entries_append_only ON ledger_entries")
        op.execute("CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries "
                   "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()")
    else:
        op.execute("DROP TRIGGER IF EXISTS ledger_entries_no_update")
        op.execute("CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries "
                   f"BEGIN SELECT RAISE(ABORT, '{MESSAGE} (UPDATE on ledger_entries)'); END")
