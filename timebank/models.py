"""Every model, imported in one place so that Alembic and `create_all` see all tables."""
from timebank.accounts.models import AccountLink, Coordinator, LoginSession, User
from timebank.accounts.tokens import ApiToken
from timebank.api.models import AllowedOrigin, IdempotentRequest
from timebank.audit.models import AuditEvent
from timebank.bookings.models import Booking, BookingSeries, CalendarFeed, Loan
from timebank.case_studies.models import CaseStudy
from timebank.conversations.models import Message
from timebank.exchanges.models import DeclinedPair, Exchange, Leg, Party
from timebank.exchanges.policy import DirectPolicy
from timebank.exchanges.reminders import Reminder
from timebank.funding.models import ExchangeTag, FundingTag, FundingTagMember, ListingTag
from timebank.ledger.models import Account, LedgerEntry, Posting
from timebank.matcher.schedule import MatcherSchedule
from timebank.listings.models import Category, Listing, ListingDate
from timebank.listings.words import SearchVocabulary, SearchWord, SearchWordTrigram
from timebank.matcher.models import MatcherRun
from timebank.members.models import Asset, ComplianceRecord, Invitation, Member, Membership
from timebank.notifications.models import EmailPreference, Notification
from timebank.operations.models import JobRun
from timebank.reports.models import NetworkFigureSet, ValuationRate
from timebank.saved_searches.models import SavedSearch

__all__ = [
    "Account", "AccountLink", "AllowedOrigin", "ApiToken", "Asset", "AuditEvent", "Category", "ComplianceRecord", "Coordinator", "EmailPreference", "Invitation", "JobRun",
    "LedgerEntry", "Listing", "LoginSession", "MatcherRun", "Member", "Membership", "Notification", "Posting", "SearchWord", "SearchWordTrigram", "User",
    "Booking", "BookingSeries", "CalendarFeed", "Loan",
    "ValuationRate", "Reminder", "Message", "DirectPolicy", "ListingDate", "MatcherSchedule", "SavedSearch",
    "SearchVocabulary", "IdempotentRequest", "ExchangeTag", "FundingTag", "FundingTagMember", "ListingTag",
    "NetworkFigureSet", "CaseStudy",
]
