"""Chapter 3 (indexing): ``t[...]``, ``t[...] = v``, ``where``, ``gather``, ``scatter`` and masks agree with torch.

Reading: basic indices (ints, slices, ``None``, ``...``) give views with torch's exact
strides and storage offset, sharing memory with the input; advanced indices (lists,
integer tensors, masks, bools) give copies, laid out in memory as torch lays them out.
Writing: the whole base tensor is compared after the write, in both libraries, also
when the write goes through a view. Errors have torch's type (and, where listed, its
message).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_lessons as tl
from parity import (
    DTYPE_PAIRS,
    TEST_DEVICE,
    assert_matches,
    assert_same_error,
    pair_from_numpy,
    shares_memory,
    tensor_pairs,
)
from tinygrad_lessons import indexing

INT64 = [(tl.int64, torch.int64)]
BOOL = [(tl.bool, torch.bool)]

small_shapes = st.lists(st.integers(1, 3), min_size=0, max_size=4).map(tuple)
nonempty_shapes = st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple)


# ---------------------------------------------------------------------- helpers
def outcome(fn):
    """``fn()``'s result, or the exception it raised."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn()
    except Exception as e:  # noqa: BLE001 - any error is compared with torch's
        return e


def assert_same_outcome(ours_fn, theirs_fn):
    """Both raise the same exception (type and message), or both give matching tensors."""
    theirs, ours = outcome(theirs_fn), outcome(ours_fn)
    if isinstance(theirs, Exception):
        assert isinstance(ours, Exception), f"did not raise; torch raised {type(theirs).__name__}: {theirs}"
        assert type(ours).__name__ == type(theirs).__name__ and str(ours) == str(theirs), (
            f"raised {type(ours).__name__}: {ours}\n torch raised {type(theirs).__name__}: {theirs}")
        return None
    assert not isinstance(ours, Exception), f"raised {type(ours).__name__}: {ours}; torch gave {theirs}"
    assert_exact(ours, theirs)
    return ours, theirs


def assert_exact(ours, theirs):
    """assert_matches, plus strides even for tensors with one element or none."""
    assert_matches(ours, theirs)
    assert ours.stride() == theirs.stride(), f"stride {ours.stride()} != torch {theirs.stride()}"


def both(index_fn):
    """An index built for each library: ``index_fn(lib)`` with ``lib`` being ``tl`` or ``torch``."""
    return index_fn(tl), index_fn(torch)


def parity_dtype(dtype):
    """torch's dtype for one of ours."""
    return dict(DTYPE_PAIRS)[dtype]


def arange_pair(*shape, dtype=(tl.float32, torch.float32)):
    return pair_from_numpy(np.arange(math.prod(shape)).reshape(shape), dtype)


# ---------------------------------------------------------------------- strategies
@st.composite
def basic_indices(draw, shape):
    """Ints, slices (positive steps, any bounds), ``None`` and at most one ``...``, within ``shape``."""
    ndim = len(shape)
    given_dims = draw(st.integers(0, ndim))
    use_ellipsis = draw(st.booleans())
    split = draw(st.integers(0, given_dims)) if use_ellipsis else given_dims
    dims = list(range(split)) + list(range(ndim - (given_dims - split), ndim))
    items = []
    for d in dims:
        size = shape[d]
        if size and draw(st.booleans()):
            items.append(draw(st.integers(-size, size - 1)))
        else:
            bound = st.none() | st.integers(-size - 2, size + 2)
            items.append(slice(draw(bound), draw(bound), draw(st.none() | st.integers(1, 3))))
    if use_ellipsis:
        items.insert(split, Ellipsis)
    for _ in range(draw(st.integers(0, 2))):
        items.insert(draw(st.integers(0, len(items))), None)
    if len(items) == 1 and draw(st.booleans()):
        return items[0]
    return tuple(items)


@st.composite
def int_pairs(draw, values):
    """``values`` as an int64 tensor in both libraries, contiguous or permuted."""
    if values.ndim < 2 or draw(st.booleans()):
        return pair_from_numpy(values, INT64[0])
    perm = draw(st.permutations(range(values.ndim)))
    ours, theirs = pair_from_numpy(np.ascontiguousarray(values.transpose(np.argsort(perm))), INT64[0])
    return ours.permute(*perm), theirs.permute(*perm)


def _unique_positions(draw, size, shape, unique):
    """Integer index values in ``[-size, size)`` (distinct elements, if ``unique``)."""
    n = math.prod(shape)
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if unique and size:
        values = rng.permutation(size)[:n]
        values = np.where(rng.integers(0, 2, n).astype(bool), values - size, values)
    else:
        values = rng.integers(-size, size, n) if size else np.zeros(n, np.int64)
    return values.reshape(shape)


@st.composite
def advanced_indices(draw, shape, unique=False):
    """``(ours, theirs)`` indices mixing basic items with lists, int64 tensors, masks and bools.

    With ``unique``, no element is addressed twice (each index array has distinct
    values), so that writes do not depend on which duplicate wins.
    """
    ndim = len(shape)
    index_shape = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=2)))
    ours, theirs = [], []
    d = 0
    n_given = draw(st.integers(0, ndim))
    has_advanced = False
    while d < n_given:
        size = shape[d]
        kind = draw(st.sampled_from(["int", "slice", "list", "tensor", "mask", "None", "bool"][0 if size else 1:]))
        if kind == "int":
            item = draw(st.integers(-size, size - 1))
            ours.append(item), theirs.append(item)
            d += 1
        elif kind == "slice":
            item = slice(draw(st.none() | st.integers(-size, size)), None, draw(st.none() | st.integers(1, 2)))
            ours.append(item), theirs.append(item)
            d += 1
        elif kind in ("list", "tensor"):
            n = len(index_shape) - draw(st.integers(0, len(index_shape) - 1))
            array_shape = tuple(1 if draw(st.booleans()) else s for s in index_shape[-n:])
            if unique and math.prod(array_shape) > size:
                array_shape = (1,) * (len(array_shape) - 1) + (1,)
            values = _unique_positions(draw, size, array_shape, unique)
            if kind == "list":
                ours.append(values.tolist()), theirs.append(values.tolist())
            elif unique:
                o, t = draw(int_pairs(values))
                ours.append(o), theirs.append(t)
            else:
                o, t = draw(tensor_pairs(shape=array_shape, dtype_pairs=INT64, low=-size, high=size))
                ours.append(o), theirs.append(t)
            d += 1
            has_advanced = True
        elif kind == "mask":
            width = 2 if d + 1 < n_given and draw(st.booleans()) else 1
            o, t = draw(tensor_pairs(shape=tuple(shape[d:d + width]), dtype_pairs=BOOL))
            ours.append(o), theirs.append(t)
            d += width
            has_advanced = True
        elif kind == "None":
            ours.append(None), theirs.append(None)
        else:
            item = draw(st.booleans())
            ours.append(item), theirs.append(item)
            has_advanced = True
    if not has_advanced:
        position = draw(st.integers(0, len(ours)))
        ours.insert(position, True), theirs.insert(position, True)
    return tuple(ours), tuple(theirs)


# ---------------------------------------------------------------------- t[basic]: views
@given(data=st.data())
def test_basic_indexing_gives_torchs_view(data):
    ours, theirs = data.draw(tensor_pairs())
    index = data.draw(basic_indices(tuple(theirs.shape)))
    o, t = ours[index], theirs[index]
    assert_exact(o, t)
    assert o.storage_offset() == t.storage_offset()
    assert shares_memory(o, ours) and shares_memory(t, theirs)


@given(data=st.data())
def test_writing_through_a_basic_view_changes_the_base(data):
    ours, theirs = data.draw(tensor_pairs())
    index = data.draw(basic_indices(tuple(theirs.shape)))
    o, t = ours[index], theirs[index]
    first = (0,) * o.ndim
    if o.numel():
        assert_same_outcome(lambda: o.__setitem__(first, 7) or o, lambda: t.__setitem__(first, 7) or t)
    assert_exact(ours, theirs)


BASIC_CASES = {
    "int": lambda L: 1,
    "negative int": lambda L: -1,
    "two ints": lambda L: (1, -2),
    "ints to 0-d": lambda L: (0, 0, 0),
    "slice": lambda L: slice(1, None),
    "slice with step": lambda L: (slice(None), slice(None, None, 2)),
    "slice past the end": lambda L: slice(5, None),
    "empty slice": lambda L: (slice(None), slice(2, 1)),
    "None first": lambda L: None,
    "None in the middle": lambda L: (slice(None), None),
    "None last": lambda L: (Ellipsis, None),
    "None before an int": lambda L: (None, 0),
    "None after an int": lambda L: (0, None),
    "two Nones": lambda L: (None, None, 0),
    "ellipsis": lambda L: Ellipsis,
    "ellipsis in the middle": lambda L: (0, ..., 1),
    "two ellipses": lambda L: (..., 0, ...),
    "two ellipses around None": lambda L: (..., None, ...),
    "empty tuple": lambda L: (),
    "0-d int tensor": lambda L: L.tensor(1),
    "numpy int": lambda L: np.int64(1),
    "slice with tensor bounds": lambda L: slice(L.tensor(1), L.tensor(3)),
}


@pytest.mark.parametrize("layout", ["contiguous", "permuted", "expanded"])
@pytest.mark.parametrize("case", list(BASIC_CASES))
def test_basic_index_cases(case, layout):
    ours, theirs = arange_pair(2, 3, 4)
    if layout == "permuted":
        ours, theirs = ours.permute(2, 0, 1), theirs.permute(2, 0, 1)
    elif layout == "expanded":
        ours, theirs = arange_pair(1, 3, 4)
        ours, theirs = ours.expand(2, 3, 4), theirs.expand(2, 3, 4)
    o_index, t_index = both(BASIC_CASES[case])
    o, t = ours[o_index], theirs[t_index]
    assert_exact(o, t)
    assert o.storage_offset() == t.storage_offset()
    assert shares_memory(o, ours)


def test_two_ints_on_a_matrix_give_a_0d_view():
    ours, theirs = arange_pair(2, 3)
    o, t = ours[1, 2], theirs[1, 2]
    assert o.ndim == 0 and shares_memory(o, ours)
    assert_exact(o, t)
    assert o.storage_offset() == t.storage_offset() == 5
    o[...] = 50
    t[...] = 50
    assert_exact(ours, theirs)


def test_none_uses_torchs_unsqueeze_stride_not_numpys_zero():
    ours, theirs = arange_pair(2, 3)
    assert ours[:, None].stride() == theirs[:, None].stride() == (3, 3, 1)
    assert ours[None].stride() == (6, 3, 1)
    assert ours[..., None].stride() == (3, 1, 1)


@pytest.mark.parametrize("index", [Ellipsis, None, (), (None, None)], ids=repr)
def test_basic_indexing_of_a_0d_tensor(index):
    ours, theirs = pair_from_numpy(np.array(5.0), (tl.float32, torch.float32))
    o, t = ours[index], theirs[index]
    assert_exact(o, t)
    assert shares_memory(o, ours)


@pytest.mark.parametrize("index", [slice(0, 0), (slice(None), 0), (slice(None), None), (Ellipsis, slice(1, 2))],
                         ids=repr)
def test_basic_indexing_of_an_empty_tensor(index):
    ours, theirs = pair_from_numpy(np.zeros((0, 3)), (tl.float32, torch.float32))
    o, t = ours[index], theirs[index]
    assert_exact(o, t)
    assert o.storage_offset() == t.storage_offset()


# ---------------------------------------------------------------------- t[advanced]: copies
@given(data=st.data())
def test_advanced_indexing_gives_torchs_copy(data):
    ours, theirs = data.draw(tensor_pairs())
    o_index, t_index = data.draw(advanced_indices(tuple(theirs.shape)))
    result = assert_same_outcome(lambda: ours[o_index], lambda: theirs[t_index])
    if result is not None:
        o, t = result
        if o.numel():
            assert not shares_memory(o, ours)


ADVANCED_CASES = {
    "list": lambda L: [1, 0],
    "list of lists": lambda L: ([[0], [1]],),
    "tensor": lambda L: L.tensor([1, 0, 1]),
    "2-d tensor": lambda L: L.tensor([[1, 0], [0, 0]]),
    "transposed tensor": lambda L: L.tensor([[1, 0, 1]]).t(),
    "int32 tensor": lambda L: L.tensor([1, 0]).int(),
    "negative": lambda L: (slice(None), [-1, -3]),
    "list then slice": lambda L: ([1, 0], slice(None)),
    "slice then list": lambda L: (slice(None), [2, 0]),
    "adjacent": lambda L: (slice(None), [0, 1], [1, 2]),
    "separated by a slice": lambda L: ([0, 1], slice(None), [1, 2]),
    "separated by None": lambda L: ([0, 1], None, [1, 2]),
    "separated by an int": lambda L: ([0, 1], 0, [1, 2]),
    "int then list": lambda L: (0, slice(None), [1, 3]),
    "broadcast": lambda L: ([[0], [1]], slice(None), [0, 1, 2]),
    "mask": lambda L: L.tensor(np.arange(24).reshape(2, 3, 4) > 10),
    "mask on dims 1, 2": lambda L: (slice(None), L.tensor(np.eye(3, 4, dtype=bool))),
    "1-d mask": lambda L: L.tensor([True, False]),
    "bool list": lambda L: [True, False],
    "True": lambda L: True,
    "False": lambda L: False,
    "True in a tuple": lambda L: (0, True),
    "True, slice, list": lambda L: (True, slice(None), [0, 1]),
    "0-d bool tensor": lambda L: L.tensor(True),
    "empty list": lambda L: [],
    "float list": lambda L: [0.0, 1.0],
    "numpy array": lambda L: np.array([1, 0]),
    "ellipsis and list": lambda L: (..., [0, 3]),
}


@pytest.mark.parametrize("layout", ["contiguous", "permuted"])
@pytest.mark.parametrize("case", list(ADVANCED_CASES))
def test_advanced_index_cases(case, layout):
    ours, theirs = arange_pair(2, 3, 4)
    if layout == "permuted":  # the values are the same, laid out column-major
        column_major = np.arange(24.0).reshape(2, 3, 4).transpose(2, 1, 0).copy()
        o2, t2 = pair_from_numpy(column_major, (tl.float32, torch.float32))
        ours, theirs = o2.permute(2, 1, 0), t2.permute(2, 1, 0)
    o_index, t_index = both(ADVANCED_CASES[case])
    o, t = ours[o_index], theirs[t_index]
    assert_exact(o, t)
    assert not shares_memory(o, ours)


def test_list_of_index_lists_is_read_as_a_tuple():
    ours, theirs = arange_pair(2, 3)
    with pytest.warns(UserWarning):
        o = ours[[0, [1, 2]]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = theirs[[0, [1, 2]]]
    assert_exact(o, t)


def test_uint8_tensor_index_is_a_deprecated_mask():
    ours, theirs = arange_pair(3)
    with pytest.warns(UserWarning):
        o = ours[tl.tensor([1, 0, 1]).to(tl.uint8)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = theirs[torch.tensor([1, 0, 1], dtype=torch.uint8)]
    assert_exact(o, t)


def test_advanced_indexing_of_empty_dims():
    ours, theirs = pair_from_numpy(np.zeros((0, 3)), (tl.float32, torch.float32))
    for index in [(slice(None), [0]), (slice(None), [5]), ([], [5])]:
        assert_exact(ours[index], theirs[index])


# ---------------------------------------------------------------------- t[index]: errors
GETITEM_ERRORS = {
    "int out of range": (lambda L: 5, (2, 3)),
    "negative int out of range": (lambda L: -3, (2, 3)),
    "int out of range in a tuple": (lambda L: (0, 5), (2, 3)),
    "position, not dimension, in the message": (lambda L: (None, 0, 5), (2, 3)),
    "after an ellipsis": (lambda L: (..., 9), (2, 3)),
    "too many indices": (lambda L: (0, 0, 0), (2, 3)),
    "negative step": (lambda L: slice(None, None, -1), (2, 3)),
    "zero step": (lambda L: slice(None, None, 0), (2, 3)),
    "int on a 0-d tensor": (lambda L: 0, ()),
    "slice on a 0-d tensor": (lambda L: slice(None), ()),
    "tuple on a 0-d tensor": (lambda L: (0,), ()),
    "float": (lambda L: 1.5, (2, 3)),
    "float in a tuple": (lambda L: (0, 1.5), (2, 3)),
    "string": (lambda L: "a", (2, 3)),
    "numpy bool": (lambda L: np.bool_(True), (2, 3)),
    "float tensor": (lambda L: L.tensor([0.0, 1.0]), (2, 3)),
    "int16 tensor": (lambda L: L.tensor([0, 1]).short(), (2, 3)),
    "list out of range": (lambda L: [0, 2], (2, 3)),
    "tensor out of range": (lambda L: (slice(None), L.tensor([5])), (2, 3)),
    "second index out of range": (lambda L: ([0], slice(None), [9]), (2, 3, 4)),
    "negative index out of range": (lambda L: ([0], slice(None), [-9]), (2, 3, 4)),
    "unbroadcastable indices": (lambda L: ([0, 1], [0, 1, 2]), (2, 3)),
    "mask of the wrong shape": (lambda L: L.tensor([True, False, True]), (2, 3)),
    "mask of the wrong shape after a slice": (lambda L: (slice(None), L.tensor([True, False])), (2, 3)),
    "mask with too many dims": (lambda L: L.tensor(np.ones((2, 3, 1), bool)), (2, 3)),
    "index into an empty dim": (lambda L: [0], (0, 3)),
}


@pytest.mark.parametrize("case", list(GETITEM_ERRORS))
def test_getitem_errors(case):
    index_fn, shape = GETITEM_ERRORS[case]
    ours, theirs = pair_from_numpy(np.zeros(shape), (tl.float32, torch.float32))
    o_index, t_index = both(index_fn)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same_error(lambda: ours[o_index], lambda: theirs[t_index], match_message=True)


# ---------------------------------------------------------------------- t[index] = value
@st.composite
def setitem_cases(draw):
    """A base pair, a target in it (the base or a view), an index and a value; the base is compared after."""
    base_o, base_t = draw(tensor_pairs(shape=draw(small_shapes), layouts=False))
    target_o, target_t = base_o, base_t
    if base_t.ndim and draw(st.booleans()):  # write through a view
        view_index = draw(basic_indices(tuple(base_t.shape)))
        target_o, target_t = base_o[view_index], base_t[view_index]
    shape = tuple(target_t.shape)
    if draw(st.booleans()):
        o_index = t_index = draw(basic_indices(shape))
        advanced = False
    else:
        o_index, t_index = draw(advanced_indices(shape, unique=True))
        advanced = True
    result = outcome(lambda: tuple(target_t[t_index].shape))
    result_shape = result if isinstance(result, tuple) else ()
    kind = draw(st.sampled_from(["number", "tensor", "tensor"]))
    target_dtype = base_o.dtype
    if kind == "number":
        if target_dtype is tl.uint8:
            value = draw(st.integers(0, 9))
        else:
            value = draw(st.sampled_from([3, -2, 1.5, -0.25, True, False]))
        return (base_o, base_t), (target_o, target_t), (o_index, t_index), (value, value)
    n = draw(st.integers(0, len(result_shape)))
    value_shape = tuple(1 if draw(st.booleans()) else s for s in result_shape[len(result_shape) - n:])
    if draw(st.integers(0, 4)) == 0:
        value_shape = (1,) + value_shape  # leading ones are dropped
    if draw(st.integers(0, 9)) == 0:
        value_shape = value_shape + (4,)  # does not broadcast
    pairs = [p for p in DTYPE_PAIRS if p[0] is target_dtype] if advanced or draw(st.booleans()) else DTYPE_PAIRS
    low = 0 if target_dtype is tl.uint8 else -10
    value = draw(tensor_pairs(shape=value_shape, dtype_pairs=pairs, low=low))
    return (base_o, base_t), (target_o, target_t), (o_index, t_index), value


@given(case=setitem_cases())
def test_setitem_matches_torch(case):
    (base_o, base_t), (target_o, target_t), (o_index, t_index), (value_o, value_t) = case
    assert_same_outcome(lambda: target_o.__setitem__(o_index, value_o) or base_o,
                        lambda: target_t.__setitem__(t_index, value_t) or base_t)
    assert_exact(base_o, base_t)


SETITEM_CASES = {
    "int, number": (lambda L: 1, lambda L: 9.0),
    "int, tensor": (lambda L: 1, lambda L: L.tensor([1.0, 2.0, 3.0])),
    "int, broadcast": (lambda L: 1, lambda L: L.tensor([[7.0]])),
    "int, leading ones": (lambda L: 0, lambda L: L.tensor([[[1.0, 2.0, 3.0]]])),
    "slice, broadcast": (lambda L: (slice(None), slice(1, None)), lambda L: L.tensor([5.0, 6.0])),
    "column": (lambda L: (slice(None), 0), lambda L: L.tensor([8.0, 9.0])),
    "ellipsis": (lambda L: Ellipsis, lambda L: 2),
    "None": (lambda L: None, lambda L: L.tensor([1.0, 2.0, 3.0])),
    "True": (lambda L: True, lambda L: L.tensor([1, 2, 3])),
    "False": (lambda L: False, lambda L: L.ones(5)),
    "int tensor into float (cast)": (lambda L: 0, lambda L: L.tensor([1, 2, 3])),
    "0-d tensor": (lambda L: (0, 1), lambda L: L.tensor(4.0)),
    "list": (lambda L: [1, 0], lambda L: L.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])),
    "list, broadcast": (lambda L: ([0, 1], [2, 0]), lambda L: 5.0),
    "mask, number": (lambda L: L.tensor([[True, False, True], [False, True, False]]), lambda L: -1),
    "mask, values": (lambda L: L.tensor([[True, False, True], [False, True, False]]),
                     lambda L: L.tensor([1.0, 2.0, 3.0])),
    "mask, 0-d tensor of another dtype": (lambda L: L.tensor([True, False]), lambda L: L.tensor(7)),
    "mask, 1-element tensor": (lambda L: (slice(None), L.tensor([True, False, True])), lambda L: L.tensor([3.5])),
    "row mask": (lambda L: L.tensor([False, True]), lambda L: L.tensor([1.0, 2.0, 3.0])),
    "numpy int value": (lambda L: 0, lambda L: np.int64(3)),
}


@pytest.mark.parametrize("case", list(SETITEM_CASES))
def test_setitem_cases(case):
    index_fn, value_fn = SETITEM_CASES[case]
    ours, theirs = arange_pair(2, 3)
    o_index, t_index = both(index_fn)
    o_value, t_value = both(value_fn)
    ours[o_index] = o_value
    theirs[t_index] = t_value
    assert_exact(ours, theirs)


def test_setitem_through_views_changes_the_base():
    ours, theirs = arange_pair(3, 4)
    for view in (lambda t: t[1], lambda t: t[:, 1:3], lambda t: t.t()[::2], lambda t: t[None, 2]):
        o, t = view(ours), view(theirs)
        o[...] = -1
        t[...] = -1
        o[0] = 5
        t[0] = 5
    assert_exact(ours, theirs)


@pytest.mark.parametrize("dtype, value", [(tl.int32, 2.7), (tl.uint8, -1), (tl.uint8, -255), (tl.bool, 2.5),
                                          (tl.int64, True), (tl.float16, 1e10), (tl.bfloat16, 1e300),
                                          (tl.float32, float("inf")), (tl.int8, -128)])
def test_setitem_converts_numbers_like_torch(dtype, value):
    if dtype is tl.bfloat16 and TEST_DEVICE != "cpu":
        pytest.skip("no bfloat16 on the GPU (CuPy has none)")
    ours, theirs = pair_from_numpy(np.zeros(3), (dtype, parity_dtype(dtype)))
    ours[0] = value
    theirs[0] = value
    ours[[2]] = value
    theirs[[2]] = value
    assert_exact(ours, theirs)


SETITEM_ERRORS = {
    "out of range": (lambda L: 5, lambda L: 1.0, tl.float32),
    "value too long": (lambda L: 0, lambda L: L.ones(2), tl.float32),
    "value has more dims": (lambda L: 0, lambda L: L.ones(2, 3), tl.float32),
    "advanced value does not broadcast": (lambda L: [0, 1], lambda L: L.ones(3, 3), tl.float32),
    "advanced value of another dtype": (lambda L: [0, 1], lambda L: L.ones(3, dtype=L.int64), tl.float32),
    "mask, empty selection, values": (lambda L: L.zeros(2, 3, dtype=L.bool), lambda L: L.ones(2), tl.float32),
    "number overflows uint8": (lambda L: 0, lambda L: 300, tl.uint8),
    "number overflows int8": (lambda L: 0, lambda L: -200, tl.int8),
    "float overflows int32": (lambda L: 0, lambda L: 1e10, tl.int32),
    "nan into int64": (lambda L: 0, lambda L: float("nan"), tl.int64),
    "too big for float32": (lambda L: 0, lambda L: 1e300, tl.float32),
    "mask, 0-d tensor overflows": (lambda L: L.ones(2, 3, dtype=L.bool), lambda L: L.tensor(300), tl.uint8),
    "string": (lambda L: 0, lambda L: "a", tl.float32),
    "list": (lambda L: 0, lambda L: [1, 2, 3], tl.float32),
    "numpy float32": (lambda L: 0, lambda L: np.float32(1), tl.float32),
    "None": (lambda L: 0, lambda L: None, tl.float32),
    "False still checks the value": (lambda L: False, lambda L: "a", tl.float32),
}


@pytest.mark.parametrize("case", list(SETITEM_ERRORS))
def test_setitem_errors(case):
    index_fn, value_fn, dtype = SETITEM_ERRORS[case]
    ours, theirs = pair_from_numpy(np.zeros((2, 3)), (dtype, parity_dtype(dtype)))
    o_index, t_index = both(index_fn)
    o_value, t_value = both(value_fn)
    assert_same_error(lambda: ours.__setitem__(o_index, o_value), lambda: theirs.__setitem__(t_index, t_value),
                      match_message=True)


def test_setitem_memory_overlap_errors():
    ours, theirs = arange_pair(5)
    for index, value in [(slice(1, None), lambda t: t[:-1]), ([1, 2, 3, 4], lambda t: t[:-1]),
                         ([0, 1, 2, 3, 4], lambda t: t), ([0, 1], lambda t: t[2])]:
        assert_same_error(lambda: ours.__setitem__(index, value(ours)),  # noqa: B023 - called right away
                          lambda: theirs.__setitem__(index, value(theirs)), match_message=True)  # noqa: B023
    ours[:] = ours  # the very same memory: allowed
    ours[:] = ours[0]  # a 0-d value is read first: allowed
    theirs[:] = theirs[0]
    assert_exact(ours, theirs)


def test_setitem_into_expanded_memory():
    ours, theirs = arange_pair(1, 3)
    ours, theirs = ours.expand(2, 3), theirs.expand(2, 3)
    assert_same_error(lambda: ours.__setitem__((slice(None), 0), 1.0),
                      lambda: theirs.__setitem__((slice(None), 0), 1.0), match_message=True)
    ours[0] = 9.0
    theirs[0] = 9.0
    # both writes land on one element: the last one wins on the CPU; on a GPU which one wins is undefined (in torch
    # too), so there the two values are the same
    values = [4.0, 5.0] if TEST_DEVICE == "cpu" else [5.0, 5.0]
    with pytest.warns(UserWarning):
        ours[[0, 1], 1] = tl.tensor(values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs[[0, 1], 1] = torch.tensor(values)
    assert_exact(ours, theirs)


# ---------------------------------------------------------------------- where
@st.composite
def broadcastable_shape(draw, shape):
    n = draw(st.integers(0, len(shape)))
    return tuple(1 if draw(st.integers(0, 3)) == 0 else s for s in shape[len(shape) - n:])


@given(data=st.data())
def test_where_matches_torch(data):
    shape = data.draw(small_shapes)
    cond = data.draw(tensor_pairs(shape=data.draw(broadcastable_shape(shape)), dtype_pairs=BOOL))
    branches = []
    for _ in range(2):
        if data.draw(st.integers(0, 3)) == 0:
            number = data.draw(st.sampled_from([2, -1, 0.5, True]))
            branches.append((number, number))
        else:
            branches.append(data.draw(tensor_pairs(shape=data.draw(broadcastable_shape(shape)))))
    (x_o, x_t), (y_o, y_t) = branches
    assert_same_outcome(lambda: tl.where(cond[0], x_o, y_o), lambda: torch.where(cond[1], x_t, y_t))
    if isinstance(x_o, tl.Tensor):
        assert_same_outcome(lambda: x_o.where(cond[0], y_o), lambda: x_t.where(cond[1], y_t))


@given(pair=tensor_pairs())
def test_where_with_only_a_condition_is_nonzero(pair):
    ours, theirs = pair
    o, t = tl.where(ours), torch.where(theirs)
    assert len(o) == len(t)
    for a, b in zip(o, t):
        assert_exact(a, b)


def test_where_promotes_like_torch():
    m_o, m_t = pair_from_numpy(np.array([True, False]), BOOL[0])
    for x, y in [(1, 0), (1.0, 0), (True, False), (tl.float16, 2.5), (tl.int32, 2.5), (tl.bfloat16, tl.float16),
                 (tl.uint8, -1), (tl.int32, "f64 0-d")]:
        if x is tl.bfloat16 and TEST_DEVICE != "cpu":
            continue  # no bfloat16 on the GPU (CuPy has none)
        def make(v, L):
            if v == "f64 0-d":
                return L.tensor(2.5, dtype=L.float64)
            if isinstance(v, tl.dtype):
                return L.tensor([3, 4]).to(v if L is tl else parity_dtype(v))
            return v
        assert_exact(tl.where(m_o, make(x, tl), make(y, tl)), torch.where(m_t, make(x, torch), make(y, torch)))


def test_where_keeps_the_memory_order_of_its_inputs():
    y_o, y_t = pair_from_numpy(np.arange(6.0).reshape(3, 2), (tl.float32, torch.float32))
    y_o, y_t = y_o.t(), y_t.t()  # column-major
    true_o, true_t = tl.tensor(True), torch.tensor(True)
    for dtype in [(tl.int32, torch.int32), (tl.float32, torch.float32)]:  # int32 is cast first: dense, row-major
        x_o, x_t = pair_from_numpy(np.array([[1, 2, 3]]), dtype)
        x_o, x_t = x_o.expand(2, 3), x_t.expand(2, 3)
        assert_exact(tl.where(true_o, x_o, y_o), torch.where(true_t, x_t, y_t))
    assert_exact(tl.where(true_o, y_o, 0.0), torch.where(true_t, y_t, 0.0))


WHERE_ERRORS = {
    "float condition": lambda L: L.where(L.tensor([1.0, 0.0]), L.ones(2), L.zeros(2)),
    "shapes": lambda L: L.where(L.tensor([True, False]), L.ones(3), L.zeros(2)),
    "number too big": lambda L: L.where(L.tensor([True, False]), L.ones(2, dtype=L.int32), 2**40),
    "number too big for uint8": lambda L: L.where(L.tensor([True, False]), L.ones(2, dtype=L.uint8), 256),
}


@pytest.mark.parametrize("case", list(WHERE_ERRORS))
def test_where_errors(case):
    assert_same_error(lambda: WHERE_ERRORS[case](tl), lambda: WHERE_ERRORS[case](torch), match_message=True)


def test_where_needs_a_tensor_condition():
    assert_same_error(lambda: tl.where(True, tl.ones(2), 0.0), lambda: torch.where(True, torch.ones(2), 0.0))


# ---------------------------------------------------------------------- gather
@given(data=st.data())
def test_gather_matches_torch(data):
    ours, theirs = data.draw(tensor_pairs(shape=data.draw(nonempty_shapes)))
    shape = tuple(theirs.shape)
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    index_shape = tuple(data.draw(st.integers(0, 3)) if d == dim % len(shape) else data.draw(st.integers(0, n))
                        for d, n in enumerate(shape))
    index = data.draw(tensor_pairs(shape=index_shape, dtype_pairs=INT64, low=0, high=shape[dim]))
    assert_same_outcome(lambda: tl.gather(ours, dim, index[0]), lambda: torch.gather(theirs, dim, index[1]))
    assert_same_outcome(lambda: ours.gather(dim, index[0]), lambda: theirs.gather(dim, index[1]))


GATHER_CASES = {
    "0-d input, 1-d index": (lambda L: L.tensor(5.0), 0, lambda L: L.tensor([0, 0])),
    "0-d input and index": (lambda L: L.tensor(5.0), 0, lambda L: L.tensor(0)),
    "1-d input, 0-d index": (lambda L: L.tensor([5.0, 6.0]), 0, lambda L: L.tensor(1)),
    "int32 index": (lambda L: L.arange(6.0).reshape(2, 3), 1, lambda L: L.tensor([[2, 0]]).int()),
    "empty index, too big": (lambda L: L.arange(6.0).reshape(2, 3), 1, lambda L: L.zeros(0, 5, dtype=L.int64)),
    "index bigger along dim": (lambda L: L.arange(6.0).reshape(2, 3), 0, lambda L: L.zeros(5, 3, dtype=L.int64)),
}


@pytest.mark.parametrize("case", list(GATHER_CASES))
def test_gather_cases(case):
    x_fn, dim, index_fn = GATHER_CASES[case]
    x_o, x_t = x_fn(tl), x_fn(torch)
    i_o, i_t = index_fn(tl), index_fn(torch)
    assert_exact(tl.gather(x_o, dim, i_o), torch.gather(x_t, dim, i_t))


GATHER_ERRORS = {
    "int16 index": (1, lambda L: L.zeros(2, 3, dtype=L.int16)),
    "float index": (1, lambda L: L.zeros(2, 3)),
    "fewer dims": (0, lambda L: L.zeros(3, dtype=L.int64)),
    "index too big": (0, lambda L: L.zeros(2, 5, dtype=L.int64)),
    "value out of range": (1, lambda L: L.tensor([[3], [0]])),
    "negative value": (1, lambda L: L.tensor([[-1], [0]])),
    "bad dim": (2, lambda L: L.zeros(2, 3, dtype=L.int64)),
}


@pytest.mark.parametrize("case", list(GATHER_ERRORS))
def test_gather_errors(case):
    dim, index_fn = GATHER_ERRORS[case]
    assert_same_error(lambda: tl.gather(tl.zeros(2, 3), dim, index_fn(tl)),
                      lambda: torch.gather(torch.zeros(2, 3), dim, index_fn(torch)), match_message=True)


# ---------------------------------------------------------------------- scatter
@st.composite
def scatter_cases(draw, unique=True):
    """``(self, dim, index, src)`` pairs; ``index`` names each position along ``dim`` at most once if ``unique``."""
    shape = draw(nonempty_shapes)
    self_pair = draw(tensor_pairs(shape=shape))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    d = dim % len(shape)
    index_shape = [draw(st.integers(0, n)) for n in shape]
    if not unique:
        index_shape[d] = draw(st.integers(0, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if unique:  # a different permutation of range(shape[d]) per line along dim, cut to index_shape[d]
        keys = rng.random(tuple(index_shape[:d]) + (shape[d],) + tuple(index_shape[d + 1:]))
        values = np.argsort(keys, axis=d).take(range(index_shape[d]), axis=d)
    else:
        values = rng.integers(0, shape[d], index_shape)
    index = draw(int_pairs(values.astype(np.int64)))
    src_shape = tuple(n + draw(st.integers(0, 1)) for n in index_shape)
    src = draw(tensor_pairs(shape=src_shape, dtype_pairs=[(self_pair[0].dtype, self_pair[1].dtype)]))
    return self_pair, dim, index, src


@given(case=scatter_cases(), use_value=st.booleans(), reduce=st.sampled_from([None, None, "add", "multiply"]))
def test_scatter_matches_torch(case, use_value, reduce):
    (x_o, x_t), dim, (i_o, i_t), (s_o, s_t) = case
    if use_value:
        s_o = s_t = 3 if x_o.dtype is not tl.bool else True
    kwargs = {} if reduce is None else {"reduce": reduce}
    assert_same_outcome(lambda: tl.scatter(x_o, dim, i_o, s_o, **kwargs),
                        lambda: torch.scatter(x_t, dim, i_t, s_t, **kwargs))
    assert_same_outcome(lambda: x_o.clone().scatter_(dim, i_o, s_o, **kwargs),
                        lambda: x_t.clone().scatter_(dim, i_t, s_t, **kwargs))
    # in place, into the layout itself (an expanded one refuses the write)
    assert_same_outcome(lambda: x_o.scatter_(dim, i_o, s_o, **kwargs), lambda: x_t.scatter_(dim, i_t, s_t, **kwargs))
    assert_exact(x_o, x_t)


@given(case=scatter_cases(unique=False))
def test_scatter_add_accumulates_like_torch(case):
    (x_o, x_t), dim, (i_o, i_t), (s_o, s_t) = case
    assert_same_outcome(lambda: tl.scatter_add(x_o, dim, i_o, s_o), lambda: torch.scatter_add(x_t, dim, i_t, s_t))
    assert_same_outcome(lambda: x_o.scatter_add(dim, i_o, s_o), lambda: x_t.scatter_add(dim, i_t, s_t))
    assert_same_outcome(lambda: x_o.clone().scatter_add_(dim, i_o, s_o),
                        lambda: x_t.clone().scatter_add_(dim, i_t, s_t))


SCATTER_ERRORS = {
    "int16 index": lambda L: L.scatter(L.zeros(2, 3), 0, L.zeros(2, 3, dtype=L.int16), 1.0),
    "src of another dtype": lambda L: L.scatter(L.zeros(2, 3), 1, L.tensor([[2], [0]]), L.ones(2, 1, dtype=L.int64)),
    "index with fewer dims": lambda L: L.scatter(L.zeros(2, 3), 1, L.tensor([2, 0]), 7.0),
    "src with fewer dims": lambda L: L.scatter(L.zeros(2, 3), 1, L.tensor([[2], [0]]), L.ones(3)),
    "0-d src": lambda L: L.scatter(L.zeros(2, 3), 1, L.tensor([[2], [0]]), L.tensor(7.0)),
    "index bigger than self": lambda L: L.scatter(L.zeros(2, 3), 1, L.zeros(3, 1, dtype=L.int64), L.ones(3, 1)),
    "index bigger than src": lambda L: L.scatter(L.zeros(2, 3), 1, L.zeros(2, 2, dtype=L.int64), L.ones(2, 1)),
    "index bigger than self, value": lambda L: L.scatter(L.zeros(2, 3), 1, L.zeros(3, 1, dtype=L.int64), 1.0),
    "value out of range": lambda L: L.scatter(L.zeros(2, 3), 1, L.tensor([[3], [0]]), 1.0),
    "negative value": lambda L: L.scatter(L.zeros(2, 3), 1, L.tensor([[-1], [0]]), 1.0),
    "bad reduce": lambda L: L.scatter(L.zeros(2, 3), 1, L.tensor([[1], [0]]), 2.0, reduce="sum"),
    "number overflows": lambda L: L.scatter(L.zeros(2, 3, dtype=L.uint8), 1, L.tensor([[1], [0]]), 300),
    "number overflows half": lambda L: L.scatter(L.zeros(2, 3, dtype=L.float16), 1, L.tensor([[1], [0]]), 1e300),
    "scatter_add dtype": lambda L: L.scatter_add(L.zeros(2, 3), 1, L.tensor([[1], [0]]), L.ones(2, 1, dtype=L.float64)),
    "in place into expanded": lambda L: L.zeros(3).expand(2, 3).scatter_(1, L.zeros(2, 1, dtype=L.int64), 1.0),
    "dim out of range": lambda L: L.scatter(L.zeros(2, 3), 2, L.tensor([[1], [0]]), 1.0),
}


@pytest.mark.parametrize("case", list(SCATTER_ERRORS))
def test_scatter_errors(case):
    assert_same_error(lambda: SCATTER_ERRORS[case](tl), lambda: SCATTER_ERRORS[case](torch), match_message=True)


def test_scatter_edge_cases():
    cases = [
        lambda L: L.scatter(L.tensor(1.0), 0, L.tensor([0]), L.tensor([5.0])),
        lambda L: L.scatter(L.tensor([1.0, 2.0]), 0, L.tensor(1), L.tensor(5.0)),
        lambda L: L.scatter(L.tensor([1.0, 2.0]), 0, L.zeros(0, 3, dtype=L.int64), L.tensor([5.0])),
        lambda L: L.scatter(L.arange(6.0).reshape(2, 3), 1, L.tensor([[2], [0]]), value=3),
        lambda L: L.scatter(L.arange(6).reshape(2, 3), 1, L.tensor([[2], [0]]), 7.5),
        lambda L: L.scatter(L.ones(3), 0, L.tensor([0, 0]), 3.0, reduce="multiply"),
        lambda L: L.scatter_add(L.zeros(3, dtype=L.bool), 0, L.tensor([0, 0]), L.tensor([True, True])),
        lambda L: L.scatter_add(L.ones(3, dtype=L.uint8), 0, L.tensor([0, 0]), L.tensor([200, 200], dtype=L.uint8)),
    ]
    for case in cases:
        assert_exact(case(tl), case(torch))


# ---------------------------------------------------------------------- masked_fill / masked_select
@given(data=st.data())
def test_masked_fill_matches_torch(data):
    shape = data.draw(small_shapes)
    x_o, x_t = data.draw(tensor_pairs(shape=data.draw(broadcastable_shape(shape))))
    m_o, m_t = data.draw(tensor_pairs(shape=data.draw(broadcastable_shape(shape)), dtype_pairs=BOOL))
    if data.draw(st.booleans()):
        v_o = v_t = data.draw(st.sampled_from([0, 1, 2.5, -0.5, True]) if x_o.dtype is not tl.uint8
                              else st.integers(0, 255))
    else:
        v_o, v_t = data.draw(tensor_pairs(shape=(), low=0))
    assert_same_outcome(lambda: tl.masked_fill(x_o, m_o, v_o), lambda: torch.masked_fill(x_t, m_t, v_t))
    assert_same_outcome(lambda: x_o.masked_fill_(m_o, v_o), lambda: x_t.masked_fill_(m_t, v_t))
    assert_exact(x_o, x_t)


@given(data=st.data())
def test_masked_select_matches_torch(data):
    shape = data.draw(small_shapes)
    x_o, x_t = data.draw(tensor_pairs(shape=data.draw(broadcastable_shape(shape))))
    m_o, m_t = data.draw(tensor_pairs(shape=data.draw(broadcastable_shape(shape)), dtype_pairs=BOOL))
    assert_same_outcome(lambda: tl.masked_select(x_o, m_o), lambda: torch.masked_select(x_t, m_t))
    assert_same_outcome(lambda: x_o.masked_select(m_o), lambda: x_t.masked_select(m_t))


MASK_ERRORS = {
    "masked_fill float mask": lambda L: L.zeros(2, 3).masked_fill(L.ones(2, 3), 1.0),
    "masked_fill int64 mask": lambda L: L.zeros(2, 3).masked_fill(L.ones(2, 3, dtype=L.int64), 1.0),
    "masked_fill uint8 mask": lambda L: L.zeros(2, 3).masked_fill(L.ones(2, 3, dtype=L.uint8), 1.0),
    "masked_fill 1-d value": lambda L: L.zeros(2, 3).masked_fill(L.ones(2, 3, dtype=L.bool), L.ones(1)),
    "masked_fill shapes": lambda L: L.zeros(2, 3).masked_fill(L.ones(3, 2, dtype=L.bool), 1.0),
    "masked_fill_ broadcast up": lambda L: L.zeros(3).masked_fill_(L.ones(2, 3, dtype=L.bool), 1.0),
    "masked_fill_ shapes": lambda L: L.zeros(2, 3).masked_fill_(L.ones(3, 2, dtype=L.bool), 1.0),
    "masked_fill overflow": lambda L: L.zeros(2, dtype=L.uint8).masked_fill(L.ones(2, dtype=L.bool), 300),
    "masked_fill half overflow": lambda L: L.zeros(2, dtype=L.float16).masked_fill(L.ones(2, dtype=L.bool), 1e300),
    "masked_fill nan into int": lambda L: L.zeros(2, dtype=L.int64).masked_fill(L.ones(2, dtype=L.bool), math.nan),
    "masked_select float mask": lambda L: L.zeros(2, 3).masked_select(L.ones(2, 3)),
    "masked_select shapes": lambda L: L.zeros(2, 3).masked_select(L.ones(3, 2, dtype=L.bool)),
}


@pytest.mark.parametrize("case", list(MASK_ERRORS))
def test_mask_errors(case):
    assert_same_error(lambda: MASK_ERRORS[case](tl), lambda: MASK_ERRORS[case](torch), match_message=True)


def test_masked_fill_broadcasts_out_of_place():
    x_o, x_t = arange_pair(3)
    m = np.array([[True, False, True], [False, False, True]])
    assert_exact(x_o.masked_fill(tl.tensor(m), 1.0), x_t.masked_fill(torch.tensor(m), 1.0))
    assert_exact(x_o.masked_fill(tl.tensor(m), tl.tensor(2)), x_t.masked_fill(torch.tensor(m), torch.tensor(2)))


# ---------------------------------------------------------------------- nonzero, index_select, take
@given(pair=tensor_pairs(), as_tuple=st.booleans())
def test_nonzero_matches_torch(pair, as_tuple):
    ours, theirs = pair
    o, t = tl.nonzero(ours, as_tuple=as_tuple), torch.nonzero(theirs, as_tuple=as_tuple)
    if as_tuple:
        assert len(o) == len(t)
        for a, b in zip(o, t):
            assert_exact(a, b)
    else:
        assert_exact(o, t)
        assert_exact(ours.nonzero(), theirs.nonzero())


def test_nonzero_edge_cases():
    for values in [np.array(5.0), np.array(0.0), np.zeros((0, 3)), np.array([np.nan, 0.0, -0.0])]:
        ours, theirs = pair_from_numpy(values, (tl.float32, torch.float32))
        assert_exact(tl.nonzero(ours), torch.nonzero(theirs))
        for a, b in zip(tl.nonzero(ours, as_tuple=True), torch.nonzero(theirs, as_tuple=True)):
            assert_exact(a, b)


@given(data=st.data())
def test_index_select_matches_torch(data):
    ours, theirs = data.draw(tensor_pairs(shape=data.draw(nonempty_shapes)))
    dim = data.draw(st.integers(-theirs.ndim, theirs.ndim - 1))
    index_shape = data.draw(st.sampled_from([(), (0,), (1,), (3,), (5,)]))
    index = data.draw(tensor_pairs(shape=index_shape, dtype_pairs=[(tl.int64, torch.int64), (tl.int32, torch.int32)],
                                   low=0, high=theirs.shape[dim]))
    assert_same_outcome(lambda: tl.index_select(ours, dim, index[0]), lambda: torch.index_select(theirs, dim, index[1]))
    assert_same_outcome(lambda: ours.index_select(dim, index[0]), lambda: theirs.index_select(dim, index[1]))


@given(data=st.data())
def test_take_matches_torch(data):
    ours, theirs = data.draw(tensor_pairs(shape=data.draw(small_shapes)))
    n = theirs.numel()
    index = data.draw(tensor_pairs(shape=data.draw(small_shapes), dtype_pairs=INT64, low=-n, high=n))
    assert_same_outcome(lambda: tl.take(ours, index[0]), lambda: torch.take(theirs, index[1]))
    assert_same_outcome(lambda: ours.take(index[0]), lambda: theirs.take(index[1]))


SELECT_ERRORS = {
    "index_select 2-d index": lambda L: L.zeros(2, 3).index_select(1, L.tensor([[0]])),
    "index_select int16": lambda L: L.zeros(2, 3).index_select(1, L.tensor([0]).short()),
    "index_select out of range": lambda L: L.zeros(2, 3).index_select(1, L.tensor([3])),
    "index_select negative": lambda L: L.zeros(2, 3).index_select(1, L.tensor([-1])),
    "index_select bad dim": lambda L: L.zeros(2, 3).index_select(2, L.tensor([0])),
    "index_select empty dim": lambda L: L.zeros(0, 3).index_select(0, L.tensor([0])),
    "index_select 0-d, 2 values": lambda L: L.tensor(5.0).index_select(0, L.tensor([0, 0])),
    "take int32": lambda L: L.zeros(2, 3).take(L.tensor([1]).int()),
    "take out of range": lambda L: L.zeros(2, 3).take(L.tensor([6])),
    "take negative out of range": lambda L: L.zeros(2, 3).take(L.tensor([-7])),
    "take from empty": lambda L: L.zeros(0).take(L.tensor([0])),
}


@pytest.mark.parametrize("call", [
    lambda L: L.index_select(L.zeros(2, 3), 1, [0]), lambda L: L.gather(L.zeros(2, 3), 1, [[0]]),
    lambda L: L.zeros(2, 3).take([0]), lambda L: L.zeros(2, 3).masked_select([True]),
    lambda L: L.zeros(2, 3).masked_fill([True], 1.0), lambda L: L.scatter(L.zeros(2, 3), 1, [[0]], 1.0),
    lambda L: L.scatter_add(L.zeros(2, 3), 1, L.zeros(2, 1, dtype=L.int64), 1.0), lambda L: L.where([True], 1, 0),
])
def test_index_arguments_must_be_tensors(call):
    assert_same_error(lambda: call(tl), lambda: call(torch))


@pytest.mark.parametrize("case", list(SELECT_ERRORS))
def test_select_errors(case):
    assert_same_error(lambda: SELECT_ERRORS[case](tl), lambda: SELECT_ERRORS[case](torch), match_message=True)


# ---------------------------------------------------------------------- how it is built
def test_views_and_copies_are_functions():
    assert issubclass(indexing.BasicIndex, tl.Function) and indexing.BasicIndex.returns_view
    for name in ["AdvancedIndex", "Where", "Gather", "Scatter", "MaskedFill", "MaskedSelect", "IndexSelect", "Take"]:
        cls = getattr(indexing, name)
        assert issubclass(cls, tl.Function) and not cls.returns_view, name


def test_module_level_functions():
    for name in ["where", "gather", "scatter", "scatter_add", "masked_fill", "masked_select", "nonzero",
                 "index_select", "take"]:
        assert getattr(tl, name) is getattr(indexing, name)
        assert name in indexing.__all__


# ---------------------------------------------------------------------- devices (the simulated GPU in CI)
@pytest.fixture
def cuda():
    """A CUDA device for one test: the real GPU if there is one, else the simulated one, switched on."""
    was = tl.backend.simulating()
    if not tl.backend.real_gpu_available():
        tl.backend.simulate_cuda(True)
    yield tl.device("cuda", 0)
    tl.backend.simulate_cuda(was)


def _gpu_and_cpu(shape=(3, 4)):
    host = tl.arange(float(math.prod(shape)), device="cpu").reshape(shape)
    return host.cuda(), host


def test_a_gpu_tensor_takes_indices_from_the_cpu(cuda):
    """As in torch: CPU index tensors, masks, lists and NumPy arrays are copied to the indexed tensor's GPU."""
    gpu, host = _gpu_and_cpu()
    index, mask = tl.tensor([0, 2, 2], device="cpu"), tl.tensor([True, False, True], device="cpu")
    for item in [index, mask, (index, tl.tensor([1, 3, 0], device="cpu")), [0, 2], np.array([2, 0]), (Ellipsis, index),
                 host > 4, (mask, slice(1, None)), (None, index, 1)]:
        out = gpu[item]
        assert out.device == cuda and type(out._data) is not np.ndarray, item
        assert out.tolist() == host[item].tolist(), item
    with pytest.raises(RuntimeError, match=r"indices should be either on cpu or on the same device as the indexed "
                                           r"tensor \(cpu\)"):
        host[index.cuda()]


def test_writing_into_a_gpu_tensor_from_the_cpu(cuda):
    gpu, host = _gpu_and_cpu()
    index, mask = tl.tensor([0, 2], device="cpu"), tl.tensor([True, False, True], device="cpu")
    for target in (gpu, host):  # the same writes, the same result
        target[1] = tl.tensor([1.0, 2.0, 3.0, 4.0], device="cpu")  # a view: copy_ crosses devices
        target[index] = tl.tensor(7.0, device="cpu")  # a 0-d value is copied over
        target[mask.to(target.device), 0] = tl.tensor([5.0], device="cpu")  # one CPU number through one mask
    assert gpu.device == cuda and gpu.tolist() == host.tolist()
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        gpu[index] = tl.ones(2, 4, device="cpu")


@pytest.mark.parametrize("call", [
    lambda x, i: x.gather(1, i.reshape(2, 1)), lambda x, i: x.index_select(0, i), lambda x, i: x.take(i),
    lambda x, i: x.masked_fill(i.reshape(2, 1) > 0, 1.0), lambda x, i: x.clone().masked_fill_(i.reshape(2, 1) > 0, 1.0),
    lambda x, i: x.clone().scatter_(1, i.reshape(2, 1), 1.0), lambda x, i: x.scatter(1, i.reshape(2, 1), 1.0),
    lambda x, i: x.clone().scatter_add_(1, i.reshape(2, 1), x[:, :1].clone()),
    lambda x, i: tl.where(i.reshape(2, 1) > 0, x, 0.0),
])
def test_other_index_functions_want_one_device(cuda, call):
    gpu = tl.zeros(2, 3, device="cuda")
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        call(gpu, tl.tensor([0, 1], device="cpu"))
    assert call(gpu, tl.tensor([0, 1], device="cuda")).device == cuda


def test_scatter_combines_repeated_positions_alike_on_both_devices(cuda):
    """CuPy's ufunc.at only adds floats: integer/bool adds and every multiply take another way (``_combine_at``)."""
    index = tl.tensor([[0, 0, 2, 0], [1, 1, 1, 1]], device="cpu")
    for dtype in (tl.int64, tl.int32, tl.uint8, tl.int8, tl.bool, tl.float16, tl.float32):
        host = tl.full((2, 3), 3, dtype=dtype, device="cpu")
        src = (tl.arange(8, device="cpu").reshape(2, 4) * 37).to(dtype)
        expected = torch.full((2, 3), 3, dtype=parity_dtype(dtype)).scatter_add(
            1, torch.tensor(index.tolist()), (torch.arange(8).reshape(2, 4) * 37).to(parity_dtype(dtype)))
        for x in (host, host.cuda()):
            out = x.scatter_add(1, index.to(x.device), src.to(x.device))
            assert out.device == x.device and out.tolist() == expected.tolist(), (dtype, x.device)
        if dtype is not tl.bool:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # (torch's deprecation of reduce= with a tensor src)
                on_cpu = host.scatter(1, index, src, reduce="multiply")
                on_gpu = host.cuda().scatter(1, index.cuda(), src.cuda(), reduce="multiply")
            assert on_gpu.device == cuda and on_gpu.tolist() == on_cpu.tolist(), dtype


def test_gradients_through_cpu_indices_land_on_the_gpu(cuda):
    w = tl.arange(15.0, device="cuda").reshape(5, 3).requires_grad_()
    (w[tl.tensor([0, 0, 4], device="cpu")] * 2).sum().backward()
    assert w.grad.device == cuda and w.grad.tolist() == [[4.0] * 3, [0.0] * 3, [0.0] * 3, [0.0] * 3, [2.0] * 3]
