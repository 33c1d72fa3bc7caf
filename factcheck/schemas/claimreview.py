"""The ClaimReview JSON-LD the service serves, documented for OpenAPI and the JSON Schema files.

Dump-only: core/claimreview.py renders the documents; these schemas describe them. A published
fact-check's is a ClaimReview; a draft's, shown only to its own organization, is a preview: the
same properties, fewer of them required, and marked `creativeWorkStatus: Draft`.
"""

from marshmallow import Schema, fields


class ThingSchema(Schema):
    """An Organization (the author, a publisher) or a Person (the claimant, an article's author)."""

    type_ = fields.String(data_key="@type", required=True)
    name = fields.String()
    url = fields.String()
    logo = fields.String()
    job_title = fields.String(data_key="jobTitle")
    same_as = fields.List(fields.String(), data_key="sameAs")


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
    author = fields.Nested(ThingSchema)
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
    name = fields.String(
        required=True,
        metadata={
            "enum": ["Correction", "Clarification", "Update"],
            "description": "What kind of note it is.",
        },
    )
    text = fields.String(required=True)
    date_published = fields.String(data_key="datePublished", required=True)


class ClaimReviewSchema(Schema):
    context = fields.Constant("https://schema.org", data_key="@context", required=True)
    type_ = fields.Constant("ClaimReview", data_key="@type", required=True)
    url = fields.String(required=True)
    claim_reviewed = fields.String(data_key="claimReviewed", required=True)
    author = fields.Nested(ThingSchema, required=True)
    sd_license = fields.String(
        data_key="sdLicense",
        metadata={"description": "The license of this data: the organization's setting, if set."},
    )
    date_published = fields.String(data_key="datePublished", required=True)
    date_modified = fields.String(data_key="dateModified", required=True)
    in_language = fields.String(data_key="inLanguage")
    review_body = fields.String(data_key="reviewBody")
    review_rating = fields.Nested(RatingOutSchema, data_key="reviewRating", required=True)
    item_reviewed = fields.Nested(ClaimSchema, data_key="itemReviewed", required=True)
    citation = fields.List(fields.Nested(CitationSchema))
    correction = fields.List(fields.Nested(CorrectionCommentSchema))
    credit_text = fields.String(data_key="creditText")


class RatingPreviewSchema(RatingOutSchema):
    """A draft's rating may still lack its label."""

    alternate_name = fields.String(data_key="alternateName")


class ClaimReviewPreviewSchema(ClaimReviewSchema):
    """What a draft's ClaimReview would be once published: it has no datePublished yet, and
    perhaps no rating; schema.org's creativeWorkStatus says it is a draft."""

    creative_work_status = fields.Constant(
        "Draft", data_key="creativeWorkStatus", required=True, metadata={"enum": ["Draft"]}
    )
    date_published = fields.String(data_key="datePublished")
    review_rating = fields.Nested(RatingPreviewSchema, data_key="reviewRating")
