"""Webhook subscriptions and their deliveries on the wire."""

from marshmallow import Schema, fields, validate

from factcheck.schemas.fields import HttpUrl, Text

# The events a subscription can ask for (core/outbox.EVENTS says when each is sent).
EVENTS = (
    "fact_check.published",
    "fact_check.corrected",
    "fact_check.retracted",
    "fact_check.updated",
    "article.updated",
)


class WebhookSchema(Schema):
    id = fields.Integer(dump_only=True)
    url = HttpUrl(required=True)
    events = fields.List(
        fields.String(validate=validate.OneOf(EVENTS)),
        required=True,
        validate=validate.Length(min=1, max=len(EVENTS)),
        attribute="event_list",
        data_key="events",
    )
    description = Text(200, allow_none=True)
    enabled = fields.Boolean(load_default=True)
    version = fields.Integer(dump_only=True)
    date_created = fields.DateTime(data_key="dateCreated", dump_only=True)
    date_modified = fields.DateTime(data_key="dateModified", dump_only=True)


class NewWebhookSchema(WebhookSchema):
    """The answer to its creation: the only time the signing secret is shown."""

    secret = fields.String(dump_only=True, metadata={"description": "Standard Webhooks whsec_…"})


class WebhookPatchSchema(Schema):
    url = HttpUrl()
    events = fields.List(
        fields.String(validate=validate.OneOf(EVENTS)),
        validate=validate.Length(min=1, max=len(EVENTS)),
    )
    description = Text(200, allow_none=True)
    enabled = fields.Boolean()


class AttemptSchema(Schema):
    at = fields.String()
    status = fields.Integer(allow_none=True, metadata={"description": "HTTP status, if any"})
    error = fields.String(allow_none=True)


class DeliverySchema(Schema):
    id = fields.Integer()
    event_id = fields.Integer(data_key="eventId")
    event_type = fields.Function(
        lambda delivery: delivery.event.event_type, data_key="eventType", metadata={"enum": EVENTS}
    )
    status = fields.String(metadata={"enum": ["pending", "delivered", "dead"]})
    attempts = fields.Integer()
    next_attempt = fields.DateTime(data_key="nextAttempt")
    date_created = fields.DateTime(data_key="dateCreated")
    date_delivered = fields.DateTime(data_key="dateDelivered", allow_none=True)
    log = fields.List(fields.Nested(AttemptSchema))
