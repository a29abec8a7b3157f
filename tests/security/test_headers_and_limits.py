"""Security headers on every page, HSTS in production, and rate limits on sign-in and reset."""
from timebank import create_app
from timebank.extensions import limiter


def test_every_page_sends_a_strict_content_security_policy(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers  # development serves plain HTTP


def test_production_adds_hsts_and_secure_cookies(monkeypatch):
    monkeypatch.setenv("TIMEBANK_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-for-this-test-0123456789abcdef")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    response = app.test_client().get("/accessibility")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_production_refuses_to_start_without_a_secret(monkeypatch):
    import pytest

    monkeypatch.setenv("TIMEBANK_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def _limited_client(app):
    """A client of an app like `app` (same database) with rate limits switched on."""
    limited = create_app({**{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "MAIL_BACKEND",
                                                        "MAIL_SERVER", "MAIL_PORT", "SERVER_NAME", "BASE_URL",
                                                        "ACCOUNT_ANSWER_SECONDS")},
                          "TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True})
    limiter.reset()
    return limited.test_client()


def test_sign_in_attempts_from_one_address_are_rate_limited(app):
    client = _limited_client(app)
    statuses = [client.post("/sign-in", data={"email": f"x{i}@example.org", "password": "wrong password"},
                            environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code for i in range(12)]
    assert statuses[:10] == [200] * 10
    assert statuses[10:] == [429, 429]
    blocked = client.post("/sign-in", data={"email": "a@example.org", "password": "x"},
                          environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert b"Too many attempts" in blocked.data
    # Another address is not affected.
    other = client.post("/sign-in", data={"email": "a@example.org", "password": "x"},
                        environ_base={"REMOTE_ADDR": "203.0.113.10"})
    assert other.status_code == 200
    limiter.reset()


def test_password_reset_requests_are_rate_limited(app):
    client = _limited_client(app)
    statuses = [client.post("/forgot-password", data={"email": "someone@example.org"},
                            environ_base={"REMOTE_ADDR": "203.0.113.20"}).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    limiter.reset()
