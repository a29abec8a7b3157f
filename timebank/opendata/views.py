"""Open data: the /open-data page, the Volunteering Data Standard feed, the Open Referral UK API,
and a member's consent to be published. The feeds are public, need no key, and allow any origin
(CORS `*`), as the ORUK profile's compliance rules require."""
from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from timebank.errors import DomainError
from timebank.listings.models import KINDS
from timebank.main.forms import domain_errors
from timebank.members.access import load_member
from timebank.opendata import oruk, services, volunteering
from timebank.opendata.forms import ConsentForm

bp = Blueprint("opendata", __name__)
FEED_PATHS = ("/open-data/volunteering", "/open-data/oruk")


@bp.after_app_request
def allow_any_origin(response):
    if request.path.startswith(FEED_PATHS):
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers.setdefault("Cache-Control", "public, max-age=300")
    return response


def _json(data, status: int = 200, mimetype: str = "application/json") -> Response:
    return Response(json.dumps(data, ensure_ascii=False, indent=1), status=status, mimetype=mimetype)


def _problem(status: int, title: str, detail: str) -> Response:
    return _json({"type": "about:blank", "title": title, "status": status, "detail": detail}, status,
                 "application/problem+json")


@bp.route("/open-data")
def index():
    return render_template("opendata/index.html", licence=services.LICENCE,
                           volunteering=services.feed_info("need", volunteering.KINDS),
                           directory=services.feed_info("offer", KINDS))


@bp.route("/open-data/volunteering.jsonld")
def volunteering_feed():
    info = services.feed_info("need", volunteering.KINDS)
    response = _json(volunteering.feed(info.updated), mimetype="application/ld+json")
    if info.updated is not None:
        response.last_modified = info.updated
    return response


# -- Open Referral UK ----------------------------------------------------------------------------

@bp.route("/open-data/oruk/")
def oruk_root():
    return _json({"version": oruk.VERSION, "profile": oruk.PROFILE, "openapi_url": oruk.OPENAPI_URL})


def _paging() -> tuple[int, int]:
    """?page= (from 1) and ?per_page= (1 to 200); raises DomainError with the parameter's name."""
    values = {}
    for name, default, top in (("page", 1, None), ("per_page", oruk.PER_PAGE, oruk.MAX_PER_PAGE)):
        raw = request.args.get(name, str(default)).strip()
        if not raw.isdigit() or int(raw) < 1 or (top and int(raw) > top):
            raise DomainError(f"{name} must be a whole number from 1{f' to {top}' if top else ''}", field=name)
        values[name] = int(raw)
    return values["page"], values["per_page"]


@bp.route("/open-data/oruk/services")
def oruk_services():
    try:
        page, per_page = _paging()
    except DomainError as error:
        return _problem(400, "Bad request", error.message)
    return _json(oruk.services_page(page, per_page, request.args.get("organization_id")))


@bp.route("/open-data/oruk/services/<service_id>")
def oruk_service(service_id: str):
    found = oruk.find_service(service_id)
    if found is None:
        return _problem(404, "Not found", "No published service has this id")
    return _json(found)


@bp.route("/open-data/oruk/organizations")
def oruk_organizations():
    try:
        page, per_page = _paging()
    except DomainError as error:
        return _problem(400, "Bad request", error.message)
    return _json(oruk.organizations_page(page, per_page))


@bp.route("/open-data/oruk/organizations/<organization_id>")
def oruk_organization(organization_id: str):
    found = oruk.find_organization(organization_id)
    if found is None:
        return _problem(404, "Not found", "No published organisation has this id")
    return _json(found)


# -- a member's consent ----------------------------------------------------------------------------

@bp.route("/members/<int:member_id>/open-data", methods=["GET", "POST"])
@login_required
def consent(member_id: int):
    member = load_member(member_id, current_user, need="manage")
    form = ConsentForm()
    if request.method == "GET":
        form.publish.data = "yes" if member.open_data_consent else "no"
    if form.validate_on_submit():
        with domain_errors(form):
            services.set_consent(member, current_user, form.publish.data == "yes")
            flash(f"{member.name} is {'now published' if member.open_data_consent else 'not published'} as open data.",
                  "success")
            return redirect(url_for("opendata.consent", member_id=member.id))
    return render_template("opendata/consent.html", member=member, form=form)
