"""What each kind of organisation plausibly offers and needs: the table the demo and the simulation draw from.

A member's *type* (charity, CIC, business, ...) is its legal form; its *kind* is what it does,
and what it does decides what it can give. A food bank has volunteers who pack parcels, a van
and surplus storage, and needs drivers and a treasurer; an accountancy firm has bookkeepers and
a meeting room, and needs nothing from the sector. Every slug is a category of
``seed/categories.json`` with a listing template in ``seed/listing_templates.py``; the demo
gives each organisation a kind (``seed/organisations.py``) and only posts what its kind has, and
``tests/matcher/test_demo.py`` checks that no proposed leg gives something its giver's kind
would not have.

``share`` is how common the kind is among a borough's members, used by the simulation
(``bench/simulate.py``): a guess from the demo sector's own mix (44 organisations and 12
businesses drawn from One Knowsley's kind of membership), not a published figure.
"""
from __future__ import annotations

from dataclasses import dataclass

# Employee volunteering: what a firm's staff give on their volunteering days, whatever the firm does.
STAFF_DAYS = ("litter-picks-and-clean-ups", "gardening-and-growing", "painting-and-decorating", "food-bank-shifts",
              "event-stewarding")
# What almost every small organisation runs short of: money, governance, people, a voice online.
BACK_OFFICE = ("bookkeeping", "bid-writing", "audit-and-independent-examination", "trustee-recruitment",
               "policies-and-procedures", "data-protection-uk-gdpr", "it-support", "website-building", "social-media",
               "graphic-design", "copywriting", "volunteer-management")


@dataclass(frozen=True)
class Kind:
    """One kind of organisation: its usual legal form and what it gives and asks for (category slugs)."""

    name: str
    member_type: str
    offers: tuple[str, ...]            # time and skills its people give
    needs: tuple[str, ...]
    rooms: tuple[str, ...] = ()        # rooms it may lend (room categories)
    equipment: tuple[str, ...] = ()    # equipment it may lend
    share: float = 0.0

    @property
    def business(self) -> bool:
        return self.member_type == "business"

    def gives(self, slug: str) -> bool:
        """Whether an organisation of this kind could plausibly give help in category ``slug``."""
        return slug in self.offers or slug in self.rooms or slug in self.equipment


KINDS: dict[str, Kind] = {k.name: k for k in (
    # -- the voluntary, community and social-enterprise sector ------------------------------------------
    Kind("food bank", "charity",
         offers=("food-bank-shifts", "food-hygiene-training"),
         needs=("van-and-driver", "food-bank-shifts", "bookkeeping", "it-support", "diy-and-repairs", "social-media",
                "volunteer-management", "catering-equipment"),
         rooms=("storage-space",), share=0.07),
    Kind("youth club", "community_group",
         offers=("event-stewarding", "litter-picks-and-clean-ups", "minibus"),
         needs=("bid-writing", "first-aid-training", "social-media", "website-building", "painting-and-decorating",
                "policies-and-procedures", "pa-system", "photography-and-video", "befriending"),
         rooms=("sports-facility", "hall"), equipment=("gazebo",), share=0.08),
    Kind("arts and theatre", "cio",
         offers=("event-stewarding", "photography-and-video", "graphic-design", "copywriting"),
         needs=("bid-writing", "social-media", "website-building", "bookkeeping", "storage-space", "minibus",
                "van-and-driver"),
         rooms=("hall",), equipment=("pa-system", "projector-and-screen"), share=0.05),
    Kind("older people's group", "community_group",
         offers=("food-bank-shifts", "event-stewarding"),
         needs=("minibus", "befriending", "it-support", "food-hygiene-training", "tables-and-chairs",
                "catering-equipment", "hall", "audit-and-independent-examination"),
         share=0.08),
    Kind("community centre", "cic",
         offers=("employability-and-cv-help", "it-support", "event-stewarding", "data-and-spreadsheets"),
         needs=("painting-and-decorating", "diy-and-repairs", "bookkeeping", "bid-writing", "graphic-design",
                "hr-advice", "legal-advice", "gardening-and-growing", "event-stewarding"),
         rooms=("meeting-room", "hall", "kitchen", "office-desk"), equipment=("laptops-and-tablets",
                                                                            "tables-and-chairs"), share=0.07),
    Kind("residents' group", "community_group",
         offers=("litter-picks-and-clean-ups", "gardening-and-growing", "befriending"),
         needs=("gazebo", "pa-system", "graphic-design", "meeting-room", "event-stewarding", "social-media",
                "hall"),
         share=0.08),
    Kind("advice and support charity", "charity",
         offers=("befriending", "policies-and-procedures", "volunteer-management", "mentoring-and-coaching"),
         needs=("hr-advice", "data-protection-uk-gdpr", "it-support", "bookkeeping", "meeting-room", "befriending",
                "website-building", "copywriting"),
         rooms=("meeting-room",), share=0.10),
    Kind("environmental group", "community_group",
         offers=("gardening-and-growing", "litter-picks-and-clean-ups"),
         needs=("gardening-tools", "diy-and-repairs", "social-media", "van-and-driver", "first-aid-training",
                "event-stewarding", "meeting-room", "photography-and-video"),
         equipment=("gardening-tools",), share=0.07),
    Kind("family support", "charity",
         offers=("befriending", "event-stewarding"),
         needs=("diy-and-repairs", "painting-and-decorating", "first-aid-training", "storage-space", "van-and-driver",
                "policies-and-procedures", "hr-advice", "hall", "gardening-and-growing"),
         share=0.07),
    Kind("refugee and community group", "cio",
         offers=("befriending", "event-stewarding", "food-bank-shifts"),
         needs=("legal-advice", "employability-and-cv-help", "meeting-room", "it-support", "kitchen",
                "laptops-and-tablets"),
         share=0.04),
    Kind("faith group", "faith_group",
         offers=("befriending", "food-bank-shifts", "event-stewarding"),
         needs=("painting-and-decorating", "diy-and-repairs", "bookkeeping", "catering-equipment",
                "food-hygiene-training", "social-media"),
         rooms=("hall", "kitchen", "meeting-room"), equipment=("tables-and-chairs",), share=0.06),
    Kind("heritage and music", "charity",
         offers=("copywriting", "photography-and-video", "event-stewarding"),
         needs=("website-building", "social-media", "graphic-design", "hall", "projector-and-screen",
                "data-protection-uk-gdpr"),
         equipment=("pa-system",), share=0.04),
    Kind("sports club", "community_group",
         offers=("event-stewarding", "litter-picks-and-clean-ups"),
         needs=("bookkeeping", "volunteer-management", "painting-and-decorating", "social-media", "first-aid-training",
                "minibus"),
         rooms=("sports-facility", "meeting-room"), equipment=("gazebo",), share=0.04),
    Kind("credit union", "cic",
         offers=("bookkeeping", "data-and-spreadsheets", "employability-and-cv-help"),
         needs=("social-media", "graphic-design", "it-support", "volunteer-management"),
         rooms=("meeting-room",), share=0.01),
    Kind("men's shed", "cio",
         offers=("diy-and-repairs", "painting-and-decorating", "gardening-and-growing"),
         needs=("bid-writing", "storage-space", "van-and-driver", "first-aid-training", "social-media", "minibus"),
         equipment=("power-tools", "gardening-tools"), share=0.02),
    Kind("school", "public_body",
         offers=("event-stewarding", "litter-picks-and-clean-ups", "employability-and-cv-help"),
         needs=("employability-and-cv-help", "gardening-and-growing", "photography-and-video"),
         rooms=("sports-facility", "hall", "meeting-room", "kitchen"),
         equipment=("laptops-and-tablets", "projector-and-screen"), share=0.02),
    Kind("council team", "public_body",
         offers=("policies-and-procedures", "volunteer-management", "trustee-recruitment", "bid-writing"),
         needs=("event-stewarding", "litter-picks-and-clean-ups", "photography-and-video", "befriending"),
         rooms=("meeting-room",), equipment=("gazebo", "pa-system", "tables-and-chairs"), share=0.01),
    Kind("traders' association", "community_group",
         offers=("event-stewarding", "litter-picks-and-clean-ups"),
         needs=("graphic-design", "social-media", "pa-system", "gazebo", "website-building"),
         equipment=("gazebo", "tables-and-chairs"), share=0.01),
    # -- businesses: pro-bono skills, employee volunteering, rooms and kit ------------------------------
    Kind("accountancy firm", "business",
         offers=("bookkeeping", "payroll", "audit-and-independent-examination", "data-and-spreadsheets",
                 "trustee-recruitment", "mentoring-and-coaching", "bid-writing") + STAFF_DAYS,
         needs=(), rooms=("meeting-room",), share=0.015),
    Kind("logistics firm", "business",
         offers=("van-and-driver", "minibus") + STAFF_DAYS,
         needs=(), rooms=("storage-space",), share=0.01),
    Kind("print and design studio", "business",
         offers=("graphic-design", "copywriting", "photography-and-video", "social-media"),
         needs=(), share=0.01),
    Kind("IT company", "business",
         offers=("it-support", "website-building", "data-and-spreadsheets", "social-media", "data-protection-uk-gdpr"),
         needs=(), equipment=("laptops-and-tablets", "projector-and-screen"), share=0.01),
    Kind("manufacturer", "business",
         offers=STAFF_DAYS + ("diy-and-repairs", "first-aid-training", "mentoring-and-coaching",
                              "employability-and-cv-help"),
         needs=(), equipment=("power-tools", "gazebo"), share=0.015),
    Kind("law firm", "business",
         offers=("legal-advice", "policies-and-procedures", "data-protection-uk-gdpr", "trustee-recruitment",
                 "hr-advice"),
         needs=(), rooms=("meeting-room",), share=0.01),
    Kind("builders' merchant", "business",
         offers=("diy-and-repairs", "painting-and-decorating", "van-and-driver", "gardening-and-growing"),
         needs=(), equipment=("power-tools", "gardening-tools"), share=0.005),
    Kind("conference venue", "business",
         offers=("event-stewarding",),
         needs=(), rooms=("meeting-room", "hall", "office-desk"),
         equipment=("projector-and-screen", "pa-system", "tables-and-chairs"), share=0.005),
    Kind("energy company", "business",
         offers=STAFF_DAYS + ("mentoring-and-coaching", "first-aid-training"),
         needs=(), share=0.01),
    Kind("retail park", "business",
         offers=("event-stewarding", "litter-picks-and-clean-ups"),
         needs=(), rooms=("meeting-room", "hall", "storage-space"), equipment=("gazebo", "tables-and-chairs"),
         share=0.005),
    Kind("HR consultancy", "business",
         offers=("hr-advice", "volunteer-management", "mentoring-and-coaching", "policies-and-procedures",
                 "employability-and-cv-help"),
         needs=(), share=0.01),
    Kind("caterer", "business",
         offers=("food-hygiene-training", "food-bank-shifts"),
         needs=(), rooms=("kitchen",), equipment=("catering-equipment", "tables-and-chairs"), share=0.005),
)}


def kind_of(name: str) -> Kind:
    """The kind called ``name`` (KeyError with the known names otherwise)."""
    try:
        return KINDS[name]
    except KeyError:
        raise KeyError(f"no kind of organisation called {name!r}; known: {sorted(KINDS)}") from None
