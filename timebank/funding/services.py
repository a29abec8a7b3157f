"""Programmes, funds and grants: keep the list (coordinators), say who is part of each, tag listings
and exchanges with them, and read what carries which tag.

Who may tag with what: a coordinator with any tag; a member's people only with the tags that
member is part of (the coordinators list the members of each programme, fund or grant, or open it
to every member). A tag is a claim, made to a funder, that the help was part of its programme:
if any member could use any tag, one organisation could add its work to another's funder report.
Each member changes only the tags it may use, so it never removes one that another member (or a
coordinator) put on a shared exchange. Every change is in the audit log.
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError

from timebank.accounts.access import require_coordinator
from timebank.accounts.models import User
from timebank.audit.services import record
from timebank.errors import Conflict, DomainError, NotAllowed, NotFound
from timebank.exchanges.models import Exchange, Leg
from timebank.extensions import db
from timebank.funding.models import CODE_PATTERN, FUNDING_KINDS, ExchangeTag, FundingTag, FundingTagMember, ListingTag
from timebank.listings.models import Listing
from timebank.members.models import Member
from timebank.members.access import can_act_for

TAG_FIELDS = ("code", "name", "kind", "funder", "starts_on", "ends_on", "open_to_all")



# -- reading ------------------------------------------------------------------------------------

def all_tags() -> list[FundingTag]:
    """Every tag, newest programme first."""
    return list(db.session.scalars(select(FundingTag).order_by(FundingTag.starts_on.desc(), FundingTag.code)))


def load_tag(tag_id: int, user: User, *, need: str = "view") -> FundingTag:
    """A programme, fund or grant: any signed-in person sees one; `need="manage"` (change it, list its
    members) is for coordinators."""
    if need == "manage":
        require_coordinator(user, "change programmes, funds and grants")
    tag = db.session.get(FundingTag, tag_id)
    if tag is None:
        raise NotFound(f"There is no programme, fund or grant {tag_id}")
    return tag


def member_ids_of(tag: FundingTag) -> set[int]:
    return {m.member_id for m in tag.members}


def usable_tags(actor: User, members: Iterable[Member]) -> list[FundingTag]:
    """The tags `actor` may put on something of `members`: any for a coordinator; otherwise those
    open to every member or that a member the actor acts for is part of."""
    if actor.is_coordinator:
        return all_tags()
    ids = [m.id for m in members if can_act_for(actor, m)]
    if not ids:
        return []
    part_of = select(FundingTagMember.tag_id).where(FundingTagMember.member_id.in_(ids))
    return list(db.session.scalars(select(FundingTag).where(or_(FundingTag.open_to_all, FundingTag.id.in_(part_of)))
                                   .order_by(FundingTag.starts_on.desc(), FundingTag.code)))


def tags_of_member(member: Member) -> list[FundingTag]:
    """The tags a member is part of (listed, or open to every member)."""
    part_of = select(FundingTagMember.tag_id).where(FundingTagMember.member_id == member.id)
    return list(db.session.scalars(select(FundingTag).where(or_(FundingTag.open_to_all, FundingTag.id.in_(part_of)))
                                   .order_by(FundingTag.starts_on.desc(), FundingTag.code)))


def listing_tags(listing_ids: Iterable[int]) -> dict[int, list[FundingTag]]:
    """Each listing's tags, by code, for many listings in one query."""
    return _tags_by(ListingTag.listing_id, ListingTag.tag_id, listing_ids)


def exchange_tags(exchange_ids: Iterable[int]) -> dict[int, list[FundingTag]]:
    """Each exchange's own tags, by code, for many exchanges in one query."""
    return _tags_by(ExchangeTag.exchange_id, ExchangeTag.tag_id, exchange_ids)


def _tags_by(owner, tag_id, owner_ids: Iterable[int]) -> dict[int, list[FundingTag]]:
    """{owner id: its tags by code} from a link table's owner and tag columns, in one query."""
    found: dict[int, list[FundingTag]] = defaultdict(list)
    ids = list(owner_ids)
    if ids:
        for owner_id, tag in db.session.execute(select(owner, FundingTag).join(FundingTag, FundingTag.id == tag_id)
                                                .where(owner.in_(ids)).order_by(FundingTag.code)):
            found[owner_id].append(tag)
    return found


def tags_through_listings(exchange: Exchange) -> list[tuple[FundingTag, Listing]]:
    """Tags the exchange's help counts under because a listing it answers carries them."""
    listing_ids = {i for leg in exchange.legs for i in (leg.offer_listing_id, leg.need_listing_id) if i}
    found = listing_tags(listing_ids)
    listings = {listing.id: listing for listing in db.session.scalars(select(Listing).where(Listing.id.in_(listing_ids)))}
    return sorted(((tag, listings[listing_id]) for listing_id, tags in found.items() for tag in tags),
                  key=lambda pair: (pair[0].code, pair[1].id))


def usage(tag_ids: Iterable[int] | None = None) -> dict[int, tuple[int, int]]:
    """For each tag: how many listings and how many exchanges carry it."""
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for i, model in enumerate((ListingTag, ExchangeTag)):
        query = select(model.tag_id, func.count()).group_by(model.tag_id)
        if tag_ids is not None:
            query = query.where(model.tag_id.in_(list(tag_ids)))
        for tag_id, count in db.session.execute(query):
            counts[tag_id][i] = count
    return {tag_id: (n[0], n[1]) for tag_id, n in counts.items()}


# -- the list (coordinators) -------------------------------------------------------------------

def _clean(values: dict, *, ignore_id: int | None = None) -> dict:
    """The values of a tag, checked; each problem names the field it belongs beside."""
    data = {key: values.get(key) for key in TAG_FIELDS}
    code = re.sub(r"\s+", "", str(data["code"] or "")).upper()
    if not code:
        raise DomainError("Enter a short code, like NLCF-FOOD-26", field="code")
    if not re.fullmatch(CODE_PATTERN, code):
        raise DomainError("Enter a code of 2 to 20 letters, numbers and hyphens, starting with a letter or "
                          "number, like NLCF-FOOD-26", field="code")
    taken = db.session.scalar(select(FundingTag).where(FundingTag.code == code))
    if taken is not None and taken.id != ignore_id:
        raise Conflict(f"{code} is already the code of \u201c{taken.name}\u201d: choose another", field="code")
    data["code"] = code
    for key, what, most in (("name", "the programme, fund or grant's name", 200), ("funder", "the funder", 200)):
        text = " ".join(str(data[key] or "").split())
        if not text:
            raise DomainError(f"Enter {what}", field=key)
        if len(text) > most:
            raise DomainError(f"{key.capitalize()} must be {most} characters or fewer", field=key)
        data[key] = text
    if data["kind"] not in FUNDING_KINDS:
        raise DomainError("Choose whether it is a programme, a fund or a grant", field="kind")
    if not isinstance(data["starts_on"], date):
        raise DomainError("Enter the date it starts", field="starts_on")
    if data["ends_on"] is not None and data["ends_on"] < data["starts_on"]:
        raise DomainError("The end date must be on or after the start date", field="ends_on")
    data["open_to_all"] = bool(data["open_to_all"])
    return data


def create_tag(actor: User, **values) -> FundingTag:
    require_coordinator(actor, "keep the list of programmes, funds and grants")
    data = _clean(values)
    tag = FundingTag(**data, created_by_id=actor.id, updated_by_id=actor.id)
    try:
        with db.session.begin_nested():
            db.session.add(tag)
            db.session.flush()
    except IntegrityError:
        _clean(values)  # another request (a double click) took the code since the check: say so beside it
        raise
    record(actor, "funding.created", tag, f"Added {tag.kind_label.lower()} {tag.code}: {tag.name}",
           **{key: getattr(tag, key) for key in TAG_FIELDS})
    return tag


def change_tag(tag: FundingTag, actor: User, **values) -> FundingTag:
    require_coordinator(actor, "keep the list of programmes, funds and grants")
    data = _clean(values, ignore_id=tag.id)
    changed = {key: [getattr(tag, key), value] for key, value in data.items() if getattr(tag, key) != value}
    if not changed:
        return tag
    try:
        with db.session.begin_nested():
            for key, value in data.items():
                setattr(tag, key, value)
            tag.updated_by_id = actor.id
            db.session.flush()
    except IntegrityError:
        _clean(values, ignore_id=tag.id)  # another request took the code since the check
        raise
    record(actor, "funding.changed", tag, f"Changed {tag.code}: {', '.join(k.replace('_', ' ') for k in changed)}",
           changes=changed)
    return tag


def add_member(tag: FundingTag, actor: User, member: Member) -> FundingTagMember:
    require_coordinator(actor, "keep the list of programmes, funds and grants")
    if member.id in member_ids_of(tag):
        raise Conflict(f"{member.name} is already part of {tag.code}", field="member_id")
    if member.status != "active":
        raise DomainError(f"{member.name} is not an active member", field="member_id")
    try:
        with db.session.begin_nested():
            link = FundingTagMember(tag=tag, member_id=member.id, added_by_id=actor.id)
            db.session.add(link)
            db.session.flush()
    except IntegrityError:
        db.session.expire(tag, ["members"])
        if member.id in member_ids_of(tag):  # another request (a double click) added it since the check
            raise Conflict(f"{member.name} is already part of {tag.code}", field="member_id") from None
        raise
    record(actor, "funding.member_added", tag, f"{member.name} is part of {tag.code}", member_id=member.id)
    return link


def remove_member(tag: FundingTag, actor: User, member: Member) -> None:
    """The member may no longer tag with it; what it tagged already stays tagged (and counted)."""
    require_coordinator(actor, "keep the list of programmes, funds and grants")
    link = next((m for m in tag.members if m.member_id == member.id), None)
    if link is None:
        raise NotFound(f"{member.name} is not part of {tag.code}")
    tag.members.remove(link)
    db.session.flush()
    record(actor, "funding.member_removed", tag, f"{member.name} is no longer part of {tag.code}", member_id=member.id)


# -- tagging -----------------------------------------------------------------------------------

def _wanted(tag_ids: Iterable[int], usable: list[FundingTag], whose: str, have: set[int]) -> set[int]:
    """The ids asked for, refusing only new ones the actor may not use. Ids already on the row that
    it may not use (another party's, or a coordinator's) are let through: sending back the list a
    read gave is not asking to add them, and _apply neither adds nor removes them."""
    wanted = set(tag_ids)
    allowed = {tag.id for tag in usable}
    unknown = wanted - allowed - have
    if unknown:
        known = set(db.session.scalars(select(FundingTag.id).where(FundingTag.id.in_(unknown))))
        if unknown - known:
            raise DomainError("Choose programmes, funds or grants from the list", field="tags")
        names = ", ".join(sorted(db.session.scalars(select(FundingTag.code).where(FundingTag.id.in_(unknown)))))
        raise NotAllowed(f"{whose} is not part of {names}: a coordinator decides who may use each programme, "
                         "fund or grant", field="tags")
    return wanted


def _apply(model, key: str, row_id: int, current: list, wanted: set[int], usable: list[FundingTag],
           actor: User) -> tuple[list[str], list[str]]:
    """Add the wanted tags, remove the usable ones not wanted; others' tags stay. (added, removed) codes."""
    allowed = {tag.id: tag for tag in usable}
    have = {link.tag_id for link in current}
    added = sorted(wanted - have)
    removed = sorted((have & set(allowed)) - wanted)
    try:
        with db.session.begin_nested():
            for tag_id in added:
                db.session.add(model(**{key: row_id}, tag_id=tag_id, tagged_by_id=actor.id))
            if removed:
                db.session.execute(delete(model).where(getattr(model, key) == row_id, model.tag_id.in_(removed)))
            db.session.flush()
    except IntegrityError:
        # Another request added one of these since `current` was read (two people saving at once).
        now = set(db.session.scalars(select(model.tag_id).where(getattr(model, key) == row_id)))
        codes = [allowed[i].code for i in added if i in now]
        if not codes:
            raise
        raise Conflict(f"{', '.join(codes)} {'was' if len(codes) == 1 else 'were'} added by someone else at the "
                       "same time: look at the list again and save", field="tags") from None
    return [allowed[i].code for i in added], [allowed[i].code for i in removed]


def _summary(added: list[str], removed: list[str]) -> str:
    parts = []
    if added:
        parts.append(f"Tagged with {', '.join(added)}")
    if removed:
        parts.append(f"{'untagged' if parts else 'Untagged'} {', '.join(removed)}")
    return "; ".join(parts)


def set_listing_tags(listing: Listing, actor: User, tag_ids: Iterable[int]) -> tuple[list[str], list[str]]:
    """Tag a listing with exactly these of the tags the actor may use (others' tags stay)."""
    if not can_act_for(actor, listing.member):
        raise NotAllowed("You can only tag your own organisation's listings")
    usable = usable_tags(actor, [listing.member])
    current = list(db.session.scalars(select(ListingTag).where(ListingTag.listing_id == listing.id)))
    wanted = _wanted(tag_ids, usable, listing.member.name, {link.tag_id for link in current})
    added, removed = _apply(ListingTag, "listing_id", listing.id, current, wanted, usable, actor)
    if added or removed:
        record(actor, "listing.tagged", listing, f"{_summary(added, removed)} on \u201c{listing.title}\u201d",
               member_id=listing.member_id, added=added, removed=removed)
    return added, removed


def _acting_parties(actor: User, exchange: Exchange) -> list[Member]:
    return [party.member for party in exchange.parties if can_act_for(actor, party.member)]


def set_exchange_tags(exchange: Exchange, actor: User, tag_ids: Iterable[int]) -> tuple[list[str], list[str]]:
    """Tag an exchange with exactly these of the tags the actor may use (others' tags stay)."""
    mine = _acting_parties(actor, exchange)
    if not actor.is_coordinator and not mine:
        raise NotAllowed("You can only tag exchanges your organisation is in")
    usable = usable_tags(actor, mine)
    current = list(db.session.scalars(select(ExchangeTag).where(ExchangeTag.exchange_id == exchange.id)))
    wanted = _wanted(tag_ids, usable, " and ".join(m.name for m in mine) or "You", {link.tag_id for link in current})
    added, removed = _apply(ExchangeTag, "exchange_id", exchange.id, current, wanted, usable, actor)
    if added or removed:
        record(actor, "exchange.tagged", exchange, _summary(added, removed),
               member_id=mine[0].id if len(mine) == 1 else None, added=added, removed=removed)
    return added, removed


def exchange_usable_tags(actor: User, exchange: Exchange) -> list[FundingTag]:
    return usable_tags(actor, _acting_parties(actor, exchange))


def legs_tagged(tag_id: int):
    """A condition on Leg: its exchange carries the tag, or a listing it answers does."""
    by_exchange = select(ExchangeTag.exchange_id).where(ExchangeTag.tag_id == tag_id)
    by_listing = select(ListingTag.listing_id).where(ListingTag.tag_id == tag_id)
    return or_(Leg.exchange_id.in_(by_exchange), Leg.offer_listing_id.in_(by_listing),
               Leg.need_listing_id.in_(by_listing))



def tags_for_reports(member: Member | None = None) -> list[FundingTag]:
    """The tags a report can be cut by: all of them for the sector's reports; for a member's own,
    those it is part of and those on its listings, its exchanges or the listings its help answered."""
    if member is None:
        return all_tags()
    m = member.id
    legs = select(Leg.exchange_id, Leg.offer_listing_id, Leg.need_listing_id).where(
        or_(Leg.giver_member_id == m, Leg.receiver_member_id == m)).subquery()
    listings = select(Listing.id).where(Listing.member_id == m).union(
        select(legs.c.offer_listing_id), select(legs.c.need_listing_id))
    exchanges = select(legs.c.exchange_id)
    found = select(FundingTag).where(or_(
        FundingTag.open_to_all,
        FundingTag.id.in_(select(FundingTagMember.tag_id).where(FundingTagMember.member_id == m)),
        FundingTag.id.in_(select(ListingTag.tag_id).where(ListingTag.listing_id.in_(listings))),
        FundingTag.id.in_(select(ExchangeTag.tag_id).where(ExchangeTag.exchange_id.in_(exchanges)))))
    return list(db.session.scalars(found.order_by(FundingTag.starts_on.desc(), FundingTag.code)))


def codes_by_record() -> dict[int, list[str]]:
    """For each leg that counts under a tag: the codes of the tags it counts under (for CSV rows).

    Read whole (two joins over the tag tables, which hold only what was tagged), not per leg."""
    found: dict[int, set[str]] = defaultdict(set)
    through_exchange = (select(Leg.id, FundingTag.code).join(ExchangeTag, ExchangeTag.exchange_id == Leg.exchange_id)
                        .join(FundingTag, FundingTag.id == ExchangeTag.tag_id))
    through_listing = (select(Leg.id, FundingTag.code)
                       .join(ListingTag, or_(ListingTag.listing_id == Leg.offer_listing_id,
                                             ListingTag.listing_id == Leg.need_listing_id))
                       .join(FundingTag, FundingTag.id == ListingTag.tag_id))
    for query in (through_exchange, through_listing):
        for leg_id, code in db.session.execute(query):
            found[leg_id].add(code)
    return {leg_id: sorted(codes) for leg_id, codes in found.items()}
