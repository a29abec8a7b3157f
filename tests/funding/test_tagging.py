"""Tagging listings and exchanges: a member only with the programmes, funds and grants it is part of;
nobody removes a tag they could not have put on; every change audited."""
from __future__ import annotations

import pytest
from sqlalchemy import select


def _tag_ids(app, model, key, row_id):
    from timebank.extensions import db

    with app.app_context():
        return set(db.session.scalars(select(model.tag_id).where(getattr(model, key) == row_id)))


def test_a_member_tags_its_listing_with_the_grants_it_is_part_of(app, client, auth, funding):
    from timebank.funding.models import ListingTag

    auth.login(funding.admin_a)
    page = client.get(f"/listings/{funding.listing_a}/funding").get_data(as_text=True)
    assert "NLCF-FOOD-26: Food resilience in Kirkby (grant)" in page and "KVW-26" in page
    assert "C-ONLY" not in page  # C's fund is not offered to A
    response = client.post(f"/listings/{funding.listing_a}/funding", data={"tags": [str(funding.grant)]},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Programmes, funds and grants saved" in page
    assert "Tagged with NLCF-FOOD-26: Food resilience in Kirkby (grant)" in page  # on the listing's page
    assert _tag_ids(app, ListingTag, "listing_id", funding.listing_a) == {funding.grant}
    # A forged form naming C's fund is refused beside the field, and nothing changes.
    page = client.post(f"/listings/{funding.listing_a}/funding",
                       data={"tags": [str(funding.grant), str(funding.c_only)]}).get_data(as_text=True)
    assert "Kirkby Food Bank is not part of C-ONLY" in page and 'id="tags-error"' in page
    page = client.post(f"/listings/{funding.listing_a}/funding", data={"tags": ["nonsense"]}).get_data(as_text=True)
    assert "Choose programmes, funds or grants from the list" in page
    assert _tag_ids(app, ListingTag, "listing_id", funding.listing_a) == {funding.grant}
    # Unticking every box takes the tag off.
    client.post(f"/listings/{funding.listing_a}/funding", data={})
    assert _tag_ids(app, ListingTag, "listing_id", funding.listing_a) == set()


def test_others_cannot_tag_a_members_listing_and_the_public_never_sees_tags(app, client, auth, funding):
    auth.login(funding.admin_b)
    assert client.get(f"/listings/{funding.listing_a}/funding").status_code == 403
    assert client.post(f"/listings/{funding.listing_a}/funding", data={"tags": [str(funding.open)]}).status_code == 403
    auth.logout()
    assert "Programmes, funds and grants" not in client.get(f"/listings/{funding.listing_a}").get_data(as_text=True)


def test_on_a_shared_exchange_each_member_changes_only_its_own_tags(app, client, auth, funding):
    from timebank.audit.models import AuditEvent
    from timebank.extensions import db
    from timebank.funding.models import ExchangeTag

    auth.login(funding.admin_c)
    client.post(f"/exchanges/{funding.exchange}/funding", data={"tags": [str(funding.c_only)]})
    auth.logout()
    auth.login(funding.admin_a)
    page = client.get(f"/exchanges/{funding.exchange}/funding").get_data(as_text=True)
    assert "Also tagged, by someone who may use it (you cannot change it): C-ONLY" in page
    # A saves its own choice (the grant); C's fund stays.
    client.post(f"/exchanges/{funding.exchange}/funding", data={"tags": [str(funding.grant)]})
    assert _tag_ids(app, ExchangeTag, "exchange_id", funding.exchange) == {funding.grant, funding.c_only}
    client.post(f"/exchanges/{funding.exchange}/funding", data={})
    assert _tag_ids(app, ExchangeTag, "exchange_id", funding.exchange) == {funding.c_only}
    page = client.get(f"/exchanges/{funding.exchange}").get_data(as_text=True)
    assert "Tagged with C-ONLY: Seniors&#39; fund (fund)" in page
    assert "Tagged with NLCF-FOOD-26" in page and "Untagged NLCF-FOOD-26" in page  # its history
    with app.app_context():
        assert db.session.scalars(select(AuditEvent.summary).where(AuditEvent.action == "exchange.tagged")
                                  .order_by(AuditEvent.id)).all() == [
            "Tagged with C-ONLY", "Tagged with NLCF-FOOD-26", "Untagged NLCF-FOOD-26"]
    auth.logout()
    auth.login(funding.admin_b)  # not in the exchange: it does not exist for B
    assert client.get(f"/exchanges/{funding.exchange}/funding").status_code == 404


def test_a_coordinator_may_use_any_tag(app, funding):
    from timebank.accounts.models import User
    from timebank.exchanges.models import Exchange
    from timebank.extensions import db
    from timebank.funding import services
    from timebank.funding.models import ExchangeTag

    with app.test_request_context():
        coordinator = db.session.scalar(select(User).where(User.email == funding.coordinator))
        admin_a = db.session.scalar(select(User).where(User.email == funding.admin_a))
        exchange = db.session.get(Exchange, funding.exchange)
        services.set_exchange_tags(exchange, coordinator, [funding.grant, funding.c_only, funding.open])
        db.session.commit()
        from timebank.errors import NotAllowed

        # A sends back what a read gave it: the coordinator's C-ONLY, which A cannot use, is let
        # through and stays; nothing changes.
        assert services.set_exchange_tags(exchange, admin_a, [funding.grant, funding.c_only, funding.open]) == ([], [])
        db.session.commit()
        assert _tag_ids(app, ExchangeTag, "exchange_id", funding.exchange) == {
            funding.grant, funding.c_only, funding.open}
        # Once it is off the exchange, A may not put it on.
        services.set_exchange_tags(exchange, coordinator, [funding.grant, funding.open])
        db.session.commit()
        with pytest.raises(NotAllowed, match="Kirkby Food Bank is not part of C-ONLY"):
            services.set_exchange_tags(exchange, admin_a, [funding.c_only])
        db.session.rollback()
    assert _tag_ids(app, ExchangeTag, "exchange_id", funding.exchange) == {funding.grant, funding.open}


def test_a_members_reports_offer_the_tags_it_is_part_of_or_that_are_on_its_help(app, client, auth, funding):
    from timebank.accounts.models import User
    from timebank.exchanges.models import Exchange
    from timebank.extensions import db
    from timebank.funding import services
    from timebank.members.models import Member

    with app.test_request_context():
        coordinator = db.session.scalar(select(User).where(User.email == funding.coordinator))
        offered = lambda m: {t.code for t in services.tags_for_reports(db.session.get(Member, m))}  # noqa: E731
        assert offered(funding.a) == {"NLCF-FOOD-26", "KVW-26"}  # part of the grant; KVW-26 is open to all
        assert offered(funding.b) == {"KVW-26"}
        # C's fund is put on the exchange A is in: A's reports can now be cut by it too.
        services.set_exchange_tags(db.session.get(Exchange, funding.exchange), coordinator, [funding.c_only])
        db.session.commit()
        assert offered(funding.a) == {"NLCF-FOOD-26", "KVW-26", "C-ONLY"}
        assert offered(funding.b) == {"KVW-26"}
        assert {t.code for t in services.tags_for_reports()} == {"NLCF-FOOD-26", "KVW-26", "C-ONLY"}
    auth.login(funding.admin_b)
    page = client.get(f"/members/{funding.b}/impact").get_data(as_text=True)
    assert "KVW-26" in page and "C-ONLY" not in page and "NLCF-FOOD-26" not in page
