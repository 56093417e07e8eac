"""The sync: mirror Moodle into the store (see engine.py for the rooms)."""

from .engine import ENTITIES, RunSummary, StopRequested, Sync, SyncOptions, summary_lines

__all__ = ["ENTITIES", "RunSummary", "StopRequested", "Sync", "SyncOptions", "summary_lines"]
