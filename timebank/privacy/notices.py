"""What the privacy notice, the cookie notice and the accessibility statement say, from the settings
(who runs the exchange, how to reach them) and from the code itself (the cookies it sets, the
retention schedule), so the notices stay true when either changes."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app

from timebank.privacy.inventory import TABLES


@dataclass(frozen=True)
class Cookie:
    name: str
    purpose: str
    expires: str


def controller() -> dict:
    config = current_app.config
    contact = config.get("CONTACT_EMAIL") or ""
    return {
        "name": config.get("CONTROLLER_NAME") or "One Knowsley",
        "address": config.get("CONTROLLER_ADDRESS") or "",
        "ico_number": config.get("CONTROLLER_ICO_NUMBER") or "",
        "email": contact,
        "phone": config.get("CONTACT_PHONE") or "",
        "privacy_email": config.get("PRIVACY_CONTACT_EMAIL") or contact,
        "dpo": config.get("DPO_NAME") or "",
        "processors": config.get("PRIVACY_PROCESSORS") or "",
        "accessibility_email": config.get("ACCESSIBILITY_CONTACT_EMAIL") or contact,
        "accessibility_phone": config.get("ACCESSIBILITY_CONTACT_PHONE") or config.get("CONTACT_PHONE") or "",
        "tested_on": config.get("ACCESSIBILITY_TESTED_ON") or "",
        "site": config.get("BASE_URL") or "",
    }


def _duration(value) -> str:
    if isinstance(value, (int, float)):
        value = timedelta(seconds=value)
    days = value.days
    if days and days % 365 == 0:
        return f"{days // 365} year{'s' if days // 365 != 1 else ''}"
    if days:
        return f"{days} day{'s' if days != 1 else ''}"
    return f"{int(value.total_seconds() // 60)} minutes"


def cookies() -> list[Cookie]:
    """Every cookie the exchange sets, with its name as configured: all strictly necessary."""
    config = current_app.config
    # The cookies' names and lifetimes as the app sets them (timebank/accounts/sessions.py);
    # tests/privacy/test_notices.py checks them against the cookies really set.
    hours = config.get("SESSION_HOURS", 12)
    remember = timedelta(days=config["REMEMBER_DAYS"]) if "REMEMBER_DAYS" in config else (
        config.get("REMEMBER_COOKIE_DURATION") or timedelta(days=365))
    return [
        Cookie(config.get("SESSION_COOKIE_NAME") or "session",
               "Keeps you signed in as you move from page to page (a random code: your sign-in itself ends after "
               f"{hours} hours); holds a security code that stops other websites sending forms in your name, and "
               "one-off messages such as \u201cSigned in\u201d. Set when you sign in or open a page with a form.",
               "when you close your browser"),
        Cookie(config.get("REMEMBER_COOKIE_NAME") or "remember_token",
               "Keeps you signed in on this device after you close your browser. Set only if you choose to "
               "stay signed in when you sign in; it stops working when you sign out.",
               f"after {_duration(remember)}"),
    ]


def retention_rows() -> list[tuple[str, str]]:
    """(what, how long) for every table that holds something about people, for the privacy notice."""
    return [(table.what, table.keep) for table in TABLES if table.personal]
