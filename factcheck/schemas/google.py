"""Google Fact Check Tools v1alpha1 shapes: ClaimReviewMarkupPage in and out, and claims:search out.

Names are those of Google's discovery document (factchecktools v1alpha1), which wins over any
prose. Like Google's proto3 JSON, absent and empty fields are left out, and timestamps are
RFC 3339 in UTC written with `Z`: GoogleTimestamp is the one place they are formatted.
"""

from datetime import UTC, date, datetime, time
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_dump, validate

from factcheck.schemas.fields import HttpUrl, Text

MAX_MARKUPS = 50
MAX_RATING = 100


class GoogleTimestamp(fields.Field[datetime]):
    """protobuf's Timestamp in JSON: `2022-03-17T10:00:00Z`. Reads any ISO 8601 date or time."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, datetime):
            value = datetime.combine(value, time(), UTC)
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            raise ValidationError("Not an RFC 3339 timestamp.") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class GoogleDate(fields.Field[date]):
    """A date sent as `2024-05-01` or as a timestamp (its UTC date); written as `2024-05-01`."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if isinstance(value, datetime):
            return value.astimezone(UTC).date().isoformat()
        return None if value is None else value.isoformat()

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        text = str(value)
        try:
            if len(text) == 10:
                return date.fromisoformat(text)
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise ValidationError("Not a date (YYYY-MM-DD) or an RFC 3339 timestamp.") from None
        return (parsed.astimezone(UTC) if parsed.tzinfo else parsed).date()


class _Proto3(Schema):
    """Dumps leave out what is absent or empty, as proto3 JSON does."""

    @post_dump
    def _without_empty(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        return {key: value for key, value in data.items() if value not in (None, [], {}, "")}


def _count(name: str) -> fields.Integer:
    return fields.Integer(
        strict=True, data_key=name, allow_none=True, validate=validate.Range(0, MAX_RATING)
    )


class ClaimAuthorSchema(_Proto3):
    name = Text(200, min_length=1, required=True)
    job_title = Text(200, data_key="jobTitle", allow_none=True)
    # Accepted, not stored: the service keeps no claimant image.
    image_url = HttpUrl(data_key="imageUrl", allow_none=True)
    same_as = HttpUrl(data_key="sameAs", allow_none=True)


class ClaimRatingSchema(_Proto3):
    textual_rating = Text(100, data_key="textualRating", allow_none=True)
    rating_value = _count("ratingValue")
    best_rating = _count("bestRating")
    worst_rating = _count("worstRating")
    # Accepted, not stored: the verdict's image is the organization's scale, shown on its pages.
    image_url = HttpUrl(data_key="imageUrl", allow_none=True)
    rating_explanation = Text(5000, data_key="ratingExplanation", allow_none=True)


class ClaimReviewMarkupSchema(_Proto3):
    claim_reviewed = Text(500, min_length=1, data_key="claimReviewed", required=True)
    claim_author = fields.Nested(ClaimAuthorSchema, data_key="claimAuthor", allow_none=True)
    claim_date = GoogleDate(data_key="claimDate", allow_none=True)
    claim_appearances = fields.List(
        HttpUrl(), data_key="claimAppearances", validate=validate.Length(max=20)
    )
    # Accepted, not stored (no column for it).
    claim_location = Text(200, data_key="claimLocation", allow_none=True)
    claim_first_appearance = HttpUrl(data_key="claimFirstAppearance", allow_none=True)
    url = HttpUrl(allow_none=True)
    rating = fields.Nested(ClaimRatingSchema, allow_none=True)


class ClaimReviewAuthorSchema(_Proto3):
    name = Text(200, allow_none=True)
    image_url = HttpUrl(data_key="imageUrl", allow_none=True)


class ClaimReviewMarkupPageSchema(_Proto3):
    # Output only, except that an update may repeat them (versionId must be the current one).
    name = Text(100, allow_none=True)
    version_id = Text(100, data_key="versionId", allow_none=True)
    page_url = HttpUrl(data_key="pageUrl", required=True)
    # Set by the service when it publishes; what a client sends is not taken.
    publish_date = GoogleTimestamp(data_key="publishDate", allow_none=True)
    # Always the key's organization; what a client sends is not taken.
    claim_review_author = fields.Nested(
        ClaimReviewAuthorSchema, data_key="claimReviewAuthor", allow_none=True
    )
    claim_review_markups = fields.List(
        fields.Nested(ClaimReviewMarkupSchema),
        data_key="claimReviewMarkups",
        required=True,
        validate=validate.Length(min=1, max=MAX_MARKUPS),
    )


class ListPagesArgsSchema(Schema):
    url = HttpUrl()
    organization = Text(200)
    page_size = fields.Integer(
        data_key="pageSize", load_default=10, validate=validate.Range(1, 100)
    )
    page_token = Text(100, data_key="pageToken")
    offset = fields.Integer(load_default=0, validate=validate.Range(0, 100_000))


class ListPagesResponseSchema(_Proto3):
    claim_review_markup_pages = fields.List(
        fields.Nested(ClaimReviewMarkupPageSchema), data_key="claimReviewMarkupPages"
    )
    next_page_token = fields.String(data_key="nextPageToken")


# --- claims:search: the native route's answer, its timestamps written as Google writes them ---


class _SearchSchema(_Proto3):
    class Meta:
        # The discovery document's fields, and no other (tests compare the two routes whole).
        unknown = EXCLUDE


class _SearchPublisherSchema(_SearchSchema):
    name = fields.String()
    site = fields.String()


class _SearchReviewSchema(_SearchSchema):
    publisher = fields.Nested(_SearchPublisherSchema)
    url = fields.String()
    title = fields.String()
    review_date = GoogleTimestamp(data_key="reviewDate")
    textual_rating = fields.String(data_key="textualRating")
    language_code = fields.String(data_key="languageCode")


class _SearchClaimSchema(_SearchSchema):
    text = fields.String()
    claimant = fields.String()
    claim_date = GoogleTimestamp(data_key="claimDate")
    claim_review = fields.List(fields.Nested(_SearchReviewSchema), data_key="claimReview")


class ClaimSearchResponseSchema(_SearchSchema):
    """Loads the answer of core/claim_search (ISO 8601 times) and dumps it with `Z` times."""

    claims = fields.List(fields.Nested(_SearchClaimSchema))
    next_page_token = fields.String(data_key="nextPageToken")
