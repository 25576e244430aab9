"""Chapter 5 (GPU): what code asks of a GPU — kernel launches and host reads — counted on the simulated device.

A training step that reads a value back from the GPU makes the CPU wait for all the work
queued before it. ``tl.utils.device_work.count()`` sees every launch and every read on
the simulated device, so these tests keep the library's training step free of reads
(and its launch count in check) on any machine, GPU or not.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_lessons as tl
import tinygrad_lessons.nn as nn
import tinygrad_lessons.nn.functional as F
from tinygrad_lessons import backend
from tinygrad_lessons.utils import device_work


@pytest.fixture
def simulated():
    """The simulated CUDA device for one test (also on a machine with a real GPU: only it can be counted)."""
    was = backend.simulating()
    backend.simulate_cuda(True)
    yield tl.device("cuda")
    backend.simulate_cuda(was)


def test_ch5_count_needs_the_simulated_device():
    was = backend.simulating()
    backend.simulate_cuda(False)
    try:
        with pytest.raises(RuntimeError, match="simulate_cuda"):
            with device_work.count():
                pass
    finally:
        backend.simulate_cuda(was)


def test_ch5_count_sees_launches_and_reads(simulated):
    a, b = tl.ones(10, device="cuda"), tl.arange(10.0, device="cuda")
    with device_work.count() as work:
        c = a + b
    assert (work.kernels, work.host_reads) == (1, 0)
    with device_work.count() as work:
        total = (c * 2).sum().item()  # two kernels, then the one read that waits for them
    assert (work.kernels, work.host_reads, total) == (2, 1, 110.0)
    with device_work.count() as work:
        c.view(2, 5).t()[0]  # views launch nothing
        tl.empty(100, device="cuda")  # nor does memory nobody has written yet
    assert (work.kernels, work.host_reads) == (0, 0)
    for reading in (lambda: c.cpu(), lambda: bool((c > 3).any()), lambda: c.tolist(), lambda: float(c.max()),
                    lambda: c[tl.tensor([1, 3], device="cuda")]):  # (index bounds are checked, as torch does)
        with device_work.count() as work:
            reading()
        assert work.host_reads == 1, reading
    with device_work.count() as work:
        c[c > 3]  # the result's size is the number of True values: counted, then read
    assert work.host_reads == 2  # ...and the positions found are checked against the bounds


def test_ch5_count_names_the_line_that_reads(simulated):
    x = tl.ones(4, device="cuda")
    with device_work.count(detail=True) as work:
        x.sum().item()
    reads = [where for what, where in work.events if what.startswith("host read")]
    assert len(reads) == 1 and reads[0].startswith("tensor.py:"), work.events


def test_ch5_count_leaves_the_device_as_it_was(simulated):
    x = tl.ones(3, device="cuda")
    with pytest.raises(RuntimeError, match="nest"):
        with device_work.count():
            with device_work.count():
                pass
    assert "__array_ufunc__" not in backend.SimulatedCudaArray.__dict__
    assert backend.call_hook is None
    assert (x + x).tolist() == [2.0, 2.0, 2.0]


def _mlp_step(device, optimizer):
    tl.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 4)).to(device)
    opt = optimizer(model.parameters())
    loss_fn = nn.CrossEntropyLoss()
    x = tl.randn(16, 20, device=device)
    y = tl.randint(0, 4, (16,), device=device)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


@pytest.mark.parametrize("optimizer", [lambda p: tl.optim.SGD(p, lr=0.1), lambda p: tl.optim.Adam(p, lr=1e-3),
                                       lambda p: tl.optim.SGD(p, lr=0.1, momentum=0.9)],
                         ids=["SGD", "Adam", "SGD-momentum"])
def test_ch5_a_training_step_never_waits_for_the_gpu(simulated, optimizer):
    step = _mlp_step("cuda", optimizer)
    step()  # the first step makes the optimizer's state
    with device_work.count(detail=True) as work:
        step()
    assert work.host_reads == 0, [event for event in work.events if event[0].startswith("host read")]


def test_ch5_the_sgd_training_step_launches_few_kernels(simulated):
    """The MLP step of bench/gpu_bench.py written by hand in CuPy launches 46 kernels; ours 55 (it also
    handles ignore_index and bad classes without reading back, which the hand-written one skips).

    Each launch costs the CPU several microseconds on a real GPU, so this count is what the
    GPU benchmark's ratio to torch mostly depends on (``python bench/gpu_bench.py --count``).
    """
    step = _mlp_step("cuda", lambda p: tl.optim.SGD(p, lr=0.1))
    step()
    with device_work.count(detail=True) as work:
        step()
    assert work.kernels <= 55, "\n".join(f"{what:28} {where}" for what, where in work.events)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("kwargs", [{}, {"ignore_index": 2}, {"weight": [1.0, 2.0, 0.5, 1.0]},
                                    {"label_smoothing": 0.2, "ignore_index": 0}])
def test_ch5_cross_entropy_on_the_gpu_matches_torch_without_reading_back(simulated, reduction, kwargs):
    logits = np.random.default_rng(0).standard_normal((6, 4)).astype(np.float32)
    target = np.array([0, 2, 1, 2, 3, kwargs.get("ignore_index", -100)])
    ours_kwargs = {k: tl.tensor(v, device="cuda") if isinstance(v, list) else v for k, v in kwargs.items()}
    theirs_kwargs = {k: torch.tensor(v) if isinstance(v, list) else v for k, v in kwargs.items()}
    x = tl.tensor(logits, device="cuda", requires_grad=True)
    tx = torch.tensor(logits, requires_grad=True)
    with device_work.count() as work:
        loss = F.cross_entropy(x, tl.tensor(target, device="cuda"), reduction=reduction, **ours_kwargs)
        loss.sum().backward()
    expected = TF.cross_entropy(tx, torch.tensor(target), reduction=reduction, **theirs_kwargs)
    expected.sum().backward()
    assert work.host_reads == 0
    np.testing.assert_allclose(loss.detach().cpu().numpy(), expected.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(x.grad.cpu().numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("loss_fn", [F.cross_entropy, lambda x, t, **k: F.nll_loss(F.log_softmax(x, 1), t, **k)],
                         ids=["cross_entropy", "nll_loss"])
def test_ch5_bad_targets_on_the_gpu(simulated, loss_fn):
    x = tl.zeros(3, 4, device="cuda", requires_grad=True)
    # every row ignored: torch's NaN loss and zero gradient
    loss = loss_fn(x, tl.tensor([-100, -100, -100], device="cuda"))
    loss.backward()
    assert math.isnan(loss.item()) and x.grad.abs().sum().item() == 0
    # a class out of range (above, below, below ignore_index, or at ignore_index + 1): a NaN loss, not a wrong number
    for bad in ([0, 4, 1], [0, -1, 1], [0, -101, 1], [0, 11, 1]):
        x.grad = None
        for kwargs in ({}, {"ignore_index": 10}, {"ignore_index": 1}):
            loss = loss_fn(x, tl.tensor(bad, device="cuda"), **kwargs)
            assert math.isnan(loss.item()), (bad, kwargs)
    # ...while ignore_index above the classes still works, also far from them
    for ignore_index in (10, 10**9, -(10**9)):
        loss = loss_fn(x, tl.tensor([0, ignore_index, 1], device="cuda"), ignore_index=ignore_index)
        assert loss.item() == pytest.approx(math.log(4))
        for bad in (-1, 4, 10**9 - 1, -(10**9) + 1):
            assert math.isnan(loss_fn(x, tl.tensor([0, bad, 1], device="cuda"), ignore_index=ignore_index).item())


@given(targets=st.lists(st.integers(-4, 6) | st.sampled_from([-100, 50]), min_size=1, max_size=8),
       ignore_index=st.sampled_from([-100, -1, 0, 2, 5, 50, 10**6]),
       reduction=st.sampled_from(["mean", "sum", "none"]))
def test_ch5_cross_entropy_targets_on_the_gpu_match_torch_or_give_nan(targets, ignore_index, reduction):
    """Any class-index target on the GPU: torch's loss and gradient where torch's CPU gives one,
    a NaN where torch raises (a class out of range)."""
    was = backend.simulating()
    backend.simulate_cuda(True)
    try:
        logits = np.linspace(-1, 1, len(targets) * 5, dtype=np.float32).reshape(len(targets), 5)
        x = tl.tensor(logits, device="cuda", requires_grad=True)
        loss = F.cross_entropy(x, tl.tensor(targets, device="cuda"), ignore_index=ignore_index, reduction=reduction)
        tx = torch.tensor(logits, requires_grad=True)
        try:
            expected = TF.cross_entropy(tx, torch.tensor(targets), ignore_index=ignore_index, reduction=reduction)
        except IndexError:  # a class out of range: torch's CPU raises, the GPU gives NaN for that row
            values = loss.detach().cpu().numpy()
            assert np.isnan(values).any() if reduction == "none" else np.isnan(values)
            return
        loss.sum().backward()
        expected.sum().backward()
        np.testing.assert_allclose(loss.detach().cpu().numpy(), expected.detach().numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(x.grad.cpu().numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)
    finally:
        backend.simulate_cuda(was)


def _layouts(xp):
    base = xp.arange(24.0).reshape(4, 6)
    return [base, base.T, base[:, ::2], base[1:3], base.reshape(2, 3, 4).transpose(1, 0, 2), xp.empty((0, 3))]


def test_ch5_c_contiguous_is_flags_c_contiguous(simulated):
    for xp in (np, backend.simulated):
        for array in _layouts(xp):
            assert backend.c_contiguous(array) is bool(array.flags.c_contiguous)


@pytest.mark.skipif(not backend.real_gpu_available(), reason="needs a real NVIDIA GPU with CuPy (none found on this "
                                                              "machine)")
def test_ch5_c_contiguous_on_cupy_arrays_is_flags_c_contiguous():
    """CuPy's ``_c_contiguous`` (read instead of building a Flags object) says what ``.flags`` says."""
    for array in _layouts(backend.cupy):
        assert backend.c_contiguous(array) == array.flags.c_contiguous
