"""An organization's desk: its members and their roles, and its review policy (admin keys)."""

from typing import Any

from flask import url_for
from flask.views import MethodView

from factcheck.core import members, review_policy
from factcheck.schemas.members import MemberPatchSchema, MemberSchema, ReviewPolicySchema
from factcheck.web import auth, responses
from factcheck.web.api.blueprint import IF_MATCH_DOC, WRITE_DOC, ApiBlueprint

blp = ApiBlueprint("members", __name__, "An organization's members, roles and review policy")


def _etag(member: Any) -> str:
    return f'"member-{member.id}-v{member.version}"'


@blp.route("/organizations/<slug>/members")
class MemberCollection(MethodView):
    @auth.requires("admin")
    @blp.response(200, MemberSchema(many=True))
    @blp.doc(**WRITE_DOC)
    def get(self, slug: str) -> Any:
        """List the organization's members and their roles"""
        return members.list_members(auth.require("admin"), slug), {"Cache-Control": "no-store"}

    @auth.requires("admin")
    @blp.arguments(MemberSchema)
    @blp.response(201, MemberSchema)
    @blp.doc(**WRITE_DOC)
    def post(self, data: dict[str, Any], slug: str) -> Any:
        """Add a member with a role (writer, editor or admin)"""
        member = members.add_member(auth.require("admin"), slug, data)
        location = url_for("members.MemberResource", slug=slug, member_id=member.id)
        return member, {"Location": location, "ETag": _etag(member)}


@blp.route("/organizations/<slug>/members/<id:member_id>")
class MemberResource(MethodView):
    @auth.requires("admin")
    @blp.response(200, MemberSchema)
    @blp.doc(**WRITE_DOC)
    def get(self, slug: str, member_id: int) -> Any:
        """Show a member"""
        member = members.member_for(auth.require("admin"), slug, member_id)
        return responses.conditional(member, _etag(member), "no-store")

    @auth.requires("admin")
    @blp.arguments(MemberPatchSchema)
    @blp.response(200, MemberSchema)
    @blp.doc(**WRITE_DOC, **IF_MATCH_DOC)
    def patch(self, data: dict[str, Any], slug: str, member_id: int) -> Any:
        """Rename a member or change their role; their keys act with the new role at once"""
        actor = auth.require("admin")
        expected = responses.expected_version("member", member_id)
        member = members.update_member(actor, slug, member_id, expected, data)
        return member, {"ETag": _etag(member)}

    @auth.requires("admin")
    @blp.response(204)
    @blp.doc(**WRITE_DOC, **IF_MATCH_DOC)
    def delete(self, slug: str, member_id: int) -> Any:
        """Remove a member: their keys stop working; their revisions still name them"""
        actor = auth.require("admin")
        expected = responses.expected_version("member", member_id)
        members.remove_member(actor, slug, member_id, expected)


@blp.route("/organizations/<slug>/review-policy")
class ReviewPolicy(MethodView):
    @auth.requires("admin")
    @blp.response(200, ReviewPolicySchema)
    @blp.doc(**WRITE_DOC)
    def get(self, slug: str) -> Any:
        """Whether publishing needs an approval by a member other than the last editor"""
        policy = review_policy.policy(auth.require("admin"), slug)
        return policy, {"Cache-Control": "no-store"}

    @auth.requires("admin")
    @blp.arguments(ReviewPolicySchema)
    @blp.response(200, ReviewPolicySchema)
    @blp.doc(**WRITE_DOC)
    def put(self, data: dict[str, Any], slug: str) -> Any:
        """Set whether publishing needs an approval by a member other than the last editor"""
        return review_policy.set_policy(auth.require("admin"), slug, data["approval_required"])
