"""Alerts for administrators: a failed run, or a mirror too old. Through the log, a webhook or Moodle."""

from __future__ import annotations

import requests
import structlog

from ..config import Settings

log = structlog.get_logger("moodle_bridge.alerts")


def alert(settings: Settings, subject: str, text: str) -> bool:
    """Send one alert; True when the channel took it. A failing channel is logged, never raised."""
    channel = settings.alerts
    log.error("alert", subject=subject, text=text)  # always in the log, whatever else
    try:
        if channel.channel == "webhook" and channel.webhook_url:
            requests.post(channel.webhook_url, json={"subject": subject, "text": text}, timeout=10).raise_for_status()
        elif channel.channel == "moodle" and channel.moodle_user_ids:
            from .wiring import make_client

            with make_client(settings) as client:
                messages = [{"touserid": uid, "text": f"{subject}\n\n{text}", "textformat": 2}
                            for uid in channel.moodle_user_ids]
                client.call("core_message_send_instant_messages", messages=messages)
    except Exception as exc:
        status = getattr(getattr(exc, "response", None), "status_code", None)
        # Not str(exc): requests puts the webhook URL, often a secret, in its messages.
        log.error("alert.channel_failed", channel=channel.channel, error=type(exc).__name__, http_status=status)
        return False
    return True
