"""glibc malloc settings for a long-running server that receives multi-MiB messages on threads."""

import ctypes
import ctypes.util
import logging

LOG = logging.getLogger(__name__)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
ARENAS = 2
MMAP_THRESHOLD = 4 * 1024 * 1024


def tune_malloc() -> bool:
    """Return True once big buffers go back to the kernel when freed and arenas are capped.

    By default glibc raises its mmap threshold after the first multi-MiB buffer is freed, so later
    buffers of large cargo come from per-thread arenas and stay resident; with a fixed 4 MiB
    threshold they are mapped and unmapped (smaller ones are reused from the heap: mapping every
    1 MiB buffer costs a quarter of the 1 MiB delivery rate), and two arenas bound the
    fragmentation of the worker threads.
    """
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False  # not glibc (musl has no mallopt): nothing to tune
    done = all(mallopt(option, value) == 1 for option, value in (
        (M_MMAP_THRESHOLD, MMAP_THRESHOLD), (M_TRIM_THRESHOLD, 2 * MMAP_THRESHOLD),
        (M_ARENA_MAX, ARENAS)))
    LOG.debug("malloc tuned: %s", done)
    return done
