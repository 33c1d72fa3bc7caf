"""Fault injection for the crash tests: a hook at the instant a write has committed and its
response is not yet sent.

A stub until the fault harness (issue 11, point 9) fills it in: `after_commit` does nothing
unless the app's FAULT_INJECTION setting asks for a fault, and that setting is to be refused
outside tests.
"""

from flask import current_app


def after_commit() -> None:
    """Called by web/writes.py right after a write's commit, before its answer is sent."""
    if not current_app.config.get("FAULT_INJECTION"):
        return
