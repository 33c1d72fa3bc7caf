"""Google Fact Check Tools v1alpha1 at Google's paths, so that Google's own clients work with the
endpoint changed and nothing else: claims:search, claims:imageSearch (501) and pages.*.

Described by Google's discovery document (factchecktools v1alpha1), not by this service's OpenAPI
document; errors take Google's shape (errors.py), responses Google's standard parameters
(render.py). pages.* take the organization's API key as the bearer token.
"""

import json
from typing import Any

from flask import Blueprint, Response, request
from marshmallow import Schema, ValidationError
from webargs.flaskparser import is_json_request

from factcheck.core import claim_search, google_pages
from factcheck.core.actors import Actor
from factcheck.core.reads import site_url
from factcheck.problems import Problem, Unauthorized, UnsupportedMediaType
from factcheck.schemas.discovery import ClaimSearchArgsSchema
from factcheck.schemas.google import (
    ClaimReviewMarkupPageSchema,
    ClaimSearchResponseSchema,
    ListPagesArgsSchema,
    ListPagesResponseSchema,
)
from factcheck.web import auth
from factcheck.web.api.google import errors
from factcheck.web.api.google.render import answer, method_args
from factcheck.web.errors import flatten_messages
from factcheck.web.parsing import loads_strict

blp = Blueprint("google", __name__, url_prefix="/v1alpha1")
errors.init_blueprint(blp)

# Page ids are numbers here (the discovery document allows any `pages/[^/]+`); any other is
# answered as an unknown path, 404 in Google's shape.
PAGE = "/pages/<int(max=2147483647):page_id>"


@blp.get("/claims:search")
@auth.public
def claims_search() -> Response:
    """Search published fact-checks (the native route's search, Google's timestamps)."""
    args = _load(ClaimSearchArgsSchema(), method_args(), "parameter")
    found = json.loads(claim_search.search_claims(args).body)
    shaped = ClaimSearchResponseSchema()
    return answer(shaped.dump(shaped.load(found)))


@blp.get("/claims:imageSearch")
@auth.public
def claims_image_search() -> Response:
    method_args()
    return errors.google_error(
        501, "claims:imageSearch is not implemented here: this service searches text only."
    )


@blp.post("/pages")
@auth.checked_inside("publish")
def pages_create() -> Response:
    method_args()
    actor = _writer()
    page = google_pages.create_page(actor, _body())
    return _page(page)


@blp.get("/pages")
@auth.checked_inside(auth.KEY)
def pages_list() -> Response:
    args = _load(ListPagesArgsSchema(), method_args(), "parameter")
    found, next_token = google_pages.list_pages(_reader(), args)
    site = site_url()
    listed = {
        "claim_review_markup_pages": [page.render(site) for page in found],
        "next_page_token": next_token,
    }
    return answer(ListPagesResponseSchema().dump(listed))


@blp.get(PAGE)
@auth.checked_inside(auth.KEY)
def pages_get(page_id: int) -> Response:
    method_args()
    return _page(google_pages.get_page(_reader(), page_id))


@blp.put(PAGE)
@auth.checked_inside("publish")
def pages_update(page_id: int) -> Response:
    method_args()
    actor = _writer()
    return _page(google_pages.update_page(actor, page_id, _body()))


@blp.delete(PAGE)
@auth.checked_inside("publish")
def pages_delete(page_id: int) -> Response:
    method_args()
    google_pages.delete_page(_writer(), page_id)
    return answer({})


def _page(page: google_pages.Page) -> Response:
    return answer(ClaimReviewMarkupPageSchema().dump(page.render(site_url())))


def _reader() -> Actor:
    actor = auth.actor_from_header()
    if actor is None:
        raise Unauthorized("pages.* need the organization's API key as the bearer token.")
    return actor


def _writer() -> Actor:
    # Pages are published markup: making or changing one is writing and publishing.
    auth.require("write")
    return auth.require("publish")


def _body() -> Any:
    if not is_json_request(request):
        raise UnsupportedMediaType("Send the ClaimReviewMarkupPage as application/json.")
    return _load(ClaimReviewMarkupPageSchema(), loads_strict(request.get_data()), "pointer")


def _load(schema: Schema, given: Any, kind: str) -> Any:
    try:
        return schema.load(given)
    except ValidationError as error:
        found = [{kind: where, "detail": d} for where, d in flatten_messages(error.messages)]
        raise Problem("The request does not pass validation.", errors=found) from None
