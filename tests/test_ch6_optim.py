"""Chapter 6 (optimizers): SGD, Adam and AdamW follow torch's trajectories step for step.

Each trajectory test starts both libraries from the same parameters and, at every step,
computes the gradient in torch from torch's current parameters (a quadratic bowl plus
noise) and copies it into our parameters' ``.grad``. After 100 steps the parameters must
still agree: to 1e-5 in float32, and to 1e-12 in float64 (where the arithmetic order is
all that can differ).
"""

from __future__ import annotations

import contextlib
import copy

import numpy as np
import pytest
import torch

import tinygrad_lessons as tl
import tinygrad_lessons.optim as optim
from tinygrad_lessons.nn import Parameter

STEPS = 100


def _make_params(dtype_np, seed=0, shapes=((5, 3), (3,), (2, 2))):
    rng = np.random.default_rng(seed)
    values = [rng.standard_normal(s).astype(dtype_np) for s in shapes]
    ours = [Parameter(tl.tensor(v)) for v in values]
    theirs = [torch.nn.Parameter(torch.tensor(v)) for v in values]
    return ours, theirs


def _gradients(theirs, step, rng_seed=1):
    """A gradient that depends on the current parameters (a bowl centred away from 0) plus noise."""
    rng = np.random.default_rng(rng_seed + step)
    grads = []
    for t in theirs:
        noise = torch.tensor(rng.standard_normal(tuple(t.shape)), dtype=t.dtype)
        grads.append((t.detach() - 0.5) * 2.0 + 0.1 * noise)
    return grads


def _run_both(ours_opt, theirs_opt, ours, theirs, steps=STEPS, skip=None):
    for step in range(steps):
        grads = _gradients(theirs, step)
        for i, (o, t, g) in enumerate(zip(ours, theirs, grads)):
            if skip is not None and i == skip:
                o.grad, t.grad = None, None
                continue
            t.grad = g.clone()
            o.grad = tl.tensor(g.numpy())
        ours_opt.step()
        theirs_opt.step()


def _assert_params_close(ours, theirs, tol):
    for o, t in zip(ours, theirs):
        assert o.dtype is {torch.float32: tl.float32, torch.float64: tl.float64}[t.dtype]
        np.testing.assert_allclose(tl.backend.to_host(o._data), t.detach().numpy(), rtol=tol, atol=tol)


CONFIGS = [
    ("SGD", {"lr": 0.05}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.002, "momentum": 0.5, "weight_decay": 0.01, "maximize": True}),
    ("Adam", {}),
    ("Adam", {"lr": 0.05}),
    ("Adam", {"lr": 0.05, "amsgrad": True}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.02, "betas": (0.3, 0.9), "eps": 1e-6, "maximize": True}),
    ("AdamW", {"lr": 0.05}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.3, "amsgrad": True}),
]


@pytest.mark.parametrize("name, kwargs", CONFIGS)
@pytest.mark.parametrize("dtype_np, tol", [(np.float32, 1e-5), (np.float64, 1e-12)])
def test_trajectory_matches_torch(name, kwargs, dtype_np, tol):
    ours, theirs = _make_params(dtype_np)
    ours_opt = getattr(optim, name)(ours, **kwargs)
    theirs_opt = getattr(torch.optim, name)(theirs, foreach=False, **kwargs)
    _run_both(ours_opt, theirs_opt, ours, theirs)
    _assert_params_close(ours, theirs, tol)


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_param_groups_and_missing_grads(name):
    """Per-group hyper-parameters apply; a parameter without .grad is skipped (and gets no state)."""
    ours, theirs = _make_params(np.float64)
    extra = {"momentum": 0.9} if name == "SGD" else {}
    ours_opt = getattr(optim, name)([{"params": ours[:2]}, {"params": ours[2:], "lr": 0.2}], lr=0.05, **extra)
    theirs_opt = getattr(torch.optim, name)([{"params": theirs[:2]}, {"params": theirs[2:], "lr": 0.2}], lr=0.05,
                                            foreach=False, **extra)
    _run_both(ours_opt, theirs_opt, ours, theirs, steps=20, skip=1)
    _assert_params_close(ours, theirs, 1e-12)
    assert ours[1] not in ours_opt.state
    assert len(ours_opt.state) == len(theirs_opt.state) == 2


def _structure(value):
    """A state dict with tensors replaced by (shape, dtype name, values) for comparison."""
    if isinstance(value, (tl.Tensor, torch.Tensor)):
        data = tl.backend.to_host(value._data) if isinstance(value, tl.Tensor) else value.detach().numpy()
        return ("tensor", tuple(value.shape), str(value.dtype).split(".")[-1], np.round(data.astype(float), 6).tolist())
    if isinstance(value, dict):
        return {k: _structure(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_structure(v) for v in value)
    return value


@pytest.mark.parametrize("name, kwargs", [("SGD", {"lr": 0.1, "momentum": 0.9}), ("SGD", {"lr": 0.1}),
                                          ("Adam", {"amsgrad": True}), ("AdamW", {})])
def test_state_dict_structure_matches_torch(name, kwargs):
    ours, theirs = _make_params(np.float32)
    ours_opt = getattr(optim, name)(ours, **kwargs)
    theirs_opt = getattr(torch.optim, name)(theirs, **kwargs)
    _run_both(ours_opt, theirs_opt, ours, theirs, steps=3)
    assert _structure(ours_opt.state_dict()) == _structure(theirs_opt.state_dict())


@pytest.mark.parametrize("name, kwargs", [("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
                                          ("Adam", {"lr": 0.05, "amsgrad": True})])
def test_state_dict_round_trip(name, kwargs):
    """Save after 10 steps, load into a fresh optimizer: the next steps are the uninterrupted ones."""
    ours, theirs = _make_params(np.float64)
    reference = getattr(torch.optim, name)(theirs, **kwargs)
    first = getattr(optim, name)(ours, **kwargs)
    _run_both(first, reference, ours, theirs, steps=10)
    saved = first.state_dict()
    resumed = getattr(optim, name)(ours, lr=123.0)  # wrong hyper-parameters: the state dict restores them
    resumed.load_state_dict(saved)
    assert resumed.param_groups[0]["lr"] == kwargs["lr"]
    assert resumed.param_groups[0]["params"][0] is ours[0]
    for step in range(10, 30):
        grads = _gradients(theirs, step)
        for o, t, g in zip(ours, theirs, grads):
            t.grad, o.grad = g.clone(), tl.tensor(g.numpy())
        resumed.step()
        reference.step()
    _assert_params_close(ours, theirs, 1e-12)


def test_load_state_dict_errors_and_casts():
    ours, _ = _make_params(np.float32)
    opt = optim.Adam(ours)
    for p in ours:
        p.grad = tl.zeros(p.shape)
    opt.step()
    saved = opt.state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.Adam([{"params": ours[:1]}, {"params": ours[1:]}]).load_state_dict(saved)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        optim.Adam(ours[:2]).load_state_dict(saved)
    doubles = [Parameter(p.detach().double()) for p in ours]
    other = optim.Adam(doubles)
    other.load_state_dict(saved)
    state = other.state[doubles[0]]
    assert state["exp_avg"].dtype is tl.float64
    assert state["step"].dtype is tl.float32  # the step counter keeps its dtype, as in torch


def test_zero_grad():
    ours, _ = _make_params(np.float32)
    opt = optim.SGD(ours, lr=0.1)
    for p in ours:
        p.grad = tl.ones(p.shape)
    grad = ours[0].grad
    opt.zero_grad(set_to_none=False)
    assert ours[0].grad is grad and not grad._data.any()
    opt.zero_grad()
    assert all(p.grad is None for p in ours)


def test_step_is_in_place_and_bumps_version():
    p = Parameter(tl.tensor([1.0, 2.0]))
    data, version = p._data, p._version
    opt = optim.SGD([p], lr=0.5)
    p.grad = tl.tensor([1.0, 1.0])
    opt.step()
    assert p._data is data
    assert p._version == version + 1
    np.testing.assert_array_equal(tl.backend.to_host(p._data), [0.5, 1.5])


def test_closure_runs_with_grad_enabled():
    p = Parameter(tl.tensor([1.0]))
    opt = optim.SGD([p], lr=0.1)

    def closure():
        assert tl.is_grad_enabled()
        p.grad = tl.tensor([2.0])
        return 7.0

    with tl.no_grad():
        assert opt.step(closure) == 7.0
    np.testing.assert_allclose(tl.backend.to_host(p._data), [0.8])


def test_repr_matches_torch():
    ours, theirs = _make_params(np.float32)
    assert repr(optim.SGD(ours, lr=0.1, momentum=0.9)) == repr(torch.optim.SGD(theirs, lr=0.1, momentum=0.9))
    ours_groups = [{"params": ours[:1]}, {"params": ours[1:], "lr": 0.5}]
    theirs_groups = [{"params": theirs[:1]}, {"params": theirs[1:], "lr": 0.5}]
    assert repr(optim.Adam(ours_groups)) == repr(torch.optim.Adam(theirs_groups))
    assert repr(optim.AdamW(ours)) == repr(torch.optim.AdamW(theirs))


def _same_error(ours_fn, theirs_fn):
    with pytest.raises(Exception) as expected:  # noqa: PT011 - whatever torch raises
        theirs_fn()
    with pytest.raises(expected.type) as got:
        ours_fn()
    assert str(got.value) == str(expected.value)


def test_errors_match_torch():
    ours, theirs = _make_params(np.float32)
    _same_error(lambda: optim.SGD([], lr=0.1), lambda: torch.optim.SGD([], lr=0.1))
    _same_error(lambda: optim.SGD(ours, lr=-1), lambda: torch.optim.SGD(theirs, lr=-1))
    _same_error(lambda: optim.SGD(ours, momentum=-1), lambda: torch.optim.SGD(theirs, momentum=-1))
    _same_error(lambda: optim.SGD(ours, weight_decay=-1), lambda: torch.optim.SGD(theirs, weight_decay=-1))
    _same_error(lambda: optim.SGD(ours, nesterov=True), lambda: torch.optim.SGD(theirs, nesterov=True))
    _same_error(lambda: optim.SGD(ours, momentum=0.9, dampening=0.1, nesterov=True),
                lambda: torch.optim.SGD(theirs, momentum=0.9, dampening=0.1, nesterov=True))
    _same_error(lambda: optim.Adam(ours, lr=-1), lambda: torch.optim.Adam(theirs, lr=-1))
    _same_error(lambda: optim.Adam(ours, eps=-1), lambda: torch.optim.Adam(theirs, eps=-1))
    _same_error(lambda: optim.Adam(ours, betas=(1.0, 0.9)), lambda: torch.optim.Adam(theirs, betas=(1.0, 0.9)))
    _same_error(lambda: optim.Adam(ours, betas=(0.9, -0.1)), lambda: torch.optim.Adam(theirs, betas=(0.9, -0.1)))
    _same_error(lambda: optim.AdamW(ours, weight_decay=-1), lambda: torch.optim.AdamW(theirs, weight_decay=-1))
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.SGD([ours[0], ours[0]], lr=1)
    _same_error(lambda: optim.SGD(ours, lr=1).add_param_group({"params": ours[0]}),
                lambda: torch.optim.SGD(theirs, lr=1).add_param_group({"params": theirs[0]}))
    _same_error(lambda: optim.SGD([1.0]), lambda: torch.optim.SGD([1.0]))
    _same_error(lambda: optim.SGD({"params": ours}.values()), lambda: torch.optim.SGD({"params": theirs}.values()))
    _same_error(lambda: optim.SGD([{"params": set(ours)}]), lambda: torch.optim.SGD([{"params": set(theirs)}]))
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts"):
        optim.SGD(ours[0])


def test_non_leaf_is_rejected():
    leaf = Parameter(tl.tensor([1.0]))
    non_leaf = tl.nn.functional.sigmoid(leaf)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([non_leaf], lr=0.1)


def test_named_parameters_are_accepted():
    model = tl.nn.Linear(2, 3)
    opt = optim.SGD(model.named_parameters(), lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]


# ====================================================================== on the GPU (the simulated one in CI)
@pytest.fixture
def cuda():
    """A CUDA device for one test: the real GPU if there is one, else the simulated one, switched on."""
    was = tl.backend.simulating()
    if not tl.backend.real_gpu_available():
        tl.backend.simulate_cuda(True)
    yield tl.device("cuda", 0)
    tl.backend.simulate_cuda(was)


@pytest.fixture
def no_host_reads():
    """A context in which every read of a simulated-GPU value by the host is an error (a real GPU would wait)."""
    if not tl.backend.simulating():
        pytest.skip("only the simulated GPU's arrays can be watched for reads")

    def refuse(*args, **kwargs):
        raise AssertionError("a value was read back from the GPU: the host would wait for it")

    @contextlib.contextmanager
    def forbidden():
        with pytest.MonkeyPatch.context() as patch:
            for name in ("__float__", "__int__", "__index__", "__bool__", "item", "tolist", "get"):
                patch.setattr(tl.backend.SimulatedCudaArray, name, refuse, raising=False)
            yield

    return forbidden


def _gpu_model_and_batch():
    tl.manual_seed(0)
    model = tl.nn.Sequential(tl.nn.Linear(6, 16, device="cpu"), tl.nn.ReLU(), tl.nn.Linear(16, 4, device="cpu"))
    x, y = tl.randn(8, 6, device="cpu"), tl.randint(0, 4, (8,), device="cpu")
    return model, x, y


@pytest.mark.parametrize("make", [
    lambda p: optim.SGD(p, lr=0.1), lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1),
    lambda p: optim.Adam(p, lr=0.01), lambda p: optim.Adam(p, lr=0.01, amsgrad=True, maximize=True),
    lambda p: optim.AdamW(p, lr=0.01),
], ids=["sgd", "sgd-nesterov", "adam", "adam-amsgrad", "adamw"])
def test_optimizer_built_before_model_to_cuda_steps_on_the_gpu(cuda, make):
    """As in torch: build the optimizer, then move the model; state is made on the parameters' device."""
    model, x, y = _gpu_model_and_batch()
    reference = copy.deepcopy(model)
    opt, ref_opt = make(model.parameters()), make(reference.parameters())
    model.cuda()
    for _ in range(3):
        for m, o, inputs in ((model, opt, (x.cuda(), y.cuda())), (reference, ref_opt, (x, y))):
            o.zero_grad()
            tl.nn.functional.cross_entropy(m(inputs[0]), inputs[1]).backward()
            o.step()
    for p, q in zip(model.parameters(), reference.parameters()):
        assert p.device == "cuda:0" and type(p._data) is not np.ndarray
        np.testing.assert_allclose(p.cpu().detach().numpy(), q.detach().numpy(), rtol=1e-5, atol=1e-6)
    for state in opt.state.values():
        for key, value in state.items():
            # Adam's step counter is a CPU tensor, as torch's: reading it never waits for the GPU
            assert value.device == ("cpu" if key == "step" else "cuda:0"), key
    # a CPU checkpoint of the optimizer loads onto the GPU parameters
    opt.load_state_dict(ref_opt.state_dict())
    assert all(v.device == ("cpu" if k == "step" else "cuda:0") for s in opt.state.values() for k, v in s.items())


@pytest.mark.parametrize("make", [
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9), lambda p: optim.Adam(p, lr=0.01, amsgrad=True),
    lambda p: optim.AdamW(p, lr=0.01, weight_decay=0.1),
], ids=["sgd-momentum", "adam-amsgrad", "adamw"])
def test_an_optimizer_step_never_waits_for_the_gpu(cuda, make, no_host_reads):
    model, x, y = _gpu_model_and_batch()
    model.cuda()
    opt = make(model.parameters())
    x, y = x.cuda(), y.cuda()
    for _ in range(2):
        opt.zero_grad()
        tl.nn.functional.cross_entropy(model(x), y).backward()
        with no_host_reads():  # a step reads nothing back: a timed training step would otherwise wait each time
            opt.step()
            opt.zero_grad(set_to_none=False)
    with no_host_reads(), pytest.raises(AssertionError, match="read back from the GPU"):
        float(model[0].weight.sum())  # (the watch works)
