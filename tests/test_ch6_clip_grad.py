"""Chapter 6 (training loop): ``tl.nn.utils``: gradient clipping and parameters as one vector, against torch.

``clip_grad_norm_`` scales every gradient by ``min(max_norm / (norm + 1e-6), 1)`` and
returns the norm before clipping; ``clip_grad_value_`` clamps each entry. Both change
``p.grad`` in place and skip parameters without one. Each test builds the same parameters
and gradients in both libraries, clips both, and compares the gradients and the returned
norm (values, dtype, shape). On the simulated GPU, clipping by norm must not wait for the
GPU: the scale stays a tensor, nothing is read back (unless ``error_if_nonfinite=True``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_lessons as tl
import tinygrad_lessons.nn as nn
from parity import TEST_DEVICE, assert_matches, assert_same_error, tensor_pairs
from tinygrad_lessons.nn.utils import (
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
    parameters_to_vector,
    vector_to_parameters,
)
from tinygrad_lessons.utils import device_work

FLOAT_32_64 = [(tl.float32, torch.float32), (tl.float64, torch.float64)]
NORM_TYPES = [2.0, 2, 1, 1.0, math.inf, "inf", 3.0, 0.5, 0, -1.0, -math.inf]
MAX_NORMS = [0.0, 0.1, 1, 7.5, 1e3]


def _param_pair(grad_pair, shape=(2,), dtype=(tl.float32, torch.float32)):
    """A parameter in each library whose ``.grad`` is the given pair (None: a parameter without gradient)."""
    if grad_pair is not None:
        shape, dtype = tuple(grad_pair[1].shape), (grad_pair[0].dtype, grad_pair[1].dtype)
    ours = tl.zeros(shape, dtype=dtype[0], requires_grad=True)
    theirs = torch.zeros(shape, dtype=dtype[1], requires_grad=True)
    if grad_pair is not None:
        ours.grad, theirs.grad = grad_pair
    return ours, theirs


@st.composite
def param_lists(draw, min_size=1):
    """1 to 4 parameter pairs with gradients of mixed shapes, layouts and dtypes; about a quarter without one."""
    pairs = []
    for _ in range(draw(st.integers(min_size, 4))):
        if draw(st.integers(0, 3)) == 0:
            pairs.append(_param_pair(None))
            continue
        ours, theirs = draw(tensor_pairs(dtype_pairs=FLOAT_32_64))
        if 0 in theirs.stride() and theirs.numel() > 1:  # an expanded gradient cannot be written in place
            ours, theirs = ours.contiguous(), theirs.contiguous()
        pairs.append(_param_pair((ours, theirs)))
    return [p[0] for p in pairs], [p[1] for p in pairs]


def _assert_grads_match(ours, theirs, before=None):
    for i, (o, t) in enumerate(zip(ours, theirs)):
        assert (o.grad is None) == (t.grad is None)
        if t.grad is not None:
            assert_matches(o.grad, t.grad, check_stride=False)
            if before is not None:
                assert o.grad is before[i], "the gradient was replaced, not changed in place"


# ------------------------------------------------------------------ clip_grad_norm_
@given(params=param_lists(), norm_type=st.sampled_from(NORM_TYPES), max_norm=st.sampled_from(MAX_NORMS))
def test_ch6_clip_grad_norm_matches_torch(params, norm_type, max_norm):
    ours, theirs = params
    before = [p.grad for p in ours]
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    total = clip_grad_norm_(ours, max_norm, norm_type)
    if expected.numel() and any(t.grad is not None for t in theirs):
        assert_matches(total, expected)
    else:  # no gradient at all: tensor(0.), made on the default device (the test device here)
        assert total.item() == 0.0 and total.dtype is tl.float32 and total.shape == ()
    assert not total.requires_grad and total.grad_fn is None
    _assert_grads_match(ours, theirs, before)


@pytest.mark.parametrize("norm_type", [2.0, math.inf, 1])
def test_ch6_clip_grad_norm_only_scales_down(norm_type):
    """A norm under ``max_norm`` leaves the gradients as they were (multiplied by 1, not by max/norm)."""
    ours, theirs = _param_pair(_grad_pair([[0.3, -0.4], [0.1, 0.0]]))
    for max_norm in (10.0, 0.05):
        norm_o = clip_grad_norm_(ours, max_norm, norm_type)
        norm_t = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
        assert_matches(norm_o, norm_t)
        _assert_grads_match([ours], [theirs])
    assert abs(ours.grad.norm(norm_type).item() - 0.05) < 1e-6  # clipped: now (just under) max_norm long


def _grad_pair(values, dtype=(tl.float32, torch.float32)):
    array = np.array(values)
    return tl.tensor(array, dtype=dtype[0]), torch.tensor(array, dtype=dtype[1])


def test_ch6_clip_grad_norm_single_tensor_generator_and_model():
    ours, theirs = _param_pair(_grad_pair([3.0, 4.0]))
    assert_matches(clip_grad_norm_(ours, 1.0), torch.nn.utils.clip_grad_norm_(theirs, 1.0))
    _assert_grads_match([ours], [theirs])
    # a model's parameters() is a generator: walked once for the norm, once more to scale
    torch.manual_seed(0)
    model_t = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2))
    model_o = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 2))
    for o, t in zip(model_o.parameters(), model_t.parameters()):
        o.data = tl.tensor(t.detach().numpy())
    model_o[0].bias.requires_grad_(False)  # frozen: no gradient, skipped
    model_t[0].bias.requires_grad_(False)
    x = np.random.default_rng(1).standard_normal((6, 4)).astype(np.float32)
    (model_o(tl.tensor(x)) ** 2).sum().backward()
    (model_t(torch.tensor(x)) ** 2).sum().backward()
    for norm_type in (2.0, "inf"):
        norm_o = clip_grad_norm_(model_o.parameters(), 0.5, norm_type=norm_type)
        norm_t = torch.nn.utils.clip_grad_norm_(model_t.parameters(), 0.5, norm_type=norm_type)
        assert_matches(norm_o, norm_t)
        _assert_grads_match(list(model_o.parameters()), list(model_t.parameters()))


def test_ch6_clip_grad_norm_dtypes_follow_torch():
    """Each gradient keeps its dtype; the total norm is the promoted one (float32 with float64: float64)."""
    for dtypes in ([FLOAT_32_64[0]], [FLOAT_32_64[1]], FLOAT_32_64, FLOAT_32_64[::-1]):
        pairs = [_param_pair(_grad_pair([3.0, -4.0, 12.0], dtype)) for dtype in dtypes]
        ours, theirs = [p[0] for p in pairs], [p[1] for p in pairs]
        assert_matches(clip_grad_norm_(ours, 2.0), torch.nn.utils.clip_grad_norm_(theirs, 2.0))
        _assert_grads_match(ours, theirs)


def test_ch6_clip_grad_norm_without_gradients():
    """Nothing to clip: ``tensor(0.)``; an empty *generator* also warns, pointing at the caller."""
    assert_matches(clip_grad_norm_([], 1.0), torch.nn.utils.clip_grad_norm_([], 1.0))  # (ours: default device)
    ours, theirs = _param_pair(None)
    assert clip_grad_norm_([ours], 1.0).item() == torch.nn.utils.clip_grad_norm_([theirs], 1.0).item() == 0.0
    assert ours.grad is None
    with pytest.warns(UserWarning, match="^`parameters` is an empty generator, no gradient clipping will occur.$") \
            as caught:
        clip_grad_norm_((p for p in []), 1.0)
    assert caught[0].filename == __file__


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("norm_type", [2.0, 1, math.inf])
def test_ch6_clip_grad_norm_nonfinite(bad, norm_type):
    """``error_if_nonfinite=True``: torch's RuntimeError; without it, the gradients are scaled by the bad norm
    (nan everywhere, or 0 and nan for an infinite one), as torch does."""
    values = [[1.0, bad], [2.0, -3.0]]
    pairs = [_param_pair(_grad_pair(v)) for v in values]
    ours, theirs = [p[0] for p in pairs], [p[1] for p in pairs]
    assert_same_error(lambda: clip_grad_norm_(ours, 1.0, norm_type, error_if_nonfinite=True),
                      lambda: torch.nn.utils.clip_grad_norm_(theirs, 1.0, norm_type, error_if_nonfinite=True),
                      match_message=True)
    _assert_grads_match(ours, theirs)  # the error came before any scaling
    assert_matches(clip_grad_norm_(ours, 1.0, norm_type), torch.nn.utils.clip_grad_norm_(theirs, 1.0, norm_type))
    _assert_grads_match(ours, theirs)


def test_ch6_clip_grad_norm_empty_gradient():
    """An empty gradient has a 2-norm (0) but no max: torch's error (its wording names its fused kernel)."""
    ours, theirs = _param_pair(_grad_pair(np.zeros(0)))
    assert_matches(clip_grad_norm_(ours, 1.0), torch.nn.utils.clip_grad_norm_(theirs, 1.0))
    assert_same_error(lambda: clip_grad_norm_(ours, 1.0, math.inf),
                      lambda: torch.nn.utils.clip_grad_norm_(theirs, 1.0, math.inf))


@given(params=param_lists(), norm_type=st.sampled_from([2.0, 1, math.inf]), max_norm=st.sampled_from(MAX_NORMS))
def test_ch6_get_total_norm_and_clip_grads_with_norm_match_torch(params, norm_type, max_norm):
    """The two halves of clip_grad_norm_, public as in torch: the norm of a list of tensors, then the scaling."""
    ours, theirs = params
    grads_o = [p.grad for p in ours if p.grad is not None]
    grads_t = [p.grad for p in theirs if p.grad is not None]
    if grads_t:
        norm_o, norm_t = get_total_norm(grads_o, norm_type), torch.nn.utils.get_total_norm(grads_t, norm_type)
        assert_matches(norm_o, norm_t)
        assert_matches(get_total_norm(grads_o[0], norm_type), torch.nn.utils.get_total_norm(grads_t[0], norm_type))
        assert clip_grads_with_norm_(ours, max_norm, norm_o) is None
        torch.nn.utils.clip_grads_with_norm_(theirs, max_norm, norm_t)
    _assert_grads_match(ours, theirs)


def test_ch6_clip_grad_norm_records_no_graph():
    """Clipping runs under no_grad: even gradients that require grad (``create_graph=True``) get no grad_fn."""
    x = tl.tensor([1.0, -2.0], requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.grad_fn is not None
    norm = clip_grad_norm_(x, 1.0)
    assert norm.grad_fn is None and not norm.requires_grad
    assert tl.is_grad_enabled()


# ------------------------------------------------------------------ clip_grad_value_
@given(params=param_lists(), clip_value=st.sampled_from([0, 0.5, 2.25, 100.0, -0.5]))
def test_ch6_clip_grad_value_matches_torch(params, clip_value):
    ours, theirs = params
    before = [p.grad for p in ours]
    assert clip_grad_value_(ours, clip_value) is None
    if any(t.grad is not None for t in theirs):  # (with none, torch 2.13 fails an internal check: see below)
        torch.nn.utils.clip_grad_value_(theirs, clip_value)
    _assert_grads_match(ours, theirs, before)


def test_ch6_clip_grad_value_single_tensor_and_generator():
    ours, theirs = _param_pair(_grad_pair([[3.0, -0.25], [-4.0, 1.0]], FLOAT_32_64[1]))
    clip_grad_value_(ours, 1)
    torch.nn.utils.clip_grad_value_(theirs, 1)
    _assert_grads_match([ours], [theirs])
    pairs = [_param_pair(_grad_pair([5.0, -5.0])), _param_pair(None)]
    clip_grad_value_((p[0] for p in pairs), 2.0, foreach=True)
    torch.nn.utils.clip_grad_value_((p[1] for p in pairs), 2.0, foreach=True)
    _assert_grads_match([p[0] for p in pairs], [p[1] for p in pairs])


def test_ch6_clip_grad_value_without_gradients_does_nothing():
    """On purpose unlike torch 2.13, whose grouping of the gradients by device fails an internal check
    (``Expected !nested_tensorlist[0].empty()``) when there are none: nothing to clamp is not an error."""
    ours, theirs = _param_pair(None)
    with pytest.raises(RuntimeError, match="nested_tensorlist"):
        torch.nn.utils.clip_grad_value_([theirs], 1.0)
    assert clip_grad_value_([ours], 1.0) is None and clip_grad_value_([], 1.0) is None
    assert ours.grad is None


# ------------------------------------------------------------------ parameters as one vector
def test_ch6_parameters_to_vector_and_back():
    shapes = [(2, 3), (3,), (1, 1, 2)]
    rng = np.random.default_rng(0)
    values = [rng.standard_normal(s) for s in shapes]
    ours = [tl.tensor(v, dtype=tl.float32, requires_grad=True) for v in values]
    theirs = [torch.tensor(v, dtype=torch.float32, requires_grad=True) for v in values]
    vec_o, vec_t = parameters_to_vector(ours), torch.nn.utils.parameters_to_vector(theirs)
    assert_matches(vec_o.detach(), vec_t.detach())
    assert vec_o.requires_grad  # (a cat of views: part of the graph, as in torch)
    new = np.arange(11, dtype=np.float32)
    new_o, new_t = tl.tensor(new), torch.tensor(new)
    assert vector_to_parameters(new_o, iter(ours)) is None
    torch.nn.utils.vector_to_parameters(new_t, iter(theirs))
    for o, t in zip(ours, theirs):
        assert_matches(o.detach(), t.detach())
        assert o.requires_grad and o.is_leaf
    new_o.mul_(2)  # each parameter's .data is a view of the vector: the change shows
    new_t.mul_(2)
    for o, t in zip(ours, theirs):
        assert_matches(o.detach(), t.detach())


def test_ch6_parameters_to_vector_errors():
    assert_same_error(lambda: vector_to_parameters([1.0, 2.0], [tl.zeros(2)]),
                      lambda: torch.nn.utils.vector_to_parameters([1.0, 2.0], [torch.zeros(2)]), match_message=True)
    assert_same_error(lambda: vector_to_parameters(np.zeros(2), [tl.zeros(2)]),
                      lambda: torch.nn.utils.vector_to_parameters(np.zeros(2), [torch.zeros(2)]), match_message=True)
    assert_same_error(lambda: parameters_to_vector([tl.zeros(2, 3).t()]),
                      lambda: torch.nn.utils.parameters_to_vector([torch.zeros(2, 3).t()]), match_message=True)
    assert_same_error(lambda: parameters_to_vector([]), lambda: torch.nn.utils.parameters_to_vector([]))


# ------------------------------------------------------------------ on the simulated GPU
def _gpu_model():
    tl.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3)).to("cuda")
    model[0].bias.requires_grad_(False)
    (model(tl.randn(5, 4, device="cuda")) ** 2).mean().backward()
    return model


@pytest.mark.parametrize("norm_type", [2.0, 1, math.inf, 3.0])
def test_ch6_clip_grad_norm_never_waits_for_the_gpu(simulated, norm_type):
    model = _gpu_model()
    expected = [p.grad.cpu() for p in model.parameters() if p.grad is not None]
    with device_work.count(detail=True) as work:
        norm = clip_grad_norm_(model.parameters(), 0.1, norm_type)
    assert work.host_reads == 0, "\n".join(f"{what} at {where}" for what, where in work.events if "read" in what)
    assert norm.device == tl.device("cuda", 0) and norm.shape == ()
    scale = min(0.1 / (norm.item() + 1e-6), 1.0)  # (read after the count)
    for g, e in zip((p.grad for p in model.parameters() if p.grad is not None), expected):
        assert g.device == tl.device("cuda", 0)
        np.testing.assert_allclose(g.cpu().numpy(), e.numpy() * scale, rtol=1e-5, atol=1e-7)
    with device_work.count() as work:
        clip_grad_value_(model.parameters(), 0.01)
    assert work.host_reads == 0


def test_ch6_clip_grad_norm_error_check_reads_once(simulated):
    """``error_if_nonfinite=True`` must look at the norm: one read, the only one."""
    model = _gpu_model()
    with device_work.count() as work:
        clip_grad_norm_(model.parameters(), 1.0, error_if_nonfinite=True)
    assert work.host_reads == 1


def test_ch6_vector_needs_one_device(simulated):
    on_gpu, on_cpu = tl.zeros(2, device="cuda"), tl.zeros(3, device="cpu")
    for params in ([on_gpu, on_cpu], [on_cpu, on_gpu]):
        with pytest.raises(TypeError, match="^Found two parameters on different devices, this is currently not "
                                            "supported.$"):
            parameters_to_vector(params)
        with pytest.raises(TypeError, match="^Found two parameters on different devices"):
            vector_to_parameters(tl.zeros(5, device="cuda"), params)
    assert parameters_to_vector([on_gpu, on_gpu]).device == tl.device("cuda", 0)


def test_ch6_the_test_device_is_used():
    """(The parity tests above made their tensors on the test device: CPU, or the simulated GPU.)"""
    ours, _ = _param_pair(_grad_pair([1.0]))
    assert clip_grad_norm_(ours, 1.0).device.type == TEST_DEVICE
