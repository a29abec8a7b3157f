"""The social-sector exchange: a Flask app built by `create_app`."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from timebank import config as config_module
from timebank.extensions import csrf, db, login_manager, mail, migrate

# The release (CHANGELOG.md); pyproject.toml reads it from here.
__version__ = "0.2.0.dev0"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: configuration from the environment, overridden by `config` (tests)."""
    app = Flask(__name__, template_folder="../templates", instance_path=str(config_module.INSTANCE_DIR))
    app.config.from_mapping(config_module.from_environment())
    if config:
        app.config.from_mapping(config)
    # The default SQLite database, the development outbox and the generated key live in instance/.
    config_module.INSTANCE_DIR.mkdir(exist_ok=True)
    register_proxy(app)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = config_module.instance_secret()
        app.config["SECRET_KEY_GENERATED"] = True
    register_logging(app)
    register_extensions(app)
    register_blueprints(app)
    register_metrics(app)
    register_errorhandlers(app)
    register_commands(app)
    register_template_helpers(app)
    register_unit_of_work(app)  # last: the first after_request step to run, it commits or rolls back
    return app


def register_proxy(app: Flask) -> None:
    """Trust TRUSTED_PROXY_COUNT proxies for the client's address and scheme (0: trust none)."""
    count = app.config.get("TRUSTED_PROXY_COUNT", 0)
    if count:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)


def register_logging(app: Flask) -> None:
    from timebank.operations.logs import register_logging

    register_logging(app)


def register_metrics(app: Flask) -> None:
    from timebank.operations.metrics import register_metrics

    register_metrics(app)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(config_module.INSTANCE_DIR.parent / "migrations"))
    csrf.init_app(app)
    mail.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Sign in to see that page."
    login_manager.login_message_category = "info"
    from timebank.accounts.sessions import load_user

    login_manager.user_loader(load_user)
    # Importing the models registers every table on db.metadata (Alembic compares against it).
    from timebank import models  # noqa: F401


def register_blueprints(app: Flask) -> None:
    from timebank.main.query_args import IdConverter

    # Every <int:...> in a page's path is a row id: bounded, so a huge number is a 404, not an overflow.
    app.url_map.converters["int"] = IdConverter
    from timebank import api
    from timebank.accounts.views import bp as auth_bp
    from timebank.api.origin_views import bp as api_origins_bp
    from timebank.api.token_views import bp as api_tokens_bp
    from timebank.audit.views import bp as audit_bp
    from timebank.bookings.views import bp as bookings_bp
    from timebank.case_studies.views import bp as case_studies_bp
    from timebank.coordinator.views import bp as coordinator_bp
    from timebank.conversations.views import bp as conversations_bp
    from timebank.exchanges.direct_views import bp as direct_bp
    from timebank.exchanges.queue_views import bp as queue_bp
    from timebank.exchanges.views import bp as exchanges_bp
    from timebank.funding.views import bp as funding_bp
    from timebank.ledger.views import bp as ledger_bp
    from timebank.listings.views import bp as listings_bp
    from timebank.main.views import bp as main_bp
    from timebank.matcher import api as matcher_api  # noqa: F401 - defines the matcher's API blueprint
    from timebank.matcher import repair  # noqa: F401 - listens for declines, to propose repairs
    from timebank.matcher.views import bp as matcher_bp
    from timebank.matcher.schedule_views import bp as matcher_schedule_bp
    from timebank.members.asset_views import bp as assets_bp
    from timebank.members.compliance_views import bp as compliance_bp
    from timebank.members.people_views import bp as people_bp
    from timebank.members.place_views import bp as place_bp
    from timebank.members.views import bp as members_bp
    from timebank.notifications.views import bp as notifications_bp
    from timebank.opendata.views import bp as opendata_bp
    from timebank.privacy.views import bp as privacy_bp
    from timebank.reports.views import bp as reports_bp
    from timebank.saved_searches.views import bp as saved_searches_bp

    for bp in (main_bp, auth_bp, members_bp, people_bp, place_bp, compliance_bp, assets_bp, listings_bp, coordinator_bp,
               reports_bp, notifications_bp, exchanges_bp, direct_bp, conversations_bp, matcher_bp, queue_bp, ledger_bp,
               bookings_bp, api_tokens_bp, api_origins_bp, opendata_bp, saved_searches_bp, matcher_schedule_bp, privacy_bp,
               funding_bp, case_studies_bp, audit_bp):
        app.register_blueprint(bp)
    api.register(app)


def register_unit_of_work(app: Flask) -> None:
    from timebank.unit_of_work import register

    register(app)


def register_errorhandlers(app: Flask) -> None:
    from timebank import security
    from timebank.main.errors import register

    register(app)
    security.register(app)


def register_commands(app: Flask) -> None:
    from timebank.commands import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from timebank.main import formats
    from timebank.main.filters import register

    register(app)
    formats.register(app)
