"""Errors a user can act on: each names the file, the line and the field that is wrong."""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """A problem in a scenario or parameter file, reported as ``file:line: field: problem``.

    The command line prints ``str(error)`` and exits with code 2; no traceback is shown.
    """

    def __init__(self, file: str | Path, line: int | None, field: str, problem: str) -> None:
        self.file = str(file)
        self.line = line
        self.field = field
        self.problem = problem
        super().__init__(self.format())

    def __reduce__(self) -> tuple[type[InputError], tuple[str, int | None, str, str]]:
        """Rebuild from the four fields, so the error survives pickling (a Dask or multiprocessing worker
        raising it reaches the parent as the same one-line error, not as a failure to unpickle it)."""
        return type(self), (self.file, self.line, self.field, self.problem)

    def format(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else f"{self.file}"
        return f"{where}: {self.field}: {self.problem}"


class MachineError(Exception):
    """A fault of the machine, not of the input (a full disk, a cluster whose workers fail to start), reported as
    ``what: problem`` in one line; the command line exits with code 1, no traceback, earlier outputs intact."""

    def __init__(self, what: str | Path, problem: str) -> None:
        self.what = str(what)
        self.problem = " ".join(str(problem).split()) or "failed"
        super().__init__(f"{self.what}: {self.problem}")

    def __reduce__(self) -> tuple[type[MachineError], tuple[str, str]]:
        """Rebuild from its two fields (it survives pickling, like :class:`InputError`)."""
        return type(self), (self.what, self.problem)
