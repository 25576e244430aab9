# ruff: noqa: B023 - check_op calls its lambdas at once: a loop variable cannot change under them
"""Chapter 6: GELU and SiLU activations, binary cross-entropy losses (with logits and on probabilities).

Compared with torch: values, dtypes, gradients (also second ones), reductions, the broadcasting of
``weight``/``pos_weight``, errors; and on the simulated GPU, a training step that never reads back.
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
from grad_parity import check_gradients
from parity import FLOAT_PAIRS, TEST_DEVICE, assert_matches, check_op, pair_from_numpy, tensor_pairs, to_numpy
from tinygrad_lessons.utils import device_work

HALF = (torch.float16, torch.bfloat16)
cpu_only = pytest.mark.skipif(TEST_DEVICE != "cpu", reason="torch's CPU checks: a GPU does not read values back")


def _tolerance(dtype):
    return {"rtol": 2e-2, "atol": 2e-2} if dtype in HALF else {}


# ---------------------------------------------------------------------- GELU and SiLU
@given(pair=tensor_pairs(dtype_pairs=FLOAT_PAIRS), approximate=st.sampled_from(["none", "tanh"]))
def test_ch6_gelu_matches_torch(pair, approximate):
    ours, theirs = pair
    check_op(lambda: F.gelu(ours, approximate=approximate), lambda: TF.gelu(theirs, approximate=approximate))
    check_op(lambda: nn.GELU(approximate)(ours), lambda: torch.nn.GELU(approximate)(theirs))


@given(pair=tensor_pairs(dtype_pairs=FLOAT_PAIRS))
def test_ch6_silu_matches_torch(pair):
    ours, theirs = pair
    check_op(lambda: F.silu(ours), lambda: TF.silu(theirs))
    check_op(lambda: nn.SiLU()(ours), lambda: torch.nn.SiLU()(theirs))


@pytest.mark.parametrize("pair", FLOAT_PAIRS, ids=str)
@pytest.mark.parametrize("fn", ["gelu", "gelu-tanh", "silu"])
def test_ch6_activations_on_a_dense_range_and_special_values(pair, fn):
    """Every float type, from the far negative tail (where ``1 + erf`` cancels) to large values, inf and NaN."""
    values = np.concatenate([np.linspace(-40, 40, 4001), [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30, -1e-30]])
    ours, theirs = pair_from_numpy(values, pair)
    name, _, approximate = fn.partition("-")
    kwargs = {"approximate": approximate} if approximate else {}
    expected = getattr(TF, name)(theirs, **kwargs)
    if fn == "gelu" and pair[1] in (torch.float32, torch.bfloat16):
        # torch's vectorized float erf gives gelu(inf) = NaN in these two types (inf in float16 and float64)
        assert math.isnan(expected[-5].item())
        expected[-5] = math.inf
    result = getattr(F, name)(ours, **kwargs)
    assert_matches(result, expected, rtol=1e-6 if pair[1] is torch.float32 else None)
    assert np.signbit(to_numpy(result)[-6]) == np.signbit(to_numpy(expected)[-6])  # f(-0.0) is -0.0


@pytest.mark.parametrize("pair", FLOAT_PAIRS, ids=str)
@pytest.mark.parametrize("fn", ["gelu", "gelu-tanh", "silu"])
def test_ch6_activation_gradients_match_torch(pair, fn):
    values = np.random.default_rng(0).standard_normal((3, 5)) * 4
    name, _, approximate = fn.partition("-")
    kwargs = {"approximate": approximate} if approximate else {}
    check_gradients(lambda lib, x: getattr(lib.nn.functional, name)(x, **kwargs), pair_from_numpy(values, pair))


@pytest.mark.parametrize("fn", ["gelu", "gelu-tanh", "silu"])
def test_ch6_activation_second_and_third_derivatives_match_torch(fn):
    values = np.linspace(-5, 5, 23)
    name, _, approximate = fn.partition("-")
    kwargs = {"approximate": approximate} if approximate else {}
    results = []
    for lib in (tl, torch):
        x = lib.tensor(values, dtype=lib.float64, requires_grad=True)
        y = getattr(lib.nn.functional, name)(x, **kwargs)
        (d1,) = lib.autograd.grad(y.sum(), x, create_graph=True)
        (d2,) = lib.autograd.grad((d1 * d1).sum(), x, create_graph=True)
        (d3,) = lib.autograd.grad(d2.sum(), x)
        results.append([d.detach() for d in (d1, d2, d3)])
    for ours, theirs in zip(*results):
        assert_matches(ours, theirs, check_stride=False, rtol=1e-10, atol=1e-10)


def test_ch6_silu_inplace():
    x, tx = pair_from_numpy(np.linspace(-3, 3, 7))
    assert F.silu(x, inplace=True) is x and x._version == 1
    assert_matches(x, TF.silu(tx, inplace=True))
    leaf = tl.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        F.silu(leaf, inplace=True)
    out = nn.SiLU(inplace=True)(leaf * 2)
    out.sum().backward()
    tleaf = torch.ones(3, requires_grad=True)
    torch.nn.SiLU(inplace=True)(tleaf * 2).sum().backward()
    assert_matches(leaf.grad, tleaf.grad)


def test_ch6_activation_errors_and_reprs():
    for dtype in ("int64", "bool"):
        ours, theirs = tl.tensor([1, 0]).to(getattr(tl, dtype)), torch.tensor([1, 0]).to(getattr(torch, dtype))
        check_op(lambda: F.gelu(ours), lambda: TF.gelu(theirs))
        check_op(lambda: F.silu(ours), lambda: TF.silu(theirs))
    ours, theirs = tl.ones(2), torch.ones(2)
    for approximate in ("Tanh", "", "exact", None, 1):
        check_op(lambda: F.gelu(ours, approximate=approximate), lambda: TF.gelu(theirs, approximate=approximate))
    for ours_module, torch_module in ((nn.GELU(), torch.nn.GELU()), (nn.GELU("tanh"), torch.nn.GELU("tanh")),
                                      (nn.SiLU(), torch.nn.SiLU()), (nn.SiLU(True), torch.nn.SiLU(True))):
        assert repr(ours_module) == repr(torch_module)


# ---------------------------------------------------------------------- binary cross-entropy with logits
def _broadcastable(draw, shape):
    """A shape that broadcasts to ``shape``: a suffix of it, with some dimensions set to 1."""
    suffix = shape[draw(st.integers(0, len(shape))):]
    return tuple(n if draw(st.booleans()) else 1 for n in suffix)


@st.composite
def bce_cases(draw, logits=True):
    shape = draw(st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x_pair = draw(st.sampled_from(FLOAT_PAIRS))
    # (mixed dtypes: torch differentiates this loss op by op, rounding each step's gradient to that op's dtype;
    # they agree to the lower precision only, more than check_gradients allows: see the dtype test below)
    others = [x_pair]
    y_pair = draw(st.sampled_from(others)) if logits else x_pair
    x = rng.standard_normal(shape) * 4 if logits else rng.uniform(0.02, 0.98, shape)
    y = rng.uniform(0, 1, shape) if draw(st.booleans()) else rng.integers(0, 2, shape).astype(np.float64)
    kwargs = {"reduction": draw(st.sampled_from(["mean", "sum", "none"]))}
    names = ("weight", "pos_weight") if logits else ("weight",)
    for name in names:
        if draw(st.booleans()):
            w_pair = draw(st.sampled_from(others))
            kwargs[name] = pair_from_numpy(rng.uniform(0.1, 3, _broadcastable(draw, shape)), w_pair)
    return pair_from_numpy(x, x_pair), pair_from_numpy(y, y_pair), kwargs


def _split(kwargs):
    ours = {k: v[0] if isinstance(v, tuple) else v for k, v in kwargs.items()}
    theirs = {k: v[1] if isinstance(v, tuple) else v for k, v in kwargs.items()}
    return ours, theirs


def _loss_tolerance(*pairs):
    return {"rtol": 3e-2, "atol": 3e-2} if any(p[1].dtype in HALF for p in pairs) else {"rtol": 1e-5, "atol": 1e-6}


@given(case=bce_cases())
def test_ch6_bce_with_logits_matches_torch(case):
    x, y, kwargs = case
    ours, theirs = _split(kwargs)
    tol = _loss_tolerance(x, y, *[v for v in kwargs.values() if isinstance(v, tuple)])
    check_op(lambda: F.binary_cross_entropy_with_logits(x[0], y[0], **ours),
             lambda: TF.binary_cross_entropy_with_logits(x[1], y[1], **theirs), check_stride=False, **tol)
    check_op(lambda: nn.BCEWithLogitsLoss(**ours)(x[0], y[0]),
             lambda: torch.nn.BCEWithLogitsLoss(**theirs)(x[1], y[1]), check_stride=False, **tol)
    check_gradients(lambda lib, a, b: lib.nn.functional.binary_cross_entropy_with_logits(
        a, b, **(ours if lib is tl else theirs)), x, y, check_output=tol["rtol"] < 1e-2)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_ch6_bce_with_logits_is_stable_for_large_logits(reduction):
    values = np.array([-1e4, -200.0, -100.0, -30.0, 0.0, 30.0, 100.0, 200.0, 1e4])
    x, y = pair_from_numpy(values), pair_from_numpy(np.array([0.0, 1.0, 0.5, 1.0, 1.0, 0.0, 1.0, 0.0, 0.3]))
    pos = pair_from_numpy(np.array([2.0]))
    for kwargs in ({}, {"pos_weight": pos}):
        ours, theirs = _split({"reduction": reduction, **kwargs})
        result = check_op(lambda: F.binary_cross_entropy_with_logits(x[0], y[0], **ours),
                          lambda: TF.binary_cross_entropy_with_logits(x[1], y[1], **theirs))
        assert np.isfinite(tl.backend.to_host(result._data)).all()
        check_gradients(lambda lib, a, b: lib.nn.functional.binary_cross_entropy_with_logits(
            a, b, **(ours if lib is tl else theirs)), x, y)


def test_ch6_bce_with_logits_double_backward_matches_torch():
    rng = np.random.default_rng(1)
    values, targets, pos = rng.standard_normal((3, 4)), rng.uniform(0, 1, (3, 4)), rng.uniform(0.5, 2, (4,))
    results = []
    for lib in (tl, torch):
        x = lib.tensor(values, requires_grad=True)
        y = lib.tensor(targets, requires_grad=True)
        loss = lib.nn.functional.binary_cross_entropy_with_logits(x, y, pos_weight=lib.tensor(pos))
        gx, gy = lib.autograd.grad(loss, (x, y), create_graph=True)
        hx, hy = lib.autograd.grad((gx * gx).sum() + (gy * gx).sum(), (x, y))
        results.append([t.detach() for t in (gx, gy, hx, hy)])
    for ours, theirs in zip(*results):
        assert_matches(ours, theirs, check_stride=False, rtol=1e-10, atol=1e-12)


def _error_cases_with_logits():
    s = (2, 3)
    return [
        ({}, (2,), s), ({}, (3, 2), s), ({}, (2, 3, 1), s),
        ({"weight": (3, 3)}, s, s), ({"weight": (4,)}, s, s), ({"weight": (5, 2, 3)}, s, s),
        ({"pos_weight": (2,)}, s, s), ({"pos_weight": (4, 2, 3)}, s, s), ({"pos_weight": (2, 1)}, s, s),
        ({"reduction": "avg"}, s, s),
    ]


@pytest.mark.parametrize("case", _error_cases_with_logits(), ids=str)
def test_ch6_bce_with_logits_errors(case):
    kwargs, target_shape, input_shape = case
    x, y = pair_from_numpy(np.zeros(input_shape)), pair_from_numpy(np.ones(target_shape))
    ours, theirs = _split({k: pair_from_numpy(np.ones(v)) if k != "reduction" else v for k, v in kwargs.items()})
    check_op(lambda: F.binary_cross_entropy_with_logits(x[0], y[0], **ours),
             lambda: TF.binary_cross_entropy_with_logits(x[1], y[1], **theirs))


def test_ch6_bce_with_logits_result_has_the_targets_dtype():
    rng = np.random.default_rng(3)
    values, targets = rng.standard_normal(6), rng.uniform(0, 1, 6)
    for x_pair in FLOAT_PAIRS:
        for y_pair in FLOAT_PAIRS:
            x, y = pair_from_numpy(values, x_pair), pair_from_numpy(targets, y_pair)
            pos = pair_from_numpy(np.array([1.5]), x_pair)
            for ours, theirs in (({}, {}), ({"pos_weight": pos[0]}, {"pos_weight": pos[1]})):
                check_op(lambda: F.binary_cross_entropy_with_logits(x[0], y[0], **ours),
                         lambda: TF.binary_cross_entropy_with_logits(x[1], y[1], **theirs), rtol=1e-2, atol=1e-2)


def test_ch6_bce_with_logits_dtype_errors():
    floats = pair_from_numpy(np.array([0.5, -1.0]))
    for x_dtype, y_dtype in (("int64", "float32"), ("float32", "int64"), ("float32", "bool"), ("bool", "float32"),
                             ("float32", "int32")):
        x = tl.tensor([1, 0]).to(getattr(tl, x_dtype)), torch.tensor([1, 0]).to(getattr(torch, x_dtype))
        y = tl.tensor([1, 0]).to(getattr(tl, y_dtype)), torch.tensor([1, 0]).to(getattr(torch, y_dtype))
        check_op(lambda: F.binary_cross_entropy_with_logits(x[0], y[0]),
                 lambda: TF.binary_cross_entropy_with_logits(x[1], y[1]))
    w = tl.ones(2, requires_grad=True), torch.ones(2, requires_grad=True)
    for name in ("weight", "pos_weight"):
        check_op(lambda: F.binary_cross_entropy_with_logits(floats[0], floats[0], **{name: w[0]}),
                 lambda: TF.binary_cross_entropy_with_logits(floats[1], floats[1], **{name: w[1]}))


def test_ch6_bce_with_logits_module_keeps_weights_as_buffers():
    loss = nn.BCEWithLogitsLoss(weight=tl.ones(3), pos_weight=tl.full((3,), 2.0))
    theirs = torch.nn.BCEWithLogitsLoss(weight=torch.ones(3), pos_weight=torch.full((3,), 2.0))
    assert list(loss.state_dict()) == list(theirs.state_dict()) == ["weight", "pos_weight"]
    assert repr(loss) == repr(theirs) and repr(nn.BCELoss()) == repr(torch.nn.BCELoss())
    assert list(nn.BCELoss(weight=tl.ones(3)).state_dict()) == ["weight"]
    with pytest.warns(UserWarning, match="reduction='sum'"):
        assert nn.BCEWithLogitsLoss(size_average=False).reduction == "sum"


# ---------------------------------------------------------------------- binary cross-entropy on probabilities
@given(case=bce_cases(logits=False))
def test_ch6_bce_matches_torch(case):
    x, y, kwargs = case
    ours, theirs = _split(kwargs)
    tol = _loss_tolerance(x, y)
    check_op(lambda: F.binary_cross_entropy(x[0], y[0], **ours),
             lambda: TF.binary_cross_entropy(x[1], y[1], **theirs), check_stride=False, **tol)
    check_op(lambda: nn.BCELoss(**ours)(x[0], y[0]), lambda: torch.nn.BCELoss(**theirs)(x[1], y[1]),
             check_stride=False, **tol)
    check_gradients(lambda lib, a, b: lib.nn.functional.binary_cross_entropy(
        a, b, **(ours if lib is tl else theirs)), x, y, check_output=tol["rtol"] < 1e-2)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_ch6_bce_clamps_its_logs_at_minus_100(reduction):
    x = pair_from_numpy(np.array([0.0, 1.0, 0.0, 1.0, 1e-40, 0.5]))
    y = pair_from_numpy(np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.25]))
    check_op(lambda: F.binary_cross_entropy(x[0], y[0], reduction=reduction),
             lambda: TF.binary_cross_entropy(x[1], y[1], reduction=reduction))
    check_gradients(lambda lib, a, b: lib.nn.functional.binary_cross_entropy(a, b, reduction=reduction), x, y)


def test_ch6_bce_double_backward_matches_torch():
    rng = np.random.default_rng(2)
    values, targets = rng.uniform(0.1, 0.9, (3, 4)), rng.uniform(0, 1, (3, 4))
    results = []
    for lib in (tl, torch):
        x = lib.tensor(values, requires_grad=True)
        y = lib.tensor(targets, requires_grad=True)
        loss = lib.nn.functional.binary_cross_entropy(x, y, weight=lib.tensor([1.0, 2.0, 0.5, 1.5]))
        gx, gy = lib.autograd.grad(loss, (x, y), create_graph=True)
        hx, hy = lib.autograd.grad((gx * gx).sum() + (gy * gy).sum(), (x, y))
        results.append([t.detach() for t in (gx, gy, hx, hy)])
    for ours, theirs in zip(*results):
        assert_matches(ours, theirs, check_stride=False, rtol=1e-9, atol=1e-12)


@cpu_only
@pytest.mark.parametrize("values", [([0.5, 1.5], [1.0, 0.0]), ([-0.1, 0.5], [1.0, 0.0]), ([np.nan, 0.5], [1, 0]),
                                    ([0.5, 0.5], [1.0, 2.0]), ([0.5, 0.5], [-1.0, 0.0]), ([0.5, 2.0], [2.0, 0.0]),
                                    ([0.5, 0.5], [2.0, np.nan])], ids=str)
def test_ch6_bce_checks_probabilities_on_the_cpu(values):
    x, y = pair_from_numpy(np.array(values[0], float)), pair_from_numpy(np.array(values[1], float))
    check_op(lambda: F.binary_cross_entropy(x[0], y[0]), lambda: TF.binary_cross_entropy(x[1], y[1]))


def test_ch6_bce_errors():
    x, y = pair_from_numpy(np.full((2, 3), 0.5)), pair_from_numpy(np.ones((2, 3)))
    short = pair_from_numpy(np.ones(3))
    check_op(lambda: F.binary_cross_entropy(x[0], short[0]), lambda: TF.binary_cross_entropy(x[1], short[1]))
    for shape in ((3, 1), (4, 3), (5, 2, 3), (2,), (1, 1, 1)):
        w = pair_from_numpy(np.ones(shape))
        check_op(lambda: F.binary_cross_entropy(x[0], y[0], weight=w[0]),
                 lambda: TF.binary_cross_entropy(x[1], y[1], weight=w[1]))
    for x_dtype, y_dtype in (("float32", "float64"), ("float64", "float32"), ("int64", "int64"),
                             ("int64", "float32")):
        a = tl.tensor([1, 0]).to(getattr(tl, x_dtype)), torch.tensor([1, 0]).to(getattr(torch, x_dtype))
        b = tl.tensor([1, 0]).to(getattr(tl, y_dtype)), torch.tensor([1, 0]).to(getattr(torch, y_dtype))
        check_op(lambda: F.binary_cross_entropy(a[0], b[0]), lambda: TF.binary_cross_entropy(a[1], b[1]))
    check_op(lambda: F.binary_cross_entropy(x[0], y[0], reduction="x"),
             lambda: TF.binary_cross_entropy(x[1], y[1], reduction="x"))
    w = tl.ones(3, requires_grad=True), torch.ones(3, requires_grad=True)
    check_op(lambda: F.binary_cross_entropy(x[0], y[0], weight=w[0]),
             lambda: TF.binary_cross_entropy(x[1], y[1], weight=w[1]))


def test_ch6_bce_losses_of_empty_tensors():
    x, y = pair_from_numpy(np.zeros((0, 3))), pair_from_numpy(np.zeros((0, 3)))
    for reduction in ("mean", "sum", "none"):
        check_op(lambda: F.binary_cross_entropy(x[0], y[0], reduction=reduction),
                 lambda: TF.binary_cross_entropy(x[1], y[1], reduction=reduction))
        check_op(lambda: F.binary_cross_entropy_with_logits(x[0], y[0], reduction=reduction),
                 lambda: TF.binary_cross_entropy_with_logits(x[1], y[1], reduction=reduction))


# ---------------------------------------------------------------------- on the simulated GPU: no reads back
@pytest.mark.parametrize("loss", ["BCEWithLogitsLoss", "BCEWithLogitsLoss-weights", "BCELoss", "GELU-SiLU"])
def test_ch6_a_binary_training_step_never_waits_for_the_gpu(simulated, loss):
    tl.manual_seed(0)
    hidden = nn.GELU() if loss == "GELU-SiLU" else nn.ReLU()
    model = nn.Sequential(nn.Linear(4, 8), hidden, nn.Linear(8, 8), nn.SiLU(), nn.Linear(8, 3)).to("cuda")
    if loss == "BCELoss":
        loss_fn = lambda out, y: nn.BCELoss()(F.sigmoid(out), y)  # noqa: E731
    elif loss == "BCEWithLogitsLoss-weights":
        loss_fn = nn.BCEWithLogitsLoss(weight=tl.tensor([1.0, 2.0, 0.5], device="cuda"),
                                       pos_weight=tl.tensor([[3.0], [1.0], [2.0], [1.0], [0.5]], device="cuda"),
                                       reduction="sum")
    else:
        loss_fn = nn.BCEWithLogitsLoss()
    opt = tl.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = tl.randn(5, 4, device="cuda")
    y = (tl.rand(5, 3, device="cuda") > 0.5).float()

    def step():
        opt.zero_grad()
        out = loss_fn(model(x), y)
        out.backward()
        opt.step()
        return out

    step()
    with device_work.count(detail=True) as work:
        result = step()
    assert work.host_reads == 0, [e for e in work.events if e[0].startswith("host read")]
    assert math.isfinite(result.item())


def test_ch6_bce_on_the_gpu_gives_nan_for_values_outside_0_1_without_reading_back(simulated):
    x = tl.tensor([0.5, 1.5, 0.25], device="cuda", requires_grad=True)
    with device_work.count() as work:
        losses = F.binary_cross_entropy(x, tl.tensor([1.0, 0.0, 1.0], device="cuda"), reduction="none")
        losses.sum().backward()
    assert work.host_reads == 0
    values = losses.detach().cpu().numpy()
    assert np.isnan(values[1]) and np.isfinite(values[[0, 2]]).all()
    expected = TF.binary_cross_entropy(torch.tensor([0.5, 0.25]), torch.tensor([1.0, 1.0]), reduction="none")
    np.testing.assert_allclose(values[[0, 2]], expected.numpy(), rtol=1e-6)
    with device_work.count() as work:
        F.gelu(x, approximate="none")
    assert work.host_reads == 0
