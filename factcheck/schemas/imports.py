"""Imports and exports: ClaimReview JSON-LD as other publishers write it, the import's report, and
the query arguments of both.

An imported ClaimReview is read leniently as JSON-LD is written (one value or a list of them;
properties this service does not keep are left out), then as the API's own input: core/imports
turns it into FactCheckSchema and ArticleSchema input, so an import meets the same limits.
"""

from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate

from factcheck.schemas.fields import HttpUrl

IMPORT_RESULTS = ("created", "updated", "unchanged", "skipped", "invalid")
EXPORT_FORMATS = ("csv", "jsonld")


class OneOrMany(fields.List):  # type: ignore[type-arg]  # of any item type
    """JSON-LD gives a property one value or an array of them: either is read as a list."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        return super()._deserialize(
            value if isinstance(value, list) else [value], attr, data, **kwargs
        )


class _JsonLd(Schema):
    class Meta:
        unknown = EXCLUDE

    # "ClaimReview", "schema:ClaimReview", ["ClaimReview", ...]: core/imports reads it.
    type_ = fields.Raw(data_key="@type")


class ThingInSchema(_JsonLd):
    """An Organization or Person: the review's author, the claimant, a publisher."""

    name = fields.String(allow_none=True)
    url = fields.String(allow_none=True)
    job_title = fields.String(data_key="jobTitle", allow_none=True)
    same_as = OneOrMany(fields.String(), data_key="sameAs", allow_none=True)


class CreativeWorkInSchema(_JsonLd):
    """An appearance of the claim (a NewsArticle, say) or a citation."""

    url = fields.String(allow_none=True)
    headline = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    date_published = fields.String(data_key="datePublished", allow_none=True)
    author = OneOrMany(fields.Nested(ThingInSchema), allow_none=True)
    publisher = OneOrMany(fields.Nested(ThingInSchema), allow_none=True)
    text = fields.String(allow_none=True)
    archived_at = fields.String(data_key="archivedAt", allow_none=True)


class RatingInSchema(_JsonLd):
    # Numbers are often written as strings ("2"); core/imports reads either.
    rating_value = fields.Raw(data_key="ratingValue", allow_none=True)
    best_rating = fields.Raw(data_key="bestRating", allow_none=True)
    worst_rating = fields.Raw(data_key="worstRating", allow_none=True)
    alternate_name = fields.String(data_key="alternateName", allow_none=True)
    rating_explanation = fields.String(data_key="ratingExplanation", allow_none=True)


class ClaimInSchema(_JsonLd):
    author = OneOrMany(fields.Nested(ThingInSchema), allow_none=True)
    date_published = fields.String(data_key="datePublished", allow_none=True)
    appearance = OneOrMany(fields.Nested(CreativeWorkInSchema), allow_none=True)
    first_appearance = fields.Nested(
        CreativeWorkInSchema, data_key="firstAppearance", allow_none=True
    )


class ClaimReviewInSchema(_JsonLd):
    """A ClaimReview to import. Server-owned properties (datePublished, dateModified,
    correction, sdLicense) are not taken from it."""

    url = fields.String(allow_none=True)
    claim_reviewed = fields.String(data_key="claimReviewed", allow_none=True)
    author = OneOrMany(fields.Nested(ThingInSchema), allow_none=True)
    in_language = fields.String(data_key="inLanguage", allow_none=True)
    review_body = fields.String(data_key="reviewBody", allow_none=True)
    review_rating = fields.Nested(RatingInSchema, data_key="reviewRating", allow_none=True)
    item_reviewed = fields.Nested(ClaimInSchema, data_key="itemReviewed", allow_none=True)
    citation = OneOrMany(fields.Nested(CreativeWorkInSchema), allow_none=True)


class ImportArgsSchema(Schema):
    dry_run = fields.Boolean(
        data_key="dryRun",
        load_default=False,
        metadata={"description": "Answer the same report, and change nothing."},
    )


class ImportErrorSchema(Schema):
    pointer = fields.String(metadata={"description": "A JSON pointer into the imported body."})
    detail = fields.String()


class ImportItemSchema(Schema):
    index = fields.Integer(
        metadata={"description": "The ClaimReview's place in the import, from 0."}
    )
    pointer = fields.String(metadata={"description": "Where the ClaimReview is in the body."})
    url = fields.String(allow_none=True)
    result = fields.String(metadata={"enum": list(IMPORT_RESULTS)})
    fact_check_id = fields.Integer(data_key="factCheckId", allow_none=True)
    reason = fields.String(allow_none=True)
    errors = fields.List(fields.Nested(ImportErrorSchema))


class ImportReportSchema(Schema):
    dry_run = fields.Boolean(data_key="dryRun")
    applied = fields.Boolean(
        metadata={"description": "Whether the import changed anything (never on a dry run)."}
    )
    counts = fields.Dict(
        keys=fields.String(validate=validate.OneOf(IMPORT_RESULTS)), values=fields.Integer()
    )
    items = fields.List(fields.Nested(ImportItemSchema))


class SdLicenseSchema(Schema):
    """What an operator gives as an organization's sdLicense: an http(s) URL, like every URL."""

    sd_license = HttpUrl(data_key="sdLicense", allow_none=True)
