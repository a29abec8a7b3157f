"""How the engine searches: one frozen object, passed in, never a module constant patched.

Options change how fast an answer is found and how good it is under a time limit, never what
the optimum is: without a time limit every setting ends in the same proven optimum. Each field
says what it does and why it has its value; the measurements behind the values are in
``docs/performance.md`` and the commit log.

>>> from matching import Options
>>> Options().pool_seconds, Options(pool_seconds=0).pool_seconds
(30.0, 0)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Options:
    """Settings of the clearing engine (:func:`matching.solve`, :func:`matching.marketplace.match`).

    The defaults are tuned on the kidney-exchange benchmark (``bench/matching/kep.py``); the
    marketplace uses :data:`matching.marketplace.MARKET_OPTIONS`, tuned on its own synthetic
    markets (``bench/marketplace.py``). ``bench.matching.kep --set NAME=VALUE`` runs the benchmark
    with one field changed.

    Attributes
    ----------
    seed : int
        HiGHS's random seed: the same input, options and seed give the same answer (without a
        time limit, or when it is not reached).
    threads : int or None
        HiGHS threads (its default if None).
    log : bool
        HiGHS's log on stdout.

    direct_mip_columns : int
        A programme of at most this many columns goes straight to one MIP (the LP, its bound
        and fixing would not pay for themselves).
    mip_max_columns : int or None
        Never give branch and bound more columns than this, time limit or not: the answer is
        then the best packing found, with the LP bound (status ``"feasible"``). None: no cap.
    proof_max_columns : int
        Under a time limit, no final MIP over more columns than this kept by reduced-cost
        fixing: HiGHS would not finish, and loading and presolving it overran the limit.
    final_mip_share, final_mip_reserve : float
        The final MIP gets this share of the time left, less this many seconds (HiGHS may
        overrun its limit while loading, presolving and finishing a node).
    final_mip_heuristics : bool
        HiGHS's primal heuristics in the final MIP. Off by default: the incumbent is already
        good, and the sub-MIPs took a large share of the final MIP's time.

    lp_method : str
        HiGHS's method for the LP of a programme solved whole (``"simplex"``: warm dual simplex
        between column-generation rounds; ``"ipm"``: interior point).
    lp_crossover, lp_presolve : bool
        Crossover after the interior point, and presolve, for that LP. Without crossover the
        LP's solution is interior; the bound comes from its duals either way.
    ipm_tolerance : float or None
        Optimality tolerance of the interior point (HiGHS's default if None). The Lagrangian
        bound is valid for any prices, so a looser tolerance costs bound, never correctness.
    cg_initial_columns, cg_batch : int
        Column generation for that LP: it starts from at most this many columns (the best per
        unit of capacity) and adds at most ``cg_batch`` of the best-priced ones a round.

    incumbent_seconds : float or None
        The incumbent MIP (over the columns priced near zero, started from the best packing
        so far) stops after this many seconds, or ``incumbent_share`` of the time left if less
        (None: only the share). Under a time limit, when fixing from the best packing would
        keep more than ``proof_max_columns``, it gets most of the time left instead.
    incumbent_share : float
    incumbent_nodes : int or None
        Node limit of the incumbent MIP: a node limit, unlike a time limit, keeps answers
        deterministic.
    incumbent_pool_min, incumbent_pool_max : int
        The incumbent MIP takes the LP's support, the best packing's columns and the
        best-priced columns: three times as many as price above zero, within these bounds.
    incumbent_before_proof : bool
        Without a time limit, run the incumbent MIP even when the final MIP could already take
        every column that fixing from the best packing so far keeps. On kidney exchanges it pays:
        a better incumbent cuts the columns kept, and the final MIP's time, several times over.
        On the marketplace the LP is further from the optimum, fixing keeps nearly every column
        whatever the incumbent, and the final MIP (heuristics on) finds what it would.
    improve_window : float
        The local search from a packing (:func:`matching.engine.improve`) tries the LP's
        support and every column whose reduced cost is above minus this many points.

    cycles_per_second : int
        Under a time limit, cycles are enumerated only if there are at most this many per
        second of the limit; otherwise the answer uses cycles one arc shorter.

    packing_lp_method : str
        HiGHS's method for the kidney engine's packing-layout LP and its dives. The interior
        point (with crossover) re-solves these very degenerate LPs from scratch faster than
        warm dual simplex does.
    cg_initial_per_vertex, cg_per_vertex : int
        Packing-layout column generation adds, for every vertex, its best cycles: this many by
        weight to start, then this many pricing positive a round (at most ``cg_batch``).
    chain_per_altruist, chain_batch : int
        ... and for every altruist its best chains, at most ``chain_batch`` a round.
    chain_cap : int
        Chain pricing grows at most this many partial chains per length.

    dive_fix : int
        A dive fixes at least this many fractional columns a step ...
    dive_shares : tuple of float
        ... or this share of them, each dive the next share in turn.
    dive_max, dive_plain : int
        At most ``dive_max`` dives; after the first ``dive_plain``, every other one starts
        around the best packing so far, a random ``dive_keep`` share of its cycles fixed.
    dive_keep : float
    dive_seconds : float
        The dives stop after this many seconds (or 40% of the time left).
    merge_seconds : float
        Then a MIP over the union of the dives' columns, for at most this long.

    pool_columns : int
        The pool MIP: a set-packing MIP over at most this many cycles and whole chains priced
        closest to zero (within ``pool_window`` points), started from the best packing ...
    pool_window : float
    pool_seconds : float
        ... for at most this many seconds (0: never) ...
    pool_min_left : float
        ... and under a time limit only when at least this many seconds are left (it then
        gets at most half of them).
    """

    seed: int = 0
    threads: int | None = None
    log: bool = False

    direct_mip_columns: int = 4000
    mip_max_columns: int | None = None
    proof_max_columns: int = 300_000
    final_mip_share: float = 0.95
    final_mip_reserve: float = 1.0
    final_mip_heuristics: bool = False

    lp_method: str = "simplex"
    lp_crossover: bool = True
    lp_presolve: bool = True
    ipm_tolerance: float | None = None
    cg_initial_columns: int = 60_000
    cg_batch: int = 20_000

    incumbent_seconds: float | None = 5.0
    incumbent_share: float = 0.3
    incumbent_nodes: int | None = None
    incumbent_pool_min: int = 2000
    incumbent_pool_max: int = 20_000
    incumbent_before_proof: bool = True
    improve_window: float = 20.0

    cycles_per_second: int = 150_000

    packing_lp_method: str = "ipm"
    cg_initial_per_vertex: int = 5
    cg_per_vertex: int = 3
    chain_per_altruist: int = 20
    chain_batch: int = 3000
    chain_cap: int = 20_000

    dive_fix: int = 5
    dive_shares: tuple[float, ...] = (0.1, 0.2, 0.05, 0.15)
    dive_max: int = 24
    dive_plain: int = 2
    dive_keep: float = 0.5
    dive_seconds: float = 30.0
    merge_seconds: float = 5.0

    pool_columns: int = 2500
    pool_window: float = 30.0
    pool_seconds: float = 30.0
    pool_min_left: float = 60.0

    def __post_init__(self) -> None:
        for name in ("lp_method", "packing_lp_method"):
            if getattr(self, name) not in ("simplex", "ipm"):
                raise ValueError(f"{name} must be 'simplex' or 'ipm'")
        if not self.dive_shares:
            raise ValueError("dive_shares must not be empty")
