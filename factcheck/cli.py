"""Operator commands: `flask create-org`, `create-api-key`, `revoke-api-key`, `seed`,
`google-sync` and more.

What an operator types passes the same marshmallow schemas as API input (http(s) URLs, lengths,
control characters), and is refused with the same messages, naming the option.
"""

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from googleapiclient.errors import HttpError
from marshmallow import Schema, ValidationError

from factcheck.core import exports, generate, google_sync, idempotency, imports, keys, seed
from factcheck.core.actors import Actor
from factcheck.core.organizations import create_organization
from factcheck.problems import Problem
from factcheck.schemas import export
from factcheck.schemas.imports import EXPORT_FORMATS, SdLicenseSchema
from factcheck.schemas.organizations import ApiKeySchema, OrganizationSchema
from factcheck.storage import store

# Relative to where the command runs: the project root, or /srv in the container image.
SEEDS = Path("seeds")
SYNC_ACTIONS = ("create", "update", "delete")
PUBLISHED_SCHEMAS = Path("schemas")


@click.command("create-org")
@click.argument("slug")
@click.option("--name", required=True, help="Display name, e.g. 'Example Fact-Check Desk'.")
@click.option("--url", required=True, help="The organization's site, e.g. https://example.org/.")
@click.option(
    "--sd-license",
    default=None,
    help="The license of its ClaimReview data (schema.org sdLicense), a URL such as "
    "https://creativecommons.org/licenses/by/4.0/.",
)
@with_appcontext
def create_org(slug: str, name: str, url: str, sd_license: str | None) -> None:
    """Create the fact-checking organization SLUG."""
    given = {"slug": slug, "name": name, "url": url}
    fields = checked(
        OrganizationSchema(), given, {"slug": "SLUG", "name": "--name", "url": "--url"}
    )
    if sd_license is not None:
        fields.update(
            checked(SdLicenseSchema(), {"sdLicense": sd_license}, {"sdLicense": "--sd-license"})
        )
    try:
        organization = create_organization(**fields)
    except Problem as problem:
        raise click.ClickException(problem.detail) from None
    click.echo(f"created organization {organization.slug}")


def checked(schema: Schema, given: Mapping[str, Any], options: Mapping[str, str]) -> Any:
    """`given` loaded by `schema`, or a usage error naming each option with the API's message."""
    try:
        return schema.load(given)
    except ValidationError as error:
        messages = error.messages_dict
        lines = [
            f"Invalid value for {options.get(field, field)!r}: {' '.join(map(str, problems))}"
            for field, problems in sorted(messages.items())
        ]
        raise click.UsageError("\n".join(lines)) from None


@click.command("create-api-key")
@click.argument("slug")
@click.option("--name", default="default", show_default=True, help="What the key is for.")
@click.option(
    "--scopes",
    default="write,publish",
    show_default=True,
    help="Comma-separated: write (create and edit), publish (publish and retract).",
)
@with_appcontext
def create_api_key(slug: str, name: str, scopes: str) -> None:
    """Issue an API key for organization SLUG. The key is shown once; store it now."""
    name = checked(ApiKeySchema(), {"name": name}, {"name": "--name"})["name"]
    wanted = frozenset(scope.strip() for scope in scopes.split(",") if scope.strip())
    unknown = wanted - keys.SCOPES
    if unknown or not wanted:
        raise click.BadParameter(
            f"scopes must be among {sorted(keys.SCOPES)}", param_hint="--scopes"
        )
    organization = store.organization_by_slug(slug)
    if organization is None:
        raise click.ClickException(f"no organization {slug!r}")
    click.echo(keys.issue(organization.id, name, wanted))


@click.command("revoke-api-key")
@click.argument("key")
@with_appcontext
def revoke_api_key(key: str) -> None:
    """Revoke KEY (the whole key, or its prefix: the part between the underscores)."""
    parts = key.split("_")
    prefix = parts[1] if len(parts) >= 3 else key
    if not keys.revoke(prefix):
        raise click.ClickException("no such key")
    click.echo(f"revoked key {prefix}")


@click.command("seed")
@click.option("--path", type=click.Path(exists=True, path_type=Path), default=SEEDS)
@with_appcontext
def seed_command(path: Path) -> None:
    """Load the seed articles and fact-checks (published). Running it again changes nothing."""
    try:
        for line in seed.load_directory(path):
            click.echo(line)
    except ValidationError as error:
        raise click.ClickException(f"the seed does not pass validation: {error.messages}") from None


@click.command("export-schemas")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=PUBLISHED_SCHEMAS)
def export_schemas(out: Path) -> None:
    """Write the published JSON Schema files, generated from the marshmallow schemas."""
    for written in export.write(out):
        click.echo(f"wrote {written}")


@click.command("purge-idempotency-keys")
@with_appcontext
def purge_idempotency_keys() -> None:
    """Delete Idempotency-Key records older than 24 hours (they would not replay any more)."""
    click.echo(f"deleted {idempotency.purge()} expired idempotency keys")


@click.command("generate")
@click.option("--fact-checks", "count", type=click.IntRange(1, 10_000_000), required=True)
@click.option("--org", "slug", default="synthetic", show_default=True, help="Organization slug.")
@click.option("--seed", "seed_value", default=1, show_default=True, help="Random seed.")
@with_appcontext
def generate_command(count: int, slug: str, seed_value: int) -> None:
    """Add COUNT synthetic published fact-checks, for benchmarks. Not for production data."""
    checked(OrganizationSchema(only=("slug",)), {"slug": slug}, {"slug": "--org"})
    made = generate.fact_checks(count, slug, seed_value)
    click.echo(f"generated {made} published fact-checks for {slug}")


@click.command("google-sync")
@click.option("--org", "slug", required=True, help="The organization whose fact-checks to push.")
@click.option(
    "--endpoint",
    default="https://factchecktools.googleapis.com/",
    show_default=True,
    help="A pages.* endpoint: Google's, or another instance of this service.",
)
@click.option(
    "--token-env",
    default="GOOGLE_SYNC_TOKEN",
    show_default=True,
    help="The environment variable holding the bearer token (an OAuth token for Google's, the "
    "target organization's API key for this service).",
)
@click.option("--dry-run", is_flag=True, help="Print the differences, change nothing.")
@with_appcontext
def google_sync_command(slug: str, endpoint: str, token_env: str, dry_run: bool) -> None:
    """Push organization SLUG's published fact-checks to a pages.* endpoint: create, update
    (with versionId) and delete retracted pages. Running it again changes nothing."""
    organization = store.organization_by_slug(slug)
    if organization is None:
        raise click.ClickException(f"no organization {slug!r}")
    token = os.environ.get(token_env, "")
    if not token:
        raise click.ClickException(f"set {token_env} to the target's bearer token")
    pages = google_sync.pages_client(endpoint, token)
    try:
        changes = google_sync.plan(organization.id, pages)
        if dry_run:
            for change in changes:
                click.echo("would " + google_sync.describe(change))
        else:
            google_sync.apply(pages, changes, click.echo)
    except HttpError as error:
        answered = f"{endpoint} answered {error.status_code}: {error.reason}"
        raise click.ClickException(answered) from None
    counts = {action: sum(c.action == action for c in changes) for action in SYNC_ACTIONS}
    verb = "would " if dry_run else ""
    summary = ", ".join(f"{verb}{action} {count}" for action, count in counts.items())
    click.echo(f"{summary} pages" if changes else "no difference")


@click.command("import-claimreviews")
@click.argument("file", type=click.File("rb"))
@click.option("--org", "slug", required=True, help="The organization the ClaimReviews are of.")
@click.option("--dry-run", is_flag=True, help="Report what would happen, change nothing.")
@with_appcontext
def import_command(file: Any, slug: str, dry_run: bool) -> None:
    """Import ClaimReview JSON-LD from FILE (- for stdin): one ClaimReview, an array, a DataFeed
    or Google ClaimReviewMarkupPages. Running it again changes nothing."""
    actor = _operator(slug)
    try:
        document = json.loads(file.read().decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise click.ClickException(f"{file.name} is not JSON: {error}") from None
    try:
        report = imports.import_claimreviews(
            actor,
            slug,
            lambda: document,
            dry_run=dry_run,
            max_items=current_app.config["IMPORT_MAX_ITEMS"],
        )
    except imports.ImportRefused as refused:
        for line in _report_lines(refused.report.items):
            click.echo(line, err=True)
        raise click.ClickException(refused.detail) from None
    except Problem as problem:
        raise click.ClickException(problem.detail) from None
    for line in _report_lines(report.items):
        click.echo(line)
    verb = "would be " if dry_run else ""
    click.echo(", ".join(f"{verb}{result} {count}" for result, count in report.counts.items()))


def _operator(slug: str) -> Actor:
    organization = store.organization_by_slug(slug)
    if organization is None:
        raise click.ClickException(f"no organization {slug!r}")
    return Actor(organization.id, "cli", frozenset({"write", "publish"}))


def _report_lines(items: list[imports.Item]) -> Iterator[str]:
    """What is not plain: skips with their reason, invalid ClaimReviews with their errors."""
    for item in items:
        if item.result == "skipped":
            yield f"skipped {item.pointer or '/'} {item.url or ''}: {item.reason}"
        for error in item.errors:
            yield f"invalid {error['pointer'] or '/'}: {error['detail']}"


@click.command("export")
@click.option("--org", "slug", required=True, help="The organization whose fact-checks to export.")
@click.option("--format", "kind", type=click.Choice(EXPORT_FORMATS), required=True)
@click.option("--out", type=click.File("w", encoding="utf-8"), default="-", show_default=True)
@with_appcontext
def export_command(slug: str, kind: str, out: Any) -> None:
    """Write organization SLUG's published fact-checks as CSV or a JSON-LD DataFeed, streamed."""
    actor = _operator(slug)
    chunks = (
        exports.csv_export(actor, slug) if kind == "csv" else exports.jsonld_export(actor, slug)
    )
    for chunk in chunks:
        out.write(chunk)
    out.flush()


def init_app(app: Flask) -> None:
    for command in (create_org, create_api_key, revoke_api_key, seed_command, export_schemas):
        app.cli.add_command(command)
    app.cli.add_command(purge_idempotency_keys)
    app.cli.add_command(generate_command)
    app.cli.add_command(google_sync_command)
    app.cli.add_command(import_command)
    app.cli.add_command(export_command)
