"""Reports cut by a programme, fund or grant, compared quarter on quarter, reconciled with the ledger.

The generated history (conftest.py) is tagged through the services: some exchanges carry the grant
themselves, some legs answer a need listing that carries it, some carry another tag, the rest
none; bookings and loans made straight from a room's page carry none. Every figure of the cut
report, and its change from the quarter before, must equal the sums worked out here from the
tagged legs, and the time credits must equal the ledger's own postings for them.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

TIME = ("time", "skill")


def _quarter(day: date) -> tuple[date, date]:
    first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    nxt = date(first.year + (first.month == 10), (first.month + 2) % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


@pytest.fixture()
def tagged(app, history):
    """Tag the history: returns (grant id, grant code, ids of the legs that count under it)."""
    from timebank.accounts.models import User
    from timebank.exchanges.models import Exchange, Leg
    from timebank.extensions import db
    from timebank.funding import services
    from timebank.listings.services import create_listing
    from timebank.members.models import Member

    with app.test_request_context():
        coordinator = db.session.scalar(select(User).where(User.email == history.coordinator))
        grant = services.create_tag(coordinator, code="NLCF-26", name="Community Fund", kind="grant",
                                    funder="The National Lottery Community Fund", starts_on=date(2025, 1, 1),
                                    ends_on=None, open_to_all=True)
        other = services.create_tag(coordinator, code="OTHER", name="Another fund", kind="fund", funder="A trust",
                                    starts_on=date(2025, 1, 1), ends_on=None, open_to_all=True)
        counted = set()
        for n, record in enumerate(history.legs):
            leg = db.session.get(Leg, record["id"])
            if n % 3 == 0:  # the exchange itself carries the grant
                services.set_exchange_tags(db.session.get(Exchange, leg.exchange_id), coordinator, [grant.id])
                counted.add(leg.id)
            elif n % 3 == 1:  # it answered a need that carries the grant
                receiver = db.session.get(Member, leg.receiver_member_id)
                need = create_listing(receiver, coordinator, direction="need", kind=leg.kind if leg.kind in TIME
                                      else "time", category_id=leg.category_id, title=f"Need {n}",
                                      quantity=Decimal(1), postcode="L36 9YS", available_from=date(2025, 1, 1),
                                      available_until=date(2025, 12, 31))
                services.set_listing_tags(need, coordinator, [grant.id])
                leg.need_listing_id = need.id
                counted.add(leg.id)
            elif n % 2 == 0:  # another fund's help is not the grant's
                services.set_exchange_tags(db.session.get(Exchange, leg.exchange_id), coordinator, [other.id])
        db.session.commit()
        return grant.id, grant.code, counted


def _sums(history, counted, start, end, member=None, *, giver=True, kinds=TIME):
    """Hours of the tagged legs in [start, end] (of `member`, as giver or receiver), and their credits."""
    legs = [leg for leg in history.legs if leg["id"] in counted and start <= leg["day"] <= end
            and leg["kind"] in kinds and (member is None or leg["giver" if giver else "receiver"] == member)]
    hours = sum((leg["quantity"] for leg in legs), Decimal(0))
    credits = sum((leg["quantity"] for leg in legs if not leg["gift"]), Decimal(0))
    return hours, credits


def _ledger_credits(app, leg_ids, start, end) -> Decimal:
    """The ledger's own positive postings to the givers for these legs, confirmed in [start, end]."""
    from timebank.exchanges.models import Leg
    from timebank.extensions import db
    from timebank.ledger.models import Account, LedgerEntry, Posting

    with app.app_context():
        return Decimal(db.session.scalar(
            select(func.coalesce(func.sum(Posting.amount), 0)).join(LedgerEntry, LedgerEntry.id == Posting.entry_id)
            .join(Leg, Leg.id == LedgerEntry.leg_id).join(Account, Account.id == Posting.account_id)
            .where(Leg.id.in_(leg_ids), Posting.amount > 0, Account.member_id == Leg.giver_member_id,
                   func.date(Leg.confirmed_at) >= start.isoformat() if app.backend == "sqlite"
                   else Leg.confirmed_at >= start,
                   Leg.confirmed_at < end + timedelta(days=1))))


def _row(page: str, label: str) -> tuple[Decimal, Decimal, str]:
    """This period, the period before, and the change, from the comparison table's row `label` (a regex)."""
    found = re.search(label + r'</th>\s*<td[^>]*>([^<]*)</td>\s*<td[^>]*>([^<]*)</td>\s*<td[^>]*>([^<]*)</td>', page)
    assert found, page[page.find('id="comparison"'):][:3000]
    now, before, change = found.groups()
    return (Decimal(now.split()[0].replace(",", "").replace("£", "")),
            Decimal(before.split()[0].replace(",", "").replace("£", "")), change)


def _check_change(now: Decimal, before: Decimal, change: str) -> None:
    difference = now - before
    if not difference:
        assert change == "no change"
        return
    assert change.startswith("up " if difference > 0 else "down ")
    assert Decimal(change.split()[1].replace(",", "")) == abs(difference)


def _busiest_quarter(history, counted):
    """The quarter with the most tagged hours whose previous quarter is inside the history too."""
    quarters = {}
    for leg in history.legs:
        if leg["id"] in counted and leg["kind"] in TIME:
            q = _quarter(leg["day"])
            quarters[q] = quarters.get(q, Decimal(0)) + leg["quantity"]
    earliest = min(leg["day"] for leg in history.legs)
    candidates = [q for q in quarters if q[0] > _quarter(earliest)[1]]
    return max(candidates, key=lambda q: quarters[q])


def test_the_dashboard_cut_by_a_grant_compared_with_the_quarter_before_reconciles_with_the_ledger(
        app, client, auth, history, tagged):
    tag_id, code, counted = tagged
    start, end = _busiest_quarter(history, counted)
    before_start, before_end = _quarter(start - timedelta(days=1))
    hours_now, credits_now = _sums(history, counted, start, end)
    hours_before, _ = _sums(history, counted, before_start, before_end)
    assert hours_now > 0
    # The ledger agrees with the history: the credits posted for the tagged legs are their non-gift hours.
    assert _ledger_credits(app, counted, start, end) == credits_now

    auth.login(history.coordinator)
    url = f"/coordinator/impact?from={start}&to={end}&compare=previous&tag={tag_id}"
    page = client.get(url).get_data(as_text=True)
    assert f"Cut by <strong>{code}: Community Fund (grant)</strong>" in page
    assert f"Compared with the period before: {before_start.day} {before_start:%B %Y}" in page
    now, before, change = _row(page, r"(?:Person-h|H)ours of time and skills given")
    assert (now, before) == (hours_now, hours_before)
    _check_change(now, before, change)
    credits = re.search(r"([\d,.]+) time credits were earned", page)
    assert Decimal(credits.group(1).replace(",", "")) == credits_now
    # Uncut, the same quarter shows more: the cut really cuts.
    whole = client.get(f"/coordinator/impact?from={start}&to={end}&compare=previous").get_data(as_text=True)
    assert _row(whole, r"(?:Person-h|H)ours of time and skills given")[0] > hours_now or len(counted) == len(history.legs)
    assert "Cut by" not in whole
    # The records behind it, as CSV: every row counts under the grant and they add up to the figure.
    rows = list(csv.DictReader(io.StringIO(client.get(url + "&format=csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert rows and all(code in r["programmes_funds_grants"].split("; ") for r in rows)
    assert {r["record"] for r in rows} == {"leg"}  # bookings made from a room's page carry no tag
    assert sum((Decimal(r["quantity"]) for r in rows if r["kind"] in TIME), Decimal(0)) == hours_now


def test_member_reports_cut_by_a_grant_and_their_pdf(app, client, auth, history, tagged):
    from tests.reports.test_documents import _pdf

    tag_id, code, counted = tagged
    start, end = _busiest_quarter(history, counted)
    before_start, before_end = _quarter(start - timedelta(days=1))
    # The member that gave the most tagged time in that quarter.
    giver = max(history.members, key=lambda m: _sums(history, counted, start, end, m, kinds=("time",))[0])
    auth.login(history.admins[giver])
    base = f"?from={start}&to={end}&compare=previous&tag={tag_id}"
    page = client.get(f"/members/{giver}/social-value{base}").get_data(as_text=True)
    now, before, change = _row(page, "Employee volunteering")
    assert now == _sums(history, counted, start, end, giver, kinds=("time",))[0]
    assert before == _sums(history, counted, before_start, before_end, giver, kinds=("time",))[0]
    _check_change(now, before, change)
    page = client.get(f"/members/{giver}/impact{base}").get_data(as_text=True)
    now, before, change = _row(page, r"(?:Person-h|H)ours of time and skills received")
    assert now == _sums(history, counted, start, end, giver, giver=False)[0]
    assert before == _sums(history, counted, before_start, before_end, giver, giver=False)[0]
    _check_change(now, before, change)
    _, text = _pdf(client.get(f"/members/{giver}/social-value{base}&format=pdf"))
    assert f"{code}: Community Fund (grant), funded by The National Lottery Community Fund" in text
    assert "Compared with" in text


def test_a_tag_the_reader_may_not_cut_by_is_shown_beside_the_field(client, auth, history, tagged):
    tag_id, _, _ = tagged
    member = history.members[0]
    auth.login(history.admins[member])
    page = client.get(f"/members/{member}/impact?tag=999999").get_data(as_text=True)
    assert "Choose a programme, fund or grant from the list" in page and 'id="tag-error"' in page
    page = client.get(f"/members/{member}/impact?tag={tag_id}").get_data(as_text=True)
    assert "Cut by" in page
    # The public pages cannot be cut (a grant of one member would name it): the field is not there.
    page = client.get(f"/impact/?tag={tag_id}").get_data(as_text=True)
    assert "Cut by" not in page and 'name="tag"' not in page
