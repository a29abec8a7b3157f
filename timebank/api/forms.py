"""The form to make a personal access token."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.validators import DataRequired, Length

from timebank.accounts.tokens import SCOPES


class TokenForm(FlaskForm):
    name = StringField("Name", description="What uses it, like \u201cOur CRM\u201d or \u201cCouncil dashboard\u201d",
                       validators=[DataRequired("Enter a name, so you can tell your tokens apart"),
                                   Length(max=80, message="Name must be 80 characters or fewer")])
    scope = RadioField("What may it do?", default="read", choices=list(SCOPES.items()),
                       validators=[DataRequired("Choose what the token may do")])

    def for_user(self, user) -> TokenForm:
        """Coordinator tokens are offered to coordinators only."""
        if not user.is_coordinator:
            self.scope.choices = [(key, label) for key, label in self.scope.choices if key != "coordinator"]
        return self


class RevokeForm(FlaskForm):
    pass


class OriginForm(FlaskForm):
    origin = StringField("Website address", description="The scheme and host the tool runs on, like "
                         "https://tools.kirkbyfoodbank.org.uk (no path)",
                         validators=[DataRequired("Enter the web address the tool runs on, like https://tools.example.org"),
                                     Length(max=255, message="Address must be 255 characters or fewer")])
    note = StringField("What runs there", description="So other coordinators know why it is allowed",
                       validators=[Length(max=200, message="Note must be 200 characters or fewer")])


class RemoveOriginForm(FlaskForm):
    pass
