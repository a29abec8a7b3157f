"""End-to-end fixtures: the app served live on PostgreSQL, driven by Debian's Chromium through Playwright.

Each module that needs a world gets a fresh PostgreSQL database cloned from the suite's template
(tests/databases.py), an app made with `create_app`, and a werkzeug server on a free loopback
port. Mail goes over SMTP to the suite's aiosmtpd server (`smtp_server`), so a test can follow the
confirmation link a person would click. Matcher runs are synchronous (MATCHER_QUEUE=inline).

These tests always use PostgreSQL, whatever `--db` says; `--db sqlite` (narrowing to SQLite)
leaves them out. Without /usr/bin/chromium they are skipped with the reason (CI installs it:
scripts/test does, as root).
"""
from __future__ import annotations

import os
import re
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

from tests import databases
from tests.conftest import _servers

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync", "--lang=en-GB"]
PASSWORD = "correct-horse-battery"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def pytest_collection_modifyitems(config, items):
    e2e = [item for item in items if item.get_closest_marker("e2e")]
    if not e2e:
        return
    if "postgresql" not in config._timebank_backends:
        # `--db sqlite` narrows the run to SQLite; these run on PostgreSQL only.
        config.hook.pytest_deselected(items=e2e)
        items[:] = [item for item in items if not item.get_closest_marker("e2e")]
        return
    if not os.path.exists(CHROMIUM):
        skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}: install it with `apt-get install -y chromium` "
                                       "(scripts/test does this when run as root)")
        for item in e2e:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}, "locale": "en-GB",
            "timezone_id": "Europe/London"}


@pytest.fixture(scope="session")
def postgres_server():
    """The suite's PostgreSQL server (started once for the session, shared with the app tests)."""
    if "postgresql" not in _servers:
        databases.ensure_pgserver_user()
        _servers["postgresql"] = databases.PostgresServer()
    return _servers["postgresql"]


class LiveServer:
    """One app on one fresh database, served on a free port for as long as the module runs."""

    def __init__(self, postgres_server, smtp_controller, handler):
        from werkzeug.serving import make_server

        from timebank import create_app

        self._postgres = postgres_server
        self.database, url = postgres_server.new_database()
        self.app = create_app({
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "e2e-secret",
            "MAIL_BACKEND": "smtp",
            "MAIL_SERVER": smtp_controller.hostname,
            "MAIL_PORT": smtp_controller.port,
            "MATCHER_QUEUE": "inline",
            "RATELIMIT_ENABLED": False,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        })
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self.app.config["BASE_URL"] = self.url
        self._handler = handler
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @contextmanager
    def context(self):
        """An app context with a request context, for setting up data through the services."""
        from timebank.extensions import db

        with self.app.test_request_context():
            yield db.session

    def emails_to(self, address: str):
        return [m for m in self._handler.messages if address in m["To"]]

    def link_in_last_email_to(self, address: str, path: str) -> str:
        """The absolute link to `path` in the latest email to `address`."""
        from tests.conftest import Mailbox

        message = self.emails_to(address)[-1]
        found = re.search(re.escape(self.url) + re.escape(path) + r"\S*", Mailbox.body(message))
        assert found, f"no link to {path} in the email to {address}"
        return found.group(0)

    def stop(self) -> None:
        from timebank.extensions import db

        self._server.shutdown()
        self._thread.join(timeout=10)
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
        self._postgres.drop_database(self.database)


@pytest.fixture(scope="module")
def live(postgres_server, smtp_server):
    """A live server on an empty database (the schema, categories, valuation rates and a coordinator)."""
    import json

    from seed.rates import load_rates
    from timebank.accounts import services as accounts
    from timebank.listings.services import load_categories

    server = LiveServer(postgres_server, *smtp_server)
    with server.context() as session:
        load_categories(json.loads((Path(__file__).parents[2] / "seed" / "categories.json").read_text()))
        load_rates(log=lambda *_: None)
        coordinator = accounts.create_user("coordinator@e2e.example", PASSWORD, "Sam Coordinator", confirmed=True)
        accounts.make_coordinator(coordinator)
        session.commit()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def demo(postgres_server, smtp_server):
    """A live server holding the demo sector (seed/demo.py) and one matcher run's proposals."""
    from seed.demo import load_demo
    from timebank.accounts.services import find_user
    from timebank.matcher import runs

    server = LiveServer(postgres_server, *smtp_server)
    with server.context() as session:
        load_demo(log=lambda *_: None)
        session.commit()
        run = runs.start_run(find_user("coordinator@oneknowsley.example"), {})
        session.commit()
        runs.execute_run(run.id)
    yield server
    server.stop()


DEMO_PASSWORD = "demo-password-1"
PEOPLE = {"coordinator": "coordinator@oneknowsley.example",
          "member": "admin@kirkby-community-food-bank.example",
          "business": "admin@merseyside-accountancy-partners-ltd.example"}


@pytest.fixture(scope="module")
def ids(demo):
    """Ids from the demo data, to fill paths like /members/{member}."""
    from timebank.exchanges.models import Exchange, Party
    from timebank.matcher.models import MatcherRun
    from timebank.listings.models import Listing
    from timebank.members.models import Asset, Member

    with demo.context() as session:
        def member(name):
            return session.scalar(select(Member.id).where(Member.name == name))
        food_bank = member("Kirkby Community Food Bank")
        return {
            "member": food_bank,
            "business": member("Merseyside Accountancy Partners Ltd"),
            "other": session.scalar(select(Member.id).where(Member.status == "active", Member.id != food_bank)
                                    .order_by(Member.id)),
            "pending": session.scalar(select(Member.id).where(Member.status == "pending").order_by(Member.id)),
            "listing": session.scalar(select(Listing.id).where(Listing.status == "open").order_by(Listing.id)),
            "exchange": session.scalar(select(Exchange.id).join(Party).where(Party.member_id == food_bank)
                                       .order_by(Exchange.id)),
            "run": session.scalar(select(MatcherRun.id)),
            "room": session.scalar(select(Asset.id).where(Asset.kind == "room", Asset.member_id != food_bank)),
            "item": session.scalar(select(Asset.id).where(Asset.kind == "equipment", Asset.member_id != food_bank)),
        }


@pytest.fixture(scope="module")
def pages_as(demo, browser):
    """One signed-in page per person, kept for the module (signing in once each)."""
    opened = {}

    def page_for(who):
        if who not in opened:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
            opened[who] = context.new_page()
            if who is not None:
                from tests.e2e.world import sign_in

                sign_in(opened[who], demo.url, PEOPLE[who], DEMO_PASSWORD)
        return opened[who]

    yield page_for
    for page in opened.values():
        page.context.close()


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical violations on the page, one line per element."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"resultTypes": ["violations"]})
    return [f"{v['impact']}: {v['id']} ({v['help']}) at {node['target']}: {node.get('failureSummary', '')}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")
            for node in v["nodes"]]


def screenshot(page, name: str, *, max_height: int = 2000) -> None:
    """With SCREENSHOTS=1, save the page (its top `max_height` px) as docs/screenshots/<name>.png."""
    if os.environ.get("SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    height = min(max_height, page.evaluate("document.documentElement.scrollHeight"))
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True,
                    clip={"x": 0, "y": 0, "width": width, "height": height})
