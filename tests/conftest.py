"""Fixtures for the whole suite: `app`, `client`, `auth`, `mailbox`, data factories, on two databases.

Every test that takes `app` (or anything built on it) runs once on SQLite and once on
PostgreSQL; `--db sqlite` or `--db postgresql` narrows that. The matcher's tests use none of it.
"""
from __future__ import annotations

import logging
import re
import secrets
import shutil
import socket
import subprocess
import threading
import time
import traceback
from collections import Counter
from email import message_from_bytes
from email.message import Message

import pytest
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket

from tests import databases

BACKENDS = ("sqlite", "postgresql")
_ran_on: Counter = Counter()


def pytest_addoption(parser):
    parser.addoption("--db", default=",".join(BACKENDS),
                     help="comma-separated databases to run app tests on (sqlite, postgresql)")


def pytest_configure(config):
    chosen = [b.strip() for b in config.getoption("--db").split(",") if b.strip()]
    unknown = set(chosen) - set(BACKENDS)
    if unknown:
        raise pytest.UsageError(f"unknown --db {sorted(unknown)}; choose from {BACKENDS}")
    config._timebank_backends = chosen
    if "postgresql" in chosen and not hasattr(config, "workerinput"):
        databases.ensure_pgserver_user()


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", metafunc.config._timebank_backends, scope="session")


def pytest_report_header(config):
    return f"databases: {', '.join(config._timebank_backends)} (app tests run on each)"


def pytest_runtest_logreport(report):
    if report.when == "call" and report.passed and "[" in report.nodeid:
        params = report.nodeid.rsplit("[", 1)[1].rstrip("]").split("-")
        for backend in BACKENDS:
            if backend in params:
                _ran_on[backend] += 1


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if hasattr(config, "workerinput"):
        return
    parts = [f"{name}: {_ran_on.get(name, 0)} tests passed" for name in BACKENDS]
    terminalreporter.write_sep("=", "databases this run used: " + "; ".join(parts))


# -- servers for the session ------------------------------------------------------------------

_servers: dict = {}


@pytest.fixture(scope="session")
def database_server(backend):
    if backend not in _servers:
        _servers[backend] = databases.PostgresServer() if backend == "postgresql" else databases.SqliteFiles()
    return _servers[backend]


def pytest_sessionfinish(session, exitstatus):
    for server in _servers.values():
        server.stop()
    _servers.clear()


@pytest.fixture(scope="session")
def smtp_server():
    """A real SMTP server on loopback (aiosmtpd); the app sends mail to it over SMTP."""
    from aiosmtpd.controller import Controller

    class Handler:
        def __init__(self):
            self.messages: list[Message] = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(message_from_bytes(envelope.content))
            return "250 Message accepted"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield controller, handler
    controller.stop()


@pytest.fixture()
def redis_url(tmp_path):
    """A real redis-server of this test's own, on a Unix socket; skipped where it is not installed."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed (scripts/test installs it when run as root)")
    path = tmp_path / "redis.sock"
    process = subprocess.Popen([server, "--port", "0", "--unixsocket", str(path), "--save", "",
                                "--appendonly", "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    for _ in range(100):
        if path.exists():
            break
        time.sleep(0.05)
    yield f"unix://{path}"
    process.terminate()
    process.wait(10)


class Mailbox:
    """What the app sent over SMTP during one test."""

    def __init__(self, handler):
        self._handler = handler
        self._start = len(handler.messages)
        self._lock = threading.Lock()

    @property
    def messages(self) -> list[Message]:
        return self._handler.messages[self._start:]

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if address in m["To"]]

    @staticmethod
    def body(message: Message) -> str:
        if message.is_multipart():
            message = message.get_payload()[0]
        return message.get_payload(decode=True).decode()


@pytest.fixture()
def mailbox(smtp_server):
    return Mailbox(smtp_server[1])


# -- the app -------------------------------------------------------------------------------

class _CompiledTemplates(BytecodeCache):
    """Compiled templates shared by the apps of the `app` fixture in one test process.

    Each test gets a new app, and each app a new Jinja environment, which would parse and compile
    every template it renders again (about half a second of each test). Jinja keys the cache by
    the template's name and checks the stored checksum of its source when loading, so an edited
    template is compiled afresh; the pages rendered are the same. The key does not include the
    environment's options (autoescaping, extensions, delimiters): every app here is built by
    `create_app` with the same ones, and a test that changed them would need its own cache.
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_templates = _CompiledTemplates()
# A key of the suite's own, like one an operator sets (the app serves other addresses with it).
_SECRET_KEY = secrets.token_hex(32)


@pytest.fixture()
def app(database_server, smtp_server, backend):
    from timebank import create_app
    from timebank.extensions import db

    name, url = database_server.new_database()
    controller, _ = smtp_server
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": _SECRET_KEY,
        "WTF_CSRF_ENABLED": False,
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": controller.hostname,
        "MAIL_PORT": controller.port,
        "SERVER_NAME": "exchange.test",
        "BASE_URL": "http://exchange.test",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast; the default (scrypt) is checked in test_auth
        "RATELIMIT_ENABLED": False,  # per-address limits have their own tests (tests/security)
        "ACCOUNT_ANSWER_SECONDS": 0,  # the floor that hides timing is measured by bench/account_timing.py
        "REPAIR_QUEUE": "inline",  # a decline's repair at once; the queue's own path: tests/matcher/test_repair.py
    })
    app.backend = backend
    app.jinja_env.bytecode_cache = _templates
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    database_server.drop_database(name)


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def runner(app):
    return app.test_cli_runner()


@pytest.fixture()
def ctx(app):
    """An app context with a request context, for calling services directly."""
    with app.test_request_context():
        yield


PASSWORD = "correct-horse-battery"


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, email: str, password: str = PASSWORD, follow: bool = True):
        return self._client.post("/sign-in", data={"email": email, "password": password},
                                 follow_redirects=follow)

    def logout(self):
        return self._client.post("/sign-out", follow_redirects=True)


@pytest.fixture()
def auth(client):
    return AuthActions(client)


# -- data factories --------------------------------------------------------------------------

@pytest.fixture()
def make_user(app):
    from timebank.accounts import services
    from timebank.extensions import db

    counter = iter(range(1, 10_000))

    def make(email: str | None = None, *, name: str = "Test Person", coordinator: bool = False,
             confirmed: bool = True, password: str = PASSWORD):
        with app.test_request_context():
            user = services.create_user(email or f"person{next(counter)}@example.org", password, name,
                                        confirmed=confirmed)
            if coordinator:
                services.make_coordinator(user)
            db.session.commit()
            return user.id

    return make


@pytest.fixture()
def make_member(app, make_user):
    """make_member(name=..., status="active", admin_email=...) -> (member_id, admin_user_id)."""
    from timebank.accounts.models import User
    from timebank.extensions import db
    from timebank.members import services
    from timebank.members.models import Member

    counter = iter(range(1, 10_000))

    def make(name: str | None = None, *, type: str = "charity", postcode: str = "L36 9YS",
             status: str = "active", admin_email: str | None = None, **fields):
        user_id = make_user(admin_email)
        with app.test_request_context():
            user = db.session.get(User, user_id)
            member = services.register_member(user, name=name or f"Test Organisation {next(counter)}",
                                              type=type, postcode=postcode, **fields)
            if status != "pending":
                db.session.get(Member, member.id).status = status
            db.session.commit()
            return member.id, user_id

    return make


@pytest.fixture()
def categories(app):
    """The shipped taxonomy, loaded; returns {slug: id}."""
    import json
    from pathlib import Path

    from sqlalchemy import select

    from timebank.extensions import db
    from timebank.listings.models import Category
    from timebank.listings.services import load_categories

    with app.app_context():
        load_categories(json.loads((Path(__file__).parent.parent / "seed" / "categories.json").read_text()))
        db.session.commit()
        return dict(db.session.execute(select(Category.slug, Category.id)).all())


@pytest.fixture()
def make_listing(app, categories):
    """make_listing(member_id, user_id, **overrides) -> listing id, posted through the service."""
    from datetime import timedelta
    from decimal import Decimal

    from timebank.accounts.models import User
    from timebank.db import today
    from timebank.extensions import db
    from timebank.listings import services
    from timebank.members.models import Member

    def make(member_id: int, user_id: int, **overrides):
        fields = dict(direction="need", kind="skill", category_id=categories["bookkeeping"],
                      title="Help with our bookkeeping", description="Our treasurer is leaving.",
                      quantity=Decimal(4), available_from=today(), available_until=today() + timedelta(days=60))
        fields.update(overrides)
        with app.test_request_context():
            listing = services.create_listing(db.session.get(Member, member_id), db.session.get(User, user_id),
                                              **fields)
            db.session.commit()
            return listing.id

    return make


# -- no log line of a test run holds an email address ------------------------------------------

class _LogLines(logging.Handler):
    """Every line the app's logging would write during the run: the app's own loggers as their
    JSON formatter writes them, anything else (WARNING and up, which reaches standard error) as
    its message. The suite's own SMTP server (aiosmtpd's "mail.log") is not the app."""

    HARNESS = ("mail.log", "aiosmtpd", "asyncio", "faker", "hypothesis")

    def __init__(self) -> None:
        super().__init__(level=logging.NOTSET)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(self.HARNESS):
            return
        if record.name == "timebank" or record.name.startswith("timebank."):
            from timebank.operations.logs import JsonFormatter

            line = JsonFormatter().format(record)
        elif record.levelno >= logging.WARNING:
            line = record.getMessage() + (self.formatException(record.exc_info) if record.exc_info else "")
        else:
            return
        self.lines.append(line)

    @staticmethod
    def formatException(exc_info) -> str:
        return "\n" + "".join(traceback.format_exception(*exc_info))


_log_lines = _LogLines()
logging.getLogger().addHandler(_log_lines)
EMAIL_ADDRESS = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


@pytest.fixture(autouse=True)
def no_email_address_in_log_lines():
    """The privacy notice and docs/privacy.md promise logs hold no email addresses: every test checks.
    Alembic's env.py (logging.config.fileConfig) replaces the root logger's handlers whenever a test
    migrates, so the collector is put back before each test, or every later test would check nothing."""
    root = logging.getLogger()
    if _log_lines not in root.handlers:
        root.addHandler(_log_lines)
    start = len(_log_lines.lines)
    yield
    leaked = [line for line in _log_lines.lines[start:] if EMAIL_ADDRESS.search(line)]
    del _log_lines.lines[start:]
    assert not leaked, f"log lines hold email addresses: {leaked[:3]}"
