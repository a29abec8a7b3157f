"""Email through SMTP (Flask-Mailman); in development the file backend is the outbox."""
from __future__ import annotations

from flask import current_app, has_request_context, render_template, url_for
from flask_mailman import EmailMessage


def external_url(endpoint: str, **values) -> str:
    """An absolute link for an email, also from the CLI or a background job (uses BASE_URL)."""
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        return url_for(endpoint, _external=True, **values)


def send_email(to: str | list[str], subject: str, template: str, **context) -> None:
    """Render `templates/email/<template>.txt` and send it. Mail failures never undo the caller's work."""
    recipients = [to] if isinstance(to, str) else list(to)
    if has_request_context():
        body = render_template(f"email/{template}.txt", **context)
    else:
        with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
            body = render_template(f"email/{template}.txt", **context)
    message = EmailMessage(subject=subject, body=body, to=recipients,
                           from_email=current_app.config["MAIL_DEFAULT_SENDER"])
    try:
        message.send()
    except OSError:
        # An unreachable mail server must not lose the user's action; the outbox/SMTP log says why.
        current_app.logger.exception("Could not send %r to %s", subject, recipients)
