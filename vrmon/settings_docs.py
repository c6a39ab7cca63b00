"""The README's table of options, generated from the settings table (SETTING_GROUPS).

`python -m vrmon.settings_docs` rewrites the table between its two markers in README.md;
tests/test_settings.py fails when the README's table and the settings disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

from vrmon.settings import SETTING_GROUPS, Setting

BEGIN = "<!-- options table: generated from vrmon/settings.py by `python -m vrmon.settings_docs` -->"
END = "<!-- end of options table -->"


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
    return f"| {flag} | {env} | {_default(setting)} | {help_text.replace('|', '&#124;')} |"


def _default(setting: Setting) -> str:
    if setting.type is bool:
        return "on" if setting.default else "off"
    if setting.default in ("", ()):
        return "none"
    return f"`{setting.default}`"


def with_table(readme: str) -> str:
    """`readme` with its options table replaced by the generated one."""
    before, found, rest = readme.partition(BEGIN)
    _, found_end, after = rest.partition(END)
    if not found or not found_end:
        raise ValueError(f"README.md has no {BEGIN} ... {END} markers")
    return f"{before}{BEGIN}\n{options_table()}\n{END}{after}"


def main() -> int:
    readme = Path(__file__).resolve().parent.parent / "README.md"
    text = readme.read_text(encoding="utf-8")
    updated = with_table(text)
    if updated != text:
        readme.write_text(updated, encoding="utf-8")
        print(f"updated the options table in {readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
