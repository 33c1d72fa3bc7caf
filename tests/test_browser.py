"""Debian's chromium against the app on a real port: pages render with nothing blocked or logged,
and the card embeds in an iframe on a page of another origin. Screenshots go to artifacts/."""

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from factcheck.core import keys
from factcheck.core.organizations import organization as find_organization

from .conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="no /usr/bin/chromium (apt-get install chromium)"
    ),
]


@contextmanager
def serve(wsgi_app: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        thread.join()


@pytest.fixture
def site(app: Flask, seeded: list[str]) -> Iterator[str]:
    """The service with the seed, on a loopback port; SITE_URL is that address."""
    with serve(app) as base:
        app.config["SITE_URL"] = base
        yield base


@pytest.fixture
def elsewhere() -> Iterator[tuple[str, dict[str, str]]]:
    """Another origin (another port): a news site whose pages the test writes."""
    documents: dict[str, str] = {}

    def news_site(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        body = documents.get(environ["PATH_INFO"])
        if body is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [body.encode()]

    with serve(news_site) as base:
        yield base, documents


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Watched:
    """A browser page that records everything a reader would see go wrong."""

    def __init__(self, browser: Any, viewport: dict[str, int]) -> None:
        self.context = browser.new_context(viewport=viewport, device_scale_factor=1)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        self.page.on(
            "requestfailed",
            lambda request: self.problems.append(f"failed: {request.url} {request.failure}"),
        )
        self.page.on("response", self._response)

    def _console(self, message: Any) -> None:
        if message.type in {"error", "warning"}:
            self.problems.append(f"console {message.type}: {message.text}")

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def visit(self, url: str) -> Any:
        response = self.page.goto(url, wait_until="load")
        assert response is not None and response.status == 200, url
        return self.page

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / name), full_page=True)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def watched(browser: Any) -> Iterator[Callable[[dict[str, int]], Watched]]:
    opened: list[Watched] = []

    def open_page(viewport: dict[str, int]) -> Watched:
        opened.append(Watched(browser, viewport))
        return opened[-1]

    yield open_page
    for item in opened:
        item.close()


def json_ld_in_dom(page: Any) -> Any:
    scripts = page.locator("script")
    assert scripts.count() == 1
    assert scripts.get_attribute("type") == "application/ld+json"
    return json.loads(scripts.text_content())


TRANSPARENT = "rgba(0, 0, 0, 0)"


def background(locator: Any) -> str:
    colour: str = locator.evaluate("element => getComputedStyle(element).backgroundColor")
    return colour


def contrast(locator: Any) -> float:
    """WCAG contrast ratio of an element's text colour against its own background colour."""
    colours = locator.evaluate(
        "element => [getComputedStyle(element).color, getComputedStyle(element).backgroundColor]"
    )

    def luminance(css: str) -> float:
        red, green, blue = (int(part) / 255 for part in css[css.index("(") + 1 : -1].split(",")[:3])
        linear = [
            c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (red, green, blue)
        ]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(colour) for colour in colours), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def seed_ids(page: Any, site: str) -> list[int]:
    listing = page.request.get(f"{site}/api/v1/fact-checks?pageSize=100").json()
    return [item["id"] for item in listing]


def test_the_thirteen_seed_pages_render_with_nothing_blocked(
    site: str, watched: Callable[[dict[str, int]], Watched]
) -> None:
    desktop = watched(DESKTOP)
    ids = seed_ids(desktop.page, site)
    assert len(ids) == 13
    for fact_check_id in ids:
        page = desktop.visit(f"{site}/fact-checks/{fact_check_id}")
        api = page.request.get(f"{site}/api/v1/fact-checks/{fact_check_id}/claimreview")
        assert json_ld_in_dom(page) == api.json()
        # The stylesheet applied under the CSP: the verdict chip has its colour.
        assert background(page.locator(".verdict .chip")) != TRANSPARENT
        assert page.locator("h1").inner_text() == api.json()["claimReviewed"]
        for role in ("banner", "main", "contentinfo"):
            assert page.get_by_role(role).count() == 1, role
        # White on the verdict's colour, in the chip and on the marked step of the scale.
        assert contrast(page.locator(".verdict .chip")) >= 4.5
        assert contrast(page.locator(".scale li.current")) >= 4.5
        if fact_check_id == ids[0]:
            desktop.screenshot("fact-check-desktop.png")
    assert desktop.problems == []

    phone = watched(PHONE)
    page = phone.visit(f"{site}/fact-checks/{ids[0]}")
    # Nothing wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot("fact-check-phone.png")
    page.get_by_role("link", name=page.locator(".claimant a").inner_text()).click()
    page.wait_for_load_state("load")
    (article,) = page.request.get(f"{site}/api/v1/articles").json()
    assert page.url == f"{site}/articles/{article['id']}"
    assert page.locator(".claims > li").count() == 13
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot("article-phone.png")
    assert phone.problems == []

    desktop.visit(page.url)
    desktop.screenshot("article-desktop.png")
    assert desktop.problems == []


def test_the_card_embeds_on_another_origin_from_the_oembed_answer(
    site: str,
    elsewhere: tuple[str, dict[str, str]],
    watched: Callable[[dict[str, int]], Watched],
) -> None:
    from playwright.sync_api import expect

    news_site, documents = elsewhere
    assert news_site != site
    desktop = watched(DESKTOP)
    fact_check_id = seed_ids(desktop.page, site)[0]
    oembed = desktop.page.request.get(
        f"{site}/oembed", params={"url": f"{site}/fact-checks/{fact_check_id}", "format": "json"}
    ).json()
    documents["/story"] = NEWS_PAGE.format(embed=oembed["html"])
    claim = oembed["title"]

    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        reader = desktop if viewport is DESKTOP else watched(PHONE)
        page = reader.visit(f"{news_site}/story")
        card = page.frame_locator("iframe")
        assert card.locator(".card-claim").inner_text() == claim
        # The card's iframe loads lazily, after the story's load event, and its text can be
        # there before its stylesheet applies: the chip's colour is waited for, not read once.
        expect(card.locator(".chip").first).not_to_have_css("background-color", TRANSPARENT)
        link = card.locator(".card-link a")
        assert link.get_attribute("href") == f"{site}/fact-checks/{fact_check_id}"
        # The oEmbed height holds the whole card: the link at its foot is not cut off.
        assert link.evaluate("a => a.getBoundingClientRect().bottom <= innerHeight")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        reader.screenshot(f"embed-{name}.png")
        assert reader.problems == []


def test_the_full_page_refuses_to_be_framed(
    site: str,
    elsewhere: tuple[str, dict[str, str]],
    watched: Callable[[dict[str, int]], Watched],
) -> None:
    """frame-ancestors 'none' holds, and the watch used above does see a blocked frame."""
    news_site, documents = elsewhere
    reader = watched(DESKTOP)
    url = f"{site}/fact-checks/{seed_ids(reader.page, site)[0]}"
    documents["/framed"] = NEWS_PAGE.format(
        embed=f'<iframe src="{url}" title="framed" width="600"></iframe>'
    )
    page = reader.visit(f"{news_site}/framed")
    page.wait_for_timeout(500)
    assert any("frame-ancestors" in problem for problem in reader.problems), reader.problems


def test_a_retracted_page_in_chromium(
    app: Flask, site: str, watched: Callable[[dict[str, int]], Watched]
) -> None:
    with app.app_context():
        organization = find_organization("example-desk")
        key = keys.issue(organization.id, "browser test", frozenset({"write", "publish"}))
    reader = watched(DESKTOP)
    fact_check_id = seed_ids(reader.page, site)[1]
    headers = {"Authorization": f"Bearer {key}", "If-Match": "*"}
    retracted = reader.page.request.post(
        f"{site}/api/v1/fact-checks/{fact_check_id}/retract",
        headers=headers,
        data={"note": "A source we relied on was withdrawn."},
    )
    assert retracted.status == 200, retracted.text()
    page = reader.visit(f"{site}/fact-checks/{fact_check_id}")
    assert page.locator(".banner-note").inner_text() == "A source we relied on was withdrawn."
    # The markup is withdrawn: the page a browser builds carries no ClaimReview.
    assert page.locator("script").count() == 0
    reader.screenshot("retracted-desktop.png")
    assert reader.problems == []


NEWS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Example News</title>
<style>iframe {{ max-width: 100%; }}</style>
</head>
<body>
<main>
<h1>Example News: a story that embeds a fact-check</h1>
<p>The card below comes from the fact-check service, on another origin.</p>
{embed}
<p>The story goes on after the card.</p>
</main>
</body>
</html>
"""
