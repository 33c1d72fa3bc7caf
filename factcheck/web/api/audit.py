"""An organization's audit log of admin actions (admin keys)."""

from typing import Any

from flask.views import MethodView

from factcheck.core import audit
from factcheck.schemas.fields import PageArgsSchema
from factcheck.schemas.members import AuditEntrySchema
from factcheck.web import auth, responses
from factcheck.web.api.blueprint import WRITE_DOC, ApiBlueprint

blp = ApiBlueprint("audit", __name__, "An organization's audit log of admin actions")


@blp.route("/organizations/<slug>/audit-log")
class AuditLog(MethodView):
    @auth.requires("admin")
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, AuditEntrySchema(many=True))
    @blp.doc(**WRITE_DOC)
    def get(self, paging: dict[str, Any], slug: str) -> Any:
        """Who changed members, keys and the review policy, and how; newest first"""
        actor = auth.require("admin")
        entries, total = audit.entries(actor, slug, paging["page"], paging["page_size"])
        items, headers = responses.paged(entries, total, paging)
        return items, {**headers, "Cache-Control": "no-store"}
