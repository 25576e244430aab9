"""Chapter 5's graded exercises catch real mistakes, not only empty stubs.

Per exercise: the reference solution passes the visible and hidden checks; the untouched
stub fails with the "not implemented" line; a solution that calls the library's own
implementation fails (``train_on`` has none: the library has no training loop to call); and
plausible wrong solutions each fail with a hint that points at the mistake. The checks run on
the CPU and on a ``cuda`` device — the simulated one here — and leave the device setting as
they found it.
"""

from __future__ import annotations

import copy
import statistics
import time
import types
from pathlib import Path

import numpy as np
import pytest

import tinygrad_lessons as tl
from exercise_checks import assert_fails, assert_passes, stub
from tinygrad_lessons.grading.exercises import get_exercise
from tinygrad_lessons.grading.exercises.ch5 import PretendGPU

ROOT = Path(__file__).resolve().parents[1]


REAL_GPU = tl.backend.real_gpu_available()
needs_gpu = pytest.mark.skipif(not REAL_GPU, reason="needs a real NVIDIA GPU with CuPy (none found on this machine)")


@pytest.fixture(autouse=True)
def _course_env(monkeypatch, tmp_path):
    """The simulated GPU for every test, even where a real one exists: a wrong solution fails the same way
    everywhere (on a real GPU, CuPy would often stop it earlier, with its own message)."""
    monkeypatch.setenv("TL_MINE_DIR", str(tmp_path / "mine"))
    monkeypatch.setenv("TL_REFERENCE_DIR", str(ROOT / "autograder" / "reference"))
    was = tl.backend.simulating()
    tl.backend.simulate_cuda(True)
    device = tl.get_default_device()
    try:
        yield
        assert tl.backend.simulating() and tl.get_default_device() == device, "a check left the device switched"
        assert "__array_ufunc__" not in vars(tl.backend.SimulatedCudaArray), "the strict simulated GPU was left on"
    finally:
        tl.backend.simulate_cuda(was)


def test_ch5_checks_leave_a_cpu_only_setting_as_it_was():
    """Without any cuda device, a check makes one for its cuda cases and switches it off again."""
    if REAL_GPU:
        pytest.skip("this machine has a real GPU: a cuda device always exists")
    tl.backend.simulate_cuda(False)
    try:
        assert_passes("ch5.one_hot", _copy(get_exercise("ch5.one_hot").reference))
        assert not tl.backend.simulating() and not tl.cuda.is_available()
    finally:
        tl.backend.simulate_cuda(True)


@pytest.mark.gpu
@needs_gpu
@pytest.mark.parametrize("name", ["ch5.one_hot", "ch5.benchmark", "ch5.train_on"])
def test_ch5_reference_passes_on_a_real_gpu(name):
    tl.backend.simulate_cuda(False)  # the real GPU (CuPy) for this test; the fixture restores the setting
    try:
        assert_passes(name, _copy(get_exercise(name).reference))
    finally:
        tl.backend.simulate_cuda(True)


def _copy(fn):
    """A copy of the reference solution: the reference object itself is forbidden to learners."""
    new = types.FunctionType(fn.__code__, fn.__globals__, "solution", fn.__defaults__, fn.__closure__)
    new.__kwdefaults__ = fn.__kwdefaults__
    return new


# ====================================================================== ch5.one_hot
def _checked(labels, num_classes):
    """The value checks every one_hot needs (torch's words); returns num_classes, inferred if -1."""
    if labels.dtype is not tl.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    a = tl.backend.array_of(labels)
    if a.size == 0:
        if num_classes <= 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        return num_classes
    if a.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        return int(a.max()) + 1
    if a.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return num_classes


def one_hot_numpy(labels, num_classes=-1):  # hard-codes NumPy: np.zeros is host memory
    n = _checked(labels, num_classes)
    a = tl.backend.array_of(labels)
    flat = a.reshape(-1)
    out = np.zeros((flat.size, n), dtype=np.int64)
    out[np.arange(flat.size), flat] = 1
    return tl.backend.from_array(out.reshape(*a.shape, n))


def one_hot_module_of_tensor(labels, num_classes=-1):  # array_module takes an array: given a tensor, numpy
    n = _checked(labels, num_classes)
    a = tl.backend.array_of(labels)
    xp = tl.backend.array_module(labels)
    flat = a.reshape(-1)
    out = xp.zeros((flat.size, n), dtype=xp.int64)
    out[xp.arange(flat.size), flat] = 1
    return tl.backend.from_array(out.reshape(*a.shape, n))


def one_hot_numpy_arange(labels, num_classes=-1):  # works on the simulated GPU only if host arrays may mix in
    n = _checked(labels, num_classes)
    a = tl.backend.array_of(labels)
    xp = tl.backend.array_module(a)
    out = xp.ascontiguousarray((a[..., None] == np.arange(n)).astype(xp.int64))
    return tl.backend.from_array(out)


def one_hot_broadcast_keeps_layout(labels, num_classes=-1):  # right values, but the labels' memory order
    n = _checked(labels, num_classes)
    a = tl.backend.array_of(labels)
    xp = tl.backend.array_module(a)
    return tl.backend.from_array((a[..., None] == xp.arange(n)).astype(xp.int64))


def _xp_one_hot(labels, num_classes, dtype=None, flat_shape=False, infer=None):
    a = tl.backend.array_of(labels)
    xp = tl.backend.array_module(a)
    n = infer(a) if infer else num_classes
    flat = a.reshape(-1)
    out = xp.zeros((flat.size, n), dtype=dtype or xp.int64)
    out[xp.arange(flat.size), flat] = 1
    return tl.backend.from_array(out if flat_shape else out.reshape(*a.shape, n))


def one_hot_float(labels, num_classes=-1):
    return _xp_one_hot(labels, _checked(labels, num_classes), dtype=np.float32)


def one_hot_flat(labels, num_classes=-1):
    return _xp_one_hot(labels, _checked(labels, num_classes), flat_shape=True)


def one_hot_ignores_num_classes(labels, num_classes=-1):
    _checked(labels, num_classes)
    return _xp_one_hot(labels, None, infer=lambda a: int(a.max()) + 1)


def one_hot_off_by_one(labels, num_classes=-1):
    if num_classes == -1:
        return _xp_one_hot(labels, None, infer=lambda a: int(a.max()))
    return _xp_one_hot(labels, _checked(labels, num_classes))


def one_hot_no_value_checks(labels, num_classes=-1):
    a = tl.backend.array_of(labels)
    if num_classes == -1:
        num_classes = int(a.max()) + 1
    xp = tl.backend.array_module(a)
    out = xp.zeros((a.size, num_classes), dtype=xp.int64)
    flat = a.reshape(-1)
    keep = (flat >= 0) & (flat < num_classes)
    out[xp.arange(a.size)[keep], flat[keep]] = 1
    return tl.backend.from_array(out.reshape(*a.shape, num_classes))


def one_hot_no_dtype_check(labels, num_classes=-1):
    a = tl.backend.array_of(labels)
    xp = tl.backend.array_module(a)
    if a.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    n = int(a.max()) + 1 if num_classes == -1 else num_classes
    if a.max() >= n:
        raise RuntimeError("Class values must be smaller than num_classes.")
    out = xp.zeros((a.size, n), dtype=xp.int64)
    out[xp.arange(a.size), a.reshape(-1)] = 1  # float indices: NumPy's IndexError, not torch's message
    return tl.backend.from_array(out.reshape(*a.shape, n))


def one_hot_returns_array(labels, num_classes=-1):
    return tl.backend.array_of(_xp_one_hot(labels, _checked(labels, num_classes)))


def one_hot_library(labels, num_classes=-1):
    return tl.nn.functional.one_hot(labels, num_classes)


def one_hot_tensor_level(labels, num_classes=-1):  # device-generic, but not written against the array module
    n = _checked(labels, num_classes)
    out = tl.zeros(labels.numel(), n, dtype=tl.int64, device=labels.device)
    return out.scatter_(1, labels.reshape(-1, 1), 1).reshape(*labels.shape, n)


def one_hot_host_then_copy(labels, num_classes=-1):  # computed on the host, copied to the device afterwards
    n = _checked(labels, num_classes)
    a = np.asarray(tl.backend.array_of(labels))
    out = (a[..., None] == np.arange(n)).astype(np.int64)
    return tl.tensor(out, device=labels.device)


def test_ch5_one_hot_reference_passes():
    assert_passes("ch5.one_hot", _copy(get_exercise("ch5.one_hot").reference))


def test_ch5_one_hot_stub_fails():
    text = assert_fails("ch5.one_hot", stub, "not implemented yet: replace `raise NotImplementedError()`")
    assert "✓" not in text


@pytest.mark.parametrize(("fn", "hint"), [
    (one_hot_library, "asks you to write one_hot yourself; don't call tl.nn.functional.one_hot"),
    (one_hot_tensor_level, "don't call tl.zeros"),
    (one_hot_host_then_copy, "don't call tl.tensor"),
])
def test_ch5_one_hot_library_call_fails(fn, hint):
    assert_fails("ch5.one_hot", fn, hint)


@pytest.mark.parametrize(("fn", "hints"), [
    (one_hot_numpy, ["item 0: expected the string 'cuda:0', got the string 'cpu'", "the result was made in host memory",
                     "tl.backend.array_module_of(labels)"]),
    (one_hot_module_of_tensor, ["expected the string 'cuda:0', got the string 'cpu'",
                                "tl.backend.array_module_of(labels)"]),
    (one_hot_numpy_arange, ["got TypeError: a NumPy (host) array met GPU memory in np.equal",
                            "Make it with xp.arange"]),
    (one_hot_broadcast_keeps_layout, ["strides: expected (8, 4, 1), got (4, 8, 1)", "new row-major memory"]),
    (one_hot_float, ["dtype: expected tl.int64, got tl.float32", "one_hot returns int64"]),
    (one_hot_flat, ["shape: expected (2, 2, 3), got (4, 3)", "labels.shape + (num_classes,)"]),
    (one_hot_ignores_num_classes, ["shape: expected (3, 5), got (3, 3)", "num_classes was given: use it"]),
    (one_hot_off_by_one, ["got IndexError: index 2 is out of bounds", "there are max + 1 of them"]),
    (one_hot_no_value_checks, ["expected RuntimeError: Class values must be non-negative.",
                               "Class values must be smaller than num_classes.')"]),
    (one_hot_no_dtype_check, ["expected RuntimeError: one_hot is only applicable to index tensor of type LongTensor.",
                              "only int64 labels are accepted"]),
    (one_hot_returns_array, ["item 0: expected the string 'cpu', got None", "tl.backend.from_array(out)"]),
])
def test_ch5_one_hot_wrong_solution_fails(fn, hints):
    assert_fails("ch5.one_hot", fn, *hints)


def test_ch5_one_hot_strictness_is_only_inside_the_check():
    """The simulated GPU refuses host arrays only while a learner's function runs in a check."""
    a = tl.backend.array_of(tl.tensor([0, 1], device="cuda"))
    assert type(a == np.arange(2)) is tl.backend.SimulatedCudaArray


# ====================================================================== ch5.benchmark
def _sync():
    tl.cuda.synchronize()


def benchmark_no_sync(fn, *, warmup=2, repeat=5, timer=time.perf_counter):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = timer()
        fn()
        times.append(timer() - start)
    return statistics.median(times)


def benchmark_sync_after_only(fn, *, warmup=2, repeat=5, timer=time.perf_counter):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = timer()
        fn()
        _sync()
        times.append(timer() - start)
    return statistics.median(times)


def benchmark_no_warmup(fn, *, warmup=2, repeat=5, timer=time.perf_counter):
    times = []
    for _ in range(repeat):
        _sync()
        start = timer()
        fn()
        _sync()
        times.append(timer() - start)
    return statistics.median(times)


def benchmark_mean(fn, *, warmup=2, repeat=5, timer=time.perf_counter):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        _sync()
        start = timer()
        fn()
        _sync()
        times.append(timer() - start)
    return sum(times) / len(times)


def benchmark_mean_with_compile(fn, *, warmup=2, repeat=5, timer=time.perf_counter):
    times = []
    for _ in range(warmup + repeat):  # the warm-up calls timed and averaged in
        _sync()
        start = timer()
        fn()
        _sync()
        times.append(timer() - start)
    return statistics.fmean(times)


def benchmark_block(fn, *, warmup=2, repeat=5, timer=time.perf_counter):
    for _ in range(warmup):
        fn()
    _sync()
    start = timer()
    for _ in range(repeat):
        fn()
    _sync()
    return (timer() - start) / repeat


def benchmark_milliseconds(fn, *, warmup=2, repeat=5, timer=time.perf_counter):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        _sync()
        start = timer()
        fn()
        _sync()
        times.append((timer() - start) * 1000)
    return statistics.median(times)


def benchmark_real_clock(fn, *, warmup=2, repeat=5, timer=time.perf_counter):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        _sync()
        start = time.perf_counter()
        fn()
        _sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def benchmark_returns_times(fn, *, warmup=2, repeat=5, timer=time.perf_counter):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        _sync()
        start = timer()
        fn()
        _sync()
        times.append(timer() - start)
    return times


def benchmark_library(fn, *, warmup=2, repeat=5, timer=time.perf_counter):
    return tl.utils.benchmark.measure(fn, warmup=warmup, repeat=repeat).median


def test_ch5_benchmark_reference_passes():
    assert_passes("ch5.benchmark", _copy(get_exercise("ch5.benchmark").reference))


def test_ch5_benchmark_stub_fails():
    assert_fails("ch5.benchmark", stub, "not implemented yet")


def test_ch5_benchmark_library_call_fails():
    assert_fails("ch5.benchmark", benchmark_library, "don't call tl.utils.benchmark.measure")


@pytest.mark.parametrize(("fn", "hints"), [
    (benchmark_no_sync, ["expected 0.00202, got 2e-05", "you timed the launch, not the work"]),
    (benchmark_sync_after_only, ["synchronize before starting the clock too"]),
    (benchmark_no_warmup, ["expected 0.00202, got 0.25202", "your time includes it: warm up first"]),
    (benchmark_mean, ["return the median of the runs, not the mean"]),
    (benchmark_mean_with_compile, ["the first call compiles the kernel (CuPy: ~0.3–0.7 s) and your time includes it"]),
    (benchmark_block, ["time each call on its own"]),
    (benchmark_milliseconds, ["return seconds"]),
    (benchmark_real_clock, ["RuntimeError: benchmark never called timer()",
                            "read the clock with the timer you are given"]),
    (benchmark_returns_times, ["expected a float (0.00202), got a list of 5 items", "return one number"]),
])
def test_ch5_benchmark_wrong_solution_fails(fn, hints):
    assert_fails("ch5.benchmark", fn, *hints)


def test_ch5_pretend_gpu_waits_only_when_told():
    gpu = PretendGPU(kernel_ms=2.0, launch_us=20.0, compile_ms=100.0)
    gpu.work()
    assert gpu.clock() == pytest.approx(0.10002)  # compile + launch: the kernel is still running
    tl.cuda.synchronize()
    assert gpu.clock() == pytest.approx(0.10202)  # now the host has waited for it
    kinds = [kind for kind, _, _ in gpu.events]
    assert kinds == ["compile", "launch", "kernel", "clock", "wait", "clock"]


# ====================================================================== ch5.train_on
def _loop(device, model, batches, lr, *, move_model=True, move_batch=True, keep_moved=True, params=None,
          item=True, optimizer_in_loop=False):
    if move_model:
        model.to(device)
    make = lambda: tl.optim.SGD(params(model) if params else model.parameters(), lr=lr, momentum=0.9)  # noqa: E731
    optimizer = make()
    losses = []
    for x, y in batches:
        if move_batch:
            if keep_moved:
                x, y = x.to(device), y.to(device)
            else:
                x.to(device)  # the classic slip: Tensor.to returns a copy, x stays where it was
                y.to(device)
        if optimizer_in_loop:
            optimizer = make()
        optimizer.zero_grad()
        loss = tl.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item() if item else loss)
    return losses


def train_on_batch_not_moved(device, model, batches, lr=0.1):
    return _loop(device, model, batches, lr, move_batch=False)


def train_on_to_not_kept(device, model, batches, lr=0.1):
    return _loop(device, model, batches, lr, keep_moved=False)


def train_on_model_not_moved(device, model, batches, lr=0.1):
    return _loop(device, model, batches, lr, move_model=False)


def train_on_optimizer_over_copies(device, model, batches, lr=0.1):
    return _loop(device, model, batches, lr, move_model=False,
                 params=lambda m: [p.to(device) for p in m.parameters()])


def train_on_loss_tensors(device, model, batches, lr=0.1):
    return _loop(device, model, batches, lr, item=False)


def train_on_copy_of_model(device, model, batches, lr=0.1):
    return _loop(device, copy.deepcopy(model), batches, lr)


def train_on_optimizer_in_loop(device, model, batches, lr=0.1):
    return _loop(device, model, batches, lr, optimizer_in_loop=True)


def train_on_model_back_to_cpu(device, model, batches, lr=0.1):
    losses = _loop(device, model, batches, lr)
    model.cpu()  # "tidy up": the caller expected the model on device
    return losses


def train_on_move_after_optimizer(device, model, batches, lr=0.1):
    """Correct: Module.to moves the parameters in place, so an optimizer built before still holds them."""
    optimizer = tl.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    model = model.to(device)
    losses = []
    for x, y in batches:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = tl.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def test_ch5_train_on_reference_passes():
    assert_passes("ch5.train_on", _copy(get_exercise("ch5.train_on").reference))


def test_ch5_train_on_moving_the_model_after_building_the_optimizer_passes():
    assert_passes("ch5.train_on", train_on_move_after_optimizer)


def test_ch5_train_on_stub_fails():
    assert_fails("ch5.train_on", stub, "not implemented yet")


@pytest.mark.parametrize(("fn", "hints"), [
    (train_on_batch_not_moved, ["Expected all tensors to be on the same device, but found at least two devices",
                                "move each batch to the device before the forward pass"]),
    (train_on_to_not_kept, ["Tensor.to returns a new tensor on device and leaves x where it was"]),
    (train_on_model_not_moved, ["Expected all tensors to be on the same device", "move the model: model.to(device)"]),
    (train_on_optimizer_over_copies, ["can't optimize a non-leaf Tensor", "p.to(device) is a copy"]),
    (train_on_loss_tensors, ["return Python floats: loss.item()"]),
    (train_on_copy_of_model, ["train the model you were given"]),
    (train_on_optimizer_in_loop, ["build the optimizer once, before the loop"]),
    (train_on_model_back_to_cpu, ["item 3: item 0: expected the string 'cuda:0', got the string 'cpu'",
                                  "and leave it there"]),
])
def test_ch5_train_on_wrong_solution_fails(fn, hints):
    assert_fails("ch5.train_on", fn, *hints)
