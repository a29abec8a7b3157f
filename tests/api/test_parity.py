"""What the web could do and the API could not (issue 20): the same services, the same rules."""
from __future__ import annotations

from sqlalchemy import select

from timebank.extensions import db

PROBLEMS = "/api/v1/problems/"


# -- tokens ----------------------------------------------------------------------------------------

def test_a_token_makes_lists_and_revokes_tokens_whose_secret_is_shown_once(app, api, world, tokens):
    from timebank.api.models import IdempotentRequest

    staff_a = api(tokens["staff_a"])
    made = staff_a.post("/api/v1/tokens", json={"name": "Rota system", "scope": "read"},
                        headers={"Idempotency-Key": "token-1"})
    assert made.status_code == 201 and made.json["scope"] == "read" and made.json["secret"].startswith("tbk_")
    assert made.headers["Location"].endswith(f"/api/v1/tokens/{made.json['id']}")
    # The new token works, and reads as its person.
    assert api(made.json["secret"]).get("/api/v1/me").json["token_scope"] == "read"
    # A retry answers as the first time did, but the secret was never stored: it is null.
    again = staff_a.post("/api/v1/tokens", json={"name": "Rota system", "scope": "read"},
                         headers={"Idempotency-Key": "token-1"})
    assert again.status_code == 201 and again.json["id"] == made.json["id"] and again.json["secret"] is None
    with app.app_context():
        kept = db.session.scalars(select(IdempotentRequest.body)).all()
        assert kept and not any(made.json["secret"] in body for body in kept)
    listed = staff_a.get("/api/v1/tokens").json["items"]
    assert made.json["id"] in [t["id"] for t in listed] and all("secret" not in t for t in listed)
    # Revoked, it stops working at once; revoking twice is a wrong state.
    revoked = staff_a.post(f"/api/v1/tokens/{made.json['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json["revoked_at"]
    assert api(made.json["secret"]).get("/api/v1/me").status_code == 401
    twice = staff_a.post(f"/api/v1/tokens/{made.json['id']}/revoke")
    assert twice.status_code == 409 and twice.json["type"] == PROBLEMS + "wrong-state"


def test_a_token_makes_no_token_stronger_than_itself_and_sees_only_its_persons_tokens(api, world, tokens):
    # A coordinator's read-write token cannot make a coordinator token; its coordinator token can.
    coordinator = api(tokens["coordinator"])
    refused = coordinator.post("/api/v1/tokens", json={"name": "Everything", "scope": "coordinator"})
    assert refused.status_code == 403 and refused.json["errors"] == {"scope": [refused.json["detail"]]}
    made = api(tokens["coordinator_scope"]).post("/api/v1/tokens", json={"name": "Everything", "scope": "coordinator"})
    assert made.status_code == 201 and made.json["scope"] == "coordinator"
    # A read token cannot make tokens at all.
    assert api(tokens["read_a"]).post("/api/v1/tokens", json={"name": "x", "scope": "read"}).status_code == 403
    # Another person's token is not found, and cannot be revoked.
    other = made.json["id"]
    assert api(tokens["staff_a"]).get(f"/api/v1/tokens/{other}").status_code == 404
    assert api(tokens["staff_a"]).post(f"/api/v1/tokens/{other}/revoke").status_code == 404
    assert api(made.json["secret"]).get("/api/v1/me").status_code == 200
    # Bad input is a validation problem naming the field.
    bad = coordinator.post("/api/v1/tokens", json={"name": "", "scope": "admin"})
    assert bad.status_code == 422 and set(bad.json["errors"]) == {"name", "scope"}
