"""The stored shape of organizations, their API keys, articles, fact-checks and their records,
and of webhook subscriptions, events and deliveries.

Over 300 lines on purpose: one declarative module, so that relationships name their classes
without imports between model modules and Alembic's autogenerate sees every table at once."""

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from factcheck.storage.db import Base

DRAFT, PUBLISHED, RETRACTED = "draft", "published", "retracted"
# The review step between a draft and its publication (core/review.py moves between them).
IN_REVIEW, APPROVED = "in_review", "approved"
# Statuses the public never sees: the organization's own work in progress.
UNPUBLISHED = frozenset({DRAFT, IN_REVIEW, APPROVED})

DEFAULT_RATING_SCALE: dict[str, Any] = {
    "worstRating": 1,
    "bestRating": 5,
    "labels": [
        {"ratingValue": 1, "alternateName": "False"},
        {"ratingValue": 2, "alternateName": "Mostly false"},
        {"ratingValue": 3, "alternateName": "Half true"},
        {"ratingValue": 4, "alternateName": "Mostly true"},
        {"ratingValue": 5, "alternateName": "True"},
    ],
    "offScale": ["Unproven", "Misleading", "Satire"],
}


# A fact-check's rating is five columns, named here by their schema.org (and API) names.
RATING_COLUMNS = {
    "ratingValue": "rating_value",
    "bestRating": "best_rating",
    "worstRating": "worst_rating",
    "alternateName": "alternate_name",
    "ratingExplanation": "rating_explanation",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC and gives back aware datetimes, also on SQLite, which forgets the offset."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(2048))
    logo: Mapped[str | None] = mapped_column(String(2048))
    corrections_policy: Mapped[str | None] = mapped_column(String(2048))
    publishing_principles: Mapped[str | None] = mapped_column(String(2048))
    rating_scale: Mapped[dict[str, Any]] = mapped_column(JSON)
    # schema.org sdLicense of its ClaimReviews (a license URL); None until an operator sets it.
    sd_license: Mapped[str | None] = mapped_column(String(2048))
    version: Mapped[int] = mapped_column(Integer, default=1)
    date_created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    date_modified: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The policies schema.org names for a news organization, as URLs of the organization's pages.
    methodology: Mapped[str | None] = mapped_column(String(2048))
    ownership_funding_info: Mapped[str | None] = mapped_column(String(2048))
    error_reporting_url: Mapped[str | None] = mapped_column(String(2048))
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    same_as: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The version of `rating_scale` among the organization's RatingScale rows.
    rating_scale_version: Mapped[int] = mapped_column(Integer, default=1)

    # Publishing needs an approval by a member other than the fact-check's last editor.
    approval_required: Mapped[bool] = mapped_column(default=False)

    # The UPDATE checks the version the client read (If-Match), as for articles and fact-checks.
    __mapper_args__ = {"version_id_col": version}


class Member(Base):
    """A person of an organization's desk, with a role (core/members.ROLES); their keys act with
    it. Removed members stay, so that the revisions they made still name them."""

    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    date_created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    date_modified: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    date_removed: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __mapper_args__ = {"version_id_col": version}


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # The public part of the key, to find the row; the secret part is only ever stored hashed.
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(String(100))
    date_created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    date_revoked: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A member's key acts with the member's role; a tool's key (no member) with its scopes.
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    date_last_used: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the key was rotated: it keeps working until then, for the grace period.
    date_expires: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organization: Mapped[Organization] = relationship(lazy="joined")
    member: Mapped[Member | None] = relationship(lazy="joined")

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())


class Article(Base):
    __tablename__ = "articles"
    __table_args__ = (UniqueConstraint("organization_id", "url_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    url: Mapped[str | None] = mapped_column(String(2048))
    # `url` normalised for lookup and uniqueness (see urls.normalize).
    url_key: Mapped[str | None] = mapped_column(String(2048))
    headline: Mapped[str] = mapped_column(String(300))
    publisher: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    author: Mapped[str | None] = mapped_column(String(200))
    date_published: Mapped[date | None]
    in_language: Mapped[str] = mapped_column(String(35))
    text: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    date_created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    date_modified: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}


class FactCheck(Base):
    __tablename__ = "fact_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=DRAFT, index=True)
    version: Mapped[int] = mapped_column(Integer)

    claim_reviewed: Mapped[str] = mapped_column(String(500))
    quote: Mapped[str | None] = mapped_column(Text)
    quote_offset: Mapped[int | None]
    claim_author: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    claim_date: Mapped[date | None]
    claim_appearances: Mapped[list[str]] = mapped_column(JSON, default=list)
    claim_first_appearance: Mapped[str | None] = mapped_column(String(2048))
    rating_value: Mapped[int | None]
    best_rating: Mapped[int | None]
    worst_rating: Mapped[int | None]
    alternate_name: Mapped[str | None] = mapped_column(String(100))
    rating_explanation: Mapped[str | None] = mapped_column(Text)
    review_body: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    url: Mapped[str | None] = mapped_column(String(2048))
    url_key: Mapped[str | None] = mapped_column(String(2048), index=True)
    in_language: Mapped[str] = mapped_column(String(35))
    retraction_note: Mapped[str | None] = mapped_column(Text)
    # The version of its organization's rating scale the verdict was given on; None unrated.
    rating_scale_version: Mapped[int | None]

    date_created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    date_modified: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    date_published: Mapped[datetime | None] = mapped_column(UTCDateTime)
    date_retracted: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organization: Mapped[Organization] = relationship(lazy="joined")
    article: Mapped[Article] = relationship(lazy="joined")
    corrections: Mapped[list["Correction"]] = relationship(
        order_by="Correction.id", cascade="all, delete-orphan", lazy="selectin"
    )
    rated_on: Mapped["RatingScale | None"] = relationship(
        primaryjoin="and_(foreign(FactCheck.organization_id) == RatingScale.organization_id, "
        "foreign(FactCheck.rating_scale_version) == RatingScale.version)",
        viewonly=True,
        lazy="select",
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def rating(self) -> dict[str, Any] | None:
        if self.alternate_name is None and self.rating_value is None:
            return None
        return {column: getattr(self, column) for column in RATING_COLUMNS.values()}

    @property
    def retraction(self) -> dict[str, Any] | None:
        if self.date_retracted is None:
            return None
        return {"note": self.retraction_note, "date": self.date_retracted}


class Correction(Base):
    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    fact_check_id: Mapped[int] = mapped_column(ForeignKey("fact_checks.id"), index=True)
    note: Mapped[str] = mapped_column(Text)
    date_created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What the note is, as readers are told: schemas/fact_checks.CORRECTION_KINDS.
    kind: Mapped[str] = mapped_column(String(16), default="correction")


class RatingScale(Base):
    """One version of an organization's rating scale, kept for good: a verdict given on it is
    read with its labels and definitions, whatever scale the organization uses later.

    `scale` is the API's shape (schemas/rating_scales.py): worstRating, bestRating, labels
    [{ratingValue, alternateName, definition}] and offScale [{alternateName, definition}].
    """

    __tablename__ = "rating_scales"
    __table_args__ = (UniqueConstraint("organization_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    version: Mapped[int]
    scale: Mapped[dict[str, Any]] = mapped_column(JSON)
    date_created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Revision(Base):
    __tablename__ = "revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    fact_check_id: Mapped[int] = mapped_column(
        ForeignKey("fact_checks.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int]
    action: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(120))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    date_created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The member behind the key that made the change; shown to the organization only.
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    # A rejection's comment for the writer: kept with the revision, never public.
    comment: Mapped[str | None] = mapped_column(Text)

    member: Mapped[Member | None] = relationship(lazy="joined")


class IdempotencyRecord(Base):
    """A POST sent with an Idempotency-Key: reserved while it runs, then kept with its response.

    The unique constraint is the lock: of two identical requests only one can insert the row.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("api_key_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    # sha256 of method, path and body: the same key with another request is refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    # None while the first request is still running.
    status: Mapped[int | None]
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    date_created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class CacheInvalidation(Base):
    """Cached documents a committed write made stale, kept until Redis has dropped them.

    Written in the write's own transaction, so an invalidation that Redis missed (down, paused, or
    the process died right after the commit) is replayed later instead of lost.
    """

    __tablename__ = "cache_invalidations"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Document names (storage/cache/names.py), separated by spaces.
    names: Mapped[str] = mapped_column(Text)
    date_created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FeedEntry(Base):
    """Where a fact-check that has been public stands in the feed's change order.

    One row per fact-check; every change gives it a new, higher `sequence` (the row is replaced),
    so a mirror reading past its last sequence sees each fact-check's latest state once.
    """

    __tablename__ = "feed_entries"
    __table_args__ = {"sqlite_autoincrement": True}

    sequence: Mapped[int] = mapped_column(primary_key=True)
    fact_check_id: Mapped[int] = mapped_column(unique=True)


class WebhookSubscription(Base):
    """Where an organization wants to hear about its changes: a URL, the events, the secret.

    The secret is kept as issued (`whsec_` and base64), not hashed: each delivery is signed with it.
    """

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    # Event types (core/outbox.EVENTS), separated by spaces.
    events: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(200))
    secret: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(Integer)
    date_created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    date_modified: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __mapper_args__ = {"version_id_col": version}

    @property
    def event_list(self) -> list[str]:
        return self.events.split()


class WebhookEvent(Base):
    """One change to tell subscribers about: the outbox row, written in the change's transaction."""

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    event_type: Mapped[str] = mapped_column(String(40))
    # What the event is about ("fact-check:9", "article:3"): its deliveries go out in order.
    subject: Mapped[str] = mapped_column(String(40), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    date_created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"


class WebhookDelivery(Base):
    """One event for one subscription: its state, when it is next tried, and its attempts' log."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int] = mapped_column(ForeignKey("webhook_events.id"), index=True)
    # The event's subject, copied so that keeping the order is one indexed query.
    subject: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), default=PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A worker holds the delivery until then; a worker killed mid-delivery lets it go this way.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # One entry per attempt: {"at", "status" (HTTP, or None), "error"}.
    log: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    date_created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    date_delivered: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[WebhookEvent] = relationship(lazy="joined")


class PublishedDocument(Base):
    """A public document's served bytes, written in the transaction of every change that alters
    it, so that a cache miss (or Redis down) is one primary-key read and never a render."""

    __tablename__ = "published_documents"

    # The cached document's name (storage/cache/names.py), e.g. "fc:9:ld".
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    etag: Mapped[str] = mapped_column(String(100))
    media_type: Mapped[str] = mapped_column(String(100))


class AuditEntry(Base):
    """One admin action (members, keys, settings), written in the action's own transaction."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    # The key (or the CLI) that acted, as revisions name it, and its member if it has one.
    actor: Mapped[str] = mapped_column(String(120))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    action: Mapped[str] = mapped_column(String(40))
    # What it acted on, e.g. "member:3", "key:ab12cd34ef56".
    target: Mapped[str] = mapped_column(String(120))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    date_created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
