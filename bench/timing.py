"""Small timing helpers shared by the benchmarks."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence


def best_of(run: Callable[[], object], *, repeat: int = 5, number: int = 1) -> float:
    """The fastest of ``repeat`` timings of ``number`` calls, in seconds per call.

    The minimum, not the mean: on a shared machine the noise only ever adds time.
    """
    best = math.inf
    for _ in range(repeat):
        started = time.perf_counter()
        for _ in range(number):
            run()
        best = min(best, (time.perf_counter() - started) / number)
    return best


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) by linear interpolation between closest ranks."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
