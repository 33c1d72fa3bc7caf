"""Who is acting: an API key of one organization, or the CLI on its behalf."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    organization_id: int
    name: str
    scopes: frozenset[str] = field(default_factory=frozenset)
    # The API key's row id; None for the CLI. Idempotency keys are scoped to it.
    key_id: int | None = None
