"""The coordinators' policy for direct exchanges: set on its page (audited), refused beside the
field when wrong, and obeyed when both sides of a direct ask have accepted."""
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from timebank.audit.models import AuditEvent
from timebank.db import today
from timebank.exchanges.models import Exchange
from timebank.extensions import db


def _ask_and_accept(client, auth, app, pair, hours: str, listing: str = "offer") -> str:
    start = datetime.combine(today() + timedelta(days=3), datetime.min.time()).replace(hour=10)
    asker, answerer = ("food", "firm") if listing == "offer" else ("firm", "food")
    auth.login(f"{asker}@direct.example")
    client.post(f"/listings/{pair[listing]}/ask", data={
        "member_id": pair[asker], "hours": hours, "people": "1", "start": start.strftime("%Y-%m-%dT%H:%M"),
        "end": (start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"), "message": "Please"})
    auth.logout()
    with app.app_context():
        exchange_id = db.session.scalars(select(Exchange.id).order_by(Exchange.id.desc())).first()
    auth.login(f"{answerer}@direct.example")
    client.post(f"/exchanges/{exchange_id}/respond", data={"member_id": pair[answerer], "answer": "accept"})
    auth.logout()
    with app.app_context():
        return db.session.get(Exchange, exchange_id).status


def test_the_policy_page_sets_which_direct_exchanges_need_approval(app, client, auth, pair):
    auth.login("coord@direct.example")
    page = client.get("/coordinator/direct-exchanges").data.decode()
    assert "Every direct exchange needs a coordinator&#39;s approval" in page
    assert "/coordinator/direct-exchanges" in client.get("/coordinator/").data.decode()
    bad = client.post("/coordinator/direct-exchanges", data={"approval": "some", "over_hours": "0",
                                                             "requirements": "y"}).data.decode()
    assert "Enter between 0.25 and 10,000 hours" in bad and 'value="0"' in bad
    response = client.post("/coordinator/direct-exchanges", data={"approval": "some", "over_hours": "2",
                                                                  "requirements": "y"}, follow_redirects=True)
    assert "Direct exchanges need a coordinator&#39;s approval when they involve more than 2 hours or a " \
           "requirement" in response.data.decode()
    auth.logout()
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "policy.direct_exchanges")).one()
        assert event.details["before"]["approval"] == "all" and event.details["after"]["over_hours"] == "2"

    # 3 hours is above the limit: it waits; 2 hours is not: it is scheduled at the agreed dates.
    assert _ask_and_accept(client, auth, app, pair, "3") == "accepted"
    assert _ask_and_accept(client, auth, app, pair, "2", listing="need") == "scheduled"


def test_a_claimed_requirement_waits_for_approval_under_the_policy(app, client, auth, pair, make_listing, ctx):
    from timebank.accounts.models import User
    from timebank.exchanges import policy
    from timebank.exchanges.models import Leg

    coordinator = db.session.scalar(select(User).where(User.email == "coord@direct.example"))
    chosen = policy.set_policy(coordinator, approval="some", requirements=True)
    exchange = Exchange(shape="pair", status="accepted")
    exchange.legs.append(Leg(position=0, giver_member_id=pair["firm"], receiver_member_id=pair["food"], kind="skill",
                             description="x", hours=Decimal(1), people=1, needs_insurance=True))
    assert policy.approval_reasons(exchange, chosen) == ["a requirement (a DBS check or insurance) is claimed"]
    exchange.legs[0].needs_insurance = False
    assert policy.approval_reasons(exchange, chosen) == []
    assert policy.approval_reasons(exchange, policy.set_policy(coordinator, approval="all")) != []
