"""The verdict placed on the organization's rating scale: its labels, and a colour per position.

The scale is the version the verdict was given on (FactCheck.rated_on), so a later scale never
relabels it; fact-checks rated before scales had versions fall back to the current one.
"""

from dataclasses import dataclass

from factcheck.core.scales import definitions
from factcheck.storage.models import FactCheck

# The number of steps drawn one by one; a wider scale shows its numbers instead.
MAX_DRAWN_STEPS = 11
TONES = 4


@dataclass(frozen=True)
class Step:
    value: int
    label: str
    tone: str
    current: bool


@dataclass(frozen=True)
class Verdict:
    label: str
    tone: str
    value: int | None
    worst: int | None
    best: int | None
    steps: list[Step]
    # What the label means, on the scale the verdict was given on (when it says).
    definition: str | None = None

    @property
    def worst_label(self) -> str | None:
        return self.steps[0].label if self.steps else None

    @property
    def best_label(self) -> str | None:
        return self.steps[-1].label if self.steps else None


def verdict(check: FactCheck) -> Verdict:
    """The rating placed on the organization's scale: its labels, and a colour per position."""
    rated_on = check.rated_on
    scale = rated_on.scale if rated_on is not None else check.organization.rating_scale or {}
    labels = {item["ratingValue"]: item["alternateName"] for item in scale.get("labels", [])}
    worst = check.worst_rating if check.worst_rating is not None else scale.get("worstRating")
    best = check.best_rating if check.best_rating is not None else scale.get("bestRating")
    steps: list[Step] = []
    current = check.rating_value
    if isinstance(worst, int) and isinstance(best, int) and 0 < best - worst < MAX_DRAWN_STEPS:
        steps = [
            Step(step, labels.get(step, str(step)), _tone(step, worst, best), step == current)
            for step in range(worst, best + 1)
        ]
    value, tone = check.rating_value, "tone-off"
    if value is not None and isinstance(worst, int) and isinstance(best, int) and best > worst:
        tone = _tone(value, worst, best)
    label = check.alternate_name or ""
    definition = definitions(rated_on).get(label)
    return Verdict(label, tone, value, worst, best, steps, definition)


def _tone(value: int, worst: int, best: int) -> str:
    return f"tone-{round((value - worst) / (best - worst) * TONES)}"
