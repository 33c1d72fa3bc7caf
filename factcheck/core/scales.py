"""Rating scales: a verdict is a (ratingValue, alternateName) pair of its organization's scale, or
a label the scale declares off it (with no numbers at all).

An organization's scale comes in versions (models.RatingScale, in the API's shape, with a
definition per label); a new one is a new version, and a fact-check keeps the version its verdict
was given on (FactCheck.rating_scale_version), so a later scale never reinterprets it. The current
version is also kept on the organization in the shape verdicts are checked against
(models.Organization.rating_scale; DEFAULT_RATING_SCALE unless the operator gave another):
`worstRating`, `bestRating`, `labels` [{ratingValue, alternateName}] and `offScale` [labels].
Labels compare exactly, as readers see them.
"""

from collections.abc import Mapping
from typing import Any

from factcheck.problems import Unprocessable
from factcheck.storage.models import (
    DEFAULT_RATING_SCALE,
    RATING_COLUMNS,
    FactCheck,
    Organization,
    RatingScale,
)


def check(scale: Mapping[str, Any] | None, fact_check: FactCheck) -> None:
    """422 with a pointer per field when the fact-check's verdict is not on `scale`."""
    rating = {name: getattr(fact_check, column) for name, column in RATING_COLUMNS.items()}
    errors = problems(scale, rating)
    if errors:
        raise Unprocessable("The rating is not on the organization's rating scale.", errors)


def problems(scale: Mapping[str, Any] | None, rating: Mapping[str, Any]) -> list[dict[str, str]]:
    """What keeps `rating` (API names) off `scale`: one pointer per field; none when it fits."""
    scale = scale or DEFAULT_RATING_SCALE
    label, value = rating.get("alternateName"), rating.get("ratingValue")
    if label is None:
        return []  # the rating's own rules ask for it (schemas/fact_checks.RatingSchema)
    on_scale = {entry["ratingValue"]: entry["alternateName"] for entry in scale.get("labels", [])}
    off_scale = list(scale.get("offScale", []))
    numbers = [
        name
        for name in ("ratingValue", "bestRating", "worstRating")
        if rating.get(name) is not None
    ]
    if value is None and not numbers:
        if label in off_scale:
            return []
        if label in on_scale.values():
            number = next(n for n, name in on_scale.items() if name == label)
            detail = f"{label!r} is {number} on the scale; send ratingValue {number} with it."
            return [{"pointer": "/rating/ratingValue", "detail": detail}]
        return [{"pointer": "/rating/alternateName", "detail": _not_declared(label, scale)}]
    errors = [
        {
            "pointer": f"/rating/{name}",
            "detail": f"The organization's scale has {name} {scale[name]}.",
        }
        for name in ("worstRating", "bestRating")
        if rating.get(name) != scale.get(name)
    ]
    if value not in on_scale:
        errors.append({"pointer": "/rating/ratingValue", "detail": "Not a value of the scale."})
    elif on_scale[value] != label:
        detail = f"On the organization's scale, {value} is {on_scale[value]!r}."
        errors.append({"pointer": "/rating/alternateName", "detail": detail})
    return errors


def _not_declared(label: str, scale: Mapping[str, Any]) -> str:
    labels = [entry["alternateName"] for entry in scale.get("labels", [])]
    allowed = ", ".join(repr(name) for name in [*labels, *scale.get("offScale", [])])
    return f"{label!r} is not on the organization's scale; use one of {allowed}."


def rate(organization: Organization, fact_check: FactCheck) -> None:
    """Check the fact-check's verdict against the organization's current scale (422), and mark
    it as given on that version."""
    check(organization.rating_scale, fact_check)
    rated = fact_check.alternate_name is not None or fact_check.rating_value is not None
    fact_check.rating_scale_version = organization.rating_scale_version if rated else None


def checking_shape(scale: Mapping[str, Any]) -> dict[str, Any]:
    """A scale in the API's shape as verdicts are checked against it (Organization.rating_scale)."""
    return {
        "worstRating": scale["worstRating"],
        "bestRating": scale["bestRating"],
        "labels": [
            {"ratingValue": label["ratingValue"], "alternateName": label["alternateName"]}
            for label in scale["labels"]
        ],
        "offScale": [label["alternateName"] for label in scale.get("offScale", [])],
    }


def from_checking(scale: Mapping[str, Any]) -> dict[str, Any]:
    """An organization's checking scale as the first version of its scale (no definitions)."""
    return {
        "worstRating": scale["worstRating"],
        "bestRating": scale["bestRating"],
        "labels": [dict(label) for label in scale.get("labels", [])],
        "offScale": [{"alternateName": label} for label in scale.get("offScale", [])],
    }


def definitions(scale: RatingScale | None) -> dict[str, str]:
    """Each label's definition on a stored version, by label."""
    if scale is None:
        return {}
    labels = [*scale.scale.get("labels", []), *scale.scale.get("offScale", [])]
    return {
        label["alternateName"]: label["definition"] for label in labels if label.get("definition")
    }
