"""Every model, imported in one place so that Alembic and `create_all` see all tables."""
from timebank.accounts.models import Coordinator, User
from timebank.listings.models import Category, Listing
from timebank.members.models import Asset, ComplianceRecord, Member, Membership

__all__ = ["Asset", "Category", "ComplianceRecord", "Coordinator", "Listing", "Member", "Membership", "User"]
