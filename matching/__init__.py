"""Exchange clearing: vertex-disjoint cycles and altruist chains of maximum weight.

A pure library (plain data in, plain data out; no web framework, no database).
See ``docs/matching.md`` for the formulation.

>>> from matching import Instance, solve
>>> sol = solve(Instance.from_arcs([(1, 2, 3.0), (2, 1, 4.0)]), max_cycle=2, max_chain=0)
>>> sol.cycles, sol.objective
(((1, 2),), 7.0)
"""

from .formats import FormatError, read_instance, read_kep_json, read_kidney_solver, read_mathtrade_graph
from .instance import Instance, SideConstraint, Solution
from .options import Options
from .solver import solve

__all__ = [
    "FormatError",
    "Instance",
    "Options",
    "SideConstraint",
    "Solution",
    "read_instance",
    "read_kep_json",
    "read_kidney_solver",
    "read_mathtrade_graph",
    "solve",
]
