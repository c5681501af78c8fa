"""Progress of long work (the days of a run, the members of an ensemble) as a tqdm bar with the time left: on
stderr in a terminal, as a widget in a notebook (tqdm.auto). Used by the API (off with ``quiet=True``) and the
command line (off with ``--quiet``, and drawn only on a terminal), and the one place that logs what crossings
does (``crossings -v``)."""

from __future__ import annotations

import logging
import sys
from typing import Any

LOG = logging.getLogger("crossings")  # a logger holds no run's state: handlers are the application's to add


class Bar:
    """A ``progress(done, total)`` callback drawing a tqdm bar of ``what`` (days, members, runs), made on the first
    call and closed when ``done`` reaches ``total``. ``enabled=False`` draws nothing; ``terminal_only`` draws only
    when stderr is a terminal (so that a log or a test's captured output holds no bar)."""

    def __init__(self, what: str = "days", enabled: bool = True, terminal_only: bool = False) -> None:
        self.what = what
        self.enabled = enabled and (not terminal_only or sys.stderr.isatty())
        self.bar: Any = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        if self.bar is None:
            from tqdm.auto import tqdm  # tqdm (and, in a notebook, its widget) is loaded only when a bar is drawn

            self.bar = tqdm(total=total, unit=self.what.rstrip("s"), desc=self.what, file=sys.stderr,
                            dynamic_ncols=True, leave=True)
        self.bar.update(done - self.bar.n)
        if done >= total:
            self.close()

    def close(self) -> None:
        """End the bar (on the last step, or when the work stops early)."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def set_verbosity(level: int) -> None:
    """Log crossings' steps on stderr: 0 warnings only, 1 (``-v``) what is read and run, 2 (``-vv``) timings."""
    LOG.setLevel(logging.WARNING if level <= 0 else logging.INFO if level == 1 else logging.DEBUG)
    if level > 0 and not LOG.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        LOG.addHandler(handler)
