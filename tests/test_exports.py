"""Exports of an organization's published fact-checks: CSV and a JSON-LD DataFeed, over HTTP
(GET /api/v1/organizations/{slug}/exports/fact-checks.csv|.jsonld) and `flask export`; and the
round trip: imported, exported, compared, imported elsewhere."""

import csv
import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from factcheck.core.exports import CSV_COLUMNS
from factcheck.core.organizations import create_organization

from .checks import published_check
from .conftest import new_organization
from .test_imports import claimreview

EXPORTS = "/api/v1/organizations/desk/exports/fact-checks"
# What the server owns, left out of a ClaimReview to compare it with what was imported.
SERVER_OWNED = ("datePublished", "dateModified", "correction", "sdLicense")
# 10,000 ClaimReviews go in, out and in again on each engine (marked slow: minutes, each
# ClaimReview takes the API's whole write path, twice); 200 in every run.
ROUND_TRIPS = [200, pytest.param(10_000, marks=pytest.mark.slow)]


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_csv_has_the_documented_columns_and_only_published_rows(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    first = published_check(client, writer, "Wages doubled", claimant="=HYPERLINK(1)")
    published_check(client, writer, "A draft", draft=True)
    second = published_check(client, writer, "Rents fell")
    response = client.get(f"{EXPORTS}.csv", headers=writer)
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="desk-fact-checks.csv"'
    )
    text = response.get_data(as_text=True)
    assert text.splitlines()[0] == ",".join(CSV_COLUMNS)
    rows = rows_of(text)
    assert [row["id"] for row in rows] == [str(first["id"]), str(second["id"])]
    assert rows[0]["claimReviewed"] == "Wages doubled"
    assert rows[0]["alternateName"] == first["rating"]["alternateName"]
    assert rows[0]["url"] == first["url"]
    assert rows[0]["evidenceUrls"] == first["evidence"][0]["url"]
    assert rows[0]["corrections"] == "0"
    # A spreadsheet would run it as a formula: the cell is text.
    assert rows[0]["claimAuthor"] == "'=HYPERLINK(1)"


def test_the_jsonld_is_a_datafeed_of_the_claimreviews_served(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    checks = [published_check(client, writer, claim) for claim in ("Wages doubled", "Rents fell")]
    response = client.get(f"{EXPORTS}.jsonld", headers=writer)
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    feed = response.get_json(force=True)
    assert feed["@type"] == "DataFeed" and feed["name"] == "Desk Checks: fact-checks"
    served = [
        client.get(f"/api/v1/fact-checks/{check['id']}/claimreview").get_json() for check in checks
    ]
    assert feed["dataFeedElement"] == served
    assert feed["dateModified"] == max(review["dateModified"] for review in served)


def test_an_empty_export_is_still_well_formed(client: FlaskClient, writer: dict[str, str]) -> None:
    feed = client.get(f"{EXPORTS}.jsonld", headers=writer).get_json(force=True)
    assert feed["dataFeedElement"] == [] and "dateModified" not in feed
    assert client.get(f"{EXPORTS}.csv", headers=writer).get_data(as_text=True).count("\n") == 1


def test_an_export_takes_any_key_of_the_organization_and_no_other(
    client: FlaskClient, app: Flask, rival: dict[str, str]
) -> None:
    reader = new_organization(app, "desk", "admin")
    for suffix in (".csv", ".jsonld"):
        assert client.get(EXPORTS + suffix, headers=reader).status_code == 200
        unauthenticated = client.get(EXPORTS + suffix)
        assert unauthenticated.status_code == 401
        assert unauthenticated.mimetype == "application/problem+json"
        assert client.get(EXPORTS + suffix, headers=rival).status_code == 404


def test_the_cli_exports_what_the_api_does(
    runner: Any, client: FlaskClient, writer: dict[str, str], tmp_path: Path
) -> None:
    published_check(client, writer, "Wages doubled")
    for kind in ("csv", "jsonld"):
        out = tmp_path / f"export.{kind}"
        result = runner.invoke(args=["export", "--org", "desk", "--format", kind, "--out", out])
        assert result.exit_code == 0, result.output
        served = client.get(f"{EXPORTS}.{kind}", headers=writer).get_data(as_text=True)
        assert out.read_bytes().decode("utf-8") == served
    unknown = runner.invoke(args=["export", "--org", "nobody", "--format", "csv"])
    assert unknown.exit_code == 1 and "no organization 'nobody'" in unknown.output


def comparable(review: dict[str, Any]) -> dict[str, Any]:
    """A ClaimReview less what the server owns, to compare an export with its import."""
    return {key: value for key, value in review.items() if key not in SERVER_OWNED}


@pytest.mark.parametrize("count", ROUND_TRIPS)
def test_a_round_trip_of_claimreviews(runner: Any, app: Flask, tmp_path: Path, count: int) -> None:
    """Imported, exported (equal to the input, less the server-owned properties), imported into
    another organization of the same site (all created), and once more (all unchanged)."""
    with app.app_context():
        create_organization("desk", "Desk Checks", "https://desk.example.org/")
        # The same publisher's second organization (a staging copy, say): the author matches
        # by the site, so the first's ClaimReviews are its own.
        create_organization("copy", "Desk Checks (copy)", "https://desk.example.org/")
    given = [claimreview(number) for number in range(count)]
    source = tmp_path / "given.jsonld"
    source.write_text(json.dumps(given), encoding="utf-8")
    started = time.monotonic()

    first = runner.invoke(args=["import-claimreviews", str(source), "--org", "desk"])
    assert first.exit_code == 0, first.output
    assert first.output.strip().endswith(
        f"created {count}, updated 0, unchanged 0, skipped 0, invalid 0"
    )
    exported = tmp_path / "desk.jsonld"
    out = runner.invoke(args=["export", "--org", "desk", "--format", "jsonld", "--out", exported])
    assert out.exit_code == 0, out.output
    feed = json.loads(exported.read_text(encoding="utf-8"))
    assert [comparable(review) for review in feed["dataFeedElement"]] == given

    into_copy = runner.invoke(args=["import-claimreviews", str(exported), "--org", "copy"])
    assert into_copy.exit_code == 0, into_copy.output
    assert f"created {count}, updated 0," in into_copy.output
    again = runner.invoke(args=["import-claimreviews", str(exported), "--org", "copy"])
    assert again.exit_code == 0, again.output
    assert f"updated 0, unchanged {count}, skipped 0" in again.output
    print(f"round trip of {count}: {time.monotonic() - started:.1f} s")
