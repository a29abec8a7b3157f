"""Vectorised enumeration of short directed cycles (numpy, no Python loop per path).

Every cycle is produced once, as the rotation that starts at its lowest vertex
``s``: a forward path of ``ceil(k/2)`` arcs from ``s`` and a backward path of
``floor(k/2)`` arcs into ``s`` are grown breadth-first over vertices above
``s`` and joined on their shared middle vertex. Meeting in the middle keeps
the largest intermediate array near the number of half-length paths instead of
the number of ``(k-1)``-arc paths.
"""

from __future__ import annotations

import numpy as np


class Adjacency:
    """CSR view of arcs sorted by (src, dst), with the reverse view too."""

    def __init__(self, n: int, src: np.ndarray, dst: np.ndarray) -> None:
        self.n = n
        self.src = src.astype(np.int64)
        self.dst = dst.astype(np.int64)
        self.key = self.src * n + self.dst  # sorted, unique
        self.indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.src, minlength=n), out=self.indptr[1:])
        rorder = np.lexsort((self.src, self.dst))
        self.rsrc = self.src[rorder]
        self.rdst = self.dst[rorder]
        self.rkey = self.rdst * n + self.rsrc  # sorted: (dst, src)
        self.rindptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.rdst, minlength=n), out=self.rindptr[1:])

    def arc_ids(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Indices of arcs ``u[i] -> v[i]`` (which must exist)."""
        return np.searchsorted(self.key, u.astype(np.int64) * self.n + v)

    def walks(self, length: int) -> int:
        """How many walks of ``length`` arcs there are: at least what growing paths of that
        length (as :func:`enumerate_cycles` does) must build."""
        count = np.ones(self.n)
        for _ in range(length):
            count = np.bincount(self.src, weights=count[self.dst], minlength=self.n)
        return int(count.sum()) if self.src.size else 0


def _expand(paths: np.ndarray, starts: np.ndarray, keys: np.ndarray, targets: np.ndarray,
            n: int, end_col: int, forward: bool) -> np.ndarray:
    """Extend each path by one arc at column ``end_col`` to a vertex above its ``s``.

    ``keys`` is ``vertex * n + neighbour`` sorted, ``targets`` the neighbours.
    Only neighbours greater than ``s`` are produced (found by one searchsorted
    per path), and vertices already on the path are filtered out.
    """
    if paths.shape[0] == 0:
        return np.empty((0, paths.shape[1] + 1), dtype=paths.dtype)
    end = paths[:, end_col].astype(np.int64)
    lo = np.searchsorted(keys, end * n + starts + 1)
    hi = np.searchsorted(keys, end * n + n)
    cnt = hi - lo
    total = int(cnt.sum())
    row = np.repeat(np.arange(paths.shape[0]), cnt)
    offs = np.cumsum(cnt) - cnt
    pos = np.arange(total, dtype=np.int64) - np.repeat(offs, cnt) + np.repeat(lo, cnt)
    nxt = targets[pos].astype(paths.dtype)
    base = paths[row]
    ok = np.ones(total, dtype=bool)
    for c in range(paths.shape[1]):
        ok &= base[:, c] != nxt
    base, nxt = base[ok], nxt[ok]
    if forward:
        return np.concatenate([base, nxt[:, None]], axis=1)
    return np.concatenate([nxt[:, None], base], axis=1)


class TooManyCycles(Exception):
    """Raised by :func:`enumerate_cycles` when the cycles would exceed its ``limit``."""

    def __init__(self, count: int, length: int) -> None:
        super().__init__(f"at least {count:,} candidate cycles of up to {length} arcs")
        self.count = count
        self.length = length


def enumerate_cycles(adj: Adjacency, max_len: int, vertex_ok: np.ndarray | None = None,
                     min_len: int = 2, limit: int | None = None) -> dict[int, np.ndarray]:
    """All simple directed cycles with ``min_len`` to ``max_len`` arcs.

    Parameters
    ----------
    adj : Adjacency
    max_len : int
        Largest number of arcs (= vertices) in a cycle.
    vertex_ok : numpy.ndarray of bool, optional
        Vertices allowed on cycles (default all).
    min_len : int
    limit : int, optional
        Stop with :class:`TooManyCycles` as soon as the joins would produce more
        candidate cycles than this in all (checked before they are built, so the
        cost is that of the half-length paths).

    Returns
    -------
    dict of int to numpy.ndarray
        ``cycles[k]`` has shape ``(count, k)``: vertex indices in giving order,
        the lowest first; rows sorted lexicographically.

    Notes
    -----
    Time and memory are proportional to the number of half-length paths plus
    the number of cycles, both of which grow like ``n * d**(k/2)`` on graphs of
    average degree ``d``.
    """
    n = adj.n
    if vertex_ok is None:
        keep = np.ones(adj.key.size, dtype=bool)
        rkeep = np.ones(adj.rkey.size, dtype=bool)
        verts = np.arange(n)
    else:
        keep = vertex_ok[adj.src] & vertex_ok[adj.dst]
        rkeep = vertex_ok[adj.rsrc] & vertex_ok[adj.rdst]
        verts = np.flatnonzero(vertex_ok)
    fkey, ftgt = adj.key[keep], adj.dst[keep]
    bkey, btgt = adj.rkey[rkeep], adj.rsrc[rkeep]
    dtype = np.int32
    max_f = (max_len + 1) // 2
    max_b = max_len // 2
    fwd = {0: verts.astype(dtype)[:, None]}
    for t in range(1, max_f + 1):
        fwd[t] = _expand(fwd[t - 1], fwd[t - 1][:, 0].astype(np.int64), fkey, ftgt, n, -1, True)
    bwd = {0: verts.astype(dtype)[:, None]}
    for t in range(1, max_b + 1):
        bwd[t] = _expand(bwd[t - 1], bwd[t - 1][:, -1].astype(np.int64), bkey, btgt, n, 0, False)
    out: dict[int, np.ndarray] = {}
    budget = None if limit is None else int(limit)
    for k in range(max(2, min_len), max_len + 1):
        a, b = (k + 1) // 2, k // 2
        out[k] = _join(fwd[a], bwd[b], n, budget)
        if budget is not None:
            budget -= out[k].shape[0]
    return out


def _join(fw: np.ndarray, bw: np.ndarray, n: int, limit: int | None = None) -> np.ndarray:
    """Join forward paths ``s .. j`` with backward paths ``j .. s`` into cycles
    (:class:`TooManyCycles` if there would be more than ``limit`` candidates)."""
    k = fw.shape[1] - 1 + bw.shape[1] - 1
    if fw.shape[0] == 0 or bw.shape[0] == 0:
        return np.empty((0, k), dtype=np.int32)
    fkey = fw[:, 0].astype(np.int64) * n + fw[:, -1]
    bkey = bw[:, -1].astype(np.int64) * n + bw[:, 0]
    border = np.argsort(bkey, kind="stable")
    bkey_sorted = bkey[border]
    lo = np.searchsorted(bkey_sorted, fkey, side="left")
    hi = np.searchsorted(bkey_sorted, fkey, side="right")
    cnt = hi - lo
    total = int(cnt.sum())
    if limit is not None and total > limit:
        raise TooManyCycles(total, k)
    frow = np.repeat(np.arange(fw.shape[0]), cnt)
    offs = np.cumsum(cnt) - cnt
    brow = border[np.arange(total, dtype=np.int64) - np.repeat(offs, cnt) + np.repeat(lo, cnt)]
    f = fw[frow]
    b = bw[brow]
    ok = np.ones(total, dtype=bool)
    # forward interior columns 1..a-1 against backward interior columns 1..b-1
    for i in range(1, fw.shape[1] - 1):
        for j in range(1, bw.shape[1] - 1):
            ok &= f[:, i] != b[:, j]
    cyc = np.concatenate([f[ok], b[ok][:, 1:-1]], axis=1)
    if cyc.shape[0]:
        order = np.lexsort(cyc.T[::-1])
        cyc = cyc[order]
    return cyc


def chain_bounds(adj: Adjacency, altruist: np.ndarray, arc_value: np.ndarray,
                 max_chain: int) -> list[np.ndarray]:
    """Best continuation values over walks: ``g[k][u]`` for ``k = 0 .. max_chain``.

    ``g[0] = 0`` and ``g[k][u] = max(0, max over arcs u -> v of arc_value + g[k-1][v])``:
    the most that at most ``k`` more arcs after ``u`` can add. Walks may repeat
    vertices, so ``g`` bounds every path from above (it is what makes pruning
    and the Lagrangian bound in :func:`chain_paths` valid).
    """
    n = adj.n
    g = [np.zeros(n)]
    inner = ~altruist[adj.src]  # arcs a walk may take after its first
    s, d, val = adj.src[inner], adj.dst[inner], arc_value[inner]
    for _ in range(max_chain):
        best = np.zeros(n)
        np.maximum.at(best, s, val + g[-1][d])
        g.append(best)
    return g


def chain_paths(adj: Adjacency, altruist: np.ndarray, arc_value: np.ndarray,
                start_value: np.ndarray, max_chain: int, threshold: float,
                cap: int | None = None, chunk: int = 20000
                ) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray, bool]:
    """Chains (simple paths from an altruist, 1 to ``max_chain`` arcs) worth ``>= threshold``.

    A chain's value is ``start_value[altruist] + sum(arc_value over its arcs)``.
    Paths are grown one arc at a time from every altruist; a partial path is
    dropped as soon as even its best continuation (:func:`chain_bounds`)
    cannot reach ``threshold``, so only promising paths are ever built.
    With ``cap``, at most ``cap`` partial paths (the most promising) are
    kept per length: the result is then a subset (``truncated`` is True).

    Returns
    -------
    (vertices, arcs, values, truncated)
        ``vertices[j]`` is an array (count, j + 2) of chains of ``j + 1`` arcs
        (altruist first), ``arcs[j]`` their arc indices, ``values`` all chain
        values in that order.
    """
    g = chain_bounds(adj, altruist, arc_value, max_chain)
    alts = np.flatnonzero(altruist)
    paths = alts[:, None].astype(np.int64)
    arcs = np.empty((alts.size, 0), dtype=np.int64)
    val = start_value[alts].astype(float)
    out_v: list[np.ndarray] = []
    out_a: list[np.ndarray] = []
    out_val: list[np.ndarray] = []
    truncated = False
    for j in range(1, max_chain + 1):
        new_p, new_a, new_val, new_pot = [], [], [], []
        for c0 in range(0, paths.shape[0], chunk):
            p, a, v = paths[c0:c0 + chunk], arcs[c0:c0 + chunk], val[c0:c0 + chunk]
            end = p[:, -1]
            lo, hi = adj.indptr[end], adj.indptr[end + 1]
            cnt = hi - lo
            total = int(cnt.sum())
            if total == 0:
                continue
            row = np.repeat(np.arange(p.shape[0]), cnt)
            offs = np.cumsum(cnt) - cnt
            arc = np.arange(total, dtype=np.int64) - np.repeat(offs, cnt) + np.repeat(lo, cnt)
            nxt = adj.dst[arc]
            nv = v[row] + arc_value[arc]
            pot = nv + g[max_chain - j][nxt]
            ok = pot >= threshold
            for col in range(p.shape[1]):
                ok &= p[row, col] != nxt
            row, arc, nxt, nv, pot = row[ok], arc[ok], nxt[ok], nv[ok], pot[ok]
            new_p.append(np.concatenate([p[row], nxt[:, None]], axis=1))
            new_a.append(np.concatenate([a[row], arc[:, None]], axis=1))
            new_val.append(nv)
            new_pot.append(pot)
        if not new_p:
            break
        paths = np.concatenate(new_p)
        arcs = np.concatenate(new_a)
        val = np.concatenate(new_val)
        pot = np.concatenate(new_pot)
        emit = val >= threshold
        out_v.append(paths[emit])
        out_a.append(arcs[emit])
        out_val.append(val[emit])
        if cap is not None and paths.shape[0] > cap:
            truncated = True
            keep = np.sort(np.argsort(-pot, kind="stable")[:cap])
            paths, arcs, val = paths[keep], arcs[keep], val[keep]
        if paths.shape[0] == 0:
            break
    values = np.concatenate(out_val) if out_val else np.empty(0)
    return out_v, out_a, values, truncated
