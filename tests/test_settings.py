"""The settings table is the only place a setting is defined: flags, VRMON_* variables, config
objects, the README's options table and docs/scenes.md's preset keys all follow it."""

from __future__ import annotations

import argparse
import dataclasses
import os
from pathlib import Path

import pytest

from vrmon.cli import build_parser, main
from vrmon.scene_presets import LAYOUT_PARAMS
from vrmon.settings import (JAEGER_SETTINGS, SECURITY_SETTINGS, SERVE_SETTINGS, SETTING_GROUPS, JaegerConfig,
                            SecurityConfig, ServeConfig, jaeger_config)
from vrmon.settings_docs import generated_docs


@pytest.fixture(autouse=True)
def no_vrmon_variables(monkeypatch):
    for name in [n for n in os.environ if n.startswith("VRMON_")]:
        monkeypatch.delenv(name)


def test_the_docs_tables_are_the_settings_and_preset_parameters():
    """README.md's options table and docs/scenes.md's preset keys are generated, never edited."""
    for path, text in generated_docs().items():
        assert path.read_text(encoding="utf-8") == text, f"{path.name}'s table differs from where the settings are " \
                                                         "declared: run `.venv/bin/python -m vrmon.settings_docs`"


@pytest.mark.parametrize("layout", sorted(LAYOUT_PARAMS))
def test_every_preset_key_says_what_it_means(layout):
    assert all(f.metadata.get("help") for f in dataclasses.fields(LAYOUT_PARAMS[layout])), \
        "declare preset parameters with param(default, help) (vrmon/layout/preset_param.py)"


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


@pytest.mark.parametrize("command", ["serve", "tail", "inspect"])
def test_every_flag_of_every_command_is_a_setting(command):
    flags = {opt for action in _commands(build_parser())[command]._actions for opt in action.option_strings
             if opt not in ("-h", "--help") and not opt.startswith("--no-")}
    declared = {s.flag for g in SETTING_GROUPS if g.command == command for s in g.settings}
    assert flags == declared, "declare flags as a Setting in vrmon/settings.py, not with add_argument"


@pytest.mark.parametrize("config, settings", [(ServeConfig, SERVE_SETTINGS), (SecurityConfig, SECURITY_SETTINGS),
                                              (JaegerConfig, JAEGER_SETTINGS)])
def test_config_objects_hold_each_setting_with_the_tables_default(config, settings):
    fields = {f.name: f for f in dataclasses.fields(config)}
    assert {s.name for s in settings} <= set(fields)
    for setting in settings:
        field = fields[setting.name]
        if field.default is not dataclasses.MISSING:
            assert field.metadata.get("setting") is setting, f"{config.__name__}.{setting.name}: take its default " \
                                                             "from the table (_serve_default / _security_default)"
            assert field.default == setting.default_value()
    assert jaeger_config(jaeger="http://j").lookback == 900.0  # "15m" in the table


def test_flags_and_variables_reach_the_parsed_values(monkeypatch):
    monkeypatch.setenv("VRMON_PORT", "9000")
    monkeypatch.setenv("VRMON_SERVICE", "frontend, driver")
    monkeypatch.setenv("VRMON_HOST_METRICS", "0")
    args = build_parser().parse_args(["serve", "--retain", "2h", "--replay", "a.json", "--replay", "b.json"])
    assert (args.port, args.retain, args.host_metrics, args.replay) == (9000, 7200.0, False, [Path("a.json"), Path("b.json")])
    assert args.service is None and args.service_default == ("frontend", "driver")  # applied when none is given


def test_a_bad_variable_is_one_line(monkeypatch, capsys):
    monkeypatch.setenv("VRMON_RETAIN", "soon")
    assert main(["serve", "--replay", "x.json"]) == 1
    assert capsys.readouterr().err == "vrmon: error: VRMON_RETAIN='soon' is not a valid duration\n"
