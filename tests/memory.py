"""The peak of Python memory a call allocates, for the imports' memory tests."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable


def peak_bytes(run: Callable[[], object]) -> int:
    """Runs `run` under tracemalloc and returns the peak bytes allocated meanwhile."""
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
