"""`flask bookings remind`: the daily run of bookings and loans (operations/jobs.py runs it too)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from timebank.bookings import services
from timebank.extensions import db

bookings_cli = AppGroup("bookings", help="Daily work on bookings and loans.")


@bookings_cli.command("remind")
@click.option("--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Treat this day as today (YYYY-MM-DD).")
def remind(on) -> None:
    """Email borrowers of overdue loans (once a day each) and mark past bookings completed; run daily."""
    day = on.date() if on else None
    completed = services.complete_past_bookings()
    sent = services.send_overdue_reminders(day)
    db.session.commit()
    click.echo(f"{sent} overdue reminders sent; {completed} past bookings marked completed.")
