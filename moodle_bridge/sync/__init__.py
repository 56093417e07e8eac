"""The sync: mirror Moodle into the store (see engine.py)."""

from .engine import ENTITIES, RunSummary, Sync, SyncOptions

__all__ = ["ENTITIES", "RunSummary", "Sync", "SyncOptions"]
