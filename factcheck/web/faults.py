"""Test faults: kill this worker at the instant a write has committed and its answer is not sent.

Only with the FAULT_KILL_AFTER_COMMIT setting, which settings.py refuses unless TESTING or
FAULT_INJECTION_ALLOWED is on, and only for a request that carries `HEADER`: its value names a
table, and the process is SIGKILLed right after the first commit of the request that wrote to it
(`X-Fault-Kill-After-Commit: fact_checks`). tests/test_write_crash.py uses it to show that a
crash there never duplicates a POST nor strands its Idempotency-Key.

The kill hangs on the session's commit (storage/db.on_commit) rather than on a call in the write
path, so it strikes the same instant whatever the write path does after its commit.
"""

import os
import signal

from flask import Flask, current_app, has_request_context, request

from factcheck.storage.db import on_commit

HEADER = "X-Fault-Kill-After-Commit"
_listening = False


def init_app(app: Flask) -> None:
    global _listening
    if app.config.get("FAULT_KILL_AFTER_COMMIT") and not _listening:
        on_commit(_kill_if_asked)
        _listening = True


def _kill_if_asked(tables: frozenset[str]) -> None:
    if not has_request_context() or not current_app.config.get("FAULT_KILL_AFTER_COMMIT"):
        return
    if request.headers.get(HEADER) in tables:
        current_app.logger.warning("fault: killing worker %s after a commit", os.getpid())
        os.kill(os.getpid(), signal.SIGKILL)
