"""The collaboration network's figures on small hand-built exchange histories (no Flask)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings, strategies as st

from timebank.reports.network import Help, measure, numbering, picture

D = date(2025, 5, 1)


def h(giver, receiver, hours=1, day=D):
    return Help(giver, receiver, Decimal(hours), day)


def test_two_triangles_joined_by_one_member_make_it_the_broker():
    # 1-2-3 help each other round a ring; 3-4-5 likewise; 6 never exchanged.
    records = [h(1, 2), h(2, 3), h(3, 1), h(3, 4), h(4, 5), h(5, 3)]
    f = measure([1, 2, 3, 4, 5, 6], records)
    assert (f.members, f.exchanged, f.largest_group, f.groups) == (6, 5, 5, 1)
    assert f.connected_share == 83  # 5 of 6
    assert [(b.member, b.cut_off) for b in f.brokers] == [(3, 2)]
    assert f.brokers[0].betweenness > 0
    assert f.bridges == []  # every link is in a ring: losing one splits nothing
    assert f.never == [6]
    assert f.givers_only == [] and f.receivers_only == []
    assert f.reciprocity == 0  # a ring gives and gets, but no pair helped each other both ways


def test_a_business_giving_to_four_is_a_giver_only_and_each_link_a_bridge():
    f = measure([10, 1, 2, 3, 4], [h(10, n, 3) for n in (1, 2, 3, 4)])
    assert f.givers_only == [10] and f.receivers_only == [1, 2, 3, 4]
    assert f.both_ways == 0
    assert [b.member for b in f.brokers] == [10] and f.brokers[0].cut_off == 3
    assert len(f.bridges) == 4
    assert f.reciprocity == 0 and f.connected_share == 100


def test_reciprocity_counts_pairs_that_helped_each_other():
    records = [h(1, 2), h(2, 1), h(2, 1, 4), h(3, 4), h(5, 6), h(6, 5)]
    f = measure([1, 2, 3, 4, 5, 6, 7], records)
    assert (f.reciprocated_pairs, f.pairs, f.reciprocity) == (2, 3, 67)
    assert f.groups == 3 and f.largest_group == 2 and f.never == [7]
    assert f.connected_share == 29  # 2 of 7
    hours = {(a, b): (hrs, n) for a, b, hrs, n in f.edges}
    assert hours[(2, 1)] == (Decimal(5), 2)  # two records, 1 + 4 hours, one link


def test_help_to_oneself_and_a_member_no_longer_active_are_handled():
    f = measure([1, 2], [h(1, 1, 9), h(1, 2), h(3, 1)])
    assert f.members == 3  # 3 has left but its help is counted
    assert f.links == 2 and f.givers_only == [3] and f.receivers_only == [2]


def test_no_help_at_all():
    f = measure([1, 2, 3], [])
    assert (f.exchanged, f.largest_group, f.groups, f.connected_share, f.reciprocity) == (0, 0, 0, 0, None)
    assert f.never == [1, 2, 3] and f.quarters == []
    assert picture(f, numbering(f)).startswith("data:image/svg+xml;base64,")


def test_quarter_by_quarter():
    records = [h(1, 2, day=date(2025, 2, 3)), h(2, 1, day=date(2025, 3, 30)),
               h(1, 3, day=date(2025, 4, 1)), h(3, 4, day=date(2025, 6, 30)), h(5, 6, day=date(2025, 6, 1))]
    f = measure([1, 2, 3, 4, 5, 6], records)
    q1, q2 = f.quarters
    assert (q1.label, q1.took_part, q1.links, q1.largest_group, q1.reciprocity, q1.first_time) == \
        ("2025 Q1", 2, 2, 2, 100, 2)
    assert (q2.label, q2.took_part, q2.links, q2.largest_group, q2.reciprocity, q2.first_time) == \
        ("2025 Q2", 5, 3, 3, 0, 4)


def test_numbers_put_the_busiest_member_first_and_the_picture_shows_every_number():
    import base64

    f = measure([1, 2, 3], [h(1, 2, 5), h(3, 2, 1)])
    numbers = numbering(f)
    assert numbers[2] == 1 and set(numbers.values()) == {1, 2, 3}
    svg = base64.b64decode(picture(f, numbers).split(",", 1)[1]).decode()
    assert svg.count("<circle") == 3 and svg.count("<path") == 2 + 1  # two arrows and the marker
    assert ">1</text>" in svg and ">3</text>" in svg


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7), st.integers(0, 6)), max_size=25))
def test_invariants_on_random_histories(pairs):
    records = [h(a, b, hrs) for a, b, hrs in pairs]
    f = measure(list(range(8)), records)
    assert f.exchanged + len(f.never) == f.members
    assert not set(f.givers_only) & set(f.receivers_only)
    assert f.both_ways >= 0 and 0 <= f.largest_group <= f.exchanged
    assert f.reciprocated_pairs <= f.pairs <= f.links
    assert all(b.cut_off >= 1 for b in f.brokers)
    assert sum(n for *_, n in f.edges) == sum(1 for a, b, _ in pairs if a != b)


def test_network_pages_name_members_for_coordinators_only(client, auth, history):
    public = client.get("/impact/network").get_data(as_text=True)
    assert "Reports Member" not in public
    assert "of members are connected to the rest" in public and 'id="network-links"' in public
    assert "data:image/svg+xml;base64," in public
    assert client.get("/coordinator/network").status_code in (302, 401, 403)
    auth.login(history.coordinator)
    page = client.get("/coordinator/network").get_data(as_text=True)
    assert "Reports Member" in page and 'id="never-exchanged"' in page
    # every member of the generated history exchanged: only the coordinator's none-member list is empty
    links = page[page.index('id="network-links"'):]
    pairs = {(leg["giver"], leg["receiver"]) for leg in history.legs}
    assert links[:links.index("</table>")].count("<tr") - 1 >= len(pairs)
    dashboard = client.get("/coordinator/impact").get_data(as_text=True)
    assert "How the sector works together" in dashboard and "of linked pairs helped each other both ways" in dashboard


def test_a_big_network_is_drawn_with_its_busiest_members_only():
    import base64

    records = [h(n, n + 1, n) for n in range(1, 120)]
    f = measure(list(range(1, 121)), records)
    numbers = numbering(f)
    svg = base64.b64decode(picture(f, numbers, limit=30).split(",", 1)[1]).decode()
    assert svg.count("<circle") == 30
    assert ">30</text>" in svg and ">31</text>" not in svg
    assert svg.count("<path") - 1 <= 29  # only links between members drawn


def test_the_table_holds_the_links_among_the_pictures_members_and_the_csv_every_link():
    from timebank.reports.network import links_among_numbered

    records = [h(n, n + 1, n) for n in range(1, 120)] + [h(1, 119)]
    f = measure(list(range(1, 121)), records)
    numbers = numbering(f)
    shown = links_among_numbered(f, numbers, limit=30)
    busiest = {node for node, number in numbers.items() if number <= 30}
    assert shown and all(a in busiest and b in busiest for a, b, *_ in shown)
    assert len(shown) == sum(1 for a, b, *_ in f.edges if a in busiest and b in busiest) < len(f.edges)
    assert [numbers[a] for a, *_ in shown] == sorted(numbers[a] for a, *_ in shown)


def test_the_network_csv_has_every_link_named_for_coordinators_only(client, auth, history):
    import csv
    import io
    import re

    page = client.get("/impact/network").get_data(as_text=True)
    links = int(re.search(r"Links \(giver to receiver\)</th>\s*<td[^>]*>([\d,]+)</td>", page).group(1))
    pairs = {(leg["giver"], leg["receiver"]) for leg in history.legs}
    pairs |= {(history.members[3], b["receiver"]) for b in history.bookings + history.loans}
    assert links == len(pairs - {(a, a) for a in history.members})
    public = client.get("/impact/network?format=csv")
    assert public.status_code == 200 and public.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(public.get_data().decode("utf-8-sig"))))
    assert rows[0] == ["from_number", "to_number", "person_hours", "records"]
    assert len(rows) - 1 == links
    assert "Reports Member" not in public.get_data(as_text=True)
    assert "Download these links (CSV)" in page
    assert client.get("/coordinator/network?format=csv").status_code in (302, 401, 403)
    auth.login(history.coordinator)
    mine = list(csv.reader(io.StringIO(client.get("/coordinator/network?format=csv").get_data().decode("utf-8-sig"))))
    assert mine[0] == ["from_number", "from_member", "to_number", "to_member", "person_hours", "records"]
    assert len(mine) - 1 == links and any("Reports Member" in cell for cell in mine[1])
    assert sum(Decimal(r[4]) for r in mine[1:]) == sum(Decimal(r[2]) for r in rows[1:])
