"""Readers for the public instance formats the engine is measured on.

* kidney_solver text format: a ``.input`` file (``n m`` then ``src dst
  weight`` per arc, ended by ``-1 -1 -1``) and an optional ``.ndds`` file of
  altruists beside it (``count m`` then ``altruist pair weight`` per arc).
  Pairs keep their integer ids; altruist ``j`` gets the id ``"ndd<j>"``.
* kep_solver JSON (schema 1 with ``"data"``, schema 2 or 3 with
  ``"donors"``): a vertex per recipient that has a paired donor, an altruist
  per non-directed donor. A recipient with several donors becomes one vertex
  whose arc to another recipient carries the best score among its donors,
  which is exact: only one of a recipient's donors can give.
* Math-trade graph JSON (``nodes`` with ``id`` and ``dummy``, ``arcs`` as
  ``[giver, receiver]``): real items weigh 1, dummy items 0; every item, dummy
  or not, is a vertex that can be used once.
"""

from __future__ import annotations

import json
import lzma
from pathlib import Path
from typing import Any

import numpy as np

from .instance import Instance

FORMATS = ("auto", "kidney", "kep", "graph")


class FormatError(ValueError):
    """The file does not follow the format it claims."""


def _open_text(path: Path) -> str:
    if path.suffix == ".xz":
        with lzma.open(path, "rt") as fh:
            return fh.read()
    return path.read_text()


def _numbers(text: str, what: str) -> np.ndarray:
    try:
        return np.array(text.split(), dtype=np.float64)
    except ValueError:
        raise FormatError(f"{what}: expected numbers only") from None


def _triples(nums: np.ndarray, count: int, what: str) -> np.ndarray:
    body = nums[2:]
    if body.size < 3 * count + 3:
        raise FormatError(f"{what}: fewer arcs than the header's {count}")
    rows = body[: 3 * count].reshape(count, 3)
    if not np.all(body[3 * count: 3 * count + 3] == -1):
        raise FormatError(f"{what}: arc count in header is wrong (no -1 -1 -1 after {count} arcs)")
    return rows


def read_kidney_solver(input_path: str | Path, ndds_path: str | Path | None = None) -> Instance:
    """Read a kidney_solver ``.input`` file and its optional ``.ndds`` file.

    Parameters
    ----------
    input_path : path
        The ``.input`` file of pairs and arcs.
    ndds_path : path, optional
        The ``.ndds`` file of altruists; by default the file with the same
        stem and suffix ``.ndds`` beside ``input_path``, if it exists.

    Returns
    -------
    Instance

    Notes
    -----
    O(m log m) for m arcs.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "x.input").write_text("2 2\\n0 1 5\\n1 0 5\\n-1 -1 -1\\n")
    >>> read_kidney_solver(d / "x.input").n_arcs
    2
    """
    input_path = Path(input_path)
    nums = _numbers(_open_text(input_path), str(input_path))
    if nums.size < 2:
        raise FormatError(f"{input_path}: missing header 'pairs arcs'")
    n, m = int(nums[0]), int(nums[1])
    arcs = _triples(nums, m, str(input_path))
    src, dst = arcs[:, 0].astype(np.int64), arcs[:, 1].astype(np.int64)
    if m and (src.min() < 0 or dst.min() < 0 or src.max() >= n or dst.max() >= n):
        raise FormatError(f"{input_path}: vertex index out of range")
    if ndds_path is None:
        candidate = input_path.with_suffix(".ndds")
        ndds_path = candidate if candidate.exists() else None
    n_alt = 0
    asrc = np.empty(0, dtype=np.int64)
    adst = np.empty(0, dtype=np.int64)
    aw = np.empty(0)
    if ndds_path is not None:
        nd = _numbers(_open_text(Path(ndds_path)), str(ndds_path))
        if nd.size < 2:
            raise FormatError(f"{ndds_path}: missing header 'altruists arcs'")
        n_alt, ma = int(nd[0]), int(nd[1])
        narcs = _triples(nd, ma, str(ndds_path))
        asrc, adst, aw = narcs[:, 0].astype(np.int64), narcs[:, 1].astype(np.int64), narcs[:, 2]
        if ma and (asrc.min() < 0 or asrc.max() >= n_alt or adst.min() < 0 or adst.max() >= n):
            raise FormatError(f"{ndds_path}: index out of range")
    ids = list(range(n)) + [f"ndd{j}" for j in range(n_alt)]
    return Instance.from_arrays(
        np.concatenate([src, asrc + n]), np.concatenate([dst, adst]),
        np.concatenate([arcs[:, 2], aw]), n_vertices=n + n_alt,
        altruists=np.arange(n, n + n_alt), ids=ids,
    )


def read_kep_json(path: str | Path) -> Instance:
    """Read a kep_solver JSON instance (schema 1, 2 or 3; ``.json`` or ``.json.xz``).

    Parameters
    ----------
    path : path

    Returns
    -------
    Instance
        Vertex ids are recipient ids and, for altruists, donor ids (prefixed
        ``"ndd:"`` only if a donor id equals a recipient id).

    Notes
    -----
    O(m log m) for m transplant arcs.

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "i.json"
    >>> _ = p.write_text(json.dumps({"data": {
    ...     "1": {"sources": [1], "matches": [{"recipient": 2, "score": 3}]},
    ...     "2": {"sources": [2], "matches": [{"recipient": 1, "score": 4}]}}}))
    >>> read_kep_json(p).n_arcs
    2
    """
    path = Path(path)
    try:
        obj = json.loads(_open_text(path))
    except json.JSONDecodeError as exc:
        raise FormatError(f"{path}: not JSON ({exc})") from None
    return parse_kep_json(obj, str(path))


def parse_kep_json(obj: Any, what: str = "kep JSON") -> Instance:
    """Build an instance from a parsed kep_solver JSON object (see :func:`read_kep_json`)."""
    donors: list[tuple[str, str | None, list[tuple[str, float]]]] = []
    try:
        if isinstance(obj, dict) and obj.get("schema", 1) >= 2:
            raw = obj["donors"]
            items = raw.values() if isinstance(raw, dict) else raw
            for d in items:
                paired = d.get("paired_recipients") or []
                if len(paired) > 1:
                    raise FormatError(f"{what}: donor {d['id']} has several recipients")
                donors.append((
                    str(d["id"]), str(paired[0]) if paired else None,
                    [(str(t["recipient"]), float(t["score"])) for t in d.get("outgoing_transplants", [])],
                ))
        else:
            for did, d in obj["data"].items():
                sources = d.get("sources") or []
                if len(sources) > 1:
                    raise FormatError(f"{what}: donor {did} has several recipients")
                donors.append((
                    str(did), str(sources[0]) if sources else None,
                    [(str(t["recipient"]), float(t["score"])) for t in d.get("matches", [])],
                ))
    except (KeyError, TypeError, AttributeError) as exc:
        raise FormatError(f"{what}: not a kep_solver instance ({exc!r})") from None
    recipients: dict[str, int] = {}
    for _, rec, _ in donors:
        if rec is not None:
            recipients.setdefault(rec, len(recipients))
    ids: list[Any] = list(recipients)
    alt_index: list[int] = []
    giver: list[int] = []
    for did, rec, _ in donors:
        if rec is None:
            vid = did if did not in recipients else f"ndd:{did}"
            alt_index.append(len(ids))
            giver.append(len(ids))
            ids.append(vid)
        else:
            giver.append(recipients[rec])
    src, dst, w = [], [], []
    for g, (_, _, arcs) in zip(giver, donors):
        for rec, score in arcs:
            r = recipients.get(rec)
            if r is not None:
                src.append(g)
                dst.append(r)
                w.append(score)
    return Instance.from_arrays(
        np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64), np.array(w, dtype=np.float64),
        n_vertices=len(ids), altruists=np.array(alt_index, dtype=np.int64), ids=ids,
    )


def read_mathtrade_graph(path: str | Path) -> Instance:
    """Read a math-trade graph JSON file (``nodes`` and ``arcs``).

    Parameters
    ----------
    path : path

    Returns
    -------
    Instance
        Vertex ids are the node ids; real items weigh 1 and dummy items 0, so
        the objective counts the real items that trade.

    Notes
    -----
    O(m log m) for m arcs.

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "g.json"
    >>> _ = p.write_text(json.dumps({"nodes": [{"id": 0, "dummy": False},
    ...     {"id": 1, "dummy": True}], "arcs": [[0, 1], [1, 0]]}))
    >>> read_mathtrade_graph(p).vertex_weight.tolist()
    [1.0, 0.0]
    """
    path = Path(path)
    try:
        obj = json.loads(_open_text(path))
        nodes = obj["nodes"]
        arcs = obj["arcs"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise FormatError(f"{path}: not a math-trade graph ({exc!r})") from None
    ids = [nd["id"] for nd in nodes]
    index = {v: i for i, v in enumerate(ids)}
    if len(index) != len(ids):
        raise FormatError(f"{path}: repeated node id")
    vw = np.array([0.0 if nd.get("dummy") else 1.0 for nd in nodes])
    try:
        src = np.array([index[a[0]] for a in arcs], dtype=np.int64)
        dst = np.array([index[a[1]] for a in arcs], dtype=np.int64)
    except KeyError as exc:
        raise FormatError(f"{path}: arc names unknown node {exc.args[0]!r}") from None
    return Instance.from_arrays(
        src, dst, np.zeros(src.size), n_vertices=len(ids), vertex_weights=vw, ids=ids,
    )


def read_instance(path: str | Path, format: str = "auto") -> Instance:
    """Read an instance, guessing the format from the file when ``format="auto"``.

    ``.input`` (and ``.input.xz``) is kidney_solver; JSON with ``nodes`` and
    ``arcs`` is a math-trade graph; other JSON is kep_solver.

    Parameters
    ----------
    path : path
    format : {"auto", "kidney", "kep", "graph"}

    Returns
    -------
    Instance

    Notes
    -----
    O(m log m).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.input"
    >>> _ = p.write_text("2 1\\n0 1 5\\n-1 -1 -1\\n")
    >>> read_instance(p).n_arcs
    1
    """
    path = Path(path)
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; choose from {', '.join(FORMATS)}")
    if format == "auto":
        suffixes = [s for s in path.suffixes if s != ".xz"]
        if suffixes and suffixes[-1] == ".input":
            format = "kidney"
        else:
            try:
                obj = json.loads(_open_text(path))
            except json.JSONDecodeError:
                raise FormatError(f"{path}: cannot tell its format; pass format=") from None
            if isinstance(obj, dict) and "nodes" in obj and "arcs" in obj:
                format = "graph"
            else:
                return parse_kep_json(obj, str(path))
    if format == "kidney":
        return read_kidney_solver(path)
    if format == "graph":
        return read_mathtrade_graph(path)
    return read_kep_json(path)
