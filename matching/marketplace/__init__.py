"""Marketplace matching: open offers and needs in, explained multi-party proposals out.

A pure sub-package (plain dataclasses, no web framework, no database) on top of the clearing
engine in :mod:`matching`. See "Marketplace matching" in ``docs/matching.md``.

>>> from matching.marketplace import Market, Policy, match
>>> match(Market([], [], {}, __import__("datetime").date(2026, 1, 1)), Policy(report_cycle_lengths=())).exchanges
()
"""

from .baseline import greedy_pairs
from .candidates import Candidates, build_candidates
from .columns import MARKET_OPTIONS
from .match import match, needs_met_by_length
from .types import (
    ALL_WEEK,
    AssetInput,
    DbsCheck,
    ListingInput,
    Market,
    MatchResult,
    MemberInput,
    Policy,
    ProposedExchange,
    ProposedLeg,
    ScoreWeights,
)

__all__ = [
    "ALL_WEEK", "MARKET_OPTIONS", "AssetInput", "Candidates", "DbsCheck", "ListingInput", "Market", "MatchResult", "MemberInput",
    "Policy", "ProposedExchange", "ProposedLeg", "ScoreWeights", "build_candidates", "greedy_pairs", "match",
    "needs_met_by_length",
]
