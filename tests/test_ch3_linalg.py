"""Chapter 3, matrix products: matmul / @, mm, bmm, mv, dot, outer against torch.

Shapes of every rank torch's matmul accepts (vectors, matrices, broadcast batches), all
dtypes, non-contiguous layouts; and the error each wrong shape or dtype mix gives, which
depends on the operation torch dispatches to — so it is compared word for word.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lessons as tl
from parity import DTYPE_PAIRS, assert_same_error, check_op, pair_from_numpy, tensor_pairs

FEW = settings(max_examples=max(20, settings().max_examples // 2))


@st.composite
def matmul_operands(draw, ranks=(1, 2, 3, 4)):
    """Two (ours, torch) tensors for a matrix product: usually compatible, sometimes not."""
    n, k, m = draw(st.integers(0, 3)), draw(st.integers(0, 3)), draw(st.integers(1, 3))
    batch = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    shapes = []
    for side in (0, 1):
        rank = draw(st.sampled_from(ranks))
        if rank == 1:
            shapes.append((k,))
            continue
        if rank - 2 <= len(batch):
            own_batch = batch[len(batch) - (rank - 2):]
        else:
            own_batch = (2,) * (rank - 2 - len(batch)) + batch
        own_batch = tuple(draw(st.sampled_from([s, 1])) for s in own_batch)
        shapes.append(own_batch + ((n, k) if side == 0 else (k, m)))
    if draw(st.integers(0, 7)) == 0:  # a wrong inner size
        shapes[1] = shapes[1][:-2] + (k + 1,) + shapes[1][-1:] if len(shapes[1]) > 1 else (k + 1,)
    if draw(st.integers(0, 7)) == 0 and len(shapes[0]) > 2:  # a batch size that doesn't broadcast
        shapes[0] = (5,) + shapes[0][1:]
    pair = draw(st.sampled_from(DTYPE_PAIRS))
    other_pair = pair if draw(st.integers(0, 7)) else draw(st.sampled_from(DTYPE_PAIRS))
    a = draw(tensor_pairs(shape=shapes[0], dtype_pairs=[pair], low=-3, high=3))
    b = draw(tensor_pairs(shape=shapes[1], dtype_pairs=[other_pair], low=-3, high=3))
    return a, b


@FEW
@given(operands=matmul_operands())
def test_matmul_parity(operands):
    (a, ta), (b, tb) = operands
    check_op(lambda: a @ b, lambda: ta @ tb)
    check_op(lambda: tl.matmul(a, b), lambda: torch.matmul(ta, tb))


@FEW
@given(operands=matmul_operands(ranks=(2,)))
def test_mm_parity(operands):
    (a, ta), (b, tb) = operands
    check_op(lambda: tl.mm(a, b), lambda: torch.mm(ta, tb))
    check_op(lambda: a.mm(b), lambda: ta.mm(tb))


@FEW
@given(operands=matmul_operands(ranks=(3,)))
def test_bmm_parity(operands):
    (a, ta), (b, tb) = operands
    check_op(lambda: tl.bmm(a, b), lambda: torch.bmm(ta, tb))


@FEW
@given(operands=matmul_operands(ranks=(1, 2)))
def test_mv_dot_outer_parity(operands):
    (a, ta), (b, tb) = operands
    check_op(lambda: tl.mv(a, b), lambda: torch.mv(ta, tb))
    check_op(lambda: a.dot(b), lambda: ta.dot(tb))
    check_op(lambda: tl.outer(a, b), lambda: torch.outer(ta, tb))


@pytest.mark.parametrize("pair", DTYPE_PAIRS, ids=lambda p: p[0].name)
def test_every_dtype(pair):
    """Integers multiply exactly (and wrap), halves compute in float32, bools refuse."""
    rng = np.random.default_rng(0)
    x, tx = pair_from_numpy(rng.integers(-3, 4, (2, 3, 4)), pair)
    y, ty = pair_from_numpy(rng.integers(-3, 4, (4, 5)), pair)
    check_op(lambda: x @ y, lambda: tx @ ty)
    check_op(lambda: x[0] @ y, lambda: tx[0] @ ty)
    check_op(lambda: x[0, 0] @ y, lambda: tx[0, 0] @ ty)
    check_op(lambda: y.T @ x[0, 0], lambda: ty.T @ tx[0, 0])
    check_op(lambda: x[0, 0] @ x[1, 1], lambda: tx[0, 0] @ tx[1, 1])
    check_op(lambda: tl.bmm(x, x.transpose(1, 2)), lambda: torch.bmm(tx, tx.transpose(1, 2)))
    check_op(lambda: tl.outer(x[0, 0], y[0]), lambda: torch.outer(tx[0, 0], ty[0]))


def test_int8_products_wrap_around():
    x, tx = pair_from_numpy(np.full((2, 8), 100), (tl.int8, torch.int8))
    check_op(lambda: x @ x.T, lambda: tx @ tx.T)


def test_outer_promotes_like_multiplication():
    for left in DTYPE_PAIRS:
        for right in DTYPE_PAIRS:
            a, ta = pair_from_numpy(np.array([1, 0, 2]), left)
            b, tb = pair_from_numpy(np.array([3, 1]), right)
            check_op(lambda: tl.outer(a, b), lambda: torch.outer(ta, tb))  # noqa: B023


# ====================================================================== errors, word for word
def r(m, *shape, dtype=None):
    return m.ones(*shape, dtype=dtype or m.float32)


ERRORS = [
    (lambda m: r(m, 2, 3) @ r(m, 4, 5), "mm shapes"),
    (lambda m: m.matmul(m.tensor(1.0), r(m, 3)), "0-d @ 1-d"),
    (lambda m: m.matmul(r(m, 3), m.tensor(1.0)), "1-d @ 0-d"),
    (lambda m: r(m, 3) @ r(m, 4), "dot sizes"),
    (lambda m: r(m, 3) @ r(m, 4, 5), "1-d @ 2-d"),
    (lambda m: r(m, 2, 3) @ r(m, 4), "mv sizes"),
    (lambda m: r(m, 2, 2, 3) @ r(m, 3, 4, 5), "batch broadcast"),
    (lambda m: r(m, 5, 2, 3) @ r(m, 2, 3, 4), "batch broadcast 2"),
    (lambda m: r(m, 2, 3, 4) @ r(m, 5), "folded mv"),
    (lambda m: r(m, 2, 3, 4) @ r(m, 5, 6), "folded mm"),
    (lambda m: r(m, 5) @ r(m, 2, 4, 3), "vector @ batch"),
    (lambda m: r(m, 4, 5) @ r(m, 2, 3, 4).transpose(0, 1), "matrix @ batch"),
    (lambda m: r(m, 2, 3, 4).transpose(0, 1) @ r(m, 5), "unfoldable @ vector"),
    (lambda m: r(m, 2, 3) @ r(m, 3, 2, dtype=m.float64), "mm dtypes"),
    (lambda m: r(m, 2, 3, dtype=m.float64) @ r(m, 3, 2), "mm dtypes 2"),
    (lambda m: r(m, 2, 2, dtype=m.int64) @ r(m, 2, 2, dtype=m.int32), "mm int dtypes"),
    (lambda m: r(m, 3) @ r(m, 3, dtype=m.float64), "dot dtypes"),
    (lambda m: r(m, 2, 3) @ r(m, 3, dtype=m.float64), "mv dtypes"),
    (lambda m: r(m, 2, 2, 3) @ r(m, 2, 3, 4, dtype=m.float16), "bmm dtypes"),
    (lambda m: r(m, 2, 3, 4) @ r(m, 4, dtype=m.float64), "folded mv dtypes"),
    (lambda m: r(m, 2, 3, 4) @ r(m, 4, 2, dtype=m.float64), "folded mm dtypes"),
    (lambda m: r(m, 2, 2, dtype=m.bool) @ r(m, 2, 2, dtype=m.bool), "bool mm"),
    (lambda m: r(m, 2, dtype=m.bool) @ r(m, 2, dtype=m.bool), "bool dot"),
    (lambda m: r(m, 2, 2, dtype=m.bool) @ r(m, 2, dtype=m.bool), "bool mv"),
    (lambda m: r(m, 2, 2, 2, dtype=m.bool) @ r(m, 2, 2, 2, dtype=m.bool), "bool bmm"),
    (lambda m: m.mm(r(m, 3), r(m, 3, 2)), "mm of a vector"),
    (lambda m: m.mm(r(m, 2, 3), r(m, 3)), "mm with a vector"),
    (lambda m: m.mm(r(m, 2, 2, 3), r(m, 3, 2)), "mm of a batch"),
    (lambda m: m.bmm(r(m, 2, 3), r(m, 2, 3, 4)), "bmm of a matrix"),
    (lambda m: m.bmm(r(m, 2, 2, 3), r(m, 2, 4)), "bmm with a matrix"),
    (lambda m: m.bmm(r(m, 2, 2, 3), r(m, 3, 3, 4)), "bmm batch sizes"),
    (lambda m: m.bmm(r(m, 2, 2, 3), r(m, 2, 4, 4)), "bmm inner sizes"),
    (lambda m: m.bmm(r(m, 2, 2, 3), r(m, 2, 3, 4, dtype=m.float64)), "bmm dtypes"),
    (lambda m: m.dot(r(m, 3, 1), r(m, 3)), "dot of a matrix"),
    (lambda m: m.dot(r(m, 3), r(m, 3, 1)), "dot with a matrix"),
    (lambda m: m.dot(r(m, 1, dtype=m.bool), r(m, 1)), "dot bool/float"),
    (lambda m: m.mv(r(m, 3), r(m, 3)), "mv of a vector"),
    (lambda m: m.mv(r(m, 2, 3), r(m, 3, 1)), "mv with a matrix"),
    (lambda m: m.mv(r(m, 2, 3, dtype=m.float64), r(m, 3)), "mv dtypes"),
    (lambda m: m.outer(r(m, 3, 1), r(m, 4)), "outer of a matrix"),
    (lambda m: m.outer(r(m, 3), m.tensor(1.0)), "outer with 0-d"),
    (lambda m: m.matmul(r(m, 2), [1.0, 2.0]), "matmul with a list"),
]


@pytest.mark.parametrize("make, label", ERRORS, ids=[label for _, label in ERRORS])
def test_errors(make, label):
    assert_same_error(lambda: make(tl), lambda: make(torch), match_message=label != "matmul with a list")


def test_requires_grad_changes_which_error_torch_gives():
    # with a small operand that requires grad, torch folds the batch into mm: the mm error
    a = tl.ones(2, 3, 4).transpose(0, 1)
    ta = torch.ones(2, 3, 4).transpose(0, 1)
    b, tb = tl.ones(5, 6, requires_grad=True), torch.ones(5, 6, requires_grad=True)
    assert_same_error(lambda: a @ b, lambda: ta @ tb, match_message=True)


def test_results_are_new_row_major_tensors():
    x, tx = pair_from_numpy(np.arange(24.0).reshape(2, 3, 4))
    for ours, theirs in [(lambda: x.transpose(1, 2) @ x, lambda: tx.transpose(1, 2) @ tx),
                         (lambda: x.permute(2, 0, 1) @ x[0].T[:3], lambda: tx.permute(2, 0, 1) @ tx[0].T[:3]),
                         (lambda: x[0].T @ x[0], lambda: tx[0].T @ tx[0]),
                         (lambda: x[:, None] @ x.mT[None], lambda: tx[:, None] @ tx.mT[None])]:
        result = check_op(ours, theirs)
        assert result.is_contiguous()
    y = x[0] @ x[0].T
    y += 1  # a new tensor: writing into it leaves x alone
    assert float(x.sum()) == float(tx.sum())


def test_big_float32_product_is_numpys():
    a = np.random.default_rng(0).standard_normal((64, 48)).astype(np.float32)
    b = np.random.default_rng(1).standard_normal((48, 32)).astype(np.float32)
    out = tl.from_numpy(a) @ tl.from_numpy(b)
    np.testing.assert_array_equal(out.numpy(), a @ b)  # the very same BLAS call: bit-identical
