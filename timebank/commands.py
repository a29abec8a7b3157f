"""Command-line tools: `flask seed demo`, `flask seed synthetic`, `flask create-coordinator EMAIL`,
`flask serve` (and the groups `jobs`, `backup`, `ledger`, `privacy`)."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from timebank.extensions import db
from timebank.ledger.commands import ledger


def register(app: Flask) -> None:
    from timebank.backup import backup_cli
    from timebank.bookings.commands import bookings_cli
    from timebank.exchanges.reminders import exchanges_cli
    from timebank.operations.jobs import jobs_cli
    from timebank.privacy.commands import privacy_cli

    app.cli.add_command(backup_cli)
    app.cli.add_command(bookings_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(seed)
    app.cli.add_command(create_coordinator)
    app.cli.add_command(expire_listings)
    app.cli.add_command(ledger)
    app.cli.add_command(privacy_cli)
    app.cli.add_command(serve)
    app.cli.add_command(exchanges_cli)


@click.command("serve")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", default=5000, show_default=True, help="The port to listen on.")
def serve(host: str, port: int) -> None:
    """Serve the app on one machine (scripts/serve) with Werkzeug, saying only "exchange" in `Server`."""
    from flask import current_app
    from werkzeug.serving import run_simple

    from timebank.security import QuietRequestHandler

    run_simple(host, port, current_app._get_current_object(), threaded=True, request_handler=QuietRequestHandler)


seed = AppGroup("seed", help="Load demo or synthetic data.")


@seed.command("demo")
@click.option("--if-empty", is_flag=True, help="Only load into a database with no members yet.")
def seed_demo(if_empty: bool) -> None:
    """Load the demo Knowsley sector (does nothing that is already there)."""
    from sqlalchemy import select

    from seed.demo import DEMO_LOGINS, DEMO_PASSWORD, load_demo
    from timebank.members.models import Member

    if if_empty and db.session.scalar(select(Member.id).limit(1)) is not None:
        click.echo("The database already has members; demo data not loaded.")
    else:
        load_demo(log=click.echo)
        db.session.commit()
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for role, email, who in DEMO_LOGINS:
        click.echo(f"  {role:<15} {email:<52} {who}")


@seed.command("synthetic")
@click.option("--members", "n_members", default=1000, show_default=True, help="How many members.")
@click.option("--listings", "n_listings", default=10000, show_default=True, help="How many listings.")
@click.option("--seed", "random_seed", default=1, show_default=True, help="Random seed (same seed, same data).")
def seed_synthetic(n_members: int, n_listings: int, random_seed: int) -> None:
    """Bulk-load N members and M listings for benchmarks (fast inserts, not the web services)."""
    from seed.synthetic import load_synthetic

    counts = load_synthetic(n_members=n_members, n_listings=n_listings, seed=random_seed)
    db.session.commit()
    click.echo(f"Synthetic data: {counts}")


@click.command("create-coordinator")
@with_appcontext
@click.argument("email")
@click.option("--name", default=None, help="Display name (default: the part of the email before @).")
@click.password_option(help="Password for a new account (asked for if not given).")
def create_coordinator(email: str, name: str | None, password: str) -> None:
    """Make EMAIL a coordinator, creating the account if it does not exist."""
    from timebank.accounts import services
    from timebank.errors import DomainError

    user = services.find_user(email)
    if user is None:
        if len(password) < services.MIN_PASSWORD_LENGTH:
            raise click.BadParameter(f"at least {services.MIN_PASSWORD_LENGTH} characters", param_hint="password")
        try:
            user = services.create_user(email, password, name or email.split("@")[0], confirmed=True)
        except DomainError as error:
            raise click.ClickException(error.message) from error
    services.make_coordinator(user)
    db.session.commit()
    click.echo(f"{user.email} is a coordinator.")


@click.command("expire-listings")
@with_appcontext
def expire_listings() -> None:
    """Mark listings past their expiry date as expired (run daily)."""
    from timebank.listings.services import expire_listings as expire

    count = expire()
    db.session.commit()
    click.echo(f"{count} listings expired.")
