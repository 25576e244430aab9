"""Chapter 4 — gradients of the shape operations (view, permute, expand, cat, split, select ...) and copies.

A shape operation moves values around without changing them, so its backward moves the
gradient back: reshape it, permute it back, sum it over expanded dimensions, split it
among the inputs of ``cat``, or write it into a zero tensor at the selected place. Each
gradient is checked against torch on random shapes and memory layouts
(``check_gradients``, with a random upstream gradient, so the op alone is enough),
against finite differences in float64 (``gradcheck``), and by the graph node's name.
Backward passes are made of tensor operations, so they can be differentiated again
(``create_graph=True``): checked at the end, with torch's node names for those too.
"""

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_lessons as tl
from grad_parity import check_gradients
from parity import assert_matches, tensor_pairs

F32_F64 = [(tl.float32, torch.float32), (tl.float64, torch.float64)]
WITH_F16 = F32_F64 + [(tl.float16, torch.float16)]

small_shapes = st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple)
nonempty_shapes = st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple)


def pairs(shape, dtype_pairs=F32_F64):
    """The same tensor in both libraries, often non-contiguous (permuted, sliced, expanded)."""
    return tensor_pairs(shape=shape, dtype_pairs=dtype_pairs)


@st.composite
def shape_and_pair(draw, shapes=small_shapes, dtype_pairs=F32_F64):
    shape = draw(shapes)
    return shape, draw(pairs(shape, dtype_pairs))


def a_dim(draw, ndim):
    """Any valid dim of an ``ndim``-D tensor, negative ones included."""
    span = max(ndim, 1)
    return draw(st.integers(-span, span - 1))


# ====================================================================== views: gradient reshaped / permuted back
@given(st.data())
def test_reshape_and_view_gradients(data):
    shape, pair = data.draw(shape_and_pair(dtype_pairs=WITH_F16))
    # a new shape from the same sizes, shuffled, with size-1 dims added and maybe a -1
    sizes = list(shape) + [1] * data.draw(st.integers(0, 2))
    target = list(data.draw(st.permutations(sizes)))
    if target and data.draw(st.booleans()):
        target[data.draw(st.integers(0, len(target) - 1))] = -1
    check_gradients(lambda lib, x: x.reshape(target), pair)  # a view, or a copy when none exists
    try:
        pair[1].view(target)
    except RuntimeError:
        return  # torch can't view these strides: neither can we (tested in chapter 2)
    check_gradients(lambda lib, x: x.view(target), pair)
    check_gradients(lambda lib, x: x.view_as(lib.empty(x.view(target).shape)), pair)


@given(st.data())
def test_flatten_unflatten_reshape_as_gradients(data):
    shape, pair = data.draw(shape_and_pair())
    start = a_dim(data.draw, len(shape))
    end = data.draw(st.integers(start % max(len(shape), 1), max(len(shape) - 1, 0)))
    check_gradients(lambda lib, x: x.flatten(start, end), pair)
    check_gradients(lambda lib, x: x.reshape_as(lib.empty(x.flatten().shape)), pair)
    if shape:
        dim = a_dim(data.draw, len(shape))
        check_gradients(lambda lib, x: x.unflatten(dim, (1, shape[dim], 1)), pair)


@given(st.data())
def test_squeeze_unsqueeze_gradients(data):
    shape = data.draw(st.lists(st.integers(1, 3), max_size=4).map(tuple))  # many size-1 dims
    pair = data.draw(pairs(shape, WITH_F16))
    ndim = len(shape)
    dim = a_dim(data.draw, ndim)
    check_gradients(lambda lib, x: x.squeeze(), pair)
    check_gradients(lambda lib, x: x.squeeze(dim), pair)
    if ndim:
        dims = tuple(data.draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True)))
        check_gradients(lambda lib, x: x.squeeze(dims), pair)
    new = data.draw(st.integers(-ndim - 1, ndim))
    check_gradients(lambda lib, x: x.unsqueeze(new), pair)
    check_gradients(lambda lib, x: x.unsqueeze(new).squeeze(new), pair)


@given(st.data())
def test_permute_transpose_movedim_gradients(data):
    shape, pair = data.draw(shape_and_pair(dtype_pairs=WITH_F16))
    ndim = len(shape)
    perm = data.draw(st.permutations(range(ndim)))
    d0, d1 = a_dim(data.draw, ndim), a_dim(data.draw, ndim)
    check_gradients(lambda lib, x: x.permute(perm), pair)
    check_gradients(lambda lib, x: x.transpose(d0, d1), pair)
    check_gradients(lambda lib, x: x.swapaxes(d0, d1), pair)
    check_gradients(lambda lib, x: x.movedim(d0, d1), pair)
    check_gradients(lambda lib, x: lib.moveaxis(x, d0, d1), pair)
    if ndim <= 2:
        check_gradients(lambda lib, x: x.t(), pair)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # x.T on a 0-d tensor: both warn
            check_gradients(lambda lib, x: x.T, pair)
    if ndim >= 2:
        check_gradients(lambda lib, x: x.mT, pair)


@given(st.data())
def test_expand_gradient_sums_over_the_repeated_dims(data):
    shape = data.draw(st.lists(st.sampled_from([1, 1, 2, 3]), max_size=3).map(tuple))
    pair = data.draw(pairs(shape, WITH_F16))
    target = tuple(data.draw(st.integers(1, 3)) if n == 1 else n for n in shape)
    lead = tuple(data.draw(st.lists(st.integers(1, 3), max_size=2)))
    check_gradients(lambda lib, x: x.expand(lead + target), pair)
    check_gradients(lambda lib, x: x.expand(lead + (-1,) * len(shape)), pair)
    check_gradients(lambda lib, x: x.expand_as(lib.empty(lead + target)), pair)
    check_gradients(lambda lib, x: lib.broadcast_to(x, lead + target), pair)


@given(st.data())
def test_broadcast_tensors_gradients_of_both(data):
    a = data.draw(st.lists(st.sampled_from([1, 3]), max_size=3).map(tuple))
    b = tuple(data.draw(st.sampled_from([1, n])) for n in a)[data.draw(st.integers(0, len(a))):]
    check_gradients(lambda lib, x, y: lib.broadcast_tensors(x, y), data.draw(pairs(a)), data.draw(pairs(b)))


# ====================================================================== taking apart: gradient written back into place
@given(st.data())
def test_narrow_and_select_gradients(data):
    shape, pair = data.draw(shape_and_pair(nonempty_shapes, WITH_F16))
    dim = a_dim(data.draw, len(shape))
    size = shape[dim]
    start = data.draw(st.integers(-size, size))
    length = data.draw(st.integers(0, size - (start % size if start < 0 else start)))
    index = data.draw(st.integers(-size, size - 1))
    check_gradients(lambda lib, x: x.narrow(dim, start, length), pair)
    check_gradients(lambda lib, x: x.select(dim, index), pair)
    check_gradients(lambda lib, x: lib.select(x, dim, index), pair)


@given(st.data())
def test_split_chunk_unbind_gradients_with_some_outputs_unused(data):
    shape, pair = data.draw(shape_and_pair(nonempty_shapes))
    dim = a_dim(data.draw, len(shape))
    size = shape[dim]
    split_size = data.draw(st.integers(1, size + 1))
    sizes = data.draw(st.lists(st.integers(0, size), min_size=1, max_size=3).filter(lambda s: sum(s) <= size))
    sizes = sizes + [size - sum(sizes)]
    chunks = data.draw(st.integers(1, 4))

    def some(outputs):
        """A random subset of the outputs (the others' gradients arrive as zeros)."""
        keep = data.draw(st.lists(st.booleans(), min_size=len(outputs), max_size=len(outputs)))
        kept = tuple(o for o, k in zip(outputs, keep) if k)
        return kept or outputs[:1]

    keep_split = some(range(len(pair[1].split(split_size, dim))))
    keep_sizes = some(range(len(sizes)))
    keep_chunk = some(range(len(pair[1].chunk(chunks, dim))))
    keep_unbind = some(range(size))
    check_gradients(lambda lib, x: tuple(x.split(split_size, dim)[i] for i in keep_split), pair)
    check_gradients(lambda lib, x: tuple(lib.split(x, sizes, dim)[i] for i in keep_sizes), pair)
    check_gradients(lambda lib, x: tuple(x.chunk(chunks, dim)[i] for i in keep_chunk), pair)
    check_gradients(lambda lib, x: tuple(x.unbind(dim)[i] for i in keep_unbind), pair)
    check_gradients(lambda lib, x: x.split(split_size, dim), pair)  # every output


def test_one_output_of_split_then_another_op_on_a_second_one():
    for lib in (tl, torch):
        x = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=lib.float64, requires_grad=True)
        a, b, c = x.unbind(1)
        lib.cat([a, c.flip(0)]).backward(lib.tensor([1.0, 2.0, 3.0, 4.0], dtype=lib.float64))
        assert x.grad.tolist() == [[1.0, 0.0, 4.0], [2.0, 0.0, 3.0]]


# ====================================================================== joining: the gradient is split among the inputs
@given(st.data())
def test_cat_gradient_goes_to_each_input_in_its_dtype(data):
    shape = data.draw(nonempty_shapes)
    dim = a_dim(data.draw, len(shape))
    inputs = []
    for _ in range(data.draw(st.integers(1, 3))):
        piece = list(shape)
        piece[dim] = data.draw(st.integers(0, 3))
        inputs.append(data.draw(pairs(tuple(piece), WITH_F16)))
    check_gradients(lambda lib, *xs: lib.cat(xs, dim), *inputs)
    check_gradients(lambda lib, *xs: lib.concat(xs, dim=dim), *inputs)


@given(st.data())
def test_stack_gradient_goes_to_each_input_in_its_dtype(data):
    shape = data.draw(small_shapes)
    dim = data.draw(st.integers(-len(shape) - 1, len(shape)))
    inputs = [data.draw(pairs(shape, WITH_F16)) for _ in range(data.draw(st.integers(1, 3)))]
    check_gradients(lambda lib, *xs: lib.stack(xs, dim), *inputs)


def test_cat_and_stack_with_an_integer_input_and_legacy_empty_tensors():
    ints = (tl.tensor([[1, 2], [3, 4]]), torch.tensor([[1, 2], [3, 4]]))
    floats = (tl.tensor([[0.5, 1.5], [2.5, 3.5]]), torch.tensor([[0.5, 1.5], [2.5, 3.5]]))
    empty = (tl.zeros(0, dtype=tl.float64), torch.zeros(0, dtype=torch.float64))
    check_gradients(lambda lib, x, i: lib.cat([i, x], 1), floats, ints)  # int64 + float32: float32, no grad for ints
    check_gradients(lambda lib, x, i: lib.stack([x, i], 2), floats, ints)
    check_gradients(lambda lib, e, x, e2: lib.cat([e, x, e2], 0), empty, floats, empty)  # 1-D empties: skipped
    check_gradients(lambda lib, e, e2: lib.cat([e, e2]), empty, empty)


# ====================================================================== copies
@given(st.data())
def test_repeat_gradient_sums_the_copies(data):
    shape, pair = data.draw(shape_and_pair(dtype_pairs=WITH_F16))
    repeats = tuple(data.draw(st.lists(st.integers(0, 3), min_size=len(shape), max_size=len(shape) + 2)))
    check_gradients(lambda lib, x: x.repeat(repeats), pair)


@given(st.data())
def test_flip_gradient(data):
    shape, pair = data.draw(shape_and_pair(dtype_pairs=WITH_F16))
    ndim = len(shape)
    dims = data.draw(st.lists(st.integers(0, max(ndim - 1, 0)), max_size=ndim, unique=True))
    check_gradients(lambda lib, x: x.flip(dims), pair)


@given(st.data())
def test_clone_contiguous_and_casts_pass_the_gradient_through(data):
    shape, pair = data.draw(shape_and_pair(dtype_pairs=WITH_F16))
    check_gradients(lambda lib, x: x.clone(), pair)
    check_gradients(lambda lib, x: x.contiguous(), pair)
    check_gradients(lambda lib, x: x.transpose(0, -1).contiguous() if x.ndim else x, pair)
    target = data.draw(st.sampled_from(["float16", "float32", "float64"]))
    check_gradients(lambda lib, x: x.to(getattr(lib, target)), pair)  # the gradient is cast back
    check_gradients(lambda lib, x: x.to(x.dtype, copy=True), pair)
    check_gradients(lambda lib, x: x.double(), pair)
    check_gradients(lambda lib, x: x.type_as(lib.ones(1, dtype=lib.float64)), pair)


def test_copies_record_a_node_only_when_they_copy():
    x = tl.ones(2, 3, requires_grad=True)
    assert x.contiguous() is x and x.to(tl.float32) is x and x.float() is x  # nothing happens
    assert x.flatten(0, 0) is x
    assert tl.ones(2, 3).clone().grad_fn is None  # no grad needed: no node
    y = x.to(tl.int64)
    assert y.grad_fn is None and not y.requires_grad  # as torch: integers carry no gradient
    with tl.no_grad():
        assert x.clone().grad_fn is None and x.double().grad_fn is None
    z = x.clone()
    assert z.grad_fn.name() == "CloneBackward0" and z.grad_fn.next_functions[0][0].variable is x
    z = x.t().contiguous()
    assert z.is_contiguous() and z.grad_fn.name() == "CloneBackward0"
    assert z.grad_fn.next_functions[0][0].name() == "TBackward0"


# ====================================================================== views lead back to their base
def test_gradient_of_a_view_of_a_view_flows_to_the_leaf():
    for lib in (tl, torch):
        x = lib.arange(12.0, dtype=lib.float64).requires_grad_()
        y = x.view(3, 4).narrow(1, 1, 2).select(0, 2)  # x[9], x[10]
        y.backward(lib.tensor([1.0, 2.0], dtype=lib.float64))
        assert x.grad.tolist() == [0.0] * 9 + [1.0, 2.0, 0.0]


@pytest.mark.parametrize("chain", [
    lambda lib, x: x.T.reshape(-1).narrow(0, 0, 3).sum(),
    lambda lib, x: x.t().flatten().narrow(0, 2, 4).flip(0).cumsum(0).sum(),
    lambda lib, x: x.unsqueeze(0).expand(3, 4, 5).permute(2, 0, 1).reshape(5, 12).narrow(1, 3, 6).select(0, 1).sum(),
    lambda lib, x: lib.cat(x.chunk(3, 1)[::-1], 1).view(-1).narrow(0, 5, 7).repeat(2).sum(),
    lambda lib, x: lib.stack(x.unbind(1), 0).transpose(0, 1).contiguous().view(2, 10).select(1, 3).sum(),
    lambda lib, x: lib.cat([x.split([1, 3, 1], 1)[1].mT, x.narrow(1, 0, 3).T.unsqueeze(0).squeeze()]).sum(),
])
def test_chains_of_shape_ops_match_torch(chain):
    values = np.arange(20.0).reshape(4, 5) / 4.0
    ours, theirs = tl.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        out_o, out_t = chain(tl, ours), chain(torch, theirs)
    assert_matches(out_o, out_t, check_stride=False)
    out_o.backward()
    out_t.backward()
    assert_matches(ours.grad, theirs.grad, check_stride=False)


def test_reshape_that_copies_is_two_nodes_as_in_torch():
    for lib in (tl, torch):
        x = lib.ones(3, 4, requires_grad=True)
        y = x.t().reshape(-1)
        assert y.grad_fn.name() == "UnsafeViewBackward0"
        clone = y.grad_fn.next_functions[0][0]
        assert clone.name() == "CloneBackward0" and clone.next_functions[0][0].name() == "TBackward0"


# ====================================================================== finite differences (float64)
def _gc_input(shape, seed=0):
    return tl.tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


GRADCHECK = {
    "view": ((2, 3, 4), lambda x: x.view(4, 6)),
    "reshape copy": ((2, 3, 4), lambda x: x.transpose(0, 2).reshape(6, 4)),
    "flatten": ((2, 3, 4), lambda x: x.flatten(1)),
    "unflatten": ((2, 6), lambda x: x.unflatten(1, (3, 2))),
    "squeeze": ((2, 1, 3, 1), lambda x: x.squeeze()),
    "squeeze dim": ((2, 1, 3), lambda x: x.squeeze(1)),
    "squeeze dims": ((1, 2, 1), lambda x: x.squeeze((0, 2))),
    "unsqueeze": ((2, 3), lambda x: x.unsqueeze(1)),
    "permute": ((2, 3, 4), lambda x: x.permute(1, 2, 0)),
    "transpose": ((2, 3, 4), lambda x: x.transpose(0, 2)),
    "t": ((3, 4), lambda x: x.t()),
    "mT": ((2, 3, 4), lambda x: x.mT),
    "movedim": ((2, 3, 4), lambda x: x.movedim(0, -1)),
    "expand": ((3, 1), lambda x: x.expand(2, 3, 4)),
    "narrow": ((3, 5), lambda x: x.narrow(1, 1, 3)),
    "select": ((3, 5), lambda x: x.select(1, 2)),
    "split": ((3, 5), lambda x: x.split(2, 1)),
    "split sizes": ((3, 5), lambda x: x.split([1, 4], 1)),
    "chunk": ((6, 2), lambda x: x.chunk(4, 0)),
    "unbind": ((3, 2), lambda x: x.unbind(1)),
    "cat": ((2, 3), lambda x: tl.cat([x, x.t().reshape(2, 3), x], 1)),
    "stack": ((2, 3), lambda x: tl.stack([x, x.flip(0)], 1)),
    "repeat": ((2, 3), lambda x: x.repeat(2, 1, 3)),
    "flip": ((2, 3, 4), lambda x: x.flip(0, 2)),
    "clone": ((2, 3), lambda x: x.clone()),
    "contiguous": ((2, 3), lambda x: x.t().contiguous()),
    "to": ((2, 3), lambda x: x.to(tl.float64, copy=True)),
}


@pytest.mark.parametrize("name", GRADCHECK)
def test_gradcheck(name):
    shape, fn = GRADCHECK[name]
    assert tl.autograd.gradcheck(fn, (_gc_input(shape),))


def test_gradcheck_would_catch_a_wrong_backward(monkeypatch):
    from tinygrad_lessons import shape_ops

    monkeypatch.setattr(shape_ops.Flip, "backward", staticmethod(lambda ctx, grad: (grad, None)))
    with pytest.raises(tl.autograd.GradcheckError):
        tl.autograd.gradcheck(lambda x: x.flip(0), (_gc_input((3, 2)),))


# ====================================================================== node names
NAMES = [
    lambda lib, x: x.view(4, 6), lambda lib, x: x.view_as(x), lambda lib, x: x.reshape(6, 4),
    lambda lib, x: x.transpose(0, 1).reshape(-1), lambda lib, x: x.flatten(), lambda lib, x: x.unflatten(2, (2, 2)),
    lambda lib, x: x.narrow(1, 0, 1).squeeze(), lambda lib, x: x.narrow(1, 0, 1).squeeze(1),
    lambda lib, x: x.narrow(1, 0, 1).squeeze((0, 1)), lambda lib, x: x.squeeze(0), lambda lib, x: x.unsqueeze(0),
    lambda lib, x: x.permute(2, 0, 1), lambda lib, x: x.movedim(0, 1), lambda lib, x: x.transpose(0, 1),
    lambda lib, x: x.swapaxes(0, 2), lambda lib, x: x.mT, lambda lib, x: x.select(0, 0).t(),
    lambda lib, x: x.select(0, 0).T, lambda lib, x: x.select(0, 0).select(0, 0).t(),
    lambda lib, x: x.narrow(1, 0, 1).expand(2, 3, 4), lambda lib, x: lib.broadcast_to(x, (2, 2, 3, 4)),
    lambda lib, x: lib.cat([x, x]), lambda lib, x: lib.stack([x, x]), lambda lib, x: lib.stack([x, x], 3),
    lambda lib, x: x.split(2, 2)[1], lambda lib, x: x.split([1, 3], 2)[0], lambda lib, x: x.chunk(2, 1)[0],
    lambda lib, x: x.narrow(1, 0, 0).chunk(2, 1)[0], lambda lib, x: x.unbind(1)[0], lambda lib, x: x.select(1, 2),
    lambda lib, x: x.narrow(2, 1, 2), lambda lib, x: x.repeat(1, 2, 1), lambda lib, x: x.flip(0),
    lambda lib, x: x.clone(), lambda lib, x: x.transpose(0, 1).contiguous(), lambda lib, x: x.double(),
    lambda lib, x: x.to(lib.float16), lambda lib, x: x.to(lib.float32, copy=True),
]


@pytest.mark.parametrize("index", range(len(NAMES)))
def test_node_names_match_torch(index):
    fn = NAMES[index]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ours = fn(tl, tl.ones(2, 3, 4, requires_grad=True))
        theirs = fn(torch, torch.ones(2, 3, 4, requires_grad=True))
    assert ours.grad_fn.name() == theirs.grad_fn.name()
    # one level down too (e.g. reshape's copy: UnsafeViewBackward0 <- CloneBackward0)
    ours_next = [n.name() for n, _ in ours.grad_fn.next_functions if n is not None]
    theirs_next = [n.name() for n, _ in theirs.grad_fn.next_functions if n is not None]
    assert ours_next == theirs_next


def test_a_0d_mT_is_the_tensor_itself_as_in_torch():
    x = tl.tensor(2.0, requires_grad=True)
    with pytest.warns(UserWarning):
        assert x.mT is x


# ====================================================================== backward of backward
SECOND_ORDER = {
    "narrow": lambda lib, x: x.narrow(1, 1, 2),
    "select": lambda lib, x: x.select(1, 1),
    "split": lambda lib, x: x.split(2, 1)[0],
    "unbind": lambda lib, x: x.unbind(1)[2],
    "expand": lambda lib, x: x.narrow(0, 0, 1).expand(5, 4),
    "cat": lambda lib, x: lib.cat([lib.ones(1, 4), x.float()]),
    "stack": lambda lib, x: lib.stack([x, lib.zeros(3, 4, dtype=lib.float64)], 1),
    "repeat": lambda lib, x: x.repeat(2, 1, 2),
    "view": lambda lib, x: x.view(12),
    "reshape copy": lambda lib, x: x.t().reshape(12),
    "permute": lambda lib, x: x.permute(1, 0),
    "squeeze": lambda lib, x: x.narrow(0, 0, 1).squeeze(0),
    "transpose": lambda lib, x: x.transpose(0, 1),
    "flip": lambda lib, x: x.flip(0),
    "to": lambda lib, x: x.float(),
    "clone": lambda lib, x: x.clone(),
}


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_backward_is_differentiable_and_named_as_in_torch(name):
    """grad(out, x, v, create_graph=True) is linear in v: differentiate it with respect to v."""
    fn = SECOND_ORDER[name]
    rng = np.random.default_rng(0)
    x_values = rng.standard_normal((3, 4))
    results = []
    for lib in (tl, torch):
        x = lib.tensor(x_values, requires_grad=True)
        out = fn(lib, x)
        v_values = np.random.default_rng(1).standard_normal(tuple(out.shape))
        v = lib.tensor(v_values, dtype=out.dtype, requires_grad=True)
        (gx,) = lib.autograd.grad(out, x, v, create_graph=True)
        w = lib.tensor(np.random.default_rng(2).standard_normal((3, 4)))
        (gv,) = lib.autograd.grad(gx, v, w)  # d(sum(gx * w)) / dv
        results.append((gx, gv))
    (gx_o, gv_o), (gx_t, gv_t) = results
    assert_matches(gx_o, gx_t, check_stride=False)
    assert_matches(gv_o, gv_t, check_stride=False)
    assert gx_o.requires_grad
    name = lambda t: t.grad_fn and t.grad_fn.name()  # noqa: E731 - None for clone: the gradient passes as is
    assert name(gx_o) == name(gx_t)


def test_check_gradients_fails_on_a_wrong_gradient(monkeypatch):
    """The parity tests above can fail: a backward that forgets to permute back is caught."""
    from tinygrad_lessons import shape_ops

    monkeypatch.setattr(shape_ops.Permute, "backward", staticmethod(lambda ctx, grad: (grad.permute(ctx.dims), None)))
    pair = (tl.ones(2, 3, 4), torch.ones(2, 3, 4))
    with pytest.raises(AssertionError):
        check_gradients(lambda lib, x: x.permute(1, 2, 0), pair)
