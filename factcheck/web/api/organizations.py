"""Organizations: the fact-checker behind each fact-check, with its rating scale."""

from typing import Any

from flask.views import MethodView

from factcheck.core import reads
from factcheck.schemas.organizations import OrganizationSchema
from factcheck.web import auth, responses
from factcheck.web.api.blueprint import ApiBlueprint

blp = ApiBlueprint("organizations", __name__, "Fact-checking organizations")


@blp.route("/organizations/<slug>")
class OrganizationResource(MethodView):
    @auth.public
    @blp.response(200, OrganizationSchema)
    def get(self, slug: str) -> Any:
        """Show a fact-checking organization and its rating scale"""
        return responses.document(reads.organization_document(slug))
