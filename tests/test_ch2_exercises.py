"""Chapter 2's graded exercises catch real mistakes, not only empty stubs.

Per exercise: the reference solution passes the visible and hidden checks; the untouched
stub fails with the "not implemented" line; a solution that calls the library's own
implementation fails; and plausible wrong solutions each fail with a hint that points at
the mistake. Last, a learner's passing ``infer_shape``/``view_strides``/``broadcast_shapes``
can run inside the library (``use_mine``).
"""

from __future__ import annotations

import contextlib
import inspect
import io
import types
from pathlib import Path

import numpy as np
import pytest

import tinygrad_lessons as tl
from exercise_checks import assert_fails, assert_passes, course_env, stub  # noqa: F401 - course_env: an autouse fixture
from tinygrad_lessons.grading import use_mine, use_reference
from tinygrad_lessons.grading.exercises import get_exercise

ROOT = Path(__file__).resolve().parents[1]

VIEW_ERROR = ("view size is not compatible with input tensor's size and stride (at least one dimension spans "
              "across two contiguous subspaces). Use .reshape(...) instead.")


def _copy(fn):
    """A copy of the reference solution: the reference object itself is forbidden to learners."""
    return types.FunctionType(fn.__code__, fn.__globals__, "solution", fn.__defaults__, fn.__closure__)


def _reference(name):
    return _copy(get_exercise(name).reference)


EXERCISES = ["ch2.contiguous_strides", "ch2.is_contiguous", "ch2.infer_shape", "ch2.view_strides",
             "ch2.permute_layout", "ch2.broadcast_shapes"]


@pytest.mark.parametrize("name", EXERCISES)
def test_ch2_reference_passes(name):
    assert_passes(name, _reference(name))


@pytest.mark.parametrize("name", EXERCISES)
def test_ch2_stub_fails(name):
    text = assert_fails(name, stub, "not implemented yet: replace `raise NotImplementedError()`")
    assert "✓" not in text


def test_ch2_the_reference_object_itself_fails():
    assert_fails("ch2.view_strides", get_exercise("ch2.view_strides").reference,
                 "asks you to write view_strides yourself")


# ---------------------------------------------------------------------- a layout made real, to cheat with
def _strided(shape, strides):
    """A tensor with exactly this layout, built from NumPy: what a learner could do to ask the library."""
    span = 1 + sum((n - 1) * s for n, s in zip(shape, strides)) if 0 not in shape else 1
    base = np.zeros(max(span, 1), dtype=np.float32)
    return tl.from_numpy(np.lib.stride_tricks.as_strided(base, tuple(shape), tuple(4 * s for s in strides)))


# ====================================================================== ch2.contiguous_strides
def contiguous_strides_column_major(shape):
    strides, step = [], 1
    for size in shape:
        strides.append(step)
        step *= max(size, 1)
    return tuple(strides)


def contiguous_strides_own_size_included(shape):
    return tuple(int(np.prod(shape[d:])) for d in range(len(shape)))


def contiguous_strides_zero_sizes(shape):
    return tuple(s // 8 for s in np.empty(shape).strides)  # NumPy's strides, in elements


def contiguous_strides_as_array(shape):
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step)
        step *= max(size, 1)
    return np.array(strides[::-1])


def contiguous_strides_calls_empty(shape):
    return tl.empty(shape).stride()


def contiguous_strides_calls_library(shape):
    from tinygrad_lessons.storage import contiguous_strides

    return contiguous_strides(shape)


@pytest.mark.parametrize(("fn", "hint"), [
    (contiguous_strides_calls_empty, "don't call tl.empty"),
    (contiguous_strides_calls_library, "don't call tl.storage.contiguous_strides"),
])
def test_ch2_contiguous_strides_library_call_fails(fn, hint):
    assert_fails("ch2.contiguous_strides", fn, hint)


@pytest.mark.parametrize(("fn", "hints"), [
    (contiguous_strides_column_major, ["item 0: expected an int (3), got an int (1)", "column-major (Fortran)"]),
    (contiguous_strides_own_size_included, ["expected an int (3), got an int (6)", "AFTER d, not including d"]),
    (contiguous_strides_zero_sizes, ["a size-0 dimension counts as 1", "torch multiplies by max(size, 1)"]),
    (contiguous_strides_as_array, ["return a tuple of Python ints"]),
])
def test_ch2_contiguous_strides_wrong_solution_fails(fn, hints):
    assert_fails("ch2.contiguous_strides", fn, *hints)


# ====================================================================== ch2.is_contiguous
def _row_major(shape):
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step)
        step *= max(size, 1)
    return tuple(strides[::-1])


def is_contiguous_exact_strides(shape, strides):
    return tuple(strides) == _row_major(shape)


def is_contiguous_forgets_empty(shape, strides):
    expected = 1
    for size, stride in zip(reversed(shape), reversed(strides)):
        if size != 1:
            if stride != expected:
                return False
            expected *= size
    return True


def is_contiguous_dense_in_any_order(shape, strides):
    if 0 in shape:
        return True
    expected = 1
    for d in sorted((d for d in range(len(shape)) if shape[d] != 1), key=lambda d: strides[d]):
        if strides[d] != expected:
            return False
        expected *= shape[d]
    return True


def is_contiguous_decreasing_and_last_one(shape, strides):
    sizes = [(n, s) for n, s in zip(shape, strides) if n != 1]
    if 0 in shape or not sizes:
        return True
    return sizes[-1][1] == 1 and all(a[1] >= b[1] for a, b in zip(sizes, sizes[1:]))


def is_contiguous_returns_int(shape, strides):
    return int(tuple(strides) == _row_major(shape) or 0 in shape or 1 in shape)


def is_contiguous_asks_a_tensor(shape, strides):
    return _strided(shape, strides).is_contiguous()


def test_ch2_is_contiguous_library_call_fails():
    assert_fails("ch2.is_contiguous", is_contiguous_asks_a_tensor, "don't call Tensor.is_contiguous")


@pytest.mark.parametrize(("fn", "hints"), [
    (is_contiguous_exact_strides, ["a size-1 dimension with an odd stride — expected a bool (True), got a bool "
                                   "(False)", "size-1 dimensions don't count"]),
    (is_contiguous_forgets_empty, ["no elements at all — expected a bool (True), got a bool (False)",
                                   "no elements is contiguous whatever"]),
    (is_contiguous_dense_in_any_order, ["its transpose: shape (3, 2), strides (1, 3) — expected a bool (False)",
                                        "the LAST dimension moves fastest"]),
    (is_contiguous_decreasing_and_last_one, ["a gap after every row — expected a bool (False), got a bool (True)",
                                             "no gaps and no repeats either"]),
    (is_contiguous_returns_int, ["expected a bool (True), got an int (1)", "return True or False"]),
])
def test_ch2_is_contiguous_wrong_solution_fails(fn, hints):
    assert_fails("ch2.is_contiguous", fn, *hints)


# ====================================================================== ch2.infer_shape

def infer_shape_many_minus_ones(shape, numel):
    known = 1
    for size in shape:
        if size != -1:
            known *= size
    if -1 not in shape:
        if known != numel:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        return tuple(shape)
    if known == 0 or numel % known:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return tuple(numel // known if s == -1 else s for s in shape)  # every -1 gets the same size


def infer_shape_floor_division(shape, numel):
    if list(shape).count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for size in shape:
        if size != -1:
            known *= size
    return tuple(numel // known if s == -1 else s for s in shape)  # never checks that it fits


def infer_shape_minus_one_in_product(shape, numel):
    if list(shape).count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for size in shape:
        known *= size  # the -1 too: the product comes out negative
    if -1 not in shape:
        if known != numel:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        return tuple(shape)
    return tuple(numel // known if s == -1 else s for s in shape)


def infer_shape_divides_by_zero(shape, numel):
    if list(shape).count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for size in shape:
        if size != -1:
            known *= size
    if -1 in shape:
        if numel % known:  # ZeroDivisionError when a size is 0
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        return tuple(numel // known if s == -1 else s for s in shape)
    if known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return tuple(shape)


def infer_shape_tuple_in_message(shape, numel):
    try:
        return infer_shape_reference(shape, numel)
    except RuntimeError as error:
        raise RuntimeError(str(error).replace(str(list(shape)), str(tuple(shape)))) from None


def infer_shape_no_negative_check(shape, numel):
    if list(shape).count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    return infer_shape_reference(tuple(abs(s) if s < -1 else s for s in shape), numel)


def infer_shape_calls_view(shape, numel):
    return tuple(tl.zeros(numel).view(shape).shape)


def infer_shape_calls_library(shape, numel):
    return tl.shape_ops._infer_size(tuple(shape), numel)


infer_shape_reference = _reference("ch2.infer_shape")


@pytest.mark.parametrize(("fn", "hint"), [
    (infer_shape_calls_view, "don't call Tensor.view"),
    (infer_shape_calls_library, "don't call tl.shape_ops._infer_size"),
])
def test_ch2_infer_shape_library_call_fails(fn, hint):
    assert_fails("ch2.infer_shape", fn, hint)


@pytest.mark.parametrize(("fn", "hints"), [
    (infer_shape_many_minus_ones, ["expected RuntimeError: only one dimension can be inferred, got a tuple",
                                   "at most one -1"]),
    (infer_shape_floor_division, ["4 doesn't divide 6: error — expected RuntimeError: shape '[4, -1]' is invalid "
                                  "for input of size 6, got a tuple of 2 items", "not a multiple of the known"]),
    (infer_shape_minus_one_in_product, ["expected an int (3), got an int (-3)", "leave the -1 out of the product"]),
    (infer_shape_divides_by_zero, ["got ZeroDivisionError", "test for that before dividing", "is ambiguous"]),
    (infer_shape_tuple_in_message, ["the message should be \"shape '[4, -1]' is invalid for input of size 6\"",
                                    "[4, -1], not (4, -1)"]),
    (infer_shape_no_negative_check, ["a negative size other than -1", "only -1 may be negative"]),
])
def test_ch2_infer_shape_wrong_solution_fails(fn, hints):
    assert_fails("ch2.infer_shape", fn, *hints)


# ====================================================================== ch2.view_strides
def _is_row_major(shape, strides):
    expected = 1
    for size, stride in zip(reversed(shape), reversed(strides)):
        if size != 1:
            if stride != expected:
                return False
            expected *= size
    return True


def view_strides_contiguous_only(shape, strides, new_shape):
    if 0 in shape or _is_row_major(shape, strides):
        return _row_major(new_shape) if tuple(shape) != tuple(new_shape) else tuple(strides)
    raise RuntimeError(VIEW_ERROR)  # gives up on every non-contiguous tensor


def view_strides_ignores_strides(shape, strides, new_shape):
    return _row_major(new_shape)


def _chunked(shape, strides, new_shape, *, size_one_breaks=False, base_one=False, message=VIEW_ERROR):
    """The reference algorithm, with one slip switched on."""
    numel = int(np.prod(shape)) if shape else 1
    if numel == 0:
        return tuple(strides) if tuple(shape) == tuple(new_shape) else _row_major(new_shape)
    if not shape:
        return (1,) * len(new_shape)
    new_strides = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    base = 1 if base_one else strides[-1]
    chunk = view = 1
    for d in range(len(shape) - 1, -1, -1):
        chunk *= shape[d]
        size_one = shape[d - 1] == 1 and not size_one_breaks if d else False
        if d == 0 or (not size_one and strides[d - 1] != chunk * (strides[-1] if base_one else base)):
            while view_d >= 0 and (view < chunk or new_shape[view_d] == 1):
                new_strides[view_d] = view * base
                view *= new_shape[view_d]
                view_d -= 1
            if view != chunk:
                raise RuntimeError(message)
            if d:
                base = 1 if base_one else strides[d - 1]
                chunk = view = 1
    if view_d != -1:
        raise RuntimeError(message)
    return tuple(new_strides)


def view_strides_size_one_breaks_chunks(shape, strides, new_shape):
    return _chunked(shape, strides, new_shape, size_one_breaks=True)


def view_strides_base_stride_forgotten(shape, strides, new_shape):
    return _chunked(shape, strides, new_shape, base_one=True)


def view_strides_other_words(shape, strides, new_shape):
    return _chunked(shape, strides, new_shape, message="view is impossible here: use reshape")


def view_strides_numpy_reshape(shape, strides, new_shape):
    """NumPy's reshape makes a copy where torch's view raises: test whether the result still shares memory."""
    base = np.zeros(1 + sum((n - 1) * s for n, s in zip(shape, strides)) if 0 not in shape else 1)
    a = np.lib.stride_tricks.as_strided(base, tuple(shape), tuple(8 * s for s in strides))
    b = a.reshape(new_shape)
    if b.size and not np.shares_memory(a, b):
        raise RuntimeError(VIEW_ERROR)
    return tuple(s // 8 for s in b.strides)


def view_strides_calls_view(shape, strides, new_shape):
    return _strided(shape, strides).view(new_shape).stride()


def view_strides_calls_library(shape, strides, new_shape):
    out = tl.shape_ops._view_strides(shape, strides, new_shape)
    if out is None:
        raise RuntimeError(VIEW_ERROR)
    return out


@pytest.mark.parametrize(("fn", "hint"), [
    (view_strides_calls_view, "don't call Tensor.view"),
    (view_strides_calls_library, "don't call tl.shape_ops._view_strides"),
])
def test_ch2_view_strides_library_call_fails(fn, hint):
    assert_fails("ch2.view_strides", fn, hint)


@pytest.mark.parametrize(("fn", "hints"), [
    (view_strides_contiguous_only, ["x[:, :2] of a 3 x 4 matrix as (3, 1, 2) — expected a tuple of 3 items, got "
                                    "RuntimeError", "a non-contiguous tensor can still be viewed"]),
    (view_strides_ignores_strides, ["a transposed (2, 3) flattened: impossible — expected RuntimeError",
                                    "no single stride can walk these elements",
                                    "not from contiguous_strides(new_shape)"]),
    (view_strides_size_one_breaks_chunks, ["a size-1 dim with an odd stride doesn't break the chunk — expected a "
                                           "tuple of 1 item, got RuntimeError", "size-1 dimensions never end a chunk"]),
    (view_strides_base_stride_forgotten, ["x[::2] (stride 2) as (2, 2) — item 0: expected an int (4), got an int (2)",
                                          "the chunk's innermost stride"]),
    (view_strides_other_words, ["right error type, but the message should be", "use torch's words exactly"]),
    (view_strides_numpy_reshape, ["(2, 1, 1) as (2, 1): a size-1 dim's stride, torch's way — item 1: expected an "
                                  "int (2), got an int (1)", "a new size-1 dimension gets a stride too"]),
])
def test_ch2_view_strides_wrong_solution_fails(fn, hints):
    assert_fails("ch2.view_strides", fn, *hints)


# ====================================================================== ch2.permute_layout
def _checked_dims(shape, dims):
    ndim = len(shape)
    if len(dims) != ndim:
        raise RuntimeError("wrong number of dims")
    wrapped = []
    for d in dims:
        if not -ndim <= d < ndim:
            raise IndexError("Dimension out of range")
        if d % ndim in wrapped:
            raise RuntimeError("permute(): duplicate dims are not allowed.")
        wrapped.append(d % ndim)
    return wrapped


def permute_layout_inverse(shape, strides, dims):
    wrapped = _checked_dims(shape, dims)
    new_shape, new_strides = [0] * len(shape), [0] * len(shape)
    for i, d in enumerate(wrapped):
        new_shape[d], new_strides[d] = shape[i], strides[i]
    return tuple(new_shape), tuple(new_strides)


def permute_layout_strides_recomputed(shape, strides, dims):
    wrapped = _checked_dims(shape, dims)
    new_shape = tuple(shape[d] for d in wrapped)
    return new_shape, _row_major(new_shape)


def permute_layout_no_duplicate_check(shape, strides, dims):
    if len(dims) != len(shape):
        raise RuntimeError("wrong number of dims")
    return tuple(shape[d] for d in dims), tuple(strides[d] for d in dims)


def permute_layout_no_wrapping(shape, strides, dims):
    if len(dims) != len(shape):
        raise RuntimeError("wrong number of dims")
    if len(set(dims)) != len(dims):  # -1 and 1 look different
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return tuple(shape[d] for d in dims), tuple(strides[d] for d in dims)


def permute_layout_no_length_check(shape, strides, dims):
    seen = set()
    for d in dims:
        if d % len(shape) in seen:
            raise RuntimeError("permute(): duplicate dims are not allowed.")
        seen.add(d % len(shape))
    return tuple(shape[d] for d in dims), tuple(strides[d] for d in dims)


def permute_layout_value_errors(shape, strides, dims):
    try:
        _checked_dims(shape, dims)
    except (RuntimeError, IndexError) as error:
        raise ValueError(str(error)) from None
    return tuple(shape[d] for d in dims), tuple(strides[d] for d in dims)


def permute_layout_calls_permute(shape, strides, dims):
    out = _strided(shape, strides).permute(dims)
    return tuple(out.shape), out.stride()


def test_ch2_permute_layout_library_call_fails():
    assert_fails("ch2.permute_layout", permute_layout_calls_permute, "don't call tl.permute / Tensor.permute")


@pytest.mark.parametrize(("fn", "hints"), [
    (permute_layout_inverse, ["(2, 3, 4) permuted (2, 0, 1) — item 0: item 0: expected an int (4), got an int (3)",
                              "that is the inverse permutation"]),
    (permute_layout_strides_recomputed, ["transpose a 2 x 3 matrix — item 1: item 0: expected an int (1), got an "
                                         "int (2)", "each dimension takes its stride along with its size"]),
    (permute_layout_no_duplicate_check, ["a dim listed twice: RuntimeError — expected RuntimeError",
                                         "raise RuntimeError('permute(): duplicate dims are not allowed.')"]),
    (permute_layout_no_wrapping, ["1 and -1 are the same dim: RuntimeError — expected RuntimeError",
                                  "-1 and 1 are the same dim"]),
    (permute_layout_no_length_check, ["too few dims: RuntimeError — expected RuntimeError",
                                      "raise RuntimeError when len(dims) != len(shape)"]),
    (permute_layout_value_errors, ["got ValueError", "a dim outside [-ndim, ndim - 1] is an IndexError"]),
])
def test_ch2_permute_layout_wrong_solution_fails(fn, hints):
    assert_fails("ch2.permute_layout", fn, *hints)


# ====================================================================== ch2.broadcast_shapes
def _mismatch(size, i, index, s, result):
    return RuntimeError(f"Attempting to broadcast a dimension of length {size} at {i}! Mismatching argument at index "
                        f"{index} had {s}; but expected shape should be broadcastable to {result}")


def broadcast_shapes_left_aligned(*shapes):
    shapes = [(s,) if isinstance(s, int) else s for s in shapes]
    result = [1] * max((len(s) for s in shapes), default=0)
    for index, s in enumerate(shapes):
        for i in range(len(s)):  # lined up from the LEFT
            if s[i] == result[i] or s[i] == 1:
                continue
            if result[i] != 1:
                raise _mismatch(s[i], i, index, s, result)
            result[i] = s[i]
    return tuple(result)


def broadcast_shapes_max(*shapes):
    shapes = [(s,) if isinstance(s, int) else s for s in shapes]
    ndim = max((len(s) for s in shapes), default=0)
    padded = [(1,) * (ndim - len(s)) + tuple(s) for s in shapes]
    return tuple(max(sizes) for sizes in zip(*padded)) if padded else ()


def broadcast_shapes_max_checked(*shapes):
    shapes = [(s,) if isinstance(s, int) else s for s in shapes]
    result = [1] * max((len(s) for s in shapes), default=0)
    for index, s in enumerate(shapes):
        for i in range(-1, -len(s) - 1, -1):
            if s[i] != 1 and result[i] != 1 and s[i] != result[i]:
                raise _mismatch(s[i], i, index, s, result)
            result[i] = max(result[i], s[i])  # 1 and 0 give 1
    return tuple(result)


def broadcast_shapes_positive_dim_in_message(*shapes):
    shapes = [(s,) if isinstance(s, int) else s for s in shapes]
    ndim = max((len(s) for s in shapes), default=0)
    result = [1] * ndim
    for index, s in enumerate(shapes):
        for i in range(-1, -len(s) - 1, -1):
            if s[i] == result[i] or s[i] == 1:
                continue
            if result[i] != 1:
                raise _mismatch(s[i], ndim + i, index, s, result)  # counted from the left
            result[i] = s[i]
    return tuple(result)


def broadcast_shapes_numpy(*shapes):
    return np.broadcast_shapes(*shapes)


def broadcast_shapes_calls_library(*shapes):
    return tl.broadcast_shapes(*shapes)


def broadcast_shapes_calls_expand(*shapes):
    out = tl.zeros(())
    for s in shapes:
        out = out + tl.zeros(s)  # the element-wise op broadcasts; expand is what it calls
    return tuple(out.expand(out.shape).shape)


@pytest.mark.parametrize(("fn", "hint"), [
    (broadcast_shapes_calls_library, "don't call tl.broadcast_shapes"),
    (broadcast_shapes_calls_expand, "don't call Tensor.expand"),
])
def test_ch2_broadcast_shapes_library_call_fails(fn, hint):
    assert_fails("ch2.broadcast_shapes", fn, hint)


@pytest.mark.parametrize(("fn", "hints"), [
    (broadcast_shapes_left_aligned, ["(2, 3) and (3,) -> (2, 3) — expected a tuple of 2 items, got RuntimeError",
                                     "line the shapes up from the RIGHT"]),
    (broadcast_shapes_max, ["(2, 3) and (2,): error — expected RuntimeError", "neither is 1 can't broadcast"]),
    (broadcast_shapes_max_checked, ["a size-1 dim stretches to 0 — item 0: expected an int (0), got an int (1)",
                                    "even to 0"]),
    (broadcast_shapes_positive_dim_in_message, ["the message should be 'Attempting to broadcast a dimension of "
                                                "length 2 at -1!", "i counts from the right"]),
    (broadcast_shapes_numpy, ["expected RuntimeError: Attempting to broadcast a dimension of length 2 at -1!",
                              "got ValueError", "np.broadcast_shapes raises ValueError"]),
])
def test_ch2_broadcast_shapes_wrong_solution_fails(fn, hints):
    assert_fails("ch2.broadcast_shapes", fn, *hints)


# ====================================================================== plugging a learner's functions in
def _save_as_mine(tmp_path, name):
    """Save the reference's source under the learner's function name, as ``check`` saves a passing function."""
    exercise = get_exercise(name)
    source = inspect.getsource(exercise.reference)
    source = source.replace(f"def {exercise.reference.__name__}(", f"def {exercise.function}(")
    helpers = inspect.getsource(get_exercise("ch2.contiguous_strides").reference) if "contiguous" in source else ""
    module = exercise.reference.__globals__
    constants = f"_VIEW_ERROR = {module['_VIEW_ERROR']!r}\n" if "_VIEW_ERROR" in source else ""
    folder = tmp_path / "mine"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.py").write_text(f"import numpy as np\n{constants}\n{helpers}\n{source}", encoding="utf-8")


def test_ch2_plug_in_runs_view_and_broadcast_on_the_learners_functions(tmp_path):
    for name in ("ch2.infer_shape", "ch2.view_strides", "ch2.broadcast_shapes"):
        _save_as_mine(tmp_path, name)
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            used = use_mine(2)
        assert used == {"ch2.infer_shape": True, "ch2.view_strides": True, "ch2.broadcast_shapes": True}, \
            out.getvalue()
        assert tl.shape_ops._view_strides.__name__ == "view_strides"
        x = tl.arange(12).reshape(3, 4)
        v = x.view(2, -1)
        assert tuple(v.shape) == (2, 6) and v.stride() == (6, 1)
        assert x.t().reshape(-1).tolist() == [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]  # no view: a copy
        with pytest.raises(RuntimeError, match="view size is not compatible"):
            x.t().view(12)
        with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
            x.view(-1, -1)
        assert tl.broadcast_shapes((3, 1), (4,)) == tl.Size([3, 4])
        assert isinstance(tl.broadcast_shapes((3, 1), (4,)), tl.Size)
    finally:
        with contextlib.redirect_stdout(io.StringIO()):
            use_reference()
    assert tl.shape_ops._view_strides.__name__ == "_view_strides"
