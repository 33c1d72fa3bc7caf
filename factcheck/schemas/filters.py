"""Query arguments that narrow a list of fact-checks, a search or the feed (storage/filters.py).

The routes that take them refuse unknown parameters and bad values with 400, naming each one.
"""

from typing import Any

from marshmallow import Schema, ValidationError, fields, validates_schema

from factcheck.schemas.fact_checks import FactCheckListArgsSchema
from factcheck.schemas.fields import LanguageTag, Text

MAX_FILTER = 200


class FilterArgsSchema(Schema):
    in_language = LanguageTag(
        data_key="inLanguage",
        metadata={"description": "A language, any region: `de` finds de, de-AT and de-CH."},
    )
    claimant = Text(
        MAX_FILTER, min_length=1, metadata={"description": "Who made the claim (any case)."}
    )
    rating = Text(
        100,
        min_length=1,
        metadata={
            "description": "A rating label (`Mostly false`, any case) or its number on the "
            "organization's scale (`2`)."
        },
    )
    claim_date_from = fields.Date(data_key="claimDateFrom", metadata={"example": "2024-01-01"})
    claim_date_to = fields.Date(data_key="claimDateTo", metadata={"example": "2024-12-31"})
    published_from = fields.Date(
        data_key="publishedFrom", metadata={"description": "A day (UTC), included."}
    )
    published_to = fields.Date(
        data_key="publishedTo", metadata={"description": "A day (UTC), included."}
    )
    organization = Text(64, min_length=1, metadata={"description": "An organization's slug."})

    @validates_schema
    def _ranges(self, data: dict[str, Any], **_: Any) -> None:
        for start, end, name in (
            ("claim_date_from", "claim_date_to", "claimDateTo"),
            ("published_from", "published_to", "publishedTo"),
        ):
            if data.get(start) and data.get(end) and data[start] > data[end]:
                raise ValidationError("Comes before the start of the range.", name)


# The arguments of flask-smorest's `arguments` for a route with filters: every parameter known,
# every problem a 400.
STRICT_QUERY: dict[str, Any] = {"location": "query", "unknown": "raise", "error_status_code": 400}


class FactCheckListFilterArgsSchema(FactCheckListArgsSchema, FilterArgsSchema):
    """GET /api/v1/fact-checks: a page of the list, narrowed."""
