"""The pairwise-only greedy baseline the optimiser is measured against (bench/marketplace.py)."""

from __future__ import annotations

import numpy as np

from .candidates import build_candidates
from .types import Market, Policy


def greedy_pairs(market: Market, policy: Policy | None = None) -> dict[str, float]:
    """Take candidate legs best score first as direct pairs, each listing once, within credit limits.

    What a coordinator matching by hand, one offer and need at a time, would reach: no cycles or
    chains, so a member can only receive what its balance and credit limit pay for.

    Parameters
    ----------
    market : Market
    policy : Policy, optional
        Score weights and candidate caps (the same candidates as :func:`match`).

    Returns
    -------
    dict
        ``needs_met`` and ``score``.

    Notes
    -----
    O(C log C) for C candidate legs.

    Examples
    --------
    >>> from datetime import date
    >>> greedy_pairs(Market([], [], {}, date(2026, 1, 1)))
    {'needs_met': 0, 'score': 0.0}
    """
    policy = policy or Policy()
    cands = build_candidates(market, policy)
    room = {i: max(float(m.balance + m.credit_limit), 0.0) for i, m in enumerate(market.members)}
    used: set[int] = set()
    needs_met, score = 0, 0.0
    ids = np.fromiter((x.id for x in cands.listings), dtype=np.int64, count=len(cands.listings))
    order = np.lexsort((ids[cands.need], ids[cands.offer], -cands.score))
    for k in order:
        o, n = int(cands.offer[k]), int(cands.need[k])
        if o in used or n in used:
            continue
        gift = cands.listings[o].is_gift
        cost = 0.0 if gift else float(cands.credits[k])
        receiver = int(cands.member[n])
        if cost > room[receiver] + 1e-9:
            continue
        room[receiver] -= cost
        used.update((o, n))
        needs_met += 1
        score += float(cands.score[k])
    return {"needs_met": needs_met, "score": score}
