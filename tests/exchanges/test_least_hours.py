"""A quarter of an hour is the least help that can be confirmed or settled, on every edge: the forms
said 0.25 while the API took 0.01 and the service anything above 0."""
from decimal import Decimal

import marshmallow
import pytest

from timebank.errors import DomainError
from timebank.listings.models import LEAST_HOURS


def test_the_service_refuses_less_than_a_quarter_of_an_hour_beside_the_field():
    from timebank.exchanges.services import _amounts

    with pytest.raises(DomainError) as refused:
        _amounts(Decimal("0.1"), 1)
    assert refused.value.field == "actual_hours" and "between 0.25 and 10,000" in refused.value.message
    assert _amounts(LEAST_HOURS, 1) == (Decimal("0.25"), 1)


def test_the_api_confirmation_takes_what_the_form_takes():
    from timebank.api.exchanges import ConfirmSchema
    from timebank.exchanges.forms import HOURS_RANGE

    with pytest.raises(marshmallow.ValidationError) as refused:
        ConfirmSchema().load({"actual_hours": 0.1})
    assert "actual_hours" in refused.value.messages
    assert ConfirmSchema().load({"actual_hours": 0.25})["actual_hours"] == 0.25
    assert Decimal(str(HOURS_RANGE.min)) == LEAST_HOURS
