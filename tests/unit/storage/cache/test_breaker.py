"""The circuit breaker's states, with the clock under the test's control and no Redis."""

import threading
import types
from collections.abc import Callable

import pytest

from factcheck.storage.cache import breaker
from factcheck.storage.cache.breaker import CLOSED, OPEN, PROBING, Breaker

COOL_DOWN = 5.0
WAIT = 5.0  # seconds a thread may take to reach a point; only reached when the test fails


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    # The module's own `time` only: the real time.monotonic stays for threading and pytest.
    monkeypatch.setattr(breaker, "time", types.SimpleNamespace(monotonic=clock.monotonic))
    return clock


class Probe:
    """Answers `healthy` and counts its calls."""

    def __init__(self, healthy: bool = True) -> None:
        self.healthy = healthy
        self.calls = 0

    def __call__(self) -> bool:
        self.calls += 1
        return self.healthy


def new_breaker(probe: Callable[[], bool], events: list[str] | None = None) -> Breaker:
    notify = events.append if events is not None else lambda _event: None
    return Breaker(COOL_DOWN, probe, notify)


def opened(clock: Clock, events: list[str] | None = None) -> tuple[Breaker, Probe]:
    """A breaker whose first probe failed at clock.now."""
    probe = Probe(healthy=False)
    b = new_breaker(probe, events)
    assert not b.allows()
    return b, probe


def test_a_new_breaker_is_probing() -> None:
    b = new_breaker(Probe())
    assert (b.state, b.closed) == (PROBING, False)


def test_a_successful_probe_closes_it(clock: Clock) -> None:
    probe = Probe(healthy=True)
    b = new_breaker(probe)
    assert b.allows()
    assert (b.state, probe.calls) == (CLOSED, 1)


def test_a_closed_breaker_allows_without_probing(clock: Clock) -> None:
    probe = Probe(healthy=True)
    b = new_breaker(probe)
    b.allows()
    assert [b.allows() for _ in range(3)] == [True, True, True]
    assert probe.calls == 1


def test_a_failed_probe_opens_it(clock: Clock) -> None:
    b, _probe = opened(clock)
    assert (b.state, b.retry_at) == (OPEN, clock.now + COOL_DOWN)


@pytest.mark.parametrize("elapsed", [0.0, 1.0, COOL_DOWN - 0.001])
def test_an_open_breaker_refuses_without_probing_until_the_cool_down_ends(
    clock: Clock, elapsed: float
) -> None:
    b, probe = opened(clock)
    clock.now += elapsed
    assert not b.allows()
    assert probe.calls == 1


@pytest.mark.parametrize("elapsed", [COOL_DOWN, COOL_DOWN + 60])
def test_after_the_cool_down_the_next_request_probes(clock: Clock, elapsed: float) -> None:
    b, probe = opened(clock)
    clock.now += elapsed
    probe.healthy = True
    assert b.allows()
    assert (probe.calls, b.state) == (2, CLOSED)


def test_a_probe_that_fails_again_starts_a_new_cool_down(clock: Clock) -> None:
    b, probe = opened(clock)
    clock.now += COOL_DOWN
    assert not b.allows()
    assert (probe.calls, b.state, b.retry_at) == (2, OPEN, clock.now + COOL_DOWN)


@pytest.mark.parametrize(("healthy", "event"), [(True, "breaker_closed"), (False, "breaker_open")])
def test_the_probe_result_is_notified(clock: Clock, healthy: bool, event: str) -> None:
    events: list[str] = []
    new_breaker(Probe(healthy), events).allows()
    assert events == [event]


def test_a_refused_request_notifies_nothing(clock: Clock) -> None:
    events: list[str] = []
    b, _probe = opened(clock, events)
    b.allows()
    assert events == ["breaker_open"]


class HeldProbe:
    """A probe that waits, in the probing thread, until the test releases it."""

    def __init__(self, healthy: bool = True) -> None:
        self.healthy = healthy
        self.started = threading.Event()
        self.release = threading.Event()
        self.calls = 0
        self.during: Callable[[], object] = lambda: None
        self.seen: object = None

    def __call__(self) -> bool:
        self.calls += 1
        self.started.set()
        self.seen = self.during()
        assert self.release.wait(WAIT)
        return self.healthy


def probe_in_thread(b: Breaker) -> tuple[threading.Thread, list[bool]]:
    answers: list[bool] = []
    thread = threading.Thread(target=lambda: answers.append(b.allows()))
    thread.start()
    return thread, answers


def test_while_one_thread_probes_the_others_are_refused(clock: Clock) -> None:
    probe = HeldProbe()
    b = new_breaker(probe)
    thread, answers = probe_in_thread(b)
    assert probe.started.wait(WAIT)
    try:
        assert [b.allows() for _ in range(3)] == [False, False, False]
    finally:
        probe.release.set()
        thread.join(WAIT)
    assert (answers, probe.calls, b.allows()) == ([True], 1, True)


def test_the_probing_thread_itself_may_use_the_service(clock: Clock) -> None:
    probe = HeldProbe()
    b = new_breaker(probe)
    probe.during = b.allows
    probe.release.set()
    b.allows()
    assert (probe.seen, probe.calls) == (True, 1)


def test_a_trip_from_the_probing_thread_fails_the_probe(clock: Clock) -> None:
    probe = HeldProbe(healthy=True)
    b = new_breaker(probe)
    probe.during = b.trip
    probe.release.set()
    assert not b.allows()
    assert (b.state, b.prober) == (OPEN, None)


def test_a_trip_from_another_thread_fails_the_probe(clock: Clock) -> None:
    probe = HeldProbe(healthy=True)
    b = new_breaker(probe)
    thread, answers = probe_in_thread(b)
    assert probe.started.wait(WAIT)
    try:
        b.trip()
        assert b.prober is None
    finally:
        probe.release.set()
        thread.join(WAIT)
    assert (answers, b.state, probe.calls) == ([False], OPEN, 1)


def test_trip_opens_a_closed_breaker_for_the_cool_down(clock: Clock) -> None:
    b = new_breaker(Probe(healthy=True))
    b.allows()
    b.trip()
    assert (b.state, b.retry_at, b.allows()) == (OPEN, clock.now + COOL_DOWN, False)


def test_trip_notifies_breaker_open(clock: Clock) -> None:
    events: list[str] = []
    b = new_breaker(Probe(healthy=True), events)
    b.allows()
    b.trip()
    assert events == ["breaker_closed", "breaker_open"]


def test_trip_is_true_only_when_it_was_closed(clock: Clock) -> None:
    b = new_breaker(Probe(healthy=True))
    b.allows()
    assert [b.trip(), b.trip()] == [True, False]


def test_trip_while_probing_is_false(clock: Clock) -> None:
    assert new_breaker(Probe()).trip() is False


class Probes:
    """Each call runs the next HeldProbe, so two threads can each hold a probe of their own."""

    def __init__(self, *probes: HeldProbe) -> None:
        self._probes = list(probes)

    def __call__(self) -> bool:
        return self._probes.pop(0)()


def test_a_tripped_probe_fails_even_when_another_probe_started_after_the_cool_down(
    clock: Clock,
) -> None:
    tripped, second = HeldProbe(healthy=True), HeldProbe(healthy=True)
    b = new_breaker(Probes(tripped, second))
    first_thread, first_answers = probe_in_thread(b)
    assert tripped.started.wait(WAIT)
    b.trip()
    clock.now += COOL_DOWN
    second_thread, _ = probe_in_thread(b)
    try:
        assert second.started.wait(WAIT)
        tripped.release.set()
        first_thread.join(WAIT)
    finally:
        tripped.release.set()
        second.release.set()
        first_thread.join(WAIT)
        second_thread.join(WAIT)
    assert first_answers == [False]
