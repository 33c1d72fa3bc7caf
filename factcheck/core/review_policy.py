"""An organization's review policy: whether publishing needs another member's approval.

Kept apart from core/review.py, which moves fact-checks, because this is an admin's setting of
the organization (and so is audited).
"""

from factcheck.core import audit, organizations
from factcheck.core.actors import Actor, organization_of
from factcheck.storage import store
from factcheck.storage.models import Organization, utcnow


def policy(actor: Actor, slug: str) -> Organization:
    organization = store.get(Organization, organization_of(actor, slug))
    assert organization is not None  # organization_of found it
    return organization


def set_policy(actor: Actor, slug: str, approval_required: bool) -> Organization:
    with store.unit_of_work():
        organization = policy(actor, slug)
        if organization.approval_required != approval_required:
            before = organization.approval_required
            organization.approval_required = approval_required
            organization.date_modified = utcnow()
            # Its version moves (the ETag its document shows), so the cached document goes.
            store.flush()
            organizations.forget_organization(organization, everything=False)
            details = {"approvalRequired": [before, approval_required]}
            audit.record(actor, "review-policy.update", f"organization:{slug}", details)
    return organization
