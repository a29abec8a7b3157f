"""Reports: the sector dashboard (public and for coordinators), valuation rates, a business's Social
Value report, an organisation's impact statement, and CSV exports (a member's whole download and
erasure are in timebank/privacy)."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from timebank.accounts.access import coordinator_required
from timebank.case_studies import services as case_studies
from timebank.db import today
from timebank.extensions import db
from timebank.funding import services as funding
from timebank.funding.models import FundingTag
from timebank.listings.models import Category
from timebank.main.forms import domain_errors
from timebank.members.access import can_manage, load_member
from timebank.main.formats import offers, requested_format
from timebank.reports import comparison, exports, figures, network, rates as rate_services
from timebank.reports.charts import bar_chart, grouped_bar_chart
from timebank.reports.csv_export import csv_response
from timebank.reports.figures import KIND_LABELS, KIND_UNITS, Period
from timebank.reports.forms import EndRateForm, PeriodForm, RateForm, RateVersionForm
from timebank.reports.pdf import PdfUnavailable, pdf_response, period_parts, render_pdf
from timebank.reports.social_value import impact_statement, member_lines, sector_lines, social_value

bp = Blueprint("reports", __name__)


# At most this many records in a PDF's appendix (the CSV has all of them): WeasyPrint lays out
# about 50 table rows a second on a busy 2-core machine (docs/social-value.md).
APPENDIX_LIMIT = 500


def _period(tags: list[FundingTag] | None = None, *, answer_wrong: bool = True
            ) -> tuple[PeriodForm, Period, str | None]:
    """The report's dates from ?from=&to= (both optional), ?compare= (previous or year) and ?tag=
    (a programme, fund or grant, one of `tags`; None: the page cannot be cut, like the public
    ones). Bad values are answered (when `answer_wrong`) with the form, each beside its field, and
    no figures: figures for other dates, or for all help, would read as the ones asked for."""
    form = PeriodForm(request.args)
    if tags is None:
        del form.tag
    else:
        form.tag.choices = [("", "All help, tagged or not")] + [(str(t.id), t.label) for t in tags]
    if request.args and not form.validate():
        if answer_wrong:
            abort(make_response(render_template("reports/filters_wrong.html", form=form, action=request.path,
                                                compare="network" not in (request.endpoint or "")), 400))
        return form, Period(), None
    tag_id = form.tag_id if tags is not None else None
    return form, Period(form.start.data, form.end.data, tag_id), form.compare.data or None


def _cut_by(period: Period) -> FundingTag | None:
    """The programme, fund or grant the report is cut by, for its words."""
    return db.session.get(FundingTag, period.tag_id) if period.tag_id is not None else None


def _page(template: str, filename: tuple, **context):
    """The report as a web page, or as a PDF document when ?format=pdf."""
    if requested_format() == "pdf":
        try:
            return pdf_response(render_pdf(template, appendix_limit=APPENDIX_LIMIT, **context), *filename)
        except PdfUnavailable as error:
            return render_template("errors/pdf_unavailable.html", message=error.message), 503
    return render_template(template, **context)


def _charts(board: figures.Dashboard) -> dict:
    return {
        "month": bar_chart("Person-hours of time and skills given, by month", [m for m, _, _ in board.by_month],
                           [h for _, _, h in board.by_month]),
        "kind": bar_chart("Records of help, by kind", [KIND_LABELS[k] for k, _, _ in board.by_kind],
                          [n for _, n, _ in board.by_kind], horizontal=True),
        "town": bar_chart("Records of help, by the receiving member's town", [t for t, _, _ in board.by_town],
                          [n for _, n, _ in board.by_town], horizontal=True),
    }


# -- the sector dashboard ---------------------------------------------------------------------------

def _dashboard(public: bool):
    # The public page is not cut by programme: a grant with one member would name it.
    form, period, how = _period(None if public else funding.tags_for_reports())
    if requested_format() == "csv" and not public:  # the records name members: never on the public page
        return _records_csv(sector_lines(period, None), "sector-records", period)
    board = figures.dashboard(period, with_names=not public)
    changes = comparison.compare(period, how, board, lambda p: figures.dashboard(p, with_names=not public),
                                 comparison.dashboard_headlines)
    cut_by = _cut_by(period)
    # Figures worked out for this request are kept when it commits (timebank/unit_of_work.py).
    kept = network.figures_for(period, keep=not public or network.worth_keeping(period))
    return _page("reports/dashboard.html", ("impact" if public else "sector-dashboard", *period_parts(period),
                                            cut_by.code if cut_by else None),
                 board=board, charts=_charts(board), form=form, public=public, changes=changes, cut_by=cut_by,
                 net=kept.figures, net_computed_at=kept.computed_at_uk,
                 cases=[] if public else case_studies.shown_in(period),
                 lines=sector_lines(period, APPENDIX_LIMIT) if requested_format() == "pdf" else None,
                 kind_labels=KIND_LABELS, kind_units=KIND_UNITS)


@bp.route("/impact/")
@offers("pdf")
def public_dashboard():
    """Figures recorded through the exchange, with no member names."""
    return _dashboard(public=True)


@bp.route("/coordinator/impact")
@offers("pdf", "csv")
@coordinator_required
def coordinator_dashboard():
    return _dashboard(public=False)


# -- the collaboration network ---------------------------------------------------------------------

def _network(public: bool):
    form, period, _ = _period(None if public else funding.tags_for_reports())
    kept = network.figures_for(period, keep=not public or network.worth_keeping(period))
    net = kept.figures
    numbers = network.numbering(net)
    cut_by = _cut_by(period)
    names = {} if public else kept.names
    if requested_format() == "csv":
        return _links_csv(net, numbers, names, public, period, cut_by)
    return _page("reports/network.html", ("network" if public else "collaboration-network", *period_parts(period),
                                          cut_by.code if cut_by else None),
                 net=net, names=names, numbers=numbers,
                 links_shown=network.links_among_numbered(net, numbers),
                 net_picture=network.picture(net, numbers), net_computed_at=kept.computed_at_uk,
                 picture_max=network.PICTURE_MAX, period=period, form=form, public=public, cut_by=cut_by)


def _links_csv(net, numbers: dict[int, int], names: dict, public: bool, period: Period, cut_by) -> Response:
    """Every link of the network, one row each (the page's table shows those among the busiest members)."""
    headers = ["from_number", "to_number", "person_hours", "records"]
    if not public:
        headers[1:1] = ["from_member"]
        headers[3:3] = ["to_member"]

    def rows():
        for a, b, hours, records in sorted(net.edges, key=lambda e: (numbers[e[0]], numbers[e[1]])):
            if public:
                yield [numbers[a], numbers[b], hours, records]
            else:
                yield [numbers[a], names.get(a, (f"Member {a}",))[0], numbers[b], names.get(b, (f"Member {b}",))[0],
                       hours, records]

    name = "network-links" if public else "collaboration-network-links"
    filename = f"{name}-{period.start or 'start'}-to-{period.end or 'now'}{'-' + cut_by.code if cut_by else ''}.csv"
    return csv_response(filename, headers, list(rows()))


@bp.route("/impact/network")
@offers("pdf", "csv")
def public_network():
    """The network with members numbered, not named."""
    return _network(public=True)


@bp.route("/coordinator/network")
@offers("pdf", "csv")
@coordinator_required
def coordinator_network():
    return _network(public=False)


@bp.route("/coordinator/network/work-out", methods=["POST"])
@coordinator_required
def work_out_network():
    """Work the network figures of the page's dates out again now (they are kept for a day)."""
    form, period, _ = _period(funding.tags_for_reports(), answer_wrong=False)
    if form.errors:
        flash("Choose the dates again: " + " ".join(e for errors in form.errors.values() for e in errors), "error")
    else:
        network.work_out(period)
        flash("The network figures for these dates were worked out again just now.", "success")
    return redirect(url_for("reports.coordinator_network", **request.args))


# -- valuation rates --------------------------------------------------------------------------------

def _rate_form(form: RateForm) -> RateForm:
    categories = db.session.scalars(select(Category).order_by(Category.parent_id.is_not(None), Category.name)).all()
    form.category_id.choices = [("", "None: it values a kind of help")] + [(c.id, c.path) for c in categories]
    return form


@bp.route("/coordinator/rates")
@coordinator_required
def rates():
    return render_template("reports/rates.html", rates=rate_services.all_rates(), newest=rate_services.newest_ids())


@bp.route("/coordinator/rates/new", methods=["GET", "POST"])
@coordinator_required
def new_rate():
    form = _rate_form(RateForm())
    if form.validate_on_submit():
        with domain_errors(form):
            rate = rate_services.add_rate(current_user, **form.values())
            flash(f"Rate \"{rate.name}\" added.", "success")
            return redirect(url_for("reports.rates"))
    return render_template("reports/rate_form.html", form=form, rate=None)


@bp.route("/coordinator/rates/<int:rate_id>/versions/new", methods=["GET", "POST"])
@coordinator_required
def new_rate_version(rate_id: int):
    """A new value of a rate from a date (or an empty slot filled in): earlier reports keep the old value."""
    rate = rate_services.load_rate(rate_id, current_user)
    latest = rate_services.latest_version(rate)
    if latest.id != rate.id:
        return redirect(url_for("reports.new_rate_version", rate_id=latest.id))
    if request.method == "GET":
        form = RateVersionForm(obj=rate)
        form.value.data = str(rate.value) if rate.value is not None else ""
        form.valid_to.data = None
        form.valid_from.data = rate.valid_from if rate.value is None else max(today(), rate.valid_from
                                                                              + timedelta(days=1))
    else:
        form = RateVersionForm()
    if form.validate_on_submit():
        with domain_errors(form):
            version = rate_services.new_version(rate, current_user, **form.values())
            starts = version.valid_from
            flash(f"Rate \"{version.name}\" {version.version_label}. Reports on days before "
                  f"{starts.day} {starts:%B %Y} keep the value they had." if version.id != rate.id else
                  f"Rate \"{version.name}\" filled in from {starts.day} {starts:%B %Y}.", "success")
            return redirect(url_for("reports.rates"))
    return render_template("reports/rate_version.html", form=form, rate=rate,
                           versions=rate_services.versions_of(rate))


@bp.route("/coordinator/rates/<int:rate_id>/end", methods=["GET", "POST"])
@coordinator_required
def end_rate(rate_id: int):
    rate = rate_services.load_rate(rate_id, current_user)
    form = EndRateForm()
    if form.validate_on_submit():
        with domain_errors(form):
            rate_services.end_rate(rate, current_user, form.valid_to.data)
            flash(f"Rate \"{rate.name}\" ends on {form.valid_to.data.day} {form.valid_to.data:%B %Y}.", "success")
            return redirect(url_for("reports.rates"))
    return render_template("reports/end_rate.html", form=form, rate=rate)


# -- a member's reports -----------------------------------------------------------------------------

@bp.route("/members/<int:member_id>/social-value")
@offers("pdf", "csv")
@login_required
def member_social_value(member_id: int):
    """A business's Social Value report, for its own people and coordinators."""
    member = load_member(member_id, current_user, need="act")
    form, period, how = _period(funding.tags_for_reports(member))
    report = social_value(member, period)
    if requested_format() == "csv":
        return _records_csv(report.lines, f"social-value-{member.id}", period)
    changes = comparison.compare(period, how, report, lambda p: social_value(member, p),
                                 comparison.social_value_headlines)
    by_month = _hours_by_month(report.lines)
    cut_by = _cut_by(period)
    return _page("reports/social_value.html", ("social-value", member.name, *period_parts(period),
                                               cut_by.code if cut_by else None),
                 member=member, report=report, form=form, changes=changes, by_month=by_month, cut_by=cut_by,
                 cases=case_studies.shown_in(period, member, giver=True),
                 month_chart=bar_chart("Hours of time and skills given, by month", [m for m, _ in by_month],
                                       [h for _, h in by_month]) if by_month else None,
                 kind_labels=KIND_LABELS, kind_units=KIND_UNITS)


def _hours_by_month(lines) -> list[tuple[str, object]]:
    """Hours of time and skills in `lines`, by month (the chart of a member's report)."""
    months: dict[str, object] = {}
    for line in lines:
        if line.kind in figures.TIME_KINDS:
            key = f"{line.day:%Y-%m}"
            months[key] = months.get(key, figures.ZERO) + line.quantity
    return sorted(months.items())


def _records_csv(lines, name: str, period: Period) -> Response:
    """The records behind a report, one row each, valued at the rates of their days (every report's CSV)."""
    headers = ["record", "record_id", "exchange_id", "leg_id", "date", "kind", "description", "giver", "receiver",
               "receiver_town", "receiver_in_knowsley", "quantity", "unit", "gift", "sign_off",
               "value_low_gbp", "rate_low", "value_central_gbp", "rate_central", "value_high_gbp", "rate_high",
               "programmes_funds_grants"]
    codes = funding.codes_by_record()

    def rows():
        for line in lines:
            cells = [line.source, line.record_id, line.exchange_id, line.leg_id, line.day, line.kind,
                     line.description, line.giver, line.receiver, line.receiver_town, line.local, line.quantity,
                     KIND_UNITS[line.kind], line.is_gift, line.sign_off]
            for band in figures.BANDS:
                value, rate = line.values[band]
                # Exact (hours to 2 places x pounds to 2 places), so the rows add up to the page's totals.
                cells += [value,
                          (f"{rate.name}, {rate.version_label}" if rate.value is not None
                           else f"{rate.name} (no rate set)") if rate
                          else "no rate valid on this date"]
            cells.append("; ".join(codes.get(line.leg_id, ())) if line.leg_id else "")
            yield cells

    cut_by = _cut_by(period)
    filename = f"{name}-{period.start or 'start'}-to-{period.end or 'now'}{'-' + cut_by.code if cut_by else ''}.csv"
    return csv_response(filename, headers, list(rows()))


@bp.route("/members/<int:member_id>/impact")
@offers("pdf", "csv")
@login_required
def member_impact(member_id: int):
    member = load_member(member_id, current_user, need="act")
    form, period, how = _period(funding.tags_for_reports(member))
    if requested_format() == "csv":
        return _records_csv(member_lines(member, period), f"impact-statement-{member.id}", period)
    statement = impact_statement(member, period)
    changes = comparison.compare(period, how, statement, lambda p: impact_statement(member, p),
                                 comparison.impact_headlines)
    kinds = ("time", "skill", "room", "equipment")
    chart = grouped_bar_chart("Given and received, by kind", [KIND_LABELS[k] for k in kinds],
                              {"Given": [statement.given.quantity[k] for k in kinds],
                               "Received": [statement.received.quantity[k] for k in kinds]})
    cut_by = _cut_by(period)
    return _page("reports/impact_statement.html", ("impact-statement", member.name, *period_parts(period),
                                                   cut_by.code if cut_by else None),
                 member=member, statement=statement, form=form, changes=changes, kind_chart=chart, cut_by=cut_by,
                 cases=case_studies.shown_in(period, member),
                 lines=member_lines(member, period) if requested_format() == "pdf" else None,
                 kind_labels=KIND_LABELS, kind_units=KIND_UNITS)


# -- exports ----------------------------------------------------------------------------------------

@bp.route("/coordinator/exports")
@coordinator_required
def coordinator_exports():
    return render_template("reports/exports.html", datasets=exports.DATASETS.values(), member=None)


@bp.route("/coordinator/exports/<name>.csv")
@coordinator_required
def coordinator_export(name: str):
    if name not in exports.DATASETS:
        abort(404)
    dataset = exports.DATASETS[name]
    return csv_response(f"{name}.csv", dataset.headers, exports.rows(name))


@bp.route("/members/<int:member_id>/exports")
@login_required
def member_exports(member_id: int):
    member = load_member(member_id, current_user, need="act")
    datasets = [exports.DATASETS[n] for n in exports.MEMBER_DATASETS]
    return render_template("reports/exports.html", datasets=datasets, member=member,
                           can_manage=can_manage(current_user, member))  # the whole-member zip is for admins


@bp.route("/members/<int:member_id>/exports/<name>.csv")
@login_required
def member_export(member_id: int, name: str):
    member = load_member(member_id, current_user, need="act")
    if name not in exports.MEMBER_DATASETS:
        abort(404)
    dataset = exports.DATASETS[name]
    return csv_response(f"{name}-{member.id}.csv", dataset.headers, exports.rows(name, member.id))
