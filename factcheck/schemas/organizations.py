"""Organizations: the fact-checker behind a fact-check, with its rating scale."""

from marshmallow import Schema, fields


class OrganizationSchema(Schema):
    slug = fields.String()
    name = fields.String()
    url = fields.String()
    logo = fields.String(allow_none=True)
    corrections_policy = fields.String(data_key="correctionsPolicy", allow_none=True)
    publishing_principles = fields.String(data_key="publishingPrinciples", allow_none=True)
    rating_scale = fields.Dict(data_key="ratingScale")
