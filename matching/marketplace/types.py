"""Plain data in and out of the marketplace matcher: listings, members, policy, proposals.

Everything here is a frozen dataclass of ids, numbers, dates and strings, so the matcher can be
fed from a database, a JSON file or a test without either knowing about the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .acceptance import AcceptanceModel

#: Weekly availability is 21 bits: day * 3 + part (morning 0, afternoon 1, evening 2), Monday first.
ALL_WEEK = (1 << 21) - 1
#: DBS check levels, weakest first.
DBS_LEVELS = {"basic": 1, "standard": 2, "enhanced": 3, "enhanced_barred": 4}
KINDS = ("time", "skill", "room", "equipment")
#: Kinds whose hours move time credits (rooms and equipment move none unless the policy says so).
TIME_KINDS = ("time", "skill")
#: What a run maximises: points if everybody accepts, or points expected to go ahead.
OBJECTIVES = ("points", "expected")


@dataclass(frozen=True)
class AssetInput:
    """The room or item of equipment behind a room or equipment offer.

    Attributes
    ----------
    capacity : int or None
        People a room holds.
    step_free : bool
        Step-free access to the room.
    electrical : bool
        Electrical equipment, which needs an in-date PAT test that passed.
    pat_due_on : date or None
        Date the next PAT test is due; the item may be lent up to and including it.
    pat_result : str or None
        ``"pass"`` or ``"fail"`` for the last PAT test.
    insurance_required : bool
        The receiver must hold public liability insurance to borrow it.
    name : str
        What it is called (used in reasons).
    """

    capacity: int | None = None
    step_free: bool = False
    electrical: bool = False
    pat_due_on: date | None = None
    pat_result: str | None = None
    insurance_required: bool = False
    name: str = ""


@dataclass(frozen=True)
class DbsCheck:
    """DBS checks a member's volunteers hold: their level, how many people they cover, and, if
    they lapse, the day they do."""

    level: str
    expires_on: date | None = None
    people: int = 1


@dataclass(frozen=True)
class MemberInput:
    """A member (organisation or business) as the matcher sees it.

    Attributes
    ----------
    id : int
    name : str
        Used in stories ("Kirkby Food Bank helps ...").
    suspended : bool
        Suspended (or otherwise inactive) members take part in nothing.
    balance : Decimal
        Time-credit balance before this run (may be negative).
    credit_limit : Decimal
        How far below zero the balance may go (a positive number of credits).
    dbs : tuple of DbsCheck
        DBS checks held, each covering some number of people. A need for ``people`` volunteers
        at a DBS level is met only where the checks at that level or above cover the people
        the leg sends.
    insurance_expires_on : date or None
        Last day the member's public liability insurance covers.
    """

    id: int
    name: str
    suspended: bool = False
    balance: Decimal = Decimal(0)
    credit_limit: Decimal = Decimal(10)
    dbs: tuple[DbsCheck, ...] = ()
    insurance_expires_on: date | None = None

    def dbs_level_on(self, day: date) -> int:
        """Highest DBS level (1-4) held and valid on ``day``; 0 for none."""
        return max((DBS_LEVELS[c.level] for c in self.dbs if c.expires_on is None or c.expires_on >= day),
                   default=0)

    def dbs_people_on(self, day: date, level: str) -> int:
        """How many of the member's people hold a check at ``level`` or above, valid on ``day``."""
        return sum(c.people for c in self.dbs
                   if DBS_LEVELS[c.level] >= DBS_LEVELS[level] and (c.expires_on is None or c.expires_on >= day))


@dataclass(frozen=True)
class ListingInput:
    """One open offer or need.

    Attributes
    ----------
    id, member_id : int
    direction : str
        ``"offer"`` or ``"need"``.
    kind : str
        ``"time"``, ``"skill"``, ``"room"`` or ``"equipment"``.
    category_id : int
        Node of the taxonomy (see :attr:`Market.categories`).
    title : str
        Used in stories and reasons.
    quantity : Decimal
        Hours (time, skill, room) or days (equipment).
    people : int
        People giving (offer) or needed (need); 1 for rooms and equipment.
    available_from, available_until : date
        The window in which the help can happen.
    weekly_pattern : int
        21-bit availability (see :data:`ALL_WEEK`).
    location : str
        ``"at_giver"``, ``"at_receiver"`` or ``"remote"``. The offer's location decides where help
        happens; a need marked remote accepts remote offers only.
    lat, lon : float
        Where the listing is.
    travel_km : float
        How far its member will travel (the giver for ``at_receiver``, the receiver for ``at_giver``).
    min_dbs_level : str or None
        Need only: the DBS level the giver's volunteers must hold; the giver's checks at that level
        must cover every person the leg sends (``people``, or fewer for a partial leg).
    needs_step_free, min_capacity, needs_insurance
        Need only: step-free access, room capacity, the giver's insurance valid on the date.
    urgency : int
        1 (low) to 4 (urgent).
    is_gift : bool
        Offer only: given without wanting anything back; starts gift chains.
    partial_ok : bool
        Need only: an offer covering part of the quantity or people may serve it.
    waited_days : int
        Days since the listing was posted (the scores favour needs that have waited).
    asset : AssetInput or None
        Room and equipment offers: the asset offered.
    dates : tuple of (date, int)
        One-off dates with their parts of the day (3 bits, morning is bit 0): when given, the
        listing can happen on these days only (its window runs from the first to the last, and its
        weekly pattern holds their weekdays and parts). Empty: every week, in its weekly pattern.
    """

    id: int
    member_id: int
    direction: str
    kind: str
    category_id: int
    title: str
    quantity: Decimal
    available_from: date
    available_until: date
    people: int = 1
    weekly_pattern: int = ALL_WEEK
    location: str = "at_giver"
    lat: float = 0.0
    lon: float = 0.0
    travel_km: float = 5.0
    min_dbs_level: str | None = None
    needs_step_free: bool = False
    min_capacity: int | None = None
    needs_insurance: bool = False
    urgency: int = 2
    is_gift: bool = False
    partial_ok: bool = False
    waited_days: int = 0
    asset: AssetInput | None = None
    dates: tuple[tuple[date, int], ...] = ()


@dataclass(frozen=True)
class Market:
    """Everything one run looks at.

    Attributes
    ----------
    listings : sequence of ListingInput
        Open offers and needs (others should be left out by the caller).
    members : sequence of MemberInput
    categories : Mapping[int, int | None]
        Category id to its parent's id (None for a top-level category).
    declined_pairs : frozenset of (offer_id, need_id)
        Pairs a member declined before: never proposed together again.
    today : date
    category_names : Mapping[int, str]
        Optional names of categories, used in reasons.
    acceptance : AcceptanceModel or None
        How likely each member is to accept its part, learned from the exchange's answers
        (:func:`~matching.marketplace.acceptance.learn_acceptance`); None for the prior alone.
        The failure-aware objective weighs exchanges by it, and every run reports the chance
        that each proposed leg goes ahead.
    """

    listings: tuple[ListingInput, ...]
    members: tuple[MemberInput, ...]
    categories: Mapping[int, int | None]
    today: date
    declined_pairs: frozenset[tuple[int, int]] = frozenset()
    category_names: Mapping[int, str] = field(default_factory=dict)
    acceptance: AcceptanceModel | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "listings", tuple(self.listings))
        object.__setattr__(self, "members", tuple(self.members))
        object.__setattr__(self, "declined_pairs", frozenset(self.declined_pairs))


@dataclass(frozen=True)
class ScoreWeights:
    """How much each part of a leg's score counts (relative weights, any non-negative numbers).

    A leg scores ``round(100 * sum(weight * part) / sum(weights))`` points, each part in 0..1:
    urgency ``urgency / 4``; category fit 1 (same category) or 0.5 (parent and child);
    distance ``1 - km / radius`` (1 for remote help); waiting ``min(waited_days / 90, 1)``.
    A leg given in a cycle or gift chain earns ``reciprocity`` points more than the same leg sold
    as a direct pair: it needs no credit, and it is what the exchange is for.
    """

    urgency: float = 4.0
    category_fit: float = 3.0
    distance: float = 2.0
    waiting: float = 1.0
    reciprocity: int = 5


@dataclass(frozen=True)
class Policy:
    """The coordinator's choices for a run.

    Attributes
    ----------
    max_cycle : int
        Most members (legs) in a cycle; 2 or more.
    max_chain : int
        Most legs in a gift chain, the gift included; 0 for no chains.
    weights : ScoreWeights
    allow_pairs : bool
        Propose direct pairs paid in time credits.
    time_limit : float or None
        Seconds for the run (candidates, programme and optimiser); past it the best found is
        returned with its gap.
    asset_credits : Decimal
        Credits one room or equipment loan moves (0: assets move no credits, the default).
    max_candidates_per_need : int
        Keep the best this many offers for each need (after keeping one offer per giving member).
    one_offer_per_giver : bool
        Keep only each giving member's best offer for a need (True for a run: one member gives
        one leg to a need). False lists every offer that could serve it (the dashboard's list).
    report_cycle_lengths : tuple of int
        Cycle and chain lengths to re-run at, to show what a longer policy would add; empty for none.
    report_time_limit : float or None
        Seconds for each of those re-runs.
    report_max_paths : int
        Skip an exact re-run whose search space (walks of half a cycle's length) exceeds this,
        and report the bound of unlimited cycles instead.
    objective : str
        ``"expected"``: the most points expected to go ahead, each exchange weighed by the
        chance that its parties accept (:attr:`Market.acceptance`), each leg of a gift chain by
        the chance that the chain reaches it (failure-aware matching). ``"points"``: the most
        points if everybody accepts (the matcher before failure-aware matching).
    max_chains_per_gift : int
        With the expected objective, gift chains are whole columns (a chain's value depends on
        every party before each leg): each gift keeps its best this many chains of each length
        (by expected points so far). Small markets never reach it.
    """

    max_cycle: int = 3
    max_chain: int = 3
    weights: ScoreWeights = field(default_factory=ScoreWeights)
    allow_pairs: bool = True
    time_limit: float | None = None
    asset_credits: Decimal = Decimal(0)
    max_candidates_per_need: int = 6
    one_offer_per_giver: bool = True
    report_cycle_lengths: tuple[int, ...] = (2, 3, 4, 6)
    report_time_limit: float | None = 10.0
    report_max_paths: int = 3_000_000
    objective: str = "points"
    max_chains_per_gift: int = 200

    def __post_init__(self) -> None:
        if self.max_cycle < 2:
            raise ValueError("max_cycle must be 2 or more (a cycle has at least two members)")
        if self.max_chain < 0:
            raise ValueError("max_chain must be 0 or more")
        if self.max_candidates_per_need < 1:
            raise ValueError("max_candidates_per_need must be 1 or more")
        if any(k < 2 for k in self.report_cycle_lengths):
            raise ValueError("report_cycle_lengths must be 2 or more")
        if self.objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}")
        if self.max_chains_per_gift < 1:
            raise ValueError("max_chains_per_gift must be 1 or more")


@dataclass(frozen=True)
class ProposedLeg:
    """One member giving one listing's help to another member's need: everything a Leg row needs.

    ``hours`` is the planned amount in the offer's unit (hours, or days for equipment);
    ``credits`` the time credits it moves from receiver to giver (0 for gifts and, by default,
    rooms and equipment); ``chance`` the chance that it goes ahead: that every party it depends
    on accepts (see :mod:`~matching.marketplace.expected`).
    """

    offer_id: int
    need_id: int
    giver_member_id: int
    receiver_member_id: int
    kind: str
    category_id: int
    hours: Decimal
    people: int
    is_gift: bool
    score: int
    reason: str
    credits: Decimal
    description: str
    chance: float = 1.0


@dataclass(frozen=True)
class ProposedExchange:
    """A cycle, gift chain or direct pair: its legs in giving order, total score and story."""

    shape: str
    legs: tuple[ProposedLeg, ...]
    score: int
    story: str

    @property
    def member_ids(self) -> tuple[int, ...]:
        """The members taking part, each once, in order of first appearance."""
        seen: dict[int, None] = {}
        for leg in self.legs:
            seen.setdefault(leg.giver_member_id)
            seen.setdefault(leg.receiver_member_id)
        return tuple(seen)


@dataclass(frozen=True)
class MatchResult:
    """The proposals of one run and the figures behind them (see :func:`match` for ``stats``)."""

    exchanges: tuple[ProposedExchange, ...]
    stats: Mapping[str, Any]

    @property
    def legs(self) -> list[ProposedLeg]:
        return [leg for ex in self.exchanges for leg in ex.legs]
