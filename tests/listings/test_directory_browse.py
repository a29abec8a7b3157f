"""The whole directory, unfiltered: newest first, paged, fresh, with a total that may be remembered."""
import re

from timebank.listings import services


def _titles(page: str) -> list[str]:
    return re.findall(r'class="card__title[^"]*"><a[^>]*>([^<]+)</a>', page)


def test_whole_directory_is_newest_first_with_an_exact_total_and_pages(client, make_member, make_listing):
    member_id, admin_id = make_member()
    for i in range(23):
        make_listing(member_id, admin_id, title=f"Listing {i:02d}")
    first = client.get("/listings").data.decode()
    assert "23 listings found, newest first" in first
    assert _titles(first) == [f"Listing {i:02d}" for i in range(22, 2, -1)]
    second = client.get("/listings?page=2").data.decode()
    assert _titles(second) == ["Listing 02", "Listing 01", "Listing 00"]


def test_a_remembered_total_never_hides_new_or_keeps_withdrawn_listings(client, auth, app, make_member,
                                                                        make_listing, monkeypatch):
    monkeypatch.setattr(services, "EXACT_TOTAL_BELOW", 1)  # remember the total even for a small directory
    member_id, _ = make_member(admin_email="pat@example.org")
    with app.app_context():
        from timebank.accounts.services import find_user

        user_id = find_user("pat@example.org").id
    older = make_listing(member_id, user_id, title="Older listing")
    make_listing(member_id, user_id, title="Middle listing")
    assert "2 listings found" in client.get("/listings").data.decode()
    make_listing(member_id, user_id, title="Newest listing")
    auth.login("pat@example.org")
    client.post(f"/listings/{older}/withdraw", follow_redirects=True)
    page = client.get("/listings").data.decode()
    assert _titles(page) == ["Newest listing", "Middle listing"]
    past_the_end = client.get("/listings?page=9").data.decode()
    assert _titles(past_the_end) == ["Newest listing", "Middle listing"]
