"""Kidney-exchange instances from kep_solver's UK generator (Delorme et al. 2022).

Weights are integers 1..100 drawn uniformly per transplant; about 5% of the
donors are altruists. Seeds make every instance reproducible.
"""

from __future__ import annotations

import random
from pathlib import Path

from kep_solver.published_generators import uk_nhs_generator2022


def generate_uk(n_pairs: int, seed: int, altruist_fraction: float = 0.05):
    """A kep_solver ``Instance`` with ``n_pairs`` recipients and ~5% altruists."""
    random.seed(seed)
    gen = uk_nhs_generator2022()
    n_alt = max(1, round(altruist_fraction * n_pairs))
    return gen.draw(n_pairs, n_alt, weightFn=lambda donor, recipient: float(random.randint(1, 100)))


def write_uk(path: str | Path, n_pairs: int, seed: int, altruist_fraction: float = 0.05) -> Path:
    """Generate and write the instance as kep_solver JSON (schema 3, uncompressed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    generate_uk(n_pairs, seed, altruist_fraction).writeFileJson(str(path), compressed=False, version=2)
    return path
