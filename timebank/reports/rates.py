"""Valuation rates: add, change and end them; find the rate that values a kind of help on a day.

The rules: a rate with a value says where it comes from (its source); a rate's unit fits what it
values (hours for time, skills and rooms, days for equipment; person-years and GBP only for
licensed measures); two rates of the same band and scope never overlap in time, so that exactly
one rate (or none) values each hour on each day; and a rate is never changed in place: a new value
is a new version from a date (`new_version`), so reports on earlier days keep the value they had.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from timebank.accounts.access import load_for_coordinator, require_coordinator
from timebank.accounts.models import User
from timebank.audit.services import record
from timebank.db import today
from timebank.errors import Conflict, DomainError
from timebank.extensions import db
from timebank.listings.models import Category
from timebank.reports.models import MEASURE_CODES, RATE_BANDS, RATE_KINDS, RATE_UNITS, ValuationRate

# What each kind is measured in, and so the unit a rate valuing it must have.
KIND_UNITS = {"time": "hour", "skill": "hour", "room": "hour", "equipment": "day"}
MAX_VALUE = Decimal("100000")
FIELDS = ("name", "kind", "category_id", "value", "unit", "valid_from", "valid_to", "region", "source",
          "source_url", "licence", "band", "measure_code", "note")
# What a new version may change; the rest (what it values, its band, unit and measure) stays.
VERSION_FIELDS = ("name", "value", "valid_from", "valid_to", "region", "source", "source_url", "licence", "note")
SCOPE_FIELDS = ("kind", "category_id", "unit", "band", "measure_code")



def _clean(values: dict) -> dict:
    """The values of a rate, checked; raises DomainError on the first field that is wrong."""
    data = {key: values.get(key) for key in FIELDS}
    for key in ("name", "region", "source", "licence", "note", "source_url"):
        data[key] = (data[key] or "").strip()
    if not data["name"]:
        raise DomainError("Enter the rate's name, like \"Real Living Wage (UK outside London)\"", field="name")
    if len(data["name"]) > 200:
        raise DomainError("Name must be 200 characters or fewer", field="name")
    data["source_url"] = data["source_url"] or None
    if data["source_url"] and not data["source_url"].startswith(("https://", "http://")):
        raise DomainError("Enter the source as a web address starting with https://", field="source_url")
    if data["band"] not in RATE_BANDS:
        raise DomainError("Choose how reports use the rate: low, central, high or a licensed measure", field="band")
    if data["unit"] not in RATE_UNITS:
        raise DomainError("Choose the unit: per hour, per day, per person-year or per GBP", field="unit")
    kind, category_id = data["kind"] or None, data["category_id"] or None
    if (kind is None) == (category_id is None):
        raise DomainError("Choose either a kind of help or a category, not both", field="kind")
    if kind is not None and kind not in RATE_KINDS:
        raise DomainError("Choose time, skills, rooms or equipment", field="kind")
    if category_id is not None and db.session.get(Category, int(category_id)) is None:
        raise DomainError("Choose a category from the list", field="category_id")
    data["kind"], data["category_id"] = kind, int(category_id) if category_id else None
    if data["band"] != "licensed":
        if data["unit"] not in ("hour", "day"):
            raise DomainError("Low, central and high rates are per hour or per day", field="unit")
        if kind is not None and KIND_UNITS[kind] != data["unit"]:
            raise DomainError(f"{'Equipment is lent by the day' if kind == 'equipment' else 'This kind is measured in hours'}"
                              f": choose per {KIND_UNITS[kind]}", field="unit")
    code = (data["measure_code"] or "").strip().upper() or None
    if code is not None and code not in MEASURE_CODES:
        raise DomainError(f"Choose a measure code from {', '.join(MEASURE_CODES)}, or leave it empty", field="measure_code")
    if data["band"] == "licensed" and code is None:
        raise DomainError("A licensed measure needs its code, like NT17", field="measure_code")
    data["measure_code"] = code
    raw = data["value"]
    if raw in (None, ""):
        data["value"] = None
    else:
        try:
            value = Decimal(str(raw).replace(",", "").replace("£", "").strip())
        except InvalidOperation:
            raise DomainError("Enter the value in pounds, like 13.45", field="value") from None
        if not value.is_finite() or value < 0 or value > MAX_VALUE or value != value.quantize(Decimal("0.01")):
            raise DomainError("Enter the value in pounds and pence, from 0 to 100,000, like 13.45", field="value")
        data["value"] = value
    if data["value"] is not None and not data["source"]:
        raise DomainError("Enter the source of the rate (who publishes it), so that every report can say where "
                          "its value comes from", field="source")
    if len(data["source"]) > 300:
        raise DomainError("Source must be 300 characters or fewer", field="source")
    if not isinstance(data["valid_from"], date):
        raise DomainError("Enter the date the rate starts to apply", field="valid_from")
    if data["valid_to"] is not None and data["valid_to"] < data["valid_from"]:
        raise DomainError("The end date must be on or after the start date", field="valid_to")
    return data


def _check_overlap(data: dict, ignore_id: int | None = None) -> None:
    """Two rates of one band, scope and measure may not both apply on the same day."""
    query = select(ValuationRate).where(ValuationRate.band == data["band"])
    query = query.where(ValuationRate.kind.is_(None) if data["kind"] is None else ValuationRate.kind == data["kind"])
    query = query.where(ValuationRate.category_id.is_(None) if data["category_id"] is None
                        else ValuationRate.category_id == data["category_id"])
    if data["band"] == "licensed":
        query = query.where(ValuationRate.measure_code == data["measure_code"])
    end = data["valid_to"] or date.max
    for other in db.session.scalars(query):
        if other.id == ignore_id:
            continue
        if other.valid_from <= end and data["valid_from"] <= (other.valid_to or date.max):
            until = f" to {other.valid_to:%d %B %Y}" if other.valid_to else " with no end date"
            raise Conflict(f"\"{other.name}\" already applies from {other.valid_from:%d %B %Y}{until}. "
                           "End it first, or choose dates that do not overlap", field="valid_from")


def add_rate(actor: User | None, **values) -> ValuationRate:
    """A new rate (or an empty slot); `actor` None is the seed loader."""
    if actor is not None:
        require_coordinator(actor, "change valuation rates")
    data = _clean(values)
    _check_overlap(data)
    rate = ValuationRate(**data, updated_by_id=getattr(actor, "id", None))
    db.session.add(rate)
    db.session.flush()
    if actor is not None:
        record(actor, "rate.added", rate, f"Added valuation rate {rate.name}", value=rate.value)
    return rate


def load_rate(rate_id: int, actor: User) -> ValuationRate:
    """A version of a valuation rate, for a coordinator to change (reports show rates to everyone)."""
    return load_for_coordinator(ValuationRate, rate_id, actor, to="change valuation rates",
                                missing=f"There is no valuation rate {rate_id}")


def latest_version(rate: ValuationRate) -> ValuationRate:
    """The newest version of the rate `rate` is a version of."""
    return db.session.scalars(select(ValuationRate).where(
        (ValuationRate.id == rate.series) | (ValuationRate.series_id == rate.series))
        .order_by(ValuationRate.version.desc())).first()


def versions_of(rate: ValuationRate) -> list[ValuationRate]:
    """Every version of the rate, first to newest."""
    return list(db.session.scalars(select(ValuationRate).where(
        (ValuationRate.id == rate.series) | (ValuationRate.series_id == rate.series)).order_by(ValuationRate.version)))


def new_version(rate: ValuationRate, actor: User | None, **values) -> ValuationRate:
    """A new value (and source) for the rate from `valid_from` on; the version before ends the day before.

    Reports on days before `valid_from` keep the old version. Only the newest version takes a new
    one, from a day after its own start. The one exception is an empty slot (no value yet, so no
    report ever used it): it is filled in from its own start, in place. `actor` None is the seed loader.
    """
    if actor is not None:
        require_coordinator(actor, "change valuation rates")
    latest = latest_version(rate)
    if latest.id != rate.id:
        raise Conflict(f"This is version {rate.version}; change the newest, version {latest.version}")
    data = _clean({**{key: values.get(key) for key in VERSION_FIELDS},
                   **{key: getattr(rate, key) for key in SCOPE_FIELDS}})
    starts = data["valid_from"]
    if rate.value is None and starts == rate.valid_from:
        if data["value"] is None:
            raise DomainError("Enter the value to fill this slot in", field="value")
        _check_overlap(data, ignore_id=rate.id)
        for key in VERSION_FIELDS:
            setattr(rate, key, data[key])
        rate.updated_by_id = getattr(actor, "id", None)
        db.session.flush()
        if actor is not None:
            record(actor, "rate.filled", rate, f"Filled in valuation rate {rate.name}", value=rate.value)
        return rate
    if starts <= rate.valid_from:
        raise DomainError(f"A new version starts after this one, which applies from {_day(rate.valid_from)}: "
                          f"enter {_day(rate.valid_from + timedelta(days=1))} or later", field="valid_from")
    if data["valid_to"] is None and rate.valid_to is not None and rate.valid_to >= starts:
        data["valid_to"] = rate.valid_to  # the new version keeps the end the old one had
    if rate.valid_to is None or rate.valid_to >= starts:
        rate.valid_to = starts - timedelta(days=1)
        rate.updated_by_id = getattr(actor, "id", None)
        db.session.flush()
    _check_overlap(data, ignore_id=rate.id)
    version = ValuationRate(**data, series_id=rate.series, version=rate.version + 1,
                            updated_by_id=getattr(actor, "id", None))
    db.session.add(version)
    db.session.flush()
    if actor is not None:
        record(actor, "rate.versioned", version, f"New version {version.version} of valuation rate {version.name} "
               f"from {_day(starts)}", before=rate.value, value=version.value, previous_id=rate.id)
    return version


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def end_rate(rate: ValuationRate, actor: User, last_day: date) -> ValuationRate:
    """The rate stops applying after `last_day` (a new rate can then start the day after)."""
    require_coordinator(actor, "change valuation rates")
    if not isinstance(last_day, date):
        raise DomainError("Enter the last day the rate applies", field="valid_to")
    if last_day < rate.valid_from:
        raise DomainError(f"The last day must be on or after the start, {rate.valid_from:%d %B %Y}", field="valid_to")
    if latest_version(rate).id != rate.id:
        raise Conflict(f"This is version {rate.version}: it already ends on {_day(rate.valid_to)}")
    if rate.value is not None and last_day < today() - timedelta(days=1):
        # Past reports keep the values they had: a rate that valued help cannot stop in the past.
        raise DomainError(f"Reports up to today used this rate: enter yesterday ({_day(today() - timedelta(days=1))}) "
                          "or later", field="valid_to")
    rate.valid_to = last_day
    rate.updated_by_id = actor.id
    db.session.flush()
    record(actor, "rate.ended", rate, f"Ended valuation rate {rate.name} on {last_day:%d %B %Y}")
    return rate


def all_rates() -> list[ValuationRate]:
    """Every rate, the versions of one rate together, first to newest."""
    rates = list(db.session.scalars(select(ValuationRate)))
    first = {r.id: r for r in rates if r.version == 1}
    return sorted(rates, key=lambda r: (r.band, r.kind or "", r.measure_code or "", first[r.series].name,
                                        first[r.series].valid_from, r.series, r.version))


def newest_ids() -> set[int]:
    """Ids of the newest version of each rate (the ones that can take a new version or end)."""
    newest: dict[int, ValuationRate] = {}
    for rate in db.session.scalars(select(ValuationRate)):
        if rate.series not in newest or rate.version > newest[rate.series].version:
            newest[rate.series] = rate
    return {rate.id for rate in newest.values()}


# -- which rate values what ---------------------------------------------------------------------

@dataclass
class RateBook:
    """Every rate and the category tree, loaded once per report (both are small)."""

    rates: list[ValuationRate]
    parents: dict[int, int | None]
    # The rates of each band, so finding one looks through a quarter of them (a dashboard finds
    # a rate for every kind, category and span between rate changes, in each of three bands).
    by_band: dict[str, list[ValuationRate]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.by_band = {}
        for rate in self.rates:
            self.by_band.setdefault(rate.band, []).append(rate)

    @classmethod
    def load(cls) -> RateBook:
        rates = list(db.session.scalars(select(ValuationRate)))
        parents = dict(db.session.execute(select(Category.id, Category.parent_id)).all())
        return cls(rates, parents)

    def breakpoints(self) -> list[date]:
        """The days on which some rate starts or stops: between two of them every rate is constant."""
        days = set()
        for rate in self.rates:
            days.add(rate.valid_from)
            if rate.valid_to is not None and rate.valid_to < date.max:
                days.add(rate.valid_to + timedelta(days=1))
        return sorted(days)

    def find(self, band: str, kind: str, category_id: int | None, day: date, *,
             measure_code: str | None = None) -> ValuationRate | None:
        """The most specific rate of `band` for this help on `day`: its category, its parent, then its kind."""
        unit = KIND_UNITS[kind]
        best, best_rank = None, 0
        parent = self.parents.get(category_id) if category_id is not None else None
        for rate in self.by_band.get(band, ()):
            if not rate.valid_on(day):
                continue
            if measure_code is not None:
                if rate.measure_code != measure_code:
                    continue
            elif rate.unit != unit:
                continue
            if category_id is not None and rate.category_id == category_id:
                rank = 3
            elif parent is not None and rate.category_id == parent:
                rank = 2
            elif rate.category_id is None and rate.kind == kind:
                rank = 1
            else:
                continue
            if rank > best_rank:
                best, best_rank = rate, rank
        return best

    def measure(self, code: str, day: date) -> ValuationRate | None:
        """The licensed slot for measure `code` on `day`, whatever its scope."""
        for rate in self.by_band.get("licensed", ()):
            if rate.measure_code == code and rate.valid_on(day):
                return rate
        return None
