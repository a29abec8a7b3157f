"""Who may see or change a listing: the loader both edges use (the web passes `current_user`, the API
`actor()`). It raises NotFound / NotAllowed, which the web shows as its 404 / 403 pages and the API
as problems; nothing here reads the request."""
from __future__ import annotations

from sqlalchemy.orm import joinedload

from timebank.accounts.models import User
from timebank.errors import NotAllowed, NotFound
from timebank.extensions import db
from timebank.listings.models import Category, Listing
from timebank.members.access import can_act_for

NEEDS = ("view", "act")


def load_listing(listing_id: int, user: User, *, need: str = "view") -> Listing:
    """The listing, for anyone while its member is active, else for its member's people and the
    coordinators only (NotFound for others); with need="act", NotAllowed unless `user` acts for its member."""
    if need not in NEEDS:
        raise ValueError(need)
    # Its member and category path come in the same query: every page of a listing shows them.
    listing = db.session.get(Listing, listing_id, options=[
        joinedload(Listing.member), joinedload(Listing.category).joinedload(Category.parent)])
    if listing is None or (listing.member.status != "active" and not can_act_for(user, listing.member)):
        raise NotFound(f"There is no listing {listing_id}")
    if need == "act" and not can_act_for(user, listing.member):
        raise NotAllowed("You can only change your own organisation's listings")
    return listing
