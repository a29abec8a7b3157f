"""Benchmarks (run as modules, e.g. ``python -m bench.matching.kep``)."""

from __future__ import annotations

import os
from pathlib import Path


def machine() -> str:
    """Where a benchmark runs: the CPU's model name, its cores and the load average now."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}"
