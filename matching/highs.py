"""Thin layer over highspy: load a column subset of a programme, set a start.

HiGHS minimises ``-cost`` here; row duals are converted to the maximisation
sign convention (``y >= 0`` prices a ``<=`` row) by the callers.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING

import highspy
import numpy as np
from scipy import sparse

if TYPE_CHECKING:
    from .engine import Programme

INF = highspy.kHighsInf


@contextmanager
def _quiet_stdout():
    """HiGHS prints a banner on stdout when an instance is created; keep stdout clean."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def new_highs(*, seed: int, threads: int | None, log: bool) -> highspy.Highs:
    with _quiet_stdout():
        h = highspy.Highs()
    h.setOptionValue("output_flag", bool(log))
    h.setOptionValue("log_to_console", bool(log))
    h.setOptionValue("random_seed", int(seed))
    if threads:
        h.setOptionValue("threads", int(threads))
    return h


def load(h: highspy.Highs, model: Programme, cols: np.ndarray, *, integer: bool) -> None:
    """Put the rows and the given columns of ``model`` into ``h`` (replacing its model)."""
    h.clearModel()
    add_rows(h, model.row_lo, model.row_hi)
    add_cols(h, model, cols, integer=integer)


def add_rows(h: highspy.Highs, lo: np.ndarray, hi: np.ndarray) -> None:
    """Rows with these bounds (infinite ones as HiGHS's infinity) and no entries yet."""
    lo = np.where(np.isfinite(lo), lo, -INF)
    hi = np.where(np.isfinite(hi), hi, INF)
    h.addRows(lo.size, lo, hi, 0, np.zeros(1, dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(0))


def add_cols(h: highspy.Highs, model: Programme, cols: np.ndarray, *, integer: bool) -> None:
    """Columns ``cols`` of ``model``, in [0, 1] (integer if asked)."""
    if cols.size == 0:
        return
    sub = model.A[:, cols]
    sub.sort_indices()
    first = h.getNumCol()
    add_columns(h, model.cost[cols], sub)
    if integer:
        idx = np.arange(first, first + cols.size, dtype=np.int32)
        h.changeColsIntegrality(cols.size, idx, np.ones(cols.size, dtype=np.uint8))


def add_columns(h: highspy.Highs, cost: np.ndarray, A: sparse.csc_matrix) -> None:
    """Columns worth ``cost`` with entries ``A`` (rows x these columns, indices sorted), in [0, 1]."""
    h.addCols(cost.size, -cost, np.zeros(cost.size), np.ones(cost.size), A.nnz,
              A.indptr[:-1].astype(np.int32), A.indices.astype(np.int32), A.data.astype(np.float64))


def set_integer(h: highspy.Highs, integer: bool) -> None:
    n = h.getNumCol()
    if n:
        h.changeColsIntegrality(n, np.arange(n, dtype=np.int32),
                                np.full(n, 1 if integer else 0, dtype=np.uint8))


def set_start(h: highspy.Highs, x: np.ndarray) -> None:
    sol = highspy.HighsSolution()
    sol.col_value = list(map(float, x))
    sol.value_valid = True
    h.setSolution(sol)
