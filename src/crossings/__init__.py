"""crossings: a fast agent-based simulator of people fleeing war and conscription.

Runs scenarios in Flee's input format unchanged (``load_scenario``, ``run``) and returns results as data
(``to_frame``, ``to_xarray``, ``plot``; ``write`` a run's files and ``read_run`` them back).
"""

from __future__ import annotations

import os
import sys

# The `crossings` command does no linear algebra, and OpenBLAS's thread pool, started when NumPy is first imported,
# costs about 0.1 s of CPU a process on 2 cores. Only for the command (a library user's NumPy is left alone), only
# when NumPy is not loaded yet, and only when the variable is unset.
if "numpy" not in sys.modules and os.path.basename(sys.argv[0] if sys.argv else "") == "crossings":
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from crossings._version import __version__  # noqa: E402
from crossings.api import load_scenario, read_run, run  # noqa: E402
from crossings.engine.simulation import Simulation  # noqa: E402
from crossings.errors import InputError  # noqa: E402
from crossings.results import Results  # noqa: E402

__all__ = ["InputError", "Results", "Simulation", "__version__", "load_scenario", "read_run", "run"]
