"""Chapter 4 — gradients of the matrix products: ``matmul`` (``@``) for every combination of ranks, ``mm``,
``bmm``, ``mv``, ``dot`` and ``outer``.

Checked against torch on random shapes (batch dimensions that broadcast, vectors on either
side), dtypes and memory layouts (``check_gradients``); against finite differences in float64
(``gradcheck``); by the graph node torch puts on top of each product; and to second order.
"""

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_lessons as tl
from grad_parity import check_gradients
from parity import assert_matches, pair_from_numpy, tensor_pairs

F32_F64 = [(tl.float32, torch.float32), (tl.float64, torch.float64)]
WITH_F16 = F32_F64 + [(tl.float16, torch.float16)]


@st.composite
def matmul_shapes(draw, max_batch_dims=2):
    """Shapes of ``a`` and ``b`` that ``a @ b`` accepts: vectors, matrices, or batches whose
    batch dimensions broadcast (a size 1 or a missing dimension on either side)."""
    n, k, p = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    batch = draw(st.lists(st.integers(1, 3), min_size=0, max_size=max_batch_dims))

    def side(rows_first):
        kind = draw(st.sampled_from(["vector", "matrix", "batch"]))
        if kind == "vector":
            return (k,)
        matrix = (n, k) if rows_first else (k, p)
        if kind == "matrix" or not batch:
            return matrix
        drop = draw(st.integers(0, len(batch) - 1))
        return tuple(1 if draw(st.booleans()) else b for b in batch[drop:]) + matrix

    return side(True), side(False)


@st.composite
def matmul_pairs(draw, dtype_pairs=F32_F64):
    shape_a, shape_b = draw(matmul_shapes())
    dtype = draw(st.sampled_from(dtype_pairs))
    a = draw(tensor_pairs(shape=shape_a, dtype_pairs=[dtype], low=-3, high=3))
    b = draw(tensor_pairs(shape=shape_b, dtype_pairs=[dtype], low=-3, high=3))
    return a, b


def _needing(pair, requires_grad):
    """The pair as a leaf that requires grad, or as a plain constant."""
    ours, theirs = pair
    if requires_grad:
        return ours, theirs
    return _Constant(ours), _Constant(theirs)


class _Constant:
    """A tensor ``check_gradients`` must not make a leaf: unwrapped inside the computation."""

    def __init__(self, t):
        self.t = t


def _unwrap(x):
    return x.t if isinstance(x, _Constant) else x


# ====================================================================== parity with torch
@given(pairs=matmul_pairs(WITH_F16))
def test_matmul_gradient_for_every_combination_of_ranks(pairs):
    check_gradients(lambda lib, a, b: a @ b, *pairs)


@given(pairs=matmul_pairs(), which=st.sampled_from(["a", "b"]))
def test_matmul_gradient_when_only_one_operand_requires_grad(pairs, which):
    """torch folds the batch into one ``mm`` (or not) depending on which operand requires grad;
    the gradient is the same either way."""
    a, b = _needing(pairs[0], which == "a"), _needing(pairs[1], which == "b")
    check_gradients(lambda lib, x, y: _unwrap(x) @ _unwrap(y), a, b)


@pytest.mark.parametrize("shapes", [((4, 3), (3, 5)), ((2, 4, 3), (2, 3, 5)), ((1, 4, 3), (2, 3, 5)),
                                    ((2, 1, 4, 3), (3, 3, 5)), ((3,), (2, 3, 5)), ((2, 4, 3), (3,)),
                                    ((4, 3), (2, 3, 5)), ((2, 4, 3), (1, 3, 5)), ((0, 4, 3), (0, 3, 5)),
                                    ((2, 4, 0), (0, 5)), ((3,), (3,)), ((4, 3), (3,)), ((3,), (3, 5))])
def test_matmul_gradient_for_named_shapes(shapes):
    rng = np.random.default_rng(0)
    a = pair_from_numpy(rng.standard_normal(shapes[0]))
    b = pair_from_numpy(rng.standard_normal(shapes[1]))
    check_gradients(lambda lib, x, y: x @ y, a, b)
    check_gradients(lambda lib, x, y: lib.matmul(x, y), a, b)


@given(data=st.data())
def test_mm_bmm_mv_dot_gradients(data):
    n, k, p, batch = (data.draw(st.integers(1, 4)) for _ in range(4))
    dtype = data.draw(st.sampled_from(WITH_F16))
    pairs = lambda *shape: data.draw(tensor_pairs(shape=shape, dtype_pairs=[dtype], low=-3, high=3))  # noqa: E731
    check_gradients(lambda lib, a, b: lib.mm(a, b), pairs(n, k), pairs(k, p))
    check_gradients(lambda lib, a, b: a.mm(b), pairs(n, k), pairs(k, p))
    check_gradients(lambda lib, a, b: lib.bmm(a, b), pairs(batch, n, k), pairs(batch, k, p))
    check_gradients(lambda lib, a, b: lib.mv(a, b), pairs(n, k), pairs(k))
    check_gradients(lambda lib, a, b: lib.dot(a, b), pairs(k), pairs(k))


@given(data=st.data())
def test_outer_gradient_in_each_inputs_dtype(data):
    n, m = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    a = data.draw(tensor_pairs(shape=(n,), dtype_pairs=WITH_F16, low=-3, high=3))
    b = data.draw(tensor_pairs(shape=(m,), dtype_pairs=WITH_F16, low=-3, high=3))
    check_gradients(lambda lib, x, y: lib.outer(x, y), a, b)


def test_integer_matmul_has_no_gradient_and_a_float_one_does():
    a = tl.ones(2, 3, dtype=tl.int64)
    assert not (a @ tl.ones(3, 2, dtype=tl.int64)).requires_grad
    w = tl.ones(3, 2, requires_grad=True)
    out = tl.ones(2, 3) @ w
    assert out.requires_grad and out.grad_fn.name() == "MmBackward0"
    out.sum().backward()
    assert w.grad.tolist() == [[2.0, 2.0]] * 3


def test_gradients_in_a_small_network_match_torch():
    rng = np.random.default_rng(3)
    x = pair_from_numpy(rng.standard_normal((5, 4)).astype(np.float32))
    w1 = pair_from_numpy(rng.standard_normal((4, 6)).astype(np.float32))
    w2 = pair_from_numpy(rng.standard_normal((6, 3)).astype(np.float32))
    check_gradients(lambda lib, x, w1, w2: ((x @ w1).relu() @ w2).tanh(), x, w1, w2)
    check_gradients(lambda lib, x, w1, w2: (x @ w1) @ (w1.t() @ x.t()), x, w1, w2)  # one tensor used twice


# ====================================================================== finite differences
def _leaf(shape, seed):
    rng = np.random.default_rng(seed)
    return tl.tensor(rng.standard_normal(shape), requires_grad=True)


GRADCHECK_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 4)), ((2, 2, 3), (3,)),
                    ((3,), (2, 3, 2)), ((2, 2, 3), (3, 2)), ((2, 3), (2, 3, 2)), ((2, 1, 2, 3), (3, 3, 2)),
                    ((1, 2, 3), (2, 3, 2))]


@pytest.mark.parametrize("shapes", GRADCHECK_SHAPES)
def test_gradcheck_matmul(shapes):
    a, b = _leaf(shapes[0], 1), _leaf(shapes[1], 2)
    assert tl.autograd.gradcheck(lambda x, y: x @ y, (a, b))


def test_gradcheck_mm_bmm_mv_dot_outer():
    assert tl.autograd.gradcheck(tl.mm, (_leaf((2, 3), 1), _leaf((3, 4), 2)))
    assert tl.autograd.gradcheck(tl.bmm, (_leaf((2, 2, 3), 1), _leaf((2, 3, 2), 2)))
    assert tl.autograd.gradcheck(tl.mv, (_leaf((2, 3), 1), _leaf((3,), 2)))
    assert tl.autograd.gradcheck(tl.dot, (_leaf((3,), 1), _leaf((3,), 2)))
    assert tl.autograd.gradcheck(tl.outer, (_leaf((3,), 1), _leaf((2,), 2)))


# ====================================================================== graph nodes
def _node_names(shape_a, shape_b, grad_a, grad_b):
    names = []
    for lib in (tl, torch):
        a = lib.ones(*shape_a, requires_grad=grad_a)
        b = lib.ones(*shape_b, requires_grad=grad_b)
        names.append((a @ b).grad_fn.name())
    return names


RANK_SHAPES_A = {1: (3,), 2: (4, 3), 3: (2, 4, 3), 4: (5, 2, 4, 3)}
RANK_SHAPES_B = {1: (3,), 2: (3, 5), 3: (2, 3, 5), 4: (5, 2, 3, 5)}


@pytest.mark.parametrize("ranks", list(itertools.product(RANK_SHAPES_A, RANK_SHAPES_B)))
@pytest.mark.parametrize("needs", [(True, True), (True, False), (False, True)])
def test_matmul_node_is_torchs_top_node(ranks, needs):
    ours, theirs = _node_names(RANK_SHAPES_A[ranks[0]], RANK_SHAPES_B[ranks[1]], *needs)
    assert ours == theirs


@pytest.mark.parametrize("shapes", [((1, 4, 3), (2, 3, 5)), ((2, 4, 3), (1, 3, 5)), ((2, 1, 4, 3), (3, 3, 5)),
                                    ((1, 4, 3), (2, 3, 1)), ((1, 1, 3), (2, 3, 5)), ((4, 3), (1, 3, 5)),
                                    ((1, 4, 3), (0, 3, 5)), ((1, 4, 3), (1, 1, 3, 5)), ((4, 1), (2, 1, 5))])
@pytest.mark.parametrize("needs", [(True, True), (True, False), (False, True)])
def test_matmul_node_for_broadcast_batches(shapes, needs):
    ours, theirs = _node_names(*shapes, *needs)
    assert ours == theirs


@pytest.mark.parametrize("name", ["mm", "bmm", "mv", "dot", "outer"])
def test_named_products_nodes(name):
    shapes = {"mm": ((2, 3), (3, 4)), "bmm": ((2, 2, 3), (2, 3, 4)), "mv": ((2, 3), (3,)), "dot": ((3,), (3,)),
              "outer": ((3,), (4,))}[name]
    names = []
    for lib in (tl, torch):
        out = getattr(lib, name)(lib.ones(*shapes[0], requires_grad=True), lib.ones(*shapes[1]))
        names.append(out.grad_fn.name())
    assert names[0] == names[1]


# ====================================================================== saved operands
def test_an_operand_no_gradient_needs_may_change_in_place():
    """torch saves ``b`` for ``a``'s gradient and ``a`` for ``b``'s only: changing the operand
    whose partner needs no gradient is no error; changing the other one is."""
    for lib in (tl, torch):
        w = lib.ones(3, 2, dtype=lib.float64, requires_grad=True)
        x = lib.ones(4, 3, dtype=lib.float64) * 2
        h = w * 1
        out = x @ h  # saves x (for h's gradient) only
        with lib.no_grad():
            h.mul_(3)
        out.sum().backward()
        assert w.grad.tolist() == [[8.0, 8.0]] * 3
        with lib.no_grad():
            x.mul_(2)  # x was saved: now backward can't use it
        out2 = x @ h
        with lib.no_grad():
            x.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            out2.sum().backward()


# ====================================================================== second order (create_graph=True)
def _second_order(fn, *shapes, seed=1):
    rng = np.random.default_rng(seed)
    values = [rng.standard_normal(s) for s in shapes]
    vs = [rng.standard_normal(s) for s in shapes]
    w = rng.standard_normal(256)
    out = []
    for lib in (tl, torch):
        xs = [lib.tensor(v, dtype=lib.float64, requires_grad=True) for v in values]
        y = fn(lib, *xs)
        seed_grad = lib.tensor(w[: y.numel()].reshape(tuple(y.shape)), dtype=lib.float64)
        grads = lib.autograd.grad(y, xs, seed_grad, create_graph=True)
        total = sum((g * lib.tensor(v, dtype=lib.float64)).sum() for g, v in zip(grads, vs))
        out.append(lib.autograd.grad(total, xs, allow_unused=True, materialize_grads=True))
    return out


SECOND_ORDER = {
    "square matrix power": (lambda lib, a: a @ a @ a, [(3, 3)]),
    "gram": (lambda lib, a: a @ a.t(), [(3, 2)]),
    "batched gram": (lambda lib, a: a @ a.mT, [(2, 3, 2)]),
    "bilinear": (lambda lib, a, x: x @ a @ x, [(3, 3), (3,)]),
    "mlp": (lambda lib, x, w: ((x @ w).tanh() @ w.t()).sum(-1), [(4, 3), (3, 3)]),
    "broadcast batch": (lambda lib, a, b: (a @ b) * (a @ b), [(2, 1, 2, 3), (3, 3, 2)]),
    "mv dot outer": (lambda lib, a, x: lib.outer(a @ x, x) * lib.dot(x, x), [(2, 3), (3,)]),
}


@pytest.mark.parametrize("name", list(SECOND_ORDER))
def test_second_order_gradients_match_torch(name):
    fn, shapes = SECOND_ORDER[name]
    ours, theirs = _second_order(fn, *shapes)
    for o, t in zip(ours, theirs):
        assert_matches(o, t, check_stride=False, rtol=1e-9, atol=1e-9)
