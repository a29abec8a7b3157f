"""Shared form plumbing: put a service's DomainError beside the right field."""
from __future__ import annotations

from flask_wtf import FlaskForm

from timebank.errors import DomainError


def show_domain_error(form: FlaskForm, error: DomainError) -> None:
    """Attach the error to its field (or to the form as a whole) so the page shows it there."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        # WTForms makes errors a tuple after validate(); make it a list we can add to.
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)
