"""Write release-<version>.json.gz: the demo sector as stored by that release's schema.

Run once, at the release's commit (`python tests/operations/data/make_release_data.py 0.1.0
0b86794a22b6`): it applies the migrations up to the release's revision on a scratch SQLite
database, loads the demo sector, and writes every table's rows. test_upgrade.py loads them into
that schema and upgrades from there.
"""
from __future__ import annotations

import base64
import gzip
import json
import sys
import tempfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import MetaData, create_engine, select


def encode(value):
    """JSON for a column's value; types JSON lacks are tagged {"$type": ..., "value": ...}."""
    if isinstance(value, datetime):
        return {"$type": "datetime", "value": value.isoformat()}
    if isinstance(value, date):
        return {"$type": "date", "value": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$type": "decimal", "value": str(value)}
    if isinstance(value, bytes):
        return {"$type": "bytes", "value": base64.b64encode(value).decode()}
    return value


def main(version: str, revision: str) -> None:
    from flask_migrate import upgrade

    from seed.demo import load_demo
    from timebank import create_app
    from timebank.db import Base
    from timebank.extensions import db

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/release.sqlite3"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "MAIL_BACKEND": "locmem"})
        with app.app_context():
            upgrade(revision=revision)
            load_demo(log=lambda *_: None)
            db.session.commit()
        # The models' tables only: search indexes (SQLite's FTS5 tables) are rebuilt from them.
        engine = create_engine(url)
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            tables = {table.name: [{k: encode(v) for k, v in row._mapping.items()}
                                   for row in connection.execute(select(table))]
                      for table in metadata.sorted_tables if table.name in Base.metadata.tables}
            assert connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == revision
    target = Path(__file__).with_name(f"release-{version}.json.gz")
    with gzip.open(target, "wt") as out:
        json.dump({"version": version, "revision": revision, "tables": tables}, out, sort_keys=True)
    print(f"{target}: {sum(map(len, tables.values()))} rows in {len(tables)} tables")


if __name__ == "__main__":
    main(*sys.argv[1:3])
