"""Rating scales: the labels an organization rates on, each with its definition, in versions.

A new scale is a new version; a fact-check keeps the version it was rated on, so its verdict is
always read with the labels and definitions it was given with.
"""

from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_dump, validate, validates_schema

from factcheck.schemas.fact_checks import MAX_RATING
from factcheck.schemas.fields import Text

MAX_LABELS = MAX_RATING + 1
MAX_OFF_SCALE = 20
DEFINITION = 2000


class ScaleLabelSchema(Schema):
    rating_value = fields.Integer(
        strict=True, data_key="ratingValue", required=True, validate=validate.Range(0, MAX_RATING)
    )
    alternate_name = Text(100, min_length=1, data_key="alternateName", required=True)
    definition = Text(
        DEFINITION,
        min_length=1,
        required=True,
        metadata={"description": "What the label means; absent only on scales made before."},
    )


class OffScaleLabelSchema(Schema):
    alternate_name = Text(100, min_length=1, data_key="alternateName", required=True)
    definition = Text(DEFINITION, min_length=1, required=True)


class RatingScaleSchema(Schema):
    """One version of an organization's rating scale."""

    version = fields.Integer(dump_only=True)
    worst_rating = fields.Integer(
        strict=True, data_key="worstRating", required=True, validate=validate.Range(1, MAX_RATING)
    )
    best_rating = fields.Integer(
        strict=True, data_key="bestRating", required=True, validate=validate.Range(1, MAX_RATING)
    )
    labels = fields.List(
        fields.Nested(ScaleLabelSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_LABELS),
        metadata={"description": "The points of the scale, worst first."},
    )
    off_scale = fields.List(
        fields.Nested(OffScaleLabelSchema),
        data_key="offScale",
        load_default=list,
        validate=validate.Length(max=MAX_OFF_SCALE),
        metadata={"description": "Verdicts with no number, such as 'Unproven'."},
    )
    date_created = fields.AwareDateTime(data_key="dateCreated", dump_only=True)

    @validates_schema
    def _consistent(self, data: dict[str, Any], **_kwargs: Any) -> None:
        worst, best = data["worst_rating"], data["best_rating"]
        if worst >= best:
            raise ValidationError("Needs worstRating < bestRating.", "worstRating")
        errors: dict[str, Any] = {}
        seen_values: set[int] = set()
        seen_names: set[str] = set()
        for index, label in enumerate(data["labels"]):
            problems: dict[str, list[str]] = {}
            value = label["rating_value"]
            if not worst <= value <= best:
                problems["ratingValue"] = [f"Must lie between {worst} and {best}."]
            elif value in seen_values:
                problems["ratingValue"] = [f"{value} has a label already."]
            if label["alternate_name"] in seen_names:
                problems["alternateName"] = ["Another label has this name."]
            seen_values.add(value)
            seen_names.add(label["alternate_name"])
            if problems:
                errors.setdefault("labels", {})[index] = problems
        for index, label in enumerate(data.get("off_scale", [])):
            if label["alternate_name"] in seen_names:
                errors.setdefault("offScale", {})[index] = {
                    "alternateName": ["Another label has this name."]
                }
            seen_names.add(label["alternate_name"])
        if errors:
            raise ValidationError(errors)

    @pre_dump
    def _stored(self, scale: Any, **_kwargs: Any) -> dict[str, Any]:
        """A RatingScale row: its `scale` is kept in this schema's wire shape."""
        stored = scale.scale
        return {
            "version": scale.version,
            "date_created": scale.date_created,
            "worst_rating": stored["worstRating"],
            "best_rating": stored["bestRating"],
            "labels": [_attributes(label) for label in stored["labels"]],
            "off_scale": [_attributes(label) for label in stored.get("offScale", [])],
        }


def _attributes(label: dict[str, Any]) -> dict[str, Any]:
    names = {"ratingValue": "rating_value", "alternateName": "alternate_name"}
    return {names.get(key, key): value for key, value in label.items()}
