"""The docs' tables of settings, generated from where each setting is declared.

- README.md's options table: from the settings table (vrmon/settings.py, SETTING_GROUPS);
- docs/scenes.md's table of preset keys: from the layouts' parameter dataclasses.

`python -m vrmon.settings_docs` rewrites both tables between their markers; tests/test_settings.py
fails when a table and its source disagree.
"""

from __future__ import annotations

import dataclasses
import sys
import typing
from pathlib import Path

from vrmon.scene_presets import LAYOUT_PARAMS
from vrmon.settings import SETTING_GROUPS, Setting

ROOT = Path(__file__).resolve().parent.parent
BEGIN = "<!-- options table: generated from vrmon/settings.py by `python -m vrmon.settings_docs` -->"
END = "<!-- end of options table -->"
PRESET_BEGIN = "<!-- preset keys: generated from the layouts' parameters by `python -m vrmon.settings_docs` -->"
PRESET_END = "<!-- end of preset keys -->"
_KINDS = {int: "integer", float: "number", str: "colour", tuple[str, ...]: "list of colours"}


def options_table() -> str:
    """Markdown: one table per command, a row per setting, groups as sub-headings."""
    parts: list[str] = []
    for group in SETTING_GROUPS:
        heading = f"`vrmon {group.command}`" + (f", {group.title}: {group.about}" if group.title else "")
        parts.append(f"{heading}\n\n| option | environment | default | what it does |\n| --- | --- | --- | --- |")
        parts.extend(_row(setting) for setting in group.settings)
        parts.append("")
    return "\n".join(parts).rstrip("\n")


def _row(setting: Setting) -> str:
    if setting.type is bool:
        flag = f"`{setting.flag}`" + (f", `--no-{setting.flag[2:]}`" if setting.from_env else "")
    else:
        flag = f"`{setting.flag} {setting.metavar or setting.name.upper()}`"
    env = f"`{setting.env}`" if setting.from_env else "—"
    help_text = setting.help + ("; repeatable" if setting.repeat else "")
    if setting.choices:
        help_text += f" ({', '.join(setting.choices)})"
    return f"| {flag} | {env} | {_default(setting)} | {_cell(help_text)} |"


def _default(setting: Setting) -> str:
    if setting.type is bool:
        return "on" if setting.default else "off"
    if setting.default in ("", ()):
        return "none"
    return f"`{setting.default}`"


def preset_table() -> str:
    """Markdown: a table per layout, a row per key of its [params]."""
    parts: list[str] = []
    for layout, params in LAYOUT_PARAMS.items():
        kinds = typing.get_type_hints(params)
        parts.append(f"`layout = \"{layout}\"`\n\n| key | type | default | what it means |\n| --- | --- | --- | --- |")
        for field in dataclasses.fields(params):
            default = field.default
            shown = f"{len(default)} colours" if isinstance(default, tuple) else f"`{default}`"
            parts.append(f"| `{field.name}` | {_KINDS[kinds[field.name]]} | {shown} | {_cell(field.metadata['help'])} |")
        parts.append("")
    return "\n".join(parts).rstrip("\n")


def _cell(text: str) -> str:
    return text.replace("|", "&#124;")


def with_table(text: str, begin: str = BEGIN, end: str = END, table: str | None = None) -> str:
    """`text` with the table between `begin` and `end` replaced by the generated one."""
    before, found, rest = text.partition(begin)
    _, found_end, after = rest.partition(end)
    if not found or not found_end:
        raise ValueError(f"no {begin} ... {end} markers")
    return f"{before}{begin}\n{options_table() if table is None else table}\n{end}{after}"


def generated_docs() -> dict[Path, str]:
    """Each generated doc as it should read now."""
    readme, scenes = ROOT / "README.md", ROOT / "docs" / "scenes.md"
    return {
        readme: with_table(readme.read_text(encoding="utf-8")),
        scenes: with_table(scenes.read_text(encoding="utf-8"), PRESET_BEGIN, PRESET_END, preset_table()),
    }


def main() -> int:
    for path, text in generated_docs().items():
        if path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"updated the generated table in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
