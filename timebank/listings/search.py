"""Keyword search and distance for listings, in SQL, on PostgreSQL and on SQLite.

Full-text search is the one place the two databases differ, so the machinery lives here:

- PostgreSQL: a stored generated `tsvector` column on `listings` (English configuration, the
  title weighted A above the description's B) with a GIN index, queried with a tsquery built
  from the same parsed terms as SQLite's (`tsquery`) and ranked with `ts_rank`.
- SQLite: an FTS5 table over the title and description (external content, Porter stemming so
  that "gardening" finds "garden" as on PostgreSQL), kept in step by three triggers, ranked
  with bm25 (a title hit counts ten times a description hit).

Neither is declared on the model, because neither exists on the other database. `Listing`'s
table creates them through `after_create` events (so `create_all` in the tests builds them) and
a migration creates them on a real database; `include_name` keeps Alembic's comparison from
seeing them as strays. A batch migration that rebuilds `listings` on SQLite drops its triggers:
such a migration must run `SQLITE_DDL` again (tests/listings/test_search.py checks head has them).

Both read the search text the same way (`parse_terms`: web-search syntax, "a phrase", or,
-not), and both accept alternatives for single words: the word forms and typo corrections that
timebank/listings/words.py finds in the listings' vocabulary.

Words that neither engine can use (only punctuation, emoji, only stop words) fall back to a
plain LIKE on the title and description, so every input gives an answer and none an error.
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import DDL, ColumnElement, Select, and_, column, event, func, literal_column, or_, select, table
from sqlalchemy.orm import Session

from timebank.listings.models import Listing

# -- schema ---------------------------------------------------------------------------------

SEARCH_COLUMN = "search_vector"
SEARCH_INDEX = "ix_listings_search_vector"
FTS_TABLE = "listings_fts"

POSTGRESQL_DDL: Sequence[str] = (
    f"""ALTER TABLE listings ADD COLUMN {SEARCH_COLUMN} tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') ||
        setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'B')) STORED""",
    f"CREATE INDEX {SEARCH_INDEX} ON listings USING gin ({SEARCH_COLUMN})",
)
POSTGRESQL_DROP: Sequence[str] = (
    f"DROP INDEX IF EXISTS {SEARCH_INDEX}",
    f"ALTER TABLE listings DROP COLUMN IF EXISTS {SEARCH_COLUMN}",
)

SQLITE_DDL: Sequence[str] = (
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(
        title, description, content='listings', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2')""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_insert AFTER INSERT ON listings BEGIN
        INSERT INTO {FTS_TABLE}(rowid, title, description) VALUES (new.id, new.title, new.description);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_delete AFTER DELETE ON listings BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, description)
        VALUES ('delete', old.id, old.title, old.description);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_update AFTER UPDATE OF title, description ON listings BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, description)
        VALUES ('delete', old.id, old.title, old.description);
        INSERT INTO {FTS_TABLE}(rowid, title, description) VALUES (new.id, new.title, new.description);
    END""",
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
)
SQLITE_DROP: Sequence[str] = (
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_insert",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_delete",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_update",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
)

for _statement in POSTGRESQL_DDL:
    event.listen(Listing.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
for _statement in SQLITE_DDL:
    event.listen(Listing.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in SQLITE_DROP:
    event.listen(Listing.__table__, "before_drop", DDL(_statement).execute_if(dialect="sqlite"))


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic filter: leave the search machinery above out of autogenerate's comparison."""
    if type_ == "table":
        return not (name or "").startswith(FTS_TABLE)
    if type_ == "column":
        return not (parent_names.get("table_name") == "listings" and name == SEARCH_COLUMN)
    if type_ == "index":
        return name != SEARCH_INDEX
    return True


# -- keywords -------------------------------------------------------------------------------

MAX_KEYWORD_CHARS = 200
MAX_TERMS = 12
_TOKEN = re.compile(r"[^\W_]+")  # letters and digits: what FTS5's unicode61 tokenizer keeps
_PART = re.compile(r'(-?)"([^"]*)"?|(\S+)')


def clean_keyword(raw: str | None) -> str:
    """The search text as the engines see it: no NUL bytes or control characters, bounded."""
    text = "".join(ch if ch.isprintable() else " " for ch in (raw or ""))
    return " ".join(text.split())[:MAX_KEYWORD_CHARS]


@dataclass
class Terms:
    """Web-search syntax ("a phrase", or, -not) read into terms: an AND of ORs, and NOTs.

    Each term is its tokens joined by single spaces (several tokens make a phrase).
    """

    groups: list[list[str]] = field(default_factory=list)
    negatives: list[str] = field(default_factory=list)

    def words(self) -> list[str]:
        """The single-word terms (not phrases, not negated): the ones typos and forms apply to."""
        return [term for group in self.groups for term in group if " " not in term]

    def widened(self, alternatives: dict[str, list[str]]) -> Terms:
        """These terms with each single word's alternatives ORed beside it."""
        groups = []
        for group in self.groups:
            widened = list(group)
            for term in group:
                widened += [a for a in alternatives.get(term, ()) if a not in widened]
            groups.append(widened)
        return Terms(groups, list(self.negatives))

    def replaced(self, corrections: dict[str, str]) -> Terms:
        return Terms([[corrections.get(term, term) for term in group] for group in self.groups], list(self.negatives))

    def text(self) -> str:
        """Back to web-search syntax, as a person would type it (for "did you mean")."""
        def quoted(term: str) -> str:
            return f'"{term}"' if " " in term else term
        parts = [" or ".join(quoted(t) for t in group) for group in self.groups]
        return " ".join(parts + [f"-{quoted(t)}" for t in self.negatives])


def parse_terms(keyword: str) -> Terms:
    """Read web-search syntax; tokens are what FTS5's unicode61 tokenizer keeps, at most MAX_TERMS terms."""
    terms = Terms()
    join_next = False
    count = 0
    for match in _PART.finditer(keyword):
        negate, phrase, bare = match.group(1), match.group(2), match.group(3)
        if bare is not None and bare.lower() == "or":
            join_next = bool(terms.groups)
            continue
        if bare is not None and bare.startswith("-") and len(bare) > 1:
            negate, bare = "-", bare[1:]
        tokens = _TOKEN.findall(phrase if phrase is not None else bare)
        if not tokens or count >= MAX_TERMS:
            continue
        count += 1
        term = " ".join(tokens)
        if negate:
            terms.negatives.append(term)
        elif join_next:
            terms.groups[-1].append(term)
        else:
            terms.groups.append([term])
        join_next = False
    return terms


def fts5_query(keyword: str | Terms) -> str | None:
    """Web-search syntax as an FTS5 query in which every term is quoted.

    Quoting every term means no input can be read as FTS5 syntax (column filters, NEAR, a
    bare `*`), so MATCH never fails. Returns None when there is no word to search for.
    """
    terms = parse_terms(keyword) if isinstance(keyword, str) else keyword
    if not terms.groups:
        return None
    query = " AND ".join("(" + " OR ".join(f'"{term}"' for term in group) + ")" for group in terms.groups)
    for negative in terms.negatives:
        query = f'({query}) NOT "{negative}"'
    return query


def tsquery(terms: Terms) -> ColumnElement | None:
    """The same terms as a PostgreSQL tsquery (English stemming): phrases kept, ORs and NOTs combined."""
    if not terms.groups:
        return None

    def one(term: str) -> ColumnElement:
        return func.phraseto_tsquery(literal_column("'english'::regconfig"), term)

    def any_of(group: list[str]) -> ColumnElement:
        combined = one(group[0])
        for term in group[1:]:
            combined = combined.op("||")(one(term))
        return combined

    query = any_of(terms.groups[0])
    for group in terms.groups[1:]:
        query = query.op("&&")(any_of(group))
    for negative in terms.negatives:
        query = query.op("&&")(func.tsquery_not(one(negative)))  # the function behind the !! operator
    return query


_fts = table(FTS_TABLE, column("rowid"))


def apply_keyword(stmt: Select, session: Session, keyword: str, *, alternatives: dict[str, list[str]] | None = None,
                  ranked: bool = True) -> tuple[Select, ColumnElement | None]:
    """`stmt` narrowed to listings matching the keyword, and a rank to order by (smaller is better).

    `alternatives` gives, for some single words, other words that count as a match for them
    (word forms and corrections: timebank/listings/words.py). The rank is None when not
    `ranked` (ordering by something else: then SQLite need not score every hit) or when the
    keyword fell back to LIKE (nothing to rank by).
    """
    terms = parse_terms(keyword).widened(alternatives or {})
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        query = tsquery(terms)
        if query is not None and session.scalar(select(func.numnode(query))):
            vector = literal_column(f"listings.{SEARCH_COLUMN}")
            return stmt.where(vector.op("@@")(query)), (-func.ts_rank(vector, query) if ranked else None)
    elif dialect == "sqlite":
        match = fts5_query(terms)
        if match is not None and not ranked:
            hits = select(_fts.c.rowid).where(literal_column(FTS_TABLE).op("MATCH")(match))
            return stmt.where(Listing.id.in_(hits)), None
        if match is not None:
            hits = (select(_fts.c.rowid.label("listing_id"),
                           literal_column(f"bm25({FTS_TABLE}, 10.0, 1.0)").label("rank"))
                    .where(literal_column(FTS_TABLE).op("MATCH")(match)).subquery("fts"))
            return stmt.join(hits, hits.c.listing_id == Listing.id), hits.c.rank
    return stmt.where(like_filter(keyword)), None


def like_filter(keyword: str) -> ColumnElement[bool]:
    """Every word (up to MAX_TERMS) in the title or the description, case-insensitively."""
    clauses = []
    for word in keyword.split()[:MAX_TERMS]:
        pattern = f"%{_escape_like(word.lower())}%"
        clauses.append(or_(func.lower(Listing.title).like(pattern, escape="\\"),
                           func.lower(Listing.description).like(pattern, escape="\\")))
    return and_(*clauses)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# -- distance -------------------------------------------------------------------------------

WGS84_A = 6378.137  # km
WGS84_E2 = 0.00669437999014


class LocalScale:
    """Kilometres per degree around a point, on the WGS84 ellipsoid, for SQL-friendly distances.

    `km2(lat, lon)` is plain arithmetic, so the same expression works on floats and on SQL
    columns; it is the squared distance on the plane tangent at the point, with the east-west
    scale taken at the mean latitude (to first order). Within 50 km of Knowsley it agrees with
    geopy's geodesic distance to better than 0.1% (tests/listings/test_search.py checks).
    """

    def __init__(self, lat: float, lon: float) -> None:
        phi = math.radians(lat)
        w = 1 - WGS84_E2 * math.sin(phi) ** 2
        meridian = WGS84_A * (1 - WGS84_E2) / w ** 1.5
        prime_vertical = WGS84_A / math.sqrt(w)
        self.lat, self.lon = lat, lon
        self.km_lat = math.radians(meridian)
        self.km_lon = math.radians(prime_vertical * math.cos(phi))
        self._tan = math.tan(phi)

    def km2(self, lat, lon):
        """Squared distance in km² from the point to (lat, lon); floats or SQL expressions."""
        dlat = lat - self.lat
        north = dlat * self.km_lat
        east = (lon - self.lon) * (self.km_lon * (1 - self._tan * math.radians(1) / 2 * dlat))
        return north * north + east * east

    def box(self, km: float) -> tuple[float, float, float, float]:
        """(south, north, west, east) in degrees: a box that holds the whole circle of `km`."""
        dlat = km / self.km_lat * 1.001
        narrowest = self.km_lon * (1 - self._tan * math.radians(dlat) / 2)
        dlon = km / narrowest * 1.001
        return self.lat - dlat, self.lat + dlat, self.lon - dlon, self.lon + dlon
