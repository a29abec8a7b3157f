"""Reports as PDF documents, formats a page does not offer, and period-on-period comparison."""
from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader


def _pdf(response) -> tuple[PdfReader, str]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert "attachment" in response.headers["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return reader, re.sub(r"\s+", " ", text)


def _accessible(reader: PdfReader) -> None:
    """Tagged (a structure tree, marked content), in British English, with a title."""
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en-GB"
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert reader.metadata.title


def test_social_value_report_as_a_pdf_holds_the_pages_figures(app, client, auth, history):
    from timebank.extensions import db
    from timebank.members.models import Member
    from timebank.reports.figures import Period
    from timebank.reports.social_value import social_value

    business = history.members[3]
    auth.login(history.admins[business])
    page = client.get(f"/members/{business}/social-value?from=2025-04-01&to=2026-09-30").get_data(as_text=True)
    link = f"/members/{business}/social-value?from=2025-04-01&amp;to=2026-09-30&amp;format=pdf"
    assert link in page
    reader, text = _pdf(client.get(link.replace("&amp;", "&")))
    _accessible(reader)
    with app.test_request_context():
        report = social_value(db.session.get(Member, business), Period(date(2025, 4, 1), date(2026, 9, 30)))
        hours = report.given.quantity["time"]
        central = report.given.band_total("central")
        lines = len(report.lines)
    assert "Social Value report" in text and "Reports Member 3" in text
    assert "Knowsley Social Sector Exchange" in text and "1 April 2025 to 30 September 2026" in text
    assert f"{hours:,.2f}".rstrip("0").rstrip(".") in text or f"{hours:,}" in text
    assert f"£{central:,.2f}" in text
    assert "Recorded through the exchange" in text and "never the borough’s total" in text
    assert "Appendix: the records behind these figures" in text and f"{lines} in all" in text
    assert "Real Living Wage" in text and "Licence" in text
    assert "Dates this report covers" not in text  # no form in the document


def test_impact_statement_and_dashboards_as_pdfs(client, auth, history):
    member = history.members[1]
    auth.login(history.admins[member])
    reader, text = _pdf(client.get(f"/members/{member}/impact?format=pdf"))
    _accessible(reader)
    assert "Impact statement" in text and "Reports Member 1" in text and "Appendix" in text
    auth.logout()
    reader, text = _pdf(client.get("/impact/?format=pdf"))
    assert "Reports Member" not in text  # the public version names nobody, in the appendix too
    assert "Appendix" in text and "What is and is not counted" in text
    auth.login(history.coordinator)
    reader, text = _pdf(client.get("/coordinator/impact?format=PDF"))
    assert "Sector dashboard" in text and "Reports Member" in text


def test_a_format_the_page_does_not_offer_is_a_406_that_says_what_it_offers(client, auth, history):
    business = history.members[3]
    auth.login(history.admins[business])
    for url, offered in ((f"/members/{business}/social-value?format=xlsx", ("PDF document", "CSV spreadsheet")),
                         (f"/members/{business}/impact?format=json", ("PDF document", "CSV spreadsheet")),
                         ("/impact/?format=csv&from=2025-01-01", ("PDF document",)),
                         ("/?format=pdf", ("Web page",)),
                         (f"/members/{business}/exports?format=<b>pdf</b>", ("Web page",))):
        response = client.get(url)
        page = response.get_data(as_text=True)
        assert response.status_code == 406, url
        assert "This page is not available in that format" in page
        assert all(name in page for name in offered), url
        assert "<b>pdf" not in page
    assert client.get("/impact/?format=html").status_code == 200


def test_links_to_other_formats_keep_the_dates_and_never_repeat_a_key(client, auth, history):
    """Asking for ?format=pdf used to be a 500: the CSV link added format= to a query that had it."""
    business = history.members[3]
    auth.login(history.admins[business])
    page = client.get(f"/members/{business}/social-value?from=2025-04-01&format=html").get_data(as_text=True)
    assert f"/members/{business}/social-value?from=2025-04-01&amp;format=csv" in page
    assert client.get(f"/members/{business}/social-value?from=2025-04-01&format=pdf").status_code == 200


def _quarter_hours(history, member, start, end, *, giver=True):
    return sum((leg["quantity"] for leg in history.legs if leg["kind"] in ("time", "skill")
                and leg[("giver" if giver else "receiver")] == member and start <= leg["day"] <= end), Decimal(0))


def test_quarter_on_quarter_shows_the_change_reconciled_with_the_ledger(app, client, auth, history):
    from sqlalchemy import func, select

    from timebank.exchanges.models import Leg
    from timebank.extensions import db
    from timebank.ledger.models import LedgerEntry, Posting

    giver = history.members[0]
    auth.login(history.admins[giver])
    page = client.get(f"/members/{giver}/impact?from=2025-07-01&to=2025-09-30&compare=previous").get_data(as_text=True)
    assert "Compared with the period before: 1 April 2025 to 30 June 2025" in page
    now = _quarter_hours(history, giver, date(2025, 7, 1), date(2025, 9, 30))
    before = _quarter_hours(history, giver, date(2025, 4, 1), date(2025, 6, 30))
    # The ledger agrees with the generated history: the credits posted for those legs are their hours.
    with app.app_context():
        posted = db.session.scalar(
            select(func.coalesce(func.sum(Posting.amount), 0)).join(LedgerEntry, LedgerEntry.id == Posting.entry_id)
            .join(Leg, Leg.id == LedgerEntry.leg_id).where(Leg.giver_member_id == giver, Posting.amount > 0,
                                                            Leg.is_gift.is_(False)))
    expected_ledger = sum((leg["quantity"] for leg in history.legs if leg["giver"] == giver
                           and leg["kind"] in ("time", "skill") and not leg["gift"]), Decimal(0))
    assert Decimal(posted) == expected_ledger
    row = re.search(r'Person-hours of time and skills given</th>\s*<td[^>]*>([^<]*)</td>\s*<td[^>]*>([^<]*)</td>\s*'
                    r'<td[^>]*>([^<]*)</td>', page)
    assert row, page[page.find("comparison"):][:2000]
    shown_now, shown_before, change = row.groups()
    assert Decimal(shown_now.split()[0].replace(",", "")) == now
    assert Decimal(shown_before.split()[0].replace(",", "")) == before
    difference = now - before
    if difference:
        assert change.startswith("up " if difference > 0 else "down ")
        assert Decimal(change.split()[1].replace(",", "")) == abs(difference)
    else:
        assert change == "no change"


def test_comparing_needs_both_dates(client, auth, history):
    page = client.get("/impact/?from=2025-07-01&compare=year").get_data(as_text=True)
    assert "Enter both dates to compare them with another period" in page


@pytest.mark.parametrize(("start", "end", "how", "expected"), [
    (date(2025, 7, 1), date(2025, 9, 30), "previous", (date(2025, 4, 1), date(2025, 6, 30))),
    (date(2025, 1, 1), date(2025, 3, 31), "previous", (date(2024, 10, 1), date(2024, 12, 31))),
    (date(2025, 3, 1), date(2025, 3, 31), "previous", (date(2025, 2, 1), date(2025, 2, 28))),
    (date(2025, 1, 1), date(2025, 12, 31), "previous", (date(2024, 1, 1), date(2024, 12, 31))),
    (date(2025, 3, 10), date(2025, 3, 16), "previous", (date(2025, 3, 3), date(2025, 3, 9))),
    (date(2024, 2, 29), date(2024, 3, 10), "year", (date(2023, 2, 28), date(2023, 3, 10))),
    (date(2024, 1, 1), date(2024, 2, 29), "year", (date(2023, 1, 1), date(2023, 2, 28))),
])
def test_the_period_compared_with(start, end, how, expected):
    from timebank.reports.comparison import previous_period
    from timebank.reports.figures import Period

    before = previous_period(Period(start, end), how)
    assert (before.start, before.end) == expected


def test_change_in_words():
    from timebank.reports.comparison import Change

    assert Change("x", Decimal("15"), Decimal("10")).described == "up 5 (50%)"
    assert Change("x", Decimal("7.50"), Decimal("10")).described == "down 2.50 (25%)"
    assert Change("x", Decimal("3"), Decimal("0")).described == "up 3 (none before)"
    assert Change("x", Decimal("3"), Decimal("3")).described == "no change"
    assert Change("x", Decimal("1200"), Decimal("200"), money=True).described == "up £1,000.00 (500%)"


def test_a_filled_toms_slot_gives_a_copyable_table_of_codes(app, client, auth, history):
    from sqlalchemy import select

    from timebank.extensions import db
    from timebank.reports.models import ValuationRate

    def community_hours(member):  # NT29: time given to members that are not businesses
        return sum((leg["quantity"] for leg in history.legs if leg["giver"] == member and leg["kind"] == "time"
                    and leg["receiver"] != history.members[3]), Decimal(0))

    giver = max(history.members, key=community_hours)
    hours = community_hours(giver)
    assert hours > 0
    auth.login(history.admins[giver])
    assert "TOMs codes this report evidences" not in client.get(f"/members/{giver}/social-value").get_data(as_text=True)
    with app.app_context():
        slot = db.session.scalar(select(ValuationRate).where(ValuationRate.measure_code == "NT29"))
        slot.value = Decimal("2.00")
        db.session.commit()
    page = client.get(f"/members/{giver}/social-value").get_data(as_text=True)
    assert "TOMs codes this report evidences" in page
    table = page[page.index('id="toms-table"'):]
    table = table[:table.index("</table>")]
    assert f"<td class=\"table__cell table__cell--numeric\">{hours:.2f}</td>" in table
    assert f"{hours * 2:.2f}" in table and "NT29" in table and "NT17" not in table
    _, text = _pdf(client.get(f"/members/{giver}/social-value?format=pdf"))
    assert "TOMs codes this report evidences" in text and "NT29" in text


def test_the_public_dashboard_never_gives_the_csv_of_records_with_member_names(app, client, history):
    """The format check answers ?format=csv with a 406 on /impact/; the view itself must not give the
    records either, should that check ever let it through (each record names its two members)."""
    from timebank.reports.views import _dashboard

    assert client.get("/impact/?format=csv").status_code == 406
    with app.test_request_context("/impact/?format=csv"):
        response = app.make_response(_dashboard(public=True))
    body = response.get_data(as_text=True)
    assert response.mimetype == "text/html" and "Reports Member" not in body
