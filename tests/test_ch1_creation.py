"""Chapter 1 (tensors): creating tensors agrees with torch.

Every creation function is run with the same arguments in both libraries, and the
results must agree in values, dtype, shape, ``stride()`` (also for empty tensors) and
memory sharing: ``tensor`` copies, ``from_numpy`` shares, ``as_tensor`` shares when it
can. Layouts come from NumPy views (transposed, sliced, offset, expanded) that both
libraries wrap with ``from_numpy``, so the very same memory is seen by both. Errors must
have torch's type, and its message where it is practical to match.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_lessons as tl
from parity import DTYPE_PAIRS, FLOAT_PAIRS, INT_PAIRS, TO_TORCH_DTYPE, assert_matches, assert_same_error, shares_memory

NUMERIC_PAIRS = [p for p in DTYPE_PAIRS if p[0] is not tl.bool]
LIBS = {"tl": tl, "torch": torch}


def check(ours, theirs, **tolerance):
    """assert_matches, plus strides even for empty and one-element tensors."""
    assert_matches(ours, theirs, **tolerance)
    assert ours.stride() == theirs.stride(), f"stride {ours.stride()} != torch {theirs.stride()}"


def both(fn):
    """``fn(lib)`` for tl and torch: both results (as a pair), or both errors of one type."""
    try:
        theirs = fn(torch)
    except Exception:  # noqa: BLE001 - ours must fail the same way
        assert_same_error(lambda: fn(tl), lambda: fn(torch))
        return None
    return fn(tl), theirs


def ptr(array: np.ndarray) -> int:
    return array.__array_interface__["data"][0]


# ---------------------------------------------------------------------- strategies
small_shapes = st.lists(st.integers(1, 3), min_size=0, max_size=3).map(tuple)
shapes_with_zeros = st.lists(st.integers(0, 3), min_size=0, max_size=4).map(tuple)

# leaf kinds of nested data: Python numbers, NumPy scalars, 0-d (or one-element) tensors
PY_KINDS = ["bool", "int", "float"]
NP_KINDS = ["np.bool_", "np.int8", "np.uint8", "np.int16", "np.int32", "np.int64", "np.float16", "np.float32",
            "np.float64"]
TENSOR_KINDS = ["t.bool", "t.int32", "t.int64", "t.float16", "t.bfloat16", "t.float64", "t1.float32"]


def make_leaf(lib, kind: str, k: int):
    """One element of nested data, of the given kind, from a small integer ``k`` (quarters for floats)."""
    family, _, name = kind.partition(".")
    is_float = "float" in kind
    value = (k / 4 if is_float else (k % 2 == 1 if "bool" in kind else abs(k) if "uint" in kind else k))
    if family in PY_KINDS:
        return {"bool": k % 2 == 1, "int": k, "float": k / 4}[family]
    if family == "np":
        return getattr(np, name)(value)
    dtype = getattr(lib, name)
    return lib.tensor([value] if family == "t1" else value, dtype=dtype)


@st.composite
def nested_specs(draw, kinds=PY_KINDS + NP_KINDS + TENSOR_KINDS):
    """(shape, [(kind, k), ...], tuple_mask): a recipe for the same nested data in both libraries."""
    shape = draw(small_shapes)
    used = draw(st.lists(st.sampled_from(kinds), min_size=1, max_size=3, unique=True))
    n = int(np.prod(shape, dtype=np.int64))
    leaves = draw(st.lists(st.tuples(st.sampled_from(used), st.integers(-40, 40)), min_size=n, max_size=n))
    as_tuples = draw(st.booleans())
    return shape, leaves, as_tuples


def build_nested(lib, spec):
    """Nested lists (or tuples) holding the leaves of ``spec`` made for ``lib``."""
    shape, leaves, as_tuples = spec
    items = [make_leaf(lib, kind, k) for kind, k in leaves]
    for size in reversed(shape[1:] if shape else ()):
        items = [items[i:i + size] for i in range(0, len(items), size)]
        if as_tuples:
            items = [tuple(x) for x in items]
    return items if shape else items[0]


TORCH_NUMPY_PAIRS = [p for p in DTYPE_PAIRS if p[0] is not tl.bfloat16]  # NumPy has no bfloat16 of torch's


@st.composite
def numpy_views(draw, dtype_pairs=TORCH_NUMPY_PAIRS):
    """A NumPy view in one of many layouts (with its dtype pair): what from_numpy sees in both libraries."""
    shape = draw(st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple))
    pair = draw(st.sampled_from(dtype_pairs))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    np_dtype = pair[0].numpy_dtype
    base = (rng.integers(0, 2, shape) if pair[0] is tl.bool else rng.integers(0, 50, shape)).astype(np_dtype)
    layout = draw(st.sampled_from(["contiguous", "permuted", "stepped", "offset", "new_axis", "expanded", "mixed"]))
    view = base
    if layout in ("permuted", "mixed"):
        view = view.transpose(draw(st.permutations(range(view.ndim))))
    if layout in ("stepped", "mixed"):
        dim = draw(st.integers(0, view.ndim - 1))
        index = [slice(None)] * view.ndim
        index[dim] = slice(draw(st.integers(0, 1)), None, draw(st.integers(1, 3)))
        view = view[tuple(index)]
    if layout == "offset":
        view = view[tuple(slice(draw(st.integers(0, n - 1)), None) for n in view.shape)]
    if layout == "new_axis":
        view = np.expand_dims(view, draw(st.integers(0, view.ndim)))
    if layout == "expanded":
        dim = draw(st.integers(0, view.ndim - 1))
        first = np.take(view, [0], axis=dim)
        strides = tuple(0 if d == dim else s for d, s in enumerate(first.strides))
        view = np.lib.stride_tricks.as_strided(first, view.shape, strides)
    return view, pair


# ====================================================================== tensor(): dtype inference and values
@given(nested_specs())
def test_tensor_from_nested_data_matches_torch(spec):
    """Python, NumPy and 0-d tensor elements, mixed: torch's dtype (promotion of all), values and errors."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = both(lambda lib: lib.tensor(build_nested(lib, spec)))
    if result:
        check(*result)


@given(nested_specs(kinds=PY_KINDS + NP_KINDS + TENSOR_KINDS), st.sampled_from(DTYPE_PAIRS))
def test_tensor_with_dtype_converts_as_torch(spec, pair):
    """dtype= converts every element (floats truncate into integers; non-integers are refused there)."""
    ours_dtype, torch_dtype = pair
    shape, leaves, as_tuples = spec
    leaves = [(kind, abs(k)) for kind, k in leaves]  # negative floats into uint8 are undefined in C++
    spec = shape, leaves, as_tuples
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = both(lambda lib: lib.tensor(build_nested(lib, spec), dtype={tl: ours_dtype,
                                                                              torch: torch_dtype}[lib]))
    if result:
        check(*result)


@pytest.mark.parametrize("data", [
    True, 0, -7, 2**62, 1.5, float("inf"), float("nan"), 1e300,
    np.float16(2.5), np.float32(-1.25), np.float64(3.0), np.int8(-3), np.uint8(200), np.int16(7), np.int32(9),
    np.int64(-11), np.bool_(False),
    [], [[]], [[], []], [[], [1]], (), [()], range(4), range(0), ((1, 2), [3, 4]), [True, 1], [True, 1.0],
    [[True], [2]], [1, 2.5], [[1, 2], [3, 4]], [[[1.5]]], [0.1, 0.2, 0.3],
])
def test_tensor_of_python_and_numpy_values(data):
    check(tl.tensor(data), torch.tensor(data))


@pytest.mark.parametrize("dtype", [d for d, _ in DTYPE_PAIRS])
@pytest.mark.parametrize("data", [[0.0, 1.5, -2.75, 100.0], [0, 1, 2, 127], [True, False], 3.3e38, -1e-8, 65519.0])
def test_tensor_rounds_like_torch(data, dtype):
    """Casting while building: through float32 into half types; float16 overflow gives inf."""
    if not dtype.is_floating_point and (data == 3.3e38 or data == 65519.0 or data == -1e-8):
        data = 3  # these are overflow errors there; tested below
    if dtype is tl.uint8 and isinstance(data, list) and -2.75 in data:
        data = [0.0, 1.5, 2.75, 100.0]
    check(tl.tensor(data, dtype=dtype), torch.tensor(data, dtype=TO_TORCH_DTYPE[dtype]))


@pytest.mark.parametrize("make", [
    lambda lib: lib.tensor([[1, 2], [3]]),
    lambda lib: lib.tensor([[1], [2, 3]]),
    lambda lib: lib.tensor([[1], []]),
    lambda lib: lib.tensor([[1, 2], 3]),
    lambda lib: lib.tensor([1, [2, 3]]),
    lambda lib: lib.tensor([1.5, [2, 3]]),
    lambda lib: lib.tensor("abc"),
    lambda lib: lib.tensor(["a"]),
    lambda lib: lib.tensor([1, "a"]),
    lambda lib: lib.tensor(None),
    lambda lib: lib.tensor([1, None]),
    lambda lib: lib.tensor([1, None], dtype=lib.float32),
    lambda lib: lib.tensor([1, None], dtype=lib.int32),
    lambda lib: lib.tensor({1: 2}),
    lambda lib: lib.tensor({1, 2}),
    lambda lib: lib.tensor(object()),
    lambda lib: lib.tensor(2**63),
    lambda lib: lib.tensor([1, -2**63 - 1]),
    lambda lib: lib.tensor(300, dtype=lib.uint8),
    lambda lib: lib.tensor(-256, dtype=lib.uint8),
    lambda lib: lib.tensor([1, 128], dtype=lib.int8),
    lambda lib: lib.tensor(40000, dtype=lib.int16),
    lambda lib: lib.tensor(2**31, dtype=lib.int32),
    lambda lib: lib.tensor(-1.5, dtype=lib.uint8),
    lambda lib: lib.tensor(float("nan"), dtype=lib.int32),
    lambda lib: lib.tensor([float("inf")], dtype=lib.int64),
    lambda lib: lib.tensor([lib.ones(2), lib.ones(2)]),
    lambda lib: lib.tensor([np.bool_(True), 2]),
    lambda lib: lib.tensor([np.float32(1.5)], dtype=lib.int64),
    lambda lib: lib.tensor([lib.tensor(1.5)], dtype=lib.int64),
    lambda lib: lib.tensor([np.array(1.5), 2]),
    lambda lib: lib.tensor(1, requires_grad=True),
    lambda lib: lib.tensor([True], requires_grad=True),
    lambda lib: lib.tensor([1.0], dtype=lib.int32, requires_grad=True),
], ids=lambda f: "")
def test_tensor_errors_match_torch(make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same_error(lambda: make(tl), lambda: make(torch), match_message=True)


def test_tensor_of_negative_stride_array_is_torch_error():
    a = np.arange(6.0)[::-1]
    assert_same_error(lambda: tl.tensor(a), lambda: torch.tensor(a), match_message=True)
    assert_same_error(lambda: tl.tensor(np.array(["a"])), lambda: torch.tensor(np.array(["a"])))
    assert_same_error(lambda: tl.tensor(np.ones(2, object)), lambda: torch.tensor(np.ones(2, object)))


# ---------------------------------------------------------------------- ragged data: torch's first error
def same_result_or_error(make):
    """``make(lib)`` gives torch's tensor, or raises torch's error with torch's exact message."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            theirs = make(torch)
        except Exception:  # noqa: BLE001 - ours must raise the same
            assert_same_error(lambda: make(tl), lambda: make(torch), match_message=True)
            return
        check(make(tl), theirs)


@pytest.mark.parametrize("make", [
    # a short row: the dim named is where the walk meets it, depth first (the whole of data[0] before data[1])
    lambda lib: lib.tensor([[1, 2], [3]]),
    lambda lib: lib.tensor([[[1], [2]], [[3]]]),
    lambda lib: lib.tensor([[[1, 2], [3]], [[4, 5]]]),  # dim 2 inside data[0], before the short data[1]
    lambda lib: lib.tensor([[[1, 2], [3, 4]], [[5, 6]]]),
    lambda lib: lib.tensor([[[[1]], [[2, 3]]], [[[4]]]]),
    lambda lib: lib.tensor([[1], [2, 3], [4, 5, 6]]),
    lambda lib: lib.tensor([[1, 2], [3, 4], []]),
    lambda lib: lib.tensor([[[1, 2], [3]], [[4, 5]]], dtype=lib.float32),
    # a number where a list belongs, a list where a number belongs
    lambda lib: lib.tensor([1, [2]]),
    lambda lib: lib.tensor([1.5, [2]]),
    lambda lib: lib.tensor([True, [2]]),
    lambda lib: lib.tensor([1, [2]], dtype=lib.bool),
    lambda lib: lib.tensor([1, [2]], dtype=lib.float16),
    lambda lib: lib.tensor([1, (2,)]),
    lambda lib: lib.tensor([[1], 2]),
    lambda lib: lib.tensor([[1], 2.5]),
    lambda lib: lib.tensor([[1, [2]], [3]]),  # the list inside data[0] comes before the short data[1]
    lambda lib: lib.tensor([[1, 2], [3, [4]]]),
    lambda lib: lib.tensor([[[1, 2], 3], [[4, 5], [6]]]),
    # the numbers are converted as the walk reaches them: an overflow before a short row is reported first
    lambda lib: lib.tensor([[300], [1, 2]], dtype=lib.uint8),
    lambda lib: lib.tensor([[300, [1]]], dtype=lib.uint8),
    lambda lib: lib.tensor([[2**70], [1, 2]]),
    lambda lib: lib.tensor([[1], [1, 2]], dtype=lib.uint8),
    lambda lib: lib.tensor([False, 0.25, -1], dtype=lib.uint8),  # each number on its own: -1 wraps to 255
    # arrays and tensors where a number belongs are asked for __index__ / __float__, as torch asks them
    lambda lib: lib.tensor([1, np.array([2])]),
    lambda lib: lib.tensor([1.5, np.array([2.5])]),
    lambda lib: lib.tensor([1, np.array(True)]),
    lambda lib: lib.tensor([1, np.array(2)], dtype=lib.float32),
    lambda lib: lib.tensor([1, lib.tensor([2, 3])]),
    lambda lib: lib.tensor([1.0, lib.tensor([2.0, 3.0])]),
    lambda lib: lib.tensor([lib.tensor([1, 2]), lib.tensor([3])]),
    # ...and anything iterable where a row belongs (after the first row, which fixes the shape) is read as one
    lambda lib: lib.tensor([[1, 2], lib.tensor([3, 4])]),
    lambda lib: lib.tensor([[1, 2], lib.tensor([3])]),
    lambda lib: lib.tensor([[1, 2], lib.tensor(3)]),
    lambda lib: lib.tensor([[1, 2], np.array(3)]),
    lambda lib: lib.tensor([[1, 2], "ab"], dtype=lib.float32),
], ids=lambda f: "")
def test_ragged_and_mixed_data_raise_torchs_first_error(make):
    same_result_or_error(make)


ragged = st.recursive(st.sampled_from([0, 1, -1, 300, 2.5, True, 2**70]), lambda rows: st.lists(rows, max_size=3),
                      max_leaves=12)


@given(ragged, st.sampled_from([None, "float32", "float16", "int64", "int8", "uint8", "bool"]))
def test_ragged_data_errors_match_torch(data, dtype):
    """Nested lists of any shape, regular or not: torch's values, or torch's error word for word."""
    same_result_or_error(lambda lib: lib.tensor(data, dtype=None if dtype is None else getattr(lib, dtype)))


def test_tensor_copies_and_keeps_requires_grad_leaf():
    t = tl.tensor([1.0, 2.0], requires_grad=True)
    assert t.requires_grad and t.is_leaf and t.grad_fn is None
    assert not tl.tensor([1.0]).requires_grad


# ====================================================================== tensor(array / tensor): copies, keeps layout
@given(numpy_views(), st.sampled_from([None] + [d for d, _ in DTYPE_PAIRS]))
def test_tensor_of_array_copies_in_torchs_layout(view_pair, dtype):
    """A copy: strides follow the array's memory order (dense) or are made dense in that order."""
    view, _ = view_pair
    torch_dtype = None if dtype is None else TO_TORCH_DTYPE[dtype]
    if view.dtype.kind == "f" and dtype is not None and not dtype.is_floating_point:
        view = np.abs(view)
    ours, theirs = tl.tensor(view, dtype=dtype), torch.tensor(view, dtype=torch_dtype)
    check(ours, theirs)
    assert ours.data_ptr() != ptr(view)
    before = ours.tolist()
    view[...] = 1  # a write to the array after the copy does not reach the tensor
    assert ours.tolist() == before


@given(numpy_views())
def test_tensor_of_tensor_warns_and_copies(view_pair):
    view, _ = view_pair
    src_ours, src_theirs = tl.from_numpy(view), torch.from_numpy(view)
    with pytest.warns(UserWarning, match="To copy construct from a tensor"):
        ours = tl.tensor(src_ours)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.tensor(src_theirs)
    check(ours, theirs)
    assert not shares_memory(ours, src_ours)


# ====================================================================== from_numpy: shares memory
@given(numpy_views())
def test_from_numpy_shares_memory_with_torchs_strides(view_pair):
    view, _ = view_pair
    ours, theirs = tl.from_numpy(view), torch.from_numpy(view)
    check(ours, theirs)
    assert ours.storage_offset() == theirs.storage_offset() == 0
    if view.size == 0:
        return  # torch gives empty tensors data_ptr 0; there is no memory to share
    assert ours.data_ptr() == theirs.data_ptr() == ptr(view)
    assert ours.untyped_storage().data_ptr() == theirs.untyped_storage().data_ptr()
    assert ours.untyped_storage().nbytes() == theirs.untyped_storage().nbytes()
    assert ours.is_contiguous() == theirs.is_contiguous()


def test_from_numpy_writes_show_both_ways():
    a = np.zeros((2, 3), np.float32)
    t = tl.from_numpy(a.T)
    a[1, 2] = 5
    assert t.tolist()[2][1] == 5
    t._data[0, 1] = 7
    assert a[1, 0] == 7
    e = np.empty((0, 3))
    check(tl.from_numpy(e), torch.from_numpy(e))
    check(tl.from_numpy(np.array(1.5)), torch.from_numpy(np.array(1.5)))


@pytest.mark.parametrize("make", [
    lambda: np.arange(6.0)[::-1],
    lambda: np.arange(6.0).reshape(2, 3)[:, ::-1],
    lambda: [1, 2],
    lambda: np.float64(1.0),
    lambda: np.ones(3, dtype=object),
    lambda: np.ones(3, dtype=">f8"),
], ids=lambda f: "")
def test_from_numpy_errors(make):
    assert_same_error(lambda: tl.from_numpy(make()), lambda: torch.from_numpy(make()))


def test_from_numpy_negative_stride_message_is_torchs():
    a = np.arange(6.0)[::-1]
    assert_same_error(lambda: tl.from_numpy(a), lambda: torch.from_numpy(a), match_message=True)
    assert_same_error(lambda: tl.from_numpy([1]), lambda: torch.from_numpy([1]), match_message=True)


def test_from_numpy_of_readonly_array_warns():
    a = np.ones(3)
    a.flags.writeable = False
    with pytest.warns(UserWarning, match="not writable"):
        t = tl.from_numpy(a)
    assert t.data_ptr() == ptr(a)


# ====================================================================== as_tensor: shares when it can
@given(numpy_views(), st.sampled_from([None] + [d for d, _ in DTYPE_PAIRS]))
def test_as_tensor_of_array(view_pair, dtype):
    view, _ = view_pair
    if view.dtype.kind == "f" and dtype is not None and not dtype.is_floating_point:
        view = np.abs(view)
    torch_dtype = None if dtype is None else TO_TORCH_DTYPE[dtype]
    ours, theirs = tl.as_tensor(view, dtype=dtype), torch.as_tensor(view, dtype=torch_dtype)
    check(ours, theirs)
    if view.size:
        assert (ours.data_ptr() == ptr(view)) == (theirs.data_ptr() == ptr(view))


def test_as_tensor_of_tensor_and_data():
    t = tl.ones(2, 3)
    assert tl.as_tensor(t) is t
    assert tl.as_tensor(t, dtype=tl.float32) is t
    converted = tl.as_tensor(t.T, dtype=tl.float64)
    check(converted, torch.as_tensor(torch.ones(2, 3).T, dtype=torch.float64))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # as_tensor never warns about copy construction
        for data in ([1, 2], 3, np.float32(2.0), [[1.5], [2]], (True,)):
            check(tl.as_tensor(data), torch.as_tensor(data))
        check(tl.as_tensor([1, 2], dtype=tl.float16), torch.as_tensor([1, 2], dtype=torch.float16))
    a = np.arange(6.0)[::-1]
    assert_same_error(lambda: tl.as_tensor(a), lambda: torch.as_tensor(a), match_message=True)
    assert_same_error(lambda: tl.as_tensor(a, dtype=tl.float32), lambda: torch.as_tensor(a, dtype=torch.float32))


# ====================================================================== zeros, ones, empty, full
@given(shapes_with_zeros, st.sampled_from(DTYPE_PAIRS), st.sampled_from(["tuple", "list", "args", "size"]))
def test_filled_tensors(shape, pair, form):
    ours_dtype, torch_dtype = pair

    def args(lib):
        return {"tuple": (tuple(shape),), "list": (list(shape),), "args": tuple(shape),
                "size": (lib.Size(shape),)}[form]

    for name in ("zeros", "ones", "empty"):
        if form == "args" and not shape:
            continue  # zeros() with no size at all is an error
        ours = getattr(tl, name)(*args(tl), dtype=ours_dtype)
        theirs = getattr(torch, name)(*args(torch), dtype=torch_dtype)
        if name == "empty":
            assert ours.shape == tuple(theirs.shape) and ours.dtype is ours_dtype
            assert ours.stride() == theirs.stride()
        else:
            check(ours, theirs)
    fill = {tl.bool: True}.get(ours_dtype, 3)
    check(tl.full(tuple(shape), fill, dtype=ours_dtype), torch.full(tuple(shape), fill, dtype=torch_dtype))


def test_default_dtypes_and_size_forms():
    check(tl.zeros(2, 3), torch.zeros(2, 3))
    check(tl.ones(()), torch.ones(()))
    check(tl.zeros([]), torch.zeros([]))
    check(tl.empty(0).fill_(0) if hasattr(tl.Tensor, "fill_") else tl.zeros(0), torch.zeros(0))
    check(tl.zeros(np.int64(2), tl.tensor(3)), torch.zeros(np.int64(2), torch.tensor(3)))
    check(tl.ones(0, 3), torch.ones(0, 3))
    assert tl.empty(2, 0, 3).stride() == torch.empty(2, 0, 3).stride()


@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
@pytest.mark.parametrize("size", [(), (2.5,), (2, 2.5), ((2, 2.5),), (-1,), (2, -3), (True,), ("a",), (None,),
                                  ((2,), (3,))])
def test_size_errors_match_torch(name, size):
    assert_same_error(lambda: getattr(tl, name)(*size), lambda: getattr(torch, name)(*size),
                      match_message=len(size) != 2 or size[0] != (2,))


def test_size_error_for_tensor_of_several_elements():
    assert_same_error(lambda: tl.zeros(tl.tensor([2, 3])), lambda: torch.zeros(torch.tensor([2, 3])),
                      match_message=True)


@pytest.mark.parametrize("fill", [1, True, 1.5, -0.0, float("inf"), float("nan"), np.float64(1.5), np.int32(3),
                                  np.bool_(True), "tensor_int32", "tensor_float64"])
def test_full_infers_dtype_from_fill_value(fill):
    def value(lib):
        if fill == "tensor_int32":
            return lib.tensor(3, dtype=lib.int32)
        if fill == "tensor_float64":
            return lib.tensor(3.5, dtype=lib.float64)
        return fill

    check(tl.full((2, 3), value(tl)), torch.full((2, 3), value(torch)))
    check(tl.full([2], value(tl), dtype=tl.float16), torch.full([2], value(torch), dtype=torch.float16))


@pytest.mark.parametrize("fill, dtype", [
    (300, "uint8"), (-1, "uint8"), (-255, "uint8"), (-256, "uint8"), (-1.5, "uint8"), (2.7, "int32"),
    (-2.7, "int8"), (128, "int8"), (-129, "int8"), (1e5, "int16"), (2**31, "int32"), (2**63, "int64"),
    (1e20, "int64"), (float("nan"), "int32"), (float("inf"), "int64"), (65504.0, "float16"), (65519.0, "float16"),
    (1e10, "float16"), (float("inf"), "float16"), (float("nan"), "bfloat16"), (3.5e38, "bfloat16"),
    (3.3e38, "bfloat16"), (1e300, "float32"), (-1e300, "float64"), (1.5, "bool"), (0.0, "bool"), (7, "bool"),
    (True, "uint8"), (1.0000001, "float16"), (257, "float16"),
])
def test_full_converts_or_refuses_like_torch(fill, dtype):
    """Overflow is torch's error (with its C++ type names); negatives wrap into uint8."""
    result = both(lambda lib: lib.full((2,), fill, dtype=getattr(lib, dtype)))
    if result:
        check(*result)
    else:
        assert_same_error(lambda: tl.full((2,), fill, dtype=getattr(tl, dtype)),
                          lambda: torch.full((2,), fill, dtype=getattr(torch, dtype)), match_message=True)


@pytest.mark.parametrize("make", [
    lambda lib: lib.full(2, 1.5),
    lambda lib: lib.full((2,), "a"),
    lambda lib: lib.full((2,), lib.ones(2)),
    lambda lib: lib.full((2,), lib.ones(1)),
    lambda lib: lib.full((-1,), 1),
    lambda lib: lib.full((2,), 1, requires_grad=True),
], ids=lambda f: "")
def test_full_errors(make):
    assert_same_error(lambda: make(tl), lambda: make(torch), match_message=True)


# ====================================================================== eye
@given(st.integers(0, 5), st.one_of(st.none(), st.integers(0, 5)), st.sampled_from(DTYPE_PAIRS))
def test_eye(n, m, pair):
    ours_dtype, torch_dtype = pair
    if m is None:
        check(tl.eye(n, dtype=ours_dtype), torch.eye(n, dtype=torch_dtype))
    else:
        check(tl.eye(n, m, dtype=ours_dtype), torch.eye(n, m, dtype=torch_dtype))


@pytest.mark.parametrize("args", [(-1,), (2, -1), (2.0,), (2, 3.0), ("a",)])
def test_eye_errors(args):
    assert_same_error(lambda: tl.eye(*args), lambda: torch.eye(*args), match_message=args != (2, 3.0))


# ====================================================================== arange
numbers = st.one_of(st.integers(-20, 20), st.integers(-80, 80).map(lambda k: k / 4),
                    st.floats(-30, 30, allow_nan=False, width=32))


@given(numbers, numbers, st.one_of(numbers.filter(lambda s: abs(s) > 0.05), st.none()),
       st.sampled_from([None] + [d for d, _ in NUMERIC_PAIRS]))
def test_arange_matches_torch(start, end, step, dtype):
    """Length exactly torch's (ceil((end - start) / step), or integer arithmetic for int64); values close."""
    torch_dtype = None if dtype is None else TO_TORCH_DTYPE[dtype]
    if dtype is tl.uint8:
        start, end = abs(start), abs(end)  # negative floats into uint8 are undefined in C++

    def make(lib, d):
        if step is None:
            return lib.arange(start, end, dtype=d)
        return lib.arange(start, end, step, dtype=d)

    try:
        theirs = make(torch, torch_dtype)
    except (RuntimeError, ValueError):
        assert_same_error(lambda: make(tl, dtype), lambda: make(torch, torch_dtype), match_message=True)
        return
    ours = make(tl, dtype)
    assert ours.shape == tuple(theirs.shape), f"length {ours.shape} != torch {tuple(theirs.shape)}"
    atol = {torch.float16: 0.07, torch.bfloat16: 0.5}.get(theirs.dtype, 1e-5)
    check(ours, theirs, atol=atol, rtol=1e-3)


@pytest.mark.parametrize("args, kwargs", [
    ((5,), {}), ((5.0,), {}), ((1, 5), {}), ((1, 5, 2), {}), ((1, 5, 0.5), {}), ((0, 1, 0.1), {}), ((10, 0, -3), {}),
    ((True, 5), {}), ((np.int32(5),), {}), ((np.float64(5),), {}), ((0, 5.5), {"dtype": "int64"}),
    ((0, 5.5), {"dtype": "int32"}), ((0.5, 3), {"dtype": "int64"}), ((-0.5, 3), {"dtype": "int64"}),
    ((-0.5, 3), {"dtype": "int32"}), ((0, 1, 0.3), {"dtype": "int32"}), ((0, 2, 0.5), {"dtype": "int16"}),
    ((0, -5, -1), {"dtype": "uint8"}), ((0, 0), {}), ((0, 0, -1), {}), ((1e10, 1e10 + 3), {"dtype": "float32"}),
    ((), {"end": 4}), ((), {"start": 1, "end": 4}), ((1,), {"end": 4}), ((0, 1, 0.1), {"dtype": "float16"}),
    ((-3, 7, 2.5), {"dtype": "bfloat16"}), ((2**40, 2**40 + 5), {}),
], ids=str)
def test_arange_cases(args, kwargs):
    def make(lib):
        kw = {k: getattr(lib, v) if k == "dtype" else v for k, v in kwargs.items()}
        return lib.arange(*args, **kw)

    check(make(tl), make(torch))


def test_arange_accepts_zero_dim_tensors():
    check(tl.arange(tl.tensor(5)), torch.arange(torch.tensor(5)))
    check(tl.arange(tl.tensor(5.0)), torch.arange(torch.tensor(5.0)))
    check(tl.arange(tl.tensor(5, dtype=tl.int32)), torch.arange(torch.tensor(5, dtype=torch.int32)))


@pytest.mark.parametrize("make", [
    lambda lib: lib.arange(0, 10, 0),
    lambda lib: lib.arange(1, 3, 0.0),
    lambda lib: lib.arange(0, 0, 0),
    lambda lib: lib.arange(0, 10, -1),
    lambda lib: lib.arange(10, 0),
    lambda lib: lib.arange(0, float("inf")),
    lambda lib: lib.arange(float("nan")),
    lambda lib: lib.arange(0, 10, float("nan")),
    lambda lib: lib.arange(0, 1e30, 1e-30),
    lambda lib: lib.arange(0, 1, 0.3, dtype=lib.int64),
    lambda lib: lib.arange(5, dtype=lib.bool),
    lambda lib: lib.arange(5, requires_grad=True),
    lambda lib: lib.arange("a"),
    lambda lib: lib.arange(None),
], ids=lambda f: "")
def test_arange_errors(make):
    assert_same_error(lambda: make(tl), lambda: make(torch), match_message=True)


# ====================================================================== linspace, logspace
ends = st.one_of(st.integers(-50, 50), st.floats(-50, 50, allow_nan=False))


def space_tolerance(dtype: torch.dtype, start, end) -> dict:
    scale = abs(float(start)) + abs(float(end)) + 1
    if dtype in (torch.float32, torch.float64):
        return {"rtol": 1e-6, "atol": scale * 1e-6}
    return {"rtol": 1e-2, "atol": scale * 1e-2}


@given(ends, ends, st.integers(0, 40), st.sampled_from([None] + [d for d, _ in NUMERIC_PAIRS]))
def test_linspace_matches_torch(start, end, steps, dtype):
    """Filled from both ends toward the middle; integer dtypes may differ by one where torch's
    vectorised kernel truncates at block starts (we truncate the exact value)."""
    torch_dtype = None if dtype is None else TO_TORCH_DTYPE[dtype]
    if dtype is tl.uint8:
        start, end = abs(start), abs(end)
    ours = tl.linspace(start, end, steps, dtype=dtype)
    theirs = torch.linspace(start, end, steps, dtype=torch_dtype)
    if not theirs.dtype.is_floating_point:
        check(ours, theirs.double(), check_dtype=False, atol=1, rtol=0)
        assert ours.dtype is dtype
    else:
        check(ours, theirs, **space_tolerance(theirs.dtype, start, end))
    if steps:
        assert ours.tolist()[0] == theirs.tolist()[0]  # the first value is exact
    if steps > 1 and theirs.dtype.is_floating_point:
        assert ours.tolist()[-1] == theirs.tolist()[-1]  # and so is the last


@given(st.floats(-4, 4), st.floats(-4, 4), st.integers(0, 30), st.sampled_from([10.0, 2.0, 0.5, 3]),
       st.sampled_from([None, tl.float64, tl.float16, tl.bfloat16, tl.int64]))
def test_logspace_matches_torch(start, end, steps, base, dtype):
    torch_dtype = None if dtype is None else TO_TORCH_DTYPE[dtype]
    ours = tl.logspace(start, end, steps, base, dtype=dtype)
    theirs = torch.logspace(start, end, steps, base, dtype=torch_dtype)
    tolerance = {"rtol": 3e-2, "atol": 1e-3} if theirs.itemsize == 2 else {"rtol": 1e-5, "atol": 1e-7}
    if not theirs.dtype.is_floating_point:
        tolerance = {"rtol": 1e-6, "atol": 1}
    check(ours, theirs, check_dtype=theirs.dtype.is_floating_point, **tolerance)
    assert ours.dtype is (dtype or tl.float32)


@pytest.mark.parametrize("make", [
    lambda lib: lib.linspace(0, 1, 5),
    lambda lib: lib.linspace(0, 1, 0),
    lambda lib: lib.linspace(0, 1, 1),
    lambda lib: lib.linspace(0, 10, 5, dtype=lib.int64),
    lambda lib: lib.linspace(0, 10, 4, dtype=lib.int64),
    lambda lib: lib.linspace(-1.5, 3.7, 4, dtype=lib.int32),
    lambda lib: lib.linspace(5, 0, 6),
    lambda lib: lib.linspace(lib.tensor(0.0), lib.tensor(1.0), 3),
    lambda lib: lib.linspace(0, 1, lib.tensor(3)),
    lambda lib: lib.linspace(0, 1, 5, dtype=lib.float16),
    lambda lib: lib.logspace(0, 2, 3),
    lambda lib: lib.logspace(0, 2, 3, base=2),
    lambda lib: lib.logspace(0, 3, 4, dtype=lib.int64),
    lambda lib: lib.logspace(0, 1, 1),
    lambda lib: lib.logspace(2, 2, 1, base=3),
    lambda lib: lib.logspace(-2, 1, 4, base=-2),
], ids=lambda f: "")
def test_linspace_logspace_cases(make):
    check(make(tl), make(torch))


@pytest.mark.parametrize("make", [
    lambda lib: lib.linspace(0, 1, -1),
    lambda lib: lib.logspace(0, 1, -2),
    lambda lib: lib.linspace(lib.tensor([0.0]), 1, 3),
    lambda lib: lib.linspace(0, 1, 3, dtype=lib.bool),
    lambda lib: lib.logspace(0, 1, 3, dtype=lib.bool),
    lambda lib: lib.linspace(0, 1, 3.0),
    lambda lib: lib.linspace(0, 1),
], ids=lambda f: "")
def test_linspace_logspace_errors(make):
    assert_same_error(lambda: make(tl), lambda: make(torch))


def test_linspace_requires_grad():
    assert tl.linspace(0, 1, 3, requires_grad=True).requires_grad
    assert tl.logspace(0, 1, 3, requires_grad=True).is_leaf


# ====================================================================== *_like
@given(numpy_views(), st.sampled_from([None] + [d for d, _ in DTYPE_PAIRS]))
def test_like_functions_keep_shape_dtype_and_memory_order(view_pair, dtype):
    """preserve_format: a dense input's strides exactly; otherwise dense strides in its order."""
    view, _ = view_pair
    ours_in, theirs_in = tl.from_numpy(view), torch.from_numpy(view)
    torch_dtype = None if dtype is None else TO_TORCH_DTYPE[dtype]
    check(tl.zeros_like(ours_in, dtype=dtype), torch.zeros_like(theirs_in, dtype=torch_dtype))
    check(tl.ones_like(ours_in, dtype=dtype), torch.ones_like(theirs_in, dtype=torch_dtype))
    fill = True if (dtype or ours_in.dtype) is tl.bool else 7
    check(tl.full_like(ours_in, fill, dtype=dtype), torch.full_like(theirs_in, fill, dtype=torch_dtype))
    ours, theirs = tl.empty_like(ours_in, dtype=dtype), torch.empty_like(theirs_in, dtype=torch_dtype)
    assert ours.shape == tuple(theirs.shape) and ours.stride() == theirs.stride()
    assert not shares_memory(ours, ours_in)
    clone_ours, clone_theirs = ours_in.clone(), theirs_in.clone()
    check(clone_ours, clone_theirs)
    assert not shares_memory(clone_ours, ours_in)


@pytest.mark.parametrize("make", [
    lambda lib: lib.full_like(lib.ones(3, dtype=lib.int32), 2.7),
    lambda lib: lib.full_like(lib.ones(3), True),
    lambda lib: lib.full_like(lib.ones(2, 2), 7, dtype=lib.float16),
    lambda lib: lib.full_like(lib.ones(2, 2), lib.tensor(7)),
    lambda lib: lib.ones_like(lib.ones(3, dtype=lib.int32)),
    lambda lib: lib.zeros_like(lib.ones(0, 3)),
    lambda lib: lib.zeros_like(lib.ones(3, 1).expand(3, 4)),
    lambda lib: lib.zeros_like(lib.ones(1, 3).expand(4, 3)),
    lambda lib: lib.zeros_like(lib.ones(4, 1, 3).expand(4, 2, 3).permute(2, 1, 0)),
    lambda lib: lib.ones(4, 1, 3).expand(4, 2, 3).permute(2, 1, 0).clone(),
    lambda lib: lib.ones(2, 1, 3).permute(1, 2, 0).clone(),
], ids=lambda f: "")
def test_like_cases(make):
    check(make(tl), make(torch))


@pytest.mark.parametrize("make", [
    lambda lib: lib.zeros_like([1, 2]),
    lambda lib: lib.ones_like(np.ones(2)),
    lambda lib: lib.full_like(lib.ones(3, dtype=lib.uint8), 300),
    lambda lib: lib.full_like(lib.ones(3), "a"),
    lambda lib: lib.zeros_like(lib.ones(3, dtype=lib.int32), requires_grad=True),
    lambda lib: lib.empty_like(lib.ones(3, dtype=lib.bool), requires_grad=True),
], ids=lambda f: "")
def test_like_errors(make):
    assert_same_error(lambda: make(tl), lambda: make(torch), match_message=True)


def test_like_requires_grad_is_a_fresh_leaf():
    src = tl.ones(3, requires_grad=True)
    assert not tl.zeros_like(src).requires_grad  # not inherited, as in torch
    out = tl.ones_like(tl.ones(3), requires_grad=True)
    assert out.requires_grad and out.is_leaf


# ====================================================================== requires_grad and device everywhere
FACTORIES = {
    "tensor": lambda lib, **kw: lib.tensor([1.0, 2.0], **kw),
    "zeros": lambda lib, **kw: lib.zeros(2, **kw),
    "ones": lambda lib, **kw: lib.ones(2, **kw),
    "empty": lambda lib, **kw: lib.empty(2, **kw),
    "full": lambda lib, **kw: lib.full((2,), 1.0, **kw),
    "eye": lambda lib, **kw: lib.eye(2, **kw),
    "arange": lambda lib, **kw: lib.arange(3.0, **kw),
    "linspace": lambda lib, **kw: lib.linspace(0, 1, 3, **kw),
    "logspace": lambda lib, **kw: lib.logspace(0, 1, 3, **kw),
    "zeros_like": lambda lib, **kw: lib.zeros_like(lib.ones(2), **kw),
    "ones_like": lambda lib, **kw: lib.ones_like(lib.ones(2), **kw),
    "full_like": lambda lib, **kw: lib.full_like(lib.ones(2), 3, **kw),
    "empty_like": lambda lib, **kw: lib.empty_like(lib.ones(2), **kw),
}


@pytest.mark.parametrize("name", FACTORIES)
def test_requires_grad_and_device_arguments(name):
    make = FACTORIES[name]
    for device in ("cpu", tl.device("cpu"), None):
        t = make(tl, device=device, requires_grad=True)
        assert t.requires_grad and t.is_leaf and t.device == tl.device("cpu")
    for pair in INT_PAIRS + [(tl.bool, torch.bool)]:
        assert_same_error(lambda p=pair: make(tl, dtype=p[0], requires_grad=True),
                          lambda p=pair: make(torch, dtype=p[1], requires_grad=True), match_message=True)
    for pair in FLOAT_PAIRS:
        ours, theirs = make(tl, dtype=pair[0]), make(torch, dtype=pair[1])
        if name.startswith("empty"):
            assert ours.dtype is pair[0] and ours.shape == tuple(theirs.shape) and ours.stride() == theirs.stride()
        else:
            check(ours, theirs)
    with pytest.raises(RuntimeError):
        make(tl, device="cuda:0")
