"""Files shipped with the package: the example configuration."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent
EXAMPLE_URL = 'url = "https://moodle.example.org"'


def example_config(url: str | None = None) -> str:
    text = (HERE / "moodle_bridge.example.toml").read_text(encoding="utf-8")
    return text.replace(EXAMPLE_URL, f"url = {_toml_string(url)}") if url else text


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
