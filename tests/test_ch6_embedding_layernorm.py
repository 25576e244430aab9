"""Chapter 6 (nn): ``Embedding`` / ``F.embedding`` and ``LayerNorm`` / ``F.layer_norm``, held against torch.

Values, dtypes, shapes and the gradients of input, weight and bias; padding_idx, repeated
indices, max_norm, from_pretrained; errors in torch's words; repr; and, on the simulated GPU,
that a training step through either layer never reads a value back.
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
from parity import TEST_DEVICE, assert_matches, assert_same_error, check_op, pair_from_numpy
from tinygrad_lessons.utils import device_work

FLOATS = [(tl.float32, torch.float32), (tl.float64, torch.float64), (tl.float16, torch.float16)]


def _pair(array, dtype=None):
    """The same values in both libraries (``parity.pair_from_numpy``), in ``dtype`` (a (tl, torch) pair) if given."""
    return pair_from_numpy(np.asarray(array), dtype)


def _host(t) -> np.ndarray:
    return tl.backend.to_host(t._data)


# ====================================================================== F.embedding
@given(index_shape=st.lists(st.integers(0, 4), max_size=3).map(tuple), n=st.integers(1, 6), dim=st.integers(1, 4),
       index_dtype=st.sampled_from([(tl.int64, torch.int64), (tl.int32, torch.int32)]),
       dtype=st.sampled_from(FLOATS), padding=st.sampled_from([None, 0, 1, -1]), by_freq=st.booleans(),
       seed=st.integers(0, 2**16))
def test_embedding_matches_torch(index_shape, n, dim, index_dtype, dtype, padding, by_freq, seed):
    rng = np.random.default_rng(seed)
    indices = _pair(rng.integers(0, n, index_shape), index_dtype)  # few rows: repeated indices are common
    weight = _pair(rng.standard_normal((n, dim)), dtype)
    if padding is not None and padding >= n:
        padding = None
    kwargs = {"padding_idx": padding, "scale_grad_by_freq": by_freq}
    check_gradients(lambda lib, w, i: lib.nn.functional.embedding(i, w, **kwargs), weight, indices, seed=seed)


def test_embedding_repeated_indices_add_up_and_padding_gets_nothing():
    w = tl.tensor(np.arange(12.0).reshape(4, 3), requires_grad=True)
    out = F.embedding(tl.tensor([[2, 2, 0], [2, 3, 0]]), w, padding_idx=3)
    assert out.shape == (2, 3, 3) and out.grad_fn.name() == "EmbeddingBackward0"
    out.sum().backward()
    np.testing.assert_array_equal(_host(w.grad), [[2, 2, 2], [0, 0, 0], [3, 3, 3], [0, 0, 0]])
    np.testing.assert_array_equal(_host(out[0, 0]), [6.0, 7.0, 8.0])  # (F.embedding leaves row 3 as it is)


@pytest.mark.parametrize("index", [[[0, 1], [2, 3]], 2, [], [[]]])
def test_embedding_shapes_layout_and_integer_weights(index):
    w = _pair(np.arange(15).reshape(5, 3))  # an int64 table: torch reads it too (no gradient)
    i = _pair(np.array(index, dtype=np.int64))
    check_op(lambda: F.embedding(i[0], w[0]), lambda: TF.embedding(i[1], w[1]))
    wf = _pair(np.arange(15.0).reshape(3, 5))
    check_op(lambda: F.embedding(i[0].t() if i[0].ndim == 2 else i[0], wf[0].t()),  # non-contiguous both
             lambda: TF.embedding(i[1].t() if i[1].ndim == 2 else i[1], wf[1].t()))


def test_embedding_second_derivative():
    w = _pair(np.random.default_rng(0).standard_normal((5, 3)))
    leaves = w[0].detach().requires_grad_(), w[1].detach().requires_grad_()
    i = _pair([[1, 1, 4], [0, 1, 2]])
    firsts = []
    for lib, leaf, idx in ((tl, leaves[0], i[0]), (torch, leaves[1], i[1])):
        out = lib.nn.functional.embedding(idx, leaf, padding_idx=4)
        (g,) = lib.autograd.grad((out * out).sum(), [leaf], create_graph=True)
        (g * g).sum().backward()
        firsts.append(g)
    assert_matches(firsts[0].detach(), firsts[1].detach())
    assert_matches(leaves[0].grad, leaves[1].grad)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
def test_embedding_max_norm_renormalizes_read_rows_in_place(norm_type):
    values = np.random.default_rng(1).standard_normal((6, 4)) * 2
    w, i = _pair(values, FLOATS[0]), _pair([[0, 3, 3], [5, 0, 1]])
    w = w[0].requires_grad_(), w[1].requires_grad_()
    out_o = F.embedding(i[0], w[0], max_norm=1.5, norm_type=norm_type)
    out_t = TF.embedding(i[1], w[1], max_norm=1.5, norm_type=norm_type)
    assert_matches(out_o, out_t, rtol=1e-6, atol=1e-6)
    assert_matches(w[0].detach(), w[1].detach(), rtol=1e-6, atol=1e-6)  # rows 0, 1, 3, 5 shrunk; 2, 4 as they were
    assert w[0]._version > 0
    out_o.sum().backward()
    out_t.sum().backward()
    assert_matches(w[0].grad, w[1].grad)


def test_embedding_errors_match_torch():
    w = _pair(np.zeros((5, 3), np.float32))
    i = _pair([1, 2])
    cases = [
        (lambda lib, w, i: lib.nn.functional.embedding(i.float(), w)),
        (lambda lib, w, i: lib.nn.functional.embedding(i.to(lib.uint8), w)),
        (lambda lib, w, i: lib.nn.functional.embedding(i.to(lib.int16), w)),
        (lambda lib, w, i: lib.nn.functional.embedding(i, w[0])),
        (lambda lib, w, i: lib.nn.functional.embedding(i, w.reshape(5, 3, 1))),
        (lambda lib, w, i: lib.nn.functional.embedding(i, w, padding_idx=5)),
        (lambda lib, w, i: lib.nn.functional.embedding(i, w, padding_idx=-6)),
        (lambda lib, w, i: lib.nn.functional.embedding([1], w)),
        (lambda lib, w, i: lib.nn.functional.embedding(i, [1.0])),
        (lambda lib, w, i: lib.nn.Embedding(5, 3, padding_idx=5)),
        (lambda lib, w, i: lib.nn.Embedding(5, 3, padding_idx=-6)),
        (lambda lib, w, i: lib.nn.Embedding(5, 3, _weight=w.t())),
        (lambda lib, w, i: lib.nn.Embedding.from_pretrained(w[0])),
    ]
    if TEST_DEVICE == "cpu":  # (a GPU does not check the indices: see the simulated-GPU test below)
        cases += [(lambda lib, w, i: lib.nn.functional.embedding(i + 4, w)),
                  (lambda lib, w, i: lib.nn.functional.embedding(i - 2, w)),
                  (lambda lib, w, i: lib.nn.functional.embedding(i + 4, w, max_norm=1.0)),
                  (lambda lib, w, i: lib.nn.functional.embedding(i - 8, w, max_norm=1.0)),
                  (lambda lib, w, i: lib.nn.functional.embedding(i - 2, w, max_norm=1.0)),
                  (lambda lib, w, i: lib.nn.functional.embedding(i, w[:0]))]
    for case in cases:
        assert_same_error(lambda case=case: case(tl, w[0], i[0]), lambda case=case: case(torch, w[1], i[1]),
                          match_message=True)
    with pytest.raises(NotImplementedError, match="sparse"):
        F.embedding(i[0], w[0], sparse=True)


# ====================================================================== nn.Embedding
def test_embedding_module_init_padding_and_seed():
    tl.manual_seed(0)
    layer = nn.Embedding(1000, 64, padding_idx=-1)
    w = _host(layer.weight)
    assert layer.padding_idx == 999 and w.shape == (1000, 64) and w.dtype == np.float32
    assert isinstance(layer.weight, nn.Parameter) and layer.weight.requires_grad
    assert not w[999].any() and abs(w[:999].mean()) < 0.01 and abs(w[:999].std() - 1) < 0.01  # N(0, 1)
    tl.manual_seed(0)
    np.testing.assert_array_equal(_host(nn.Embedding(1000, 64, padding_idx=-1).weight), w)
    assert nn.Embedding(3, 2, dtype=tl.float64).weight.dtype is tl.float64
    assert list(layer.state_dict()) == ["weight"]
    out = layer(tl.tensor([[999, 3]]))
    out.sum().backward()
    assert out.shape == (1, 2, 64) and not _host(layer.weight.grad)[999].any() and _host(layer.weight.grad)[3].all()


def test_embedding_module_matches_torch_after_loading_weights():
    theirs = torch.nn.Embedding(7, 3, padding_idx=2, scale_grad_by_freq=True)
    ours = nn.Embedding(7, 3, padding_idx=2, scale_grad_by_freq=True)
    ours.load_state_dict({"weight": tl.tensor(theirs.weight.detach().numpy())})
    i = _pair([[1, 2, 6, 1], [0, 0, 0, 2]])
    out_o, out_t = ours(i[0]), theirs(i[1])
    assert_matches(out_o, out_t)
    g = np.random.default_rng(0).standard_normal((2, 4, 3)).astype(np.float32)
    out_o.backward(tl.tensor(g))
    out_t.backward(torch.tensor(g))
    assert_matches(ours.weight.grad, theirs.weight.grad)


def test_embedding_repr_matches_torch():
    for args, kwargs in [((5, 3), {}), ((5, 3), {"padding_idx": -1}),
                         ((10, 4), {"padding_idx": 0, "max_norm": 1.0, "norm_type": 1.0, "scale_grad_by_freq": True,
                                    "sparse": True})]:
        assert repr(nn.Embedding(*args, **kwargs)) == repr(torch.nn.Embedding(*args, **kwargs))
    assert repr(nn.Sequential(nn.Embedding(4, 2), nn.LayerNorm(2))) == repr(
        torch.nn.Sequential(torch.nn.Embedding(4, 2), torch.nn.LayerNorm(2)))


def test_embedding_from_pretrained():
    vectors = tl.tensor([[1.0, 2.3, 3.0], [4.0, 5.1, 6.3], [0.5, 0.5, 0.5]])
    layer = nn.Embedding.from_pretrained(vectors)
    assert (layer.num_embeddings, layer.embedding_dim) == (3, 3) and not layer.weight.requires_grad
    assert layer.weight.data_ptr() == vectors.data_ptr()  # the same memory, as torch's Parameter(embeddings)
    np.testing.assert_allclose(_host(layer(tl.tensor([1]))), [[4.0, 5.1, 6.3]], rtol=1e-6)
    assert list(layer.parameters()) == [layer.weight]
    trainable = nn.Embedding.from_pretrained(vectors, freeze=False, padding_idx=2)
    assert trainable.weight.requires_grad and _host(trainable.weight)[2].tolist() == [0.5, 0.5, 0.5]  # not zeroed
    trainable(tl.tensor([2, 0, 0])).sum().backward()
    np.testing.assert_array_equal(_host(trainable.weight.grad), [[2, 2, 2], [0, 0, 0], [0, 0, 0]])
    assert repr(trainable) == repr(torch.nn.Embedding.from_pretrained(torch.zeros(3, 3), padding_idx=2))
    frozen_ints = nn.Embedding.from_pretrained(tl.tensor([[1, 2], [3, 4]]))
    assert frozen_ints(tl.tensor(1)).tolist() == [3, 4]


# ====================================================================== F.layer_norm
@given(shape=st.lists(st.integers(0, 4), min_size=1, max_size=4).map(tuple), data=st.data(),
       dtype=st.sampled_from(FLOATS), affine=st.sampled_from(["both", "weight", "bias", "none"]),
       eps=st.sampled_from([1e-5, 1e-3, 0.5]), layout=st.sampled_from(["contiguous", "transposed"]))
def test_layer_norm_matches_torch(shape, data, dtype, affine, eps, layout):
    k = data.draw(st.integers(1, len(shape)), label="normalized dims")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16), label="seed"))
    values = rng.standard_normal(shape) * 3 + 1
    if layout == "transposed":  # a non-contiguous input: the same values through a transposed copy
        x = tuple(t.transpose(0, -1) for t in _pair(np.ascontiguousarray(values.swapaxes(0, -1)), dtype))
    else:
        x = _pair(values, dtype)
    norm_shape = list(shape[len(shape) - k:])
    w = _pair(rng.uniform(0.5, 2.0, norm_shape), dtype) if affine in ("both", "weight") else (None, None)
    b = _pair(rng.standard_normal(norm_shape), dtype) if affine in ("both", "bias") else (None, None)
    check_gradients(lambda lib, x, w, b: lib.nn.functional.layer_norm(x, norm_shape, w, b, eps), x, w, b)


def test_layer_norm_numerics_biased_variance_and_eps_inside_the_sqrt():
    x = _pair([[1.0, 2.0, 3.0, 6.0], [5.0, 5.0, 5.0, 5.0]], FLOATS[1])
    for eps in (1e-5, 1.0, 0.0):
        check_op(lambda eps=eps: F.layer_norm(x[0], [4], eps=eps), lambda eps=eps: TF.layer_norm(x[1], [4], eps=eps))
    out = F.layer_norm(x[0], (4,), eps=1.0)
    row = np.array([1.0, 2.0, 3.0, 6.0])
    np.testing.assert_allclose(_host(out)[0], (row - row.mean()) / np.sqrt(row.var() + 1.0))  # var: divided by N
    big = _pair(np.random.default_rng(0).standard_normal((3, 8)) * 1e4 + 1e4, FLOATS[0])
    check_op(lambda: F.layer_norm(big[0], [8]), lambda: TF.layer_norm(big[1], [8]), rtol=1e-4, atol=1e-4)


def test_layer_norm_mixed_half_input_float_parameters():
    x = _pair(np.random.default_rng(0).standard_normal((3, 5)), FLOATS[2])
    w = _pair(np.linspace(0.5, 1.5, 5), FLOATS[0])
    b = _pair(np.linspace(-1, 1, 5), FLOATS[0])
    leaves = [[p[i].detach().requires_grad_() for p in (x, w, b)] for i in (0, 1)]
    out_o, out_t = F.layer_norm(*leaves[0][:1], [5], *leaves[0][1:]), TF.layer_norm(*leaves[1][:1], [5], *leaves[1][1:])
    assert_matches(out_o, out_t)  # float16, like the input
    g = np.random.default_rng(1).standard_normal((3, 5))
    out_o.backward(tl.tensor(g).half())
    out_t.backward(torch.tensor(g).half())
    for o, t in zip(*leaves):  # torch rounds its float32 weight/bias gradients through float16 terms: half's tolerance
        assert_matches(o.grad, t.grad, check_stride=False, rtol=2e-3, atol=2e-3)


def test_layer_norm_second_derivative():
    rng = np.random.default_rng(0)
    x, w, b = _pair(rng.standard_normal((3, 4))), _pair(rng.uniform(0.5, 2, 4)), _pair(rng.standard_normal(4))
    results = []
    for lib, i in ((tl, 0), (torch, 1)):
        leaves = [p[i].detach().requires_grad_() for p in (x, w, b)]
        out = lib.nn.functional.layer_norm(leaves[0], [4], leaves[1], leaves[2])
        firsts = lib.autograd.grad((out * out * out).sum(), leaves, create_graph=True)
        sum((f * f).sum() for f in firsts).backward()
        results.append((firsts, [leaf.grad for leaf in leaves]))
    for ours, theirs in zip([*results[0][0], *results[0][1]], [*results[1][0], *results[1][1]]):
        assert_matches(ours.detach(), theirs.detach(), check_stride=False, rtol=1e-9, atol=1e-9)


def test_layer_norm_errors_match_torch():
    x = _pair(np.zeros((2, 3, 4), np.float32))
    ones4 = _pair(np.ones(4, np.float32))
    cases = [
        lambda lib, x, w: lib.nn.functional.layer_norm(x, (5,)),
        lambda lib, x, w: lib.nn.functional.layer_norm(x, (1, 2, 3, 4)),
        lambda lib, x, w: lib.nn.functional.layer_norm(x, (3,)),
        lambda lib, x, w: lib.nn.functional.layer_norm(x, (-4,)),
        lambda lib, x, w: lib.nn.functional.layer_norm(x, ()),
        lambda lib, x, w: lib.nn.functional.layer_norm(x, 4),
        lambda lib, x, w: lib.nn.functional.layer_norm(x, (4.0,)),
        lambda lib, x, w: lib.nn.functional.layer_norm(x[0, 0, 0], (1,)),
        lambda lib, x, w: lib.nn.functional.layer_norm(x, (4,), w[:3]),
        lambda lib, x, w: lib.nn.functional.layer_norm(x, (4,), None, w.reshape(1, 4)),
        lambda lib, x, w: lib.nn.functional.layer_norm(x.long(), (4,)),
        lambda lib, x, w: lib.nn.functional.layer_norm(x.int(), (4,)),
        lambda lib, x, w: lib.nn.functional.layer_norm([1.0], (1,)),
        lambda lib, x, w: lib.nn.functional.layer_norm(x, (4,), [1.0]),
    ]
    for case in cases:
        assert_same_error(lambda case=case: case(tl, x[0], ones4[0]), lambda case=case: case(torch, x[1], ones4[1]),
                          match_message=True)


def test_layer_norm_dtype_rules_match_torch():
    """torch's CPU rules for the dtypes of input, weight and bias (and its "mixed dtype" messages)."""
    pairs = [(tl.float16, torch.float16), (tl.float32, torch.float32), (tl.float64, torch.float64)]
    if TEST_DEVICE == "cpu":
        pairs.append((tl.bfloat16, torch.bfloat16))
    values = np.random.default_rng(0).standard_normal((2, 4))
    for xd in pairs:
        for wd in [None, *pairs]:
            for bd in [None, *pairs]:
                x = _pair(values, xd)
                w = _pair(np.ones(4), wd) if wd else (None, None)
                b = _pair(np.zeros(4), bd) if bd else (None, None)
                check_op(lambda x=x, w=w, b=b: F.layer_norm(x[0], [4], w[0], b[0]),
                         lambda x=x, w=w, b=b: TF.layer_norm(x[1], [4], w[1], b[1]), rtol=1e-2, atol=1e-2)


def test_layer_norm_empty_inputs():
    for shape, norm_shape in [((0, 4), [4]), ((2, 0), [0]), ((3, 0, 2), [0, 2])]:
        x = _pair(np.zeros(shape, np.float32))
        w = _pair(np.ones(norm_shape, np.float32))
        check_gradients(lambda lib, x, w, s=norm_shape: lib.nn.functional.layer_norm(x, s, w, w * 0), x, w)


# ====================================================================== nn.LayerNorm
def test_layer_norm_module_init_repr_and_forward():
    layer = nn.LayerNorm(4)
    assert layer.normalized_shape == (4,) and _host(layer.weight).tolist() == [1.0] * 4
    assert _host(layer.bias).tolist() == [0.0] * 4 and isinstance(layer.bias, nn.Parameter)
    assert list(layer.state_dict()) == ["weight", "bias"]
    no_bias = nn.LayerNorm([3, 4], bias=False, dtype=tl.float64)
    assert no_bias.bias is None and no_bias.weight.shape == (3, 4) and no_bias.weight.dtype is tl.float64
    plain = nn.LayerNorm((3, 4), eps=1e-6, elementwise_affine=False)
    assert plain.weight is None and plain.bias is None and list(plain.parameters()) == []
    for args, kwargs in [((4,), {}), (([3, 4],), {"eps": 1e-6, "elementwise_affine": False}),
                         ((4,), {"bias": False}), ((tl.Size([2, 3]),), {})]:
        torch_args = tuple(torch.Size(a) if isinstance(a, tl.Size) else a for a in args)
        assert repr(nn.LayerNorm(*args, **kwargs)) == repr(torch.nn.LayerNorm(*torch_args, **kwargs))
    theirs = torch.nn.LayerNorm([3, 4])
    with torch.no_grad():
        theirs.weight.uniform_(0.5, 2)
        theirs.bias.normal_()
    ours = nn.LayerNorm([3, 4])
    ours.load_state_dict({k: tl.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    x = _pair(np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32))
    x = x[0].requires_grad_(), x[1].requires_grad_()
    out_o, out_t = ours(x[0]), theirs(x[1])
    assert_matches(out_o, out_t)
    g = np.random.default_rng(1).standard_normal((2, 3, 4)).astype(np.float32)
    out_o.backward(tl.tensor(g))
    out_t.backward(torch.tensor(g))
    for o, t in [(x[0], x[1]), (ours.weight, theirs.weight), (ours.bias, theirs.bias)]:
        assert_matches(o.grad, t.grad, rtol=1e-5, atol=1e-5)


# ====================================================================== on the (simulated) GPU
def test_embedding_bad_index_on_the_gpu_reads_nan_without_waiting(simulated):
    w = tl.tensor(np.arange(8.0).reshape(4, 2), device="cuda", requires_grad=True)
    with device_work.count() as work:
        out = F.embedding(tl.tensor([1, 4, -1, 3], device="cuda"), w)
        out.sum().backward()
    assert work.host_reads == 0
    values = out.detach().cpu().numpy()
    np.testing.assert_array_equal(values[[0, 3]], [[2.0, 3.0], [6.0, 7.0]])
    assert np.isnan(values[[1, 2]]).all()
    with device_work.count() as work:  # max_norm leaves an out-of-range index alone, and reads nothing either
        F.embedding(tl.tensor([4, 0], device="cuda"), w, max_norm=0.5)
    assert work.host_reads == 0 and np.abs(w.detach().cpu().numpy()[3]).tolist() == [6.0, 7.0]


@pytest.mark.parametrize("optimizer", [lambda p: tl.optim.SGD(p, lr=0.1), lambda p: tl.optim.Adam(p, lr=1e-3)],
                         ids=["SGD", "Adam"])
@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 0, "scale_grad_by_freq": True, "max_norm": 2.0}],
                         ids=["plain", "padding-freq-max_norm"])
def test_a_training_step_with_embedding_and_layer_norm_never_waits_for_the_gpu(simulated, optimizer, kwargs):
    tl.manual_seed(0)
    model = nn.Sequential(nn.Embedding(10, 8, **kwargs), nn.LayerNorm(8), nn.Flatten(), nn.Linear(24, 3)).to("cuda")
    opt = optimizer(model.parameters())
    loss_fn = nn.CrossEntropyLoss()
    tokens = tl.randint(0, 10, (5, 3), device="cuda")
    labels = tl.randint(0, 3, (5,), device="cuda")

    def step():
        opt.zero_grad()
        loss = loss_fn(model(tokens), labels)
        loss.backward()
        opt.step()
        return loss

    first = step()  # (the optimizer's state is made here)
    with device_work.count(detail=True) as work:
        second = step()
    assert work.host_reads == 0, [event for event in work.events if event[0].startswith("host read")]
    assert second.item() < first.item()
    for layer in (nn.Embedding(10, 8, **kwargs), nn.LayerNorm([2, 8])):
        layer.to("cuda")
        x = tokens if isinstance(layer, nn.Embedding) else tl.randn(5, 2, 8, device="cuda")
        with device_work.count() as work:
            layer(x).square().mean().backward()
        assert work.host_reads == 0, layer
