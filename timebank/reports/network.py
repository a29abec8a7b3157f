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
from datetime import date
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
    from timebank.members.models import MEMBER_TYPES, Member
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
    who = select(Member.id, Member.name, Member.type).where(Member.status == "active")
    if period.tag_id is not None:
        # Cut by a programme, fund or grant: its members are the nodes (all members, if it is open to all).
        from timebank.funding.models import FundingTag, FundingTagMember

        tag = db.session.get(FundingTag, period.tag_id)
        if tag is not None and not tag.open_to_all:
            who = who.where(Member.id.in_(select(FundingTagMember.member_id).where(
                FundingTagMember.tag_id == period.tag_id)))
    members = db.session.execute(who).all()
    names = {m.id: (m.name, MEMBER_TYPES.get(m.type, m.type)) for m in members}
    others = ({r.giver for r in records} | {r.receiver for r in records}) - set(names)
    if others:  # members no longer active whose help is in the period
        names |= {m.id: (m.name, MEMBER_TYPES.get(m.type, m.type)) for m in db.session.execute(
            select(Member.id, Member.name, Member.type).where(Member.id.in_(others))).all()}
    return measure([m.id for m in members], records), names


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
