"""Handing freed memory back to the operating system: the allocator's settings and a trim.

Events are made in numpy arrays of hundreds of kilobytes to tens of megabytes, freed a
batch later. glibc serves blocks above its mmap threshold with mmap and unmaps them on
free, but it raises that threshold to the size of every such block freed (up to 32 MB), so
after a few batches the large arrays come from the heap instead, which fragments and never
shrinks: ~6 MB more resident set at 50,000 events/s (104 MB against 98 MB for generation
alone). :func:`tune_allocator` fixes the threshold at 4 MiB (which also turns the
adjustment off), once, when the command starts: the event queue's runs are mmapped and
unmapped, a batch's arrays reuse the heap. Lower costs time: at 256 KiB every warm-up
chunk was a fresh mapping and the warm-up took 2.5x as long.

The warm-up (:meth:`eventgen.shop.generation.EventStream.next_batch`'s first call) allocates
and frees tens of megabytes of numpy arrays in chunks. glibc's allocator keeps freed heap
pages for reuse, so without a trim they stay in the pod's resident set (and count against
its memory limit) for the rest of the run: ~12 MB at 50,000 events/s on this project's
machines. ``malloc_trim(0)`` returns them; it is glibc's, so on any other C library (musl,
macOS) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache
from typing import Any


@cache
def _libc() -> Any:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


M_MMAP_THRESHOLD = -3  # mallopt's parameter number, from glibc's malloc.h
MMAP_THRESHOLD_BYTES = 4 * 1024 * 1024


def tune_allocator() -> bool:
    """Fix glibc's mmap threshold (see above); True if this C library has it (glibc)."""
    libc = _libc()
    if libc is None or not hasattr(libc, "mallopt"):
        return False
    return bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))


def release_free_memory() -> bool:
    """Return the C heap's free pages to the OS; True if this C library could (glibc)."""
    libc = _libc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True
