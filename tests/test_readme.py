"""The README tells the truth: its shell examples, run in order against the production server.

The convention (README, "Using it"):
- Every ```sh block of README.md runs, top to bottom, in ONE bash process (`set -euo pipefail`),
  from the repository root, unless the nearest line above its fence is
  `<!-- readme-test: skip: <why> -->`.
- A command whose last line ends in `# => TEXT` says what it prints: one line of its stdout,
  leading white space (and a header's trailing \r) removed, starts with TEXT. Every curl command
  says so (test_every_curl_example_says_what_it_answers).
- A command that exits non-zero fails the test too (a grep that finds nothing, a flask command).
- Every route of the service, with each of its methods, is reached by some example.
A failure names the README line, the command, and what it printed.

The server is granian started by serve.py (tests/production_server.py) with the production
defaults, rate limits included, Redis from the session's redis-server, and a fresh SQLite
database migrated and seeded with the venv's `flask db upgrade` and `flask seed`, as `make run`
does. `.venv/bin/flask` commands in the README act on the same database and Redis (DATABASE_URL,
REDIS_URL and FLASK_APP=app are set for the bash process). The README's examples are for
`make run`, which serves SQLite, so on PostgreSQL runs of the suite (TEST_DATABASE_URL) this test
still uses a SQLite database of its own. The README's address, http://127.0.0.1:8000, is replaced
by the server's, and SITE_URL is set to it.

A command goes on over the next line while a quote or `$(` is open or its line ends in a
backslash; compound commands (a function, say) stay on one line.
"""

import os
import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from factcheck import create_app, settings

from .production_server import ProductionServer
from .redis_server import RedisServer

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
FLASK = ROOT / ".venv" / "bin" / "flask"
README_BASE = "http://127.0.0.1:8000"
SKIP = re.compile(r"<!-- readme-test: skip: (.+) -->")
EXPECT = "# =>"
# The settings the service reads; the README's examples run with the defaults.
SETTINGS = (
    set(settings.from_env({}))
    | set(settings.server_from_env({}, cpu_count=1))
    | {"PROMETHEUS_MULTIPROC_DIR"}
)


@dataclass
class Command:
    line: int  # README line of its first line
    text: str
    expect: str | None


@dataclass
class Block:
    line: int  # README line of the fence
    commands: list[Command]
    skipped: str | None


def readme_blocks(markdown: str) -> list[Block]:
    lines = markdown.split("\n")
    found: list[Block] = []
    index = 0
    while index < len(lines):
        if lines[index].strip() != "```sh":
            index += 1
            continue
        fence = index
        end = lines.index("```", fence + 1)
        before = next((line for line in reversed(lines[:fence]) if line.strip()), "")
        skipped = SKIP.fullmatch(before.strip())
        found.append(
            Block(
                fence + 1,
                split_commands(lines[fence + 1 : end], fence + 2),
                skipped.group(1) if skipped else None,
            )
        )
        index = end + 1
    return found


def split_commands(lines: list[str], first_line: int) -> list[Command]:
    """The commands of a block, each with the README line it starts on and its `# =>` text."""
    commands: list[Command] = []
    pending: list[str] = []
    stack: list[str] = []  # open quotes and parentheses
    for number, line in enumerate(lines, first_line):
        comment, continued = _scan(line, stack)
        code = line if comment is None else line[: len(line) - len(comment)]
        if not pending and not code.strip():
            if comment is not None and comment.startswith(EXPECT):
                raise AssertionError(f"README line {number}: {EXPECT} follows no command")
            continue
        pending.append(line)
        if stack or continued:
            continue
        expect = None
        if comment is not None and comment.startswith(EXPECT):
            expect = comment[len(EXPECT) :].strip()
        commands.append(Command(number - len(pending) + 1, "\n".join(pending), expect))
        pending = []
    if pending:
        raise AssertionError(f"README line {first_line}: the block ends inside a command")
    return commands


def _scan(line: str, stack: list[str]) -> tuple[str | None, bool]:
    """Shell quoting, enough for the README: updates `stack` (the quotes and parentheses still
    open), returns the line's trailing comment and whether a backslash continues it."""
    index = 0
    word_start = True
    while index < len(line):
        char = line[index]
        top = stack[-1] if stack else None
        if top == "'":
            if char == "'":
                stack.pop()
        elif top == '"':
            if char == "\\":
                index += 1
            elif char == '"':
                stack.pop()
            elif line.startswith("$(", index):
                stack.append("$(")
                index += 1
        elif char == "\\":
            if index == len(line) - 1:
                return None, True
            index += 1
        elif char == "#" and word_start:
            return line[index:], False
        elif char in "'\"":
            stack.append(char)
        elif line.startswith("$(", index):
            stack.append("$(")
            index += 1
        elif char == "(":
            stack.append("(")
        elif char == ")" and top in ("$(", "("):
            stack.pop()
        word_start = not stack or stack[-1] in ("$(", "(")
        word_start = word_start and line[index] in " \t;|&()"
        index += 1
    return None, False


def test_every_curl_example_says_what_it_answers() -> None:
    blocks = readme_blocks(README.read_text())
    assert blocks, "the README has sh blocks"
    silent = [
        f"README line {command.line}: {command.text}"
        for block in blocks
        if block.skipped is None
        for command in block.commands
        if command.text.lstrip().startswith("curl ") and command.expect is None
    ]
    assert not silent, "\n".join(silent)


def test_the_splitter_follows_quotes_and_continuations() -> None:
    lines = [
        "A=$(echo 'it''s' \"$(echo \")\")\" | tr a b)   # => x",
        "curl -s -d '{",
        '  "a": "# not a comment"}' + "' \\",
        "  -H 'X: y'   # => 200",
        "# a comment line",
        "f() { echo hi; }",
    ]
    commands = split_commands(lines, 1)
    assert [(command.line, command.expect) for command in commands] == [
        (1, "x"),
        (2, "200"),
        (6, None),
    ]
    assert commands[1].text == "\n".join(lines[1:4])


@pytest.fixture
def readme_server(tmp_path: Path, redis_server: RedisServer) -> Any:
    if not FLASK.exists():
        pytest.skip(f"the README's examples use {FLASK.relative_to(ROOT)} (make test makes it)")
    env = {name: value for name, value in os.environ.items() if name not in SETTINGS}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'factcheck.sqlite3'}",
        REDIS_URL=redis_server.url,
        FLASK_APP="app",
    )
    # Other tests leave rate-limit counters and cached documents behind.
    redis_server.client().flushdb()
    for command in (["db", "upgrade"], ["seed"]):
        done = subprocess.run(
            [str(FLASK), *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, f"flask {' '.join(command)}: {done.stderr[-3000:]}"
    server = ProductionServer(env)
    server.env["SITE_URL"] = env["SITE_URL"] = f"http://127.0.0.1:{server.port}"
    server.start()
    try:
        yield server, env
    finally:
        server.stop()


def test_the_readme_examples_answer_as_it_says(
    readme_server: tuple[ProductionServer, dict[str, str]], tmp_path: Path
) -> None:
    server, env = readme_server
    base = env["SITE_URL"]
    out = tmp_path / "steps"
    out.mkdir()
    steps: list[Command] = []
    script = [
        "set -euo pipefail",
        f"__out={shlex.quote(str(out))}",
        # One line of the output starts with $2 (leading and trailing white space removed).
        "__expect() {",
        '  local line; while IFS= read -r line || [ -n "$line" ]; do',
        '    line="${line%$\'\\r\'}"; line="${line#"${line%%[![:space:]]*}"}"',
        '    [[ "$line" == "$2"* ]] && return 0',
        '  done < "$1"',
        "  printf 'no line of the output starts with: %s\\n' \"$2\" >&2; exit 97",
        "}",
    ]
    for block in readme_blocks(README.read_text()):
        if block.skipped is not None:
            continue
        for command in block.commands:
            number = len(steps)
            steps.append(command)
            script += [
                f'echo {number} >> "$__out/started"',
                "{",
                command.text.replace(README_BASE, base),
                f'}} > "$__out/{number}.out" 2> "$__out/{number}.err"',
            ]
            if command.expect is not None:
                expect = command.expect.replace(README_BASE, base)
                script.append(f'__expect "$__out/{number}.out" {shlex.quote(expect)}')
    (tmp_path / "readme.sh").write_text("\n".join(script) + "\n")

    done = subprocess.run(
        ["bash", str(tmp_path / "readme.sh")],
        cwd=ROOT,
        env={**env, "BASE": base},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        started = (out / "started").read_text().split()
        failed = steps[int(started[-1])]
        printed = (out / f"{started[-1]}.out").read_text()
        errors = (out / f"{started[-1]}.err").read_text()
        pytest.fail(
            f"README line {failed.line}, exit status {done.returncode}:\n{failed.text}\n"
            f"--- it printed:\n{printed[-3000:]}\n--- on stderr:\n{errors[-3000:]}"
            f"{done.stderr[-1000:]}",
            pytrace=False,
        )
    assert len((out / "started").read_text().split()) == len(steps)

    # Every route of the service, with each of its methods, has an example (static files aside).
    app = create_app({"DATABASE_URL": env["DATABASE_URL"], "REDIS_URL": ""})
    wanted = {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if not rule.endpoint.endswith("static")
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }

    def reached(lines: list[dict[str, Any]]) -> set[tuple[str, str]]:
        # The app's one line per request names the URL rule it matched (the server's access
        # log is off).
        return {
            (line["route"], line["method"])
            for line in lines
            if line.get("event") == "request" and "route" in line and "method" in line
        }

    # A request's line may be written after the response: wait for the last ones.
    missing = wanted - reached(server.wait_for_log(lambda lines: wanted <= reached(lines)))
    assert not missing, f"no README example for {sorted(missing)}"
