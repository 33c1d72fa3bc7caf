"""Google's pages.* (ClaimReviewMarkupPage) on this service's fact-checks: create, get, list,
update and delete, each one unit of work made of the native use cases, so the same rules hold.

A page is the organization's published fact-checks whose URL is the page's URL, or the page's URL
with a `#fragment` (one per markup when there are several). Its id is the lowest id among them,
retracted ones included, so it stays while markups come and go; it is gone (404) once none is
published. Like Google's, a page made here is published at once, and deleting a page retracts its
fact-checks (published ones are never deleted). `versionId` changes with any of its fact-checks.
"""

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urldefrag, urlsplit

from marshmallow import ValidationError

from factcheck.core import google_markup as markup
from factcheck.core.actors import Actor
from factcheck.core.articles import create_article
from factcheck.core.changes import pointed_messages
from factcheck.core.drafting import create_fact_check, update_fact_check
from factcheck.core.publishing import publish, retract
from factcheck.core.reads import site_url
from factcheck.core.tokens import decode_token, encode_token
from factcheck.core.urls import normalize
from factcheck.problems import BadRequest, NotFound, PreconditionFailed, Problem, Unprocessable
from factcheck.schemas.articles import ArticleSchema
from factcheck.schemas.fact_checks import FactCheckSchema
from factcheck.storage import markup_pages, store
from factcheck.storage.models import PUBLISHED, UNPUBLISHED, Article, FactCheck, Organization

MARKUPS = "/claimReviewMarkups"
RETRACTED_BY_UPDATE = "Removed from its page through pages.update."
RETRACTED_BY_DELETE = "Withdrawn with its page through pages.delete."


class AlreadyExists(Problem, status=409, slug="already-exists"):
    """The organization has a page at this URL already."""


@dataclass(frozen=True)
class Page:
    id: int
    members: Sequence[FactCheck]  # published and retracted, in id order

    @property
    def published(self) -> list[FactCheck]:
        return [check for check in self.members if check.status == PUBLISHED]

    def render(self, site_url: str) -> dict[str, Any]:
        return markup.page(self.id, self.members, site_url)


def get_page(actor: Actor, page_id: int) -> Page:
    """One of the actor's organization's pages; anything else is not found."""
    check = store.get(FactCheck, page_id)
    if check is not None and check.organization_id == actor.organization_id:
        if check.status not in UNPUBLISHED:
            found = _page_of(check)
            if found.id == page_id and found.published:
                return found
    raise NotFound(f"No page pages/{page_id}.")


def list_pages(actor: Actor, args: Mapping[str, Any]) -> tuple[list[Page], str | None]:
    """A page of the organization's pages in id order, or the one at `url`; another
    organization's name lists nothing."""
    if args.get("url") and args.get("organization"):
        raise BadRequest("Give `url` or `organization`, not both.")
    organization = store.get(Organization, actor.organization_id)
    if args.get("organization") and not _names(organization, args["organization"]):
        return [], None
    if args.get("url"):
        key = normalize(args["url"])
        at_url = _pages(markup_pages.public_fact_checks(actor.organization_id, key))
        return [p for p in at_url if p.published][:1], None
    offset = decode_token(args["page_token"], "p") if args.get("page_token") else args["offset"]
    size = args["page_size"]
    # Pages are told apart from ids and URLs alone; only the listed ones are loaded.
    index: dict[str, list[tuple[int, str]]] = {}
    for check_id, url_key, status in markup_pages.page_index(actor.organization_id):
        index.setdefault(_group(check_id, url_key), []).append((check_id, status))
    listed = [rows for rows in index.values() if any(s == PUBLISHED for _, s in rows)]
    window = listed[offset : offset + size]
    loaded = markup_pages.fact_checks([check_id for rows in window for check_id, _ in rows])
    found = list(_pages(loaded))
    more = len(listed) > offset + size
    return found, encode_token("p", offset + size) if more else None


def organization_pages(organization_id: int) -> list[Page]:
    """Every page the organization has had, in id order: those with nothing published left are
    the deleted (retracted) ones."""
    return list(_pages(markup_pages.public_fact_checks(organization_id)))


def create_page(actor: Actor, data: Mapping[str, Any]) -> Page:
    url = urldefrag(data["page_url"]).url
    key = normalize(url)
    with store.unit_of_work():
        markup_pages.hold_page_url(actor.organization_id, key)
        members = markup_pages.public_fact_checks(actor.organization_id, key)
        if any(check.status == PUBLISHED for check in members):
            raise AlreadyExists(f"There is a page at {url} already; update it.")
        given = list(data["claim_review_markups"])
        taken = {check.url_key for check in members if check.url_key}
        urls = markup.urls(url, key, list(enumerate(given)), taken, alone=len(given) == 1)
        first = None
        for index, entry in enumerate(given):
            check = _create(actor, entry, urls[index], url, f"{MARKUPS}/{index}")
            first = first or check.id
    return get_page(actor, min([first or 0, *(check.id for check in members)]))


def update_page(actor: Actor, page_id: int, data: Mapping[str, Any]) -> Page:
    """The page made to say what `data` says: markups matched by `url` change (as corrections
    where they are published verdicts), new ones are published, missing ones retracted."""
    with store.unit_of_work():
        current = get_page(actor, page_id)
        _check_version(current, data)
        url = markup.page_url(current.published[0], site_url())
        if data.get("name") not in (None, f"pages/{page_id}"):
            raise markup.invalid("/name", f"This is pages/{page_id}.")
        if normalize(urldefrag(data["page_url"]).url) != normalize(url):
            raise markup.invalid("/pageUrl", "A page's URL does not change; create a page there.")
        published = {check.url_key: check for check in current.published}
        given = list(enumerate(data["claim_review_markups"]))
        matched, new = markup.match(given, published)
        taken = {check.url_key for check in current.members if check.url_key}
        urls = markup.urls(url, normalize(url), new, taken, alone=len(given) == 1)
        for index, (entry, check) in matched.items():
            _change(actor, entry, check, f"{MARKUPS}/{index}")
        for index, entry in new:
            _create(actor, entry, urls[index], url, f"{MARKUPS}/{index}")
        kept = {check.id for _, check in matched.values()}
        for check in current.published:
            if check.id not in kept:
                retract(actor, check.id, check.version, RETRACTED_BY_UPDATE)
    return get_page(actor, page_id)


def delete_page(actor: Actor, page_id: int) -> None:
    with store.unit_of_work():
        for check in get_page(actor, page_id).published:
            retract(actor, check.id, check.version, RETRACTED_BY_DELETE)


# --- what a page is made of -------------------------------------------------------------------


def _page_of(check: FactCheck) -> Page:
    key = markup.page_key(check)
    if key is None:
        return Page(check.id, [check])
    return Page(*next(_groups(markup_pages.public_fact_checks(check.organization_id, key))))


def _pages(checks: Sequence[FactCheck]) -> Iterator[Page]:
    for page_id, members in _groups(checks):
        yield Page(page_id, members)


def _groups(checks: Sequence[FactCheck]) -> Iterator[tuple[int, list[FactCheck]]]:
    """Fact-checks (in id order) by page, each page named by its first (lowest) id."""
    groups: dict[str, list[FactCheck]] = {}
    for check in checks:
        groups.setdefault(_group(check.id, check.url_key), []).append(check)
    for members in groups.values():
        yield members[0].id, members


def _group(check_id: int, url_key: str | None) -> str:
    """The page a fact-check is on: its URL without the fragment, or (with no URL of its own,
    so the service's page is its URL) a page of its own."""
    return url_key.partition("#")[0] if url_key else f"#{check_id}"


def _names(organization: Any, given: str) -> bool:
    """`organization` as Google names one ("site.com"), or by its slug here."""
    wanted = given.strip().lower()
    host = (urlsplit(organization.url).hostname or "").lower().removeprefix("www.")
    site = urlsplit(wanted).hostname if "://" in wanted else wanted
    return wanted == organization.slug or (site or "").removeprefix("www.") == host


def _check_version(current: Page, data: Mapping[str, Any]) -> None:
    sent, now = data.get("version_id"), markup.version_id(current.members)
    if not sent:
        raise markup.invalid("/versionId", "An update names the versionId it was made on.")
    if sent != now:
        # Google's ABORTED (AIP-154): read the page again, then make the change on it.
        raise PreconditionFailed(f"The page is at versionId {now}, not {sent}; get it again.")


def _create(actor: Actor, entry: Mapping[str, Any], url: str, page: str, where: str) -> FactCheck:
    article = _article(actor, entry, page, where)
    wire = markup.fact_check_fields(entry, article.url_key)
    # Google's markup carries no citations; the fact-check's own page presents its evidence.
    wire.update(url=url, evidence=[{"url": url, "relation": "context"}])
    with _pointing_into(where):
        fields = FactCheckSchema().load(wire)
        check = create_fact_check(actor, article.id, fields)
        publish(actor, check.id, check.version)
    return check


def _change(actor: Actor, entry: Mapping[str, Any], check: FactCheck, where: str) -> None:
    before = markup.markup(check, site_url())
    changed = markup.changed_names(before, entry)
    if not changed:
        return
    wire = markup.fact_check_fields(entry, check.article.url_key, stored=check)
    with _pointing_into(where):
        fields = FactCheckSchema(partial=True).load(wire)
        fields.pop("in_language", None)
        _remove_left_out(fields, check)
        # A published fact-check changes publicly: the correction says what, and where from.
        fields["correction"] = f"Changed through pages.update: {', '.join(changed)}."
        update_fact_check(actor, check.id, check.version, fields)


def _remove_left_out(fields: dict[str, Any], check: FactCheck) -> None:
    """A page is sent whole: what a markup's rating or claimant leaves out is removed, also where
    an update merges nested objects into the stored ones (null removes a member)."""
    stored = {"rating": check.rating, "claim_author": check.claim_author}
    for name, before in stored.items():
        if fields.get(name) is not None and before:
            fields[name] = {**dict.fromkeys(before), **fields[name]}


def _article(actor: Actor, entry: Mapping[str, Any], page: str, where: str) -> Article:
    """The article the claim appeared in: the first of claimAppearances (else the first
    appearance) found by its normalised URL, or created; with neither, one for the page."""
    appearances = entry.get("claim_appearances") or []
    url = appearances[0] if appearances else entry.get("claim_first_appearance")
    if url:
        found = store.article_by_url_key(actor.organization_id, normalize(url))
        host = urlsplit(url).hostname or url
        given = {"url": url, "headline": url.split("://", 1)[-1][:300], "publisher": {"name": host}}
    else:
        headline = f"Claims checked on {page}"[:300]
        found = store.article_by_headline(actor.organization_id, headline)
        given = {"headline": headline}
    if found is not None:
        return found
    with _pointing_into(where):
        article = create_article(actor, ArticleSchema().load(given))
    # Inside the page's unit of work nothing is sent yet; the fact-check needs the article's id.
    store.flush()
    return article


@contextmanager
def _pointing_into(where: str) -> Iterator[None]:
    """Errors of the native schemas and use cases, pointed at the markup they came from."""
    try:
        yield
    except ValidationError as error:
        errors = [
            {"pointer": markup.google_pointer(pointer, where), "detail": detail}
            for pointer, detail in pointed_messages(error.messages)
        ]
        raise Unprocessable("A markup does not pass validation; see `errors`.", errors) from None
    except Unprocessable as error:
        error.errors = [
            {**item, "pointer": markup.google_pointer(item.get("pointer", ""), where)}
            for item in error.errors or []
        ] or None
        raise
