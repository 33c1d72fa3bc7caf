"""Pushing an organization's published fact-checks to any pages.* endpoint (Google's Fact Check
Tools, or another instance of this service) with Google's own client: each page that differs is
created or updated (with the target's versionId), each page whose fact-checks were all retracted
here is deleted there. What the target already says is left alone, so a second run does nothing.

Pages are matched by their normalised URL; they are compared by what a page says (its URL and its
markups), not by what each side sets itself (name, versionId, publishDate, the author).
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build

from factcheck.core import google_markup, google_pages
from factcheck.core.reads import site_url
from factcheck.core.urls import normalize
from factcheck.schemas.google import ClaimReviewMarkupPageSchema

# What a page says; the rest each side sets itself.
CONTENT = ("pageUrl", "claimReviewMarkups")


@dataclass(frozen=True)
class Change:
    action: str  # create, update or delete
    page_url: str
    body: dict[str, Any] | None = None
    name: str | None = None
    detail: str = ""


def pages_client(endpoint: str, token: str) -> Any:
    """Google's client for factchecktools v1alpha1 from the discovery document it ships, on
    `endpoint` (Google's own, https://factchecktools.googleapis.com/, or another service's)."""
    return build(
        "factchecktools",
        "v1alpha1",
        # A bare bearer token: google-auth leaves this constructor untyped.
        credentials=Credentials(token=token),  # type: ignore[no-untyped-call]
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": endpoint},
    ).pages()


def plan(organization_id: int, pages: Any) -> list[Change]:
    """What the target needs to say what this organization publishes."""
    theirs = {normalize(page["pageUrl"]): page for page in _listed(pages)}
    site = site_url()
    changes: list[Change] = []
    gone: dict[str, str] = {}
    live: set[str] = set()
    for page in google_pages.organization_pages(organization_id):
        if not page.published:
            url = google_markup.page_url(page.members[0], site)
            gone[normalize(url)] = url
            continue
        ours = ClaimReviewMarkupPageSchema().dump(page.render(site))
        key = normalize(ours["pageUrl"])
        live.add(key)
        body = {k: ours[k] for k in (*CONTENT, "claimReviewAuthor") if k in ours}
        target = theirs.get(key)
        if target is None:
            count = len(body["claimReviewMarkups"])
            detail = f"{count} markup" + ("" if count == 1 else "s")
            changes.append(Change("create", ours["pageUrl"], body, detail=detail))
        elif _content(target) != _content(ours):
            body.update(name=target["name"], versionId=target["versionId"])
            detail = _difference(target, ours)
            changes.append(Change("update", ours["pageUrl"], body, target["name"], detail))
    for key, url in gone.items():
        if key in theirs and key not in live:
            changes.append(Change("delete", url, name=theirs[key]["name"]))
    return changes


def apply(pages: Any, changes: list[Change], say: Callable[[str], None]) -> None:
    for change in changes:
        if change.action == "create":
            pages.create(body=change.body).execute()
        elif change.action == "update":
            pages.update(name=change.name, body=change.body).execute()
        else:
            pages.delete(name=change.name).execute()
        say(describe(change))


def describe(change: Change) -> str:
    return f"{change.action} {change.page_url}" + (f": {change.detail}" if change.detail else "")


def _listed(pages: Any) -> Iterator[dict[str, Any]]:
    request = pages.list(pageSize=100)
    while request is not None:
        answer = request.execute()
        yield from answer.get("claimReviewMarkupPages", [])
        request = pages.list_next(request, answer)


def _content(page: dict[str, Any]) -> dict[str, Any]:
    return {key: page.get(key) for key in CONTENT}


def _difference(theirs: dict[str, Any], ours: dict[str, Any]) -> str:
    """Which markups differ, named by their URL."""
    before = {m.get("url"): m for m in theirs.get("claimReviewMarkups", [])}
    after = {m.get("url"): m for m in ours.get("claimReviewMarkups", [])}
    added = [url for url in after if url not in before]
    removed = [url for url in before if url not in after]
    changed = [url for url in after if url in before and before[url] != after[url]]
    parts = [
        f"{label} {', '.join(str(url) for url in urls)}"
        for label, urls in (("new", added), ("changed", changed), ("removed", removed))
        if urls
    ]
    return "; ".join(parts) or "page fields"
