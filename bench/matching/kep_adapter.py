"""Run kep_solver (PICEF, CBC through PuLP) the way the benchmark and tests compare against it."""

from __future__ import annotations

from time import perf_counter

from kep_solver.fileio import read_file
from kep_solver.graph import CompatibilityGraph, Edge, Exchange
from kep_solver.model import PICEF, Objective, Sense, TransplantCount


class TransplantWeight(Objective):
    """Total score of the transplants; the final gift of a chain to the waiting list scores 0."""

    def __init__(self) -> None:
        pass

    def edgeValue(self, graph: CompatibilityGraph, edge: Edge, position: int | None = None) -> float:
        if edge.end.index < 0:  # the sink: a chain's final gift to the waiting list
            return 0.0
        return float(edge.getProperty("weight"))

    def value(self, graph: CompatibilityGraph, exchange: Exchange) -> float:
        return sum(self.edgeValue(graph, e) for e in graph.exchangeEdges(exchange))

    def describe(self) -> str:
        return "Total transplant score"

    @property
    def sense(self) -> Sense:
        return Sense.MAX


def solve_kep(path: str, max_cycle: int, max_chain: int, objective: str = "weight") -> dict:
    """Read, build and solve with kep_solver; ``max_chain`` counts arcs (our convention).

    Returns the objective in our convention (for ``"count"``, kep_solver's
    count minus one per altruist, for the final gifts to the waiting list)
    and the wall time of read + build + solve.
    """
    t = perf_counter()
    inst = read_file(path)
    obj = TransplantWeight() if objective == "weight" else TransplantCount()
    model = PICEF(inst, [obj], maxCycleLength=max_cycle, maxChainLength=max_chain + 1)
    selected, _, _ = model.solve()
    wall = perf_counter() - t
    value = float(model.objective_values[0])
    chains = [ex for ex in selected if ex.chain and len(ex) > 1]
    if objective == "count":
        # every altruist gives at the optimum (at worst straight to the waiting
        # list, which kep_solver counts as a transplant and we do not)
        value -= len(inst.allNDDs())
    return {"objective": value, "wall": wall, "chains": len(chains)}
