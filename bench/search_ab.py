"""Two versions of search_rank, interleaved per query in one process: a git revision's (HEAD by
default) against the working tree's, on the bench's query classes; the responses compared.

Not a test: a change to the top k is measured with it before bench/search_bench.py. On a noisy
machine one pass of a class swings more than most changes; each query here runs in both
versions back to back (the order alternating), and the best of the rounds counts.

    .venv/bin/python bench/search_ab.py sqlite:////work/bench-data/search-1m.sqlite3
    .venv/bin/python bench/search_ab.py \
        postgresql+psycopg://postgres@127.0.0.1:5432/factcheck_bench_1m --classes two-word
"""

import argparse
import importlib.util
import logging
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import search_bench  # noqa: E402
from factcheck.core import claim_search  # noqa: E402
from factcheck.storage import search_rank  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="a database loaded by bench/search_bench.py --keep...")
    parser.add_argument("--revision", default="HEAD")
    parser.add_argument("--classes", default="single-word,common-word,two-word,phrase,filtered")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--slowest", type=int, default=0, help="print the N slowest queries")
    args = parser.parse_args()
    versions = {args.revision: revision_module(args.revision), "working tree": search_rank}
    app = search_bench.bench_app(args.url)
    logging.getLogger("factcheck.request").disabled = True
    client = app.test_client()

    def ask(query: dict[str, str]) -> Any:
        response = client.get("/api/v1/claims:search?" + urlencode(query))
        assert response.status_code == 200, response.data
        return response.get_json()

    classes = search_bench.query_classes(random.Random(7))
    for name in args.classes.split(","):
        queries = classes[name]
        best = {version: [float("inf")] * len(queries) for version in versions}
        identical = 0
        for round_number in range(args.rounds):
            for index, query in enumerate(queries):
                order = list(versions)
                if (index + round_number) % 2:
                    order.reverse()
                answers = {}
                for version in order:
                    claim_search.search_rank = versions[version]  # type: ignore[attr-defined]
                    started = time.perf_counter()
                    answers[version] = ask(query)
                    took = (time.perf_counter() - started) * 1000
                    best[version][index] = min(best[version][index], took)
                identical += len({repr(answer) for answer in answers.values()}) == 1
        for version, times in best.items():
            print(
                f"{name:>12} {version:>14} p50 {search_bench.pct(times, 50):6.1f}"
                f" p99 {search_bench.pct(times, 99):6.1f} mean {statistics.mean(times):6.1f}"
            )
        print(
            f"{name:>12} identical responses {identical}/{args.rounds * len(queries)}", flush=True
        )
        slowest = sorted(
            range(len(queries)), key=lambda i: max(times[i] for times in best.values())
        )
        for index in reversed(slowest[-args.slowest :] if args.slowest else []):
            took = "  ".join(f"{times[index]:6.1f}" for times in best.values())
            print(f"{'':>12} {took}  {queries[index]}")
    claim_search.search_rank = search_rank  # type: ignore[attr-defined]


def revision_module(revision: str) -> ModuleType:
    """factcheck/storage/search_rank.py as of `revision`, imported under a name of its own."""
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{revision}:factcheck/storage/search_rank.py"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "search_rank_revision.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("search_rank_revision", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


if __name__ == "__main__":
    main()
