"""A long load's progress in the terminal: one line rewritten in place, or, when stderr is not a
terminal (a log file, a service manager), a line for every quarter of the way."""

from __future__ import annotations

import sys
from typing import TextIO

PREFIX = "vrmon: "  # as logging writes the other lines (cli.py)


class TerminalProgress:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.in_place = self.stream.isatty()
        self.shown = False
        self.lines = 0  # written so far when not in place

    def show(self, fraction: float, message: str) -> None:
        if self.in_place:
            self.stream.write(f"\r\x1b[K{PREFIX}{message}")
        elif fraction >= (self.lines + 1) / 4:
            self.stream.write(f"{PREFIX}{message}\n")
            self.lines += 1
        else:
            return
        self.shown = True
        self.stream.flush()

    def end(self, message: str | None = None) -> None:
        """The last word on the line (or none: an error follows on a line of its own)."""
        if self.in_place and self.shown:
            self.stream.write(f"\r\x1b[K{PREFIX}{message}\n" if message else "\n")
        elif message and self.shown:
            self.stream.write(f"{PREFIX}{message}\n")
        self.stream.flush()

