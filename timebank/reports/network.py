"""The sector's collaboration network: members as nodes, help recorded through the exchange as
edges (who helped whom, weighted by hours of time and skills), measured with networkx.

`measure` is pure: it takes plain records and returns plain figures, so tests build small
histories by hand. `sector_network` reads the records of a period from the database (the same
rows as every other report, `figures.activity`) and `picture` draws the network as an SVG.

The figures, in the words the pages use:

- connected share: the share of members in the largest connected group (members linked to each
  other by help in either direction, directly or through others); members who never exchanged
  count as not connected;
- groups: how many separate connected groups the members who exchanged form;
- brokers: members whose leaving would split their group in two (articulation points of the
  undirected network), ranked by betweenness centrality (how many shortest paths pass through
  them); bridging partnerships: links whose loss would split a group (bridges);
- givers only / receivers only: members who gave and never received, or the reverse;
- reciprocity: of the pairs of members linked by help, the share where help went both ways;
- never exchanged: active members with no record of help at all (for the coordinator's outreach).
"""
from __future__ import annotations

import base64
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from html import escape

import networkx as nx

ZERO = Decimal("0.00")
BETWEENNESS_MAX = 400


@dataclass(frozen=True)
class Help:
    """One record of help: `giver` helped `receiver` on `day` for `hours` (0 for rooms and equipment)."""

    giver: int
    receiver: int
    hours: Decimal
    day: date
    records: int = 1


@dataclass(frozen=True)
class Broker:
    member: int
    cut_off: int  # members who would be left outside the broker's largest remaining group
    betweenness: float | None  # None when the network is too big to work it out per request


@dataclass
class Quarter:
    label: str
    took_part: int
    links: int
    largest_group: int
    reciprocity: int | None
    first_time: int


@dataclass
class NetworkFigures:
    members: int
    exchanged: int
    largest_group: int
    groups: int
    links: int
    reciprocated_pairs: int
    pairs: int
    brokers: list[Broker]
    bridges: list[tuple[int, int]]
    givers_only: list[int]
    receivers_only: list[int]
    never: list[int]
    edges: list[tuple[int, int, Decimal, int]]  # giver, receiver, hours, records
    quarters: list[Quarter] = field(default_factory=list)

    @property
    def connected_share(self) -> int | None:
        return round(100 * self.largest_group / self.members) if self.members else None

    @property
    def reciprocity(self) -> int | None:
        return round(100 * self.reciprocated_pairs / self.pairs) if self.pairs else None

    @property
    def both_ways(self) -> int:
        return self.exchanged - len(self.givers_only) - len(self.receivers_only)


def graph(records: list[Help]) -> nx.DiGraph:
    """A directed graph: an edge giver -> receiver with the hours and the number of records."""
    g = nx.DiGraph()
    for r in records:
        if r.giver == r.receiver:
            continue
        if g.has_edge(r.giver, r.receiver):
            g[r.giver][r.receiver]["hours"] += r.hours
            g[r.giver][r.receiver]["records"] += r.records
        else:
            g.add_edge(r.giver, r.receiver, hours=Decimal(r.hours), records=r.records)
    return g


def _pairs(g: nx.DiGraph) -> tuple[int, int]:
    """(pairs linked both ways, pairs linked at all)."""
    both = sum(1 for a, b in g.edges if a < b and g.has_edge(b, a))
    return both, g.number_of_edges() - both


def _undirected(g: nx.DiGraph) -> nx.Graph:
    """The members who exchanged and their links, without direction or data (DiGraph.to_undirected
    deep-copies every edge's data, and a subgraph view filters every lookup)."""
    u = nx.Graph()
    u.add_edges_from(g.edges())
    return u


def _largest(g: nx.DiGraph) -> int:
    return max((len(c) for c in nx.weakly_connected_components(g)), default=0)


def _quarter(day: date) -> str:
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"


def measure(members: list[int], records: list[Help]) -> NetworkFigures:
    """The network figures of `members` (the nodes: every active member) and `records` (the help).

    Members who appear in the records but not in `members` (suspended since, say) are counted
    too, so every record is in the network.

    Complexity: O(n m) for betweenness (Brandes), n members and m links; the rest is linear.

    >>> f = measure([1, 2, 3, 4], [Help(1, 2, Decimal(2), date(2025, 4, 1)), Help(2, 1, Decimal(1), date(2025, 5, 1))])
    >>> (f.largest_group, f.connected_share, f.reciprocity, f.never)
    (2, 50, 100, [3, 4])
    """
    g = graph(records)
    nodes = set(members) | set(g.nodes)
    g.add_nodes_from(nodes)
    linked = _undirected(g)
    active = list(linked.nodes)
    cuts = list(nx.articulation_points(linked))
    # Betweenness only ranks the brokers, and costs O(n m): exact up to BETWEENNESS_MAX members
    # who exchanged, left out above that (brokers are then ranked by how many they would cut off).
    betweenness = nx.betweenness_centrality(linked) if cuts and linked.number_of_nodes() <= BETWEENNESS_MAX else {}
    brokers = []
    for node in cuts:
        rest = linked.subgraph(n for n in nx.node_connected_component(linked, node) if n != node)
        sizes = sorted((len(c) for c in nx.connected_components(rest)), reverse=True)
        brokers.append(Broker(node, sum(sizes[1:]), round(betweenness[node], 3) if betweenness else None))
    brokers.sort(key=lambda b: (-(b.betweenness or 0), -b.cut_off, b.member))
    both, pairs = _pairs(g)
    figures = NetworkFigures(
        members=len(nodes), exchanged=len(active), largest_group=max((len(c) for c in nx.connected_components(linked)), default=0),
        groups=nx.number_connected_components(linked) if active else 0, links=g.number_of_edges(),
        reciprocated_pairs=both, pairs=pairs, brokers=brokers,
        # A bridge is a biconnected component of one link (nx.bridges' chain decomposition is
        # several times slower on a big network).
        bridges=sorted(tuple(sorted(c[0])) for c in nx.biconnected_component_edges(linked) if len(c) == 1),
        givers_only=sorted(n for n in active if g.in_degree(n) == 0),
        receivers_only=sorted(n for n in active if g.out_degree(n) == 0),
        never=sorted(n for n in nodes if g.degree(n) == 0),
        edges=sorted(((a, b, d["hours"], d["records"]) for a, b, d in g.edges(data=True)),
                     key=lambda e: (-e[2], -e[3], e[0], e[1])))
    figures.quarters = _quarters(records)
    return figures


def _quarters(records: list[Help]) -> list[Quarter]:
    """Each quarter's own network: who took part, links, the largest group, reciprocity, newcomers."""
    by_quarter: dict[str, list[Help]] = defaultdict(list)
    for r in records:
        by_quarter[_quarter(r.day)].append(r)
    seen: set[int] = set()
    result = []
    for label in sorted(by_quarter):
        g = graph(by_quarter[label])
        both, pairs = _pairs(g)
        took_part = set(g.nodes)
        result.append(Quarter(label, len(took_part), g.number_of_edges(), _largest(g),
                              round(100 * both / pairs) if pairs else None, len(took_part - seen)))
        seen |= took_part
    return result


# -- from the database -----------------------------------------------------------------------------

def sector_network(period) -> tuple[NetworkFigures, dict[int, tuple[str, str]]]:
    """The figures for `period`, and each member's (name, type label) for the pages that name them."""
    from sqlalchemy import case, func, select

    from timebank.extensions import db
    from timebank.members.models import Member
    from timebank.reports.figures import TIME_KINDS, _month, activity

    act = activity(period)
    hours = func.sum(case((act.c.kind.in_(TIME_KINDS), act.c.quantity), else_=0))
    month = _month(act.c.day)
    # One row per pair and month (a quarter's figures need no finer date): far fewer rows than records.
    rows = db.session.execute(select(act.c.giver_id, act.c.receiver_id, month, hours, func.count())
                              .group_by(act.c.giver_id, act.c.receiver_id, month)).all()
    records = [Help(giver, receiver, Decimal(str(total or 0)).quantize(Decimal("0.01")),
                    date.fromisoformat(f"{str(month)[:7]}-01"), count)
               for giver, receiver, month, total, count in rows]
    who = select(Member.id).where(Member.status == "active")
    if period.tag_id is not None:
        # Cut by a programme, fund or grant: its members are the nodes (all members, if it is open to all).
        from timebank.funding.models import FundingTag, FundingTagMember

        tag = db.session.get(FundingTag, period.tag_id)
        if tag is not None and not tag.open_to_all:
            who = who.where(Member.id.in_(select(FundingTagMember.member_id).where(
                FundingTagMember.tag_id == period.tag_id)))
    members = db.session.scalars(who).all()
    figures = measure(list(members), records)
    return figures, names_of(figures)


def names_of(figures: NetworkFigures) -> dict[int, tuple[str, str]]:
    """Each member's (name, type label) in `figures`, as the member is called today."""
    from sqlalchemy import select

    from timebank.extensions import db
    from timebank.members.models import MEMBER_TYPES, Member

    ids = {a for a, *_ in figures.edges} | {b for _, b, *_ in figures.edges} | set(figures.never)
    if not ids:
        return {}
    rows = db.session.execute(select(Member.id, Member.name, Member.type).where(Member.status == "active")).all()
    names = {i: (name, MEMBER_TYPES.get(kind, kind)) for i, name, kind in rows if i in ids}
    others = ids - set(names)
    if others:  # members no longer active whose help is in the period
        names |= {i: (name, MEMBER_TYPES.get(kind, kind)) for i, name, kind in db.session.execute(
            select(Member.id, Member.name, Member.type).where(Member.id.in_(others))).all()}
    return names


# -- figures kept, not worked out on every request ---------------------------------------------------

DEFAULT_HOURS = 25  # the daily job's sets, and one more hour for it to have run


def to_json(figures: NetworkFigures) -> dict:
    """The figures as JSON (hours as strings, exact)."""
    return {
        "members": figures.members, "exchanged": figures.exchanged, "largest_group": figures.largest_group,
        "groups": figures.groups, "links": figures.links, "reciprocated_pairs": figures.reciprocated_pairs,
        "pairs": figures.pairs, "brokers": [[b.member, b.cut_off, b.betweenness] for b in figures.brokers],
        "bridges": [list(pair) for pair in figures.bridges], "givers_only": figures.givers_only,
        "receivers_only": figures.receivers_only, "never": figures.never,
        "edges": [[a, b, str(hours), records] for a, b, hours, records in figures.edges],
        "quarters": [[q.label, q.took_part, q.links, q.largest_group, q.reciprocity, q.first_time]
                     for q in figures.quarters],
    }


def from_json(data: dict) -> NetworkFigures:
    return NetworkFigures(
        members=data["members"], exchanged=data["exchanged"], largest_group=data["largest_group"],
        groups=data["groups"], links=data["links"], reciprocated_pairs=data["reciprocated_pairs"],
        pairs=data["pairs"], brokers=[Broker(*b) for b in data["brokers"]],
        bridges=[tuple(pair) for pair in data["bridges"]], givers_only=list(data["givers_only"]),
        receivers_only=list(data["receivers_only"]), never=list(data["never"]),
        edges=[(a, b, Decimal(hours), records) for a, b, hours, records in data["edges"]],
        quarters=[Quarter(*q) for q in data["quarters"]])


def _key(period) -> str:
    """The period and its cut as one string: "2025-04-01..2025-06-30", "..", "..2025-06-30 tag 3"."""
    key = f"{period.start or ''}..{period.end or ''}"
    return key if period.tag_id is None else f"{key} tag {period.tag_id}"


@dataclass
class KeptFigures:
    figures: NetworkFigures
    names: dict[int, tuple[str, str]]
    computed_at: object  # datetime, naive UTC

    @property
    def computed_at_uk(self):
        """When they were worked out, on the UK clock (as the pages say it)."""
        from datetime import timezone

        from timebank.bookings.models import UK

        return self.computed_at.replace(tzinfo=timezone.utc).astimezone(UK).replace(tzinfo=None)


def worth_keeping(period) -> bool:
    """All time, a whole calendar month or quarter, or twelve whole months (a calendar or financial
    year) that ends on or after the first help recorded and starts by today (or one of the usual
    periods, which the daily job keeps anyway): the periods reports are asked for. The public
    pages keep only these, so no visitor can fill the table with sets for odd dates, or for the
    months of 1901 or 2099 (each set holds every active member's id); those are worked out, not kept."""
    from sqlalchemy import func, select

    from timebank.db import today
    from timebank.extensions import db
    from timebank.reports.comparison import _months_between
    from timebank.reports.figures import Period, activity

    if period.start is None and period.end is None:
        return True
    if period.start is None or period.end is None:
        return False
    months = _months_between(period.start, period.end)
    if not (months in (1, 12) or (months == 3 and period.start.month in (1, 4, 7, 10))):
        return False
    if (period.start, period.end) in {(p.start, p.end) for p in usual_periods(today())}:
        return True  # what the daily job works out anyway
    if period.start > today():
        return False
    first = db.session.scalar(select(func.min(activity(Period()).c.day)))
    if first is None:
        return False
    return period.end >= date.fromisoformat(str(first)[:10])  # a date, or a timestamp's text on SQLite


def figures_for(period, *, keep: bool = True) -> KeptFigures:
    """The network figures of `period`, kept: read when worked out less than NETWORK_FIGURES_HOURS
    ago, otherwise worked out now and, if `keep`, kept (the request's unit of work commits)."""
    from datetime import timedelta

    from flask import current_app
    from sqlalchemy import select

    from timebank.db import utcnow
    from timebank.extensions import db
    from timebank.reports.models import NetworkFigureSet

    hours = float(current_app.config.get("NETWORK_FIGURES_HOURS", DEFAULT_HOURS))
    kept = db.session.scalar(select(NetworkFigureSet).where(NetworkFigureSet.key == _key(period)))
    if kept is not None and kept.computed_at >= utcnow() - timedelta(hours=hours):
        figures = from_json(kept.figures)
        return KeptFigures(figures, names_of(figures), kept.computed_at)
    if not keep:
        figures, names = sector_network(period)
        return KeptFigures(figures, names, utcnow())
    return work_out(period)


def work_out(period) -> KeptFigures:
    """Work the figures of `period` out now and keep them (replacing any kept before)."""
    from sqlalchemy.dialects import postgresql, sqlite

    from timebank.db import utcnow
    from timebank.extensions import db
    from timebank.reports.models import NetworkFigureSet

    figures, names = sector_network(period)
    now = utcnow()
    insert = (postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite).insert
    statement = insert(NetworkFigureSet).values(
        key=_key(period), period_start=period.start, period_end=period.end, tag_id=period.tag_id,
        computed_at=now, figures=to_json(figures))
    # Two requests working out the same period at once: the later one's set is kept, neither fails.
    db.session.execute(statement.on_conflict_do_update(
        index_elements=["key"], set_={"computed_at": statement.excluded.computed_at,
                                      "figures": statement.excluded.figures}))
    return KeptFigures(figures, names, now)


def usual_periods(today) -> list:
    """What the daily job works out: all time, and the current quarter and the four before it."""
    from timebank.reports.comparison import previous_period
    from timebank.reports.figures import Period

    first = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    quarter = Period(first, _quarter_end(first))
    periods = [Period(), quarter]
    for _ in range(4):
        quarter = previous_period(quarter, "previous")
        periods.append(quarter)
    return periods


def _quarter_end(first: date) -> date:
    month = first.month + 2
    following = date(first.year + (month // 12), month % 12 + 1, 1)
    return following - timedelta(days=1)


def work_out_usual() -> str:
    """The daily job: the usual periods' figures worked out and kept; sets past their hours deleted."""
    from datetime import timedelta

    from flask import current_app
    from sqlalchemy import delete

    from timebank.db import today, utcnow
    from timebank.extensions import db
    from timebank.reports.models import NetworkFigureSet

    hours = float(current_app.config.get("NETWORK_FIGURES_HOURS", DEFAULT_HOURS))
    gone = db.session.execute(delete(NetworkFigureSet).where(
        NetworkFigureSet.computed_at < utcnow() - timedelta(hours=hours))).rowcount or 0
    periods = usual_periods(today())
    for period in periods:
        work_out(period)
    return (f"network figures worked out for {len(periods)} periods (all time and five quarters); "
            f"{gone} older sets deleted")


# -- the picture -------------------------------------------------------------------------------------

def numbering(figures: NetworkFigures) -> dict[int, int]:
    """A number for each member who exchanged (1 = most hours given and received), as the picture
    and its table label them; the public page shows the numbers only."""
    totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for a, b, hours, records in figures.edges:
        totals[a] += hours + records
        totals[b] += hours + records
    order = sorted(totals, key=lambda n: (-totals[n], n))
    return {node: i + 1 for i, node in enumerate(order)}


PICTURE_MAX = 80


def links_among_numbered(figures: NetworkFigures, numbers: dict[int, int], limit: int = PICTURE_MAX) -> list:
    """The links between the members numbered 1 to `limit` (those the picture draws), busiest giver first:
    the page's table of who helped whom. Every link, thousands in a big sector, is in the CSV."""
    return sorted((e for e in figures.edges if numbers.get(e[0], limit + 1) <= limit
                   and numbers.get(e[1], limit + 1) <= limit), key=lambda e: (numbers[e[0]], numbers[e[1]]))


def picture(figures: NetworkFigures, numbers: dict[int, int], *, size: int = 560, limit: int = PICTURE_MAX) -> str:
    """The network as an SVG data: URI: a numbered circle per member who exchanged (bigger for
    more partners), an arrow from giver to receiver (thicker for more hours). At most `limit`
    members, the busiest (numbers 1 to `limit`): more would be unreadable on a page, and the
    layout's cost grows with the square of the members; the table beside it has every link."""
    shown = {node for node, number in numbers.items() if number <= limit}
    edges = [e for e in figures.edges if e[0] in shown and e[1] in shown]
    g = nx.DiGraph()
    g.add_nodes_from(shown)
    for a, b, hours, records in edges:
        g.add_edge(a, b, weight=float(hours) + records)
    pad = 34
    if g.number_of_nodes() == 0:
        positions = {}
    elif g.number_of_nodes() == 1:
        positions = {next(iter(g.nodes)): (0.0, 0.0)}
    else:
        positions = nx.spring_layout(g.to_undirected(), seed=7, weight="weight",
                                     k=2.2 / math.sqrt(g.number_of_nodes()), iterations=200)
    xs = [p[0] for p in positions.values()] or [0]
    ys = [p[1] for p in positions.values()] or [0]
    span_x, span_y = (max(xs) - min(xs)) or 1, (max(ys) - min(ys)) or 1

    def place(node):
        x, y = positions[node]
        return (pad + (x - min(xs)) / span_x * (size - 2 * pad) if len(positions) > 1 else size / 2,
                pad + (y - min(ys)) / span_y * (size - 2 * pad) if len(positions) > 1 else size / 2)

    most = max((float(h) for *_, h, _ in edges), default=1.0) or 1.0
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="{size}" height="{size}" '
             'font-family="Liberation Sans, Arial, sans-serif">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="11" '
             'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#505a5f"/></marker></defs>',
             f'<rect width="{size}" height="{size}" fill="#ffffff"/>']
    radius = {n: 13 + min(9, 2 * g.degree(n)) for n in g.nodes}
    for a, b, hours, _ in edges:
        (x1, y1), (x2, y2) = place(a), place(b)
        length = math.hypot(x2 - x1, y2 - y1) or 1
        # stop at the circles' edges; two-way pairs bend apart so both arrows show
        ux, uy = (x2 - x1) / length, (y2 - y1) / length
        sx, sy, ex, ey = x1 + ux * radius[a], y1 + uy * radius[a], x2 - ux * (radius[b] + 2), y2 - uy * (radius[b] + 2)
        bend = 14 if g.has_edge(b, a) else 0
        cx, cy = (sx + ex) / 2 - uy * bend, (sy + ey) / 2 + ux * bend
        width = 1.5 + 4.5 * math.sqrt(float(hours) / most)
        parts.append(f'<path d="M{sx:.1f},{sy:.1f} Q{cx:.1f},{cy:.1f} {ex:.1f},{ey:.1f}" fill="none" '
                     f'stroke="#505a5f" stroke-opacity="0.75" stroke-width="{width:.1f}" marker-end="url(#arrow)"/>')
    for node in g.nodes:
        x, y = place(node)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius[node]}" fill="#003d37" stroke="#ffffff" stroke-width="2"/>')
        parts.append(f'<text x="{x:.1f}" y="{y + 5.5:.1f}" text-anchor="middle" font-size="16" font-weight="700" '
                     f'fill="#ffffff">{escape(str(numbers[node]))}</text>')
    parts.append("</svg>")
    # (figures.edges beyond `shown` are in the page's table)
    return "data:image/svg+xml;base64," + base64.b64encode("".join(parts).encode()).decode("ascii")
