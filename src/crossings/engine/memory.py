"""Malloc settings for a run. A day of a run allocates and frees many NumPy temporaries of a few hundred kB; by
default glibc serves each from a fresh ``mmap`` (above its 128 kB threshold) or gives the heap's top back to the
system, so every day faults the same pages in again (about 240,000 page faults and 0.6-0.8 s of system time in a
default run). Raising the mmap and trim thresholds keeps freed memory in the process for the next allocation.

Only on glibc (Linux); elsewhere, or when the user has set malloc's environment variables (``MALLOC_*_`` or a
``glibc.malloc`` tunable), nothing is changed. The settings are process-wide and idempotent; they keep the peak of
freed memory in the process instead of giving it back (a worker's resident size stays at its largest day).
"""

from __future__ import annotations

import ctypes
import os
import sys

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameters (malloc.h)
M_TOP_PAD = -2
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 2**20  # the largest glibc accepts on 64-bit: blocks below it come from the heap
TRIM_THRESHOLD = 512 * 2**20  # free memory at the heap's top kept before any is given back
TOP_PAD = 16 * 2**20  # extra heap asked for at a time (fewer brk calls)
USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_ARENA_MAX")


def tune_malloc() -> bool:
    """Raise glibc's mmap and trim thresholds for this process (see the module's docstring); True if set."""
    if not sys.platform.startswith("linux") or "glibc.malloc" in os.environ.get("GLIBC_TUNABLES", "") \
            or any(k in os.environ for k in USER_SETTINGS):
        return False
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018 - only glibc has it (musl has mallopt too, but as a no-op)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    ok = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
    ok &= mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
    return bool(ok & (mallopt(M_TOP_PAD, TOP_PAD) == 1))
