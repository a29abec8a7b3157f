"""Validators built from the standards' own files in tests/data/standards (see its README)."""
from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

STANDARDS = Path(__file__).parent.parent / "data" / "standards"
ORUK = STANDARDS / "openreferral-uk"
VDS = STANDARDS / "volunteering"
MAP = {"https://raw.githubusercontent.com/openreferral/uk-profile/main/": ORUK / "uk-profile",
       "https://raw.githubusercontent.com/tpximpact/OpenReferralApi/refs/heads/main/": ORUK / "oruk-validator"}


def _retrieve(uri: str) -> Resource:
    for prefix, folder in MAP.items():
        if uri.startswith(prefix):
            return Resource.from_contents(json.loads((folder / uri[len(prefix):]).read_text()),
                                          default_specification=DRAFT202012)
    raise LookupError(f"not in tests/data/standards: {uri}")


@cache
def _registry() -> Registry:
    registry = Registry(retrieve=_retrieve)
    for name, path in (("urn:uk-profile", ORUK / "uk-profile/schema/openapi.json"),
                       ("urn:oruk-validator", ORUK / "oruk-validator/OpenReferralApi/Schemas/V3.0-UK/open_api.json")):
        spec = json.loads(path.read_text())
        registry = registry.with_resource(name, Resource.from_contents(spec, default_specification=DRAFT202012))
    return registry


def _pointer(path: str) -> str:
    return path.replace("~", "~0").replace("/", "~1")


def oruk_errors(spec: str, path: str, body) -> list[str]:
    """Errors of `body` against the 200 response of GET `path` in `spec` ("uk-profile": the
    profile's OpenAPI; "oruk-validator": the validator's, which adds /organizations)."""
    ref = f"urn:{spec}#/paths/{_pointer(path)}/get/responses/200/content/application~1json/schema"
    validator = Draft202012Validator({"$ref": ref}, registry=_registry(),
                                     format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(body)]


def oruk_item_errors(schema: str, body) -> list[str]:
    """Errors against one compiled uk-profile schema (service_list.json for a page's items: the
    validator's own /services schema does not reach them, see tests/data/standards/README.md)."""
    ref = f"https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/compiled/{schema}"
    validator = Draft202012Validator({"$ref": ref}, registry=_registry(),
                                     format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(body)]


# -- the Volunteering Data Standard --------------------------------------------------------------

NS = "https://ns.volunteeringdata.io/"


@cache
def _context() -> dict:
    return json.loads((VDS / "open-data-infrastructure/Query/Context/v1.jsonld").read_text())["@context"]


@cache
def ontology():
    from rdflib import Graph

    g = Graph()
    for ttl in sorted((VDS / "standard/assets/ttl").glob("*.ttl")):
        g.parse(ttl, format="turtle")
    return g


def vds_graph(document: dict):
    """The feed as RDF, with its context URL replaced by the copied context (offline)."""
    from rdflib import Graph

    assert document["@context"] == "https://api.volunteeringdata.io/context/v1"
    local = copy.deepcopy(document)
    local["@context"] = _context()
    return Graph().parse(data=json.dumps(local), format="json-ld")


def shacl(data_graph, shapes_ttl: str):
    """pyshacl's (conforms, report text) for `shapes_ttl` (Turtle), with the ontology."""
    from pyshacl import validate
    from rdflib import Graph

    shapes = Graph().parse(data=shapes_ttl, format="turtle")
    conforms, _, text = validate(data_graph, shacl_graph=shapes, ont_graph=ontology(), inference="none",
                                 allow_warnings=False)
    return conforms, text


def official_shapes() -> str:
    return (VDS / "open-data-infrastructure/vocabulary/shapes.ttl").read_text()


def is_a(iri: str, kind: str) -> bool:
    """`iri` is declared in the standard's TTLs with rdf:type `kind` (a full IRI)."""
    from rdflib import RDF, URIRef

    return (URIRef(iri), RDF.type, URIRef(kind)) in ontology()


def declared_properties() -> set[str]:
    """Every property the ontology declares (object, datatype or plain RDF properties)."""
    rows = ontology().query("""SELECT DISTINCT ?p WHERE { ?p a ?t . FILTER(?t IN (
        <http://www.w3.org/2002/07/owl#ObjectProperty>, <http://www.w3.org/2002/07/owl#DatatypeProperty>,
        <http://www.w3.org/1999/02/22-rdf-syntax-ns#Property>)) }""")
    return {str(r[0]) for r in rows}


def declared_classes() -> set[str]:
    rows = ontology().query("SELECT DISTINCT ?c WHERE { ?c a <http://www.w3.org/2002/07/owl#Class> }")
    return {str(r[0]) for r in rows}


VALIDATOR_SCHEMAS = "https://raw.githubusercontent.com/tpximpact/OpenReferralApi/refs/heads/main/OpenReferralApi/Schemas/V3.0-UK/"


def oruk_organizations_page_errors(body) -> list[str]:
    """/organizations as base HSDS 3.0 defines it: the profile's Page, its `contents` items
    checked against the validator's organization_list.json. (The validator's own open_api.json
    points /organizations at organization_list.json itself, an item schema, which no page could
    pass: see docs/open-data.md.)"""
    schema = {"allOf": [{"$ref": "urn:uk-profile#/components/schemas/Page"}],
              "properties": {"contents": {"type": "array", "items": {"$ref": VALIDATOR_SCHEMAS + "organization_list.json"}}},
              "required": ["contents"]}
    validator = Draft202012Validator(schema, registry=_registry(), format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(body)]
