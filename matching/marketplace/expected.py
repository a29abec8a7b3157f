"""The chance that each leg of an exchange goes ahead, from an :class:`~.acceptance.AcceptanceModel`.

A proposal goes ahead only when every party accepts its part. So (Dickerson, Procaccia and
Sandholm, "Failure-aware kidney exchange"):

* a ring's legs all go ahead with the chance that every member accepts, the product of their
  chances; so does a pair's single leg (giver and receiver);
* a gift chain is cut at its first refusal (what came before still happens: its legs are given
  and paid one by one), so its k-th leg goes ahead with the chance that the gift's giver and the
  first k receivers all accept. A member met twice in one chain answers once.

A member's chance depends on what it sees of its part (:class:`~.acceptance.Part`): the leg it
receives (distance for its radius, related category, how long its need waited), or, if it only
gives, the leg it gives; and how many members the exchange has. A member that has already
accepted exactly the part it is offered again (a repaired exchange, ``answered``) is certain.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .acceptance import WAIT_UNIT_DAYS, AcceptanceModel
from .candidates import EXACT_FIT, Candidates
from .types import Market

CYCLE, CHAIN, PAIR, FLOW, PATH = 0, 1, 2, 3, 4


class LegOdds:
    """Per candidate leg: the log-odds of its receiver accepting it and of its giver giving it
    alone (the number of members aside), and what members have already accepted.

    Parameters
    ----------
    market, cands
    model : AcceptanceModel
    answered : mapping of member id to a set of (offer id, need id), optional
        Members who accepted a part already, and that part's legs: such a member is certain to
        accept the same part again.
    """

    def __init__(self, market: Market, cands: Candidates, model: AcceptanceModel,
                 answered: Mapping[int, frozenset[tuple[int, int]]] | None = None) -> None:
        b = np.asarray(model.coef, dtype=float)
        self.per_party = float(b[1])
        members = market.members
        offset = model.offsets(m.id for m in members)
        giver, receiver = cands.member[cands.offer], cands.member[cands.need]
        share = np.where(np.isnan(cands.km), 0.0,
                         np.nan_to_num(cands.km) / np.maximum(np.nan_to_num(cands.radius, nan=1.0), 1e-9))
        share = np.clip(share, 0.0, 1.0)
        waited = np.fromiter((max(x.waited_days, 0) for x in cands.listings), dtype=float,
                             count=len(cands.listings))[cands.need]
        waited = np.minimum(waited / WAIT_UNIT_DAYS, 2.0)
        related = (cands.fit != EXACT_FIT).astype(float)
        self.receive = b[0] + b[2] * share + b[3] * related + b[4] * waited + offset[receiver] if cands.size \
            else np.zeros(0)
        self.give = b[0] + b[2] * share + b[5] + offset[giver] if cands.size else np.zeros(0)
        self.giver, self.receiver = giver, receiver
        # members who accepted a part, by member index: the candidate rows of that part
        self.part: dict[int, frozenset[int]] = {}
        if answered:
            index = {m.id: i for i, m in enumerate(members)}
            ids = [(cands.listings[o].id, cands.listings[n].id) for o, n in zip(cands.offer.tolist(),
                                                                                 cands.need.tolist())]
            row_of = {key: k for k, key in enumerate(ids)}
            for member_id, legs in answered.items():
                rows = [row_of.get(tuple(leg)) for leg in legs]
                if member_id in index and legs and None not in rows:
                    self.part[index[member_id]] = frozenset(rows)

    def _certain(self, member: np.ndarray, legs: tuple[np.ndarray, ...]) -> np.ndarray:
        """Whether each row's member has accepted exactly these legs (``legs``: its legs in the column)."""
        out = np.zeros(member.size, dtype=bool)
        if not self.part:
            return out
        for i in np.flatnonzero(np.isin(member, list(self.part))).tolist():
            out[i] = self.part[int(member[i])] == frozenset(int(col[i]) for col in legs)
        return out

    def chances(self, kind: int, mat: np.ndarray) -> np.ndarray:
        """For a block of columns of one kind (columns x legs, in giving order): the chance that
        each leg goes ahead (same shape). Chain positions (``CHAIN``) are not whole exchanges and
        have no chance of their own: they get 1."""
        count, width = mat.shape
        if count == 0 or kind == CHAIN:
            return np.ones((count, width))
        if kind == FLOW:   # rings of any length: the receiver alone, as if in a pair (a bound)
            return _sigmoid(self.receive[mat])
        if kind == PAIR:
            leg = mat[:, 0]
            take, give = _sigmoid(self.receive[leg]), _sigmoid(self.give[leg])
            take[self._certain(self.receiver[leg], (leg,))] = 1.0
            give[self._certain(self.giver[leg], (leg,))] = 1.0
            return (take * give)[:, None]
        if kind == CYCLE:
            extra = self.per_party * (width - 2)
            p = np.ones(count)
            for i in range(width):   # the receiver of leg i gives leg i + 1
                q = _sigmoid(self.receive[mat[:, i]] + extra)
                q[self._certain(self.receiver[mat[:, i]], (mat[:, i], mat[:, (i + 1) % width]))] = 1.0
                p *= q
            return np.repeat(p[:, None], width, axis=1)
        # a whole gift chain: cut at the first refusal; a member met twice answers once
        recv = self.receiver[mat]
        first_giver = self.giver[mat[:, 0]]
        seen = [first_giver]
        repeat = np.zeros((count, width), dtype=bool)
        for i in range(width):
            repeat[:, i] = np.any(np.stack(seen) == recv[:, i], axis=0)
            seen.append(recv[:, i])
        members = width + 1 - repeat.sum(axis=1)
        extra = self.per_party * (members - 2)
        g = _sigmoid(self.give[mat[:, 0]] + extra)
        g[self._certain(first_giver, (mat[:, 0],))] = 1.0
        out = np.empty((count, width))
        p = g
        for i in range(width):
            q = _sigmoid(self.receive[mat[:, i]] + extra)
            legs = (mat[:, i], mat[:, i + 1]) if i + 1 < width else (mat[:, i],)
            q[self._certain(recv[:, i], legs)] = 1.0
            q[repeat[:, i]] = 1.0
            p = p * q
            out[:, i] = p
        return out

    def exchange(self, shape: str, rows: list[int]) -> list[float]:
        """The chance that each leg of one decoded exchange goes ahead."""
        kind = {"cycle": CYCLE, "chain": PATH, "pair": PAIR}[shape]
        return self.chances(kind, np.asarray([rows], dtype=np.int64))[0].tolist()


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=float)))
