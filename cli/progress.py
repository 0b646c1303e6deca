"""A live block of lines on the terminal: redrawn in place on a TTY, changes only otherwise.

Long work shows progress without flooding: on a terminal the block is rewritten where it
stands (ANSI cursor-up); in a pipe or CI log a line is printed only when it changes.
"""

from __future__ import annotations

from typing import TextIO


class LiveBlock:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self._shown: list[str] = []

    def update(self, lines: list[str]) -> None:
        if self.tty:
            if self._shown:
                self.stream.write(f"\x1b[{len(self._shown)}F")
            for line in lines:
                self.stream.write("\x1b[2K" + line + "\n")
        else:
            for index, line in enumerate(lines):
                if index >= len(self._shown) or self._shown[index] != line:
                    self.stream.write(line + "\n")
        self.stream.flush()
        self._shown = list(lines)
