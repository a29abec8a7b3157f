"""Security headers on every response, and the rate limits of the pages attackers like."""
from __future__ import annotations

from flask import Flask, render_template, request

from timebank.extensions import limiter

# No inline script or style anywhere: templates keep all CSS and JS in static files.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

# Limits per client address (Flask-Limiter); the account lockout in accounts.services guards
# each account on top of these.
LOGIN_LIMIT = "10 per minute;60 per hour"
PASSWORD_RESET_LIMIT = "5 per minute;20 per hour"
SIGN_UP_LIMIT = "10 per minute;30 per hour"
API_LIMIT = "120 per minute"


def register(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("ENV_NAME") == "production":
            headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        return response

    @app.errorhandler(429)
    def too_many_requests(error):
        if request.path.startswith("/api/"):
            return ({"type": "about:blank", "title": "Too many requests", "status": 429,
                     "detail": f"Rate limit exceeded ({error.description}). Wait, then try again."},
                    429, {"Content-Type": "application/problem+json"})
        return render_template("errors/429.html"), 429
