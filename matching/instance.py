"""Plain-data types of the clearing engine: the instance in, the solution out.

Vertex ids are arbitrary hashables. :meth:`Instance.from_arcs` maps them to
indices ``0 .. n-1`` once, in a stable order, and keeps the arcs as sorted numpy
arrays so that the solver never touches Python objects per arc.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

Vertex = Hashable
Arc = tuple[Hashable, Hashable]


@dataclass(frozen=True)
class SideConstraint:
    """A linear constraint over the arcs chosen by the clearing.

    ``lower <= sum(coefficient[arc] for every chosen arc) <= upper``. An arc is
    chosen when it is used by a chosen cycle or chain (a chain's gift counts as
    the altruist's arc). Arcs not listed have coefficient 0.

    Parameters
    ----------
    coefficients : Mapping[tuple[Hashable, Hashable], float]
        Coefficient of each arc ``(giver, receiver)``.
    upper, lower : float
        Bounds of the constraint; ``math.inf`` / ``-math.inf`` for none.
    name : str
        Label reported back in errors and statistics.

    Examples
    --------
    A member who owns vertices ``"a1"`` and ``"a2"`` may give at most once:

    >>> SideConstraint({("a1", "b"): 1.0, ("a2", "c"): 1.0}, upper=1, name="a")
    SideConstraint(coefficients=..., upper=1, lower=-inf, name='a')
    """

    coefficients: Mapping[Arc, float]
    upper: float = math.inf
    lower: float = -math.inf
    name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "coefficients", MappingProxyType(dict(self.coefficients)))
        if self.lower > self.upper:
            raise ValueError(f"side constraint {self.name!r}: lower > upper")

    def __repr__(self) -> str:
        return (
            f"SideConstraint(coefficients=..., upper={self.upper!r}, "
            f"lower={self.lower!r}, name={self.name!r})"
        )


def _readonly(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class Instance:
    """An exchange-clearing instance: who can give to whom, and what it is worth.

    Build it with :meth:`from_arcs` (arbitrary hashable ids) or
    :meth:`from_arrays` (integer ids ``0 .. n-1``); the fields are the
    canonical, index-based form the solver uses.

    Attributes
    ----------
    ids : tuple
        ``ids[i]`` is the caller's id of vertex ``i``.
    src, dst : numpy.ndarray of int32
        Arc ``k`` goes from ``src[k]`` to ``dst[k]``; sorted by ``(src, dst)``,
        without self-loops, duplicates or arcs into altruists.
    weight : numpy.ndarray of float64
        Weight of arc ``k``.
    altruist : numpy.ndarray of bool
        ``altruist[i]`` is true when vertex ``i`` is a gift that starts a chain
        (it gives without receiving).
    vertex_weight : numpy.ndarray of float64
        Weight earned when vertex ``i`` takes part in a cycle or chain.
    side_constraints : tuple of SideConstraint
        Extra linear constraints over the chosen arcs.
    """

    ids: tuple
    src: np.ndarray
    dst: np.ndarray
    weight: np.ndarray
    altruist: np.ndarray
    vertex_weight: np.ndarray
    side_constraints: tuple[SideConstraint, ...] = ()
    _index: dict = field(default=None, repr=False, compare=False)  # type: ignore[assignment]

    # construction -----------------------------------------------------------------

    @classmethod
    def from_arcs(
        cls,
        arcs: Iterable[tuple[Hashable, Hashable] | tuple[Hashable, Hashable, float]],
        *,
        vertices: Iterable[Hashable] | None = None,
        altruists: Iterable[Hashable] = (),
        vertex_weights: Mapping[Hashable, float] | None = None,
        side_constraints: Sequence[SideConstraint] = (),
    ) -> Instance:
        """Build an instance from plain Python data.

        Parameters
        ----------
        arcs : iterable of (giver, receiver) or (giver, receiver, weight)
            Who can give to whom; the weight defaults to 1. Self-loops and arcs
            into altruists are dropped (an arc into an altruist only says "a
            chain may end here", which every chain may); a repeated arc keeps
            its largest weight.
        vertices : iterable of hashable, optional
            All vertices, in the order that fixes their indices. Defaults to
            the order of first appearance in ``altruists`` then ``arcs``.
        altruists : iterable of hashable
            Vertices that give without receiving: each may start one chain.
        vertex_weights : mapping, optional
            Weight earned by a vertex that takes part (default 0).
        side_constraints : sequence of SideConstraint
            Extra linear constraints over the chosen arcs.

        Returns
        -------
        Instance

        Notes
        -----
        O(n + m log m) time for n vertices and m arcs.

        Examples
        --------
        >>> inst = Instance.from_arcs([("a", "b", 2), ("b", "a", 3)])
        >>> inst.n_vertices, inst.n_arcs
        (2, 2)
        """
        arc_list = [tuple(a) for a in arcs]
        altruist_list = list(altruists)
        if vertices is None:
            order: dict[Hashable, int] = {}
            for v in altruist_list:
                order.setdefault(v, len(order))
            for a in arc_list:
                order.setdefault(a[0], len(order))
                order.setdefault(a[1], len(order))
            ids = tuple(order)
        else:
            ids = tuple(vertices)
            order = {v: i for i, v in enumerate(ids)}
            if len(order) != len(ids):
                raise ValueError("vertices contains a repeated id")
        try:
            src = np.fromiter((order[a[0]] for a in arc_list), dtype=np.int64, count=len(arc_list))
            dst = np.fromiter((order[a[1]] for a in arc_list), dtype=np.int64, count=len(arc_list))
            alt = np.fromiter((order[v] for v in altruist_list), dtype=np.int64, count=len(altruist_list))
        except KeyError as exc:
            raise ValueError(f"arc or altruist names unknown vertex {exc.args[0]!r}") from None
        weight = np.fromiter(
            (float(a[2]) if len(a) > 2 else 1.0 for a in arc_list), dtype=np.float64, count=len(arc_list)
        )
        vw = None
        if vertex_weights:
            vw = np.zeros(len(ids))
            for v, x in vertex_weights.items():
                if v not in order:
                    raise ValueError(f"vertex_weights names unknown vertex {v!r}")
                vw[order[v]] = float(x)
        inst = cls.from_arrays(
            src, dst, weight, n_vertices=len(ids), altruists=alt, vertex_weights=vw,
            side_constraints=(), ids=ids,
        )
        if side_constraints:
            object.__setattr__(inst, "side_constraints", tuple(side_constraints))
            inst._check_side_constraints()
        return inst

    @classmethod
    def from_arrays(
        cls,
        src: Any,
        dst: Any,
        weight: Any = None,
        *,
        n_vertices: int,
        altruists: Any = (),
        vertex_weights: Any = None,
        side_constraints: Sequence[SideConstraint] = (),
        ids: Sequence[Hashable] | None = None,
    ) -> Instance:
        """Build an instance from integer arrays (vertex ids ``0 .. n_vertices-1``).

        Parameters
        ----------
        src, dst : array_like of int
            Arc ends.
        weight : array_like of float, optional
            Arc weights (default 1).
        n_vertices : int
            Number of vertices.
        altruists : array_like of int
            Altruist vertex indices.
        vertex_weights : array_like of float, optional
            Weight per vertex (default 0).
        side_constraints : sequence of SideConstraint
            Arcs named by vertex ids.
        ids : sequence of hashable, optional
            Caller ids per index (default ``0 .. n_vertices-1``).

        Returns
        -------
        Instance

        Notes
        -----
        O(n + m log m).

        Examples
        --------
        >>> Instance.from_arrays([0, 1], [1, 0], [5.0, 5.0], n_vertices=2).n_arcs
        2
        """
        n = int(n_vertices)
        src = np.asarray(src, dtype=np.int64).ravel()
        dst = np.asarray(dst, dtype=np.int64).ravel()
        if src.shape != dst.shape:
            raise ValueError("src and dst differ in length")
        w = np.ones(src.shape[0]) if weight is None else np.asarray(weight, dtype=np.float64).ravel()
        if w.shape != src.shape:
            raise ValueError("weight and src differ in length")
        if src.size and (src.min() < 0 or dst.min() < 0 or src.max() >= n or dst.max() >= n):
            raise ValueError("arc end out of range")
        if not np.all(np.isfinite(w)):
            raise ValueError("arc weights must be finite")
        alt_mask = np.zeros(n, dtype=bool)
        alt_idx = np.asarray(altruists, dtype=np.int64).ravel()
        if alt_idx.size and (alt_idx.min() < 0 or alt_idx.max() >= n):
            raise ValueError("altruist out of range")
        alt_mask[alt_idx] = True
        keep = (src != dst) & ~alt_mask[dst]
        src, dst, w = src[keep], dst[keep], w[keep]
        # sort by (src, dst, -weight) so the first of each repeated arc is the heaviest
        order = np.lexsort((-w, dst, src))
        src, dst, w = src[order], dst[order], w[order]
        if src.size:
            first = np.ones(src.size, dtype=bool)
            first[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
            src, dst, w = src[first], dst[first], w[first]
        vw = np.zeros(n) if vertex_weights is None else np.asarray(vertex_weights, dtype=np.float64).ravel()
        if vw.shape != (n,):
            raise ValueError("vertex_weights must have one entry per vertex")
        inst = cls(
            ids=tuple(range(n)) if ids is None else tuple(ids),
            src=_readonly(src.astype(np.int32)),
            dst=_readonly(dst.astype(np.int32)),
            weight=_readonly(w.copy()),
            altruist=_readonly(alt_mask),
            vertex_weight=_readonly(vw.copy()),
            side_constraints=tuple(side_constraints),
        )
        if len(inst.ids) != n:
            raise ValueError("ids must have n_vertices entries")
        inst._check_side_constraints()
        return inst

    # queries -----------------------------------------------------------------------

    @property
    def n_vertices(self) -> int:
        """Number of vertices (altruists included)."""
        return len(self.ids)

    @property
    def n_arcs(self) -> int:
        """Number of arcs kept."""
        return int(self.src.size)

    def index(self, vertex: Hashable) -> int:
        """Index of a vertex id (O(1) after the first call)."""
        if self._index is None:
            object.__setattr__(self, "_index", {v: i for i, v in enumerate(self.ids)})
        try:
            return self._index[vertex]
        except KeyError:
            raise KeyError(f"unknown vertex {vertex!r}") from None

    def arc_index(self, giver: Hashable, receiver: Hashable) -> int:
        """Index ``k`` of arc ``giver -> receiver``; ``KeyError`` if absent. O(log m)."""
        u, v = self.index(giver), self.index(receiver)
        key = self._arc_keys()
        k = int(np.searchsorted(key, u * self.n_vertices + v))
        if k >= key.size or key[k] != u * self.n_vertices + v:
            raise KeyError(f"no arc {giver!r} -> {receiver!r}")
        return k

    def _arc_keys(self) -> np.ndarray:
        return self.src.astype(np.int64) * self.n_vertices + self.dst

    def total_weight(self) -> np.ndarray:
        """Weight of each arc as the solver sees it.

        The arc's own weight plus the weight of the vertex it serves, plus the
        altruist's own vertex weight on the arc that starts its chain: every
        vertex that takes part has exactly one arc into it (or, for an
        altruist, one arc out), so vertex weights become arc weights exactly.
        """
        w = self.weight + self.vertex_weight[self.dst]
        from_alt = self.altruist[self.src]
        w[from_alt] += self.vertex_weight[self.src[from_alt]]
        return w

    def with_weights(self, weight: Any, vertex_weights: Any = None) -> Instance:
        """The same graph with new arc (and vertex) weights, e.g. all ones to count."""
        w = np.broadcast_to(np.asarray(weight, dtype=np.float64), self.src.shape).copy()
        vw = np.zeros(self.n_vertices) if vertex_weights is None else np.broadcast_to(
            np.asarray(vertex_weights, dtype=np.float64), (self.n_vertices,)
        ).copy()
        return Instance(
            ids=self.ids, src=self.src, dst=self.dst, weight=_readonly(w), altruist=self.altruist,
            vertex_weight=_readonly(vw), side_constraints=self.side_constraints,
        )

    def side_constraint_matrix(self) -> tuple[Any, np.ndarray, np.ndarray]:
        """Side constraints as a sparse (constraints x arcs) matrix with bounds.

        Returns
        -------
        matrix : scipy.sparse.csr_matrix
        lower, upper : numpy.ndarray
        """
        from scipy import sparse

        rows, cols, vals = [], [], []
        for r, con in enumerate(self.side_constraints):
            for (u, v), c in con.coefficients.items():
                rows.append(r)
                cols.append(self.arc_index(u, v))
                vals.append(float(c))
        mat = sparse.csr_matrix(
            (vals, (rows, cols)), shape=(len(self.side_constraints), self.n_arcs)
        )
        mat.sum_duplicates()
        lower = np.array([c.lower for c in self.side_constraints], dtype=np.float64)
        upper = np.array([c.upper for c in self.side_constraints], dtype=np.float64)
        return mat, lower, upper

    def _check_side_constraints(self) -> None:
        for con in self.side_constraints:
            for u, v in con.coefficients:
                try:
                    self.arc_index(u, v)
                except KeyError as exc:
                    raise ValueError(f"side constraint {con.name!r}: {exc.args[0]}") from None


@dataclass(frozen=True)
class Solution:
    """The clearing: chosen cycles and chains, their value and its proof.

    Attributes
    ----------
    cycles : tuple of tuple
        Each cycle as its vertex ids in giving order (each gives to the next,
        the last to the first), starting at its lowest-index vertex.
    chains : tuple of tuple
        Each chain as its vertex ids, the altruist first.
    objective : float
        Total weight of the chosen cycles and chains.
    bound : float
        Proven upper bound on the optimum.
    gap : float
        ``(bound - objective) / max(1, |objective|)``; 0 when proven optimal.
    status : str
        ``"optimal"``, ``"time_limit"`` (best found, with its gap) or
        ``"infeasible"`` (side constraints cannot be met).
    stats : Mapping[str, Any]
        Sizes and timings of the phases.
    """

    cycles: tuple[tuple[Hashable, ...], ...]
    chains: tuple[tuple[Hashable, ...], ...]
    objective: float
    bound: float
    gap: float
    status: str
    stats: Mapping[str, Any] = field(default_factory=dict)

    @property
    def arcs(self) -> list[tuple[Hashable, Hashable]]:
        """Every chosen arc ``(giver, receiver)``, cycles first then chains."""
        out = []
        for c in self.cycles:
            out.extend(zip(c, c[1:] + c[:1]))
        for c in self.chains:
            out.extend(zip(c, c[1:]))
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (ids must themselves be JSON-serialisable)."""
        return {
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "status": self.status,
            "cycles": [list(c) for c in self.cycles],
            "chains": [list(c) for c in self.chains],
            "stats": dict(self.stats),
        }
