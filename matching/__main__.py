"""Command line: ``python -m matching solve FILE --max-cycle K --max-chain L``.

Prints the clearing as JSON: objective, bound, gap, status, cycles, chains and
statistics.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence

from .formats import FORMATS, FormatError, read_instance
from .options import Options
from .solver import solve


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m matching", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("solve", help="clear one instance and print the result as JSON")
    s.add_argument("file", help="kidney_solver .input (its .ndds beside it is found by name), "
                   "kep_solver JSON, or math-trade graph JSON")
    s.add_argument("--format", choices=FORMATS, default="auto",
                   help="input format (default: guess from the file)")
    s.add_argument("--max-cycle", type=int, default=3, help="most arcs in a cycle; 0 = no limit (default 3)")
    s.add_argument("--max-chain", type=int, default=3,
                   help="most arcs in a chain, counting the altruist's gift; 0 = no chains (default 3)")
    s.add_argument("--no-chain-limit", action="store_true",
                   help="chains of any length (needs --max-cycle 0)")
    s.add_argument("--objective", choices=("weight", "count"), default="weight",
                   help="maximise total weight (default) or the number of arcs (transplants, items)")
    s.add_argument("--time-limit", type=float, default=None, help="seconds; best solution and its gap on expiry")
    s.add_argument("--seed", type=int, default=0, help="solver random seed (default 0)")
    s.add_argument("--threads", type=int, default=None, help="solver threads")
    s.add_argument("--log", action="store_true", help="solver log on stderr")
    s.add_argument("--indent", type=int, default=None, help="indent the JSON output")
    return p


def _json_number(x: float) -> float | str:
    return x if math.isfinite(x) else ("inf" if x > 0 else "-inf")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        inst = read_instance(args.file, args.format)
    except (OSError, FormatError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.objective == "count":
        # a vertex that takes part counts once: its incoming arc (or, for an altruist, its gift)
        inst = inst.with_weights(1.0)
    max_chain = None if args.no_chain_limit else args.max_chain
    if args.log:
        # solver logs go to stdout in HiGHS; keep stdout for the JSON result
        sys.stdout.flush()
        import os

        saved = os.dup(1)
        os.dup2(2, 1)
    try:
        options = Options(seed=args.seed, threads=args.threads, log=args.log)
        sol = solve(inst, max_cycle=args.max_cycle, max_chain=max_chain, time_limit=args.time_limit, options=options)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        if args.log:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)
    out = sol.to_dict()
    out["objective_kind"] = args.objective
    out["max_cycle"] = args.max_cycle
    out["max_chain"] = max_chain
    for key in ("objective", "bound", "gap"):
        out[key] = _json_number(out[key])
    json.dump(out, sys.stdout, indent=args.indent, default=str)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
