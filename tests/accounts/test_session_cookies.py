"""Session cookies: HttpOnly and SameSite=Lax always; Secure in production."""
import pytest

from timebank import config, create_app


@pytest.fixture()
def production(monkeypatch):
    monkeypatch.setenv("TIMEBANK_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-for-this-test-0123456789abcdef")
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)


def _session_cookie(app) -> str:
    """The session cookie as the browser receives it (the sign-in form puts its CSRF token in the session)."""
    response = app.test_client().get("/sign-in")
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    return cookie


def test_production_sends_the_session_cookie_only_over_https(production):
    settings = config.from_environment()
    assert settings["SESSION_COOKIE_SECURE"] is True and settings["REMEMBER_COOKIE_SECURE"] is True
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    cookie = _session_cookie(app)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_refuses_to_start_without_a_secret(production, monkeypatch):
    monkeypatch.delenv("SECRET_KEY")
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set"):
        config.from_environment()


def test_development_cookies_are_httponly_and_lax_but_work_over_http(monkeypatch):
    monkeypatch.setenv("TIMEBANK_ENV", "development")
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    cookie = _session_cookie(create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
