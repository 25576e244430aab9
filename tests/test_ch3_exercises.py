"""Chapter 3's graded exercises catch real mistakes, not only empty stubs.

Per exercise: the reference solution passes the visible and hidden checks; the untouched
stub fails with the "not implemented" line; a solution that calls the library's own
implementation fails; and plausible wrong solutions each fail with a hint that points at
the mistake. Last, a passing ``sum_to_size`` plugs into the library's backward.
"""

from __future__ import annotations

import math
import types
from pathlib import Path

import numpy as np
import pytest

import tinygrad_lessons as tl
from exercise_checks import assert_fails, assert_passes, course_env, stub  # noqa: F401 - course_env: an autouse fixture
from tinygrad_lessons.grading import use_mine, use_reference
from tinygrad_lessons.grading.exercises import get_exercise

ROOT = Path(__file__).resolve().parents[1]


def _copy(name):
    """A copy of an exercise's reference solution: the reference object itself is forbidden to learners."""
    fn = get_exercise(name).reference
    copy = types.FunctionType(fn.__code__, fn.__globals__, "solution", fn.__defaults__, fn.__closure__)
    copy.__kwdefaults__ = fn.__kwdefaults__
    return copy


@pytest.mark.parametrize("name", ["ch3.gather", "ch3.softmax", "ch3.log_softmax", "ch3.var", "ch3.sum_to_size"])
def test_ch3_reference_passes_and_stub_fails(name):
    assert_passes(name, _copy(name))
    text = assert_fails(name, stub, "not implemented yet: replace `raise NotImplementedError()`")
    assert "✓" not in text


# ====================================================================== ch3.gather
def _dim(dim, ndim):
    if not -ndim <= dim < ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {dim})")
    return dim % ndim


def _checked(input, dim, index, *, negatives=True, sizes=True, ndims=True, words=True):  # noqa: A002
    """gather's checks, some of which a wrong solution leaves out (or words differently)."""
    dim = _dim(dim, input.ndim)
    if index.dtype not in (tl.int64, tl.int32):
        raise RuntimeError("gather(): Expected dtype int32/int64 for index")
    if ndims and index.ndim != input.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    if sizes:
        for d in range(input.ndim):
            if d != dim and index.shape[d] > input.shape[d]:
                if not words:
                    raise RuntimeError("index is too large")
                raise RuntimeError(f"Size does not match at dimension {d} expected index {list(index.shape)} to be "
                                   f"no larger than self {list(input.shape)} apart from dimension {dim}")
    x, idx = input.numpy(), index.numpy().astype(np.int64)
    size = x.shape[dim]
    bad = idx[((idx < 0) if negatives else (idx < -size)) | (idx >= size)]
    if bad.size:
        raise RuntimeError(f"index {bad[0]} is out of bounds for dimension {dim} with size {size}")
    return dim, x, idx


def _corner(x, idx, dim):
    return x[tuple(slice(None) if d == dim else slice(0, n) for d, n in enumerate(idx.shape))]


def gather_always_dim1_loop(input, dim, index):  # noqa: A002
    """The 'score of each row's label' loop, whatever dim says."""
    _checked(input, dim, index)
    x, idx = input.numpy(), index.numpy()
    out = np.empty(idx.shape, x.dtype)
    for i in range(idx.shape[0]):
        for j in range(idx.shape[1]):
            out[i, j] = x[i, idx[i, j]]
    return tl.tensor(out, device=input.device)


def gather_negative_wraps(input, dim, index):  # noqa: A002
    dim, x, idx = _checked(input, dim, index, negatives=False)
    return tl.tensor(np.take_along_axis(_corner(x, idx, dim), idx, axis=dim), device=input.device)


def gather_whole_input(input, dim, index):  # noqa: A002
    dim, x, idx = _checked(input, dim, index, sizes=False)
    return tl.tensor(np.take_along_axis(x, idx, axis=dim), device=input.device)


def gather_no_ndim_check(input, dim, index):  # noqa: A002
    dim, x, idx = _checked(input, dim, index, ndims=False, sizes=index.ndim == input.ndim)
    return tl.tensor(np.take_along_axis(_corner(x, idx, dim), idx, axis=dim), device=input.device)


def gather_other_words(input, dim, index):  # noqa: A002
    dim, x, idx = _checked(input, dim, index, words=False)
    return tl.tensor(np.take_along_axis(_corner(x, idx, dim), idx, axis=dim), device=input.device)


def gather_float64(input, dim, index):  # noqa: A002
    dim, x, idx = _checked(input, dim, index)
    out = np.take_along_axis(_corner(x, idx, dim), idx, axis=dim)
    return tl.tensor(out.astype(np.float64), device=input.device)


def gather_forgets_device(input, dim, index):  # noqa: A002
    dim, x, idx = _checked(input, dim, index)
    return tl.tensor(np.take_along_axis(_corner(x, idx, dim), idx, axis=dim))


def gather_calls_library(input, dim, index):  # noqa: A002
    return tl.gather(input, dim, index)


def gather_calls_method(input, dim, index):  # noqa: A002
    return input.gather(dim, index)


@pytest.mark.parametrize(("fn", "hint"), [
    (gather_calls_library, "asks you to write gather yourself; don't call tl.gather"),
    (gather_calls_method, "don't call tl.gather / Tensor.gather"),
])
def test_ch3_gather_library_call_fails(fn, hint):
    assert_fails("ch3.gather", fn, hint)


@pytest.mark.parametrize(("fn", "hints"), [
    (gather_always_dim1_loop, ["dim=0: one row per column — values: expected 8.0 at [0, 0], got 2.0",
                               "you gathered along another dim"]),
    (gather_negative_wraps, ["expected RuntimeError: index -1 is out of bounds for dimension 1 with size 4, got a "
                             "tensor", "gather does not count from the end"]),
    (gather_whole_input, ["(repeats are fine) — shape: expected (1, 6), got (3, 6)",
                          "index may be smaller than input in the dims other than dim"]),
    (gather_no_ndim_check, ["expected RuntimeError: Index tensor must have the same number of dimensions",
                            "index must have as many dims as input"]),
    (gather_other_words, ["the message should be 'Size does not match at dimension 0 expected index [4, 1]",
                          "in every dim but dim, index may not be larger than input"]),
    (gather_float64, ["dtype: expected tl.float32, got tl.float64", "the result has input's dtype"]),
    (gather_forgets_device, ["device: expected cpu, got cuda:0", "keep the input's device"]),
])
def test_ch3_gather_wrong_solution_fails(fn, hints):
    assert_fails("ch3.gather", fn, *hints)


# ====================================================================== ch3.softmax
def softmax_naive(x, dim):
    e = x.exp()
    return e / e.sum(dim, keepdim=True)


def softmax_global_max(x, dim):
    e = (x - x.max()).exp()
    return e / e.sum(dim, keepdim=True)


def softmax_no_keepdim(x, dim):
    e = (x - x.max(dim, keepdim=True).values).exp()
    return e / e.sum(dim)


def softmax_last_dim(x, dim):
    e = (x - x.max(-1, keepdim=True).values).exp()
    return e / e.sum(-1, keepdim=True)


def softmax_numpy_float64(x, dim):
    a = x.numpy().astype(np.float64)
    e = np.exp(a - a.max(axis=dim, keepdims=True))
    return tl.tensor(e / e.sum(axis=dim, keepdims=True), device=x.device)


def softmax_in_place(x, dim):
    x.sub_(x.max(dim, keepdim=True).values)  # changes the caller's tensor
    x.exp_()
    return x / x.sum(dim, keepdim=True)


def softmax_calls_functional(x, dim):
    return tl.nn.functional.softmax(x, dim)


def softmax_top_level(x, dim):
    return tl.softmax(x, dim)


def softmax_method(x, dim):
    return x.softmax(dim)


def log_softmax_method_exp(x, dim):
    return x.log_softmax(dim).exp()


def softmax_via_log_softmax(x, dim):
    return tl.nn.functional.log_softmax(x, dim).exp()


def softmax_via_logsumexp(x, dim):
    return (x - x.logsumexp(dim, keepdim=True)).exp()


@pytest.mark.parametrize(("fn", "hint"), [
    (softmax_calls_functional, "asks you to write softmax yourself; don't call tl.nn.functional.softmax"),
    (softmax_top_level, "don't call tl.softmax"),
    (softmax_method, "don't call Tensor.softmax"),
    (log_softmax_method_exp, "don't call Tensor.log_softmax"),
    (softmax_via_log_softmax, "don't call tl.nn.functional.log_softmax"),
    (softmax_via_logsumexp, "don't call tl.logsumexp / Tensor.logsumexp"),
])
def test_ch3_softmax_library_call_fails(fn, hint):
    assert_fails("ch3.softmax", fn, hint)


@pytest.mark.parametrize(("fn", "hints"), [
    (softmax_naive, ["large logits: exp(1000) overflows float32 — values: expected 0.0900305", "at [0], got nan",
                     "exp overflowed: exp(89.0) is already inf in float32"]),
    (softmax_global_max, ["two rows far apart, dim=1 — values: expected 0.731058", "at [1, 0], got nan",
                          "subtract the max of each slice along dim"]),
    (softmax_no_keepdim, ["got RuntimeError: The size of tensor a (3) must match the size of tensor b (2)",
                          "sum (and max) with keepdim=True"]),
    (softmax_last_dim, ["each column is a distribution: dim=0 — values:", "you normalised along another dim"]),
    (softmax_numpy_float64, ["dtype: expected tl.float32, got tl.float64", "cast back with .to(x.dtype)"]),
    (softmax_in_place, ["your function changed argument 0", "leave its inputs as they were"]),
])
def test_ch3_softmax_wrong_solution_fails(fn, hints):
    assert_fails("ch3.softmax", fn, *hints)


def test_ch3_softmax_no_keepdim_on_a_square_matrix_is_caught_by_its_values():
    """On a square matrix the missing keepdim broadcasts without an error: the hint still names it."""
    text = assert_fails("ch3.softmax", lambda x, dim: softmax_no_keepdim(x, dim) if x.ndim == 2 and
                        x.shape[0] == x.shape[1] else _copy("ch3.softmax")(x, dim), "sum (and max) with keepdim=True")
    assert "a square matrix, dim=1 — values:" in text


# ====================================================================== ch3.log_softmax
def log_softmax_log_of_softmax(x, dim):
    e = (x - x.max(dim, keepdim=True).values).exp()
    return (e / e.sum(dim, keepdim=True)).log()


def log_softmax_naive(x, dim):
    return x - x.exp().sum(dim, keepdim=True).log()


def log_softmax_max_not_added_back(x, dim):
    m = x.max(dim, keepdim=True).values
    return x - (x - m).exp().sum(dim, keepdim=True).log()


def log_softmax_no_keepdim(x, dim):
    s = x - x.max(dim, keepdim=True).values
    return s - s.exp().sum(dim).log()


def log_softmax_calls_functional(x, dim):
    return tl.nn.functional.log_softmax(x, dim)


def log_softmax_calls_module(x, dim):
    return tl.nn.LogSoftmax(dim)(x)


@pytest.mark.parametrize(("fn", "hint"), [
    (log_softmax_calls_functional, "don't call tl.nn.functional.log_softmax"),
    (log_softmax_calls_module, "don't call tl.nn.functional.log_softmax"),
])
def test_ch3_log_softmax_library_call_fails(fn, hint):
    assert_fails("ch3.log_softmax", fn, hint)


@pytest.mark.parametrize(("fn", "hints"), [
    (log_softmax_log_of_softmax, ["a tiny probability: log p = -200, not log(0) — values: expected -200.0 at [1], "
                                  "got -inf", "log(softmax(x)) takes the log of a probability that underflowed"]),
    (log_softmax_naive, ["large logits: exp(1000) overflows float32 — values: expected -2.407606", "got -inf",
                         "exp overflowed"]),
    (log_softmax_max_not_added_back, ["large logits: exp(1000) overflows float32 — values: expected -2.407606",
                                      "got 999.59", "you subtracted m inside the exp, so subtract it from x"]),
    (log_softmax_no_keepdim, ["must match the size", "sum (and max) with keepdim=True"]),
])
def test_ch3_log_softmax_wrong_solution_fails(fn, hints):
    assert_fails("ch3.log_softmax", fn, *hints)


# ====================================================================== ch3.var
def _dims(dim, ndim, *, wrap_first=True, words=True):
    if dim is None:
        return tuple(range(ndim))
    raw = dim if isinstance(dim, (tuple, list)) else (dim,)
    if not wrap_first:  # looks for repeats among the dims as written, then lets NumPy count from the end
        if len(set(raw)) != len(raw):
            raise RuntimeError(f"dim {raw[0]} appears multiple times in the list of dims")
        for d in raw:
            _dim(d, ndim)
        return tuple(raw)
    dims = []
    for d in raw:
        if words:
            d = _dim(d, ndim)
        else:
            d = d % ndim if -ndim <= d < ndim else np.empty(ndim).sum(axis=d)  # NumPy's AxisError
        if d in dims:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        dims.append(d)
    return tuple(sorted(dims))


def _var(x, dim, keepdim, correction, *, check_dtype=True, **how):
    if check_dtype and not x.dtype.is_floating_point:
        raise RuntimeError("std and var only support floating point and complex dtypes")
    dims = _dims(dim, x.ndim, **how)
    a = x.numpy().astype(np.float64)
    n = math.prod(a.shape[d] for d in dims)
    squares = ((a - a.mean(axis=dims, keepdims=True)) ** 2).sum(axis=dims, keepdims=keepdim)
    return tl.tensor(np.divide(squares, max(0, n - correction)), dtype=x.dtype, device=x.device)


def var_numpy_default_ddof(x, dim=None, keepdim=False, *, correction=1):
    if not x.dtype.is_floating_point:
        raise RuntimeError("std and var only support floating point and complex dtypes")
    dims = _dims(dim, x.ndim)
    return tl.tensor(np.var(x.numpy(), axis=dims, keepdims=keepdim), dtype=x.dtype)  # ddof=0 whatever correction


def var_ignores_keepdim(x, dim=None, keepdim=False, *, correction=1):
    return _var(x, dim, False, correction)


def var_mean_without_keepdim(x, dim=None, keepdim=False, *, correction=1):
    if not x.dtype.is_floating_point:
        raise RuntimeError("std and var only support floating point and complex dtypes")
    dims = _dims(dim, x.ndim)
    n = math.prod(x.shape[d] for d in dims)
    squares = ((x - x.mean(dim=dims)) ** 2).sum(dim=dims, keepdim=keepdim)
    return squares / max(0, n - correction)


def var_repeats_before_wrapping(x, dim=None, keepdim=False, *, correction=1):
    return _var(x, dim, keepdim, correction, wrap_first=False)


def var_numpy_axis_error(x, dim=None, keepdim=False, *, correction=1):
    return _var(x, dim, keepdim, correction, words=False)


def var_integers_too(x, dim=None, keepdim=False, *, correction=1):
    return _var(x, dim, keepdim, correction, check_dtype=False)


def var_int_dim_only(x, dim=None, keepdim=False, *, correction=1):
    if dim is not None:
        dim = _dim(dim, x.ndim)  # a tuple of dims is not an int: TypeError
    return _var(x, dim, keepdim, correction)


def var_calls_library(x, dim=None, keepdim=False, *, correction=1):
    return x.var(dim, keepdim=keepdim, correction=correction)


def var_calls_std(x, dim=None, keepdim=False, *, correction=1):
    return tl.std(x, dim, keepdim=keepdim, correction=correction) ** 2


@pytest.mark.parametrize(("fn", "hint"), [
    (var_calls_library, "asks you to write var yourself; don't call tl.var / Tensor.var"),
    (var_calls_std, "don't call tl.std / Tensor.std"),
])
def test_ch3_var_library_call_fails(fn, hint):
    assert_fails("ch3.var", fn, hint)


@pytest.mark.parametrize(("fn", "hints"), [
    (var_numpy_default_ddof, ["dim=None: the variance of all 6 numbers, a 0-d tensor — values: expected "
                              "6.80000019", "got 5.66666650", "you divided by N (NumPy's np.var default, ddof=0)"]),
    (var_ignores_keepdim, ["shape: expected (1, 3), got (3,)", "keepdim=True keeps every reduced dim, with size 1"]),
    (var_mean_without_keepdim, ["got RuntimeError: The size of tensor a (3) must match the size of tensor b (2)",
                                "the mean must keep its reduced dims (keepdim=True)"]),
    (var_repeats_before_wrapping, ["expected RuntimeError: dim 0 appears multiple times in the list of dims, got "
                                   "ValueError", "count negative dims from the end first"]),
    (var_numpy_axis_error, ["expected IndexError: Dimension out of range (expected to be in range of [-2, 1], but "
                            "got 2)", "a dim outside [-ndim, ndim - 1] is an error in torch's words"]),
    (var_integers_too, ["expected RuntimeError: std and var only support floating point and complex dtypes, got a "
                        "tensor", "the variance of integers or bools is not defined in torch"]),
    (var_int_dim_only, ["a tuple of dims: (0, 2) of a 3-d tensor — expected a tensor of shape (3,), tl.float32, got "
                        "TypeError", "dim may be a tuple (or list) of dims"]),
])
def test_ch3_var_wrong_solution_fails(fn, hints):
    assert_fails("ch3.var", fn, *hints)


def test_ch3_var_zero_degrees_of_freedom_hint():
    def var_guards_zero(x, dim=None, keepdim=False, *, correction=1):
        dims = _dims(dim, x.ndim) if x.dtype.is_floating_point else ()
        n = math.prod(x.shape[d] for d in dims)
        if x.dtype.is_floating_point and n - correction <= 0:  # "fixes" the division by zero
            return tl.zeros(tuple(1 if keepdim and d in dims else s for d, s in enumerate(x.shape)
                                  if keepdim or d not in dims), dtype=x.dtype)
        return _var(x, dim, keepdim, correction)

    assert_fails("ch3.var", var_guards_zero, "one element per row: N - 1 = 0, so nan",
                 "with N - correction <= 0 there are no degrees of freedom left")


# ====================================================================== ch3.sum_to_size
def _expandable(grad, shape):
    lead = grad.ndim - len(shape)
    if lead < 0 or any(s not in (1, n) for s, n in zip(shape, grad.shape[lead:])):
        raise RuntimeError(f"size {{{list(shape)}}} is not expandable to size {{{list(grad.shape)}}}.")
    return lead


def _stretched(shape, out_shape):
    return tuple(d for d, (s, n) in enumerate(zip(shape, out_shape)) if s == 1 and n != 1)


def sum_to_size_from_the_left(grad, shape):
    shape = tuple(shape)
    if len(shape) > grad.ndim:
        raise RuntimeError(f"size {{{list(shape)}}} is not expandable to size {{{list(grad.shape)}}}.")
    trailing = tuple(range(len(shape), grad.ndim))
    out = grad.sum(dim=trailing) if trailing else grad
    stretched = _stretched(shape, out.shape)
    return out.sum(dim=stretched, keepdim=True) if stretched else out


def sum_to_size_no_keepdim(grad, shape):
    lead = _expandable(grad, tuple(shape))
    out = grad.sum(dim=tuple(range(lead))) if lead else grad
    stretched = _stretched(tuple(shape), out.shape)
    return out.sum(dim=stretched) if stretched else out


def sum_to_size_leading_only(grad, shape):
    lead = _expandable(grad, tuple(shape))
    return grad.sum(dim=tuple(range(lead))) if lead else grad


def sum_to_size_keeps_leading(grad, shape):
    lead = _expandable(grad, tuple(shape))
    out = grad.sum(dim=tuple(range(lead)), keepdim=True) if lead else grad
    stretched = tuple(lead + d for d in _stretched(tuple(shape), out.shape[lead:]))
    return out.sum(dim=stretched, keepdim=True) if stretched else out


def sum_to_size_no_error(grad, shape):
    shape = tuple(shape)
    lead = max(0, grad.ndim - len(shape))
    out = grad.sum(dim=tuple(range(lead))) if lead else grad
    stretched = _stretched(shape, out.shape)
    return out.sum(dim=stretched, keepdim=True) if stretched else out


def sum_to_size_item_for_scalars(grad, shape):
    out = _copy("ch3.sum_to_size")(grad, shape)
    return out.item() if out.ndim == 0 else out


def sum_to_size_numpy_no_device(grad, shape):
    lead = _expandable(grad, tuple(shape))
    a = grad.numpy().sum(axis=tuple(range(lead)))
    stretched = _stretched(tuple(shape), a.shape)
    return tl.tensor(a.sum(axis=stretched, keepdims=True) if stretched else a)


def sum_to_size_calls_library(grad, shape):
    return grad.sum_to_size(shape)


def sum_to_size_calls_private_helper(grad, shape):
    from tinygrad_lessons.nn.functional import _sum_tensor_to_shape

    return _sum_tensor_to_shape(grad, tuple(shape))


@pytest.mark.parametrize(("fn", "hint"), [
    (sum_to_size_calls_library, "asks you to write sum_to_size yourself; don't call Tensor.sum_to_size"),
    (sum_to_size_calls_private_helper, "don't call tl.nn.functional._sum_tensor_to_shape"),
])
def test_ch3_sum_to_size_library_call_fails(fn, hint):
    assert_fails("ch3.sum_to_size", fn, hint)


@pytest.mark.parametrize(("fn", "hints"), [
    (sum_to_size_from_the_left, ["(2, 3, 4) -> (3, 1): a leading dim and a size-1 dim — shape: expected (3, 1), got "
                                 "(2, 1)", "broadcasting lines shapes up from the right"]),
    (sum_to_size_no_keepdim, ["shape: expected (1, 3), got (3,)", "sum it with keepdim=True, so it stays"]),
    (sum_to_size_leading_only, ["shape: expected (1, 3), got (4, 3)", "was broadcast too: sum it (keepdim=True)"]),
    (sum_to_size_keeps_leading, ["shape: expected (3,), got (1, 3)", "sum them away (no keepdim)"]),
    (sum_to_size_no_error, ["expected RuntimeError: size {[3]} is not expandable to size {[3, 4]}., got a tensor",
                            "when shape can't broadcast to grad's shape"]),
    (sum_to_size_item_for_scalars, ["expected a tensor of shape (), tl.float32, got a float (15.0)",
                                    "return a tensor, even for shape ()"]),
    (sum_to_size_numpy_no_device, ["device: expected cpu, got cuda:0", "keep the input's device"]),
])
def test_ch3_sum_to_size_wrong_solution_fails(fn, hints):
    assert_fails("ch3.sum_to_size", fn, *hints)


MY_SUM_TO_SIZE = '''
def sum_to_size(grad, shape):
    SEEN.append(tuple(shape))
    lead = grad.ndim - len(shape)
    if lead < 0 or any(s not in (1, n) for s, n in zip(shape, grad.shape[lead:])):
        raise RuntimeError(f"size {{{list(shape)}}} is not expandable to size {{{list(grad.shape)}}}.")
    out = grad.sum(dim=tuple(range(lead))) if lead else grad
    stretched = tuple(d for d, (s, n) in enumerate(zip(shape, out.shape)) if s == 1 and n != 1)
    return out.sum(dim=stretched, keepdim=True) if stretched else out


SEEN = []
'''


def test_ch3_sum_to_size_plugs_into_the_backward_of_broadcasting(tmp_path, capsys):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "ch3.sum_to_size.py").write_text(MY_SUM_TO_SIZE)
    original = tl.Tensor.sum_to_size
    assert use_mine(3) == {"ch3.sum_to_size": True}
    assert "using your sum_to_size (ch3.sum_to_size) as Tensor.sum_to_size" in capsys.readouterr().out
    mine = tl.Tensor.sum_to_size
    assert mine is not original
    seen = next(cell.cell_contents.__globals__["SEEN"] for cell in mine.__closure__
                if "SEEN" in getattr(cell.cell_contents, "__globals__", {}))  # the saved file's own list
    seen.clear()
    w = tl.ones(2, 3, requires_grad=True, device="cpu")  # (the adapter leaves GPU tensors to the library)
    b = tl.tensor([1.0, 2.0, 3.0], requires_grad=True, device="cpu")
    ((w * 2 + b) ** 2).sum().backward()  # b is broadcast over w's rows: its gradient is summed back
    assert (3,) in seen
    assert b.grad.tolist() == [2 * (3.0 + 3.0), 2 * (4.0 + 4.0), 2 * (5.0 + 5.0)]
    assert w.grad.shape == (2, 3)
    assert tl.ones(2, 3, device="cpu").sum_to_size(1, 3).tolist() == [[2.0, 2.0, 2.0]]  # torch's *size form too
    use_reference(quiet=True)
    assert tl.Tensor.sum_to_size is original
