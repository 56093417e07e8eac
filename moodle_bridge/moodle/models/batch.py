from __future__ import annotations

from ._base import MoodleModel


class BatchItem(MoodleModel):
    """One inner answer of ``tool_mobile_call_external_functions``: JSON text, not JSON."""

    error: bool
    data: str | None = None
    exception: str | None = None


class BatchResponse(MoodleModel):
    responses: list[BatchItem]
