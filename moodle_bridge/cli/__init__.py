"""The ``moodle-bridge`` command line (click): one module per command group, no business logic.

Each command parses its options, asks a service (``moodle_bridge.services``) or a room below, and renders the answer.
What commands share (settings, store, client, lock, exit codes, the one error type) is in ``context.py``; the root
group and its global options in ``root.py``.
"""

from __future__ import annotations

from . import (  # register the commands
    actions,
    calendar,
    demo,
    doctor,
    flags,
    promotion,
    remind,
    reports,
    rules,
    schedule,
    setup,
    sync,
    targets,
    units,
    web,
)
from .context import EXIT_NOT_READY, EXIT_READY, EXIT_USAGE, CommandError, Context
from .root import main

__all__ = ["EXIT_NOT_READY", "EXIT_READY", "EXIT_USAGE", "CommandError", "Context", "actions", "calendar", "demo",
           "doctor", "flags", "main", "promotion", "remind", "reports", "rules", "schedule", "setup", "sync", "targets",
           "units", "web"]
