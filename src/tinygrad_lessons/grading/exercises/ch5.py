"""Chapter 5 — the GPU: a device-generic ``one_hot``, an honest ``benchmark``, a ``train_on`` loop on a device.

Three exercises, each checked on the CPU *and* on a ``cuda`` device — the real GPU when there is
one, else the library's simulated GPU (NumPy memory marked as device memory):

* ``one_hot(labels, num_classes=-1)`` is written against the *array module*: the check
  (``call=_run_one_hot``) moves the labels to the case's device, runs the learner's function, and
  compares ``(the result's device, the result)`` with ``torch.nn.functional.one_hot``'s. A solution
  that hard-codes NumPy makes its result in host memory (``np.zeros``), which lands on the CPU; one
  that mixes a NumPy array into GPU arithmetic (``a == np.arange(n)``) gets the ``TypeError`` CuPy
  would raise — the simulated GPU refuses host arrays in arithmetic while the learner's code runs
  (``_host_arrays_refused``).
* ``benchmark(fn, *, warmup, repeat, timer)`` is run on a :class:`PretendGPU`: a GPU that exists
  only in a clock of its own, with asynchronous launches, a first-call compile and the occasional
  slow run. It notices ``tl.cuda.synchronize()`` through ``tl.cuda.synchronize_count()``, and only
  then lets its clock catch up with the work queued. The honest answer is the same whatever the
  machine, so the check is exact; ``torch.utils.benchmark.Timer`` (whose timer synchronizes before
  reading the clock) measures the same numbers on the same pretend GPU.
* ``train_on(device, model, batches, lr)``: the check (``call=_run_train_on``) builds a small model
  with fixed weights, wrapped to record the device of every batch it sees, and compares the losses,
  the trained weights, those devices and where the parameters end up with a CPU run in PyTorch.

Hints are mostly *known mistakes*: a wrong implementation is run on the failing case, and when the
learner's result equals its result the hint names that mistake (``_mistake``).
``one_hot`` can be plugged into ``tl.nn.functional.one_hot``; the other two have no library
counterpart to replace (``tl.utils.benchmark.measure`` keeps its own API).
"""

from __future__ import annotations

import contextlib
import statistics
import time

import numpy as np

import tinygrad_lessons as tl

from ...backend import SimulatedCudaArray, _mark
from ...cuda import synchronize_count
from ..cases import Case, T, _cuda_for_a_while
from ..plain import ErrorResult, decode_number
from . import Exercise, Hint, register
from .mistakes import mistake_hint

__all__ = ["PretendGPU", "make_model", "make_batches", "MODEL_WEIGHTS"]

# The library's own ``Tensor.to``, kept for the checks, which move inputs while the learner's function runs
# with ``Tensor.to`` switched off. (In a tuple: the guard also switches off a forbidden function found under
# a global name of the module the learner's function comes from, and the tests' copies come from this one.)
_ORIGINAL = (tl.Tensor.to,)


def _tensor_to(t, device):
    return _ORIGINAL[0](t, device)


# ====================================================================== helpers for hints (on plain data)
def _items(plain) -> list:
    return plain["items"] if isinstance(plain, dict) and plain.get("kind") in ("tuple", "list") else []


def _item(plain, i) -> dict:
    items = _items(plain)
    return items[i] if i < len(items) else {"kind": "none"}


def _error_says(plain, *words) -> bool:
    return isinstance(plain, dict) and plain.get("kind") == "error" and all(w in plain["message"] for w in words)


def _number(plain):
    if isinstance(plain, dict) and plain.get("kind") in ("float", "int"):
        return decode_number(plain["value"])
    return None


def _mistake(call, wrong, text, tolerance):
    return mistake_hint(call, wrong, text, tolerance)


def _device_name(device) -> str:
    """How torch names the device a tensor made with ``device=`` lands on: ``cuda`` means ``cuda:0``."""
    return "cuda:0" if str(device) == "cuda" else str(device)


@contextlib.contextmanager
def _cuda_if(*devices):
    """A ``cuda`` device for the block when one of ``devices`` asks for it: the real GPU, else the simulated one."""
    undo = None
    if any(str(d).startswith("cuda") for d in devices):
        undo = _cuda_for_a_while()
        if undo is False:
            raise RuntimeError("no cuda device can exist here (neither a GPU nor the simulated one)")
    try:
        yield
    finally:
        if undo:
            undo()


# ---------------------------------------------------------------------- a stricter simulated GPU
_HOST_ARRAY_TEXT = ("a NumPy (host) array met GPU memory in {name}: CuPy refuses this (TypeError: Unsupported "
                    "type <class 'numpy.ndarray'>) — make every array with xp, the labels' array module")


def _strict_array_ufunc(self, ufunc, method, *inputs, **kwargs):
    """Like CuPy: arithmetic between GPU memory and a host (NumPy) array is an error, not a silent copy."""
    out = kwargs.get("out") or ()
    for x in (*inputs, *out):
        if type(x) is np.ndarray and x.ndim > 0:
            raise TypeError(_HOST_ARRAY_TEXT.format(name=f"np.{ufunc.__name__}"))
    plain = [x.view(np.ndarray) if isinstance(x, SimulatedCudaArray) else x for x in inputs]
    if out:
        kwargs["out"] = tuple(o.view(np.ndarray) if isinstance(o, SimulatedCudaArray) else o for o in out)
    result = getattr(ufunc, method)(*plain, **kwargs)
    if out:
        return out[0] if len(out) == 1 else out
    return None if result is None else _mark(result)


@contextlib.contextmanager
def _host_arrays_refused():
    """While the block runs, the simulated GPU refuses NumPy arrays in arithmetic, as CuPy does.

    (NumPy would otherwise compute ``gpu_array == np.arange(3)`` and keep the GPU mark: code that
    works on the simulated device and fails on a real one.)
    """
    had = "__array_ufunc__" in vars(SimulatedCudaArray)
    old = vars(SimulatedCudaArray).get("__array_ufunc__")
    SimulatedCudaArray.__array_ufunc__ = _strict_array_ufunc
    try:
        yield
    finally:
        if had:
            SimulatedCudaArray.__array_ufunc__ = old
        else:
            del SimulatedCudaArray.__array_ufunc__


# ====================================================================== 1. one_hot
def _reference_one_hot(labels, num_classes=-1):
    """Class indices (int64) -> int64 rows of zeros with a 1 at each index, made on the labels' device."""
    if labels.dtype is not tl.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    a = tl.backend.array_of(labels)  # the labels' memory, wherever it lives
    xp = tl.backend.array_module(a)  # numpy for CPU memory, cupy for GPU memory
    if a.size == 0:
        if num_classes <= 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
    else:  # each check reads a number back from the device: on a GPU, a synchronization
        if a.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if num_classes == -1:
            num_classes = int(a.max()) + 1
        elif a.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    flat = a.reshape(-1)
    out = xp.zeros((flat.size, num_classes), dtype=xp.int64)  # new memory, made by xp: on the same device
    out[xp.arange(flat.size), flat] = 1  # row i gets its 1 in column flat[i]
    return tl.backend.from_array(out.reshape(*a.shape, num_classes))


def _run_one_hot(fn, labels, *rest, device="cpu"):
    """``(the device of what fn returns, what it returns — copied to the CPU)`` for labels on ``device``."""
    with _cuda_if(device):
        x = labels if device == "cpu" else _tensor_to(labels, device)
        with _host_arrays_refused():
            out = fn(x, *rest)
        if isinstance(out, tl.Tensor):
            return str(out.device), _tensor_to(out, "cpu")  # (Tensor.cpu would call the switched-off Tensor.to)
        return None, out


def _torch_one_hot(torch, labels, *rest, device="cpu"):
    return _device_name(device), torch.nn.functional.one_hot(labels, *rest)


def _one_hot_variant(mistake):
    """The reference ``one_hot`` with one known mistake (for hints)."""

    def one_hot(labels, num_classes=-1):
        if labels.dtype is not tl.int64:
            raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
        a = tl.backend.array_of(labels)
        xp = tl.backend.array_module(a)
        if a.size == 0:
            if num_classes <= 0:
                raise RuntimeError("Can not infer total number of classes from empty tensor.")
        else:
            if a.min() < 0:
                raise RuntimeError("Class values must be non-negative.")
            if num_classes == -1 or mistake == "ignore_num_classes":
                num_classes = int(a.max()) + (0 if mistake == "off_by_one" else 1)
            elif a.max() >= num_classes:
                raise RuntimeError("Class values must be smaller than num_classes.")
        flat = a.reshape(-1)
        out = xp.zeros((flat.size, num_classes), dtype=xp.int64)
        out[xp.arange(flat.size), flat] = 1
        return tl.backend.from_array(out if mistake == "flat" else out.reshape(*a.shape, num_classes))

    return one_hot


def _one_hot_mistake(mistake, text):
    return _mistake(_run_one_hot, _one_hot_variant(mistake), text, _ONE_HOT_TOL)


_ONE_HOT_TOL = {"strides": True, "messages": True, "rtol": 0.0, "atol": 0.0}


def _adapt_one_hot(mine, original):
    """``F.one_hot`` also takes ``num_classes`` as a 1-element tensor (and refuses other types): those stay with
    the library."""

    def one_hot(tensor, num_classes=-1):
        if type(num_classes) is int:
            return mine(tensor, num_classes)
        return original(tensor, num_classes)

    one_hot.__doc__ = mine.__doc__
    return one_hot


def _labels(values, **kwargs):
    return T(values, "int64", **kwargs)


ONE_HOT = Exercise(
    name="ch5.one_hot",
    function="one_hot",
    reference=_reference_one_hot,
    visible=[
        Case((_labels([0, 2, 1]),), label="three labels, num_classes inferred: max + 1 = 3"),
        Case((_labels([0, 2, 1]), 5), label="num_classes=5: two columns stay zero"),
        Case((_labels([[0, 1], [2, 0]]),), label="a (2, 2) batch of labels -> shape (2, 2, 3)"),
        Case((_labels([0, 2, 1]),), {"device": "cuda"},
             label="labels on cuda (simulated without a GPU): the result is made there too"),
        Case((_labels([[1, 0], [3, 2]], permute=(1, 0)), 4), {"device": "cuda"},
             label="a transposed (2, 2) batch on cuda, num_classes=4: new row-major memory"),
        Case((_labels([]), 4), label="no labels, num_classes=4 -> shape (0, 4)"),
        Case((_labels([0, -1]), 3), label="a negative label: torch's error"),
        Case((_labels([0, 3]), 3), label="a label equal to num_classes: torch's error"),
        Case((T([0.0, 1.0]), 3), label="float labels: torch's LongTensor error"),
    ],
    hidden=[
        Case((_labels(2), 4), label="a single 0-d label -> shape (4,)"),
        Case((_labels([[[1], [0]], [[2], [1]]]),), {"device": "cuda"}, label="a (2, 2, 1) batch on cuda"),
        Case((_labels(list(range(12)), shape=(3, 4), slice=[[None, None, 2], [1, None, None]]), 12),
             {"device": "cuda"}, label="a strided slice on cuda, num_classes=12"),
        Case((_labels([3, 3, 3]),), label="every label the same: 4 classes inferred"),
        Case((_labels([0, 0]), 1), label="num_classes=1"),
        Case((_labels([]),), label="no labels and num_classes=-1: torch's error"),
        Case((_labels([]), 3), {"device": "cuda"}, label="no labels on cuda, num_classes=3"),
        Case((_labels([], shape=(2, 0)), 3), label="a (2, 0) batch -> shape (2, 0, 3)"),
        Case((_labels([1, -2]), 3), {"device": "cuda"}, label="a negative label on cuda"),
        Case((_labels([1, 5, 2]), 5), {"device": "cuda"}, label="a label too large on cuda"),
        Case((T([1, 2], "int32"), 3), label="int32 labels: torch's LongTensor error"),
        Case((_labels([[4, 0, 9]]), 10), {"device": "cuda"}, label="a (1, 3) batch on cuda, 10 classes"),
    ],
    forbid=[
        "tinygrad_lessons.nn.functional.one_hot",
        # the tensor-level way around the array module (and around the device): make, move, scatter
        "tinygrad_lessons.creation.tensor", "tinygrad_lessons.creation.as_tensor",
        "tinygrad_lessons.creation.from_numpy", "tinygrad_lessons.creation.zeros",
        "tinygrad_lessons.creation.zeros_like", "tinygrad_lessons.creation.ones",
        "tinygrad_lessons.creation.full", "tinygrad_lessons.creation.empty", "tinygrad_lessons.creation.eye",
        "tinygrad_lessons.creation.arange", "tinygrad_lessons.Tensor.new_zeros", "tinygrad_lessons.Tensor.new_tensor",
        "tinygrad_lessons.Tensor.to", "tinygrad_lessons.Tensor.cuda", "tinygrad_lessons.Tensor.cpu",
        "tinygrad_lessons.indexing.scatter", "tinygrad_lessons.Tensor.scatter_",
    ],
    compare=_ONE_HOT_TOL,
    call=_run_one_hot,
    hints=[
        Hint(lambda case, e, g: _item(e, 0).get("value") == "cuda:0" and _item(g, 0).get("value") == "cpu",
             "the result was made in host memory: np.zeros, np.arange and np.eye make NumPy (CPU) arrays "
             "whatever the input. Take xp = tl.backend.array_module_of(labels) and make every new array with xp "
             "(xp.zeros, xp.arange): it lives where the labels live"),
        Hint(lambda case, e, g: _error_says(g, "NumPy (host) array met GPU memory"),
             "np.arange(...) is a host array: on a GPU, arithmetic between it and the labels fails. Make it with "
             "xp.arange, xp being the labels' array module"),
        Hint(lambda case, e, g: g.get("kind") == "tuple" and _item(g, 0).get("kind") == "none",
             "return a tensor: wrap the array you computed with tl.backend.from_array(out) — it stays on the "
             "array's device and shares its memory"),
        Hint(lambda case, e, g: _item(g, 1).get("dtype") not in (None, "int64") and e.get("kind") != "error",
             "one_hot returns int64 (torch's LongTensor): xp.zeros(shape, dtype=xp.int64)"),
        _one_hot_mistake("flat", "keep the labels' shape: the result has shape labels.shape + (num_classes,) — "
                                 "reshape the flat rows back"),
        _one_hot_mistake("ignore_num_classes",
                         "num_classes was given: use it (only num_classes=-1 means 'infer it as max + 1')"),
        _one_hot_mistake("off_by_one", "the classes are 0 … max, so there are max + 1 of them"),
        Hint(lambda case, e, g: _error_says(e, "non-negative") and not _error_says(g, "non-negative"),
             "a label below 0 is torch's RuntimeError('Class values must be non-negative.') — check a.min() "
             "before making the result"),
        Hint(lambda case, e, g: _error_says(e, "smaller than num_classes") and not _error_says(g, "smaller than"),
             "a label >= num_classes is torch's RuntimeError('Class values must be smaller than num_classes.')"),
        Hint(lambda case, e, g: _error_says(e, "LongTensor") and not _error_says(g, "LongTensor"),
             "only int64 labels are accepted: check labels.dtype is tl.int64 first, and raise torch's "
             "RuntimeError('one_hot is only applicable to index tensor of type LongTensor.')"),
        Hint(lambda case, e, g: _error_says(e, "Can not infer") and not _error_says(g, "Can not infer"),
             "with no labels there is no max to infer num_classes from: torch raises RuntimeError('Can not "
             "infer total number of classes from empty tensor.') when num_classes is not given"),
        Hint(lambda case, e, g: _item(g, 1).get("strides") not in (None, _item(e, 1).get("strides"))
             and _item(g, 1).get("shape") == _item(e, 1).get("shape"),
             "the result is new row-major memory (xp.zeros, then fill it), whatever the labels' layout"),
    ],
    plug_in="tinygrad_lessons.nn.functional.one_hot",
    adapt=_adapt_one_hot,
    torch_oracle=_torch_one_hot,
)


# ====================================================================== 2. benchmark
class PretendGPU:
    """A GPU that exists only in a clock: what ``benchmark`` is checked on, and a way to *see* asynchrony.

    ``work()`` is one call of a GPU function: it spends ``launch_us`` of host time queueing a kernel
    and returns — the kernel runs on the (pretend) GPU for ``kernel_ms`` once the GPU is free. The very
    first call also compiles the kernel, ``compile_ms`` of host time (CuPy does this on first use).
    ``slow`` lists ``[call number, kernel_ms]`` pairs: runs disturbed by something else on the GPU.
    ``clock()`` reads the host's clock, in seconds. The clock jumps ahead to when the GPU is done only
    after ``tl.cuda.synchronize()`` (noticed through ``tl.cuda.synchronize_count()``) — as a real
    host waits only when told to. ``events`` records what happened, for drawing a timeline:
    ``(kind, start, end)`` with kind ``compile``, ``launch``, ``kernel``, ``wait`` or ``clock``.
    """

    def __init__(self, kernel_ms=2.0, launch_us=20.0, compile_ms=0.0, slow=()):
        self.kernel, self.launch, self.compile = kernel_ms / 1e3, launch_us / 1e6, compile_ms / 1e3
        self.slow = {int(i): ms / 1e3 for i, ms in slow}
        self.now = 0.0  # the host's clock
        self.gpu_free = 0.0  # when the GPU will have finished everything queued so far
        self.calls = self.reads = 0
        self.events = []
        self._syncs = synchronize_count()

    def _catch_up(self):
        count = synchronize_count()
        if count != self._syncs:  # the host synchronized since the last event: it waited for the GPU
            self._syncs = count
            if self.gpu_free > self.now:
                self.events.append(("wait", self.now, self.gpu_free))
                self.now = self.gpu_free

    def work(self):
        """One call: queue a kernel (compiling it first, on the first call) and return at once."""
        self._catch_up()
        if self.calls == 0 and self.compile:
            self.events.append(("compile", self.now, self.now + self.compile))
            self.now += self.compile
        self.events.append(("launch", self.now, self.now + self.launch))
        self.now += self.launch
        start = max(self.now, self.gpu_free)
        self.gpu_free = start + self.slow.get(self.calls, self.kernel)
        self.events.append(("kernel", start, self.gpu_free))
        self.calls += 1

    def clock(self) -> float:
        """The host's clock, in seconds (pass it as ``timer=``)."""
        self._catch_up()
        self.reads += 1
        self.events.append(("clock", self.now, self.now))
        return self.now


def _reference_benchmark(fn, *, warmup=2, repeat=5, timer=time.perf_counter):
    """The median time of one call of ``fn``, in seconds, after ``warmup`` untimed calls, synchronizing
    before and after each timed call."""

    def wait_for_gpu():  # nothing to wait for on the CPU
        if tl.cuda.is_available():
            tl.cuda.synchronize()

    for _ in range(warmup):  # the first calls compile kernels and fill caches: don't time them
        fn()
    times = []
    for _ in range(repeat):
        wait_for_gpu()  # work queued earlier (the warm-up's) must not be billed to this run
        start = timer()
        fn()
        wait_for_gpu()  # fn only queued its work: wait until it has run
        times.append(timer() - start)
    return statistics.median(times)  # one slow run (another process, a hiccup) moves the mean, not the median


def _run_benchmark(fn, *, kernel_ms, launch_us=20.0, compile_ms=0.0, slow=(), warmup=None, repeat=None):
    """What ``fn(work, timer=clock, warmup=, repeat=)`` reports for a :class:`PretendGPU` with these numbers."""
    with _cuda_if("cuda"):
        gpu = PretendGPU(kernel_ms, launch_us, compile_ms, slow)
        options = {k: v for k, v in (("warmup", warmup), ("repeat", repeat)) if v is not None}
        result = fn(gpu.work, timer=gpu.clock, **options)
        if gpu.reads == 0:
            raise RuntimeError("benchmark never called timer(): read the clock through the timer= argument "
                               "(the check passes a clock of its own)")
        return _tidy(result)


def _tidy(seconds):
    """A number of seconds rounded to the picosecond: the pretend clock's sums leave float dust
    (0.0020199999999999992) that would only clutter the report."""
    if isinstance(seconds, (float, np.floating)) and np.isfinite(seconds):
        return round(float(seconds), 12)
    return seconds


def _torch_benchmark(torch, *, kernel_ms, launch_us=20.0, compile_ms=0.0, slow=(), warmup=2, repeat=5):
    """The same measurement with ``torch.utils.benchmark.Timer``: its ``timer`` synchronizes, then reads the clock
    (torch's default timer does exactly that on a GPU); ``timeit(1)`` warms up, then times one call."""
    from torch.utils.benchmark import Timer

    with _cuda_if("cuda"):
        gpu = PretendGPU(kernel_ms, launch_us, compile_ms, slow)

        def synchronized_clock():
            tl.cuda.synchronize()
            return gpu.clock()

        timer = Timer("work()", globals={"work": gpu.work}, timer=synchronized_clock)
        return _tidy(statistics.median(timer.timeit(1).median for _ in range(repeat)))


def _benchmark_variant(mistake):
    """``benchmark`` with one known mistake (for hints)."""

    def benchmark(fn, *, warmup=2, repeat=5, timer=time.perf_counter):
        def wait():
            tl.cuda.synchronize()

        for _ in range(warmup):
            fn()
        if mistake == "block":
            wait()
            start = timer()
            for _ in range(repeat):
                fn()
            wait()
            return (timer() - start) / repeat
        times = []
        for _ in range(repeat):
            if mistake not in ("no_sync", "sync_after_only"):
                wait()
            start = timer()
            fn()
            if mistake != "no_sync":
                wait()
            times.append(timer() - start)
        if mistake == "mean":
            return statistics.fmean(times)
        return statistics.median(times)

    return benchmark


_BENCH_TOL = {"rtol": 1e-6, "atol": 1e-12}


def _bench_mistake(mistake, text):
    return _mistake(_run_benchmark, _benchmark_variant(mistake), text, _BENCH_TOL)


def _includes_compile(case, e, g) -> bool:
    """Whether the result holds a share of the first call's compile time: at least compile / (number of calls)."""
    compile_s = case.kwargs.get("compile_ms", 0.0) / 1e3
    want, have = _number(e), _number(g)
    calls = case.kwargs.get("warmup", 2) + case.kwargs.get("repeat", 5)
    return bool(compile_s) and want is not None and have is not None and have - want >= 0.99 * compile_s / calls


def _ratio(e, g):
    want, have = _number(e), _number(g)
    return None if not want or have is None else have / want


BENCHMARK = Exercise(
    name="ch5.benchmark",
    function="benchmark",
    reference=_reference_benchmark,
    visible=[
        Case((), {"kernel_ms": 2.0, "launch_us": 20.0, "warmup": 2, "repeat": 5},
             label="a 2 ms kernel behind a 20 µs launch: one call takes 2.02 ms"),
        Case((), {"kernel_ms": 2.0, "compile_ms": 500.0, "warmup": 1, "repeat": 2},
             label="the first call compiles the kernel (0.5 s): warm up before timing"),
        Case((), {"kernel_ms": 1.0, "slow": [[4, 40.0]], "warmup": 2, "repeat": 5},
             label="one run of five is slow (something else used the GPU): the median ignores it"),
        Case((), {"kernel_ms": 3.0, "warmup": 3, "repeat": 1},
             label="repeat=1: the warm-up's work is still queued when timing starts"),
        Case((), {"kernel_ms": 0.01, "launch_us": 30.0, "warmup": 2, "repeat": 5},
             label="a tiny kernel (10 µs) behind a 30 µs launch: launching costs more than the work"),
    ],
    hidden=[
        Case((), {"kernel_ms": 5.0, "launch_us": 10.0, "compile_ms": 700.0, "warmup": 2, "repeat": 3},
             label="a cold compile (0.7 s), then three timed calls"),
        Case((), {"kernel_ms": 0.5, "compile_ms": 300.0, "warmup": 1, "repeat": 1},
             label="a warm compile cache (0.3 s), one timed call"),
        Case((), {"kernel_ms": 2.0, "slow": [[3, 30.0], [6, 25.0]], "warmup": 1, "repeat": 7},
             label="two slow runs of seven"),
        Case((), {"kernel_ms": 4.0, "launch_us": 15.0, "warmup": 4, "repeat": 2},
             label="four warm-up calls queue 16 ms of work, then two timed calls"),
        Case((), {"kernel_ms": 0.002, "launch_us": 25.0, "warmup": 2, "repeat": 9},
             label="a 2 µs kernel: nearly all of a call is its launch"),
        Case((), {"kernel_ms": 1.5, "compile_ms": 450.0, "slow": [[2, 20.0]], "warmup": 2, "repeat": 5},
             label="a compile and a slow run"),
    ],
    forbid=["tinygrad_lessons.utils.benchmark.measure", "tinygrad_lessons.utils.benchmark.Timer"],
    compare=_BENCH_TOL,
    call=_run_benchmark,
    hints=[
        _bench_mistake("no_sync",
                       "you timed the launch, not the work: a GPU call returns as soon as its kernel is queued. Call "
                       "tl.cuda.synchronize() after fn() and before reading the clock, so that what you time has run"),
        _bench_mistake("sync_after_only",
                       "synchronize before starting the clock too: work queued earlier (the warm-up's) is still "
                       "running, and without it your first timed run waits for that as well"),
        _bench_mistake("mean",
                       "return the median of the runs, not the mean: one slow run (another process on the GPU, "
                       "a clock hiccup) pulls the mean far off, the median not at all"),
        Hint(_includes_compile,
             "the first call compiles the kernel (CuPy: ~0.3–0.7 s) and your time includes it: warm up first — "
             "call fn() warmup times before timing anything — and take the median, which one slow call can't move"),
        _bench_mistake("block",
                       "time each call on its own — synchronize, read the clock, call fn, synchronize, read the "
                       "clock — and return the median of the repeat times (a block of calls hides the launches "
                       "behind the work)"),
        Hint(lambda case, e, g: (r := _ratio(e, g)) is not None and 999.0 < r < 1001.0,
             "return seconds, as timer() counts them (not milliseconds)"),
        Hint(lambda case, e, g: g.get("kind") in ("list", "tuple"),
             "return one number: the median of the times, in seconds"),
        Hint(lambda case, e, g: _error_says(g, "never called timer()"),
             "read the clock with the timer you are given: start = timer() ... timer() - start "
             "(the check passes its own clock as timer=)"),
    ],
    torch_oracle=_torch_benchmark,
)


# ====================================================================== 3. train_on
#: the fixed weights of the checks' model: Linear(4, 6) -> ReLU -> Linear(6, 3)
MODEL_WEIGHTS = {
    "0.weight": np.round(np.sin(np.arange(24) * 1.7).reshape(6, 4) * 0.5, 2).tolist(),
    "0.bias": np.round(np.cos(np.arange(6)) * 0.1, 2).tolist(),
    "2.weight": np.round(np.cos(np.arange(18) * 0.9).reshape(3, 6) * 0.4, 2).tolist(),
    "2.bias": [0.05, -0.05, 0.0],
}


def make_model(lib, log=None):
    """The checks' model with ``MODEL_WEIGHTS`` (on the CPU), wrapped so that each forward call appends the
    device of its input to ``log``."""
    rng = lib.random.default_generator
    state = rng.get_state()  # building layers draws initial weights: leave the global generator as it was
    inner = lib.nn.Sequential(lib.nn.Linear(4, 6), lib.nn.ReLU(), lib.nn.Linear(6, 3))
    rng.set_state(state)
    with lib.no_grad():
        for name, p in inner.named_parameters():
            p.copy_(lib.tensor(MODEL_WEIGHTS[name], dtype=p.dtype))

    class Watched(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            if log is not None:
                log.append(_device_name(x.device))
            return self.inner(x)

    return Watched()


def make_batches(lib, n_batches, batch_size):
    """``n_batches`` batches ``(x, y)`` of a small fixed data set: x is (batch_size, 4) float32, y int64 in 0..2."""
    batches = []
    for b in range(n_batches):
        rows = np.arange(b * batch_size, (b + 1) * batch_size)
        x = np.round(np.sin(rows[:, None] * 0.7 + np.arange(4) * 1.3) * 1.5, 2)
        y = (rows * 2 + rows // 3) % 3
        batches.append((lib.tensor(x.tolist(), dtype=lib.float32), lib.tensor(y.tolist(), dtype=lib.int64)))
    return batches


def _reference_train_on(device, model, batches, lr=0.1):
    """Train ``model`` on ``device``: one SGD step (momentum 0.9) per ``(x, y)`` batch; the losses as floats."""
    model.to(device)  # Module.to moves the parameters themselves (in place): the optimizer gets those
    optimizer = tl.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    losses = []
    for x, y in batches:
        x, y = x.to(device), y.to(device)  # Tensor.to returns a copy on device: keep it
        optimizer.zero_grad()
        loss = tl.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())  # a Python float (a copy to the host, so a wait for the GPU)
    return losses


def _run_train_on(fn, device, n_batches=3, batch_size=4, lr=0.1, model_on="cpu", batches_on="cpu"):
    """``(what fn returns, the model's weights afterwards, the device of each batch the model saw, the devices
    of its parameters)``."""
    with _cuda_if(device, model_on, batches_on):
        log = []
        model = make_model(tl, log).to(model_on)
        batches = [(x.to(batches_on), y.to(batches_on)) for x, y in make_batches(tl, n_batches, batch_size)]
        try:
            returned = fn(device, model, batches, lr=lr)
        except NotImplementedError:  # the untouched stub: the check says "not implemented yet"
            raise
        except Exception as error:  # kept, with what happened before it
            returned = ErrorResult(error)
        weights = tuple(p.detach().cpu() for p in model.parameters())
        where = tuple(sorted({_device_name(p.device) for p in model.parameters()}))
        return returned, weights, tuple(log), where


def _torch_train_on(torch, device, n_batches=3, batch_size=4, lr=0.1, model_on="cpu", batches_on="cpu"):
    """The same training on the CPU in PyTorch: the numbers a run on ``device`` must give; there, every batch
    and every parameter is on ``device``."""
    model = make_model(torch)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    losses = []
    for x, y in make_batches(torch, n_batches, batch_size):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    weights = tuple(p.detach() for p in model.parameters())
    return losses, weights, (_device_name(device),) * n_batches, (_device_name(device),)


def _train_on_variant(mistake):
    """``train_on`` with one known mistake (for hints)."""

    def train_on(device, model, batches, lr=0.1):
        model.to(device)
        optimizer = tl.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        losses = []
        for x, y in batches:
            x, y = x.to(device), y.to(device)
            if mistake == "optimizer_in_loop":
                optimizer = tl.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
            optimizer.zero_grad()
            loss = tl.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses

    return train_on


_TRAIN_TOL = {"rtol": 1e-4, "atol": 1e-6}


def _saw(plain, device) -> bool:
    return any(item.get("value") == device for item in _items(plain))


def _initial_weights(plain) -> bool:
    """Whether the weights (item 1) are still the model's initial ones: the model the check gave was not trained."""
    first = _item(_item(plain, 1), 0)
    return first.get("kind") == "tensor" and np.allclose(
        np.array(first["values"], dtype=np.float64), np.array(MODEL_WEIGHTS["0.weight"]), rtol=0, atol=1e-6)


TRAIN_ON = Exercise(
    name="ch5.train_on",
    function="train_on",
    reference=_reference_train_on,
    visible=[
        Case(("cpu",), label="on the CPU: three batches, three SGD steps"),
        Case(("cuda",), label="on cuda (simulated without a GPU): move the model, and each batch as it comes"),
        Case(("cuda",), {"batches_on": "cuda"},
             label="batches already on cuda: .to(device) gives them back as they are"),
        Case(("cpu",), {"model_on": "cuda"}, label="the model arrives on cuda and must train on the CPU"),
    ],
    hidden=[
        Case(("cuda",), {"n_batches": 5, "batch_size": 2, "lr": 0.05}, label="cuda, five batches of two"),
        Case(("cuda",), {"model_on": "cuda", "batches_on": "cuda", "n_batches": 2},
             label="model and batches on cuda already"),
        Case(("cuda",), {"model_on": "cuda", "n_batches": 4, "batch_size": 3},
             label="the model on cuda, batches on the CPU"),
        Case(("cpu",), {"batches_on": "cuda", "n_batches": 2, "lr": 0.2}, label="batches on cuda, training on the CPU"),
        Case(("cuda",), {"n_batches": 1, "batch_size": 8}, label="one batch of eight on cuda"),
        Case(("cpu",), {"n_batches": 4, "batch_size": 1, "lr": 0.3}, label="the CPU, batches of one"),
    ],
    forbid=[],
    compare=_TRAIN_TOL,
    call=_run_train_on,
    pure=True,
    hints=[
        Hint(lambda case, e, g: _error_says(_item(g, 0), "same device") and _saw(_item(g, 2), "cpu")
             and not _saw(_item(e, 2), "cpu"),
             "move each batch to the device before the forward pass: x, y = x.to(device), y.to(device) — "
             "Tensor.to returns a new tensor on device and leaves x where it was, so keep what it returns"),
        Hint(lambda case, e, g: _item(g, 3) != _item(e, 3) and _item(g, 3).get("kind") == "tuple",
             "move the model: model.to(device) moves every parameter to device (in place: the same Parameter "
             "objects, so an optimizer that holds them keeps working), and leave it there"),
        Hint(lambda case, e, g: _error_says(_item(g, 0), "non-leaf"),
             "give the optimizer the model's own parameters (model.parameters(), after model.to(device)): p.to(device) "
             "is a copy — a new tensor computed from p, which no layer of the model uses"),
        Hint(lambda case, e, g: any(x.get("kind") == "tensor" for x in _items(_item(g, 0))),
             "return Python floats: loss.item() (a tensor kept in a list keeps its whole graph, and its GPU memory)"),
        Hint(lambda case, e, g: _initial_weights(g) and not _initial_weights(e) and _item(g, 0).get("kind") != "error",
             "train the model you were given: Module.to moves it in place and returns the same model — a copy "
             "(copy.deepcopy) leaves the caller's model untrained"),
        _mistake(_run_train_on, _train_on_variant("optimizer_in_loop"),
                 "build the optimizer once, before the loop: SGD with momentum keeps a running velocity for every "
                 "parameter from step to step, and a new optimizer starts it from zero", _TRAIN_TOL),
    ],
    torch_oracle=_torch_train_on,
)


register(ONE_HOT, BENCHMARK, TRAIN_ON)
