"""The benchmark's synthetic sector: loads through the CLI and is searchable like posted listings."""
import re

from sqlalchemy import func, select

from timebank.extensions import db
from timebank.listings.models import Listing
from timebank.members.models import Member


def test_synthetic_listings_are_searchable_by_keyword_kind_and_distance(app, runner, client):
    result = runner.invoke(args=["seed", "synthetic", "--members", "40", "--listings", "400", "--seed", "5"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Member)) == 40
        assert db.session.scalar(select(func.count()).select_from(Listing)) == 400
        bookkeeping = db.session.scalar(select(func.count()).select_from(Listing).where(
            Listing.title.ilike("%bookkeeping%") | Listing.description.ilike("%bookkeeping%"),
            Listing.kind == "skill", Listing.expires_on >= func.current_date()))
    assert 0 < bookkeeping < 400
    page = client.get("/listings?q=bookkeeping&kind=skill").data.decode()
    found = int(re.search(r"([\d,]+) listings? found", page).group(1).replace(",", ""))
    assert found == bookkeeping
    near = client.get("/listings?q=bookkeeping&kind=skill&postcode=L36+9YS&within=25").data.decode()
    assert " km away" in near
