"""Which formats a page offers (`?format=pdf`, `?format=csv`), and a clear 406 for any other.

A view lists what it offers with `@offers("pdf", "csv")` (every page is also HTML). A request for
any other format gets a 406 page that names the formats the page does offer and links to each,
before the view runs: never a page in the wrong format, never a server error.
"""
from __future__ import annotations

from flask import Flask, current_app, render_template, request, url_for

FORMAT_NAMES = {"html": "Web page", "pdf": "PDF document", "csv": "CSV spreadsheet (the records)"}


def offers(*formats: str):
    """Mark a view as offering `formats` besides HTML. Put it right under `@bp.route`."""
    def mark(view):
        view.formats = ("html", *formats)
        return view
    return mark


def requested_format() -> str:
    return (request.args.get("format") or "html").strip().lower()


def page_args(**changes) -> dict:
    """The page's query string with `changes` (None removes a key): for links to the same report
    in another format or for other dates, without repeating a key (which url_for refuses)."""
    args = {key: value for key, value in request.args.items()}
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return args


def _check_format():
    if "format" not in request.args or request.endpoint is None or request.path.startswith("/api/"):
        return None
    view = current_app.view_functions.get(request.endpoint)
    offered = getattr(view, "formats", ("html",))
    asked = requested_format()
    if asked in offered:
        return None
    links = [(FORMAT_NAMES.get(f, f), url_for(request.endpoint, **(request.view_args or {}),
                                             **page_args(format=None if f == "html" else f)))
             for f in offered]
    return render_template("errors/format.html", asked=request.args.get("format", "")[:40], links=links), 406


def register(app: Flask) -> None:
    app.before_request(_check_format)
    app.add_template_global(page_args)
