"""Sign-in, sign-up and password forms."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from timebank.accounts.services import MIN_PASSWORD_LENGTH

_email = [DataRequired("Enter your email address"),
          Email("Enter an email address in the right format, like name@example.org"),
          Length(max=254, message="Email address must be 254 characters or fewer")]
_new_password = [
    DataRequired("Enter a password"),
    Length(min=MIN_PASSWORD_LENGTH, max=200,
           message=f"Password must be at least {MIN_PASSWORD_LENGTH} characters"),
]


class LoginForm(FlaskForm):
    email = EmailField("Email address", validators=_email)
    password = PasswordField("Password", validators=[DataRequired("Enter your password")])
    remember = BooleanField("Keep me signed in on this device")


class SignupForm(FlaskForm):
    display_name = StringField("Your name", validators=[
        DataRequired("Enter your name"), Length(max=120, message="Name must be 120 characters or fewer")])
    email = EmailField("Email address", validators=_email)
    password = PasswordField("Create a password", validators=_new_password)
    confirm = PasswordField("Type the password again", validators=[
        DataRequired("Type the password again"), EqualTo("password", "The passwords do not match")])


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email address", validators=_email)


class ResetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=_new_password)
    confirm = PasswordField("Type the new password again", validators=[
        DataRequired("Type the new password again"), EqualTo("password", "The passwords do not match")])


class ConfirmEmailForm(FlaskForm):
    password = PasswordField("The password you chose when you signed up",
                             validators=[DataRequired("Enter the password you chose when you signed up")])
