"""Counting what code asks of a GPU: kernel launches and waits, measured on the simulated device.

Two numbers decide how fast GPU code for a *small* model runs, long before the GPU's
speed matters (chapter 5):

* **kernel launches.** Every operation on GPU arrays starts at least one kernel, and
  starting one costs the CPU several microseconds whatever the kernel's size. A
  training step of a small network is mostly launches: fewer launches, faster step.
* **host reads.** ``loss.item()``, ``bool((x < 0).any())``, ``int(t.max())``, ``x[mask]``
  (its size is unknown until the mask is counted) bring a value back to the CPU. The
  CPU must wait until the GPU has finished *everything queued before*; while it waits
  it queues nothing, and the GPU then idles while the CPU catches up. A training step
  that never reads back lets the CPU run ahead and keeps the GPU busy.

Neither needs a GPU to count. On the simulated device (``TINYGRAD_LESSONS_SIMULATE_CUDA=1``
or ``tl.backend.simulate_cuda()``) every array operation passes through this library's
NumPy subclass, so it can be watched::

    with tl.utils.device_work.count() as work:
        loss = loss_fn(model(x), y); loss.backward(); opt.step()
    print(work.kernels, work.host_reads)   # e.g. 50 and 0

The kernel count is an estimate of CuPy's launches, one per ufunc call or reduction,
copy, fill and array-making function (not for views, ``empty`` or shape arithmetic),
and for indexing as many as CuPy's indexing code launches (``x[rows, cols]`` is four:
see ``_index_work``); the host-read count is exact for the ways this library reads
back (``.item()``, ``.tolist()``, ``.get()``, ``bool``/``int``/``float``, indexing or
assigning through a boolean mask, ``nonzero``/``unique``). ``bench/gpu_bench.py`` prints both for the MLP step
beside its timings; tests keep the training step free of host reads.
"""

from __future__ import annotations

import os
import traceback
from contextlib import contextmanager

import numpy as np

from .. import backend

__all__ = ["DeviceWork", "count"]

# simulated-module functions that launch nothing: shapes, dtypes, views, uninitialised memory
_FREE_FUNCTIONS = frozenset({
    "result_type", "can_cast", "promote_types", "dtype", "iinfo", "finfo", "broadcast_shapes", "shape", "ndim",
    "size", "isscalar", "issubdtype", "empty", "empty_like", "broadcast_to", "broadcast_arrays", "reshape",
    "transpose", "moveaxis", "swapaxes", "expand_dims", "squeeze", "atleast_1d", "atleast_2d", "ravel",
    "asarray", "asanyarray", "get_array_module", "may_share_memory", "shares_memory", "isdtype",
})
# ...and those whose result size depends on the data: CuPy must read a count back (a wait)
_READING_FUNCTIONS = frozenset({"nonzero", "flatnonzero", "argwhere", "unique", "compress", "extract"})


class DeviceWork:
    """What the code inside ``count()`` asked of the (simulated) GPU."""

    def __init__(self, detail: bool = False):
        self.kernels = 0
        self.host_reads = 0
        self._inside = 0  # > 0 inside a counted module function: what NumPy does there is that one launch
        #: with ``detail=True``: one ``(what, where)`` per event, ``where`` the library line that caused it
        self.events = [] if detail else None

    def __repr__(self):
        return f"DeviceWork(kernels={self.kernels}, host_reads={self.host_reads})"

    def _kernel(self, what: str) -> None:
        if self._inside:
            return
        self.kernels += 1
        if self.events is not None:
            self.events.append((what, _caller()))

    def _read(self, what: str) -> None:
        if self._inside:
            return
        self.host_reads += 1
        if self.events is not None:
            self.events.append(("host read: " + what, _caller()))


def _caller() -> str:
    """The innermost line of tinygrad_lessons (outside this module and backend) on the stack."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frames = traceback.extract_stack()[:-3]
    for frame in reversed(frames):
        name = frame.filename
        if name.startswith(here) and not name.endswith(("device_work.py", "backend.py")):
            return f"{os.path.relpath(name, here)}:{frame.lineno} ({frame.name})"
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"


def _index_items(index) -> tuple:
    return index if isinstance(index, tuple) else (index,)


def _is_mask(item) -> bool:
    return isinstance(item, np.ndarray) and item.dtype == np.bool_ and item.ndim > 0


def _index_work(index, setting: bool, value=None) -> tuple:
    """``(kernels, host_reads)`` of ``a[index]`` (or ``a[index] = value``) on CuPy, as its indexing code
    does it (``cupy/_core/_routines_indexing.pyx``):

    * slices, integers, ``None``, ``...`` only: a view (nothing); assigning to it is one fill or copy;
    * one integer array: one ``take`` (gather) or scatter kernel;
    * ``k >= 2`` integer arrays (``a[rows, cols]``): a fill of the flat index, one kernel per array to add
      its part (``_prepare_multiple_array_indexing``), then the take or scatter: ``k + 2`` launches;
    * a boolean mask: a scan to number the True entries, a read of their count (the result's size, or how
      many values to scatter: assigning through a mask waits too), then one kernel;
    * index data in host memory (a list, a NumPy array) is copied to the GPU first: one more launch each;
      so is an assigned value that is a Python number, for an array index.
    """
    items = _index_items(index)
    masks = sum(1 for i in items if _is_mask(i))
    arrays = sum(1 for i in items if isinstance(i, (np.ndarray, list)) and not _is_mask(i))
    uploads = sum(1 for i in items if isinstance(i, list) or (isinstance(i, np.ndarray)
                                                              and not isinstance(i, backend.SimulatedCudaArray)))
    if masks:
        kernels, reads = 2 + (arrays + 2 if arrays else 0), 1
    elif arrays:
        kernels, reads = (1 if arrays == 1 else arrays + 2), 0
        if setting and not isinstance(value, np.ndarray):
            uploads += 1
    else:
        kernels, reads = (1 if setting else 0), 0
    return kernels + uploads, reads


def _plain(value):
    """A SimulatedCudaArray (or a tuple of them, as ``out=``) seen as plain NumPy memory."""
    if isinstance(value, backend.SimulatedCudaArray):
        return value.view(np.ndarray)
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    return value


def _patches(work: DeviceWork) -> dict:
    """The SimulatedCudaArray methods that count while ``count()`` is active, by name."""
    cls = backend.SimulatedCudaArray
    base = {name: getattr(cls, name) for name in ("astype", "copy", "fill", "__getitem__", "__setitem__", "item",
                                                   "tolist", "get", "__bool__", "__float__", "__int__", "__index__")}

    def index_work(index, setting, value=None):
        kernels, reads = _index_work(index, setting, value)
        what = "scatter (setitem)" if setting else "gather (indexing)"
        for _ in range(reads):
            work._read(("assigning" if setting else "indexing") + " through a boolean mask")
        for _ in range(kernels):
            work._kernel(what)

    def array_ufunc(self, ufunc, method, *inputs, **kwargs):
        if method == "at":  # ``xp.add.at(a, index, b)``: on CuPy one scatter of atomic adds, after the same
            # index work as ``a[index] = b``
            index_work(inputs[1], True, inputs[2] if len(inputs) > 2 else None)
        else:
            work._kernel(f"{ufunc.__name__}" + ("" if method == "__call__" else f".{method}"))
        out = kwargs.get("out")
        if out is not None:
            kwargs["out"] = _plain(out)
        result = getattr(ufunc, method)(*(_plain(i) for i in inputs), **kwargs)
        if result is None or result is NotImplemented:
            return result
        if out is not None:  # ufunc(..., out=a) returns ``a`` itself (``a += b`` keeps the same object)
            return out[0] if isinstance(out, tuple) and len(out) == 1 else out
        if isinstance(result, tuple):
            return tuple(np.asarray(r).view(cls) for r in result)
        return np.asarray(result).view(cls)

    def astype(self, dtype, *args, **kwargs):
        copy = kwargs.get("copy", args[3] if len(args) > 3 else True)
        if copy or np.dtype(dtype) != self.dtype:
            work._kernel("astype")
        return base["astype"](self, dtype, *args, **kwargs)

    def counted(name, kind):
        def method(self, *args, **kwargs):
            (work._kernel if kind == "kernel" else work._read)(name)
            return base[name](self, *args, **kwargs)
        method.__name__ = name
        return method

    def getitem(self, index):
        index_work(index, False)
        return base["__getitem__"](self, index)

    def setitem(self, index, value):
        index_work(index, True, value)
        return base["__setitem__"](self, index, value)

    patches = {"__array_ufunc__": array_ufunc, "astype": astype, "__getitem__": getitem, "__setitem__": setitem,
               "copy": counted("copy", "kernel"), "fill": counted("fill", "kernel")}
    for name in ("item", "tolist", "get", "__bool__", "__float__", "__int__", "__index__"):
        patches[name] = counted(name, "read")
    return patches


def _on_module_call(work: DeviceWork):
    def hook(name: str, function, args, kwargs):
        if name in _READING_FUNCTIONS:
            work._read(name)
            work._kernel(name)
        elif name not in _FREE_FUNCTIONS:
            work._kernel(name)
        work._inside += 1
        try:
            return function(*args, **kwargs)
        finally:
            work._inside -= 1
    return hook


@contextmanager
def count(detail: bool = False):
    """Count kernel launches and host reads of the code inside ``with``, on the simulated GPU.

    ``detail=True`` also lists each event with the library line that caused it
    (``work.events``): the way to find a stray read-back. Only the simulated device can
    be watched this way; on a real GPU use a profiler (``nsys``) instead.
    """
    if not backend.simulating():
        raise RuntimeError(
            "device_work.count() watches the simulated GPU; switch it on first with "
            f"tl.backend.simulate_cuda() (or {backend.SIMULATE_ENV}=1) and put the tensors on device='cuda'"
        )
    if backend.call_hook is not None:
        raise RuntimeError("device_work.count() is already active: nest no counts")
    work = DeviceWork(detail)
    cls = backend.SimulatedCudaArray
    patches = _patches(work)
    saved = {name: cls.__dict__.get(name) for name in patches}
    for name, method in patches.items():
        setattr(cls, name, method)
    backend.call_hook = _on_module_call(work)
    try:
        yield work
    finally:
        backend.call_hook = None
        for name, method in saved.items():
            if method is None:
                delattr(cls, name)
            else:
                setattr(cls, name, method)
