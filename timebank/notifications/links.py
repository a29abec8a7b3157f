"""Pages of this site named by endpoint and arguments, linked from notifications and emails.

Services say which page they mean (`Page("exchanges.detail", exchange_id=4)`) and never build
links themselves: a link is built when a notification is stored or an email rendered, in a request
or outside one (the CLI, the daily jobs, the seed), from the app's own URL map and BASE_URL, with
no request context needed. An email's links (`site_url`) always come from BASE_URL, the address
people use, whoever sends it: an email is read far from the request that caused it.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for


class Page:
    """A page by its endpoint and the arguments url_for would take; `anchor` is the part after #."""

    __slots__ = ("endpoint", "args", "anchor")

    def __init__(self, endpoint: str, *, anchor: str | None = None, **args) -> None:
        self.endpoint, self.args, self.anchor = endpoint, args, anchor

    def __repr__(self) -> str:
        return f"Page({self.endpoint!r}, {self.args!r}, anchor={self.anchor!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Page) and (self.endpoint, self.args, self.anchor) == (
            other.endpoint, other.args, other.anchor)

    def path(self) -> str:
        """The page's path on this site ("/exchanges/4"), as notifications store it."""
        return link(self.endpoint, anchor=self.anchor, **self.args)

    def url(self) -> str:
        """The page's absolute address on this installation, for an email."""
        return site_url(self.endpoint, anchor=self.anchor, **self.args)


def link(endpoint: str, *, external: bool = False, anchor: str | None = None, **args) -> str:
    """url_for in a request; outside one, the same link from the URL map bound to BASE_URL."""
    if has_request_context():
        return url_for(endpoint, _external=external, _anchor=anchor, **args)
    return _from_base_url(endpoint, args, external=external, anchor=anchor)


def site_url(endpoint: str, *, anchor: str | None = None, **args) -> str:
    """The page's absolute address from BASE_URL, the same in a request, a job or the CLI (for emails)."""
    return _from_base_url(endpoint, args, external=True, anchor=anchor)


def _from_base_url(endpoint: str, args: dict, *, external: bool, anchor: str | None) -> str:
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http")
    found = adapter.build(endpoint, args, force_external=external)
    return f"{found}#{anchor}" if anchor else found
