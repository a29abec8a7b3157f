"""Reports as PDF documents: the page's own template, laid out for paper, made by WeasyPrint.

`render_pdf` renders the same template as the web page with `layout` set to
`reports/document.html` (a masthead, the page's content, the appendices and a running footer,
and no navigation or form) and `document` true (the template leaves out its forms and links to
other formats, and adds the appendix of records). WeasyPrint lays it out with
`static/css/document.css` and writes a tagged PDF (PDF/UA-1: a structure tree, real text, the
document's language and title), so a screen reader can read it and its text can be copied.

The documents fetch nothing: charts are SVG in data: URIs and the stylesheet is read from the
package, and the fetcher refuses every other URL, so a link or an image address typed into a
member's name or a rate's source can never make the server fetch anything.
"""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from flask import Response, render_template, request

from timebank.db import utcnow
from timebank.errors import DomainError

STYLESHEET = Path(__file__).resolve().parent.parent / "static" / "css" / "document.css"
EXCHANGE_NAME = "Knowsley Social Sector Exchange"
PUBLISHER = "One Knowsley"


class PdfUnavailable(DomainError):
    """WeasyPrint cannot load its system libraries (Pango, HarfBuzz) on this server."""

    status_code = 503
    kind = "unavailable"


def render_pdf(template: str, **context) -> bytes:
    """The PDF of `template` rendered as a document."""
    # Imported here, not at start-up: without Pango the app still serves every page, and only
    # a PDF download says what is missing (scripts/_pdf_libs.sh installs it).
    try:
        from weasyprint import CSS, HTML, URLFetcher
    except OSError as error:
        raise PdfUnavailable("PDF documents cannot be made on this server just now: "
                             "the web page has the same figures, and you can print it") from error
    prepared = utcnow()
    html = render_template(template, layout="reports/document.html", document=True, prepared_on=prepared.date(),
                           exchange_name=EXCHANGE_NAME, publisher=PUBLISHER, **context)
    fetcher = URLFetcher(allowed_protocols={"data"})
    document = HTML(string=html, base_url=request.url_root, url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[CSS(filename=str(STYLESHEET), url_fetcher=fetcher)],
                              pdf_variant="pdf/ua-1", pdf_identifier=False, uncompressed_pdf=False)


def pdf_response(pdf: bytes, *parts) -> Response:
    """The PDF as a download named from `parts`, like social-value-merseyside-2025-04-01-to-2025-06-30.pdf."""
    name = "-".join(_slug(str(p)) for p in parts if p not in (None, "")) + ".pdf"
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"})


def period_parts(period) -> tuple[str, str]:
    return (str(period.start) if period.start else "start", str(period.end) if period.end else date.today().isoformat())


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "report"
