"""Email through SMTP (Flask-Mailman); in development the file backend is the outbox.

A message is rendered with no request, faked or real: its links come from BASE_URL (`external_url`
in the template, or links passed in), and none of the pages' context (the signed-in person, their
unread count) reaches it, so a job, the CLI and the seed send the same mail as a page does.

Mail leaves only once the transaction that caused it has committed: `send_email` renders the
message at once but holds it on the database session, an `after_commit` hook sends what the
committed transaction held, and a rollback drops it. A request that fails (a domain error, a lost
race, a database error at commit) tells nobody anything. Called with no transaction open, it sends
at once. A rolled-back savepoint does not drop mail queued inside it: no service sends mail from
inside a savepoint.
"""
from __future__ import annotations

from flask import current_app
from flask_mailman import EmailMessage
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from timebank.extensions import db
from timebank.notifications.links import site_url

_HELD = "timebank.mail_after_commit"


def external_url(endpoint: str, *, anchor: str | None = None, **values) -> str:
    """An absolute link for an email, from BASE_URL wherever the email is sent from."""
    return site_url(endpoint, anchor=anchor, **values)


def render_email(template: str, **context) -> str:
    """The body of `templates/email/<template>.txt`: the app's filters, `external_url` and `context`; no request."""
    return current_app.jinja_env.get_template(f"email/{template}.txt").render(external_url=external_url, **context)


def send_email(to: str | list[str], subject: str, template: str, **context) -> None:
    """Render `templates/email/<template>.txt` and send it. Mail failures never undo the caller's work."""
    recipients = [to] if isinstance(to, str) else list(to)
    body = render_email(template, **context)
    message = EmailMessage(subject=subject, body=body, to=recipients,
                           from_email=current_app.config["MAIL_DEFAULT_SENDER"])
    session = db.session()
    if session.in_transaction():
        session.info.setdefault(_HELD, []).append(message)
    else:
        _deliver(message)


def _deliver(message: EmailMessage) -> None:
    try:
        message.send()
    except OSError:
        # An unreachable mail server must not lose the user's action; the outbox/SMTP log says why.
        current_app.logger.exception("Could not send %r to %s", message.subject, message.to)


@event.listens_for(Session, "after_commit")
def _send_held_mail(session: Session) -> None:
    for message in session.info.pop(_HELD, []):
        _deliver(message)


@event.listens_for(Session, "after_transaction_end")
def _drop_unsent_mail(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended without a commit (rolled back or closed): its mail never leaves.
    if transaction.parent is None and not transaction.nested:
        session.info.pop(_HELD, None)
