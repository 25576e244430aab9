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


def test_ch5_count_sees_indexing_as_cupy_launches_it(simulated):
    """CuPy's indexing code (cupy/_core/_routines_indexing.pyx): one index array is one take or scatter;
    two (``a[rows, cols]``) are a fill, one kernel per array and the take; a mask is counted, then read."""
    xp = backend.simulated
    a = xp.zeros((4, 3), dtype=np.float32)
    rows, cols, mask = xp.arange(4), xp.asarray([0, 2, 1, 0]), xp.asarray([True, False, True, True])
    cases = [(lambda: a[1:, ::2], 0, 0), (lambda: a[rows], 1, 0), (lambda: a[rows, cols], 4, 0),
             (lambda: a.reshape(-1)[rows * 3 + cols], 3, 0), (lambda: a[mask], 2, 1)]

    def subtract_at_pairs():
        a[rows, cols] -= 1  # read the four entries, subtract, write them back

    def assign_at_rows():
        a[rows] = 0.5  # (a Python number is copied to the GPU first)

    def assign_through_mask():
        a[mask] = a[mask] * 2

    cases += [(subtract_at_pairs, 9, 0), (assign_at_rows, 2, 0), (assign_through_mask, 5, 2),
              (lambda: a.__setitem__(slice(None), 0), 1, 0),
              (lambda: xp.add.at(a, (rows, cols), 1.0), 5, 0),  # a fill, 2 index kernels, the scatter, the 1.0
              (lambda: xp.add.at(a, rows, xp.ones(3, dtype=np.float32)), 2, 0)]  # (the ones are one fill)
    for run, kernels, reads in cases:
        with device_work.count() as work:
            run()
        assert (work.kernels, work.host_reads) == (kernels, reads), run


def test_ch5_counting_changes_no_result(simulated):
    a = tl.arange(6.0, device="cuda")
    memory = a._data
    with device_work.count() as work:
        a += 1  # in place: the same array object afterwards, as without counting
        a.mul_(2)
        b = a.reshape(2, 3).sum(1)
    assert a._data is memory and type(memory) is backend.SimulatedCudaArray
    assert a.tolist() == [2.0, 4.0, 6.0, 8.0, 10.0, 12.0] and b.tolist() == [12.0, 30.0]
    assert (work.kernels, work.host_reads) == (3, 0)
    with device_work.count():
        array = before = backend.simulated.ones(3)
        array -= 0.5 * array  # what SGD does to a parameter's array
    assert array is before and array.tolist() == [0.5, 0.5, 0.5]


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
    """The MLP step of bench/gpu_bench.py written by hand in CuPy launches 55 kernels; ours no more,
    although it also handles ignore_index and bad classes without reading back, which the hand-written
    one skips (its ``p[rows, y]`` and ``g[rows, y] -= 1`` cost 13 launches; our loss reaches the targets
    through one flat index array instead).

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


# ====================================================================== every piece of a training step, counted
def _reads(work) -> str:
    """The host reads of a detailed count, one line each with the library line that made it."""
    return "\n".join(f"{what:32} {where}" for what, where in work.events if what.startswith("host read"))


def _classes():
    return tl.tensor([0, 2, 1, 2, 0], device="cuda")


class _Functional(nn.Module):
    """A model written with ``F.*`` alone (the way chapter 6 first writes one), with a loss made of all three."""

    def __init__(self):
        super().__init__()
        self.hidden, self.out = nn.Linear(4, 6), nn.Linear(6, 3)

    def forward(self, x):
        h = F.dropout(F.relu(F.linear(x, self.hidden.weight, self.hidden.bias)), 0.2, training=self.training)
        return F.linear(F.tanh(h) + F.sigmoid(h), self.out.weight, self.out.bias)

    @staticmethod
    def loss(out, y):
        return (F.cross_entropy(out, y) + F.nll_loss(F.log_softmax(out, 1), y)
                + F.mse_loss(F.softmax(out, 1), F.one_hot(y, 3).float()))


class _Stack(nn.Module):
    """Linear layers kept in a ModuleList, run in a loop."""

    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(4, 6), nn.Linear(6, 3)])

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = F.relu(layer(x))
        return self.layers[-1](x)


def _mlp(*middle):
    return nn.Sequential(nn.Linear(4, 6), *middle, nn.Linear(6, 3))


def _spatial_cross_entropy(out, y):
    """(N, C, d) logits: the (5, 6) output seen as (5, 3, 2), two targets per example."""
    return nn.CrossEntropyLoss()(out.reshape(5, 3, 2), tl.stack([y, y.flip(0)], 1))


# id -> () -> (model, loss(output, classes), input shape): built inside the test, on the simulated GPU
_MODEL_CASES = {
    "ReLU": lambda: (_mlp(nn.ReLU()), nn.CrossEntropyLoss(), (5, 4)),
    "ReLU-inplace": lambda: (_mlp(nn.ReLU(inplace=True)), nn.CrossEntropyLoss(), (5, 4)),
    "Sigmoid-Tanh": lambda: (_mlp(nn.Sigmoid(), nn.Linear(6, 6), nn.Tanh()), nn.CrossEntropyLoss(), (5, 4)),
    "Identity": lambda: (_mlp(nn.Identity()), nn.CrossEntropyLoss(), (5, 4)),
    "Softmax-MSELoss-one_hot": lambda: (_mlp(nn.ReLU(), nn.Linear(6, 6), nn.Softmax(dim=1)),
                                        lambda out, y: nn.MSELoss()(out[:, :3], F.one_hot(y, 3).float()), (5, 4)),
    "LogSoftmax-NLLLoss": lambda: (nn.Sequential(_mlp(nn.ReLU()), nn.LogSoftmax(dim=1)), nn.NLLLoss(), (5, 4)),
    "NLLLoss-weight-ignore_index": lambda: (
        nn.Sequential(_mlp(nn.ReLU()), nn.LogSoftmax(dim=1)),
        nn.NLLLoss(weight=tl.tensor([1.0, 2.0, 0.5], device="cuda"), ignore_index=2), (5, 4)),
    "NLLLoss-none": lambda: (nn.Sequential(_mlp(nn.ReLU()), nn.LogSoftmax(dim=1)),
                             lambda out, y: nn.NLLLoss(reduction="none")(out, y).sum(), (5, 4)),
    "Dropout": lambda: (_mlp(nn.ReLU(), nn.Dropout(0.5)), nn.CrossEntropyLoss(), (5, 4)),
    "Dropout-inplace": lambda: (_mlp(nn.ReLU(), nn.Dropout(0.3, inplace=True)), nn.CrossEntropyLoss(), (5, 4)),
    "Dropout-p1": lambda: (_mlp(nn.ReLU(), nn.Dropout(1.0)), nn.CrossEntropyLoss(), (5, 4)),
    "Dropout-eval": lambda: (_mlp(nn.ReLU(), nn.Dropout(0.5)).eval(), nn.CrossEntropyLoss(), (5, 4)),
    "Flatten": lambda: (nn.Sequential(nn.Flatten(), _mlp(nn.ReLU())), nn.CrossEntropyLoss(), (5, 2, 2)),
    "ModuleList": lambda: (_Stack(), nn.CrossEntropyLoss(), (5, 4)),
    "float64": lambda: (_mlp(nn.Tanh()).double(), nn.CrossEntropyLoss(), (5, 4)),
    "float16": lambda: (_mlp(nn.ReLU(), nn.Dropout(0.2)).half(), nn.CrossEntropyLoss(label_smoothing=0.1), (5, 4)),
    "CrossEntropyLoss-weight": lambda: (
        _mlp(nn.ReLU()), nn.CrossEntropyLoss(weight=tl.tensor([1.0, 2.0, 0.5], device="cuda")), (5, 4)),
    "CrossEntropyLoss-label_smoothing": lambda: (_mlp(nn.ReLU()), nn.CrossEntropyLoss(label_smoothing=0.1), (5, 4)),
    "CrossEntropyLoss-ignore_index": lambda: (_mlp(nn.ReLU()), nn.CrossEntropyLoss(ignore_index=2), (5, 4)),
    "CrossEntropyLoss-all-options": lambda: (
        _mlp(nn.ReLU()), nn.CrossEntropyLoss(weight=tl.tensor([1.0, 2.0, 0.5], device="cuda"), ignore_index=0,
                                             label_smoothing=0.2, reduction="sum"), (5, 4)),
    "CrossEntropyLoss-none": lambda: (
        _mlp(nn.ReLU()), lambda out, y: nn.CrossEntropyLoss(reduction="none")(out, y).mean(), (5, 4)),
    "CrossEntropyLoss-probabilities": lambda: (
        _mlp(nn.ReLU()), lambda out, y: nn.CrossEntropyLoss(label_smoothing=0.1)(out, F.softmax(out.detach(), 1)),
        (5, 4)),
    "CrossEntropyLoss-spatial": lambda: (nn.Sequential(nn.Linear(4, 6)), _spatial_cross_entropy, (5, 4)),
    "MSELoss": lambda: (_mlp(nn.ReLU()), lambda out, y: nn.MSELoss()(out, tl.ones(5, 3, device="cuda")), (5, 4)),
    "MSELoss-sum": lambda: (
        _mlp(nn.ReLU()), lambda out, y: nn.MSELoss(reduction="sum")(out, tl.ones(5, 3, device="cuda")), (5, 4)),
    "MSELoss-none": lambda: (
        _mlp(nn.ReLU()), lambda out, y: nn.MSELoss(reduction="none")(out, tl.ones(3, device="cuda")).sum(), (5, 4)),
    "F-functions": lambda: (_Functional(), _Functional.loss, (5, 4)),
}

_OPTIMIZER_CASES = {
    "SGD": lambda p: tl.optim.SGD(p, lr=0.1),
    "SGD-momentum": lambda p: tl.optim.SGD(p, lr=0.1, momentum=0.9),
    "SGD-dampening": lambda p: tl.optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.5),
    "SGD-nesterov": lambda p: tl.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    "SGD-weight_decay": lambda p: tl.optim.SGD(p, lr=0.1, weight_decay=1e-2),
    "SGD-maximize": lambda p: tl.optim.SGD(p, lr=0.1, maximize=True),
    "SGD-all-options": lambda p: tl.optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, weight_decay=1e-2,
                                              maximize=True),
    "SGD-nesterov-weight_decay-maximize": lambda p: tl.optim.SGD(p, lr=0.1, momentum=0.5, nesterov=True,
                                                                 weight_decay=1e-2, maximize=True),
    "Adam": lambda p: tl.optim.Adam(p, lr=1e-3),
    "Adam-weight_decay": lambda p: tl.optim.Adam(p, lr=1e-3, weight_decay=1e-2),
    "Adam-amsgrad": lambda p: tl.optim.Adam(p, lr=1e-3, amsgrad=True),
    "Adam-maximize": lambda p: tl.optim.Adam(p, lr=1e-3, maximize=True),
    "Adam-all-options": lambda p: tl.optim.Adam(p, lr=1e-2, betas=(0.8, 0.99), eps=1e-6, weight_decay=1e-2,
                                                amsgrad=True, maximize=True),
    "AdamW": lambda p: tl.optim.AdamW(p, lr=1e-3),
    "AdamW-amsgrad-maximize": lambda p: tl.optim.AdamW(p, lr=1e-3, weight_decay=0.1, amsgrad=True, maximize=True),
    "param-groups": lambda p: tl.optim.SGD([{"params": p[:2], "lr": 0.01}, {"params": p[2:]}], lr=0.1,
                                           momentum=0.9),
    "Adam-param-groups": lambda p: tl.optim.Adam([{"params": p[:2], "weight_decay": 0.1}, {"params": p[2:]}]),
}


def _zero_grad(model, opt, how: str) -> None:
    {"optimizer": lambda: opt.zero_grad(), "optimizer-keep": lambda: opt.zero_grad(set_to_none=False),
     "model": lambda: model.zero_grad(), "model-keep": lambda: model.zero_grad(set_to_none=False)}[how]()


def _counted_step(model, loss_fn, x, y, opt, zero_grad: str = "optimizer", closure: bool = False):
    """One warm-up step (it makes the optimizer's state), then one counted step: zero_grad, forward, loss,
    backward, optimizer.step. ``closure=True`` passes the forward and backward to ``step(closure)``."""

    def forward_backward():
        _zero_grad(model, opt, zero_grad)
        loss = loss_fn(model(x), y)
        loss.backward()
        return loss

    def step():
        model.train(model.training)  # a loop's `model.train()` (or `.eval()`) at the top of each step
        if closure:
            return opt.step(forward_backward)
        loss = forward_backward()
        opt.step()
        return loss

    step()
    with device_work.count(detail=True) as work:
        loss = step()
    return work, loss


@pytest.mark.filterwarnings("ignore:Using a target size")  # (MSELoss-none broadcasts its target on purpose)
@pytest.mark.parametrize("case", list(_MODEL_CASES))
def test_ch5_every_module_and_loss_trains_without_waiting_for_the_gpu(simulated, case):
    tl.manual_seed(0)
    model, loss_fn, x_shape = _MODEL_CASES[case]()
    model.to("cuda")
    opt = tl.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = tl.randn(*x_shape, device="cuda", dtype=next(model.parameters()).dtype)
    work, loss = _counted_step(model, loss_fn, x, _classes(), opt)
    assert work.host_reads == 0, f"{case}: the training step read back from the GPU:\n{_reads(work)}"
    assert math.isfinite(loss.item())  # (read after the count: a real loss, not a NaN from a wrong target)


@pytest.mark.parametrize("case", list(_OPTIMIZER_CASES))
def test_ch5_every_optimizer_steps_without_waiting_for_the_gpu(simulated, case):
    tl.manual_seed(0)
    model = _mlp(nn.ReLU(), nn.Dropout(0.1)).to("cuda")
    opt = _OPTIMIZER_CASES[case](list(model.parameters()))
    before = [p.detach().clone() for p in model.parameters()]
    work, _ = _counted_step(model, nn.CrossEntropyLoss(), tl.randn(5, 4, device="cuda"), _classes(), opt)
    assert work.host_reads == 0, f"{case}: the training step read back from the GPU:\n{_reads(work)}"
    assert all(not tl.equal(p, b) for p, b in zip(model.parameters(), before))  # (it did update them)


@pytest.mark.parametrize("zero_grad", ["optimizer", "optimizer-keep", "model", "model-keep"])
@pytest.mark.parametrize("closure", [False, True], ids=["step()", "step(closure)"])
def test_ch5_zero_grad_and_closures_never_wait_for_the_gpu(simulated, zero_grad, closure):
    tl.manual_seed(0)
    model = _mlp(nn.ReLU()).to("cuda")
    model[0].bias.requires_grad_(False)  # a frozen parameter: no gradient, skipped by the optimizer
    opt = tl.optim.Adam(model.parameters(), lr=1e-2)
    work, loss = _counted_step(model, nn.CrossEntropyLoss(), tl.randn(5, 4, device="cuda"), _classes(), opt,
                               zero_grad=zero_grad, closure=closure)
    assert work.host_reads == 0, f"{zero_grad}, closure={closure}: the step read back:\n{_reads(work)}"
    assert loss is not None and loss.grad_fn is not None


def test_ch5_one_hot_on_the_gpu_reads_only_to_infer_num_classes(simulated):
    """``F.one_hot(y, n)`` makes MSE targets inside a training step: on a GPU it reads nothing back, as
    torch's CUDA one_hot; only ``num_classes=-1`` reads (the result's shape is the largest label + 1)."""
    labels = np.array([[0, 2], [1, 2]])
    y = tl.tensor(labels, device="cuda")
    with device_work.count(detail=True) as work:
        out = F.one_hot(y, 4)
    assert work.host_reads == 0, _reads(work)
    assert out.device == tl.device("cuda", 0) and out.dtype is tl.int64
    np.testing.assert_array_equal(out.cpu().numpy(), TF.one_hot(torch.tensor(labels), 4).numpy())
    with device_work.count() as work:
        out = F.one_hot(y)
    assert work.host_reads == 1 and tuple(out.shape) == (2, 2, 3)
    np.testing.assert_array_equal(out.cpu().numpy(), TF.one_hot(torch.tensor(labels)).numpy())
    # the labels are not checked on the GPU (torch's CUDA kernel asserts on the device instead): out of range,
    # a row of zeros; num_classes must be positive, torch's CUDA error; all negative is seen in the one read
    np.testing.assert_array_equal(F.one_hot(tl.tensor([1, -1, 3], device="cuda"), 3).cpu().numpy(),
                                  [[0, 1, 0], [0, 0, 0], [0, 0, 0]])
    with pytest.raises(RuntimeError, match="^num_classes should be positive$"):
        F.one_hot(y, 0)
    with pytest.raises(RuntimeError, match="^Class values must be non-negative.$"):
        F.one_hot(tl.tensor([-3, -1], device="cuda"))
    assert tuple(F.one_hot(tl.tensor([], dtype=tl.int64, device="cuda"), 3).shape) == (0, 3)
    # ...while the CPU checks the labels, with torch's errors
    with pytest.raises(RuntimeError, match="^Class values must be non-negative.$"):
        F.one_hot(tl.tensor([1, -1, 2]), 3)
    with pytest.raises(RuntimeError, match="^Class values must be smaller than num_classes.$"):
        F.one_hot(tl.tensor([1, 3]), 3)
