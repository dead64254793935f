"""The one error family for problems a user can fix (an option, a dataset file, a cached model, a results file).

Everything that reads user-supplied or cached files ends a failure in a subclass of EdgebenchError whose message
names the file and says what to do; `edgebench` prints any of them as one line and exits 2. Other exceptions
are bugs and keep their traceback.
"""

from __future__ import annotations


class EdgebenchError(Exception):
    """A user-fixable problem; the message names the input and the fix, on one line."""


def one_line(text: str) -> str:
    """Messages built from library exceptions (numpy, zipfile, json) can span lines; the CLI prints one."""
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())
