"""What a list of fact-checks, a search or the feed is narrowed to, as conditions on fact_checks.

One definition for the three, so `?inLanguage=de` means the same on each of them.
"""

from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, func, or_, select

from factcheck.storage.models import FactCheck, Organization


@dataclass(frozen=True)
class Filters:
    """None leaves a criterion open. Dates are whole days, both ends included (UTC)."""

    in_language: str | None = None
    claimant: str | None = None
    # A label of the rating ("Mostly false", any case), or its number on the scale ("2").
    rating: str | None = None
    claim_date_from: date | None = None
    claim_date_to: date | None = None
    published_from: date | None = None
    published_to: date | None = None
    organization: str | None = None

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) is not None for f in fields(self))

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.in_language is not None:
            found.append(language(self.in_language))
        if self.claimant is not None:
            name = FactCheck.claim_author["name"].as_string()
            found.append(func.lower(name) == self.claimant.lower())
        if self.rating is not None:
            if self.rating.isdigit():
                found.append(FactCheck.rating_value == int(self.rating))
            else:
                found.append(func.lower(FactCheck.alternate_name) == self.rating.lower())
        if self.claim_date_from is not None:
            found.append(FactCheck.claim_date >= self.claim_date_from)
        if self.claim_date_to is not None:
            found.append(FactCheck.claim_date <= self.claim_date_to)
        if self.published_from is not None:
            found.append(FactCheck.date_published >= _midnight(self.published_from))
        if self.published_to is not None:
            next_day = self.published_to + timedelta(days=1)
            found.append(FactCheck.date_published < _midnight(next_day))
        if self.organization is not None:
            owner = select(Organization.id).where(Organization.slug == self.organization)
            found.append(FactCheck.organization_id == owner.scalar_subquery())
        return found


def language(code: str) -> ColumnElement[bool]:
    """The language, whatever the region: "de" finds de, de-AT and de-CH."""
    primary = code.split("-")[0].lower()
    lowered = func.lower(FactCheck.in_language)
    return or_(lowered == primary, lowered.like(primary + "-%"))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def organizations(ids: list[int]) -> ColumnElement[bool]:
    return FactCheck.organization_id.in_(ids)


def newer_than(since: datetime) -> ColumnElement[bool]:
    """Published, or claimed, since then: Google's `maxAgeDays` counts the newer of the two."""
    return or_(FactCheck.date_published >= since, FactCheck.claim_date >= since.date())


NONE = Filters()
