"""Who is acting: an API key of one organization (a member's or a tool's), or the CLI."""

from dataclasses import dataclass, field

from factcheck.problems import NotFound
from factcheck.storage import store


@dataclass(frozen=True)
class Actor:
    organization_id: int
    name: str
    scopes: frozenset[str] = field(default_factory=frozenset)
    # The API key's row id; None for the CLI. Idempotency keys are scoped to it.
    key_id: int | None = None
    # The member whose key this is (acting with the member's role); None for a tool's key.
    member_id: int | None = None

    @property
    def identity(self) -> str:
        """Who this is for the review rule "approved by someone other than the last editor":
        the member, whichever of their keys; a tool's key by itself."""
        return f"member:{self.member_id}" if self.member_id is not None else self.name


def organization_of(actor: Actor, slug: str) -> int:
    """The organization `slug` if it is the actor's; another organization's is not found, as its
    drafts are not."""
    organization = store.organization_by_slug(slug)
    if organization is None or organization.id != actor.organization_id:
        raise NotFound(f"No organization {slug!r} of this key.")
    return organization.id
