"""A report asked for with a wrong filter (a programme that is not there, a date that is not a date)
says what is wrong beside the field and shows no figures: never the whole sector's under a filter."""
import pytest


@pytest.mark.parametrize("query, message", [
    ("tag=999", "Choose a programme, fund or grant from the list"),
    ("tag=abc", "Choose a programme, fund or grant from the list"),
    ("from=2027-02-31", "Enter a real date, like 27 3 2027"),
])
def test_a_wrong_filter_shows_no_figures(client, auth, history, query, message):
    auth.login(history.coordinator)
    whole = client.get("/coordinator/impact").get_data(as_text=True)
    assert "person-hours of time and skills given" in whole  # the figures, unfiltered
    for path in ("/coordinator/impact", "/coordinator/network", f"/members/{history.members[0]}/impact"):
        response = client.get(f"{path}?{query}")
        page = response.get_data(as_text=True)
        assert response.status_code == 400, path
        assert message in page and "Check the report's dates and programme" in page, path
        assert "person-hours of time and skills given" not in page and "Connected share" not in page, path
