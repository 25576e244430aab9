"""Chapter 4 — gradients of indexing: ``t[...]``, ``where``, ``gather``/``scatter``, masks, ``take``, and writes.

Reading elements sends the gradient back to where they were read from: a basic index
(a view) writes it into zeros at the viewed place; an advanced index *adds* it there,
so an element read twice (``x[[0, 0]]``) gets both gradients. ``where`` and the
masked ops split the gradient between the two sources; ``gather`` and ``scatter`` are
each other's backward. Writing (``h[i] = v``, ``masked_fill_``, ``scatter_``) on a
tensor in the graph is recorded too: the overwritten values get no gradient, the
written value gets the gradient of the places it went to.

Each gradient is compared with torch's on random shapes, memory layouts and indices
(``check_gradients`` sends the same random upstream gradient through both), checked
by finite differences in float64 (``gradcheck``), and the graph nodes are named as
torch names them. Backward passes are tensor ops, so second-order gradients work too.
"""

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_lessons as tl
from grad_parity import as_leaves, check_gradients
from parity import assert_matches, assert_same_error, pair_from_numpy, tensor_pairs
from test_ch3_indexing import advanced_indices, basic_indices, int_pairs

F32_F64 = [(tl.float32, torch.float32), (tl.float64, torch.float64)]
WITH_F16 = F32_F64 + [(tl.float16, torch.float16)]
INT64 = [(tl.int64, torch.int64)]
BOOL = [(tl.bool, torch.bool)]

small_shapes = st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple)
nonempty_shapes = st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple)


def quietly(fn):
    """``fn()`` with the deprecation warnings some indices raise (in both libraries) silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn()


def torch_accepts(fn):
    """True when torch runs ``fn()`` without an error (else the case is about errors: tested in chapter 3)."""
    try:
        quietly(fn)
    except (IndexError, RuntimeError, ValueError, TypeError):
        return False
    return True


def leaves(*pairs):
    """The pairs as leaves that require grad (floats) in both libraries: (ours, theirs)."""
    return as_leaves(pairs)


def assert_same_node(fn, *pairs):
    """``fn``'s output node has torch's name."""
    ours, theirs = leaves(*pairs)
    out_o, out_t = quietly(lambda: fn(tl, *ours)), quietly(lambda: fn(torch, *theirs))
    assert out_o.grad_fn.name() == out_t.grad_fn.name()


@st.composite
def broadcastable_shape(draw, shape):
    """A shape that broadcasts to ``shape``: some trailing dims, some of them 1."""
    n = draw(st.integers(0, len(shape)))
    return tuple(1 if draw(st.integers(0, 2)) == 0 else s for s in shape[len(shape) - n:])


# ====================================================================== t[basic]: the gradient written into zeros
@given(data=st.data())
def test_basic_index_gradients_and_node_names(data):
    pair = data.draw(tensor_pairs(shape=data.draw(small_shapes), dtype_pairs=WITH_F16))
    index = data.draw(basic_indices(tuple(pair[1].shape)))
    check_gradients(lambda lib, x: x[index], pair)
    assert_same_node(lambda lib, x: x[index], pair)  # SelectBackward0, SliceBackward0, Unsqueeze..., Alias...
    check_gradients(lambda lib, x: x[index][index] if torch_accepts(lambda: x[index][index]) else x[index], pair)


BASIC_CASES = ["x[0]", "x[-1]", "x[1:]", "x[:]", "x[0:100]", "x[::2]", "x[None]", "x[...]", "x[:, :]", "x[0, 1:]",
               "x[1:, 0]", "x[:, None]", "x[None, 0]", "x[0, None]", "x[..., None]", "x[:, :, 0]", "x[0:3, 0]",
               "x[-3:, 0]", "x[1:2, None]", "x[None, ...]", "x[..., 0, :]", "x[0, 0, 0]", "x[:, 1:2, None, 0]",
               "x[lib.tensor(1)]", "x[(slice(None),)]", "x[:, 4:]", "x[0][1]", "x[1:][0]"]


@pytest.mark.parametrize("expr", BASIC_CASES)
def test_basic_index_cases(expr):
    pair = pair_from_numpy(np.arange(60.0).reshape(3, 4, 5))

    def fn(lib, x):
        return eval(expr, {"x": x, "lib": lib})

    check_gradients(fn, pair)
    assert_same_node(fn, pair)


# ====================================================================== t[advanced]: the gradient added back
@given(data=st.data())
def test_advanced_index_gradients_accumulate_repeated_positions(data):
    pair = data.draw(tensor_pairs(shape=data.draw(small_shapes), dtype_pairs=WITH_F16))
    o_index, t_index = data.draw(advanced_indices(tuple(pair[1].shape)))  # repeats allowed
    if not torch_accepts(lambda: pair[1][t_index]):
        return

    def fn(lib, x):
        return quietly(lambda: x[o_index if lib is tl else t_index])

    check_gradients(fn, pair)
    assert_same_node(fn, pair)  # IndexBackward0


@st.composite
def mixed_indices(draw, shape):
    """``(ours, theirs)``: an Ellipsis, ``None``s and ints around integer tensors with repeats and masks."""
    ndim = len(shape)
    n_given = draw(st.integers(1, ndim))
    start = draw(st.integers(0, ndim - n_given))  # the dims the items name; `...` covers the others
    ours, theirs = [], []
    index_shape = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=2)))
    d = start
    while d < start + n_given:
        size = shape[d]
        kind = draw(st.sampled_from(["int", "slice", "tensor", "tensor", "mask"]))
        if kind == "int":
            item_o = item_t = draw(st.integers(-size, size - 1))
        elif kind == "slice":
            item_o = item_t = slice(draw(st.integers(0, size)), None)
        elif kind == "tensor":
            values = np.random.default_rng(draw(st.integers(0, 2**32 - 1))).integers(-size, size, index_shape)
            values[..., 0] = values.reshape(-1)[-1]  # at least one position read twice (when there are two)
            item_o, item_t = draw(int_pairs(values))
        else:
            item_o, item_t = draw(tensor_pairs(shape=(size,), dtype_pairs=BOOL))
        ours.append(item_o), theirs.append(item_t)
        d += 1
    position = draw(st.sampled_from([0, len(ours)])) if start == 0 else 0
    ours.insert(position, Ellipsis), theirs.insert(position, Ellipsis)
    for _ in range(draw(st.integers(0, 1))):
        at = draw(st.integers(0, len(ours)))
        ours.insert(at, None), theirs.insert(at, None)
    return tuple(ours), tuple(theirs)


@given(data=st.data())
def test_ellipsis_none_and_index_tensors_with_repeats(data):
    pair = data.draw(tensor_pairs(shape=data.draw(nonempty_shapes), dtype_pairs=F32_F64))
    o_index, t_index = data.draw(mixed_indices(tuple(pair[1].shape)))
    if not torch_accepts(lambda: pair[1][t_index]):
        return
    check_gradients(lambda lib, x: x[o_index if lib is tl else t_index], pair)
    assert_same_node(lambda lib, x: x[o_index if lib is tl else t_index], pair)


def test_repeated_indices_accumulate():
    for lib in (tl, torch):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        x[[0, 0, 2, 0]].sum().backward()
        assert x.grad.tolist() == [3.0, 0.0, 1.0]  # read three times: three gradients, added
        w = lib.zeros(3, 2, dtype=lib.float64, requires_grad=True)
        w[lib.tensor([[1, 1], [1, 2]]), lib.tensor([0, 1])].backward(lib.ones(2, 2, dtype=lib.float64) * 2)
        assert w.grad.tolist() == [[0.0, 0.0], [4.0, 2.0], [0.0, 2.0]]  # (1, 0) read twice


def test_boolean_masks_and_python_bools():
    pair = pair_from_numpy(np.arange(-6.0, 6.0).reshape(3, 4))
    for fn in [lambda lib, x: x[x > 0], lambda lib, x: x[lib.tensor([True, False, True])],
               lambda lib, x: x[:, lib.tensor([True, False, True, True])], lambda lib, x: x[True],
               lambda lib, x: x[False], lambda lib, x: x[None, True, 1], lambda lib, x: x[[True, False, True]],
               lambda lib, x: x[x.abs() > 100]]:
        check_gradients(fn, pair)
        assert_same_node(fn, pair)


# ====================================================================== where
@given(data=st.data())
def test_where_gradient_goes_to_the_chosen_branch(data):
    shape = data.draw(small_shapes)
    cond = data.draw(tensor_pairs(shape=data.draw(broadcastable_shape(shape)), dtype_pairs=BOOL))
    branches = []
    for _ in range(2):
        if data.draw(st.integers(0, 4)) == 0:
            number = data.draw(st.sampled_from([2, -1, 0.5]))
            branches.append((number, number))
        else:  # broadcast, maybe another float dtype: the gradient is summed back and cast
            branches.append(data.draw(tensor_pairs(shape=data.draw(broadcastable_shape(shape)), dtype_pairs=WITH_F16)))
    a, b = branches
    check_gradients(lambda lib, c, x, y: lib.where(c, x, y), cond, a, b)
    if isinstance(a[0], tl.Tensor):
        check_gradients(lambda lib, c, x, y: x.where(c, y), cond, a, b)
        assert_same_node(lambda lib, c, x, y: lib.where(c, x, y), cond, a, b)  # WhereBackward0


def test_where_with_an_integer_branch_and_a_uint8_condition():
    x = pair_from_numpy(np.array([[1.5, -2.0], [0.5, 4.0]]))
    ints = pair_from_numpy(np.array([7, 8]))
    check_gradients(lambda lib, x, i: lib.where(x > 0, x, i), x, ints)
    check_gradients(lambda lib, x: quietly(lambda: lib.where((x > 0).to(lib.uint8), 0.0, x)), x)


# ====================================================================== gather / scatter / scatter_add
@st.composite
def along_a_dim(draw, unique):
    """``(x, dim, index)``: ``index`` no larger than ``x`` off ``dim``; along ``dim`` repeats unless ``unique``."""
    shape = draw(nonempty_shapes)
    x = draw(tensor_pairs(shape=shape, dtype_pairs=WITH_F16))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    d = dim % len(shape)
    index_shape = [draw(st.integers(0, n)) for n in shape]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if unique:  # a different permutation of range(shape[d]) per line along dim, cut to index_shape[d]
        keys = rng.random(tuple(index_shape[:d]) + (shape[d],) + tuple(index_shape[d + 1:]))
        values = np.argsort(keys, axis=d).take(range(index_shape[d]), axis=d)
    else:
        index_shape[d] = draw(st.integers(0, 4))
        values = rng.integers(0, shape[d], index_shape)
    index = draw(int_pairs(values.astype(np.int64)))
    return x, dim, index


@given(case=along_a_dim(unique=False))
def test_gather_gradient_is_a_scatter_add(case):
    x, dim, index = case
    check_gradients(lambda lib, x, i: x.gather(dim, i), x, index)
    check_gradients(lambda lib, x, i: lib.gather(x, dim, i), x, index)
    assert_same_node(lambda lib, x, i: x.gather(dim, i), x, index)  # GatherBackward0


@given(case=along_a_dim(unique=True), data=st.data())
def test_scatter_gradients_for_self_and_src(case, data):
    x, dim, index = case
    src = data.draw(tensor_pairs(shape=tuple(index[1].shape), dtype_pairs=[(x[0].dtype, x[1].dtype)]))
    check_gradients(lambda lib, x, i, s: x.scatter(dim, i, s), x, index, src)
    check_gradients(lambda lib, x, i: lib.scatter(x, dim, i, 2.5), x, index)
    check_gradients(lambda lib, x, i: x.scatter(dim, i, value=-1), x, index)
    assert_same_node(lambda lib, x, i, s: x.scatter(dim, i, s), x, index, src)  # ScatterBackward0
    assert_same_node(lambda lib, x, i: x.scatter(dim, i, 2.5), x, index)  # ScatterBackward1


@given(case=along_a_dim(unique=False), data=st.data())
def test_scatter_add_gradients_repeated_positions(case, data):
    x, dim, index = case
    src = data.draw(tensor_pairs(shape=tuple(index[1].shape), dtype_pairs=[(x[0].dtype, x[1].dtype)]))
    check_gradients(lambda lib, x, i, s: x.scatter_add(dim, i, s), x, index, src)
    check_gradients(lambda lib, x, i, s: lib.scatter_add(x, dim, i, s), x, index, src)
    assert_same_node(lambda lib, x, i, s: x.scatter_add(dim, i, s), x, index, src)  # ScatterAddBackward0


def test_scatter_backward_errors_like_torch():
    def bigger_src(name):
        def run(lib):
            x = lib.zeros(3, 3, requires_grad=True)
            src = lib.ones(3, 3, requires_grad=True)
            getattr(x, name)(1, lib.tensor([[0, 1]]), src).sum().backward()
        return run

    for name in ["scatter", "scatter_add"]:  # src larger than index: torch's engine refuses src's gradient
        run = bigger_src(name)
        assert_same_error(lambda run=run: run(tl), lambda run=run: run(torch), match_message=True)

    def with_reduce(lib):
        x = lib.ones(3, requires_grad=True)
        quietly(lambda: x.scatter(0, lib.tensor([0, 0]), x * 2, reduce="multiply")).sum().backward()

    assert_same_error(lambda: with_reduce(tl), lambda: with_reduce(torch), match_message=True)


# ====================================================================== masks, index_select, take
@given(data=st.data())
def test_masked_fill_gradients_with_number_and_tensor_values(data):
    shape = data.draw(small_shapes)
    x = data.draw(tensor_pairs(shape=data.draw(broadcastable_shape(shape)), dtype_pairs=WITH_F16))
    mask = data.draw(tensor_pairs(shape=data.draw(broadcastable_shape(shape)), dtype_pairs=BOOL))
    value = data.draw(tensor_pairs(shape=(), dtype_pairs=F32_F64))  # 0-d, maybe another dtype: cast back
    check_gradients(lambda lib, x, m: x.masked_fill(m, -1.5), x, mask)
    check_gradients(lambda lib, x, m, v: x.masked_fill(m, v), x, mask, value)  # v gets the masked sum
    check_gradients(lambda lib, x, m, v: lib.masked_fill(x, m, v), x, mask, value)
    assert_same_node(lambda lib, x, m: x.masked_fill(m, 2), x, mask)  # MaskedFillBackward0
    assert_same_node(lambda lib, x, m, v: x.masked_fill(m, v), x, mask, value)  # MaskedFillBackward1


@given(data=st.data())
def test_masked_select_gradient(data):
    shape = data.draw(small_shapes)
    x = data.draw(tensor_pairs(shape=data.draw(broadcastable_shape(shape)), dtype_pairs=WITH_F16))
    mask = data.draw(tensor_pairs(shape=data.draw(broadcastable_shape(shape)), dtype_pairs=BOOL))
    check_gradients(lambda lib, x, m: x.masked_select(m), x, mask)
    check_gradients(lambda lib, x, m: lib.masked_select(x, m), x, mask)
    assert_same_node(lambda lib, x, m: x.masked_select(m), x, mask)  # MaskedSelectBackward0


@given(data=st.data())
def test_index_select_and_take_gradients_add_up_repeats(data):
    shape = data.draw(small_shapes)
    x = data.draw(tensor_pairs(shape=shape, dtype_pairs=WITH_F16))
    numel = int(np.prod(shape))
    dim = data.draw(st.integers(-max(len(shape), 1), max(len(shape), 1) - 1))
    size = shape[dim] if shape else 1
    index = data.draw(tensor_pairs(shape=(data.draw(st.integers(0, 5)),) if shape else (1,), dtype_pairs=INT64,
                                   low=0, high=size))
    check_gradients(lambda lib, x, i: x.index_select(dim, i), x, index)
    assert_same_node(lambda lib, x, i: lib.index_select(x, dim, i), x, index)  # IndexSelectBackward0
    positions = data.draw(tensor_pairs(shape=data.draw(small_shapes), dtype_pairs=INT64, low=-numel, high=numel))
    check_gradients(lambda lib, x, i: x.take(i), x, positions)  # negative positions count from the end
    assert_same_node(lambda lib, x, i: lib.take(x, i), x, positions)  # TakeBackward0


# ====================================================================== finite differences, float64
GRADCHECK_CASES = {
    "select": lambda x: x[1],
    "slice with step": lambda x: x[:, 1::2],
    "None and ellipsis": lambda x: x[None, ..., 0],
    "int tensor with repeats": lambda x: x[tl.tensor([0, 2, 0])],
    "two index tensors": lambda x: x[tl.tensor([[0, 1], [2, 2]]), tl.tensor([3, 3])],
    "separated index tensors": lambda x: x[tl.tensor([0, 0]), :, tl.tensor([1, 1])],
    "mask": lambda x: x[x > 0.5],
    "where": lambda x: tl.where(x > 0.5, x, x * x),
    "gather": lambda x: x.gather(1, tl.tensor([[0, 0], [3, 1], [2, 2]])),
    "scatter": lambda x: x.scatter(1, tl.tensor([[2], [0], [1]]), x[:, 3:] * 3),
    "scatter value": lambda x: x.scatter(0, tl.tensor([[1, 0, 2, 1]]), 5.0),
    "scatter_add": lambda x: x.scatter_add(1, tl.tensor([[0, 0, 1, 1]] * 3), x * x),
    "masked_fill": lambda x: x.masked_fill(x > 0.5, 0.0),
    "masked_fill tensor value": lambda x: x.masked_fill(x > 0.5, x.sum()),
    "masked_select": lambda x: x.masked_select(x < 0.5),
    "index_select": lambda x: x.index_select(1, tl.tensor([3, 0, 3])),
    "take": lambda x: x.take(tl.tensor([[0, -1], [5, 5]])),
}


@pytest.mark.parametrize("case", list(GRADCHECK_CASES))
def test_gradcheck(case):
    values = np.random.default_rng(0).random((3, 4)).reshape(3, 4, 1) * np.ones((1, 1, 2))
    values = values + np.arange(2) * 0.01  # away from the 0.5 threshold, no ties
    x = tl.tensor(values if case in ("None and ellipsis", "separated index tensors") else values[..., 0],
                  dtype=tl.float64, requires_grad=True)
    assert tl.autograd.gradcheck(GRADCHECK_CASES[case], (x,))


def test_gradcheck_of_writes():
    def setitem(x, w):
        h = x * 1
        h[0] = w
        h[tl.tensor([2, 1])] = w * 2
        h[h > 0.7] = 0.0
        return h

    def inplace(x, w):
        h = x * 1
        h.masked_fill_(h < 0.3, w[0])
        h.scatter_add_(1, tl.tensor([[0, 0]]), w[None, :2])
        h.scatter_(0, tl.tensor([[1, 2, 0]]), w[None])
        return h

    rng = np.random.default_rng(1)
    for fn in (setitem, inplace):
        x = tl.tensor(rng.random((3, 3)), dtype=tl.float64, requires_grad=True)
        w = tl.tensor(rng.random(3), dtype=tl.float64, requires_grad=True)
        assert tl.autograd.gradcheck(fn, (x, w))


def test_gradcheck_can_fail():
    """A wrong backward is caught (so the checks above can fail)."""
    from tinygrad_lessons import indexing

    x = tl.tensor([[0.2, 0.9], [0.4, 0.7]], dtype=tl.float64, requires_grad=True)
    original = indexing.IndexPutAccumulate.forward

    def overwrite(ctx, values, shape, indices):  # assignment instead of np.add.at: repeats lose gradient
        ctx.indices = indices
        out = tl.backend.array_module(values).zeros(shape, values.dtype)  # (NumPy's or, on a GPU, CuPy's)
        out[indexing._numpy_index(indices)] = values
        return out

    indexing.IndexPutAccumulate.forward = staticmethod(overwrite)
    try:
        assert not tl.autograd.gradcheck(lambda x: x[tl.tensor([1, 1])], (x,), raise_exception=False)
    finally:
        indexing.IndexPutAccumulate.forward = original
    assert tl.autograd.gradcheck(lambda x: x[tl.tensor([1, 1])], (x,))


# ====================================================================== second order: backward is made of tensor ops
SECOND_ORDER = {
    "select": lambda lib, x: x[1],
    "slice": lambda lib, x: x[:, 1:],
    "unsqueeze": lambda lib, x: x[None],
    "index": lambda lib, x: x[lib.tensor([0, 0, 2])],
    "gather": lambda lib, x: x.gather(1, lib.tensor([[0, 0], [2, 1], [1, 1]])),
    "index_select": lambda lib, x: x.index_select(1, lib.tensor([2, 2, 0])),
    "where": lambda lib, x: lib.where(x > 0, x, x * 2),
    "masked_fill": lambda lib, x: x.masked_fill(x > 0, 1.0),
    "masked_select": lambda lib, x: x.masked_select(x > 0),
    "take": lambda lib, x: x.take(lib.tensor([0, 0, 5])),
    "scatter": lambda lib, x: x.scatter(1, lib.tensor([[1], [0], [2]]), x[:, :1] * 3),
}
SAME_SECOND_ORDER_NODE = {"select", "slice", "unsqueeze", "index", "gather", "index_select", "where", "masked_fill"}


@pytest.mark.parametrize("case", list(SECOND_ORDER))
def test_backward_of_backward(case):
    """d/d(upstream) of <d fn/dx (upstream), c> is fn's linear map applied to c, in both libraries."""
    fn = SECOND_ORDER[case]
    values = np.array([[0.5, -1.0, 2.0], [-0.25, 1.5, -3.0], [1.0, 0.75, -0.5]])
    results, names = [], []
    for lib in (tl, torch):
        x = lib.tensor(values, dtype=lib.float64, requires_grad=True)
        y = fn(lib, x)
        upstream = lib.ones(tuple(y.shape), dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad(y, x, upstream, create_graph=True)
        names.append(g.grad_fn.name())
        c = lib.tensor(np.arange(9.0).reshape(3, 3), dtype=lib.float64)
        (gg,) = lib.autograd.grad((g * c).sum(), upstream)
        results.append(gg)
    assert_matches(*results)
    if case in SAME_SECOND_ORDER_NODE:
        assert names[0] == names[1]


# ====================================================================== the cross-entropy idiom
def test_cross_entropy_by_indexing_the_log_probabilities():
    rng = np.random.default_rng(0)
    logits = pair_from_numpy(rng.standard_normal((6, 4)).astype(np.float32))
    targets = pair_from_numpy(np.array([0, 3, 3, 1, 0, 2]))

    def loss(lib, z, y):
        log_probs = lib.nn.functional.log_softmax(z, dim=1)
        return -log_probs[lib.arange(6), y].mean()

    check_gradients(loss, logits, targets)
    ours, theirs = leaves(logits, targets)
    loss(tl, *ours).backward()
    loss(torch, *theirs).backward()
    assert_matches(ours[0].grad, theirs[0].grad, rtol=1e-5, atol=1e-6)


# ====================================================================== writes: t[index] = value
@st.composite
def write_cases(draw):
    """``(x, index pair, value)``: a float tensor, an index (no position twice), a number or a float tensor."""
    x = draw(tensor_pairs(shape=draw(small_shapes), dtype_pairs=F32_F64))
    shape = tuple(x[1].shape)
    if draw(st.booleans()):
        o_index = t_index = draw(basic_indices(shape))
        advanced = False
    else:
        o_index, t_index = draw(advanced_indices(shape, unique=True))
        advanced = True
    try:
        result_shape = tuple(quietly(lambda: x[1][t_index]).shape)
    except (IndexError, RuntimeError):
        result_shape = ()
    if draw(st.integers(0, 3)) == 0:
        number = draw(st.sampled_from([0.0, 2.5, -1]))
        return x, (o_index, t_index), (number, number)
    n = draw(st.integers(0, len(result_shape)))
    value_shape = tuple(1 if draw(st.booleans()) else s for s in result_shape[len(result_shape) - n:])
    if draw(st.integers(0, 3)) == 0:
        value_shape = (1,) + value_shape  # leading ones are dropped before broadcasting
    pairs = [(x[0].dtype, x[1].dtype)] if advanced else F32_F64  # a basic write casts, index_put does not
    return x, (o_index, t_index), draw(tensor_pairs(shape=value_shape, dtype_pairs=pairs))


@given(case=write_cases())
def test_setitem_on_a_non_leaf_is_differentiable(case):
    x, (o_index, t_index), value = case

    def write(lib, x, v):
        h = x * 1  # a non-leaf (in x's memory order: maybe not row-major)
        quietly(lambda: h.__setitem__(o_index if lib is tl else t_index, v))
        return h

    if not torch_accepts(lambda: write(torch, *as_leaves([x, value])[1])):
        return
    check_gradients(write, x, value)  # the old values where written: 0; the value: the sum of where it went
    assert_same_node(write, x, value)  # CopySlices, IndexPutBackward0, CopyBackwards, FillBackward3


def test_a_value_that_requires_grad_written_into_a_plain_tensor():
    w = pair_from_numpy(np.array([1.5, -2.0, 0.5]))

    def build(lib, w):
        z = lib.zeros(4, 3, dtype=w.dtype)
        z[1] = w  # z joins the graph
        z[[0, 0]] = w * 2  # written twice: each write sends its gradient back
        z[3, lib.tensor([2, 0])] = w[:2].flip(0)
        z[z < 0] = w[2]  # one element: masked_fill_ in torch
        return z * z

    check_gradients(build, w)
    assert_same_node(lambda lib, w: build(lib, w) / 1, w)
    for lib in (tl, torch):  # an integer tensor can't hold a gradient: a plain write
        z = lib.zeros(3, dtype=lib.int64)
        z[0] = lib.tensor(2.0, requires_grad=True)
        assert not z.requires_grad and z.grad_fn is None and z.tolist() == [2, 0, 0]


def test_in_place_masked_fill_scatter_scatter_add_are_recorded():
    x = pair_from_numpy(np.array([[1.0, -2.0, 3.0], [-4.0, 5.0, -6.0]]))
    w = pair_from_numpy(np.array([[0.5, 0.25, -1.0], [2.0, 1.0, 0.0]]))
    index = pair_from_numpy(np.array([[2, 0], [1, 1]]))
    cases = [
        lambda lib, x, w, i: (x * 1).masked_fill_(x > 0, 7.0),
        lambda lib, x, w, i: (x * 1).masked_fill_(x > 0, w[0, 0]),
        lambda lib, x, w, i: lib.zeros(2, 3, dtype=x.dtype).masked_fill_(lib.tensor([True, False, True]), w[1, 0]),
        lambda lib, x, w, i: (x * 1).scatter_(1, i[:, :1], w[:, :1]),
        lambda lib, x, w, i: (x * 1).scatter_(1, i, -3.0),
        lambda lib, x, w, i: (x * 1).scatter_add_(1, i, w[:, :2] * 2),
        lambda lib, x, w, i: lib.zeros(2, 3, dtype=x.dtype).scatter_add_(1, i, w[:, 1:]),
    ]
    for fn in cases:
        check_gradients(fn, x, w, index)
        assert_same_node(fn, x, w, index)


INPLACE_ERRORS = {  # under grad mode; each is torch's error
    "leaf, basic index": lambda lib, x: x.__setitem__(0, 1.0),
    "leaf, advanced index": lambda lib, x: x.__setitem__([0, 1], 1.0),
    "leaf, ellipsis": lambda lib, x: x.__setitem__(Ellipsis, 1.0),
    "leaf, full slice": lambda lib, x: x.__setitem__(slice(None), 1.0),
    "leaf, slice then index": lambda lib, x: x.__setitem__((0, [0, 1]), 1.0),
    "leaf, None": lambda lib, x: x.__setitem__(None, 1.0),
    "leaf, mask": lambda lib, x: x.__setitem__(x > 0, 1.0),
    "view of a leaf": lambda lib, x: x[0].__setitem__(1, 1.0),
    "masked_fill_ of a leaf": lambda lib, x: x.masked_fill_(x > 0, 1.0),
    "masked_fill_ of a view of a leaf": lambda lib, x: x[0].masked_fill_(x[0] > 0, 1.0),
    "scatter_ of a leaf": lambda lib, x: x.scatter_(0, lib.tensor([[0]]), 1.0),
    "scatter_add_ of a leaf": lambda lib, x: x.scatter_add_(0, lib.tensor([[0]]), lib.ones(1, 1)),
    "saved value overwritten": lambda lib, x: _overwrite_saved(lib, x),
}


def _overwrite_saved(lib, x):
    h = x * 1
    y = h * h  # saves h
    h[0] = 2.0
    y.sum().backward()


@pytest.mark.parametrize("case", list(INPLACE_ERRORS))
def test_in_place_errors_like_torch(case):
    fn = INPLACE_ERRORS[case]
    match = case != "saved value overwritten"  # (the engine's hint sentence differs from torch's)
    assert_same_error(lambda: fn(tl, tl.ones(3, 3, requires_grad=True)),
                      lambda: fn(torch, torch.ones(3, 3, requires_grad=True)), match_message=match)


def test_in_place_on_a_view_of_a_tensor_in_the_graph_is_refused_clearly():
    """torch records these with CopySlices on the base; here they raise and say what to do instead."""
    x = tl.ones(3, 3, requires_grad=True)
    w = tl.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="does not support in-place operations on views"):
        (x * 1)[0][1] = 5.0
    with pytest.raises(RuntimeError, match="does not support in-place operations on views"):
        (x * 1)[0].masked_fill_(w > 0, 5.0)
    with pytest.raises(RuntimeError, match="into a view of another tensor.*torch.where"):
        z = tl.zeros(3, 3)
        z[1][0] = w[0]
    with pytest.raises(RuntimeError, match="into a view of another tensor"):
        tl.zeros(3, 3)[1:].scatter_(1, tl.tensor([[0]]), w[None, :1])


def test_writes_under_no_grad_are_plain_and_bump_the_version():
    for lib in (tl, torch):
        x = lib.ones(3, 3, requires_grad=True)
        y = x * 1
        with lib.no_grad():
            x[0] = 2.0
            x.masked_fill_(x > 1.5, 3.0)
            x.scatter_(1, lib.tensor([[0]]), 4.0)
            x.scatter_add_(1, lib.tensor([[0]]), lib.ones(1, 1))
            y[lib.tensor([1, 1])] = lib.zeros(3, requires_grad=True)
        assert x.is_leaf and x.grad_fn is None and x._version == 4
        assert y.grad_fn.name() == "MulBackward0" and y._version == 1
        assert x.tolist() == [[5.0, 3.0, 3.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
