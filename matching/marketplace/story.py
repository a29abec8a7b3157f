"""Plain-English reasons for legs and stories for whole exchanges."""

from __future__ import annotations

import math
from decimal import Decimal

from .candidates import EXACT_FIT, Candidates, day_of
from .types import DBS_LEVELS, TIME_KINDS, Market

URGENCY_WORDS = {1: "low urgency", 2: "normal urgency", 3: "high urgency", 4: "urgent"}
_DBS_NAMES = {v: k.replace("_", " and ") for k, v in DBS_LEVELS.items()}


def possessive(name: str) -> str:
    """``"Prescot Seniors"`` -> ``"Prescot Seniors'"``, ``"Halewood Youth Club"`` -> ``"...Club's"``."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def amount(hours: float, people: int, kind: str) -> str:
    unit = "day" if kind == "equipment" else "hour"
    h = Decimal(str(round(hours, 2))).normalize()
    text = f"{h:f} {unit}{'' if h == 1 else 's'}"
    if people > 1:
        text += f" for {people} people"
    return text


def reason(market: Market, cands: Candidates, row: int, names: dict[int, str]) -> str:
    """Why offer and need fit: category, place, amount, requirements met, urgency and waiting."""
    o, n = cands.listings[cands.offer[row]], cands.listings[cands.need[row]]
    giver, receiver = names[o.member_id], names[n.member_id]
    cat_names = market.category_names
    parts = []
    if cands.fit[row] == EXACT_FIT:
        parts.append(f"same category ({cat_names[n.category_id]})" if n.category_id in cat_names
                     else "same category")
    else:
        parts.append(f"related category ({cat_names.get(o.category_id, 'offer')} for "
                     f"{cat_names.get(n.category_id, 'need')})" if cat_names else "related category")
    km, radius = cands.km[row], cands.radius[row]
    if math.isnan(km):
        parts.append("help given remotely")
    else:
        traveller = giver if o.location == "at_receiver" else receiver
        parts.append(f"{km:.1f} km apart, within the {radius:g} km {traveller} will travel")
    wanted = amount(float(n.quantity), n.people, n.kind)
    given = amount(float(cands.hours[row]), int(cands.people[row]), n.kind)
    parts.append(f"covers {given} of the {wanted} needed" if cands.partial[row] else f"covers the {wanted} needed")
    day = day_of(cands.day[row])
    parts.append(f"both free from {day.day} {day:%B %Y}")
    if n.min_dbs_level:
        sent = int(cands.people[row])
        covered = market.members[int(cands.member[cands.offer[row]])].dbs_people_on(day, n.min_dbs_level)
        parts.append(f"{possessive(giver)} DBS checks at {_DBS_NAMES[DBS_LEVELS[n.min_dbs_level]]} level or above "
                     f"cover {covered} {'person' if covered == 1 else 'people'} on that day "
                     f"({sent} {'is' if sent == 1 else 'are'} needed)")
    if n.needs_step_free and o.location == "at_giver":
        parts.append("step-free access")
    if n.min_capacity and o.asset is not None:
        parts.append(f"room for {o.asset.capacity} ({n.min_capacity} needed)")
    if n.needs_insurance:
        parts.append(f"{giver} is insured on the day")
    if o.asset is not None and o.asset.electrical:
        parts.append(f"PAT test in date until {o.asset.pat_due_on.day} {o.asset.pat_due_on:%B %Y}")
    if o.asset is not None and o.asset.insurance_required:
        parts.append(f"{receiver} is insured, as the lender asks")
    parts.append(URGENCY_WORDS.get(n.urgency, "normal urgency"))
    if n.waited_days:
        parts.append(f"waiting {n.waited_days} day{'s' if n.waited_days != 1 else ''}")
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def story(shape: str, legs: list, names: dict[int, str], titles: dict[int, str]) -> str:
    """One paragraph telling the whole cycle, chain or pair, with member names and listing titles,
    and what each leg does to credits (``leg.credits``: what the ledger will move for it)."""
    def give(leg) -> str:
        return (f"“{titles[leg.offer_id]}” for {possessive(names[leg.receiver_member_id])} "
                f"“{titles[leg.need_id]}”")

    first = legs[0]
    if shape == "pair":
        if first.credits > 0 and first.kind in TIME_KINDS:
            pay = (f"{names[first.receiver_member_id]} pays {_credits(first.credits)} for it "
                   "(one credit for each hour of each person's time).")
        elif first.credits > 0:
            pay = f"{names[first.receiver_member_id]} pays {_credits(first.credits)} for the loan."
        else:
            pay = "No time credits change hands: lending rooms and equipment moves none."
        return f"{names[first.giver_member_id]} offers {give(first)}. {pay}"
    if shape == "chain":
        text = f"It starts with a gift: {names[first.giver_member_id]} gives {give(first)}"
        for i, leg in enumerate(legs[1:], start=1):
            joiner = "; and " if i == len(legs) - 1 else "; "
            text += f"{joiner}{names[leg.giver_member_id]} passes it on with {give(leg)}"
        text += f". The gift moves no credits ({_gift_value(first, names)})"
        if len(legs) > 1:
            text += f"; then {_credit_words(legs[1:], names)}"
        return text + "."
    text = f"{names[first.giver_member_id]} offers {give(first)}"
    for i, leg in enumerate(legs[1:], start=1):
        if i == len(legs) - 1:
            text += f"; and {names[leg.giver_member_id]} completes the ring with {give(leg)}"
        else:
            text += f"; {names[leg.giver_member_id]}, in turn, offers {give(leg)}"
    return text + f". Everyone gives and everyone gets: {_credit_words(legs, names)}."


def _gift_value(leg, names: dict[int, str]) -> str:
    """What a gift counts as: a giver's hours are its social value; a room or a loan, in-kind value."""
    giver = possessive(names[leg.giver_member_id])
    if leg.kind == "room":
        return f"the use of its room counts as {giver} in-kind social value"
    if leg.kind == "equipment":
        return f"the loan of its equipment counts as {giver} in-kind social value"
    return f"its hours count as {giver} social value"


def _credit_words(legs, names: dict[int, str]) -> str:
    """Each leg's credits as the ledger will post them: time and skills earn their giver one credit
    per hour of each person's time; rooms and equipment move none unless the policy pays per loan."""
    words = []
    for leg in legs:
        giver, receiver = names[leg.giver_member_id], names[leg.receiver_member_id]
        what = "its room" if leg.kind == "room" else "its equipment" if leg.kind == "equipment" else "its help"
        if leg.credits > 0:
            words.append(f"{giver} earns {_credits(leg.credits)} from {receiver}"
                         + ("" if leg.kind in TIME_KINDS else f" for lending {what}"))
        else:
            words.append(f"{giver} lends {what} for no credits" if leg.kind not in TIME_KINDS
                         else f"{giver} gives its help for no credits")
    return "; ".join(words)


def _credits(value: Decimal) -> str:
    v = Decimal(value).normalize()
    return f"{v:f} time credit{'' if v == 1 else 's'}"
