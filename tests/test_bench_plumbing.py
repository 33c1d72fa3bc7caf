"""The cache benchmark's plumbing (bench/cache_bench.py, bench/bench_app.py), without timing:
the baseline answers a case as the product does, wrk's output is read whole, and the CPU meter
reads /proc."""

import importlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from .conftest import ROOT

WRK_OUTPUT = """Running 1s test @ http://127.0.0.1:9130/nope
  1 threads and 2 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.68ms    2.56ms  19.78ms   90.11%
    Req/Sec     1.85k   703.96     2.88k    70.00%
  Latency Distribution
     50%  618.00us
     75%    1.80ms
     90%    4.22ms
     99%   13.60ms
  1864 requests in 1.01s, 0.92MB read
  Non-2xx or 3xx responses: 1864
Requests/sec:   1837.94
Transfer/sec:      0.91MB
"""


@pytest.fixture
def bench_modules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[ModuleType, ModuleType]]:
    body = tmp_path / "body"
    body.write_bytes(b'{"@type": "ClaimReview"}')
    monkeypatch.setenv("BENCH_BODY_FILE", str(body))
    monkeypatch.setenv("BENCH_CONTENT_TYPE", "application/ld+json")
    monkeypatch.setenv("BENCH_ETAG", '"abc"')
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    for name in ("bench_app", "cache_bench"):
        sys.modules.pop(name, None)
    yield importlib.import_module("bench_app"), importlib.import_module("cache_bench")
    for name in ("bench_app", "cache_bench"):
        sys.modules.pop(name, None)


def test_the_baseline_answers_the_bytes_and_the_304(
    bench_modules: tuple[ModuleType, ModuleType],
) -> None:
    client = bench_modules[0].app.test_client()
    answer = client.get("/api/v1/fact-checks/1/claimreview")
    assert answer.status_code == 200
    assert answer.data == b'{"@type": "ClaimReview"}'
    assert answer.headers["Content-Type"] == "application/ld+json"
    assert answer.headers["ETag"] == '"abc"'
    conditional = client.get(
        "/api/v1/fact-checks/1/claimreview", headers={"If-None-Match": '"abc"'}
    )
    assert (conditional.status_code, conditional.data) == (304, b"")
    other = client.get("/api/v1/fact-checks/1/claimreview", headers={"If-None-Match": '"zzz"'})
    assert other.status_code == 200


def test_wrk_output_is_read_whole(bench_modules: tuple[ModuleType, ModuleType]) -> None:
    figures = bench_modules[1].parse_wrk(WRK_OUTPUT)
    assert figures == {
        "rps": 1837.94,
        "p50": pytest.approx(0.618),
        "p99": 13.6,
        "requests": 1864.0,
        "refused": 1864.0,
    }
    with pytest.raises(RuntimeError, match="no figures"):
        bench_modules[1].parse_wrk("unable to connect to 127.0.0.1:1")


def test_the_cpu_meter_counts_the_bench_as_its_own(
    bench_modules: tuple[ModuleType, ModuleType],
) -> None:
    cache_bench = bench_modules[1]
    ticks = os.sysconf("SC_CLK_TCK")
    before = cache_bench.own_jiffies()
    with cache_bench.OthersMeter() as spinning:
        deadline = time.process_time() + 0.3
        while time.process_time() < deadline:
            pass  # the bench's own CPU, which the meter leaves out of the others' share
    # The spin shows in the bench's own ticks (to the kernel's 1/ticks granularity).
    assert cache_bench.own_jiffies() - before >= 0.3 * ticks - 2
    assert spinning.share >= 0
