"""An organization's API keys: list, issue, rotate and revoke them (admin keys). The first key
of an organization comes from the CLI (`flask create-api-key`)."""

from typing import Any

from flask.views import MethodView

from factcheck.core import keys
from factcheck.schemas.members import IssuedKeySchema, KeySchema, NewKeySchema
from factcheck.web import auth
from factcheck.web.api.blueprint import WRITE_DOC, ApiBlueprint

blp = ApiBlueprint("keys", __name__, "An organization's API keys")

# A prefix is 12 hex digits (core/keys.new_key); anything else is simply not found.
PREFIX = "<string(length=12):prefix>"
NO_STORE = {"Cache-Control": "no-store"}


@blp.route("/organizations/<slug>/keys")
class KeyCollection(MethodView):
    @auth.requires("admin")
    @blp.response(200, KeySchema(many=True))
    @blp.doc(**WRITE_DOC)
    def get(self, slug: str) -> Any:
        """The keys that work: prefix, name, member, scopes, created, last used"""
        return keys.list_keys(auth.require("admin"), slug), NO_STORE

    @auth.requires("admin")
    @blp.arguments(NewKeySchema)
    @blp.response(201, IssuedKeySchema)
    @blp.doc(**WRITE_DOC)
    def post(self, data: dict[str, Any], slug: str) -> Any:
        """Issue a key for a member (their role) or a tool (its scopes); shown this once"""
        return keys.create_key(auth.require("admin"), slug, data), NO_STORE


@blp.route(f"/organizations/<slug>/keys/{PREFIX}/rotate")
class KeyRotation(MethodView):
    @auth.requires("admin")
    @blp.response(201, IssuedKeySchema)
    @blp.doc(**WRITE_DOC)
    def post(self, slug: str, prefix: str) -> Any:
        """A new key in this one's place; the old one works for KEY_ROTATION_GRACE_SECONDS"""
        return keys.rotate_key(auth.require("admin"), slug, prefix), NO_STORE


@blp.route(f"/organizations/<slug>/keys/{PREFIX}")
class KeyResource(MethodView):
    @auth.requires("admin")
    @blp.response(204)
    @blp.doc(**WRITE_DOC)
    def delete(self, slug: str, prefix: str) -> Any:
        """Revoke a key at once"""
        keys.revoke_key(auth.require("admin"), slug, prefix)
