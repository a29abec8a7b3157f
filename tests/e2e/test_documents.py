"""Reports taken away: each PDF downloaded from its page's own link holds the figures the page
shows; the printed page has no form controls; the network reads on a phone; /open-data links to
both feeds. With SCREENSHOTS=1 the first page of each PDF is kept as a picture (pdftoppm)."""
from __future__ import annotations

import io
import os
import re
import shutil
import subprocess

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.e2e.conftest import SCREENSHOTS

pytestmark = pytest.mark.e2e

REPORTS = [
    ("business", "/members/{business}/social-value", "social-value-pdf"),
    ("member", "/members/{member}/impact", "impact-statement-pdf"),
    ("coordinator", "/coordinator/impact", "sector-dashboard-pdf"),
    (None, "/impact/", "public-impact-pdf"),
    ("coordinator", "/coordinator/network", "network-pdf"),
]


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.trailer["/Root"]["/Lang"] == "en-GB" and "/StructTreeRoot" in reader.trailer["/Root"]
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in reader.pages))


@pytest.mark.parametrize(("who", "path", "name"), REPORTS)
def test_each_pdf_holds_the_figures_its_page_shows(demo, ids, pages_as, tmp_path, who, path, name):
    page = pages_as(who)
    page.goto(demo.url + path.format(**ids))
    figures = [t.strip() for t in page.locator(".stat__value").all_inner_texts()]
    assert figures, "the page shows headline figures"
    ranges = [t.strip() for t in page.locator(".report-range__figure").all_inner_texts()]
    with page.expect_download() as download:
        page.get_by_role("link", name="Download this report as a PDF document").click()
    pdf = (tmp_path / "report.pdf")
    download.value.save_as(pdf)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and download.value.suggested_filename.endswith(".pdf")
    text = _text(data)
    for figure in figures + ranges:
        assert figure in text, f"{figure!r} is on the page but not in the PDF"
    assert "recorded through the exchange" in text.lower()
    if os.environ.get("SCREENSHOTS") == "1" and shutil.which("pdftoppm"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                        str(SCREENSHOTS / name)], check=True)


def test_a_printed_report_has_no_form_controls(demo, ids, pages_as):
    page = pages_as("business")
    page.goto(f"{demo.url}/members/{ids['business']}/social-value?from=2025-01-01")
    expect(page.get_by_label("From")).to_be_visible()
    page.emulate_media(media="print")
    try:
        for selector in ("input", "select", "button", "textarea", ".report-formats"):
            assert all(not el.is_visible() for el in page.locator(f"main {selector}").all()), selector
        expect(page.get_by_role("heading", name=re.compile("Social Value report"))).to_be_visible()
    finally:
        page.emulate_media(media="screen")


def test_the_network_reads_on_a_phone(demo, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    page = context.new_page()
    try:
        page.goto(demo.url + "/impact/network")
        expect(page.get_by_role("img", name=re.compile("Network diagram"))).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways ({width} px)"
        box = page.get_by_role("img", name=re.compile("Network diagram")).bounding_box()
        assert box["width"] <= 390
        expect(page.locator("#network-links")).to_be_attached()
        if os.environ.get("SCREENSHOTS") == "1":
            from tests.e2e.conftest import screenshot

            screenshot(page, "mobile-network", max_height=1600)
    finally:
        context.close()


def test_open_data_page_links_to_both_feeds(demo, pages_as):
    page = pages_as(None)
    page.goto(demo.url + "/")
    page.get_by_role("link", name="Open data").click()
    expect(page.get_by_role("heading", name="Open data", level=1)).to_be_visible()
    for name, kind in (("Volunteering opportunities feed (JSON-LD)", "application/ld+json"),
                       ("Services (Open Referral UK, JSON)", "application/json"),
                       ("Organisations (Open Referral UK, JSON)", "application/json")):
        href = page.get_by_role("link", name=name).get_attribute("href")
        response = page.request.get(demo.url + href)
        assert response.ok and response.headers["content-type"].startswith(kind)
        assert response.headers["access-control-allow-origin"] == "*"
