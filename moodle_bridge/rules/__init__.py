"""The pure core: the rules model, credits, ledger decisions and evaluation over plain typed facts (no I/O)."""

from .bounds import EARLIEST, LATEST, FiniteFloat, SaneDate, finite, sane_date
from .rates import STATUSES, completion_rate, counted_cadres

__all__ = ["EARLIEST", "LATEST", "STATUSES", "FiniteFloat", "SaneDate", "completion_rate", "counted_cadres", "finite",
           "sane_date"]
