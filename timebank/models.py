"""Every model, imported in one place so that Alembic and `create_all` see all tables."""
from timebank.accounts.models import Coordinator, User
from timebank.audit.models import AuditEvent
from timebank.exchanges.models import DeclinedPair, Exchange, Leg, MatcherRun, Party
from timebank.listings.models import Category, Listing
from timebank.members.models import Asset, ComplianceRecord, Invitation, Member, Membership
from timebank.notifications.models import EmailPreference, Notification

__all__ = [
    "Asset", "AuditEvent", "Category", "ComplianceRecord", "Coordinator", "EmailPreference", "Invitation", "Listing",
    "Member", "Membership", "Notification", "User",
]
