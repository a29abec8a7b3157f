"""The exchange's own answers to the matcher's proposals, read for the acceptance model.

Every party that accepted or declined its part of a ring, gift chain or pair the matcher proposed
is one answer (`matching.marketplace.acceptance.Answer`), and so is every party that left a
proposal it was shown to expire (it declined by saying nothing; a proposal held for review that
expired unreviewed was never shown). Parties of a proposal voided by somebody
else's refusal before they answered said nothing either way and are left out, as are direct asks
between members (a member who asks has already said yes). What each party saw of its part is
worked out from the legs as the matcher sees a candidate leg (`matching.marketplace.candidates`):
the distance as a share of the radius that allowed it, a related rather than the asked-for
category, how long its need had waited when the proposal was made, whether it only gives.

Two queries, whatever the number of answers or members: the answered parties, then the legs of
their exchanges with both listings.
"""
from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime

from sqlalchemy import and_, or_, select, true
from sqlalchemy.orm import aliased

from matching.marketplace.acceptance import AcceptanceModel, Answer, Part, learn_acceptance
from matching.marketplace.candidates import EARTH_RADIUS_KM
from timebank.exchanges.models import Exchange, Leg, Party
from timebank.exchanges.visibility import shown_to_members
from timebank.extensions import db
from timebank.listings.models import Listing

# The shapes the matcher proposes; a direct ask's answers are not answers to the matcher.
MATCHER_SHAPES = ("cycle", "chain", "pair")


def acceptance_model(until: datetime | None = None) -> AcceptanceModel:
    """The acceptance model learned from every answer so far (the prior alone when there is none)."""
    return learn_acceptance(answers(until))


def answers(until: datetime | None = None) -> list[Answer]:
    """Every answer to a matcher proposal (made before `until`, if given), oldest proposal first."""
    # Silence counts only where the members saw the proposal: one held for review that expired
    # before a coordinator sent it on was never shown to them (exchanges/visibility.py).
    answered = or_(Party.status.in_(("accepted", "declined")),
                   and_(Party.status == "pending", Exchange.status == "expired", shown_to_members()))
    of_matcher = and_(Exchange.shape.in_(MATCHER_SHAPES), Exchange.asked_by_member_id.is_(None),
                      Exchange.created_at < until if until is not None else true())
    parties = db.session.execute(
        select(Party.exchange_id, Party.member_id, Party.status, Exchange.created_at)
        .join(Exchange, Exchange.id == Party.exchange_id).where(of_matcher, answered)
        .order_by(Party.exchange_id, Party.id)).all()
    if not parties:
        return []
    offer, need = aliased(Listing), aliased(Listing)
    legs: dict[int, list] = defaultdict(list)
    for row in db.session.execute(
            select(Leg.exchange_id, Leg.giver_member_id, Leg.receiver_member_id,
                   offer.location, offer.latitude.label("o_lat"), offer.longitude.label("o_lon"),
                   offer.travel_km.label("o_travel"), offer.category_id.label("o_cat"),
                   need.location.label("n_location"), need.latitude.label("n_lat"), need.longitude.label("n_lon"),
                   need.travel_km.label("n_travel"), need.category_id.label("n_cat"),
                   need.created_at.label("n_created"))
            .join(Exchange, Exchange.id == Leg.exchange_id)
            .join(offer, offer.id == Leg.offer_listing_id).join(need, need.id == Leg.need_listing_id)
            .where(of_matcher, Leg.exchange_id.in_(
                select(Party.exchange_id).join(Exchange, Exchange.id == Party.exchange_id).where(of_matcher, answered)))
            .order_by(Leg.exchange_id, Leg.position)):
        legs[row.exchange_id].append(row)
    out = []
    for exchange_id, member_id, status, proposed_at in parties:
        mine = legs.get(exchange_id)
        if not mine:
            continue
        members = {m for leg in mine for m in (leg.giver_member_id, leg.receiver_member_id)}
        out.append(Answer(member_id, _part(mine, member_id, len(members), proposed_at), status == "accepted"))
    return out


def _part(legs: list, member_id: int, parties: int, proposed_at: datetime) -> Part:
    """What `member_id` saw of its part: the leg it receives, else the leg it gives."""
    received = [leg for leg in legs if leg.receiver_member_id == member_id]
    leg = received[0] if received else next((x for x in legs if x.giver_member_id == member_id), legs[0])
    share = 0.0
    if "remote" not in (leg.location, leg.n_location):
        radius = float(leg.o_travel if leg.location == "at_receiver" else leg.n_travel)
        share = _km(leg.o_lat, leg.o_lon, leg.n_lat, leg.n_lon) / radius if radius > 0 else 1.0
    waited = max((proposed_at.date() - leg.n_created.date()).days, 0) if received else 0
    return Part(parties=parties, km_share=share, related=leg.o_cat != leg.n_cat, waited_days=waited,
                gives_only=not received)


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance, as the matcher measures a candidate leg."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(a, 1.0)))
