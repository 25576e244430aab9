"""Honest timings, as ``torch.utils.benchmark`` takes them.

Timing GPU code with a stopwatch around the call measures almost nothing: the call
only *queues* work for the GPU and returns at once. An honest timer therefore

1. warms up first (the first call of a GPU kernel compiles it — ~0.3–0.7 s with
   CuPy — and caches fill),
2. calls ``tl.cuda.synchronize()`` before reading the clock, so that everything
   queued before has finished and everything measured *has run*, and
3. repeats the work many times and reports a robust statistic (the median).

``Timer`` follows torch's API (``Timer(stmt, setup, globals).timeit(n)`` and
``blocked_autorange()``); ``measure(fn, *args)`` is the same idea for a function.
"""

from __future__ import annotations

import statistics
import time
import timeit

__all__ = ["Timer", "Measurement", "measure"]


def _synchronize() -> None:
    """Wait for the GPU, if there is one in use; nothing to wait for on the CPU."""
    from .. import cuda

    if cuda.is_available():
        cuda.synchronize()


class Measurement:
    """The result of a timing: ``times`` holds seconds per run, one entry per block of runs."""

    def __init__(self, number_per_run: int, times: list, stmt: str = "", label=None, description=None):
        self.number_per_run = number_per_run
        self.times = list(times)
        self.stmt, self.label, self.description = stmt, label, description

    @property
    def mean(self) -> float:
        return statistics.fmean(self.times)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def iqr(self) -> float:
        if len(self.times) < 2:
            return 0.0
        q = statistics.quantiles(self.times, n=4)
        return q[2] - q[0]

    def __repr__(self):
        value, unit = _scaled(self.median)
        iqr, _ = _scaled(self.iqr, unit)
        title = self.label or self.stmt
        return (f"<Measurement: {title}>\n  Median: {value:.2f} {unit}\n  IQR:    {iqr:.2f} {unit}\n"
                f"  {len(self.times)} measurements, {self.number_per_run} runs per measurement")


_UNITS = (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9))


def _scaled(seconds: float, unit: str | None = None):
    for name, scale in _UNITS:
        if (unit is None and seconds >= scale) or name == unit:
            return seconds / scale, name
    return seconds / 1e-9, "ns"


class Timer:
    """``Timer(stmt="a @ b", globals={"a": a, "b": b}).blocked_autorange()``: time a statement honestly."""

    def __init__(self, stmt="pass", setup="pass", globals=None, label=None, description=None):  # noqa: A002
        self.stmt, self.label, self.description = stmt, label, description
        self._timer = timeit.Timer(stmt=f"{stmt}\n_synchronize()", setup=f"{setup}\n_synchronize()",
                                   timer=time.perf_counter, globals={**(globals or {}), "_synchronize": _synchronize})

    def timeit(self, number: int = 1000) -> Measurement:
        """Run ``stmt`` ``number`` times (after one warm-up run) and report the time per run."""
        self._timer.timeit(1)  # warm-up: compile kernels, fill caches
        _synchronize()
        return Measurement(number, [self._timer.timeit(number) / number], self.stmt, self.label, self.description)

    def blocked_autorange(self, min_run_time: float = 0.2) -> Measurement:
        """Pick a block size that takes ~10 ms, then time blocks until ``min_run_time`` seconds have passed."""
        self._timer.timeit(1)
        number = 1
        while True:  # grow the block until one takes long enough to time reliably
            elapsed = self._timer.timeit(number)
            if elapsed >= 0.01 or number >= 10**6:
                break
            number *= 10
        times, total = [elapsed / number], elapsed
        while total < min_run_time:
            elapsed = self._timer.timeit(number)
            times.append(elapsed / number)
            total += elapsed
        return Measurement(number, times, self.stmt, self.label, self.description)


def measure(fn, *args, warmup: int = 3, repeat: int = 20, number: int = 1, **kwargs) -> Measurement:
    """Time ``fn(*args, **kwargs)``: ``warmup`` untimed calls, then ``repeat`` timed blocks of ``number`` calls.

    Each block starts and ends with a synchronize, so the time counts the GPU's work,
    not only the Python call that queued it.
    """
    for _ in range(warmup):
        fn(*args, **kwargs)
    times = []
    for _ in range(repeat):
        _synchronize()
        start = time.perf_counter()
        for _ in range(number):
            fn(*args, **kwargs)
        _synchronize()
        times.append((time.perf_counter() - start) / number)
    return Measurement(number, times, getattr(fn, "__name__", "fn"))
