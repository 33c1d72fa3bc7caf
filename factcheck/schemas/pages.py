"""Query parameters of the HTML side: oEmbed."""

from marshmallow import EXCLUDE, Schema, fields, validate

from factcheck.schemas.fields import MAX_URL, Text


class OEmbedArgsSchema(Schema):
    """oEmbed 1.0 request parameters; consumers send others too, which are ignored."""

    class Meta:
        unknown = EXCLUDE

    url = Text(MAX_URL, min_length=1, required=True)
    format_ = fields.String(data_key="format", load_default="json")
    maxwidth = fields.Integer(validate=validate.Range(1, 10_000))
    maxheight = fields.Integer(validate=validate.Range(1, 10_000))
