"""The one exception type for bad input: it always names the file and the place."""

from __future__ import annotations


class InputError(Exception):
    """Bad input (rule, config, waivers, resources file, ...). The CLI prints str() and exits 2."""

    def __init__(self, path: str, message: str, line: int | None = None, where: str | None = None):
        self.path = str(path)
        self.line = line
        self.where = where
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        place = self.path
        if self.line:
            place += f":{self.line}"
        if self.where:
            place += f" ({self.where})"
        # one line, no escape sequences: the file name and the message may quote hostile data
        from enamel_hipaa.core.cleantext import one_line

        return one_line(f"{place}: {self.message}")
