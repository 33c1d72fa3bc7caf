"""Articles: the news piece whose claims are checked, as sent and as shown."""

from marshmallow import Schema, fields

from factcheck.schemas.fields import (
    MAX_URL,
    HttpUrl,
    LanguageTag,
    PageArgsSchema,
    Text,
    merge_patch_of,
)


class PublisherSchema(Schema):
    name = Text(200, min_length=1, required=True)
    url = HttpUrl(allow_none=True)


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


PublisherPatchSchema = merge_patch_of(PublisherSchema, "PublisherPatchSchema")


class ArticlePatchSchema(ArticleSchema):
    """A JSON Merge Patch (RFC 7386) of an article: fields left out stay as they are, `null`
    removes one, and so inside `publisher`."""

    publisher = fields.Nested(PublisherPatchSchema, allow_none=True)


class ArticleSummarySchema(ArticleSchema):
    """Articles in a list leave out the full text."""

    class Meta:
        exclude = ("text",)


class ArticleListArgsSchema(PageArgsSchema):
    url = Text(MAX_URL, metadata={"description": "Find the article with this URL (normalised)."})
