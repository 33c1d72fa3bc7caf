"""Marshmallow schemas of the discovery routes: claim search, similar claims and the feed.

The claim search ones follow Google Fact Check Tools' `claims:search` (v1alpha1) names exactly, so
a client written for Google's API works against this one.
"""

from marshmallow import Schema, fields, validate

from factcheck.schemas.claimreview import ClaimReviewSchema
from factcheck.schemas.fact_checks import FactCheckSchema
from factcheck.schemas.fields import MAX_URL, LanguageTag, Text
from factcheck.schemas.filters import FilterArgsSchema

MAX_QUERY = 500
MAX_TOKEN = 100


class ClaimSearchArgsSchema(FilterArgsSchema):
    query = Text(MAX_QUERY, metadata={"description": 'Words; "a phrase"; -excluded.'})
    language_code = LanguageTag(
        data_key="languageCode",
        metadata={
            "description": "Only fact-checks in this language (any region), and the query read "
            "in it; without it the query is read in the first Accept-Language that has a "
            "stemmer, else English."
        },
    )
    review_publisher_site_filter = Text(
        MAX_URL, data_key="reviewPublisherSiteFilter", metadata={"example": "example.org"}
    )
    max_age_days = fields.Integer(data_key="maxAgeDays", validate=validate.Range(1, 100_000))
    page_size = fields.Integer(
        data_key="pageSize", load_default=10, validate=validate.Range(1, 100)
    )
    page_token = Text(MAX_TOKEN, data_key="pageToken")
    # Every match is ranked, so any offset up to the last result works.
    offset = fields.Integer(load_default=0, validate=validate.Range(0, 10_000_000))


class GooglePublisherSchema(Schema):
    name = fields.String()
    site = fields.String()


class GoogleClaimReviewSchema(Schema):
    publisher = fields.Nested(GooglePublisherSchema)
    url = fields.String()
    title = fields.String()
    review_date = fields.String(data_key="reviewDate")
    textual_rating = fields.String(data_key="textualRating")
    language_code = fields.String(data_key="languageCode")


class GoogleClaimSchema(Schema):
    text = fields.String()
    claimant = fields.String()
    claim_date = fields.String(data_key="claimDate")
    claim_review = fields.List(fields.Nested(GoogleClaimReviewSchema), data_key="claimReview")


class ClaimSearchResponseSchema(Schema):
    claims = fields.List(fields.Nested(GoogleClaimSchema))
    next_page_token = fields.String(data_key="nextPageToken")


class MatchArgsSchema(Schema):
    text = Text(1000, min_length=1, required=True, metadata={"description": "A sentence."})
    limit = fields.Integer(load_default=10, validate=validate.Range(1, 50))
    language_code = LanguageTag(
        data_key="languageCode",
        metadata={"description": "The sentence's language; else Accept-Language, else English."},
    )


class MatchSchema(Schema):
    score = fields.Float(
        required=True,
        metadata={"description": "0..1, trigram similarity of the stemmed words."},
    )
    fact_check = fields.Nested(FactCheckSchema, data_key="factCheck", required=True)


class FeedArgsSchema(FilterArgsSchema):
    since = Text(MAX_TOKEN, metadata={"description": "`nextCursor` of the page read last."})
    page_size = fields.Integer(
        data_key="pageSize", load_default=100, validate=validate.Range(1, 1000)
    )


class DataFeedItemSchema(Schema):
    type_ = fields.Constant("DataFeedItem", data_key="@type", required=True)
    id_ = fields.String(data_key="@id", required=True)
    date_created = fields.String(data_key="dateCreated", required=True)
    date_modified = fields.String(data_key="dateModified", required=True)
    date_deleted = fields.String(data_key="dateDeleted")
    item = fields.Nested(ClaimReviewSchema)


class DataFeedSchema(Schema):
    context = fields.Constant("https://schema.org", data_key="@context", required=True)
    type_ = fields.Constant("DataFeed", data_key="@type", required=True)
    name = fields.String(required=True)
    date_modified = fields.String(
        data_key="dateModified",
        metadata={"description": "The latest change on this page; absent when it is empty."},
    )
    data_feed_element = fields.List(
        fields.Nested(DataFeedItemSchema), data_key="dataFeedElement", required=True
    )
    next_cursor = fields.String(data_key="nextCursor", required=True)
    next_page = fields.String(
        data_key="nextPage",
        metadata={
            "description": "The URL of the next page (the filters kept, `since` the cursor), "
            "on a full page only, as the `Link: rel=next` header; a shorter page is the last "
            "for now: poll again with `since=nextCursor`."
        },
    )
