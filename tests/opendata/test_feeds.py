"""Both feeds validated against the standards' own schemas (tests/data/standards), on hostile
data and on the demo sector; only members that agreed are published; no personal data."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import RDF, URIRef

from tests.opendata.conftest import HOSTILE_NAME
from tests.opendata.standards import (
    NS, declared_classes, declared_properties, is_a, official_shapes, oruk_errors, oruk_item_errors,
    oruk_organizations_page_errors, shacl, vds_graph,
)

SHAPES = (Path(__file__).parent / "volunteering_shapes.ttl").read_text()
SKOS_CONCEPT = "http://www.w3.org/2004/02/skos/core#Concept"


def _vds(client) -> dict:
    response = client.get("/open-data/volunteering.jsonld")
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    return json.loads(response.get_data(as_text=True))


def check_volunteering(document: dict) -> None:
    """The feed parses as JSON-LD with the standard's context and meets the standard."""
    g = vds_graph(document)
    conforms, report = shacl(g, SHAPES)
    assert conforms, report
    conforms, report = shacl(g, official_shapes())  # the standard's own (stub) shapes
    assert conforms, report
    properties, classes = declared_properties(), declared_classes()
    for _, predicate, _ in g:
        if str(predicate).startswith(NS) and str(predicate) != NS + "graph":
            assert str(predicate) in properties, f"{predicate} is not in the ontology"
    for _, _, kind in g.triples((None, RDF.type, None)):
        assert str(kind) in classes, f"{kind} is not a class of the ontology"
    # Concepts are named as in the official examples (strings under the published context).
    for organisation in document["graph"]:
        for activity in organisation["activity"]:
            for role in activity["role"]:
                assert all(is_a(iri, SKOS_CONCEPT) for iri in role.get("requirement", [])), role
            for session in activity["session"]:
                assert all(is_a(iri, NS + "Time") for iri in session["time"]), session


def test_volunteering_feed_holds_published_needs_for_time_and_validates(client, published):
    document = _vds(client)
    check_volunteering(document)
    names = [o["name"] for o in document["graph"]]
    assert sorted(names) == sorted(["Kirkby Community Food Bank", HOSTILE_NAME])  # markup is data, kept as typed
    titles = [a["title"] for o in document["graph"] for a in o["activity"]]
    assert len(titles) == 2 and "A need nobody agreed to publish" not in titles
    assert "A skill need, not for volunteers" not in titles
    food = next(o for o in document["graph"] if o["name"] == "Kirkby Community Food Bank")
    role = food["activity"][0]["role"][0]
    assert role["requirement"] == [NS + "DBSCheck"]
    assert role["commitment"].startswith("6 volunteers, 3 hours in all")
    session = food["activity"][0]["session"][0]
    assert session["time"] == [NS + "MondayMorning", NS + "MondayAfternoon"]
    assert session["location"][0]["latitude"] == 53.478  # the L32 district's centre, not the address
    hostile = next(o for o in document["graph"] if o["name"] == HOSTILE_NAME)
    assert "website" not in hostile  # "javascript:alert(1)" is not a web address
    assert hostile["description"]  # an empty description is filled from the type and town
    remote = hostile["activity"][0]
    assert remote["role"][0]["allowsRemoteParticipation"] is True and "location" not in remote["session"][0]
    assert document["license"] == "CC-BY-4.0" and document["modified"].endswith("Z")


def test_feeds_carry_no_personal_data(client, published):
    texts = [client.get(url).get_data(as_text=True) for url in (
        "/open-data/volunteering.jsonld", "/open-data/oruk/services", "/open-data/oruk/organizations")]
    for text in texts:
        for secret in ("@food.example", "secret-person", "0151 000 0000", "admin@", "L32 1AB", "L36 9YS",
                       "Test Person", "Quiet Trust"):
            assert secret not in text


def test_withdrawing_consent_takes_a_member_out_of_both_feeds(client, auth, published):
    member = published.member_ids[0]
    auth.login(published.admins[member])
    page = client.get(f"/members/{member}/open-data").get_data(as_text=True)
    assert "Published as open data" in page
    response = client.post(f"/members/{member}/open-data", data={"publish": "no"}, follow_redirects=True)
    assert "is not published as open data" in response.get_data(as_text=True)
    assert "Kirkby Community Food Bank" not in client.get("/open-data/volunteering.jsonld").get_data(as_text=True)
    assert "Kirkby Community Food Bank" not in client.get("/open-data/oruk/organizations").get_data(as_text=True)
    response = client.post(f"/members/{member}/open-data", data={"publish": "maybe"})
    assert "Not a valid choice" in response.get_data(as_text=True) or "Choose yes or no" in response.get_data(as_text=True)


def test_only_a_members_admins_choose(client, auth, published):
    member = published.member_ids[0]
    auth.login(published.admins[published.hidden_ids[0]])
    assert client.post(f"/members/{member}/open-data", data={"publish": "no"}).status_code == 403
    assert "Kirkby Community Food Bank" in client.get("/open-data/oruk/organizations").get_data(as_text=True)


def test_oruk_services_and_organisations_validate(client, published):
    root = client.get("/open-data/oruk/")
    assert root.headers["Access-Control-Allow-Origin"] == "*"
    assert oruk_errors("oruk-validator", "/", root.get_json()) == []
    assert root.get_json()["version"] == "HSDS-UK-3.0"
    services = client.get("/open-data/oruk/services").get_json()
    assert oruk_errors("uk-profile", "/services", services) == []
    assert services["total_items"] == 2 and {s["name"] for s in services["contents"]} == {
        "Bookkeeping help from our treasurer", "<b>Litter</b> pickers & co"}
    for item in services["contents"]:
        assert oruk_item_errors("service_list.json", item) == []
        one = client.get(f"/open-data/oruk/services/{item['id']}")
        assert one.headers["Access-Control-Allow-Origin"] == "*"
        assert oruk_errors("uk-profile", "/services/{id}", one.get_json()) == []
        assert oruk_item_errors("service.json", one.get_json()) == []
    organisations = client.get("/open-data/oruk/organizations").get_json()
    assert oruk_organizations_page_errors(organisations) == []
    assert organisations["total_items"] == 2
    for item in organisations["contents"]:
        one = client.get(f"/open-data/oruk/organizations/{item['id']}").get_json()
        assert oruk_errors("oruk-validator", "/organizations/{id}", one) == []
        assert len(one["services"]) == 1
    filtered = client.get(f"/open-data/oruk/services?organization_id={organisations['contents'][0]['id']}").get_json()
    assert filtered["total_items"] == 1


def test_the_validators_catch_a_broken_service(client, published):
    """The schemas are really applied: a service without a name, or with a status ORUK does not know, fails."""
    services = client.get("/open-data/oruk/services").get_json()
    broken = dict(services["contents"][0])
    del broken["name"]
    assert oruk_item_errors("service_list.json", broken)
    assert oruk_item_errors("service_list.json", dict(services["contents"][0], status="open"))
    assert oruk_item_errors("service_list.json", dict(services["contents"][0], id="not-a-uuid"))
    document = _vds(client)
    del document["graph"][0]["activity"][0]["role"][0]["applyLink"]
    with pytest.raises(AssertionError):
        check_volunteering(document)


@pytest.mark.parametrize(("query", "message"), [("page=0", "page must be"), ("per_page=500", "per_page must be"),
                                                ("page=x", "page must be"), ("per_page=-1", "per_page must be")])
def test_oruk_paging_and_bad_input(client, published, query, message):
    response = client.get(f"/open-data/oruk/services?{query}")
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert message in response.get_json()["detail"]


def test_oruk_pages_and_unknown_ids(client, published):
    second = client.get("/open-data/oruk/services?page=2&per_page=1").get_json()
    assert (second["page_number"], second["size"], second["total_pages"], second["last_page"]) == (2, 1, 2, True)
    assert oruk_errors("uk-profile", "/services", second) == []
    beyond = client.get("/open-data/oruk/services?page=9").get_json()
    assert beyond["empty"] is True and oruk_errors("uk-profile", "/services", beyond) == []
    for url in ("/open-data/oruk/services/00000000-0000-0000-0000-000000000000",
                "/open-data/oruk/organizations/<script>", "/open-data/oruk/taxonomies"):
        response = client.get(url)
        assert response.status_code == 404, url


def test_open_data_page_lists_each_feed_with_licence_update_time_and_format(client, published):
    page = client.get("/open-data").get_data(as_text=True)
    for text in ('href="/open-data/volunteering.jsonld"', 'href="/open-data/oruk/services"',
                 'href="/open-data/oruk/organizations"', "Creative Commons Attribution 4.0", "JSON-LD",
                 "Open Referral UK", "Updated", "1 from" if False else "Open needs for volunteers"):
        assert text in page
    assert 'href="/open-data"' in client.get("/").get_data(as_text=True)


def test_the_demo_sector_validates(app, client):
    from seed.demo import load_demo
    from timebank.extensions import db

    with app.test_request_context():
        load_demo(log=lambda *_: None)
        db.session.commit()
    document = _vds(client)
    assert len(document["graph"]) >= 3
    check_volunteering(document)
    services = client.get("/open-data/oruk/services?per_page=200").get_json()
    assert services["total_items"] > 5 and oruk_errors("uk-profile", "/services", services) == []
    assert all(oruk_item_errors("service_list.json", s) == [] for s in services["contents"])
    organisations = client.get("/open-data/oruk/organizations?per_page=200").get_json()
    assert oruk_organizations_page_errors(organisations) == []
    assert "Knowsley Council Communities Team" not in json.dumps(organisations)  # did not agree
    text = json.dumps(document) + json.dumps(services)
    assert "0151 " not in text and "@" not in text.replace("@context", "")
