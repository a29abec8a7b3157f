"""Behind a proxy: limits follow the real client (TRUSTED_PROXY_COUNT), never a header the client wrote.

The proxy here is the test client's own address (127.0.0.1, as nginx on the same server would be);
X-Forwarded-For carries what nginx's `$proxy_add_x_forwarded_for` would send.
"""
from __future__ import annotations

import pytest

from timebank import create_app
from timebank.extensions import limiter

PROXY = "127.0.0.1"


def _limited_app(app, **config):
    """An app on `app`'s database with rate limits on (memory store unless `config` says)."""
    settings = {k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "SERVER_NAME", "BASE_URL",
                                           "MAIL_BACKEND", "MAIL_SERVER", "MAIL_PORT")}
    limited = create_app({**settings, "TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True,
                          "RATELIMIT_STORAGE_URI": "memory://", **config})
    with limited.app_context():
        limiter.reset()
    return limited


def _sign_in(client, forwarded_for: str | None = None, remote: str = PROXY) -> int:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post("/sign-in", data={"email": "nobody@example.org", "password": "wrong password"},
                       headers=headers, environ_base={"REMOTE_ADDR": remote}).status_code


def test_two_people_behind_one_proxy_are_limited_separately(app):
    client = _limited_app(app, TRUSTED_PROXY_COUNT=1).test_client()
    first = [_sign_in(client, "198.51.100.1") for _ in range(11)]
    assert first == [200] * 10 + [429]
    # The second person comes through the same proxy, and is not locked out by the first.
    assert [_sign_in(client, "198.51.100.2") for _ in range(3)] == [200] * 3


def test_without_a_trusted_proxy_a_forged_header_changes_nothing(app):
    client = _limited_app(app, TRUSTED_PROXY_COUNT=0).test_client()
    statuses = [_sign_in(client, f"192.0.2.{i}", remote="203.0.113.7") for i in range(11)]
    assert statuses == [200] * 10 + [429]


def test_through_the_proxy_a_forged_first_address_is_ignored(app):
    # nginx appends the address it saw to whatever the client sent: only that last one counts.
    client = _limited_app(app, TRUSTED_PROXY_COUNT=1).test_client()
    statuses = [_sign_in(client, f"192.0.2.{i}, 198.51.100.9") for i in range(11)]
    assert statuses == [200] * 10 + [429]


def test_the_proxy_says_whether_the_visitor_used_https(app):
    limited = _limited_app(app, TRUSTED_PROXY_COUNT=1)

    @limited.route("/test-scheme")
    def scheme():
        from flask import request

        return request.scheme

    client = limited.test_client()
    assert client.get("/test-scheme", headers={"X-Forwarded-Proto": "https"}).text == "https"
    direct = _limited_app(app, TRUSTED_PROXY_COUNT=0)
    direct.add_url_rule("/test-scheme", view_func=scheme)
    assert direct.test_client().get("/test-scheme", headers={"X-Forwarded-Proto": "https"}).text == "http"


def test_workers_share_one_count_in_redis(app, redis_url):
    # Two workers of one site (two apps, as gunicorn's processes would be) on one Redis store.
    from timebank.config import limits_storage

    workers = [_limited_app(app, TRUSTED_PROXY_COUNT=1, RATELIMIT_STORAGE_URI=limits_storage(redis_url)).test_client()
               for _ in range(2)]
    statuses = [_sign_in(workers[i % 2], "198.51.100.20") for i in range(11)]
    assert statuses == [200] * 10 + [429]
    assert _sign_in(workers[0], "198.51.100.21") == 200
    # The counts are in Redis, where every process of the site reads them, keyed by the client.
    from redis import Redis

    keys = [key.decode() for key in Redis.from_url(redis_url).keys("LIMITS:*")]
    assert any("198.51.100.20" in key for key in keys), keys


@pytest.mark.parametrize("redis_env, expected", [
    ({"REDIS_URL": "redis://cache.internal:6379/0"}, "redis://cache.internal:6379/0"),
    ({"REDIS_URL": "redis://cache.internal:6379/0", "RATELIMIT_STORAGE_URI": "redis://other:6379/2"},
     "redis://other:6379/2"),
    ({"REDIS_URL": "unix:///run/redis/redis.sock"}, "redis+unix:///run/redis/redis.sock"),
])
def test_production_keeps_its_limits_in_redis(monkeypatch, redis_env, expected):
    from timebank.config import from_environment

    monkeypatch.setenv("TIMEBANK_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-for-this-test-0123456789abcdef")
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    for name, value in redis_env.items():
        monkeypatch.setenv(name, value)
    config = from_environment()
    assert config["RATELIMIT_STORAGE_URI"] == expected
    assert config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] is True
    monkeypatch.setenv("TIMEBANK_ENV", "development")
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    assert from_environment()["RATELIMIT_STORAGE_URI"] == "memory://"
