"""Fact-checks: a claim, its verdict on a rating scale and the evidence, as sent and as shown."""

from typing import Any

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_dump,
    pre_dump,
    validate,
    validates_schema,
)

from factcheck.schemas.fields import (
    MAX_URL,
    HttpUrl,
    LanguageTag,
    PageArgsSchema,
    StoredDate,
    Text,
    merge_patch_of,
)
from factcheck.schemas.problems import ProblemItemSchema

RELATIONS = ("supports", "refutes", "context")
STATUSES = ("draft", "in_review", "approved", "published", "retracted")
MAX_RATING = 100


class ClaimAuthorSchema(Schema):
    name = Text(200, min_length=1, required=True)
    kind = fields.String(
        data_key="type", validate=validate.OneOf(["Person", "Organization"]), load_default="Person"
    )
    job_title = Text(200, data_key="jobTitle", allow_none=True)
    same_as = fields.List(
        HttpUrl(), data_key="sameAs", validate=validate.Length(max=10), allow_none=True
    )


class RatingSchema(Schema):
    rating_value = fields.Integer(
        strict=True, data_key="ratingValue", allow_none=True, validate=validate.Range(0, MAX_RATING)
    )
    best_rating = fields.Integer(
        strict=True, data_key="bestRating", allow_none=True, validate=validate.Range(1, MAX_RATING)
    )
    worst_rating = fields.Integer(
        strict=True, data_key="worstRating", allow_none=True, validate=validate.Range(1, MAX_RATING)
    )
    alternate_name = Text(100, min_length=1, data_key="alternateName", required=True)
    rating_explanation = Text(5000, data_key="ratingExplanation", allow_none=True)

    @validates_schema
    def _check_scale(self, data: dict[str, Any], **_kwargs: Any) -> None:
        problems = rating_problems(
            data.get("rating_value"), data.get("best_rating"), data.get("worst_rating")
        )
        if problems:
            raise ValidationError(problems)


def rating_problems(value: int | None, best: int | None, worst: int | None) -> dict[str, str]:
    """The §3 rating rules, keyed by wire name. A rating off the scale carries no numbers at all."""
    if value is None and best is None and worst is None:
        return {}
    if best is None or worst is None:
        missing = "bestRating" if best is None else "worstRating"
        return {missing: "A rating on a scale needs bestRating and worstRating."}
    if not 1 <= worst < best:
        return {"worstRating": "Needs 1 <= worstRating < bestRating."}
    if value is None:
        return {"ratingValue": "A rating with a scale needs a ratingValue."}
    if not worst <= value <= best:
        return {"ratingValue": f"Must lie between worstRating ({worst}) and bestRating ({best})."}
    return {}


class EvidenceSchema(Schema):
    url = HttpUrl(required=True)
    title = Text(300, allow_none=True)
    publisher = Text(200, allow_none=True)
    date_published = StoredDate(data_key="datePublished", allow_none=True)
    quote = Text(2000, allow_none=True)
    archived_url = HttpUrl(data_key="archivedUrl", allow_none=True)
    relation = fields.String(validate=validate.OneOf(RELATIONS), load_default="supports")


CORRECTION_KINDS = ("correction", "clarification", "update")


class CorrectionSchema(Schema):
    kind = fields.String(
        metadata={
            "enum": list(CORRECTION_KINDS),
            "description": "A correction fixes an error; a clarification explains better what "
            "was right; an update adds what was learnt since.",
        }
    )
    note = fields.String()
    date_created = fields.AwareDateTime(data_key="dateCreated")


class RetractionSchema(Schema):
    note = fields.String()
    date = fields.AwareDateTime()


class FactCheckSchema(Schema):
    id = fields.Integer(dump_only=True)
    article_id = fields.Integer(data_key="articleId", dump_only=True)
    organization = fields.Function(lambda check: check.organization.slug, dump_only=True)
    status = fields.String(dump_only=True, metadata={"enum": list(STATUSES)})
    version = fields.Integer(dump_only=True)
    claim_reviewed = Text(500, min_length=1, data_key="claimReviewed", required=True)
    quote = Text(5000, allow_none=True)
    quote_offset = fields.Integer(
        strict=True, data_key="quoteOffset", allow_none=True, validate=validate.Range(0, 10_000_000)
    )
    claim_author = fields.Nested(ClaimAuthorSchema, data_key="claimAuthor", allow_none=True)
    claim_date = fields.Date(data_key="claimDate", allow_none=True)
    claim_appearances = fields.List(
        HttpUrl(), data_key="claimAppearances", validate=validate.Length(max=20)
    )
    claim_first_appearance = HttpUrl(data_key="claimFirstAppearance", allow_none=True)
    rating = fields.Nested(RatingSchema, allow_none=True)
    review_body = Text(20_000, data_key="reviewBody", allow_none=True)
    evidence = fields.List(fields.Nested(EvidenceSchema), validate=validate.Length(max=50))
    url = HttpUrl(allow_none=True)
    in_language = LanguageTag(data_key="inLanguage", load_default="en")
    corrections = fields.List(fields.Nested(CorrectionSchema), dump_only=True)
    retraction = fields.Nested(RetractionSchema, dump_only=True, allow_none=True)
    rating_scale_version = fields.Integer(
        data_key="ratingScaleVersion",
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "The version of the organization's rating scale the verdict was "
            "given on (/api/v1/organizations/{slug}/rating-scales/{version})."
        },
    )
    date_created = fields.AwareDateTime(data_key="dateCreated", dump_only=True)
    date_published = fields.AwareDateTime(data_key="datePublished", dump_only=True, allow_none=True)
    date_modified = fields.AwareDateTime(data_key="dateModified", dump_only=True)


RatingPatchSchema = merge_patch_of(RatingSchema, "RatingPatchSchema")
ClaimAuthorPatchSchema = merge_patch_of(ClaimAuthorSchema, "ClaimAuthorPatchSchema")


class FactCheckPatchSchema(FactCheckSchema):
    """A JSON Merge Patch (RFC 7386) of a fact-check: fields left out stay as they are, `null`
    removes one, and so inside `rating` and `claimAuthor`; lists are replaced whole."""

    # Optional here in the class too, so the published JSON Schema of a patch requires nothing.
    claim_reviewed = Text(500, min_length=1, data_key="claimReviewed")
    claim_author = fields.Nested(ClaimAuthorPatchSchema, data_key="claimAuthor", allow_none=True)
    rating = fields.Nested(RatingPatchSchema, allow_none=True)
    correction = Text(
        2000,
        min_length=1,
        load_only=True,
        metadata={
            "description": "Required, with a key that has the `publish` scope, when what readers "
            "see of a published fact-check changes (claimReviewed, quote, the rating and its "
            "explanation, evidence); shown publicly with its date and kind. Sent with another "
            "change of a published fact-check (its reviewBody, say), it is recorded the same way."
        },
    )
    correction_kind = fields.String(
        data_key="correctionKind",
        load_only=True,
        validate=validate.OneOf(CORRECTION_KINDS),
        metadata={"description": "What the `correction` note is; `correction` when left out."},
    )


class RetractSchema(Schema):
    note = Text(2000, min_length=1, required=True)


class PublishSchema(Schema):
    """Publishing takes no fields: no body, or `{}`. Anything else is refused, not ignored."""

    # Read by parsing.StrictJSONParser: a request without a body is fine here.
    body_optional = True


class PublicationSchema(FactCheckSchema):
    """A just-published fact-check (core.publishing.Publication) with the profile's warnings."""

    warnings = fields.List(
        fields.Nested(ProblemItemSchema),
        dump_only=True,
        metadata={"description": "Profile warnings that did not block publishing."},
    )

    @pre_dump
    def _fact_check(self, publication: Any, **_kwargs: Any) -> Any:
        return publication.fact_check

    @post_dump(pass_original=True)
    def _warnings(self, data: dict[str, Any], publication: Any, **_kwargs: Any) -> dict[str, Any]:
        data["warnings"] = publication.warnings
        return data


class RevisionMemberSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    role = fields.String()


class RevisionSchema(Schema):
    """One entry of a fact-check's history (core/history.py)."""

    version = fields.Integer()
    action = fields.String(
        metadata={
            "enum": [
                "create",
                "update",
                "submit",
                "approve",
                "reject",
                "publish",
                "correct",
                "retract",
            ]
        }
    )
    actor = fields.String(
        metadata={
            "description": "The organization's slug in the public history; the API key (or the "
            "CLI) that made the change in the history its own organization reads."
        }
    )
    member = fields.Nested(
        RevisionMemberSchema,
        metadata={"description": "Only to its organization: the member whose key made it."},
    )
    comment = fields.String(
        metadata={"description": "Only to its organization: a rejection's comment."}
    )
    changes = fields.Dict(
        metadata={
            "description": "Each changed field as [before, after]. The public history starts at "
            "the publish, which shows what was published as [null, value]."
        }
    )
    date_created = fields.AwareDateTime(data_key="dateCreated")
    note = fields.String(
        metadata={"description": "The correction's or the retraction's note, when it has one."},
    )

    @post_dump
    def _without_absent_note(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        for optional in ("note", "member", "comment"):
            if data.get(optional) is None:
                data.pop(optional, None)
        return data


class FactCheckListArgsSchema(PageArgsSchema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    url = Text(MAX_URL, metadata={"description": "Find the fact-check with this page URL."})
