"""`flask ledger check`: every entry balances and all balances sum to zero (exit 1 if not)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

ledger = AppGroup("ledger", help="Check the time-credit ledger.")


@ledger.command("check")
def check() -> None:
    """Verify that all postings sum to zero and that each entry does; exit 1 otherwise."""
    from timebank.ledger.services import check_ledger, format_credits

    result = check_ledger()
    click.echo(f"{result.entries} entries; all postings sum to {format_credits(result.total)}.")
    if result.unbalanced_entry_ids:
        click.echo(f"Entries whose postings do not sum to 0: {', '.join(map(str, result.unbalanced_entry_ids))}")
    if result.entries_without_postings:
        click.echo(f"Entries with no postings: {', '.join(map(str, result.entries_without_postings))}")
    if not result.ok:
        raise click.ClickException("The ledger does not balance.")
    click.echo("The ledger balances.")
