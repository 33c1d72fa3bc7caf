"""Concurrent editors, retried POSTs and readers against the production server while Redis is
paused, killed and restarted (SPEC §4, §6); a checker then compares what each client was told
with the stored history.

Client threads (HISTORY_THREADS, 8 to 16) run for HISTORY_SECONDS (20 by default, for CI; set it
higher for a longer run): editors read a published fact-check and PATCH it with If-Match,
posters create fact-checks under an Idempotency-Key and retry after errors and timeouts, readers
GET the public fact-checks. The checker asserts that
- every acknowledged PATCH's text is in the revision history at the version it was answered with,
- each fact-check's versions strictly increase with no gaps,
- no GET returned a version older than the newest one acknowledged more than 5 s before it began,
- every POST whose outcome is unknown resolves by replaying its key, and each exists once,
- no answer was a 500.
It prints the counts (acknowledged / rejected / unknown, the longest staleness seen).
"""

import http.client
import json
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from werkzeug.datastructures import Headers

from .conftest import ARTICLE, FACT_CHECK, key_of_new_organization
from .production_server import ProductionServer
from .redis_server import RedisServer

THREADS = int(os.environ.get("HISTORY_THREADS", "8"))
SECONDS = float(os.environ.get("HISTORY_SECONDS", "20"))
STALENESS_BOUND = 5.0
# A client gives up on an answer after this long: the outcome is then unknown.
CLIENT_TIMEOUT = 3.0
# Some clients give up at once, so that unknown outcomes happen in every run: the server goes
# on with the request the client no longer waits for.
IMPATIENT = 0.005
TARGETS = 1


class Unknown(Exception):
    """No answer: a timeout or a connection error. The write may or may not have happened."""


@dataclass
class Answer:
    status: int
    headers: Headers  # case-insensitive: granian sends names in lower case
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    port: int,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: Any = None,
    timeout: float = CLIENT_TIMEOUT,
) -> Answer:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        sent = dict(headers or {})
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        connection.request(method, path, body=payload, headers=sent)
        answer = connection.getresponse()
        return Answer(answer.status, Headers(answer.getheaders()), answer.read())
    except (OSError, http.client.HTTPException) as error:
        raise Unknown(repr(error)) from error
    finally:
        connection.close()


@dataclass
class Acknowledged:
    fact_check_id: int
    version: int
    text: str
    at: float


@dataclass
class Post:
    key: str
    body: dict[str, Any]
    answers: list[int] = field(default_factory=list)
    location: str | None = None
    replayed: bool = False


@dataclass
class Record:
    """What the clients were told, appended to from every thread (list.append is atomic)."""

    acknowledged: list[Acknowledged] = field(default_factory=list)
    rejected: Counter[int] = field(default_factory=Counter)
    unknown_patches: list[tuple[int, str]] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    reads: list[tuple[int, float, int]] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    unknown_reads: int = 0

    def answered(self, what: str, answer: Answer) -> None:
        if answer.status >= 500 and answer.status != 503:
            self.server_errors.append(f"{what}: {answer.status} {answer.body[:300]!r}")


@pytest.fixture
def chaotic_redis() -> Iterator[RedisServer]:
    """A redis-server of this test's own: the schedule kills and restarts it."""
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def served(own_database: str, chaotic_redis: RedisServer) -> Iterator[tuple[int, dict[str, str]]]:
    auth = key_of_new_organization(own_database)
    server = ProductionServer(
        {
            "DATABASE_URL": own_database,
            "REDIS_URL": chaotic_redis.url,
            "SITE_URL": "http://factcheck.test",
            "RATE_LIMIT_ENABLED": "off",
            "LOG_LEVEL": "WARNING",
        },
        workers=3,
    )
    server.start()
    yield server.port, auth
    server.stop()


def published_targets(port: int, auth: dict[str, str]) -> tuple[int, list[int]]:
    article = call(port, "POST", "/api/v1/articles", auth, ARTICLE, timeout=30)
    assert article.status == 201, article.body
    article_id = article.json()["id"]
    targets = []
    for number in range(TARGETS):
        body = {**FACT_CHECK, "url": f"https://desk.example.org/checks/target-{number}"}
        path = f"/api/v1/articles/{article_id}/fact-checks"
        created = call(port, "POST", path, auth, body, timeout=30)
        assert created.status == 201, created.body
        fact_check_id = created.json()["id"]
        published = call(
            port,
            "POST",
            f"/api/v1/fact-checks/{fact_check_id}/publish",
            {**auth, "If-Match": created.headers["ETag"]},
            timeout=30,
        )
        assert published.status == 200, published.body
        targets.append(fact_check_id)
    return article_id, targets


def editor(
    port: int, auth: dict[str, str], target: int, name: str, record: Record
) -> Callable[[int], None]:
    path = f"/api/v1/fact-checks/{target}"

    def step(number: int) -> None:
        try:
            read = call(port, "GET", path, auth)
        except Unknown:
            return
        record.answered(f"GET {path}", read)
        if read.status != 200:
            return
        text = f"{name} edit {number}: figures re-checked."
        headers = {**auth, "If-Match": read.headers["ETag"]}
        timeout = IMPATIENT if number % 5 == 4 else CLIENT_TIMEOUT
        try:
            patched = call(port, "PATCH", path, headers, {"reviewBody": text}, timeout)
        except Unknown:
            record.unknown_patches.append((target, text))
            return
        record.answered(f"PATCH {path}", patched)
        if patched.status == 200:
            # The answer's version, with the text this client sent: the checker finds out
            # whether that version in the history is this write.
            body = patched.json()
            record.acknowledged.append(
                Acknowledged(target, body["version"], text, time.monotonic())
            )
        else:
            record.rejected[patched.status] += 1

    return step


def poster(
    port: int, auth: dict[str, str], article_id: int, name: str, record: Record
) -> Callable[[int], None]:
    path = f"/api/v1/articles/{article_id}/fact-checks"

    def step(number: int) -> None:
        key = f"{name}-{number}"
        body = {
            **FACT_CHECK,
            "claimReviewed": f"Claim {key}",
            "url": f"https://desk.example.org/checks/{key}",
        }
        post = Post(key, body)
        record.posts.append(post)
        # A client retries what failed, with the same key, a few times while the run goes on.
        for attempt in range(3):
            impatient = attempt == 0 and number % 3 == 2
            if send(port, auth, path, post, record, IMPATIENT if impatient else CLIENT_TIMEOUT):
                return
            time.sleep(0.2)

    return step


def send(
    port: int,
    auth: dict[str, str],
    path: str,
    post: Post,
    record: Record,
    timeout: float = CLIENT_TIMEOUT,
) -> bool:
    """True once the POST's answer is known to be final (created or replayed)."""
    headers = {**auth, "Idempotency-Key": post.key}
    try:
        answer = call(port, "POST", path, headers, post.body, timeout)
    except Unknown:
        post.answers.append(0)
        return False
    record.answered(f"POST {path}", answer)
    post.answers.append(answer.status)
    if answer.status == 201:
        location = answer.headers["Location"]
        assert post.location in (None, location), (post.key, post.location, location)
        post.location = location
        post.replayed = post.replayed or answer.headers.get("Idempotent-Replayed") == "true"
        return True
    return False


def reader(port: int, targets: list[int], record: Record) -> Callable[[int], None]:
    def step(number: int) -> None:
        target = targets[number % len(targets)]
        began = time.monotonic()
        try:
            answer = call(port, "GET", f"/api/v1/fact-checks/{target}")
        except Unknown:
            record.unknown_reads += 1
            return
        record.answered(f"GET /api/v1/fact-checks/{target}", answer)
        if answer.status == 200:
            record.reads.append((target, began, answer.json()["version"]))

    return step


def run_clients(steps: list[Callable[[int], None]], seconds: float) -> list[BaseException]:
    deadline = time.monotonic() + seconds
    failures: list[BaseException] = []

    def loop(step: Callable[[int], None]) -> None:
        number = 0
        try:
            while time.monotonic() < deadline:
                step(number)
                number += 1
        except BaseException as error:  # an assertion in a client fails the test below
            failures.append(error)

    threads = [threading.Thread(target=loop, args=(step,), daemon=True) for step in steps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    assert not any(thread.is_alive() for thread in threads), "a client thread did not finish"
    return failures


def redis_schedule(redis: RedisServer, stop: threading.Event) -> None:
    """Pause, resume, kill and restart Redis over and over until `stop`."""
    chaos = random.Random(11)
    while not stop.wait(chaos.uniform(1.0, 2.5)):
        redis.pause()
        stop.wait(chaos.uniform(0.5, 2.0))
        redis.resume()
        if stop.wait(chaos.uniform(1.0, 2.5)):
            break
        redis.kill()
        stop.wait(chaos.uniform(0.5, 1.5))
        redis.start()


def every_page(port: int, auth: dict[str, str], path: str) -> list[dict[str, Any]]:
    """All items of a paged list, following pages until X-Total-Count is reached."""
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        answer = call(port, "GET", f"{path}?page={page}&pageSize=100", auth, timeout=30)
        assert answer.status == 200, answer.body
        batch = answer.json()
        items.extend(batch)
        if len(items) >= int(answer.headers["X-Total-Count"]) or not batch:
            return items
        page += 1


def history(port: int, auth: dict[str, str], target: int) -> list[dict[str, Any]]:
    return every_page(port, auth, f"/api/v1/fact-checks/{target}/revisions")


def fact_checks_of(port: int, auth: dict[str, str], article_id: int) -> list[dict[str, Any]]:
    return every_page(port, auth, f"/api/v1/articles/{article_id}/fact-checks")


def test_what_clients_were_told_is_the_history(
    served: tuple[int, dict[str, str]], chaotic_redis: RedisServer
) -> None:
    port, auth = served
    assert 8 <= THREADS <= 16, "HISTORY_THREADS is 8 to 16"
    article_id, targets = published_targets(port, auth)
    record = Record()
    # Most threads edit: racing editors are where an answer could describe another's write.
    posters, readers = max(1, THREADS // 8), THREADS // 4
    editors = THREADS - posters - readers
    steps = [
        editor(port, auth, targets[n % TARGETS], f"editor-{n}", record) for n in range(editors)
    ]
    steps += [poster(port, auth, article_id, f"poster-{n}", record) for n in range(posters)]
    steps += [reader(port, targets, record) for _ in range(readers)]

    stop = threading.Event()
    schedule = threading.Thread(target=redis_schedule, args=(chaotic_redis, stop), daemon=True)
    schedule.start()
    try:
        failures = run_clients(steps, SECONDS)
    finally:
        stop.set()
        schedule.join(timeout=30)
        chaotic_redis.resume()
        if chaotic_redis.process is None:
            chaotic_redis.start()
    assert not failures, failures
    assert not record.server_errors, record.server_errors[:5]
    # A PATCH is refused only for a stale If-Match, or while the database is unavailable.
    assert set(record.rejected) <= {412, 503}, record.rejected
    # A POST's answers: created (or replayed), still running (409), database unavailable.
    assert {status for post in record.posts for status in post.answers} <= {0, 201, 409, 503}

    # Every unknown or failed POST resolves by replaying its key: created once, or replayed.
    path = f"/api/v1/articles/{article_id}/fact-checks"
    unresolved = [post for post in record.posts if post.location is None]
    unknown_posts = sum(1 for post in record.posts if 0 in post.answers)
    for post in unresolved:
        deadline = time.monotonic() + 30
        while not send(port, auth, path, post, record) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert post.location is not None, (post.key, post.answers)

    # Each fact-check's history: versions 1, 2, 3, ... and every acknowledged text at its version.
    longest_staleness = 0.0
    for target in targets:
        entries = history(port, auth, target)
        versions = [entry["version"] for entry in entries]
        assert versions == list(range(1, len(versions) + 1)), versions
        texts = {
            entry["version"]: (entry.get("changes", {}).get("reviewBody") or [None, None])[1]
            for entry in entries
        }
        acknowledged = [ack for ack in record.acknowledged if ack.fact_check_id == target]
        assert len({ack.version for ack in acknowledged}) == len(acknowledged), (
            "two writes were acknowledged with the same version"
        )
        for ack in acknowledged:
            assert texts.get(ack.version) == ack.text, (
                f"a PATCH was answered with v{ack.version}, whose text in the history is "
                f"{texts.get(ack.version)!r}, not the {ack.text!r} it wrote"
            )
        written = Counter(texts.values())
        for fact_check_id, text in record.unknown_patches:
            if fact_check_id == target:
                assert written[text] <= 1, text
        current = call(port, "GET", f"/api/v1/fact-checks/{target}", auth, timeout=30).json()
        assert current["version"] == versions[-1]

        # No read older than the newest version acknowledged more than 5 s before it began.
        for fact_check_id, began, version in record.reads:
            if fact_check_id != target:
                continue
            settled = [ack.version for ack in acknowledged if ack.at <= began - STALENESS_BOUND]
            assert version >= max(settled, default=0), (
                f"a GET at {began:.1f} saw v{version}, v{max(settled)} was acknowledged "
                f"more than {STALENESS_BOUND} s before"
            )
            newer = [ack.at for ack in acknowledged if ack.version > version and ack.at <= began]
            if newer:
                longest_staleness = max(longest_staleness, began - min(newer))

    # Each POST made exactly one fact-check, the one its answer named.
    made = Counter(check["url"] for check in fact_checks_of(port, auth, article_id))
    for post in record.posts:
        assert made[post.body["url"]] == 1, (post.key, made[post.body["url"]], post.answers)

    posts_acknowledged = sum(1 for post in record.posts if 201 in post.answers)
    replays = sum(1 for post in record.posts if post.replayed)
    print(
        f"\nhistory: {THREADS} threads for {SECONDS:g} s on "
        f"{'PostgreSQL' if 'postgres' in os.environ.get('TEST_DATABASE_URL', '') else 'SQLite'}: "
        f"PATCH acknowledged {len(record.acknowledged)}, rejected {sum(record.rejected.values())} "
        f"{dict(record.rejected)}, unknown {len(record.unknown_patches)}; "
        f"POST {len(record.posts)} (acknowledged {posts_acknowledged}, "
        f"{unknown_posts} with an unknown outcome, answered by a replay {replays}, "
        f"{len(unresolved)} still open at the end and then resolved); "
        f"GET {len(record.reads)} (+{record.unknown_reads} unanswered); "
        f"longest staleness {longest_staleness:.2f} s"
    )
    assert record.acknowledged, "no PATCH was acknowledged: the run tested nothing"
