"""The valuation rates that are safe to ship (statutory or open data), and empty named slots.

From shared/data/knowsley.md: the National Living Wage (low), the Real Living Wage (central) and
the ONS ASHE median (high) value volunteered time and expert advice at replacement cost. Values
of the National TOMs (Social Value Portal) and the HACT Social Value Bank are licensed
(CC BY-NC-ND; HACT forbids bundling): they ship as empty slots a licence holder fills in. No open
source gives a market rate for room hire or equipment loans in Knowsley, so those are empty slots
a coordinator fills in too.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from timebank.extensions import db
from timebank.reports import rates as rate_services
from timebank.reports.models import ValuationRate

NMW_URL = "https://www.gov.uk/national-minimum-wage-rates"
RLW_URL = "https://www.livingwage.org.uk/what-real-living-wage"
ASHE_URL = ("https://www.ons.gov.uk/employmentandlabourmarket/peopleinwork/earningsandworkinghours/"
            "bulletins/annualsurveyofhoursandearnings/2025")
OPEN_GOVERNMENT = "Open Government Licence v3.0"
ASHE_WEEKLY = Decimal("766.60")
ASHE_HOURS = Decimal("37.5")
ASHE_HOURLY = (ASHE_WEEKLY / ASHE_HOURS).quantize(Decimal("0.01"))  # 20.44
FY2025 = date(2025, 4, 1)

WAGE_RATES = [
    dict(name="National Living Wage (21 and over)", value=Decimal("12.21"), band="low",
         valid_from=FY2025, valid_to=date(2026, 3, 31), source="UK government, national minimum wage rates",
         source_url=NMW_URL, licence=OPEN_GOVERNMENT,
         note="The legal minimum: the low end of the replacement cost of an hour of help."),
    dict(name="National Living Wage (21 and over)", value=Decimal("12.71"), band="low",
         valid_from=date(2026, 4, 1), valid_to=None, source="UK government, national minimum wage rates",
         source_url=NMW_URL, licence=OPEN_GOVERNMENT,
         note="The legal minimum: the low end of the replacement cost of an hour of help."),
    dict(name="Real Living Wage (UK outside London)", value=Decimal("13.45"), band="central",
         valid_from=FY2025, valid_to=None, source="Living Wage Foundation (2025/26 rate, announced October 2025)",
         source_url=RLW_URL, licence="Published rate (a fact, quoted with its source)",
         note="Applied from 1 April 2025 for the 2025/26 year."),
    dict(name="ONS ASHE median full-time pay, UK", value=ASHE_HOURLY, band="high",
         valid_from=FY2025, valid_to=None, source="ONS Annual Survey of Hours and Earnings, April 2025",
         source_url=ASHE_URL, licence=OPEN_GOVERNMENT,
         note=f"GBP {ASHE_WEEKLY} a week divided by a 37.5-hour week = GBP {ASHE_HOURLY} an hour "
              "(the ONS's replacement-cost method for the value of volunteering)."),
]

LICENSED = "Licensed (National TOMs, Social Value Portal, CC BY-NC-ND): enter the value only if you hold a licence"
HACT_LICENCE = "Licensed (HACT Social Value Bank): enter the value only if you hold a licence"
SLOTS = [
    dict(name="TOMs NT15 expert business advice to VCSEs (hours)", kind="skill", unit="hour", measure_code="NT15",
         licence=LICENSED, source="National TOMs framework"),
    dict(name="TOMs NT16 equipment or resources donated to VCSEs (GBP)", kind="equipment", unit="gbp",
         measure_code="NT16", licence=LICENSED, source="National TOMs framework"),
    dict(name="TOMs NT17 voluntary hours donated to VCSEs (hours)", kind="time", unit="hour", measure_code="NT17",
         licence=LICENSED, source="National TOMs framework"),
    dict(name="TOMs NT28 in-kind contributions to community projects (GBP)", kind="room", unit="gbp",
         measure_code="NT28", licence=LICENSED, source="National TOMs framework"),
    dict(name="TOMs NT29 hours volunteering on community projects (GBP per hour)", kind="time", unit="hour",
         measure_code="NT29", licence=LICENSED, source="National TOMs framework"),
    dict(name="HACT regular volunteering (GBP per person-year)", kind="time", unit="person_year",
         measure_code="HACT", licence=HACT_LICENCE, source="HACT Social Value Bank",
         note="A wellbeing value to the volunteer: shown apart, never added to the other values."),
]
MARKET_SLOTS = [
    dict(name="Room hire, local market rate", kind="room", unit="hour", band="central",
         note="No open source gives this for Knowsley: a coordinator enters a local hire rate and its source."),
    dict(name="Equipment hire, local market rate", kind="equipment", unit="day", band="central",
         note="No open source gives this for Knowsley: a coordinator enters a local hire rate and its source."),
]


def load_rates(log=print) -> int:
    """Add the shipped rates and slots that are not there yet (by name and start date); returns how many."""
    existing = set(db.session.execute(select(ValuationRate.name, ValuationRate.valid_from, ValuationRate.kind)).all())
    added = 0
    rows = []
    for rate in WAGE_RATES:
        for kind in ("time", "skill"):
            rows.append({**rate, "kind": kind, "unit": "hour", "region": "UK"})
    rows += [{**slot, "band": "licensed", "valid_from": FY2025, "region": "UK"} for slot in SLOTS]
    rows += [{**slot, "valid_from": FY2025, "region": "Knowsley", "licence": "", "source": ""}
             for slot in MARKET_SLOTS]
    for row in rows:
        if (row["name"], row["valid_from"], row["kind"]) in existing:
            continue
        # A new value of a rate that ends the day before is its next version (the National Living
        # Wage each April), so reports name the version they used.
        previous = db.session.scalar(select(ValuationRate).where(
            ValuationRate.name == row["name"], ValuationRate.kind == row.get("kind"), ValuationRate.band == row["band"],
            ValuationRate.valid_to == row["valid_from"] - timedelta(days=1)))
        if previous is not None:
            rate_services.new_version(previous, None, **{key: row.get(key) for key in rate_services.VERSION_FIELDS})
        else:
            rate_services.add_rate(None, **row)
        added += 1
    log(f"Valuation rates: {added} added")
    return added
