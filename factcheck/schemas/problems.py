"""RFC 9457 problem details: the documented body of every error."""

from marshmallow import Schema, fields


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
