"""How likely each member is to accept its part of a proposal, learned from the exchange's own answers.

A proposal goes ahead only if every party accepts its part, so a ring of five good legs that one
member will probably decline is worth less than a pair both sides will take. The failure-aware
objective (``Policy(objective="expected")``) weighs each exchange by the chance that it goes
ahead, and each leg of a gift chain by the chance that the chain reaches it. That chance comes
from this model: a logistic regression of each answer on what the party could see of its part
(how many members, how far the help travels for its radius, whether the category is its own or
only related, how long its need had waited, whether it only gives), plus an offset of its own
for each member who has answered before (some members accept nearly everything, some nearly
nothing).

Both are estimated with a prior, so a new exchange with no history, or a member with one answer,
gets sensible figures: the coefficients are the maximum a posteriori estimate under a normal
prior centred on :class:`AcceptancePrior` (which is what the model says with no answers at all),
and each member's offset is shrunk towards 0 by a normal prior of spread ``member_sd``
(alternating Newton steps; a handful of rounds converge on these few features).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

#: The features, in the order of the coefficients.
FEATURES = ("base", "extra_parties", "distance", "related", "waited", "gives_only")
#: Days of waiting that count as one unit of the ``waited`` feature (capped at two units).
WAIT_UNIT_DAYS = 90


@dataclass(frozen=True)
class Part:
    """What a party could see of its part of a proposal: the features of its answer.

    Attributes
    ----------
    parties : int
        Members in the exchange (2 for a pair).
    km_share : float
        The distance the help travels as a share of the radius that allowed it (0 for remote
        help): of the leg the party receives, or, for a party that only gives, of the leg it gives.
    related : bool
        The leg it receives is in a related category (parent or child), not the need's own.
    waited_days : int
        How long the need it receives had waited when the proposal was made (0 if it receives nothing).
    gives_only : bool
        It receives nothing (a gift's giver, a pair's giver).
    """

    parties: int
    km_share: float = 0.0
    related: bool = False
    waited_days: int = 0
    gives_only: bool = False

    def features(self) -> np.ndarray:
        return np.array([1.0, self.parties - 2.0, min(max(self.km_share, 0.0), 1.0), float(self.related),
                         min(self.waited_days / WAIT_UNIT_DAYS, 2.0), float(self.gives_only)])


@dataclass(frozen=True)
class Answer:
    """One party's answer to one proposal: who, what it saw, and whether it accepted."""

    member_id: int
    part: Part
    accepted: bool


@dataclass(frozen=True)
class AcceptancePrior:
    """What the model says before any answer, and how firmly (log-odds).

    The defaults are a guess, stated as one in ``docs/matching.md`` ("Failure-aware matching"):
    a member asked to take part in a pair accepts 4 times in 5 (log-odds 1.4), each further
    member in the exchange costs a little, distance and a merely related category cost more.
    ``sd`` is the prior's spread on each coefficient: about 40 answers move a coefficient by as
    much as the prior allows, so the exchange's own history soon decides.
    """

    base: float = 1.4
    extra_parties: float = -0.15
    distance: float = -0.5
    related: float = -0.4
    waited: float = 0.0
    gives_only: float = 0.0
    sd: float = 0.5
    member_sd: float = 0.8

    def mean(self) -> np.ndarray:
        return np.array([self.base, self.extra_parties, self.distance, self.related, self.waited, self.gives_only])


@dataclass(frozen=True)
class AcceptanceModel:
    """Log-odds coefficients (in :data:`FEATURES` order) and each member's own offset.

    Examples
    --------
    >>> model = AcceptanceModel.prior()
    >>> round(model.probability(7, Part(parties=2)), 3)
    0.802
    """

    coef: tuple[float, ...]
    member_offset: Mapping[int, float] = field(default_factory=dict)
    answers: int = 0

    @classmethod
    def prior(cls, prior: AcceptancePrior | None = None) -> AcceptanceModel:
        """The model before any answer."""
        return cls(tuple(float(c) for c in (prior or AcceptancePrior()).mean()))

    def logit(self, member_id: int, part: Part) -> float:
        return float(np.dot(self.coef, part.features())) + self.member_offset.get(member_id, 0.0)

    def probability(self, member_id: int, part: Part) -> float:
        """The chance that ``member_id`` accepts ``part``."""
        return _sigmoid(self.logit(member_id, part))

    def offsets(self, member_ids: Iterable[int]) -> np.ndarray:
        """Each member's offset, in the order given (0 for members who never answered)."""
        return np.array([self.member_offset.get(int(m), 0.0) for m in member_ids], dtype=float)


def learn_acceptance(answers: Iterable[Answer], prior: AcceptancePrior | None = None, *,
                     rounds: int = 6) -> AcceptanceModel:
    """The acceptance model of the exchange's answers so far (maximum a posteriori, see the module).

    Parameters
    ----------
    answers : iterable of Answer
        Every answer given (accepting or declining a part; a proposal left to expire counts as
        declined by those who never answered).
    prior : AcceptancePrior, optional
    rounds : int
        Alternations of a Newton step on the coefficients and one on the members' offsets.

    Returns
    -------
    AcceptanceModel
        With no answers, :meth:`AcceptanceModel.prior`.

    Notes
    -----
    O(rounds * (N * F^2 + F^3)) for N answers and F = 6 features.

    Examples
    --------
    >>> never = [Answer(1, Part(parties=2), False)] * 20
    >>> model = learn_acceptance(never)
    >>> model.probability(1, Part(parties=2)) < 0.3 < model.probability(2, Part(parties=2))
    True
    """
    prior = prior or AcceptancePrior()
    answers = list(answers)
    mu = prior.mean()
    if not answers:
        return AcceptanceModel(tuple(float(c) for c in mu))
    X = np.array([a.part.features() for a in answers])
    y = np.array([1.0 if a.accepted else 0.0 for a in answers])
    members, who = np.unique(np.array([a.member_id for a in answers], dtype=np.int64), return_inverse=True)
    beta = mu.copy()
    offset = np.zeros(members.size)
    precision = 1.0 / prior.sd ** 2
    member_precision = 1.0 / prior.member_sd ** 2
    for _ in range(rounds):
        for _ in range(2):  # the coefficients, members' offsets held
            p = _sigmoid_array(X @ beta + offset[who])
            grad = X.T @ (y - p) - precision * (beta - mu)
            hess = (X * (p * (1 - p))[:, None]).T @ X + precision * np.eye(beta.size)
            beta = beta + np.linalg.solve(hess, grad)
        p = _sigmoid_array(X @ beta + offset[who])   # the offsets, coefficients held (one Newton step each)
        grad = np.bincount(who, weights=y - p, minlength=members.size) - member_precision * offset
        curv = np.bincount(who, weights=p * (1 - p), minlength=members.size) + member_precision
        offset = offset + grad / curv
    return AcceptanceModel(tuple(float(c) for c in beta),
                           {int(m): float(o) for m, o in zip(members.tolist(), offset.tolist())}, len(answers))


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def _sigmoid_array(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))
