"""Plain-English error pages; the 500 handler rolls the session back first."""
from __future__ import annotations

from flask import Flask, g, make_response, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from timebank.api.problems import kind_for_status, problem
from timebank.errors import DomainError, NotAllowed, NotFound
from timebank.extensions import login_manager
from timebank.unit_of_work import discard


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def register(app: Flask) -> None:
    def page(template: str, status: int, title: str, message: str | None = None):
        if _wants_json():
            return problem(kind_for_status(status), status=status)
        return render_template(template, message=message), status

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        """A loader's NotFound / NotAllowed (or a rule no form showed) answered as a page. The API's
        blueprint answers the same errors as problems (timebank/api/core.py) before this is asked."""
        discard()
        if isinstance(error, NotFound):
            return page("errors/404.html", 404, "Not found", error.message)
        if isinstance(error, NotAllowed):
            return page("errors/403.html", 403, "Forbidden", error.message)
        if _wants_json():
            return problem(error.kind, status=error.status_code, detail=error.message)
        return render_template("errors/rule.html", message=error.message), error.status_code

    @app.errorhandler(403)
    def forbidden(_error):
        return page("errors/403.html", 403, "Forbidden")

    @app.errorhandler(404)
    def not_found(_error):
        return page("errors/404.html", 404, "Not found")

    @app.errorhandler(405)
    def method_not_allowed(error):
        response = make_response(page("errors/404.html", 405, "Method not allowed"))
        if getattr(error, "valid_methods", None):  # RFC 9110: a 405 says which methods would work
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        if _wants_json():
            return page("errors/400.html", 400, "Bad request")
        return render_template("errors/csrf.html", reason=error.description), 400

    @app.errorhandler(500)
    def server_error(_error):
        discard()
        # Templates load current_user; if the database is what failed, show the page as a visitor.
        try:
            current_user._get_current_object()
        except Exception:  # noqa: BLE001 - any failure to load the user
            discard()
            g._login_user = login_manager.anonymous_user()
        return page("errors/500.html", 500, "Internal server error")
