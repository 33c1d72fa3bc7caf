import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from factcheck.schemas import export as jsonschemas

from .conftest import FACT_CHECK, ROOT

PUBLISHED = ROOT / "schemas"


@pytest.mark.parametrize("filename", sorted(jsonschemas.PUBLISHED))
def test_published_files_match_the_marshmallow_schemas(filename: str) -> None:
    """Fails when a schema changed and `flask export-schemas` was not run."""
    generated = jsonschemas.render_all()[filename]
    assert (PUBLISHED / filename).read_text() == generated


def test_no_stray_files_in_schemas() -> None:
    assert {path.name for path in PUBLISHED.glob("*")} == set(jsonschemas.PUBLISHED)


def test_published_files_are_valid_json_schema() -> None:
    for path in PUBLISHED.glob("*.json"):
        jsonschema.Draft202012Validator.check_schema(json.loads(path.read_text()))


def _load(name: str) -> Any:
    return json.loads((PUBLISHED / name).read_text())


def test_the_fact_check_schema_accepts_the_example_and_refuses_a_bad_url() -> None:
    schema = _load("fact-check.json")
    jsonschema.validate(FACT_CHECK, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**FACT_CHECK, "claimReviewed": "x" * 501}, schema)


def test_export_command_writes_the_same_files(runner: Any, tmp_path: Path) -> None:
    result = runner.invoke(args=["export-schemas", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for filename in jsonschemas.PUBLISHED:
        assert (tmp_path / filename).read_text() == (PUBLISHED / filename).read_text()
