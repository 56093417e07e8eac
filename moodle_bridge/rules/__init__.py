"""The pure core: the rules model, credits, ledger decisions and evaluation over plain typed facts (no I/O)."""

from .rates import STATUSES, completion_rate, counted_cadres

__all__ = ["STATUSES", "completion_rate", "counted_cadres"]
