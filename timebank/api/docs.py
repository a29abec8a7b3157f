"""A readable page of the API, rendered on the server from the same OpenAPI document (no CDN, no script)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template

from timebank.api.problems import PROBLEM_TYPES

bp = Blueprint("api_docs", __name__)
METHODS = ("get", "post", "patch", "put", "delete")


def _type(schema: dict, spec: dict) -> str:
    """A short description of a JSON Schema, like "integer, 1 to 100" or "one of: offer, need"."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " or ".join(_type(s, spec) for s in schema["anyOf"])
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        kind = " or ".join(kind)
    if kind == "array":
        kind = f"list of {_type(schema.get('items', {}), spec)}"
    words = [kind + (f" ({schema['format']})" if "format" in schema else "")]
    if "enum" in schema:
        words.append("one of: " + ", ".join(str(v) for v in schema["enum"] if v is not None))
    if "minimum" in schema or "maximum" in schema:
        words.append(f"{schema.get('minimum', '')} to {schema.get('maximum', '')}".strip())
    if "maxLength" in schema:
        words.append(f"at most {schema['maxLength']} characters")
    return ", ".join(words)


def _resolved(thing: dict, spec: dict) -> dict:
    """A parameter (or anything) itself, where the document refers to a shared one."""
    if "$ref" not in thing:
        return thing
    _, _, kind, name = thing["$ref"].split("/")
    return spec["components"][kind][name]


def _fields(schema: dict, spec: dict) -> tuple[str | None, list[dict]]:
    """(schema name, its fields) for a request or response body."""
    name = None
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    required = set(schema.get("required", []))
    return name, [{"name": field, "type": _type(prop, spec), "required": field in required,
                   "description": prop.get("description", "")}
                  for field, prop in schema.get("properties", {}).items()]


def describe(spec: dict) -> list[dict]:
    """The operations of the document, grouped by tag, in a shape a template can walk."""
    tags = {tag["name"]: {"name": tag["name"], "description": tag.get("description", ""), "operations": []}
            for tag in spec.get("tags", [])}
    for path, item in spec["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            parameters = [{"name": p["name"], "in": p["in"], "required": p.get("required", False),
                           "type": _type(p.get("schema", {}), spec), "description": p.get("description", "")}
                          for p in map(lambda p: _resolved(p, spec),
                                       item.get("parameters", []) + operation.get("parameters", []))]
            body = None
            content = operation.get("requestBody", {}).get("content", {})
            if content:
                media = next(iter(content))
                body_name, body_fields = _fields(content[media].get("schema", {}), spec)
                body = {"media": media, "name": body_name, "fields": body_fields}
            responses = []
            for status, response in sorted(operation.get("responses", {}).items()):
                media = next(iter(response.get("content", {})), None)
                name = response["content"][media].get("schema", {}).get("$ref", "").rsplit("/", 1)[-1] if media else ""
                responses.append({"status": status, "description": response.get("description", ""),
                                  "media": media, "schema": name})
            for tag in operation.get("tags", ["other"]):
                tags.setdefault(tag, {"name": tag, "description": "", "operations": []})["operations"].append({
                    "id": f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""),
                    "method": method.upper(), "path": path, "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""), "parameters": parameters, "body": body,
                    "responses": responses})
    return [tag for tag in tags.values() if tag["operations"]]


@bp.route("/api/v1/docs")
def index():
    """The API's reference, readable in a browser; the machine-readable one is /api/v1/openapi.json."""
    spec = current_app.extensions["timebank-api"].spec.to_dict()
    schemas = {name: _fields({"$ref": f"#/components/schemas/{name}"}, spec)[1]
               for name in sorted(spec["components"]["schemas"])}
    return render_template("api/docs.html", spec=spec, tags=describe(spec), schemas=schemas)


@bp.route("/api/v1/problems")
def problems():
    """Every kind of error the API gives (each problem's `type`), with when it happens and what to do."""
    return render_template("api/problems.html", kinds=list(PROBLEM_TYPES.values()), chosen=None)


@bp.route("/api/v1/problems/<slug>")
def problem(slug: str):
    """One kind of error: its `type` URI resolves here."""
    kind = PROBLEM_TYPES.get(slug)
    if kind is None:
        abort(404)
    return render_template("api/problems.html", kinds=[kind], chosen=kind)
