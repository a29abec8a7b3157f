"""No cycle limit: the clearing is an assignment problem.

Every vertex picks what it gives to: another vertex along an arc, or itself
(it does not take part). A choice in which every vertex is picked exactly once
is a set of vertex-disjoint cycles, so with no limit on cycle length the best
clearing is a maximum-weight perfect matching in the bipartite graph givers x
receivers with the diagonal added. Chains close through the altruists: the
last vertex of a chain "gives" to an altruist's receiving copy, which nothing
else can reach, so a cycle through altruist copies reads as chains.
Solved exactly by LAPJVsp (``scipy.sparse.csgraph.min_weight_full_bipartite_matching``),
in roughly O(n m) time on sparse graphs, with no integer programming at all.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import min_weight_full_bipartite_matching


def solve_assignment(n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray,
                     altruist: np.ndarray, chains: bool) -> np.ndarray:
    """Arcs of a maximum-weight set of vertex-disjoint cycles and altruist chains.

    Parameters
    ----------
    n : int
    src, dst, weight : numpy.ndarray
        Arcs (no self-loops, none into altruists).
    altruist : numpy.ndarray of bool
    chains : bool
        Whether altruists may start chains (of any length).

    Returns
    -------
    numpy.ndarray of bool
        Mask of chosen arcs.
    """
    m = src.size
    if m == 0:
        return np.zeros(0, dtype=bool)
    use = np.ones(m, dtype=bool) if chains else ~altruist[src]
    rows = [src[use], np.arange(n)]
    cols = [dst[use], np.arange(n)]
    # +1 everywhere: every row is matched exactly once, so the shift changes no
    # choice, and it keeps zero-weight entries as explicit entries of the sparse matrix
    vals = [weight[use] + 1.0, np.ones(n)]
    alts = np.flatnonzero(altruist)
    if chains and alts.size:
        pairs = np.flatnonzero(~altruist)
        rows.append(np.repeat(pairs, alts.size))
        cols.append(np.tile(alts, pairs.size))
        vals.append(np.ones(pairs.size * alts.size))
    mat = sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
    )
    row_ind, col_ind = min_weight_full_bipartite_matching(mat, maximize=True)
    succ = np.full(n, -1, dtype=np.int64)
    succ[row_ind] = col_ind
    key = src.astype(np.int64) * n + dst
    chosen_key = np.flatnonzero(succ != np.arange(n))
    chosen_key = chosen_key.astype(np.int64) * n + succ[chosen_key]
    return np.isin(key, chosen_key) & use
