"""Organizations: the fact-checker behind each fact-check, its details (changed by its admins)
and the versions of its rating scale."""

from collections.abc import Callable
from typing import Any

from flask import Response, current_app, url_for
from flask.views import MethodView

from factcheck.core import organizations, reads
from factcheck.core.documents import content_etag, serialize
from factcheck.schemas.fields import for_patch
from factcheck.schemas.organizations import OrganizationPatchSchema, OrganizationSchema
from factcheck.schemas.rating_scales import RatingScaleSchema
from factcheck.web import auth, idempotency, responses, writes
from factcheck.web.api.blueprint import (
    IF_MATCH_DOC,
    POST_DOC,
    WRITE_DOC,
    ApiBlueprint,
    merge_patch_doc,
)

blp = ApiBlueprint("organizations", __name__, "Fact-checking organizations")
idempotency.attach(blp)


@blp.route("/organizations/<slug>")
class OrganizationResource(MethodView):
    @auth.public
    @blp.response(200, OrganizationSchema)
    def get(self, slug: str) -> Any:
        """Show a fact-checking organization and its rating scale"""
        return responses.document(reads.organization_document(slug))

    @auth.requires("admin")
    @blp.arguments(for_patch(OrganizationPatchSchema))
    @blp.response(200, OrganizationSchema)
    @blp.doc(**WRITE_DOC, **IF_MATCH_DOC, **merge_patch_doc("OrganizationPatch"))
    def patch(self, data: dict[str, Any], slug: str) -> Any:
        """Change the organization's details and policies (a key with the `admin` scope)"""
        actor = auth.require("admin")
        version = responses.expected_version(
            "organization", organizations.owned_organization(actor, slug).id
        )
        return writes.answer(
            lambda: organizations.update_organization(actor, slug, version, data),
            _rendered(lambda found: OrganizationSchema().dump(found), organizations.etag),
        )


@blp.route("/organizations/<slug>/rating-scales")
class RatingScaleCollection(MethodView):
    @auth.public
    @blp.response(200, RatingScaleSchema(many=True))
    def get(self, slug: str) -> Any:
        """Every version of the organization's rating scale, oldest first"""
        return responses.document(
            organizations.scales_document(slug, RatingScaleSchema(many=True).dump)
        )

    @auth.requires("admin")
    @blp.arguments(RatingScaleSchema)
    @blp.response(201, RatingScaleSchema)
    @blp.doc(**POST_DOC)
    def post(self, data: dict[str, Any], slug: str) -> Any:
        """Adopt a new version of the rating scale for verdicts given from now on; those given
        before keep the version they were given on"""
        actor = auth.require("admin")

        def location(scale: Any) -> str:
            return url_for("organizations.RatingScaleResource", slug=slug, version=scale.version)

        return writes.answer(
            lambda: organizations.new_scale_version(actor, slug, data),
            _rendered(RatingScaleSchema().dump, None, 201, location),
        )


@blp.route("/organizations/<slug>/rating-scales/<id:version>")
class RatingScaleResource(MethodView):
    @auth.public
    @blp.response(200, RatingScaleSchema)
    def get(self, slug: str, version: int) -> Any:
        """One version of the organization's rating scale, with each label's definition"""
        return responses.document(
            organizations.scale_document(slug, version, RatingScaleSchema().dump)
        )


def _rendered(
    dump: Callable[[Any], Any],
    etag: Callable[[Any], str] | None,
    status: int = 200,
    location: Callable[[Any], str] | None = None,
) -> Callable[[Any], Response]:
    """A write's answer, rendered inside its transaction (web/writes): the body `dump` makes,
    with the version ETag `etag` names, or the body's own for what never changes."""

    def render(found: Any) -> Response:
        body = serialize(dump(found))
        response = current_app.response_class(body, status=status, mimetype="application/json")
        response.headers["ETag"] = etag(found) if etag is not None else content_etag(body)
        if location is not None:
            response.headers["Location"] = location(found)
        return response

    return render
