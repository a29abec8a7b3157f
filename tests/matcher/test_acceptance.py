"""The acceptance model the matcher uses is learned from the exchange's own answers, read in a few queries."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import event

from matching.marketplace.acceptance import AcceptanceModel, Part
from timebank.audit.services import record
from timebank.exchanges.models import Exchange, Leg, Party
from timebank.extensions import db
from timebank.matcher.answers import answers
from timebank.matcher.market import build_market

PAIR = Part(parties=2)


def _answered(giver, receiver, offer, need, giver_said, receiver_said, *, status="voided", asked_by=None,
              held=False):
    """A pair the matcher proposed (or a member asked for), and what each party said."""
    exchange = Exchange(shape="pair", status=status, asked_by_member_id=asked_by)
    exchange.legs.append(Leg(position=0, giver_member_id=giver, receiver_member_id=receiver, offer_listing_id=offer,
                             need_listing_id=need, kind="skill", description="Bookkeeping", hours=Decimal(3)))
    exchange.parties.extend([Party(member_id=giver, status=giver_said), Party(member_id=receiver, status=receiver_said)])
    db.session.add(exchange)
    db.session.flush()
    if held:  # what create_proposal records of a proposal held for review (nothing is sent on here)
        record(None, "exchange.held", exchange, "Pair proposed, waiting for a coordinator's review")
    else:  # what create_proposal (or sending a held one on) records once its members are told
        record(None, "exchange.proposed", exchange, "Pair proposed")


def _history(make_member, make_listing):
    firm, firm_admin = make_member("Prescot Accountants", type="business")
    keen, keen_admin = make_member("Kirkby Food Bank")
    wary, wary_admin = make_member("Halewood Youth Club")
    offer = make_listing(firm, firm_admin, direction="offer", title="Bookkeeping")
    keen_need = make_listing(keen, keen_admin, title="Our books")
    wary_need = make_listing(wary, wary_admin, title="Our books too")
    return firm, keen, wary, offer, keen_need, wary_need


def test_with_no_answers_yet_the_market_carries_the_prior(app, make_member, make_listing):
    _history(make_member, make_listing)
    with app.test_request_context():
        market = build_market()
    assert market.acceptance is not None and market.acceptance.answers == 0
    assert market.acceptance.coef == AcceptanceModel.prior().coef


def test_a_member_that_declines_every_proposal_is_expected_to_decline_the_next(app, make_member, make_listing):
    firm, keen, wary, offer, keen_need, wary_need = _history(make_member, make_listing)
    with app.test_request_context():
        for _ in range(8):
            _answered(firm, keen, offer, keen_need, "accepted", "accepted", status="completed")
            _answered(firm, wary, offer, wary_need, "accepted", "declined")
        db.session.commit()
        market = build_market()
    model = market.acceptance
    assert model.answers == 32
    prior = AcceptanceModel.prior().probability(0, PAIR)
    assert model.probability(wary, PAIR) < prior - 0.2
    assert model.probability(keen, PAIR) > model.probability(wary, PAIR) + 0.3
    assert model.probability(firm, PAIR) > model.probability(wary, PAIR) + 0.3


def test_silence_until_expiry_is_a_decline_and_a_proposal_voided_by_another_or_never_shown_says_nothing(
        app, make_member, make_listing):
    firm, keen, wary, offer, keen_need, wary_need = _history(make_member, make_listing)
    with app.test_request_context():
        _answered(firm, wary, offer, wary_need, "accepted", "pending", status="expired")
        _answered(firm, keen, offer, keen_need, "declined", "pending", status="voided")
        _answered(firm, keen, offer, keen_need, "pending", "pending", status="proposed")
        _answered(keen, firm, keen_need, offer, "accepted", "accepted", status="completed", asked_by=keen)
        _answered(firm, keen, offer, keen_need, "pending", "pending", status="expired", held=True)
        db.session.commit()
        said = sorted((a.member_id, a.accepted, a.part.gives_only) for a in answers())
    # the expired pair: the firm accepted (giving only), the youth club said nothing (a decline);
    # the voided pair: the firm declined; the food bank never answered; the direct ask is no answer to
    # the matcher; nobody saw the held proposal that expired unreviewed, so nobody declined it
    assert said == sorted([(firm, True, True), (wary, False, False), (firm, False, True)])


def test_reading_the_answers_takes_the_same_queries_however_many_there_are(app, make_member, make_listing):
    firm, keen, wary, offer, keen_need, wary_need = _history(make_member, make_listing)
    counts = []
    for n in (1, 10):
        with app.test_request_context():
            for _ in range(n):
                _answered(firm, keen, offer, keen_need, "accepted", "declined")
            db.session.commit()
            statements = []
            listener = lambda *args: statements.append(args[2])  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                market = build_market()
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
        counts.append(len(statements))
        assert market.acceptance.answers > 0
    assert counts[0] == counts[1]


def test_what_a_party_saw_is_read_from_its_leg(app, make_member, make_listing, categories):
    firm, firm_admin = make_member("Prescot Accountants", type="business")
    charity, charity_admin = make_member("Kirkby Food Bank")
    offer = make_listing(firm, firm_admin, direction="offer", category_id=categories["bookkeeping"],
                         location="remote", title="Bookkeeping online")
    need = make_listing(charity, charity_admin, category_id=categories["bookkeeping"], title="Our books")
    with app.test_request_context():
        _answered(firm, charity, offer, need, "accepted", "accepted", status="completed")
        db.session.commit()
        got = {a.member_id: a.part for a in answers()}
    assert got[firm] == Part(parties=2, km_share=0.0, related=False, waited_days=0, gives_only=True)
    assert got[charity].gives_only is False and got[charity].parties == 2 and got[charity].km_share == 0.0
