"""Settings → argparse: each `Setting` becomes one flag whose default may come from its VRMON_* variable."""

from __future__ import annotations

import argparse
from typing import Any

from vrmon.settings import SETTING_GROUPS, Setting


def add_command_settings(parser: argparse.ArgumentParser, command: str) -> None:
    """Every setting of `vrmon COMMAND`, in the groups SETTING_GROUPS puts them in."""
    for group in SETTING_GROUPS:
        if group.command == command:
            add_settings(parser.add_argument_group(group.title, group.about) if group.title else parser, group.settings)


def add_settings(parser: argparse._ActionsContainer, settings: tuple[Setting, ...]) -> None:
    for setting in settings:
        add_setting(parser, setting)


def add_setting(parser: argparse._ActionsContainer, setting: Setting) -> None:
    default = setting.resolve_default()  # reads the VRMON_* variable: a bad one is a one-line error
    if setting.type is bool and not setting.from_env:  # a per-run switch: off unless given
        parser.add_argument(setting.flag, action="store_true", help=setting.help)
    elif setting.type is bool:
        parser.add_argument(setting.flag, action=argparse.BooleanOptionalAction, default=default,
                            help=f"{setting.help} (default: {'on' if setting.default else 'off'}{_env(setting, '=1 or 0')})")
    elif setting.repeat:  # the default is applied after parsing: argparse would append to it
        parser.add_argument(setting.flag, action="append", type=setting.type, default=None, metavar=setting.metavar,
                            help=f"{setting.help}; repeatable{_env(setting, ', comma-separated', ' (', ')')}")
        parser.set_defaults(**{f"{setting.name}_default": default})
    else:
        optional = {"nargs": "?", "const": setting.bare} if setting.bare is not None else {}
        parser.add_argument(setting.flag, type=setting.type, default=default, choices=setting.choices or None,
                            metavar=setting.metavar, **optional,
                            help=f"{setting.help} (default: {setting.default or 'none'}{_env(setting)})")


def setting_values(args: argparse.Namespace, settings: tuple[Setting, ...]) -> dict[str, Any]:
    """The parsed values of `settings`, by name (a repeatable flag never given takes its default)."""
    values = {s.name: getattr(args, s.name) for s in settings}
    for s in settings:
        if s.repeat and values[s.name] is None:
            values[s.name] = getattr(args, f"{s.name}_default")
    return values


def _env(setting: Setting, how: str = "", before: str = "; ", after: str = "") -> str:
    return f"{before}env {setting.env}{how}{after}" if setting.from_env else ""
