"""`flask privacy ...`: the retention schedule, the retention rules (also the daily job `retention`),
and erasures again after a restore."""
from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from timebank.extensions import db

privacy_cli = AppGroup("privacy", help="The retention schedule, and erasures after a restore.")


@privacy_cli.command("schedule")
def schedule_command() -> None:
    """Print the retention schedule as the Markdown table docs/privacy.md holds."""
    from timebank.privacy.inventory import schedule_markdown

    click.echo(schedule_markdown())


@privacy_cli.command("retention")
@click.option("--dry-run", is_flag=True, help="Count what would go, and change nothing.")
def retention_command(dry_run: bool) -> None:
    """Apply the retention schedule now (the daily job `retention` does this at 01:00)."""
    from timebank.privacy.retention import RULES, apply_retention

    counts = apply_retention(really=not dry_run)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    for rule in RULES:
        click.echo(f"{counts[rule.name]:>7,}  {rule.says}{' (would go)' if dry_run and counts[rule.name] else ''}")


@privacy_cli.command("erasures")
def erasures_command() -> None:
    """Print the id of every erased person, one a line (no personal data): keep it before a restore."""
    from timebank.accounts.models import User
    from timebank.audit.models import AuditEvent

    erased = set(db.session.scalars(select(User.id).where(User.erased_at.is_not(None))))
    # Rows the retention job deleted are gone, but their erasure is in the audit log.
    erased |= set(db.session.scalars(select(AuditEvent.subject_id).where(AuditEvent.action == "person.erased")))
    for user_id in sorted(erased):
        click.echo(user_id)


@privacy_cli.command("erase-again")
@click.argument("listing", type=click.File("r"))
def erase_again_command(listing) -> None:
    """After a restore: erase again everyone in LISTING (from `flask privacy erasures`) whom the restored
    backup still holds."""
    from timebank.accounts.models import User
    from timebank.privacy.erasure import erase_person

    again = 0
    for line in listing:
        if not line.strip():
            continue
        user = db.session.get(User, int(line))
        if user is not None and user.erased_at is None:
            erase_person(user, None, "Erased before the backup was restored: erased again")
            again += 1
    db.session.commit()
    click.echo(f"{again} people erased again.")
