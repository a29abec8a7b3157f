"""listings full-text search: a weighted tsvector with a GIN index (PostgreSQL), FTS5 (SQLite)

Revision ID: cfeb876e84f6
Revises: 2b638238a550
Create Date: 2026-11-28 02:30:51

The statements are copied from timebank/listings/search.py as they were at this revision, so
that later changes to that module cannot change what this migration did.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'cfeb876e84f6'
down_revision = '2b638238a550'
branch_labels = None
depends_on = None

POSTGRESQL_UP = (
    """ALTER TABLE listings ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') ||
        setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'B')) STORED""",
    "CREATE INDEX ix_listings_search_vector ON listings USING gin (search_vector)",
)
POSTGRESQL_DOWN = (
    "DROP INDEX IF EXISTS ix_listings_search_vector",
    "ALTER TABLE listings DROP COLUMN IF EXISTS search_vector",
)
SQLITE_UP = (
    """CREATE VIRTUAL TABLE IF NOT EXISTS listings_fts USING fts5(
        title, description, content='listings', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER IF NOT EXISTS listings_fts_insert AFTER INSERT ON listings BEGIN
        INSERT INTO listings_fts(rowid, title, description) VALUES (new.id, new.title, new.description);
    END""",
    """CREATE TRIGGER IF NOT EXISTS listings_fts_delete AFTER DELETE ON listings BEGIN
        INSERT INTO listings_fts(listings_fts, rowid, title, description)
        VALUES ('delete', old.id, old.title, old.description);
    END""",
    """CREATE TRIGGER IF NOT EXISTS listings_fts_update AFTER UPDATE OF title, description ON listings BEGIN
        INSERT INTO listings_fts(listings_fts, rowid, title, description)
        VALUES ('delete', old.id, old.title, old.description);
        INSERT INTO listings_fts(rowid, title, description) VALUES (new.id, new.title, new.description);
    END""",
    "INSERT INTO listings_fts(listings_fts) VALUES ('rebuild')",
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS listings_fts_insert",
    "DROP TRIGGER IF EXISTS listings_fts_delete",
    "DROP TRIGGER IF EXISTS listings_fts_update",
    "DROP TABLE IF EXISTS listings_fts",
)


def _run(statements_by_dialect):
    for statement in statements_by_dialect.get(op.get_bind().dialect.name, ()):
        op.execute(statement)


def upgrade():
    _run({"postgresql": POSTGRESQL_UP, "sqlite": SQLITE_UP})


def downgrade():
    _run({"postgresql": POSTGRESQL_DOWN, "sqlite": SQLITE_DOWN})
