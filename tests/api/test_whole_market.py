"""The whole demo market through the API: the matcher proposes, every party accepts, a coordinator
approves everything at the times the listings share, and once the help has started every leg is
confirmed, in reverse order. Every exchange completes and the ledger checks out; a leg whose start
is still in the future cannot be confirmed.

Every member's credit limit is first set low (2 credits), as a cautious coordinator might: the
matcher then proposes rings whose legs are larger than any member's limit, which can only finish
because a ring settles as a whole (confirmed leg by leg, the first confirmation of each would be
refused).
"""
from datetime import datetime, timedelta
from decimal import Decimal

import time_machine
from sqlalchemy import select

from seed.demo import load_demo
from timebank.accounts.models import User
from timebank.extensions import db
from timebank.members.models import Member, Membership


def test_the_demo_market_completes_through_the_api(app, api, make_token, runner):
    app.config["MATCHER_QUEUE"] = "inline"
    with app.test_request_context():
        load_demo(log=lambda *_: None)
        for member in db.session.scalars(select(Member)):
            member.credit_limit = Decimal(2)
        db.session.commit()
        coordinator_id = db.session.scalar(select(User.id).where(User.email == "coordinator@oneknowsley.example"))
        admins = dict(db.session.execute(select(Membership.member_id, Membership.user_id)
                                         .where(Membership.role == "admin", Membership.status == "active")).all())
    coordinator = api(make_token(coordinator_id, "coordinator"))
    members = {member_id: api(make_token(user_id, "read-write")) for member_id, user_id in admins.items()}

    run = coordinator.post("/api/v1/coordinator/matcher-runs", json={"max_cycle": 3, "max_chain": 3, "time_limit": 30})
    assert run.status_code == 202
    exchange_ids = coordinator.get(run.headers["Location"]).json["exchange_ids"]
    assert len(exchange_ids) >= 3
    rings = [coordinator.get(f"/api/v1/exchanges/{i}").json for i in exchange_ids]
    assert any(e["shape"] == "cycle" and max(leg["credits"] for leg in e["legs"]) > 2 for e in rings)

    for exchange_id in exchange_ids:
        exchange = coordinator.get(f"/api/v1/exchanges/{exchange_id}").json
        for party in exchange["parties"]:
            answered = members[party["member_id"]].post(f"/api/v1/proposals/{exchange_id}/accept",
                                                         json={"member_id": party["member_id"]})
            assert answered.status_code == 200, answered.json
        assert coordinator.get(f"/api/v1/exchanges/{exchange_id}").json["status"] == "accepted"

    latest = datetime.min
    for exchange_id in exchange_ids:
        suggested = coordinator.get(f"/api/v1/coordinator/exchanges/{exchange_id}/suggested-schedule").json
        legs_by_id = {leg["id"]: leg for leg in coordinator.get(f"/api/v1/exchanges/{exchange_id}").json["legs"]}
        schedule, by_hand = [], False
        for row in suggested["schedule"]:
            if row["start"] is None:  # more than a day's work: the coordinator sets it by hand, saying why
                by_hand = True
                start = datetime.combine(datetime.now().date() + timedelta(days=2), datetime.min.time()).replace(hour=9)
                hours = legs_by_id[row["leg_id"]]["hours"]
                row = {"leg_id": row["leg_id"], "start": start.isoformat(),
                       "end": (start + timedelta(hours=hours)).isoformat()}
            schedule.append({"leg_id": row["leg_id"], "start": row["start"], "end": row["end"]})
        body = {"schedule": schedule} | ({"override_reason": "Agreed by phone: over two days"} if by_hand else {})
        approved = coordinator.post(f"/api/v1/coordinator/exchanges/{exchange_id}/approve", json=body)
        assert approved.status_code == 200, approved.json
        latest = max([latest] + [datetime.fromisoformat(row["start"]).replace(tzinfo=None) for row in schedule])

    legs = [(exchange_id, leg) for exchange_id in exchange_ids
            for leg in coordinator.get(f"/api/v1/exchanges/{exchange_id}").json["legs"]]
    exchange_id, leg = legs[-1]
    early = members[leg["receiver_member_id"]].post(f"/api/v1/legs/{leg['id']}/confirm",
                                                    json={"actual_hours": leg["hours"], "actual_people": leg["people"]})
    assert early.status_code == 409 and "once it has started" in early.json["detail"]

    with time_machine.travel(latest + timedelta(days=1), tick=True):
        for exchange_id, leg in reversed(legs):
            confirmed = members[leg["receiver_member_id"]].post(
                f"/api/v1/legs/{leg['id']}/confirm", json={"actual_hours": leg["hours"], "actual_people": leg["people"]})
            assert confirmed.status_code == 200, (exchange_id, confirmed.json)
        for exchange_id in exchange_ids:
            assert coordinator.get(f"/api/v1/exchanges/{exchange_id}").json["status"] == "completed"
        checked = runner.invoke(args=["ledger", "check"])
        assert checked.exit_code == 0, checked.output
