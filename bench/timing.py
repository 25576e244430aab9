"""Timing helpers shared by the benchmarks: best-of-several, per-call time in seconds.

Taking the *minimum* over repeats measures the code, not the machine's other work:
noise only ever adds time.
"""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def per_call(fn, *, number=None, repeat=7, min_time=0.2) -> float:
    """Seconds per call of ``fn()``: calibrate a loop of about ``min_time``, keep the best of ``repeat``."""
    fn()
    if number is None:
        number = 1
        while True:
            start = time.perf_counter()
            for _ in range(number):
                fn()
            if time.perf_counter() - start > min_time / 5:
                break
            number *= 2
        number = max(1, int(number * 5 * min_time / max(time.perf_counter() - start, 1e-9) / 5))
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def machine() -> dict:
    """Where the numbers came from."""
    import os

    import numpy

    info = {"python": platform.python_version(), "numpy": numpy.__version__, "machine": platform.machine(),
            "processor": platform.processor() or platform.machine(), "cpus": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        import torch

        info["torch"] = torch.__version__
    except ImportError:
        pass
    return info


def save(name: str, payload: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path
