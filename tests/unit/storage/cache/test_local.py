"""In-process copies, driven as the tracking connection would drive them, without its thread."""

import pytest
import redis

from factcheck.storage.cache.local import LOCAL_MAX, Local

# What the cache passes to track(): its namespace, then `doc:`.
PREFIX = "factcheck:0123abcd:doc:"


class Owner:
    # No client: the watching thread, should anything start it, ends at once.
    client: redis.Redis | None = None


@pytest.fixture
def owner() -> Owner:
    # Held by the test: Local keeps only a weak reference.
    return Owner()


@pytest.fixture
def copies(owner: Owner) -> Local:
    """Copies whose tracking connection has just come up."""
    copies = Local(owner)
    copies.prefix = PREFIX
    copies._reset(live=True)
    return copies


def test_a_copy_read_at_the_current_epoch_is_kept(copies: Local) -> None:
    copies.keep("fc:1:ld", b"doc", copies.epoch)
    assert copies.entries == {"fc:1:ld": b"doc"}


def test_a_copy_read_before_an_invalidation_is_refused(copies: Local) -> None:
    read_at = copies.epoch
    # An invalidation arrives while the copy is being read from Redis, even for another name.
    copies.drop(["fc:2:ld"])
    copies.keep("fc:1:ld", b"stale", read_at)
    assert copies.entries == {}


def test_drop_removes_the_names_and_keeps_the_others(copies: Local) -> None:
    for name in ("fc:1:ld", "fc:1:json", "fc:2:ld"):
        copies.keep(name, name.encode(), copies.epoch)
    copies.drop(["fc:1:ld", "fc:1:json", "never-kept"])
    assert copies.entries == {"fc:2:ld": b"fc:2:ld"}


@pytest.mark.parametrize(
    "names", [[], ["fc:1:ld"], ["fc:1:ld", "fc:2:ld"]], ids=["no-name", "one-name", "two-names"]
)
def test_drop_moves_the_epoch_on_once(copies: Local, names: list[str]) -> None:
    before = copies.epoch
    copies.drop(names)
    assert copies.epoch == before + 1


@pytest.mark.parametrize("live", [False, True])
def test_a_reset_clears_every_copy_and_moves_the_epoch_on(copies: Local, live: bool) -> None:
    copies.keep("fc:1:ld", b"doc", copies.epoch)
    before = copies.epoch
    copies._reset(live=live)
    assert (copies.entries, copies.epoch, copies.live) == ({}, before + 1, live)


def test_a_new_local_is_not_live(owner: Owner) -> None:
    assert Local(owner).live is False


def test_nothing_is_kept_before_the_connection_is_live(owner: Owner) -> None:
    copies = Local(owner)
    copies.keep("fc:1:ld", b"doc", copies.epoch)
    assert copies.entries == {}


def test_nothing_is_kept_after_the_connection_is_lost(copies: Local) -> None:
    copies._reset(live=False)
    copies.keep("fc:1:ld", b"doc", copies.epoch)
    assert copies.entries == {}


@pytest.mark.parametrize(("live", "expected"), [(True, b"doc"), (False, None)])
def test_get_answers_only_while_live(copies: Local, live: bool, expected: bytes | None) -> None:
    copies.entries["fc:1:ld"] = b"doc"
    copies.live = live
    assert copies.get("fc:1:ld") == expected


def test_a_full_dict_is_cleared_before_the_next_copy(copies: Local) -> None:
    copies.entries.update((f"fc:{n}:ld", b"doc") for n in range(LOCAL_MAX))
    copies.keep("fc:new:ld", b"new", copies.epoch)
    assert copies.entries == {"fc:new:ld": b"new"}


def test_a_dict_below_the_limit_keeps_growing(copies: Local) -> None:
    copies.entries.update((f"fc:{n}:ld", b"doc") for n in range(LOCAL_MAX - 1))
    copies.keep("fc:new:ld", b"new", copies.epoch)
    assert len(copies.entries) == LOCAL_MAX


def test_an_invalidation_push_drops_the_documents_it_names(copies: Local) -> None:
    copies.keep("fc:1:ld", b"one", copies.epoch)
    copies.keep("fc:2:ld", b"two", copies.epoch)
    copies._invalidated([b"invalidate", [PREFIX.encode() + b"fc:1:ld"]])
    assert copies.entries == {"fc:2:ld": b"two"}


def test_an_invalidation_push_moves_the_epoch_on(copies: Local) -> None:
    before = copies.epoch
    copies._invalidated([b"invalidate", [PREFIX.encode() + b"fc:1:ld", PREFIX.encode() + b"p"]])
    assert copies.epoch == before + 1


def test_a_flush_push_drops_everything_and_stays_live(copies: Local) -> None:
    copies.keep("fc:1:ld", b"one", copies.epoch)
    before = copies.epoch
    # FLUSHDB and FLUSHALL arrive as an invalidation with no keys.
    copies._invalidated([b"invalidate", None])
    assert (copies.entries, copies.epoch, copies.live) == ({}, before + 1, True)


def test_a_name_is_what_follows_the_tracked_prefix(copies: Local) -> None:
    """Names are kept without the namespace; a push names full keys."""
    copies.keep("page:fc:1", b"page", copies.epoch)
    copies.keep("fc:1:ld", b"ld", copies.epoch)
    copies._invalidated([b"invalidate", [PREFIX.encode() + b"page:fc:1"]])
    assert copies.entries == {"fc:1:ld": b"ld"}


def test_track_starts_a_watching_thread_that_ends_without_a_client(owner: Owner) -> None:
    copies = Local(owner)
    copies.track(PREFIX)
    assert copies.prefix == PREFIX
    thread = copies._watcher.thread
    assert thread is not None
    thread.join(timeout=5)
    assert not thread.is_alive()
