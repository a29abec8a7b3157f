"""Tokens: make, list and revoke your own personal access tokens, as on the account page.

A token makes tokens no stronger than itself: a read token cannot make any (it cannot write), and
only a coordinator token makes coordinator tokens (the service asks `is_coordinator`, which a
coordinator's read-write token is not; see core.ApiActor).
"""
from __future__ import annotations

import marshmallow as ma
from flask import url_for
from marshmallow import validate

from timebank.accounts import tokens
from timebank.api import idempotency
from timebank.api.core import LINK_HEADER, PageArgs, StrictSchema, Text, Utc, actor, blueprint, page_of, page_schema, paged
from timebank.api.document import problems

bp = blueprint("token_api", "Personal access tokens: make, list and revoke your own", tag="Tokens")
ID = "id"


class TokenSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    scope = ma.fields.String(required=True, metadata={"enum": list(tokens.SCOPES)})
    prefix = ma.fields.String(required=True, metadata={"description": "Its first characters, to tell tokens apart"})
    created_at = Utc(required=True)
    last_used_at = Utc(allow_none=True, required=True, metadata={"description": "To the minute"})
    revoked_at = Utc(allow_none=True, required=True)


class NewTokenSchema(TokenSchema):
    secret = ma.fields.String(required=True, allow_none=True, metadata={
        "description": "Send it as Authorization: Bearer <secret>. Shown this once only: keep it safe. Null in "
                       "the answer to a retry with the same Idempotency-Key (the secret is never stored)"})


class TokenRequestSchema(StrictSchema):
    name = Text(required=True, min_length=1, max_length=80, metadata={"description": "So you can tell your tokens apart"})
    scope = ma.fields.String(required=True, validate=validate.OneOf(list(tokens.SCOPES)), metadata={
        "description": "; ".join(f"{name}: {meaning}" for name, meaning in tokens.SCOPES.items())
                       + ". No stronger than the token that makes it"})


@bp.route("/tokens")
@bp.arguments(PageArgs, location="query")
@bp.response(200, page_schema(TokenSchema, "Token"), headers=LINK_HEADER)
@problems(422)
def list_tokens(args):
    """Your tokens, working ones first, newest first (never their secrets)"""
    return paged(page_of(tokens.tokens_of(actor().user), args))


@bp.route("/tokens", methods=["POST"])
@bp.arguments(TokenRequestSchema)
@bp.response(201, NewTokenSchema)
@problems(400, 422)
def create_token(values):
    """Make a token; its secret is in this answer only"""
    token, secret = tokens.create_token(actor(), name=values["name"], scope=values["scope"])
    token.secret = secret
    idempotency.never_kept("secret")
    return token, 201, {"Location": url_for("api_token_api.get_token", token_id=token.id)}


@bp.route(f"/tokens/<{ID}:token_id>")
@bp.response(200, TokenSchema)
@problems(404)
def get_token(token_id: int):
    """One of your tokens"""
    return tokens.load_token(token_id, actor())


@bp.route(f"/tokens/<{ID}:token_id>/revoke", methods=["POST"])
@bp.response(200, TokenSchema)
@problems(404, 409)
def revoke_token(token_id: int):
    """Stop one of your tokens working at once (it may be the one you send)"""
    return tokens.revoke_token(tokens.load_token(token_id, actor()), actor())
