"""What the exchange holds, table by table: what a row is, how long it is kept and why, and which
columns a person's or a member's download gives.

This is the one list. docs/privacy.md's retention schedule is printed from it (`flask privacy
schedule`, checked by a test), the downloads read their columns from it, and the retention job
(`timebank/privacy/retention.py`) enforces the periods that end in a deletion. A test compares it
with the schema: a new table or column fails the suite until it is added here, either to `export`
(it goes into the downloads) or to `withheld` with the reason it does not.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Table:
    name: str
    what: str          # what one row is, in plain words
    keep: str          # how long it is kept
    why: str           # why that long
    export: str        # the columns the downloads give, in order, separated by spaces
    withhold: tuple[tuple[str, str], ...] = ()  # (column, why it is not given)
    personal: bool = True  # False: holds nothing about a person (still listed, with its period)

    @property
    def columns(self) -> list[str]:
        return self.export.split()

    @property
    def withheld(self) -> dict[str, str]:
        return dict(self.withhold)


TABLES: tuple[Table, ...] = (
    # -- people --------------------------------------------------------------------------------
    Table("users", "A person who can sign in: name, email, optional phone, password hash, sign-in record.",
          "While the account is used. Never-confirmed sign-ups: 30 days. No membership and no sign-in for 3 "
          "years: erased. Erased: the pseudonymous row ('Erased person N') only while ledger entries name it.",
          "To let the person sign in and act for their organisations; the ledger must say who made each entry.",
          "id email display_name phone created_at email_confirmed_at last_login_at failed_logins locked_until "
          "erased_at",
          (("password_hash", "A one-way hash: it cannot be turned back into the password and would only "
                             "help someone guess it."),)),
    Table("login_sessions", "One signed-in browser: when it started, whether it stays signed in, when it ends.",
          "Until it ends or expires (12 hours, or 30 days with “keep me signed in”), then 30 days; "
          "deleted when the person is erased.",
          "To sign the person in, and to end every session at once when they ask or change their password.",
          "id user_id remember created_at expires_at ended_at",
          (("secret_hash", "A one-way hash of the secret in the browser's cookie; it would help nobody."),)),
    Table("account_links", "An emailed link to confirm a sign-up or reset a password, and the name a sign-up "
          "gave.", "Until used or expired, then 30 days; deleted when the person is erased.",
          "A link works once, for a short time; the record shows a link was sent.",
          "id user_id purpose display_name created_at expires_at used_at",
          (("secret_hash", "A one-way hash of the link's secret; it would help nobody."),
           ("password_hash", "A one-way hash of the password a sign-up chose: it would only help someone guess it."))),
    Table("coordinators", "A person appointed as a One Knowsley coordinator, when and by whom.",
          "While they are a coordinator; removed when they are erased.",
          "Coordinators may see and change every member's records: who they are must be known.",
          "user_id appointed_at appointed_by_id"),
    Table("memberships", "A person's place in an organisation (admin or staff), or their request to join.",
          "While they belong; deleted when they leave, are removed, or are erased.",
          "To decide who may act for which organisation.",
          "id user_id member_id role status created_at"),
    Table("invitations", "An emailed invitation to join an organisation: the invitee's email, role, who sent it.",
          "90 days after it was answered, cancelled or sent; deleted at once when the invitee is erased.",
          "Long enough to answer questions about who was invited; the link itself works for 14 days.",
          "id member_id email role status invited_by_id created_at answered_at",
          (("secret_hash", "A one-way hash of the invitation link's secret; it would help nobody."),)),
    Table("api_tokens", "A person's API token: its name, scope, first characters and when it was used.",
          "Until revoked, then 90 days; deleted when the person is erased.",
          "To let the person's own systems use the exchange, and to show which token did what.",
          "id user_id name prefix scope created_at last_used_at revoked_at",
          (("token_hash", "A one-way hash of the secret; the secret itself is never stored."),)),
    Table("api_idempotent_requests", "The answer to an API request sent with an Idempotency-Key, kept so that "
          "the same request sent again gets the same answer.",
          "24 hours (the purge-idempotency-keys job); deleted with the token.",
          "A system that retries after a lost connection must not make a second listing or payment.",
          "id token_id key status_code created_at",
          (("fingerprint", "A one-way hash of the request, used only to notice a key reused for another request."),
           ("body", "A copy of the answer the system was already given; what it says is in the other files."),
           ("headers", "The headers of that answer (its location and tag), as for the body."))),
    Table("api_allowed_origins", "A website (its address) whose pages coordinators allow to call the API from a "
          "browser, with a note and who added it.", "Until a coordinator removes it.",
          "Browsers refuse such calls unless the exchange names the website.",
          "id origin note added_by_id created_at"),
    Table("email_preferences", "A topic a person turned email off (or back on) for.",
          "With the account; deleted when the person is erased.",
          "To respect the person's choice.",
          "id user_id topic by_email"),
    Table("saved_searches", "A directory search a person saved (its words, kind, place, distance and day), "
          "emailed to them weekly with what is new.", "Until they delete it; deleted when the person is erased.",
          "To send them the digest they asked for.",
          "id user_id name keyword kind direction category_id town ward postcode within_km day created_at "
          "covered_until"),
    Table("notifications", "A message shown to one person in the app (and emailed unless they turned it off).",
          "12 months after it was made.", "People look back over recent events; older ones are in the history.",
          "id user_id topic text url created_at read_at"),
    # -- organisations ---------------------------------------------------------------------------
    Table("members", "An organisation or business: its profile, contact email and phone, vetting decision.",
          "While it takes part. A rejected application: 12 months after the decision.",
          "Members appear in the directory, exchanges and the ledger; a rejection may be asked about.",
          "id name type description areas_served charity_number company_number website contact_email "
          "contact_phone postcode town ward latitude longitude location_precision status status_reason "
          "credit_limit created_at decided_at decided_by_id open_data_consent open_data_consent_at"),
    Table("compliance_records", "A safeguarding policy, insurance policy, or DBS checks of some volunteers "
          "(level, people covered, a role or initials, dates, decision; no certificate number unless a need is "
          "documented).",
          "DBS records: 6 months after the decision (or the issue date, with no decision). Insurance and "
          "safeguarding: 6 years after they lapse.",
          "DBS: the DBS code of practice and the privacy notice. Others: evidence that cover was checked "
          "for past exchanges, for as long as a claim could be made.",
          "id member_id kind policy_held insurer cover_amount dbs_level people certificate_number holder "
          "decision decided_on issued_on expires_on created_at"),
    Table("assets", "A room or item of equipment a member lends.", "While the member lists it.",
          "Bookings and loans refer to it.",
          "id member_id kind name description capacity step_free facilities opening_hours condition electrical "
          "pat_tested_on pat_result pat_due_on deposit insurance_required book_ahead_days longest_booking_hours "
          "longest_loan_days created_at"),
    Table("calendar_feeds", "The version of a member's secret calendar link, and who last reset it.",
          "While the member takes part.", "A new link ends the old one.",
          "member_id version reset_at reset_by_id"),
    Table("categories", "The taxonomy of kinds of help.", "For the life of the exchange.",
          "Listings and rates refer to it.", "id slug name parent_id", personal=False),
    Table("listings", "An offer or need: what, when, where, requirements, free-text description.",
          "While the member takes part; exchanges and reports refer to them.",
          "The directory, the matcher and the Social Value reports.",
          "id member_id direction kind category_id title description quantity people available_from "
          "available_until weekly_pattern location postcode town ward latitude longitude location_precision "
          "travel_km min_dbs_level "
          "needs_step_free min_capacity needs_insurance urgency is_gift partial_ok expires_on expiry_warned_for status "
          "asset_id "
          "created_at updated_at"),
    Table("listing_dates", "A day a listing is available on, when it gives days rather than a range.",
          "With its listing.", "The matcher and the directory read the days.",
          "id listing_id day parts", personal=False),
    Table("search_words", "A word of the open listings' titles and descriptions, for search that forgives "
          "typos.", "Rebuilt every night from the open listings, and at once when a person is erased.",
          "It is an index of the listings, nothing more.", "id word base trigram_count listings", personal=False),
    Table("search_vocabulary", "One row: how many times a word has left the search words.", "For the life of the "
          "exchange.", "So every worker forgets a withdrawn listing's or an erased person's words at once.", "id generation", personal=False),
    Table("search_word_trigrams", "The three-letter pieces of each search word.", "As for search words.",
          "As for search words.", "trigram word_id", personal=False),
    # -- exchanges -------------------------------------------------------------------------------
    Table("matcher_runs", "One run of the matcher: its policy, figures, who started it.",
          "2 years after it finished (the exchanges it proposed are kept).",
          "To explain recent proposals and compare runs.",
          "id started_by_id status policy progress message stats error created_at started_at finished_at"),
    Table("exchanges", "A proposed, approved or completed exchange: its story, decision and reason.",
          "With the ledger while any of its parts posted credits; one that never went ahead (voided, "
          "rejected, expired): 12 months after it ended.",
          "The ledger names the exchange it paid for; Social Value reports count completed ones.",
          "id run_id shape status story score asked_by_member_id created_by_id created_at expires_at decided_by_id "
          "decided_at decision_reason schedule_override_reason completed_at",
          (("version", "A counter that stops two coordinators approving at once; it says nothing about "
                       "anyone."),)),
    Table("exchange_parties", "A member's answer to an exchange: accepted or declined, by whom, when, why.",
          "With its exchange.", "Everyone in an exchange sees who answered.",
          "id exchange_id member_id status responded_by_id responded_at reason"),
    Table("legs", "One member's help to another in an exchange: planned and actual hours, who confirmed, "
          "dispute and settlement.",
          "With its exchange.", "The ledger's entries and the reports are built on legs.",
          "id exchange_id position giver_member_id receiver_member_id offer_listing_id need_listing_id kind "
          "category_id description hours people is_gift score reason status proposed_start proposed_end "
          "min_dbs_level needs_insurance scheduled_start scheduled_end "
          "actual_hours actual_people happened_on delivered_at confirmed_at confirmed_by_id dispute_reason "
          "giver_side giver_side_at settled_by_id settlement_note cancel_reason",
          (("version", "A counter that stops two confirmations at once; it says nothing about anyone."),)),
    Table("exchange_change_requests", "A party's request to change or withdraw from an approved exchange, "
          "with its reason, who asked, and who dealt with it.", "With its exchange.",
          "Coordinators act on it; everyone in the exchange is told.",
          "id exchange_id leg_id member_id reason created_by_id created_at resolved_at resolved_by_id"),
    Table("reminders", "A reminder sent to a member's people to answer an exchange or confirm a part, and "
          "the coordinator who sent it (none: the daily job).",
          "12 months after it was sent (sooner if its exchange goes).",
          "So nobody is reminded twice a day, and the work queue shows when; after a year it says nothing "
          "anyone needs.",
          "id kind exchange_id leg_id leg_key member_id sent_on sent_at sent_by_id"),
    Table("messages", "A message in an exchange's conversation: who wrote it, for which member, the text.",
          "With its exchange. When its writer is erased, their name, email and phone are replaced in every "
          "message (theirs and others'), and what they wrote stays under the pseudonym.",
          "The exchange's people arrange the help in it; a dispute may turn on what was said.",
          "id exchange_id author_id member_id body created_at"),
    Table("declined_pairs", "An offer and need that were declined together, so they are not proposed again.",
          "While both listings exist.", "So nobody is asked the same thing twice.",
          "id offer_listing_id need_listing_id declined_by_member_id exchange_id reason created_at"),
    Table("bookings", "A room booking: when, by whom, notes, cancellation.",
          "6 years after it ended.", "Evidence of use of premises, for as long as a claim could be made.",
          "id asset_id member_id leg_id series_id starts_at ends_at status note created_by_id created_at "
          "cancelled_by_id cancelled_at cancel_reason completed_at"),
    Table("booking_series", "A room booked at the same time every week or fortnight: the days, times, how "
          "many, the note, who asked.",
          "6 years after it was made, once none of its bookings is left.",
          "Its bookings name it; it says what was asked for.",
          "id asset_id member_id first_day starts_time ends_time every_weeks times note created_by_id created_at"),
    Table("loans", "An equipment loan: dates, condition out and back, who handed it over and took it back.",
          "6 years after it was returned or cancelled.",
          "Evidence of condition and of who had an item, for as long as a claim could be made.",
          "id asset_id member_id leg_id starts_on due_on status note created_by_id created_at checked_out_at "
          "checked_out_by_id condition_out pat_checked returned_at returned_by_id condition_in cancelled_by_id "
          "cancelled_at cancel_reason reminded_on"),
    Table("case_studies", "A short outcome or quote a member wrote about help in a completed exchange, who wrote "
          "it, and the other side's answer (asked, agreed, refused, withdrawn) and who gave it.",
          "With its exchange; its author's people (or a coordinator) delete it at any time. Deleted when the "
          "person who wrote it is erased; a name of an erased person in another's text is replaced.",
          "Reports show it only while the other side agrees; the record of the answer shows it did.",
          "id leg_id author_member_id kind text written_by_id written_at consent consent_by_id consent_at"),
    # -- funder reporting ------------------------------------------------------------------------
    Table("funding_tags", "A programme, fund or grant that help is reported against: code, name, funder, dates, "
          "who made and last changed it.", "For the life of the exchange.",
          "Reports for past periods are cut by them; tagged listings and exchanges name them.",
          "id code name kind funder starts_on ends_on open_to_all created_at created_by_id updated_at "
          "updated_by_id"),
    Table("funding_tag_members", "A member that is part of a programme, fund or grant, and who added it.",
          "While the member is part of it (a coordinator removes it); deleted with the member.",
          "It decides who may tag with it, and which members a report cut by it covers.",
          "id tag_id member_id added_at added_by_id"),
    Table("listing_funding_tags", "A listing tagged with a programme, fund or grant, and who tagged it.",
          "Until untagged; deleted with its listing.", "The help that answers the listing counts under the tag.",
          "id listing_id tag_id tagged_at tagged_by_id"),
    Table("exchange_funding_tags", "An exchange tagged with a programme, fund or grant, and who tagged it.",
          "Until untagged; deleted with its exchange.", "All of the exchange's help counts under the tag.",
          "id exchange_id tag_id tagged_at tagged_by_id"),
    Table("network_figures", "The collaboration network's figures for one period (member ids and counts, no "
          "names), as worked out at a time.", "25 hours (NETWORK_FIGURES_HOURS): the daily network-figures job "
          "deletes older sets and works out the usual periods again.",
          "Working them out takes seconds in a big sector; pages read them from here.",
          "id key period_start period_end tag_id computed_at figures", personal=False),
    # -- the ledger ------------------------------------------------------------------------------
    Table("ledger_accounts", "A member's time-credit account, or the community pot.",
          "For the life of the exchange.", "A balance is the sum of every posting ever made to the account.",
          "id kind member_id created_at"),
    Table("ledger_entries", "One event that moved credits: what for, the reason, who made it.",
          "For the life of the exchange (append-only). Erasure replaces a person's name in the wording; "
          "nothing else can change.",
          "Balances are sums of the ledger; removing an entry would change everyone's balance.",
          "id kind leg_id reverses_entry_id description reason happened_on created_by_id created_at"),
    Table("ledger_postings", "Credits into or out of one account as part of one entry.",
          "For the life of the exchange (append-only).", "As for ledger entries.",
          "id entry_id account_id amount"),
    # -- the rest --------------------------------------------------------------------------------
    Table("audit_events", "Who did what, to what, when: a summary and details of every change.",
          "6 years after the event.",
          "To answer questions and complaints about decisions, and to show the exchange kept its rules; "
          "6 years is the limitation period for most claims.",
          "id at actor_id action subject_type subject_id member_id summary details"),
    Table("job_runs", "The outcome of one run of a daily job (what it did, in numbers, never about a person).",
          "12 months.", "To see that the jobs run, and alert when one fails.",
          "id name started_at finished_at outcome detail", personal=False),
    Table("direct_exchange_policy", "The coordinators' rule for direct asks (which need approval), and who "
          "last changed it.", "For the life of the exchange.", "It decides how every direct ask goes ahead.",
          "id approval over_hours rooms_and_equipment requirements updated_by_id updated_at"),
    Table("matcher_schedule", "When the matcher runs by itself, and who last changed it.",
          "For the life of the exchange.", "It decides when proposals are made.",
          "id cadence weekday review updated_by_id updated_at"),
    Table("valuation_rates", "A sourced rate that values an hour or a day, and who last changed it.",
          "For the life of the exchange.", "A report for a past period uses the rates it had.",
          "id series_id version name kind category_id value unit valid_from valid_to region source source_url "
          "licence band measure_code note created_at updated_at updated_by_id"),
)

BY_NAME = {table.name: table for table in TABLES}

# Kept outside the database, with their own periods (docs/privacy.md).
OUTSIDE_THE_DATABASE = (
    ("Outbox files (development and file mail)", "30 days after they were written; a person's at once "
     "when they are erased.", "A copy of mail already sent; nobody needs it for long."),
    ("Backups", "Encrypted; the newest of each of the last 7 days, 5 weeks and 12 months (BACKUP_KEEP_*, "
     "docs/operations.md), so none is more than a year old.",
     "To recover from a failure. An erasure reaches every backup within a year as they are removed, and "
     "is applied again after any restore (docs/privacy.md)."),
    ("Server logs", "As docs/operations.md says.", "To find faults. No log line holds an email address "
     "(a test checks the suite's logs)."),
)


def schedule_markdown() -> str:
    """The retention schedule as the Markdown table docs/privacy.md holds."""
    lines = ["| table | what a row is | how long it is kept | why |", "|---|---|---|---|"]
    for table in TABLES:
        lines.append(f"| `{table.name}` | {table.what} | {table.keep} | {table.why} |")
    for name, keep, why in OUTSIDE_THE_DATABASE:
        lines.append(f"| {name} | | {keep} | {why} |")
    return "\n".join(lines)
