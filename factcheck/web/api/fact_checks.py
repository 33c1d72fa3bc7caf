"""Fact-checks: read, edit, publish, retract, their history and their ClaimReview."""

from typing import Any

from flask.views import MethodView

from factcheck.core import drafting, publishing, reads, review, search
from factcheck.schemas.claimreview import ClaimReviewPreviewSchema, ClaimReviewSchema
from factcheck.schemas.fact_checks import (
    FactCheckPatchSchema,
    FactCheckSchema,
    PublicationSchema,
    PublishSchema,
    RetractSchema,
    RevisionSchema,
)
from factcheck.schemas.fields import PageArgsSchema, for_patch
from factcheck.schemas.filters import STRICT_QUERY, FactCheckListFilterArgsSchema
from factcheck.schemas.members import RejectSchema, SubmitSchema
from factcheck.storage.documents import Document
from factcheck.web import auth, idempotency, responses, writes
from factcheck.web.api.blueprint import (
    IF_MATCH_DOC,
    POST_IF_MATCH_DOC,
    WRITE_DOC,
    ApiBlueprint,
    merge_patch_doc,
    public_first,
)

blp = ApiBlueprint("fact_checks", __name__, "Fact-checks: a claim, its verdict and the evidence")

CLAIMREVIEW_OR_PREVIEW = (
    "A published fact-check's ClaimReview; a draft's preview (creativeWorkStatus Draft) for its "
    "own organization"
)
ONE_OF = {"oneOf": [ClaimReviewSchema, ClaimReviewPreviewSchema]}
idempotency.attach(blp)

# Built once, not per request: a schema's construction deep-copies its fields and, at its first
# dump, builds each nested schema anew, about a fifth of a write's function calls.
FACT_CHECK = FactCheckSchema()
PUBLICATION = PublicationSchema()


def expected_version(fact_check_id: int) -> int | None:
    return responses.expected_version("fact-check", fact_check_id)


@blp.route("/fact-checks")
class FactCheckCollection(MethodView):
    @auth.public
    @blp.doc(security=auth.OPTIONAL_SECURITY)
    @blp.arguments(FactCheckListFilterArgsSchema, **STRICT_QUERY)
    @blp.response(200, FactCheckSchema(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        """List fact-checks, or find one by its page URL with `?url=`"""
        actor = auth.actor_from_header()
        found = reads.list_fact_checks(
            actor,
            args["page"],
            args["page_size"],
            status=args.get("status"),
            url=args.get("url"),
            narrowed=search.filters_of(args),
        )
        return responses.paged(*found, args)


@blp.route("/fact-checks/<id:fact_check_id>")
class FactCheckResource(MethodView):
    @auth.public
    @blp.response(200, FactCheckSchema)
    @blp.doc(security=auth.OPTIONAL_SECURITY)
    def get(self, fact_check_id: int) -> Any:
        """Show a fact-check (drafts only to their own organization)"""
        return responses.document(
            public_first(lambda actor: reads.fact_check_document(actor, fact_check_id))
        )

    @auth.requires("write")
    @blp.arguments(for_patch(FactCheckPatchSchema))
    @blp.response(200, FactCheckSchema)
    @blp.doc(**WRITE_DOC, **IF_MATCH_DOC, **merge_patch_doc("FactCheckPatch"))
    def patch(self, data: dict[str, Any], fact_check_id: int) -> Any:
        """Change a fact-check; a published verdict changes only with a `correction` note"""
        actor, version = auth.require("write"), expected_version(fact_check_id)
        return writes.answer(
            lambda: drafting.update_fact_check(actor, fact_check_id, version, data),
            writes.resource(FACT_CHECK),
        )

    @auth.requires("write")
    @blp.response(204)
    @blp.doc(**WRITE_DOC, **IF_MATCH_DOC)
    def delete(self, fact_check_id: int) -> Any:
        """Delete a draft (published fact-checks are retracted instead)"""
        drafting.delete_fact_check(
            auth.require("write"), fact_check_id, expected_version(fact_check_id)
        )


@blp.route("/fact-checks/<id:fact_check_id>/publish")
class FactCheckPublish(MethodView):
    @auth.requires("publish")
    @blp.arguments(PublishSchema(), required=False)
    @blp.response(200, PublicationSchema)
    @blp.doc(**POST_IF_MATCH_DOC)
    def post(self, _no_fields: dict[str, Any], fact_check_id: int) -> Any:
        """Publish a draft that passes the ClaimReview profile (422 lists what fails)"""
        actor, version = auth.require("publish"), expected_version(fact_check_id)
        return writes.answer(
            lambda: publishing.publish(actor, fact_check_id, version),
            writes.resource(PUBLICATION, versioned=lambda found: found.fact_check),
        )


@blp.route("/fact-checks/<id:fact_check_id>/submit")
class FactCheckSubmit(MethodView):
    @auth.requires("write")
    @blp.arguments(SubmitSchema(), required=False)
    @blp.response(200, FactCheckSchema)
    @blp.doc(**POST_IF_MATCH_DOC)
    def post(self, _no_fields: dict[str, Any], fact_check_id: int) -> Any:
        """Submit a draft for review (409 names the moves its status allows)"""
        actor, version = auth.require("write"), expected_version(fact_check_id)
        return writes.answer(
            lambda: review.submit(actor, fact_check_id, version),
            writes.resource(FACT_CHECK),
        )


@blp.route("/fact-checks/<id:fact_check_id>/approve")
class FactCheckApprove(MethodView):
    @auth.requires("publish")
    @blp.arguments(SubmitSchema(), required=False)
    @blp.response(200, FactCheckSchema)
    @blp.doc(**POST_IF_MATCH_DOC)
    def post(self, _no_fields: dict[str, Any], fact_check_id: int) -> Any:
        """Approve a fact-check in review (where required: by another than its last editor)"""
        actor, version = auth.require("publish"), expected_version(fact_check_id)
        return writes.answer(
            lambda: review.approve(actor, fact_check_id, version),
            writes.resource(FACT_CHECK),
        )


@blp.route("/fact-checks/<id:fact_check_id>/reject")
class FactCheckReject(MethodView):
    @auth.requires("publish")
    @blp.arguments(RejectSchema())
    @blp.response(200, FactCheckSchema)
    @blp.doc(**POST_IF_MATCH_DOC)
    def post(self, data: dict[str, Any], fact_check_id: int) -> Any:
        """Send a fact-check in review back to draft, with a comment its organization sees"""
        actor, version = auth.require("publish"), expected_version(fact_check_id)
        return writes.answer(
            lambda: review.reject(actor, fact_check_id, version, data["comment"]),
            writes.resource(FACT_CHECK),
        )


@blp.route("/fact-checks/<id:fact_check_id>/retract")
class FactCheckRetract(MethodView):
    @auth.requires("publish")
    @blp.arguments(RetractSchema())
    @blp.response(200, FactCheckSchema)
    @blp.doc(**POST_IF_MATCH_DOC)
    def post(self, data: dict[str, Any], fact_check_id: int) -> Any:
        """Retract a published fact-check; it stays readable with the note"""
        actor, version = auth.require("publish"), expected_version(fact_check_id)
        return writes.answer(
            lambda: publishing.retract(actor, fact_check_id, version, data["note"]),
            writes.resource(FACT_CHECK),
        )


@blp.route("/fact-checks/<id:fact_check_id>/revisions")
class FactCheckRevisions(MethodView):
    @auth.public
    @blp.doc(security=auth.OPTIONAL_SECURITY)
    @blp.response(200, RevisionSchema(many=True))
    @blp.arguments(PageArgsSchema, location="query")
    def get(self, paging: dict[str, Any], fact_check_id: int) -> Any:
        """A fact-check's history, oldest first: its published record publicly (from the first
        publish, by the organization), every revision to its own organization"""
        page, total = reads.history(auth.actor_from_header(), fact_check_id, **paging)
        return responses.document(page, responses.paged([], total, paging)[1])


@blp.route("/fact-checks/<id:fact_check_id>/claimreview")
class FactCheckClaimReview(MethodView):
    # Published: a ClaimReview. A draft, to its own organization: a ClaimReviewPreview.
    @auth.public
    @blp.response(200, description=CLAIMREVIEW_OR_PREVIEW, content_type="application/ld+json")
    @blp.doc(
        responses={
            "200": {
                "description": CLAIMREVIEW_OR_PREVIEW,
                "content": {"application/ld+json": {"schema": ONE_OF}},
            }
        }
    )
    @blp.alt_response(410, response="GONE", description="Retracted: its ClaimReview is withdrawn")
    def get(self, fact_check_id: int) -> Any:
        """The fact-check as schema.org ClaimReview JSON-LD (410 once retracted)"""
        document: Document = public_first(
            lambda actor: reads.fact_check_claimreview(actor, fact_check_id)
        )
        return responses.document(document)
