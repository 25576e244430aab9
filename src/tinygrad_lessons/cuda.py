"""``tl.cuda``: asking about the GPU, as ``torch.cuda`` does.

A GPU runs work *asynchronously*: a call such as ``a @ b`` on CUDA tensors only
*queues* a kernel and returns at once, while the GPU computes in the background.
That is why ``synchronize()`` exists: it waits until everything queued has
finished — the only honest way to time GPU code (see ``tl.utils.benchmark``).

On the simulated GPU (``TINYGRAD_LESSONS_SIMULATE_CUDA=1``) the answers describe
a stand-in device whose memory is NumPy memory; work runs at once, and
``synchronize()`` only counts that it was called.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from . import backend

__all__ = ["is_available", "device_count", "current_device", "get_device_name", "get_device_properties",
           "synchronize", "manual_seed", "manual_seed_all", "Event", "memory_allocated", "set_device"]

SIMULATED_NAME = "Simulated CUDA device (NumPy on the CPU)"


def is_available() -> bool:
    """True when a ``cuda`` device can hold tensors: a real NVIDIA GPU with CuPy, or the simulated one."""
    return backend.simulating() or backend.real_gpu_available()


def device_count() -> int:
    """How many GPUs there are (0 when CUDA is unavailable)."""
    if backend.simulating():
        return 1
    if not backend.real_gpu_available():
        return 0
    return backend.cupy.cuda.runtime.getDeviceCount()


def _require(index=None) -> int:
    if not is_available():
        raise backend.cuda_unavailable_error()
    if index is None:
        return current_device()
    from .device import as_device, device

    if isinstance(index, (str, device)):
        index = as_device(index).index
    if not 0 <= index < device_count():
        raise RuntimeError(f"CUDA error: invalid device ordinal: {index} (there are {device_count()} GPUs)")
    return index


_current = 0


def current_device() -> int:
    """The index of the GPU that ``device='cuda'`` means."""
    return _current


def set_device(index) -> None:
    global _current
    _current = _require(index)
    if not backend.simulating():
        backend.cupy.cuda.Device(_current).use()


@dataclass(frozen=True)
class CudaDeviceProperties:
    """What ``get_device_properties`` reports (a subset of torch's fields)."""

    name: str
    major: int
    minor: int
    total_memory: int
    multi_processor_count: int

    def __repr__(self):
        return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, minor={self.minor}, "
                f"total_memory={self.total_memory // 2**20}MB, multi_processor_count={self.multi_processor_count})")


def get_device_properties(device=None) -> CudaDeviceProperties:
    """Name, compute capability, memory (bytes) and streaming-multiprocessor count of a GPU."""
    index = _require(device)
    if backend.simulating():
        try:
            memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            memory = 0
        return CudaDeviceProperties(SIMULATED_NAME, 0, 0, memory, os.cpu_count() or 1)
    props = backend.cupy.cuda.runtime.getDeviceProperties(index)
    name = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
    return CudaDeviceProperties(name, props["major"], props["minor"], props["totalGlobalMem"],
                                props["multiProcessorCount"])


def get_device_name(device=None) -> str:
    """The GPU's marketing name, e.g. ``'Tesla T4'``."""
    return get_device_properties(device).name


_sync_calls = 0


def synchronize(device=None) -> None:
    """Wait until every kernel queued on the GPU has finished (time GPU work only after this)."""
    global _sync_calls
    index = _require(device)
    _sync_calls += 1
    if not backend.simulating():
        with backend.cupy.cuda.Device(index):
            backend.cupy.cuda.runtime.deviceSynchronize()


def synchronize_count() -> int:
    """How many times ``synchronize`` has run (lets a check see that timing code waits for the GPU)."""
    return _sync_calls


def manual_seed(seed: int) -> None:
    """Seed the random numbers made *on the GPU* (``tl.manual_seed`` seeds both the CPU's and the GPU's)."""
    from .random import _cuda_generator

    _cuda_generator().manual_seed(seed)


manual_seed_all = manual_seed  # one generator serves every GPU here


def memory_allocated(device=None) -> int:
    """Bytes of GPU memory held by tensors (CuPy's memory pool); 0 on the simulated device."""
    _require(device)
    if backend.simulating():
        return 0
    return backend.cupy.get_default_memory_pool().used_bytes()


class Event:
    """A marker in the GPU's queue of work: ``end.elapsed_time(start)`` is GPU time between two markers (ms).

    ``start.record(); work(); end.record(); end.synchronize(); start.elapsed_time(end)``. Unlike a
    wall clock read on the CPU, it measures when the *GPU* reached each marker.
    """

    def __init__(self, enable_timing: bool = False):
        _require()
        self._timing = enable_timing
        self._event = None if backend.simulating() else backend.cupy.cuda.Event(disable_timing=not enable_timing)
        self._time = None

    def record(self, stream=None) -> None:
        if self._event is None:
            self._time = time.perf_counter()
        else:
            self._event.record()

    def synchronize(self) -> None:
        if self._event is not None:
            self._event.synchronize()

    def query(self) -> bool:
        return True if self._event is None else self._event.done

    def elapsed_time(self, end_event) -> float:
        """Milliseconds from this event to ``end_event`` (both recorded, both with ``enable_timing=True``)."""
        if not (self._timing and end_event._timing):
            raise RuntimeError("Both events must be created with argument 'enable_timing=True'.")
        if self._event is None:
            if self._time is None or end_event._time is None:
                raise RuntimeError("Both events must be recorded before calculating elapsed time.")
            return (end_event._time - self._time) * 1000.0
        return backend.cupy.cuda.get_elapsed_time(self._event, end_event._event)
