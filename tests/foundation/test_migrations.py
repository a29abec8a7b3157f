"""Migrations build exactly the schema the models declare, and go back down to nothing."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect

from timebank import create_app
from timebank.db import Base
from timebank.listings.search import include_name


def _fresh_app(database_server):
    name, url = database_server.new_database(empty=True)
    return name, url, create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})


def test_upgrade_from_empty_gives_the_models_schema(database_server):
    name, url, app = _fresh_app(database_server)
    try:
        with app.app_context():
            upgrade()
        engine = create_engine(url)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": include_name})
            differences = compare_metadata(context, Base.metadata)
        engine.dispose()
        assert differences == [], f"models and migrations differ; run `flask db migrate`: {differences}"
    finally:
        database_server.drop_database(name)


def test_downgrade_to_base_removes_every_table(database_server):
    name, url, app = _fresh_app(database_server)
    try:
        with app.app_context():
            upgrade()
            downgrade(revision="base")
        engine = create_engine(url)
        tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
        engine.dispose()
        assert tables == set()
    finally:
        database_server.drop_database(name)
