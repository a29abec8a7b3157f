"""Members: who the token acts for, the public directory of members, a member's profile and changing it."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate
from sqlalchemy import select

from flask import Response

from timebank.api.core import (EMAIL_ADDRESS, LINK_HEADER, WEB_ADDRESS, PageArgs, StrictSchema, Text, Utc, actor, blueprint, page_schema, paged,
                               paginate)
from timebank.api.document import problems
from timebank.extensions import db
from timebank.members import services
from timebank.members.access import can_see_contact, load_member
from timebank.members.models import MEMBER_TYPES, Member, Membership
from timebank.places import TOWNS, WARDS
from timebank.privacy import downloads

bp = blueprint("members", "Organisations and businesses: read them, change your own", tag="Members")
ID = "id"


class MemberSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    type = ma.fields.String(required=True, metadata={"enum": list(MEMBER_TYPES)})
    status = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    areas_served = ma.fields.String(required=True)
    town = ma.fields.String(required=True)
    ward = ma.fields.String(allow_none=True, required=True)
    postcode = ma.fields.String(required=True)
    charity_number = ma.fields.String(allow_none=True, required=True)
    company_number = ma.fields.String(allow_none=True, required=True)
    website = ma.fields.String(allow_none=True, required=True)
    contact_email = ma.fields.Method("_email", required=True, metadata={
        "type": ["string", "null"], "description": "Only for the member's own people, partners and coordinators"})
    contact_phone = ma.fields.Method("_phone", required=True, metadata={"type": ["string", "null"]})
    created_at = Utc(required=True)

    def _email(self, member):
        return member.contact_email if can_see_contact(actor(), member) else None

    def _phone(self, member):
        return member.contact_phone if can_see_contact(actor(), member) else None


class MembershipSchema(ma.Schema):
    member_id = ma.fields.Integer(required=True)
    member_name = ma.fields.Function(lambda m: m.member.name, required=True, metadata={"type": "string"})
    role = ma.fields.String(required=True, metadata={"enum": ["admin", "staff"]})


class MeSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    display_name = ma.fields.String(required=True)
    email = ma.fields.String(required=True)
    is_coordinator = ma.fields.Boolean(required=True, metadata={"description": "True only with a coordinator token"})
    token_scope = ma.fields.String(required=True, metadata={"enum": ["read", "read-write", "coordinator"]})
    memberships = ma.fields.List(ma.fields.Nested(MembershipSchema), required=True)


class MemberUpdateSchema(StrictSchema):
    name = Text(min_length=1, max_length=160)
    type = ma.fields.String(validate=validate.OneOf(list(MEMBER_TYPES)))
    description = Text(max_length=4000)
    areas_served = Text(max_length=400)
    charity_number = Text(max_length=16, allow_none=True)
    company_number = Text(max_length=12, allow_none=True)
    postcode = Text(min_length=1, max_length=10)
    town = ma.fields.String(validate=validate.OneOf(TOWNS))
    ward = ma.fields.String(allow_none=True, validate=validate.OneOf(WARDS))
    website = Text(max_length=300, allow_none=True, pattern=WEB_ADDRESS,
                   pattern_message="Enter a web address, like https://example.org")
    contact_email = Text(max_length=254, allow_none=True, pattern=EMAIL_ADDRESS,
                         pattern_message="Enter an email address in the right format")
    contact_phone = Text(max_length=40, allow_none=True)


# The privacy downloads (timebank/privacy/downloads.py), as their pages give them.
ZIP = {"type": "string", "format": "binary"}
ZIP_DESCRIPTION = "A zip of CSV files, one per table, with a README.txt that explains each file and column"


def _zip(content: bytes, filename: str) -> Response:
    return Response(content, mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/me", tags=["Me"])
@bp.response(200, MeSchema)
@problems()
def get_me():
    """You: the token's person, its scope, and the members you act for"""
    user = actor()
    memberships = db.session.scalars(select(Membership).join(Member).where(
        Membership.user_id == user.id, Membership.status == "active").order_by(Member.name)).all()
    return {"id": user.id, "display_name": user.display_name, "email": user.email,
            "is_coordinator": user.is_coordinator, "token_scope": user._scope, "memberships": memberships}


@bp.route("/me/data", tags=["Me"])
@bp.response(200, ZIP, content_type="application/zip", description=ZIP_DESCRIPTION)
@problems()
def download_my_data():
    """Everything the exchange holds about you (UK GDPR Articles 15 and 20): the same zip as your account page's
    download, for the token's own person only"""
    user = actor().user
    return _zip(downloads.person_zip(user), f"my-data-{user.id}.zip")


@bp.route("/members")
@bp.arguments(PageArgs, location="query")
@bp.response(200, page_schema(MemberSchema, "Member"), headers=LINK_HEADER)
@problems(422)
def list_members(args):
    """Active members, by name"""
    stmt = select(Member).where(Member.status == "active").order_by(Member.name, Member.id)
    return paged(paginate(stmt, args["page"], args["per_page"]))


@bp.route(f"/members/<{ID}:member_id>")
@bp.response(200, MemberSchema)
@problems(404)
def get_member(member_id: int):
    """A member's profile (contact details only for its own people, partners and coordinators)"""
    return load_member(member_id, actor())


@bp.route(f"/members/<{ID}:member_id>/data")
@bp.response(200, ZIP, content_type="application/zip", description=ZIP_DESCRIPTION)
@problems(404)
def download_member_data(member_id: int):
    """Everything the exchange holds about your member and its people (its admins, and coordinators): the same
    zip as its Exports page's download"""
    member = load_member(member_id, actor(), need="manage")
    return _zip(downloads.member_zip(member), f"all-data-member-{member.id}.zip")


@bp.route(f"/members/<{ID}:member_id>", methods=["PATCH"])
@bp.arguments(MemberUpdateSchema, required=False)
@bp.response(200, MemberSchema)
@problems(400, 404, 409, 422)
def update_member(changes, member_id: int):
    """Change your own member's profile (its admins, and coordinators)"""
    member = load_member(member_id, actor(), need="manage")
    services.update_member(member, **changes)
    return member
