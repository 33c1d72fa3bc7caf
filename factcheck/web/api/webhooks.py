"""An organization's webhook subscriptions, their delivery log and redelivery (admin keys)."""

from typing import Any

from flask import url_for
from flask.views import MethodView

from factcheck.core import webhooks
from factcheck.schemas.webhooks import (
    DeliverySchema,
    NewWebhookSchema,
    WebhookPatchSchema,
    WebhookSchema,
)
from factcheck.web import auth, responses
from factcheck.web.api.blueprint import IF_MATCH_DOC, WRITE_DOC, ApiBlueprint

blp = ApiBlueprint("webhooks", __name__, "Webhook subscriptions of an organization")


def _etag(subscription: Any) -> str:
    return f'"webhook-{subscription.id}-v{subscription.version}"'


@blp.route("/organizations/<slug>/webhooks")
class WebhookCollection(MethodView):
    @auth.requires("admin")
    @blp.response(200, WebhookSchema(many=True))
    @blp.doc(**WRITE_DOC)
    def get(self, slug: str) -> Any:
        """List the organization's webhook subscriptions"""
        return webhooks.list_subscriptions(auth.require("admin"), slug), {
            "Cache-Control": "no-store"
        }

    @auth.requires("admin")
    @blp.arguments(WebhookSchema)
    @blp.response(201, NewWebhookSchema)
    @blp.doc(**WRITE_DOC)
    def post(self, data: dict[str, Any], slug: str) -> Any:
        """Subscribe a URL to events; the answer shows the signing secret, this once"""
        subscription = webhooks.create_subscription(auth.require("admin"), slug, data)
        location = url_for("webhooks.WebhookResource", slug=slug, subscription_id=subscription.id)
        return subscription, {"Location": location, "ETag": _etag(subscription)}


@blp.route("/organizations/<slug>/webhooks/<id:subscription_id>")
class WebhookResource(MethodView):
    @auth.requires("admin")
    @blp.response(200, WebhookSchema)
    @blp.doc(**WRITE_DOC)
    def get(self, slug: str, subscription_id: int) -> Any:
        """Show a webhook subscription"""
        subscription = webhooks.subscription_for(auth.require("admin"), slug, subscription_id)
        return responses.conditional(subscription, _etag(subscription), "no-store")

    @auth.requires("admin")
    @blp.arguments(WebhookPatchSchema)
    @blp.response(200, WebhookSchema)
    @blp.doc(**WRITE_DOC, **IF_MATCH_DOC)
    def patch(self, data: dict[str, Any], slug: str, subscription_id: int) -> Any:
        """Change a subscription's URL, events, description or whether it is enabled"""
        actor = auth.require("admin")
        expected = responses.expected_version("webhook", subscription_id)
        subscription = webhooks.update_subscription(actor, slug, subscription_id, expected, data)
        return subscription, {"ETag": _etag(subscription)}

    @auth.requires("admin")
    @blp.response(204)
    @blp.doc(**WRITE_DOC, **IF_MATCH_DOC)
    def delete(self, slug: str, subscription_id: int) -> Any:
        """Remove a subscription and its delivery log"""
        actor = auth.require("admin")
        expected = responses.expected_version("webhook", subscription_id)
        webhooks.delete_subscription(actor, slug, subscription_id, expected)


@blp.route("/organizations/<slug>/webhooks/<id:subscription_id>/deliveries")
class WebhookDeliveries(MethodView):
    @auth.requires("admin")
    @blp.response(200, DeliverySchema(many=True))
    @blp.doc(**WRITE_DOC)
    def get(self, slug: str, subscription_id: int) -> Any:
        """The latest deliveries, newest first, each with its attempts"""
        items = webhooks.list_deliveries(auth.require("admin"), slug, subscription_id)
        return items, {"Cache-Control": "no-store"}


@blp.route(
    "/organizations/<slug>/webhooks/<id:subscription_id>/deliveries/<id:delivery_id>/redeliver"
)
class WebhookRedelivery(MethodView):
    @auth.requires("admin")
    @blp.response(202, DeliverySchema)
    @blp.doc(**WRITE_DOC)
    def post(self, slug: str, subscription_id: int, delivery_id: int) -> Any:
        """Send a delivery's event again, as a new delivery"""
        return webhooks.redeliver(auth.require("admin"), slug, subscription_id, delivery_id)
