"""A person who did everything, for the erasure and download tests; mail goes to a file outbox."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

NAME, EMAIL, PHONE = "Philippa Quennell", "philippa.quennell@example.org", "0151 496 0123"


@dataclass
class Everything:
    user_id: int
    member_id: int          # the organisation she registered (its contact details are hers)
    other_member_id: int    # an organisation she was invited into, which she helped and disputed with
    other_admin_id: int
    coordinator_id: int
    outbox: Path
    ids: dict


@pytest.fixture()
def outbox(app, tmp_path):
    """Send mail to files in a folder, as development does (MAIL_BACKEND=file)."""
    from timebank.extensions import mail

    folder = tmp_path / "outbox"
    app.config.update(MAIL_BACKEND="file", MAIL_FILE_PATH=str(folder))
    mail.init_app(app)
    return folder


@pytest.fixture()
def everything(app, outbox, make_user, make_member, make_listing, categories):
    """Philippa Quennell signs up, registers an organisation (her email and phone as its contact), is
    invited into another, invites someone, records DBS checks under her name, posts a listing that
    gives her phone, records help, declines a proposal, disputes a part, writes in an exchange's
    conversation (and is written to), asks for a part to be moved,
    is reminded to answer, books a room, borrows and hands over equipment, makes an API token, turns
    an email topic off, signs in; others write about her (a dispute, a settlement, a move, a
    cancellation)."""
    from timebank.accounts import services as accounts
    from timebank.accounts.models import User
    from timebank.accounts.sessions import start_session
    from timebank.accounts.tokens import create_token
    from timebank.bookings import services as bookings
    from timebank.db import today, utcnow
    from timebank.exchanges import services as exchanges
    from timebank.extensions import db
    from timebank.ledger import services as ledger
    from timebank.members import services as members
    from timebank.members.assets import add_asset
    from timebank.members.compliance import add_compliance_record
    from timebank.members.people import accept_invitation, invite_person, request_to_join
    from timebank.members.models import Invitation, Member
    from timebank.notifications.services import set_email_preferences

    coordinator_id = make_user("coordinator@oneknowsley.example", name="Cora Ordinator", coordinator=True)
    other_id, other_admin_id = make_member("Kirkby Youth Club", admin_email="admin@kirkby-youth.example")
    seniors_id, _ = make_member("Prescot Seniors")
    ids = {}
    with app.test_request_context():
        accounts.sign_up(EMAIL, "a-long-password-1", NAME)  # a confirmation email to the outbox
        db.session.commit()
        user = accounts.find_user(EMAIL)
        user.email_confirmed_at, user.phone = utcnow(), PHONE
        member = members.register_member(user, name="Stockbridge Community Garden", type="community_group",
                                         postcode="L36 9YS", contact_phone=PHONE,
                                         description=f"Run by volunteers. Ring {NAME} on {PHONE}.")
        member.status = "active"
        other = db.session.get(Member, other_id)
        other_admin = db.session.get(User, other_admin_id)
        coordinator = db.session.get(User, coordinator_id)
        invitation = invite_person(other, other_admin, EMAIL)
        accept_invitation(invitation, user)
        invite_person(member, user, "new.volunteer@example.org")
        request_to_join(db.session.get(Member, seniors_id), user)
        add_compliance_record(member, user, kind="dbs", holder=NAME, people=2, dbs_level="enhanced",
                                      issued_on=today(), decision="Suitable to lead the gardening club",
                                      decided_on=today())
        room = add_asset(member, user, kind="room", name="Garden room", capacity=12)
        gazebo = add_asset(member, user, kind="equipment", name="Gazebo", condition="good")
        token, _secret = create_token(user, name=f"{NAME}'s spreadsheet", scope="read")
        set_email_preferences(user, {"bookings": False})
        from timebank.saved_searches.services import save_search

        save_search(user, name=f"{NAME}'s garden searches", keyword="garden", postcode="L36 9YS", within_km=5)
        start_session(user, remember=True)  # signed in on a device
        db.session.commit()
        ids.update(member=member.id, room=room.id, gazebo=gazebo.id, token=token.id,
                   invitation_sent=db.session.scalar(db.select(Invitation.id).where(
                       Invitation.email == "new.volunteer@example.org")))
        user_id, member_id = user.id, member.id

    offer = make_listing(member_id, user_id, direction="offer", kind="skill", title="Garden design advice",
                         description=f"Ask {NAME} ({EMAIL}, {PHONE.replace(' ', '')}).")
    need = make_listing(other_id, other_admin_id, kind="skill", title="A garden for our youth club",
                        description="Philippa QUENNELL said she could help; call +44 151 496 0123.")
    offer2 = make_listing(member_id, user_id, direction="offer", kind="skill", title="Composting workshop")
    need2 = make_listing(other_id, other_admin_id, kind="skill", title="A composting workshop")
    offer3 = make_listing(member_id, user_id, direction="offer", kind="skill", title="Pruning lesson")
    need3 = make_listing(other_id, other_admin_id, kind="skill", title="Someone to show us pruning")
    offer4 = make_listing(member_id, user_id, direction="offer", kind="skill", title="Seed swap stall")
    need4 = make_listing(other_id, other_admin_id, kind="skill", title="A stall at our fun day")

    with app.test_request_context():
        user, other_admin, coordinator = (db.session.get(User, i) for i in (user_id, other_admin_id, coordinator_id))
        member, other = db.session.get(Member, member_id), db.session.get(Member, other_id)
        # Help she recorded, which the other side confirmed: credits post, the ledger names her.
        recorded = exchanges.record_direct(member, other, user, we_gave=True, kind="skill", hours=Decimal(2),
                                           people=1, description=f"{NAME} planned the new beds",
                                           happened_on=utcnow().date())
        exchanges.confirm_direct(recorded, other, other_admin, agree=True)
        # A proposal she declines, with a reason naming herself.
        plan = [exchanges.LegPlan(giver_member_id=member_id, receiver_member_id=other_id, kind="skill",
                                  hours=Decimal(2), offer_id=offer2, need_id=need2)]
        declined = exchanges.create_proposal("pair", plan, story="Stockbridge helps Kirkby.")
        exchanges.respond(declined, member, user, accept=False, reason=f"{NAME} is away that month")
        # A proposal both accept, approved, then disputed by the other side, settled by a coordinator.
        plan = [exchanges.LegPlan(giver_member_id=member_id, receiver_member_id=other_id, kind="skill",
                                  hours=Decimal(3), offer_id=offer, need_id=need)]
        disputed = exchanges.create_proposal("pair", plan, story="Stockbridge designs Kirkby's garden.")
        exchanges.respond(disputed, member, user, accept=True)
        exchanges.respond(disputed, other, other_admin, accept=True)
        start = datetime.combine(today() + timedelta(days=2), datetime.min.time()).replace(hour=10)
        exchanges.approve(disputed, coordinator, {disputed.legs[0].id: (start, start + timedelta(hours=3))})
        # Two days pass: the part has happened, so it can be disputed.
        disputed.legs[0].scheduled_start = utcnow() - timedelta(hours=4)
        disputed.legs[0].scheduled_end = utcnow() - timedelta(hours=1)
        db.session.flush()
        exchanges.dispute_leg(disputed.legs[0], other_admin, f"{NAME} did not come; {EMAIL} did not answer")
        exchanges.settle_dispute(disputed.legs[0], coordinator, outcome="cancel",
                                 note=f"Spoke to Philippa Quennell on {PHONE}: she was ill")
        # A third, approved: she asks for it to be moved, a coordinator moves it and then cancels it,
        # each with a reason naming her. A fourth waits for answers and a coordinator sends reminders.
        plan = [exchanges.LegPlan(giver_member_id=member_id, receiver_member_id=other_id, kind="skill",
                                  hours=Decimal(1), offer_id=offer3, need_id=need3)]
        moved = exchanges.create_proposal("pair", plan, story="Stockbridge shows Kirkby how to prune.")
        exchanges.respond(moved, member, user, accept=True)
        exchanges.respond(moved, other, other_admin, accept=True)
        first, later = start + timedelta(days=1), start + timedelta(days=2)
        exchanges.approve(moved, coordinator, {moved.legs[0].id: (first, first + timedelta(hours=1))})
        from timebank.conversations import services as conversations

        conversations.post(moved, user, f"Hello, I'm {NAME}: ring me on {PHONE} or write to {EMAIL}.",
                           member_id=member_id)
        conversations.post(moved, other_admin, "Thank you Philippa Quennell, see you then.", member_id=other_id)
        exchanges.request_change(moved, member, user, f"{NAME} can only do mornings: ring {PHONE}",
                                 leg=moved.legs[0])
        exchanges.reschedule(moved, coordinator, {moved.legs[0].id: (later, later + timedelta(hours=1))},
                             reason=f"Moved as {NAME} asked")
        exchanges.cancel_leg(moved.legs[0], coordinator, f"{NAME} is moving away")
        plan = [exchanges.LegPlan(giver_member_id=member_id, receiver_member_id=other_id, kind="skill",
                                  hours=Decimal(2), offer_id=offer4, need_id=need4)]
        pending = exchanges.create_proposal("pair", plan, story="Stockbridge runs a stall at Kirkby's fun day.")
        from timebank.exchanges.reminders import remind

        remind(coordinator, exchange_ids=[pending.id])
        ledger.adjust(member, Decimal(1), f"Agreed with {NAME} by phone", coordinator)
        # She books the other side's... no: the other side books her room and borrows her gazebo.
        from timebank.members.models import Asset

        when = datetime.combine(today() + timedelta(days=5), datetime.min.time()).replace(hour=9)
        bookings.book_room(db.session.get(Asset, ids["room"]), other, when, when + timedelta(hours=2), other_admin,
                           note=f"Key from {NAME}, {PHONE}")
        loan = bookings.request_loan(db.session.get(Asset, ids["gazebo"]), other, today(), today() + timedelta(days=2),
                                     other_admin, note=f"Collect from {NAME}")
        bookings.check_out(loan, user, condition=f"Good; checked by {NAME}", pat_checked=None)
        db.session.commit()
        ids.update(recorded=recorded.id, declined=declined.id, disputed=disputed.id, loan=loan.id,
                   leg=disputed.legs[0].id, moved=moved.id, pending=pending.id)
    return Everything(user_id, member_id, other_id, other_admin_id, coordinator_id, outbox, ids)
