"""The ledger's rules: post a confirmed leg, adjust, reverse, give to and grant from the pot, balances.

Every change goes through `_post`, which locks the accounts it touches, refuses anything that
would take a member below its credit limit (or the pot below zero), and adds one entry whose
postings sum to zero. Nothing here commits: the caller's transaction does, once.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from timebank.accounts.access import require_coordinator
from timebank.accounts.models import User
from timebank.audit.services import record
from timebank.errors import ConcurrentChange, Conflict, DomainError, InvalidInput, NotAllowed, NotFound
from timebank.exchanges import settlement
from timebank.exchanges.models import Exchange, Leg
from timebank.extensions import db
from timebank.ledger.models import Account, LedgerEntry, Posting
from timebank.members.models import Member
from timebank.members.access import can_act_for, can_manage
from timebank.notifications.links import Page
from timebank.notifications.services import notify_member

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_AMOUNT = Decimal("10000")
STATEMENT_PAGE_SIZE = 25
ACCOUNTS_PAGE_SIZE = 50
# The exchanges module may call post_leg just before or just after it marks the leg confirmed;
# a leg that is disputed (until settled back to confirmed), cancelled or not yet delivered posts nothing.
POSTABLE_LEG_STATUSES = ("delivered", "confirmed")


class CreditLimitExceeded(DomainError):
    """A posting would take a member's balance below its credit limit (plus what its approved
    exchanges have reserved); nothing was posted."""

    status_code = 409
    kind = "credit-limit"

    def __init__(self, member: Member, new_balance: Decimal, field: str | None = "amount",
                 reserved: Decimal = ZERO):
        self.member = member
        self.new_balance = new_balance
        self.limit = -Decimal(member.credit_limit)
        self.reserved = reserved
        held = (f", and {credits_phrase(reserved)} {'is' if reserved == 1 else 'are'} set aside for its approved "
                "exchanges") if reserved > 0 else ""
        super().__init__(f"This would take {member.name} to {format_credits(new_balance)} credits; "
                         f"its limit is {format_credits(self.limit)}{held}.", field=field)


class CreditLimitBelowBalance(DomainError):
    """A new credit limit would leave a member below it already: lower than what it owes, plus what its
    approved exchanges have set aside; nothing changed."""

    status_code = 409
    kind = "credit-limit-below-balance"

    def __init__(self, member: Member, lowest: Decimal, balance: Decimal, reserved: Decimal,
                 field: str | None = "credit_limit"):
        self.member, self.lowest, self.balance, self.reserved = member, lowest, balance, reserved
        held = (f" and {credits_phrase(reserved)} {'is' if reserved == 1 else 'are'} set aside for its approved "
                "exchanges") if reserved > 0 else ""
        super().__init__(f"{member.name}'s balance is {credits_phrase(balance)}{held}, so its credit limit "
                         f"cannot be less than {format_credits(lowest)}. Enter {format_credits(lowest)} or more, or "
                         "lower it once it has earned credits.", field=field)


class NotEnoughCredits(DomainError):
    """A member cannot take on what an exchange asks of it: its room is smaller than its shortfall."""

    status_code = 409

    def __init__(self, member: Member, short: Decimal, room: Decimal, field: str | None = None):
        self.member, self.short, self.room = member, short, room
        super().__init__(f"{member.name} would be {credits_phrase(short)} short in this exchange, and can spend "
                         f"{credits_phrase(max(room, ZERO))} more (its balance, its limit of "
                         f"{format_credits(-Decimal(member.credit_limit))} and what its other approved exchanges "
                         "have set aside). Raise its credit limit first, or change the amounts.", field=field)


def credits_phrase(amount: Decimal | int) -> str:
    """ "1 credit", "2.5 credits", "0 credits". """
    return f"{format_credits(amount)} {'credit' if abs(Decimal(amount)) == 1 else 'credits'}"


def format_credits(amount: Decimal | int, signed: bool = False) -> str:
    """3, 2.5, -12 (and +3 when `signed`): no trailing zeros, no exponent."""
    value = Decimal(amount).quantize(CENT)
    text = format(value.normalize(), "f") if value else "0"
    return f"+{text}" if signed and value > 0 else text


# -- accounts -----------------------------------------------------------------------------------

def _is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _find_or_add(find, make) -> Account:
    """The row `find` returns, or a new one from `make`; a concurrent creator's row if it won the race."""
    row = find()
    if row is not None:
        return row
    if not _is_postgresql():
        # SQLite has one writer at a time, so no race; and pysqlite would commit a savepoint
        # opened before the transaction's first write.
        row = make()
        db.session.add(row)
        db.session.flush()
        return row
    try:
        with db.session.begin_nested():
            row = make()
            db.session.add(row)
    except IntegrityError:
        # Another transaction created it first and has committed (the unique index made us wait).
        row = find()
        if row is None:
            raise
    return row


def account_for(member: Member) -> Account:
    """The member's account, created on first use."""
    return _find_or_add(lambda: db.session.scalar(select(Account).where(Account.member_id == member.id)),
                        lambda: Account(kind="member", member_id=member.id, member=member))


def _community_account(kind: str) -> Account:
    return _find_or_add(lambda: db.session.scalar(select(Account).where(Account.kind == kind)),
                        lambda: Account(kind=kind))


def pot_account() -> Account:
    """The community pot: credits members have given, for coordinators to grant."""
    return _community_account("pot")


def adjustments_account() -> Account:
    """The other side of every coordinator adjustment (its balance is minus their total)."""
    return _community_account("adjustments")


def _lock(accounts: Iterable[Account]) -> None:
    """Hold the accounts until commit, so two postings cannot both pass a limit check.

    Then re-reads the credit limits of their members: a Member this request loaded before the lock
    may hold a limit a coordinator has changed since (change_credit_limit locks the account too),
    and every limit check (_post, room, settle_ring) reads member.credit_limit after locking.
    """
    accounts = list(accounts)
    ids = sorted({a.id for a in accounts})
    if _is_postgresql():
        # In id order, so two transactions locking overlapping accounts never deadlock.
        db.session.execute(select(Account.id).where(Account.id.in_(ids)).order_by(Account.id).with_for_update())
    else:
        # SQLite has one writer at a time; a write now takes that lock before we read any balance
        # (a plain read would not, and two readers could both pass the limit check).
        db.session.execute(update(Account).where(Account.id.in_(ids)).values(kind=Account.kind)
                           .execution_options(synchronize_session=False))
    _reread_limits({a.member_id for a in accounts if a.member_id is not None})


def _reread_limits(member_ids: set[int]) -> None:
    """Refresh credit_limit on those members already loaded in the session, from the database."""
    if not member_ids:
        return
    rows = db.session.execute(select(Member.id, Member.credit_limit).where(Member.id.in_(member_ids))).all()
    for member_id, limit in rows:
        member = db.session.identity_map.get(identity_key(Member, member_id))
        if member is not None:
            set_committed_value(member, "credit_limit", limit)


# -- reading balances ---------------------------------------------------------------------------

def _account_balance(account_id: int) -> Decimal:
    total = db.session.scalar(select(func.sum(Posting.amount)).where(Posting.account_id == account_id))
    return Decimal(total or 0).quantize(CENT)


def balance(member: Member) -> Decimal:
    """The member's balance: the sum of its postings (0 before its first)."""
    total = db.session.scalar(select(func.sum(Posting.amount)).join(Account, Posting.account_id == Account.id)
                              .where(Account.member_id == member.id))
    return Decimal(total or 0).quantize(CENT)


def balances(member_ids: Iterable[int]) -> dict[int, Decimal]:
    """{member id: balance} for these members, in one query (0 for a member with no postings)."""
    ids = list(dict.fromkeys(member_ids))
    result = dict.fromkeys(ids, ZERO)
    if not ids:
        return result
    rows = db.session.execute(
        select(Account.member_id, func.sum(Posting.amount)).join(Posting, Posting.account_id == Account.id)
        .where(Account.member_id.in_(ids)).group_by(Account.member_id))
    for member_id, total in rows:
        result[member_id] = Decimal(total or 0).quantize(CENT)
    return result


def pot_balance() -> Decimal:
    account_id = db.session.scalar(select(Account.id).where(Account.kind == "pot"))
    return ZERO if account_id is None else _account_balance(account_id)


# -- writing ------------------------------------------------------------------------------------

def _amount(value, *, field: str = "amount", positive: bool = True) -> Decimal:
    """A credit amount from a form or caller: at most 2 decimal places, not zero, within bounds."""
    try:
        amount = Decimal(str(value)).normalize()
    except (InvalidOperation, ValueError, TypeError):
        raise InvalidInput("Enter a number of credits, like 3 or 1.5", field=field) from None
    if not amount.is_finite():
        raise InvalidInput("Enter a number of credits, like 3 or 1.5", field=field)
    # The bound comes before any quantize: Decimal("1e30").quantize(CENT) raises InvalidOperation.
    if abs(amount) > MAX_AMOUNT:
        raise InvalidInput(f"Enter at most {MAX_AMOUNT:,} credits", field=field)
    if amount != amount.quantize(CENT):
        raise InvalidInput("Enter a number of credits with at most 2 decimal places, like 1.25", field=field)
    if amount == 0 or (positive and amount < 0):
        raise InvalidInput("Enter a number of credits more than 0" if positive
                           else "Enter a number of credits other than 0", field=field)
    return amount.quantize(CENT)


def _reason(value: str | None, *, kept_with: str = "the entry") -> str:
    reason = (value or "").strip()
    if not reason:
        raise InvalidInput(f"Enter the reason: it is kept with {kept_with} and shown to the member", field="reason")
    if len(reason) > 2000:
        raise InvalidInput("Reason must be 2,000 characters or fewer", field="reason")
    return reason



def _post(kind: str, movements: dict[Account, Decimal], actor: User | None, *, description: str,
          limit_field: str | None = "amount", **fields) -> LedgerEntry:
    """Add one entry moving credits as `movements` says; the accounts must already be locked."""
    moves = {account: amount for account, amount in movements.items() if amount}
    if sum(moves.values()) != 0 or len(moves) < 2:
        raise ValueError(f"an entry must move credits between accounts and sum to zero: {moves}")
    spending = [account.member_id for account, amount in moves.items() if amount < 0 and account.kind == "member"]
    held = settlement.reserved(spending, except_leg_id=fields.get("leg_id"))
    for account, amount in moves.items():
        if amount > 0:
            continue
        after = _account_balance(account.id) + amount
        if account.kind == "member" and after - held[account.member_id] < -account.member.credit_limit:
            raise CreditLimitExceeded(account.member, after, field=limit_field, reserved=held[account.member_id])
        if account.kind == "pot" and after < 0:
            raise DomainError(f"The community pot has {credits_phrase(after - amount)}; "
                              f"it cannot give {format_credits(-amount)}.", field=limit_field)
    entry = LedgerEntry(kind=kind, description=description[:300], created_by_id=getattr(actor, "id", None),
                        **fields)
    db.session.add(entry)
    for account, amount in sorted(moves.items(), key=lambda item: item[0].id):
        entry.postings.append(Posting(account=account, amount=amount))
    return entry


def _members_moved(entry: LedgerEntry) -> list[tuple[Member, Decimal]]:
    return [(p.account.member, p.amount) for p in entry.postings if p.account.kind == "member"]


def _tell(action: str, entry: LedgerEntry, actor: User | None, text_for) -> None:
    """Audit the entry once per member it moved credits for, and notify each of them."""
    for member, amount in _members_moved(entry):
        text = text_for(member, amount)
        record(actor, action, entry, text, member_id=member.id, amount=amount, kind=entry.kind)
        notify_member([member], "ledger", text, page=Page("ledger.member_credits", member_id=member.id))


def entry_for_leg(leg_id: int) -> LedgerEntry | None:
    return db.session.scalar(select(LedgerEntry).where(LedgerEntry.leg_id == leg_id))


def post_leg(leg: Leg, actor: User | None, *, limit_field: str | None = None) -> LedgerEntry | None:
    """Move the leg's credits from receiver to giver, once; None when the leg moves no credits."""
    credits = Decimal(leg.credits).quantize(CENT)
    if credits == 0:
        return None
    if leg.status not in POSTABLE_LEG_STATUSES:
        raise Conflict(f"Credits are posted for a delivered and confirmed part, and this one is {leg.status}")
    giver, receiver = account_for(leg.giver), account_for(leg.receiver)
    _lock([giver, receiver])
    existing = entry_for_leg(leg.id)
    if existing is not None:
        return existing
    try:
        with db.session.begin_nested():
            entry = _post("leg", {giver: credits, receiver: -credits}, actor, leg_id=leg.id, limit_field=limit_field,
                          description=_leg_description(leg), happened_on=_happened_on(leg))
    except IntegrityError:
        # The unique leg_id: another transaction posted this leg first (a retry or a double click).
        existing = entry_for_leg(leg.id)
        if existing is None:
            raise
        return existing
    _tell("posting.created", entry, actor, lambda member, amount: (
        f"{member.name} {'earned' if amount > 0 else 'spent'} {credits_phrase(abs(amount))} for: {leg.description}"))
    return entry


def _leg_description(leg: Leg) -> str:
    return f"{leg.description} ({leg.giver.name} for {leg.receiver.name}, exchange {leg.exchange_id})"


def _happened_on(leg: Leg):
    from timebank.bookings.models import uk_today

    return leg.happened_on or uk_today()


def room(members: Iterable[Member], *, except_exchange_id: int | None = None) -> dict[int, Decimal]:
    """{member id: credits it may still spend}: balance + limit - what approved exchanges reserve.

    Locks the members' accounts until commit, so what it returns stays true for the caller.
    """
    members = list(members)
    if not members:
        return {}
    _lock([account_for(member) for member in members])
    held = settlement.reserved([m.id for m in members], except_exchange_id=except_exchange_id)
    have = balances([m.id for m in members])
    return {m.id: have[m.id] + Decimal(m.credit_limit) - held[m.id] for m in members}


def require_room(shortfalls: dict[Member, Decimal], *, except_exchange_id: int | None = None,
                 field: str | None = None) -> None:
    """NotEnoughCredits unless every member can spend its shortfall (the approval check)."""
    spare = room([m for m, short in shortfalls.items() if short > 0], except_exchange_id=except_exchange_id)
    for member, short in sorted(shortfalls.items(), key=lambda item: item[0].name):
        if short > 0 and spare[member.id] < short:
            raise NotEnoughCredits(member, short, spare[member.id], field=field)


def settle_ring(exchange: Exchange, actor: User | None) -> list[LedgerEntry]:
    """Post every confirmed leg of a finished ring at once, checked on each member's net.

    Called when the ring's last leg is confirmed or cancelled, after the exchange has stopped
    reserving credits. Each leg still gets its own entry (dated the day its help happened), so
    statements, reports and reversals work leg by leg; every giver's posting is written before any
    receiver's, so a statement's running balance never dips below where the ring leaves it.
    """
    legs = [leg for leg in exchange.legs if leg.status == "confirmed" and leg_credits_of(leg) > 0
            and entry_for_leg(leg.id) is None]
    if not legs:
        return []
    accounts = {}
    for leg in legs:
        for member in (leg.giver, leg.receiver):
            accounts.setdefault(member.id, account_for(member))
    _lock(accounts.values())
    net: dict[int, Decimal] = dict.fromkeys(accounts, ZERO)
    for leg in legs:
        net[leg.giver_member_id] += leg_credits_of(leg)
        net[leg.receiver_member_id] -= leg_credits_of(leg)
    spending = [member_id for member_id, amount in net.items() if amount < 0]
    held = settlement.reserved(spending)
    for member_id in spending:
        account = accounts[member_id]
        after = _account_balance(account.id) + net[member_id]
        if after - held[member_id] < -account.member.credit_limit:
            raise CreditLimitExceeded(account.member, after, field=None, reserved=held[member_id])
    entries = []
    with db.session.begin_nested():
        for leg in legs:
            entry = LedgerEntry(kind="leg", leg_id=leg.id, description=_leg_description(leg)[:300],
                                created_by_id=getattr(actor, "id", None), happened_on=_happened_on(leg))
            entry.postings.append(Posting(account=accounts[leg.giver_member_id], amount=leg_credits_of(leg)))
            db.session.add(entry)
            entries.append(entry)
        db.session.flush()
        for entry, leg in zip(entries, legs):
            entry.postings.append(Posting(account=accounts[leg.receiver_member_id], amount=-leg_credits_of(leg)))
        db.session.flush()
    for member_id, amount in net.items():
        member = accounts[member_id].member
        gave = sum((leg_credits_of(l) for l in legs if l.giver_member_id == member_id), ZERO)
        got = sum((leg_credits_of(l) for l in legs if l.receiver_member_id == member_id), ZERO)
        text = (f"Exchange {exchange.id} is settled: {member.name} earned {credits_phrase(gave)} and spent "
                f"{credits_phrase(got)}, {format_credits(amount, signed=True)} in all.")
        record(actor, "posting.created", entries[0], text, member_id=member_id, amount=amount, kind="leg",
               exchange_id=exchange.id)
        notify_member([member], "ledger", text, page=Page("ledger.member_credits", member_id=member_id))
    return entries


def leg_credits_of(leg: Leg) -> Decimal:
    return Decimal(leg.credits).quantize(CENT)


def adjust(member: Member, amount, reason: str, actor: User) -> LedgerEntry:
    """A coordinator's correction: credits into (or out of) the member, against the adjustments account."""
    require_coordinator(actor, "change the ledger")
    amount = _amount(amount, positive=False)
    reason = _reason(reason)
    account, other = account_for(member), adjustments_account()
    _lock([account, other])
    with db.session.begin_nested():
        entry = _post("adjustment", {account: amount, other: -amount}, actor, reason=reason,
                      description="Adjustment by a coordinator")
    _tell("ledger.adjusted", entry, actor, lambda m, a: (
        f"A coordinator adjusted {m.name}'s time credits by {format_credits(a, signed=True)}: {reason}"))
    return entry


def reverse(entry: LedgerEntry, reason: str, actor: User, *, field: str = "entry_id") -> LedgerEntry:
    """A coordinator's correction: a new entry with the opposite postings (each entry once)."""
    require_coordinator(actor, "change the ledger")
    reason = _reason(reason)
    moves: dict[Account, Decimal] = {}
    for posting in entry.postings:
        moves[posting.account] = moves.get(posting.account, ZERO) - posting.amount
    _lock(moves)
    already = db.session.scalar(select(LedgerEntry.id).where(LedgerEntry.reverses_entry_id == entry.id))
    if already is not None:
        raise Conflict(f"Entry {entry.id} was already reversed by entry {already}", field=field)
    try:
        with db.session.begin_nested():
            reversal = _post("reversal", moves, actor, reverses_entry_id=entry.id, reason=reason,
                             limit_field=field,
                             description=f"Reversal of entry {entry.id} ({entry.description})")
    except IntegrityError:
        raise ConcurrentChange(f"Entry {entry.id} was reversed by someone else just now", field=field) from None
    _tell("posting.reversed", reversal, actor, lambda m, a: (
        f"A coordinator reversed entry {entry.id} ({entry.description}): {format_credits(a, signed=True)} "
        f"for {m.name}. Why: {reason}"))
    return reversal


def donate_to_pot(member: Member, amount, actor: User) -> LedgerEntry:
    """The member gives some of its credits (never more than it has) to the community pot."""
    if actor is None or not can_manage(actor, member):
        raise NotAllowed(f"Only an admin of {member.name} can give its credits away")
    amount = _amount(amount)
    account, pot = account_for(member), pot_account()
    _lock([account, pot])
    have = _account_balance(account.id)
    if have < amount:
        raise DomainError(f"{member.name} has {credits_phrase(have)}, so it can give at most "
                          f"{format_credits(have)}." if have > 0 else
                          f"{member.name} has no credits to give yet.", field="amount")
    with db.session.begin_nested():
        entry = _post("donation", {account: -amount, pot: amount}, actor,
                      description="Given to the community pot")
    _tell("ledger.donated", entry, actor, lambda m, a: (
        f"{m.name} gave {credits_phrase(-a)} to the community pot. Thank you."))
    return entry


def grant_from_pot(member: Member, amount, reason: str, actor: User) -> LedgerEntry:
    """A coordinator gives credits from the community pot to a member."""
    require_coordinator(actor, "change the ledger")
    amount = _amount(amount)
    reason = _reason(reason)
    account, pot = account_for(member), pot_account()
    _lock([account, pot])
    with db.session.begin_nested():
        entry = _post("grant", {pot: -amount, account: amount}, actor, reason=reason,
                      description="Granted from the community pot")
    _tell("ledger.granted", entry, actor, lambda m, a: (
        f"{m.name} was granted {credits_phrase(a)} from the community pot: {reason}"))
    return entry


def _limit(value) -> Decimal:
    """A credit limit from a form or caller: 0 or more credits, at most 2 decimal places."""
    try:
        limit = Decimal(str(value)).normalize()
    except (InvalidOperation, ValueError, TypeError):
        raise InvalidInput("Enter a number of credits, like 10 or 12.5", field="credit_limit") from None
    if not limit.is_finite():
        raise InvalidInput("Enter a number of credits, like 10 or 12.5", field="credit_limit")
    if limit < 0:
        raise InvalidInput("Enter 0 or more: the limit is how far below zero its balance may go",
                           field="credit_limit")
    # The bound comes before any quantize: Decimal("1e30").quantize(CENT) raises InvalidOperation.
    if limit > MAX_AMOUNT:
        raise InvalidInput(f"Enter at most {MAX_AMOUNT:,} credits", field="credit_limit")
    if limit != limit.quantize(CENT):
        raise InvalidInput("Enter a number of credits with at most 2 decimal places, like 12.5", field="credit_limit")
    return limit.quantize(CENT)


def change_credit_limit(member: Member, limit, reason: str, actor: User) -> Member:
    """A coordinator changes how far below zero the member's balance may go, saying why.

    Never below where the member already is: its balance less what its approved exchanges have
    set aside must stay at or above minus the new limit, as every posting keeps it (`_post`), so
    raising a limit is always allowed and lowering it stops at what the member owes. The account
    is locked first, so no posting can slip past between the check and the change.
    """
    require_coordinator(actor, "change a credit limit")
    limit = _limit(limit)
    reason = _reason(reason, kept_with="the change")
    account = account_for(member)
    _lock([account])
    have = _account_balance(account.id)
    held = settlement.reserved([member.id])[member.id]
    lowest = max(ZERO, held - have)
    if limit < lowest:
        raise CreditLimitBelowBalance(member, lowest, have, held)
    before = Decimal(member.credit_limit).quantize(CENT)
    if limit == before:
        return member  # nothing changes, so there is nothing to record or tell
    member.credit_limit = limit
    db.session.flush()
    text = (f"A coordinator changed {member.name}'s credit limit from {format_credits(before)} to "
            f"{format_credits(limit)} (its balance may go down to {format_credits(-limit)}): {reason}")
    record(actor, "ledger.credit_limit_changed", member, text, member_id=member.id, before=before, after=limit,
           reason=reason)
    notify_member([member], "ledger", text, page=Page("ledger.member_credits", member_id=member.id))
    return member


# -- statements and checks ----------------------------------------------------------------------

@dataclass
class StatementLine:
    posting_id: int
    entry: LedgerEntry
    amount: Decimal
    balance: Decimal
    reversed_by_id: int | None

    @property
    def at(self) -> datetime:
        return self.entry.created_at

    @property
    def happened_on(self):
        """The day it counts on: for help, the day it happened (docs/ledger.md)."""
        return self.entry.happened_on


@dataclass
class Statement:
    balance: Decimal
    limit: Decimal
    lines: list[StatementLine]
    page: int
    pages: int
    total_lines: int


def statement(member: Member, page: int = 1, per_page: int = STATEMENT_PAGE_SIZE) -> Statement:
    """The member's postings, latest posted first, each with the balance after it and the entry it was for.

    Posting order is the order the balance moved in, so "balance after" is true of each line; the day the
    help happened (`happened_on`, which reports count it on) may be earlier than the day it was posted."""
    account_id = db.session.scalar(select(Account.id).where(Account.member_id == member.id))
    total_lines = 0 if account_id is None else db.session.scalar(
        select(func.count()).select_from(Posting).where(Posting.account_id == account_id))
    pages = max(1, -(-total_lines // per_page))
    page = min(max(1, page), pages)
    lines: list[StatementLine] = []
    if total_lines:
        running = (select(Posting.id, Posting.entry_id, Posting.amount,
                          func.sum(Posting.amount).over(order_by=Posting.id).label("running"))
                   .where(Posting.account_id == account_id).subquery())
        rows = db.session.execute(
            select(running.c.id, running.c.amount, running.c.running, LedgerEntry)
            .join(LedgerEntry, LedgerEntry.id == running.c.entry_id)
            .options(selectinload(LedgerEntry.leg))
            .order_by(running.c.id.desc()).limit(per_page).offset((page - 1) * per_page)).all()
        entry_ids = [row.LedgerEntry.id for row in rows]
        reversed_by = dict(db.session.execute(select(LedgerEntry.reverses_entry_id, LedgerEntry.id)
                                              .where(LedgerEntry.reverses_entry_id.in_(entry_ids))).all())
        lines = [StatementLine(posting_id=row.id, entry=row.LedgerEntry, amount=Decimal(row.amount).quantize(CENT),
                               balance=Decimal(row.running).quantize(CENT),
                               reversed_by_id=reversed_by.get(row.LedgerEntry.id)) for row in rows]
    return Statement(balance=balance(member), limit=-Decimal(member.credit_limit), lines=lines, page=page,
                     pages=pages, total_lines=total_lines)


@dataclass
class AccountBalance:
    account: Account
    balance: Decimal


@dataclass
class LedgerOverview:
    total: Decimal
    pot: Decimal
    adjustments: Decimal
    accounts: list[AccountBalance]
    page: int
    pages: int


def overview(page: int = 1, per_page: int = ACCOUNTS_PAGE_SIZE) -> LedgerOverview:
    """Every member account's balance (by member name, a page at a time), the pot, and the total."""
    community = dict(db.session.execute(
        select(Account.kind, func.sum(Posting.amount)).join(Posting, Posting.account_id == Account.id)
        .where(Account.kind != "member").group_by(Account.kind)).all())
    count = db.session.scalar(select(func.count()).select_from(Account).where(Account.kind == "member"))
    pages = max(1, -(-count // per_page))
    page = min(max(1, page), pages)
    totals = (select(Posting.account_id, func.sum(Posting.amount).label("total"))
              .group_by(Posting.account_id).subquery())
    rows = db.session.execute(
        select(Account, totals.c.total).join(Member, Account.member_id == Member.id)
        .outerjoin(totals, totals.c.account_id == Account.id).options(selectinload(Account.member))
        .order_by(Member.name).limit(per_page).offset((page - 1) * per_page)).all()
    return LedgerOverview(
        total=_total(), pot=Decimal(community.get("pot") or 0).quantize(CENT),
        adjustments=Decimal(community.get("adjustments") or 0).quantize(CENT),
        accounts=[AccountBalance(account, Decimal(total or 0).quantize(CENT)) for account, total in rows],
        page=page, pages=pages)


def _total() -> Decimal:
    return Decimal(db.session.scalar(select(func.sum(Posting.amount))) or 0).quantize(CENT)


@dataclass
class LedgerCheck:
    total: Decimal
    entries: int
    unbalanced_entry_ids: list[int] = field(default_factory=list)
    entries_without_postings: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.total == 0 and not self.unbalanced_entry_ids and not self.entries_without_postings


def check_ledger() -> LedgerCheck:
    """All postings sum to zero, and so does each entry (the `flask ledger check` command)."""
    entry_sums = (select(Posting.entry_id, func.sum(Posting.amount).label("total"))
                  .group_by(Posting.entry_id).subquery())
    # SQLite sums decimals as floating point: compare to half a hundredth, not to exactly zero.
    unbalanced = db.session.scalars(select(entry_sums.c.entry_id)
                                    .where(func.abs(entry_sums.c.total) >= Decimal("0.005"))
                                    .order_by(entry_sums.c.entry_id)).all()
    empty = db.session.scalars(select(LedgerEntry.id).outerjoin(Posting, Posting.entry_id == LedgerEntry.id)
                               .where(Posting.id.is_(None)).order_by(LedgerEntry.id)).all()
    entries = db.session.scalar(select(func.count()).select_from(LedgerEntry))
    return LedgerCheck(total=_total(), entries=entries, unbalanced_entry_ids=list(unbalanced),
                       entries_without_postings=list(empty))


def load_entry(entry_id: int, viewer: User, *, field: str | None = None) -> LedgerEntry:
    """A ledger entry, for coordinators and the people of a member it moved credits for; to anyone else it
    is as good as missing. `field`: the form field the number was typed in."""
    entry = db.session.get(LedgerEntry, entry_id)
    if entry is None or not (viewer.is_coordinator or any(
            p.account.member is not None and can_act_for(viewer, p.account.member) for p in entry.postings)):
        raise NotFound(f"There is no entry {entry_id}", field=field)
    return entry
