"""Build the working parts from settings (the client does not know the settings' shape)."""

from __future__ import annotations

from ..config import Settings
from ..moodle import MoodleClient, RetryPolicy


def make_client(settings: Settings) -> MoodleClient:
    """A client for the configured site; raises ConfigError when there is no token."""
    m = settings.moodle
    return MoodleClient(
        str(m.url),
        m.resolve_token().get_secret_value(),
        connect_timeout=m.connect_timeout,
        read_timeout=m.read_timeout,
        verify_tls=m.verify_tls,
        concurrency=m.concurrency,
        batch_size=m.batch_size,
        retry=RetryPolicy(**m.retry.model_dump()),
        call_deadline=m.call_deadline,
        max_answer_bytes=int(m.max_answer_mb * 2**20),
    )
