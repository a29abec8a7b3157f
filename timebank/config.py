"""Configuration from environment variables, with safe development defaults."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"
# A key shorter than this, or one printed in this repository's history, is not a secret.
MIN_SECRET_KEY_LENGTH = 32
PUBLIC_SECRET_KEYS = frozenset({"dev-only-not-secret", "test-secret", "e2e-secret", "bench", "faults", "load-test",
                                "change-me", "changeme", "secret"})


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def database_url() -> str:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'timebank.sqlite3'}"
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants an explicit driver.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def limits_storage(redis_url: str) -> str:
    """The rate limiter's name for a Redis URL: redis-py's unix:// is limits' redis+unix://."""
    return "redis+unix://" + redis_url[len("unix://"):] if redis_url.startswith("unix://") else redis_url


def is_real_secret(key: str | None) -> bool:
    """A key someone chose for this installation: long enough, and not one written in public."""
    return bool(key) and len(key) >= MIN_SECRET_KEY_LENGTH and key not in PUBLIC_SECRET_KEYS


def instance_secret(folder: Path = INSTANCE_DIR) -> str:
    """This checkout's own random key, made on first start in `folder`/secret_key (readable by its owner only).

    `scripts/serve` and the tests need no setup: the key is random, so cookies and links cannot be
    forged from the source, and it survives restarts, so sessions do too. It is for this machine
    only: a request from another address is refused until SECRET_KEY is set (`security.py`).
    """
    path = folder / "secret_key"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        try:
            # O_EXCL: of two processes starting at once (a web worker and `flask seed`), one writes.
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_hex(32) + "\n")
    key = path.read_text().strip()
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise RuntimeError(f"{path} holds no usable key: delete it and start again, or set SECRET_KEY")
    return key


def from_environment() -> dict:
    """Build the config mapping. Production (`TIMEBANK_ENV=production`) insists on a real secret.

    Without SECRET_KEY, `create_app` uses the instance folder's random key (`instance_secret`).
    """
    env = os.environ.get("TIMEBANK_ENV", "development")
    production = env == "production"
    secret = os.environ.get("SECRET_KEY") or None
    if production and not secret:
        raise RuntimeError("SECRET_KEY must be set when TIMEBANK_ENV=production")
    if production and not is_real_secret(secret):
        raise RuntimeError(f"SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} random characters and not an "
                           "example from the docs: python3 -c 'import secrets; print(secrets.token_hex(32))'")
    return {
        "ENV_NAME": env,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": database_url(),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # Sessions: HttpOnly always; Secure whenever served over HTTPS (production).
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", production),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", production),
        # Login sessions (held on the server, accounts/sessions.py): a browser session lasts this
        # many hours at most; "keep me signed in" this many days.
        "SESSION_HOURS": int(os.environ.get("SESSION_HOURS", "12")),
        "REMEMBER_DAYS": int(os.environ.get("REMEMBER_DAYS", "30")),
        # Where people reach the site: every link in an email is built from it, whoever sends the email.
        "BASE_URL": os.environ.get("BASE_URL", "http://127.0.0.1:5000"),
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "WTF_CSRF_TIME_LIMIT": None,
        # Mail: SMTP in production; a file outbox a developer can read otherwise.
        "MAIL_BACKEND": os.environ.get("MAIL_BACKEND", "smtp" if production else "file"),
        "MAIL_FILE_PATH": os.environ.get("MAIL_FILE_PATH", str(INSTANCE_DIR / "outbox")),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "localhost"),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD"),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL", False),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "exchange@oneknowsley.example"),
        # Login throttling: after this many failures an account waits this many seconds.
        "LOGIN_MAX_FAILURES": int(os.environ.get("LOGIN_MAX_FAILURES", "5")),
        "LOGIN_LOCKOUT_SECONDS": int(os.environ.get("LOGIN_LOCKOUT_SECONDS", "900")),
        # A failed sign-in, a sign-up and a reset request answer no sooner than this many seconds, so
        # their time does not say whether an address has an account (bench/account_timing.py).
        "ACCOUNT_ANSWER_SECONDS": float(os.environ.get("ACCOUNT_ANSWER_SECONDS", "0.5")),
        # Proposals nobody finished answering expire after this many days.
        "PROPOSAL_EXPIRY_DAYS": int(os.environ.get("PROPOSAL_EXPIRY_DAYS", "7")),
        # Where a repair on decline is worked out once the decline is committed: "thread", "rq" or
        # "inline" (in the decline's own request); unset, wherever MATCHER_QUEUE says.
        "REPAIR_QUEUE": os.environ.get("REPAIR_QUEUE") or None,
        # Repair on decline (timebank/matcher/repair.py): at most this many members tried in the
        # place of the one who declined, and seconds for each small run of the matcher.
        "REPAIR_MAX_REPLACEMENTS": int(os.environ.get("REPAIR_MAX_REPLACEMENTS", "10")),
        "REPAIR_TIME_LIMIT": float(os.environ.get("REPAIR_TIME_LIMIT", "10")),
        # A direct ask takes its listing off the market until it is answered or expires, so a
        # member may have at most this many asks waiting at once (timebank/exchanges/direct.py).
        "MAX_WAITING_ASKS": int(os.environ.get("MAX_WAITING_ASKS", "5")),
        # `flask exchanges remind`: remind this many days before a proposal expires; a part is due
        # to be confirmed this many days after it ends; the work queue calls a live exchange stuck
        # after this many days with nothing happening (docs/operations.md).
        "REMIND_BEFORE_EXPIRY_DAYS": int(os.environ.get("REMIND_BEFORE_EXPIRY_DAYS", "2")),
        "CONFIRMATION_DAYS": int(os.environ.get("CONFIRMATION_DAYS", "3")),
        "STUCK_AFTER_DAYS": int(os.environ.get("STUCK_AFTER_DAYS", "14")),
        # The collaboration network's figures are kept this many hours before they are worked out
        # again (the daily job network-figures works out the usual periods; docs/social-value.md).
        "NETWORK_FIGURES_HOURS": float(os.environ.get("NETWORK_FIGURES_HOURS", "25")),
        # Matcher runs: "thread" (in the web process), "rq" (RQ workers on REDIS_URL) or "inline".
        "MATCHER_QUEUE": os.environ.get("MATCHER_QUEUE", "thread"),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://localhost:6379/0"),
        # Rate limits (Flask-Limiter), per client address. Production shares them between every
        # worker through Redis (REDIS_URL unless RATELIMIT_STORAGE_URI says otherwise); if Redis
        # stops answering, each worker falls back to limits of its own rather than failing requests.
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        "RATELIMIT_STORAGE_URI": os.environ.get(
            "RATELIMIT_STORAGE_URI", limits_storage(os.environ.get("REDIS_URL", "redis://localhost:6379/0"))
            if production else "memory://"),
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": production,
        # How many proxies in front of the app to trust for the client's address and scheme
        # (X-Forwarded-For, X-Forwarded-Proto): 1 behind one nginx or Caddy, 0 when the app is
        # reached directly, so that a client cannot choose its own address with a forged header.
        "TRUSTED_PROXY_COUNT": int(os.environ.get("TRUSTED_PROXY_COUNT", "0")),
        # Logs: one JSON line per request and per job on standard error; ACCESS_LOG=FILE also
        # appends the request lines to FILE (timebank/operations/logs.py).
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
        "ACCESS_LOG": os.environ.get("ACCESS_LOG"),
        # Backups (timebank/backup.py): where the daily backup is written, the age public keys it
        # is encrypted to, the secret key file that restores and drills read it with, and how many
        # daily, weekly and monthly backups are kept.
        "BACKUP_DIR": os.environ.get("BACKUP_DIR"),
        "BACKUP_AGE_RECIPIENTS": os.environ.get("BACKUP_AGE_RECIPIENTS"),
        "BACKUP_AGE_IDENTITY_FILE": os.environ.get("BACKUP_AGE_IDENTITY_FILE"),
        "BACKUP_KEEP_DAILY": int(os.environ.get("BACKUP_KEEP_DAILY", "7")),
        "BACKUP_KEEP_WEEKLY": int(os.environ.get("BACKUP_KEEP_WEEKLY", "5")),
        "BACKUP_KEEP_MONTHLY": int(os.environ.get("BACKUP_KEEP_MONTHLY", "12")),
        "BACKUP_DRILL_DATABASE_URL": os.environ.get("BACKUP_DRILL_DATABASE_URL"),
        # /metrics answers only a scraper sending this bearer token; unset, it answers 404.
        "METRICS_TOKEN": os.environ.get("METRICS_TOKEN"),
        "PASSWORD_HASH_METHOD": os.environ.get("PASSWORD_HASH_METHOD", "scrypt"),
        # Password hashes are worked out in a thread this much nicer than the pages (0: in the
        # request's own thread): timebank/accounts/passwords.py.
        "PASSWORD_HASH_NICE": int(os.environ.get("PASSWORD_HASH_NICE", "10")),
        "PASSWORD_RESET_MAX_AGE": int(os.environ.get("PASSWORD_RESET_MAX_AGE", "3600")),
        # DBS certificate numbers are not kept. Only an operator with a documented need (say it here,
        # in a sentence members will read, and in the DPIA) makes the form ask for them: docs/privacy.md.
        "DBS_CERTIFICATE_NEED": os.environ.get("DBS_CERTIFICATE_NEED", ""),
        # Who runs the exchange and answers for its data (the privacy notice, the accessibility
        # statement and every page's footer say so): One Knowsley, or whoever operates it.
        "CONTROLLER_NAME": os.environ.get("CONTROLLER_NAME", "One Knowsley"),
        "CONTROLLER_ADDRESS": os.environ.get("CONTROLLER_ADDRESS", ""),
        "CONTROLLER_ICO_NUMBER": os.environ.get("CONTROLLER_ICO_NUMBER", ""),
        "CONTACT_EMAIL": os.environ.get("CONTACT_EMAIL", "exchange@oneknowsley.example"),
        "CONTACT_PHONE": os.environ.get("CONTACT_PHONE", ""),
        # Where people send requests about their data (access, correction, erasure, objection) and
        # questions for the data protection officer; the general contact unless set.
        "PRIVACY_CONTACT_EMAIL": os.environ.get("PRIVACY_CONTACT_EMAIL", ""),
        "DPO_NAME": os.environ.get("DPO_NAME", ""),
        # The processors the operator uses (hosting, email), named in the privacy notice.
        "PRIVACY_PROCESSORS": os.environ.get("PRIVACY_PROCESSORS", ""),
        # Where people ask for accessible formats and report accessibility problems; the general
        # contact unless set. ACCESSIBILITY_TESTED_ON: when the site was last tested (a date, in words).
        "ACCESSIBILITY_CONTACT_EMAIL": os.environ.get("ACCESSIBILITY_CONTACT_EMAIL", ""),
        "ACCESSIBILITY_CONTACT_PHONE": os.environ.get("ACCESSIBILITY_CONTACT_PHONE", ""),
        "ACCESSIBILITY_TESTED_ON": os.environ.get("ACCESSIBILITY_TESTED_ON", "December 2026"),
    }
