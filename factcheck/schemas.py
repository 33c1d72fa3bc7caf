"""Marshmallow schemas: what a request may carry (load) and what a response shows (dump).

Field names on the wire are schema.org's camelCase (`data_key`); Python attributes stay snake_case
and match the model columns. Every string and list has a maximum, which the OpenAPI document shows.
"""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

# C0 controls other than tab, newline and carriage return, DEL, and lone UTF-16 surrogates
# (which json.loads lets through from \ud800-style escapes) can break storage and embeds.
# Written as patterns so that the OpenAPI document and the JSON Schema files carry them too.
CLEAN_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]*$"
HTTP_URL = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\x00-\x20\x7f/?#@\\\[\]]+(?:[/?#][^\x00-\x20\x7f]*)?$"
LANGUAGE_TAG = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"
RELATIONS = ("supports", "refutes", "context")
STATUSES = ("draft", "published", "retracted")
MAX_URL = 2048
MAX_RATING = 100

clean_text = validate.Regexp(
    CLEAN_TEXT,
    error="Contains a forbidden character: NUL, a control character other than tab or "
    "newline, DEL, or a lone surrogate.",
)


class Text(fields.String):
    """A string with a maximum length that refuses control characters and lone surrogates."""

    def __init__(self, max_length: int, *, min_length: int = 0, **kwargs: Any) -> None:
        validators: list[Callable[[Any], Any]] = [
            validate.Length(min=min_length, max=max_length),
            clean_text,
        ]
        super().__init__(validate=validators, **kwargs)


def _has_host(value: str) -> None:
    try:
        host = urlsplit(value).hostname
    except ValueError:
        host = None
    if not host:
        raise ValidationError("Not an absolute http(s) URL with a host name.")


class HttpUrl(fields.String):
    """An absolute http(s) URL with a host. The service stores it and never fetches it."""

    def __init__(self, **kwargs: Any) -> None:
        validators: list[Callable[[Any], Any]] = [
            validate.Length(max=MAX_URL),
            validate.Regexp(HTTP_URL, error="Not an absolute http(s) URL."),
            _has_host,
        ]
        super().__init__(validate=validators, **kwargs)


class LanguageTag(fields.String):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            validate=[
                validate.Length(max=35),
                validate.Regexp(LANGUAGE_TAG, error="Not a BCP 47 language tag."),
            ],
            **kwargs,
        )


def for_patch(schema_class: type[Schema]) -> Schema:
    """Top-level fields optional, as PATCH needs; a nested object that is sent must be whole.

    (`partial=True` would reach into nested schemas too and accept `"publisher": {}`.)
    """
    names = tuple(
        name for name, field in schema_class._declared_fields.items() if not field.dump_only
    )
    return schema_class(partial=names)


class StoredDate(fields.Date):
    """A date inside a JSON column, where it is stored as its ISO string."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            return value
        return super()._serialize(value, attr, obj, **kwargs)


class PublisherSchema(Schema):
    name = Text(200, min_length=1, required=True)
    url = HttpUrl()


class ArticleSchema(Schema):
    id = fields.Integer(dump_only=True)
    organization = fields.Function(lambda article: article.organization.slug, dump_only=True)
    url = HttpUrl(allow_none=True)
    headline = Text(300, min_length=1, required=True)
    publisher = fields.Nested(PublisherSchema, allow_none=True)
    author = Text(200, allow_none=True)
    date_published = fields.Date(data_key="datePublished", allow_none=True)
    in_language = LanguageTag(data_key="inLanguage", load_default="en")
    text = Text(200_000, allow_none=True)
    version = fields.Integer(dump_only=True)
    date_created = fields.AwareDateTime(data_key="dateCreated", dump_only=True)
    date_modified = fields.AwareDateTime(data_key="dateModified", dump_only=True)


class ArticleSummarySchema(ArticleSchema):
    """Articles in a list leave out the full text."""

    class Meta:
        exclude = ("text",)


class ClaimAuthorSchema(Schema):
    name = Text(200, min_length=1, required=True)
    kind = fields.String(
        data_key="type", validate=validate.OneOf(["Person", "Organization"]), load_default="Person"
    )
    job_title = Text(200, data_key="jobTitle")
    same_as = fields.List(HttpUrl(), data_key="sameAs", validate=validate.Length(max=10))


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


class CorrectionSchema(Schema):
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
    date_created = fields.AwareDateTime(data_key="dateCreated", dump_only=True)
    date_published = fields.AwareDateTime(data_key="datePublished", dump_only=True, allow_none=True)
    date_modified = fields.AwareDateTime(data_key="dateModified", dump_only=True)


class FactCheckPatchSchema(FactCheckSchema):
    correction = Text(
        2000,
        min_length=1,
        load_only=True,
        metadata={
            "description": "Required when a published fact-check's rating, explanation or "
            "evidence changes; shown publicly with its date."
        },
    )


class RetractSchema(Schema):
    note = Text(2000, min_length=1, required=True)


class PublishSchema(Schema):
    """Publishing takes no fields: no body, or `{}`. Anything else is refused, not ignored."""

    # Read by parsing.StrictJSONParser: a request without a body is fine here.
    body_optional = True


class ProblemItemSchema(Schema):
    pointer = fields.String(metadata={"description": "JSON pointer into the request body"})
    parameter = fields.String(metadata={"description": "The query parameter or header at fault"})
    detail = fields.String()


class ProblemSchema(Schema):
    """RFC 9457 problem details, the body of every error."""

    type_ = fields.String(data_key="type")
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    instance = fields.String()
    errors = fields.List(fields.Nested(ProblemItemSchema))
    warnings = fields.List(fields.Nested(ProblemItemSchema))


class PublicationSchema(FactCheckSchema):
    warnings = fields.List(
        fields.Nested(ProblemItemSchema),
        metadata={"description": "Profile warnings that did not block publishing."},
    )


class OrganizationSchema(Schema):
    slug = fields.String()
    name = fields.String()
    url = fields.String()
    logo = fields.String(allow_none=True)
    corrections_policy = fields.String(data_key="correctionsPolicy", allow_none=True)
    publishing_principles = fields.String(data_key="publishingPrinciples", allow_none=True)
    rating_scale = fields.Dict(data_key="ratingScale")


class RevisionSchema(Schema):
    version = fields.Integer()
    action = fields.String()
    actor = fields.String()
    changes = fields.Dict()
    date_created = fields.AwareDateTime(data_key="dateCreated")


class PageArgsSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(1, 100_000))
    page_size = fields.Integer(
        data_key="pageSize", load_default=20, validate=validate.Range(1, 100)
    )


class ArticleListArgsSchema(PageArgsSchema):
    url = Text(MAX_URL, metadata={"description": "Find the article with this URL (normalised)."})


class FactCheckListArgsSchema(PageArgsSchema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    url = Text(MAX_URL, metadata={"description": "Find the fact-check with this page URL."})


# --- ClaimReview output, documented for the OpenAPI document and the published JSON Schema ---


class ThingSchema(Schema):
    type_ = fields.String(data_key="@type", required=True)
    name = fields.String()
    url = fields.String()


class RatingOutSchema(Schema):
    type_ = fields.Constant("Rating", data_key="@type", required=True)
    rating_value = fields.Integer(data_key="ratingValue")
    best_rating = fields.Integer(data_key="bestRating")
    worst_rating = fields.Integer(data_key="worstRating")
    alternate_name = fields.String(data_key="alternateName", required=True)
    rating_explanation = fields.String(data_key="ratingExplanation")


class NewsArticleSchema(Schema):
    type_ = fields.Constant("NewsArticle", data_key="@type", required=True)
    url = fields.String()
    headline = fields.String()
    date_published = fields.String(data_key="datePublished")
    publisher = fields.Nested(ThingSchema)


class ClaimSchema(Schema):
    type_ = fields.Constant("Claim", data_key="@type", required=True)
    author = fields.Nested(ThingSchema)
    date_published = fields.String(data_key="datePublished")
    appearance = fields.List(fields.Nested(NewsArticleSchema))
    first_appearance = fields.Nested(NewsArticleSchema, data_key="firstAppearance")


class CitationSchema(Schema):
    type_ = fields.Constant("CreativeWork", data_key="@type", required=True)
    url = fields.String(required=True)
    name = fields.String()
    publisher = fields.Nested(ThingSchema)
    date_published = fields.String(data_key="datePublished")
    text = fields.String()
    archived_at = fields.String(data_key="archivedAt")


class CorrectionCommentSchema(Schema):
    type_ = fields.Constant("CorrectionComment", data_key="@type", required=True)
    text = fields.String(required=True)
    date_published = fields.String(data_key="datePublished", required=True)


class ClaimReviewSchema(Schema):
    context = fields.Constant("https://schema.org", data_key="@context", required=True)
    type_ = fields.Constant("ClaimReview", data_key="@type", required=True)
    url = fields.String(required=True)
    claim_reviewed = fields.String(data_key="claimReviewed", required=True)
    author = fields.Nested(ThingSchema, required=True)
    date_published = fields.String(data_key="datePublished", required=True)
    date_modified = fields.String(data_key="dateModified", required=True)
    in_language = fields.String(data_key="inLanguage")
    review_body = fields.String(data_key="reviewBody")
    review_rating = fields.Nested(RatingOutSchema, data_key="reviewRating", required=True)
    item_reviewed = fields.Nested(ClaimSchema, data_key="itemReviewed", required=True)
    citation = fields.List(fields.Nested(CitationSchema))
    correction = fields.List(fields.Nested(CorrectionCommentSchema))
    credit_text = fields.String(data_key="creditText")


class OEmbedArgsSchema(Schema):
    """oEmbed 1.0 request parameters; consumers send others too, which are ignored."""

    class Meta:
        unknown = EXCLUDE

    url = Text(MAX_URL, min_length=1, required=True)
    format_ = fields.String(data_key="format", load_default="json")
    maxwidth = fields.Integer(validate=validate.Range(1, 10_000))
    maxheight = fields.Integer(validate=validate.Range(1, 10_000))
