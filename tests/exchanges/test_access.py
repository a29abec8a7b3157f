"""The exchanges' loaders (timebank/exchanges/access.py), called directly: each answer they give,
the same for the web (which shows it as its 404 / 403 page) and the API (a problem)."""
from decimal import Decimal

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from timebank.accounts.models import User
from timebank.db import today
from timebank.errors import DomainError, NotAllowed, NotFound
from timebank.exchanges import access, services
from timebank.exchanges.models import ChangeRequest, Exchange
from timebank.extensions import db
from timebank.members.models import Member


@pytest.fixture()
def people(app, ring, make_member):
    """The ring's admins, its coordinator and the admin of a member outside it, by role."""
    make_member("Huyton Stranger", admin_email="stranger@ring.example")
    return {"first": ring["admins"][0], "second": ring["admins"][1], "coordinator": ring["coordinator"],
            "stranger": "stranger@ring.example"}


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _held_ring(app, ring) -> int:
    """The ring stored as a proposal held for a coordinator's review."""
    m, o, n = ring["members"], ring["offers"], ring["needs"]
    legs = [services.LegPlan(giver_member_id=m[i], receiver_member_id=m[(i + 1) % 3], kind="skill",
                             hours=Decimal(3), offer_id=o[i], need_id=n[(i + 1) % 3], score=10, reason="Close by")
            for i in range(3)]
    with app.test_request_context():
        exchange = services.create_proposal("cycle", legs, story="Held.", score=30, held=True)
        db.session.commit()
        return exchange.id


def test_an_exchange_is_loaded_for_its_members_people_and_the_coordinators_only(app, ring, people, propose_ring):
    exchange_id = propose_ring()
    with app.test_request_context():
        for role in ("first", "second", "coordinator"):
            assert access.load_exchange(exchange_id, _user(people[role])).id == exchange_id
        for user in (_user(people["stranger"]), AnonymousUserMixin()):
            with pytest.raises(NotFound, match=f"There is no exchange {exchange_id} of yours"):
                access.load_exchange(exchange_id, user)
        with pytest.raises(NotFound, match="There is no exchange 999999 of yours"):
            access.load_exchange(999_999, _user(people["coordinator"]))


def test_a_proposal_held_for_review_is_loaded_for_the_coordinators_only(app, ring, people):
    exchange_id = _held_ring(app, ring)
    with app.test_request_context():
        assert access.load_exchange(exchange_id, _user(people["coordinator"])).status == "held"
        for role in ("first", "second"):
            with pytest.raises(NotFound):
                access.load_exchange(exchange_id, _user(people[role]))
        leg_id = db.session.get(Exchange, exchange_id).legs[0].id
        with pytest.raises(NotFound):
            access.load_leg(leg_id, _user(people["first"]))
        assert access.load_leg(leg_id, _user(people["coordinator"])).id == leg_id


def test_a_leg_is_loaded_as_its_exchange_and_for_a_side_only_by_that_sides_people(app, ring, people, propose_ring):
    exchange_id = propose_ring()
    with app.test_request_context():
        leg = db.session.get(Exchange, exchange_id).legs[0]  # the first member gives to the second
        assert (leg.giver_member_id, leg.receiver_member_id) == tuple(ring["members"][:2])
        assert access.load_leg(leg.id, _user(people["first"])) is leg
        assert access.load_leg(leg.id, _user(people["second"]), side="receiver", to="confirm it") is leg
        assert access.load_leg(leg.id, _user(people["first"]), side="giver", to="give its side") is leg
        assert access.load_leg(leg.id, _user(people["coordinator"]), side="receiver", to="confirm it") is leg
        with pytest.raises(NotAllowed, match="^Only the member that received the help can confirm it$"):
            access.load_leg(leg.id, _user(people["first"]), side="receiver", to="confirm it")
        with pytest.raises(NotAllowed, match="^Only the member that gave the help can give its side$"):
            access.load_leg(leg.id, _user(people["second"]), side="giver", to="give its side")
        with pytest.raises(NotFound, match=f"There is no exchange {exchange_id} of yours"):
            access.load_leg(leg.id, _user(people["stranger"]), side="receiver", to="confirm it")
        with pytest.raises(NotFound, match="There is no part 999999 of an exchange of yours"):
            access.load_leg(999_999, _user(people["coordinator"]))


def test_a_change_request_is_loaded_only_in_its_own_exchange(app, ring, people, propose_ring):
    exchange_id = propose_ring()
    with app.test_request_context():
        first, second = (db.session.get(Member, m) for m in ring["members"][:2])
        other_id = services.record_direct(first, second, _user(people["first"]), we_gave=True, kind="time",
                                          hours=Decimal(2), people=1, description="Stewarding",
                                          happened_on=today()).id
        request = ChangeRequest(exchange_id=exchange_id, member_id=ring["members"][0], reason="Another day")
        db.session.add(request)
        db.session.flush()
        assert access.load_change_request(exchange_id, request.id, _user(people["second"])) is request
        with pytest.raises(NotFound, match=f"There is no change request {request.id} in exchange {other_id}"):
            access.load_change_request(other_id, request.id, _user(people["first"]))
        with pytest.raises(NotFound, match=f"There is no exchange {exchange_id} of yours"):
            access.load_change_request(exchange_id, request.id, _user(people["stranger"]))


def test_the_member_a_person_acts_for_in_an_exchange(app, ring, people, propose_ring):
    exchange_id = propose_ring()
    first, second, third = ring["members"]
    with app.test_request_context():
        exchange = db.session.get(Exchange, exchange_id)
        assert access.acting_member(exchange, _user(people["first"])).id == first
        assert access.acting_member(exchange, _user(people["first"]), first).id == first
        assert access.acting_member(exchange, _user(people["coordinator"]), third).id == third
        with pytest.raises(NotAllowed, match="None of your members is part of this exchange") as named_other:
            access.acting_member(exchange, _user(people["first"]), second)
        assert named_other.value.field == "member_id"
        with pytest.raises(NotAllowed, match="None of your members is part of this exchange"):
            access.acting_member(exchange, _user(people["stranger"]))
        with pytest.raises(DomainError, match="Several of your members are in this exchange: say which one") as many:
            access.acting_member(exchange, _user(people["coordinator"]))  # a coordinator acts for every member
        assert type(many.value) is DomainError and many.value.field == "member_id"


def test_the_member_whose_part_a_person_answers(app, ring, people, propose_ring):
    exchange_id = propose_ring()
    first, second, _ = ring["members"]
    with app.test_request_context():
        exchange = db.session.get(Exchange, exchange_id)
        assert access.answering_member(exchange, _user(people["first"])).id == first
        assert access.answering_member(exchange, _user(people["coordinator"]), second).id == second
        with pytest.raises(NotAllowed, match="You can only answer for your own organisation, and it must be part "
                                             "of this exchange"):
            access.answering_member(exchange, _user(people["first"]), second)
        with pytest.raises(NotAllowed, match="None of your members has a part in this exchange waiting"):
            access.answering_member(exchange, _user(people["stranger"]))
        with pytest.raises(DomainError, match="say which one answers"):
            access.answering_member(exchange, _user(people["coordinator"]))
        services.respond(exchange, db.session.get(Member, first), _user(people["first"]), accept=True)
        # Answered already: still that member, so that the service says so (409), not "not yours".
        assert access.answering_member(exchange, _user(people["first"])).id == first


def test_a_service_lets_a_person_act_only_for_their_own_member_in_the_exchange(app, ring, people, propose_ring):
    exchange_id = propose_ring()
    with app.test_request_context():
        exchange = db.session.get(Exchange, exchange_id)
        first = db.session.get(Member, ring["members"][0])
        stranger = db.session.scalar(select(Member).where(Member.name == "Huyton Stranger"))
        assert access.require_party(exchange, first, _user(people["first"]), "withdraw").member_id == first.id
        with pytest.raises(NotAllowed, match="^You can only withdraw your own organisation$"):
            access.require_party(exchange, first, _user(people["second"]), "withdraw")
        with pytest.raises(NotAllowed, match="^Huyton Stranger is not part of this exchange$") as outside:
            access.require_party(exchange, stranger, _user(people["stranger"]), "answer for", field="member_id")
        assert outside.value.field == "member_id"
