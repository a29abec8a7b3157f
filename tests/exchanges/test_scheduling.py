"""When a leg can happen: the times its listings share, the slot the approve form suggests, and the
checks on a chosen slot (plain objects: no app, no database)."""
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from timebank.errors import DomainError
from timebank.exchanges import scheduling
from timebank.listings.models import ALL_WEEK, DAY_PARTS

MONDAY_TO_FRIDAY_MORNINGS = sum(1 << (day * 3 + DAY_PARTS.index("morning")) for day in range(5))
WEEKDAY_AFTERNOONS_AND_MORNINGS = MONDAY_TO_FRIDAY_MORNINGS | sum(1 << (day * 3 + 1) for day in range(5))


def listing(start, end, pattern=ALL_WEEK, name="Kirkby Food Bank"):
    return SimpleNamespace(available_from=start, available_until=end, weekly_pattern=pattern,
                           member=SimpleNamespace(name=name), dates=[])


def leg(offer, need, *, kind="skill", hours="3", position=0):
    return SimpleNamespace(id=7, position=position, kind=kind, hours=Decimal(hours), offer=offer, need=need,
                           giver=SimpleNamespace(name="Giver Trust"), receiver=SimpleNamespace(name="Receiver Group"))


def test_the_suggested_slot_is_in_the_shared_window_and_times_and_as_long_as_the_hours():
    part = leg(listing(date(2027, 3, 1), date(2027, 6, 30), WEEKDAY_AFTERNOONS_AND_MORNINGS),
               listing(date(2027, 3, 10), date(2027, 4, 30), MONDAY_TO_FRIDAY_MORNINGS), hours="2.5")
    start, end = scheduling.suggest(part, now=datetime(2027, 2, 20, 9, 0))
    assert start == datetime(2027, 3, 10, 10, 0)  # a Wednesday morning, the first day both are available
    assert end == datetime(2027, 3, 10, 12, 30)


def test_the_suggestion_is_never_in_the_past_nor_on_a_public_holiday():
    # 25 December 2026 and 28 December (Boxing Day observed) are public holidays in England; a
    # weekday comes before a weekend day.
    part = leg(listing(date(2026, 12, 1), date(2027, 1, 31)), listing(date(2026, 12, 1), date(2027, 1, 31)))
    start, _ = scheduling.suggest(part, now=datetime(2026, 12, 24, 15, 0))
    assert start == datetime(2026, 12, 29, 10, 0)
    assert scheduling.is_bank_holiday(date(2026, 12, 28))


def test_equipment_is_lent_for_whole_days():
    # Monday 3 May 2027 is the Early May bank holiday.
    part = leg(listing(date(2027, 5, 1), date(2027, 5, 31)), listing(date(2027, 5, 1), date(2027, 5, 31)),
               kind="equipment", hours="3")
    start, end = scheduling.suggest(part, now=datetime(2027, 4, 1))
    assert (start.date(), end.date()) == (date(2027, 5, 4), date(2027, 5, 6))


def test_listings_that_share_no_time_get_no_suggestion():
    part = leg(listing(date(2027, 3, 1), date(2027, 3, 31)), listing(date(2027, 4, 1), date(2027, 4, 30)))
    assert scheduling.suggest(part, now=datetime(2027, 2, 1)) is None


@pytest.mark.parametrize("start, end, message", [
    (datetime(2027, 3, 10, 12, 0), datetime(2027, 3, 10, 10, 0), "the end must be after the start"),
    (datetime(2027, 2, 1, 10, 0), datetime(2027, 2, 1, 12, 0), "the start is in the past"),
    (datetime(2027, 7, 5, 10, 0), datetime(2027, 7, 5, 12, 0), "are both available 10 March 2027 to 30 April 2027"),
    (datetime(2027, 3, 13, 10, 0), datetime(2027, 3, 13, 12, 0), "Saturday morning is not a time"),
    (datetime(2027, 3, 10, 18, 0), datetime(2027, 3, 10, 20, 0), "Wednesday evening is not a time"),
])
def test_a_chosen_slot_is_refused_beside_its_field_unless_overridden(start, end, message):
    part = leg(listing(date(2027, 3, 1), date(2027, 6, 30), WEEKDAY_AFTERNOONS_AND_MORNINGS),
               listing(date(2027, 3, 10), date(2027, 4, 30), MONDAY_TO_FRIDAY_MORNINGS))
    now = datetime(2027, 2, 20, 9, 0)
    with pytest.raises(DomainError, match=message) as refused:
        scheduling.check_slot(part, start, end, now, override=False)
    assert refused.value.field in ("start_7", "end_7")
    if "past" not in message and "after the start" not in message:
        scheduling.check_slot(part, start, end, now, override=True)  # a reason lets it through


def test_availability_is_described_for_people():
    assert scheduling.describe_pattern(ALL_WEEK) == "any day, any time"
    assert scheduling.describe_pattern(MONDAY_TO_FRIDAY_MORNINGS) == "Monday to Friday mornings"
    assert scheduling.describe_pattern(1 << 3) == "every Tuesday morning"
    tuesday_and_thursday_afternoons = (1 << 4) | (1 << 10)
    assert scheduling.describe_pattern(tuesday_and_thursday_afternoons | 0b111 << 15) == \
        "Tuesday and Thursday afternoons; every Saturday, all day"
    assert scheduling.describe_pattern(WEEKDAY_AFTERNOONS_AND_MORNINGS) == "Monday to Friday mornings and afternoons"


def test_one_off_dates_are_the_only_days_a_listing_gives():
    saturday, sunday = date(2027, 3, 13), date(2027, 3, 14)
    dated = listing(saturday, sunday, pattern=(1 << 15) | (0b111 << 18))
    dated.dates = [SimpleNamespace(day=saturday, parts=1), SimpleNamespace(day=sunday, parts=0b111)]
    weekly = listing(date(2027, 3, 1), date(2027, 6, 30))  # any day, any time
    part = leg(weekly, dated)
    assert scheduling.shared(part).describe() == "on Saturday 13 March 2027 (morning) and Sunday 14 March 2027"
    assert scheduling.suggest(part, now=datetime(2027, 3, 1)) == (datetime(2027, 3, 13, 10), datetime(2027, 3, 13, 13))
    now = datetime(2027, 3, 1)
    scheduling.check_slot(part, datetime(2027, 3, 14, 18), datetime(2027, 3, 14, 20), now, override=False)
    with pytest.raises(DomainError, match="Saturday afternoon is not a time"):
        scheduling.check_slot(part, datetime(2027, 3, 13, 14), datetime(2027, 3, 13, 16), now, override=False)
    dated.dates = [SimpleNamespace(day=saturday, parts=1)]
    dated.available_until = saturday
    with pytest.raises(DomainError, match="are both available on Saturday 13 March 2027"):
        scheduling.check_slot(part, datetime(2027, 3, 20, 10), datetime(2027, 3, 20, 12), now, override=False,
                              for_members=True)
