"""The root group's options: ``--lang`` before a command, after its group or after it gives the same output."""

from __future__ import annotations

import re
from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from moodle_bridge.cli import main
from moodle_bridge.i18n import set_language
from moodle_bridge.services import demo

from .test_rules import invoke, site_dir  # noqa: F401 (a fixture)

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def commands(group: click.Group = main, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command of the tree, as the words that name it (``("credits", "show")``)."""
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))
        else:
            yield (*path, name)


def _required(command: click.Command, existing_file: str) -> list[str]:
    """Values for what the command requires, whatever they are: enough to get past the parser."""
    args: list[str] = []
    for param in command.params:
        if not param.required:
            continue
        if isinstance(param.type, click.Choice):
            value = str(param.type.choices[0])
        elif isinstance(param.type, click.Path):
            value = existing_file
        elif isinstance(param.type, click.types._NumberParamTypeBase):  # int, float and their ranges
            value = "1"
        else:
            value = "x"
        args += [value] if isinstance(param, click.Argument) else [param.opts[0], value]
    return args


def _command(path: tuple[str, ...]) -> click.Command:
    command: click.Command = main
    for word in path:
        assert isinstance(command, click.Group)
        command = command.commands[word]
    return command


def placements(path: tuple[str, ...], args: list[str]) -> list[list[str]]:
    """``--lang zh_CN`` before the command, after it, and after its group."""
    lang = ["--lang", "zh_CN"]
    shown = [[*lang, *path, *args], [*path, *args, *lang]]
    if len(path) > 1:
        shown.append([path[0], *lang, *path[1:], *args])
    return shown


@pytest.fixture
def no_site(tmp_path, monkeypatch):
    """No configuration: each command that reads one says so; the others work in a folder of their own."""
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("MOODLE_BRIDGE_CONFIG", raising=False)

    def no_room(*_args, **_kwargs):  # the demo needs no configuration: stop it at its first write
        raise OSError(28, "No space left on device", "demo-output")

    monkeypatch.setattr(demo, "run_demo", no_room)
    yield tmp_path
    set_language(None)


@pytest.mark.parametrize("path", list(commands()), ids=" ".join)
def test_lang_anywhere_gives_the_same_output(no_site, monkeypatch, path):
    args = _required(_command(path), "input.csv")
    outputs = set()
    for number, line in enumerate(placements(path, args)):
        folder = no_site / str(number)  # each run finds the same files (init writes one)
        folder.mkdir()
        (folder / "input.csv").write_text("cadre_id\n", encoding="utf-8")
        monkeypatch.chdir(folder)
        result = CliRunner().invoke(main, ["--config", "absent.toml", *line], input="a password\n")
        outputs.add((result.exit_code, result.output))
    assert len(outputs) == 1, outputs
    _code, output = outputs.pop()
    assert CHINESE.search(output), output  # --lang took effect, wherever it stood


def test_the_last_lang_given_wins(no_site, monkeypatch):
    monkeypatch.chdir(no_site)
    result = CliRunner().invoke(main, ["--lang", "zh_CN", "--config", "absent.toml", "status", "--lang", "en"])
    assert "Configuration error" in result.output


def test_report_units_is_the_same_with_lang_before_or_after(site_dir):  # noqa: F811
    path, _moodle, runner = site_dir
    invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-11-21")
    invoke(runner, "--lang", "zh_CN", "report", "units", "--format", "csv", "--output", "before.csv")
    invoke(runner, "report", "units", "--format", "csv", "--output", "after.csv", "--lang", "zh_CN")
    before = (path / "before.csv").read_text(encoding="utf-8-sig")
    assert before == (path / "after.csv").read_text(encoding="utf-8-sig") and "单位代码" in before
    flags_before = invoke(runner, "--lang", "zh_CN", "flags")
    assert flags_before == invoke(runner, "flags", "--lang", "zh_CN") and "培训预警名单" in flags_before


def test_staff_add_keeps_the_lang_given_anywhere_as_the_account_language(site_dir):  # noqa: F811
    _path, _moodle, runner = site_dir
    for name, line in [("wang", ["staff", "add", "wang", "--password-stdin", "--lang", "zh_CN"]),
                       ("li", ["--lang", "zh_CN", "staff", "add", "li", "--password-stdin"])]:
        result = runner.invoke(main, [*line, "--role", "admin"], input="a long enough password\n")
        assert result.exit_code == 0, result.output
        assert f"已添加账号 {name}（管理员）" in result.output
    listing = invoke(runner, "staff", "list", "--lang", "zh_CN")
    assert listing.count("简体中文") == 2 and "admin" not in listing
