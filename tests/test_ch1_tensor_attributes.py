"""Chapter 1 (tensors): what a tensor *is*, attribute by attribute, against torch.

Shape, dtype, device, strides, storage offset, contiguity, sizes in bytes, the
conversions to Python (``item``, ``tolist``, ``len``, ``bool``, ``int``...) and to
NumPy (``numpy()`` shares memory), copies (``clone``, ``contiguous``), casts and
``to()`` (which returns ``self`` when nothing changes), and the legacy ``Tensor(...)``
constructor. Inputs come in many layouts: permuted, sliced, expanded, or NumPy views
wrapped by ``from_numpy`` in both libraries.
"""

from __future__ import annotations

import operator
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_lessons as tl
from parity import DTYPE_PAIRS, FROM_TORCH_DTYPE, TO_TORCH_DTYPE, assert_matches, assert_same_error, tensor_pairs
from test_ch1_creation import numpy_views

HAVE_INDEXING = hasattr(tl.Tensor, "__getitem__")  # tensor_pairs' "sliced" layout needs t[..., ::2]


@st.composite
def from_numpy_pairs(draw):
    view, _ = draw(numpy_views())
    return tl.from_numpy(view), torch.from_numpy(view)


def pairs(dtype_pairs=None):
    """The same tensor in both libraries, in many layouts."""
    return st.one_of(tensor_pairs(dtype_pairs=dtype_pairs, layouts=HAVE_INDEXING), from_numpy_pairs())


def relative_ptr(t) -> int:
    """Where a tensor starts inside its storage, in bytes (absolute addresses differ between libraries)."""
    return t.data_ptr() - t.untyped_storage().data_ptr()


def outcome(fn):
    """``("ok", value)`` or ``("error", exception type)`` — to compare two libraries' behaviour."""
    try:
        return "ok", fn()
    except Exception as e:  # noqa: BLE001
        return "error", type(e).__name__


# ====================================================================== attributes
@given(pairs())
def test_attributes_match_torch(pair):
    ours, theirs = pair
    assert isinstance(ours.shape, tl.Size) and isinstance(ours.size(), tl.Size)
    assert ours.shape == tuple(theirs.shape) == ours.size()
    assert ours.dtype is FROM_TORCH_DTYPE[theirs.dtype]
    assert ours.device == tl.device("cpu") and str(ours.device) == str(theirs.device) == "cpu"
    assert ours.ndim == ours.dim() == ours.ndimension() == theirs.ndim
    assert ours.numel() == ours.nelement() == theirs.numel()
    assert ours.stride() == theirs.stride()
    for d in range(-theirs.ndim, theirs.ndim):
        assert ours.size(d) == theirs.size(d) and ours.stride(d) == theirs.stride(d)
    assert ours.storage_offset() == theirs.storage_offset()
    assert ours.is_contiguous() == theirs.is_contiguous()
    assert ours.element_size() == ours.itemsize == theirs.element_size()
    assert ours.nbytes == theirs.nbytes
    assert ours.is_floating_point() == theirs.is_floating_point()
    assert ours.is_signed() == theirs.is_signed()
    assert ours.is_complex() is False and ours.is_cpu and not ours.is_cuda
    if theirs.numel():  # torch gives some empty tensors data_ptr() 0
        assert relative_ptr(ours) == relative_ptr(theirs)
        assert ours.untyped_storage().nbytes() == theirs.untyped_storage().nbytes()
    assert ours.type() == theirs.type().replace("torch.", "torch.")  # torch's own type strings
    assert ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("make", [
    lambda lib: lib.ones(2, 3).size(2),
    lambda lib: lib.ones(2, 3).size(-3),
    lambda lib: lib.ones(2, 3).stride(2),
    lambda lib: lib.ones(2, 3).stride(-3),
    lambda lib: lib.tensor(1.0).size(0),
    lambda lib: lib.tensor(1.0).size(-1),
    lambda lib: lib.tensor(1.0).stride(0),
], ids=lambda f: "")
def test_dimension_errors(make):
    assert_same_error(lambda: make(tl), lambda: make(torch), match_message=True)
    assert_same_error(lambda: tl.ones(2).size(1.5), lambda: torch.ones(2).size(1.5))


# ====================================================================== Python conversions
@given(pairs())
def test_python_conversions_match_torch(pair):
    ours, theirs = pair
    for convert in (lambda t: t.item(), bool, float, int, operator.index, len, lambda t: t.tolist()):
        expected = outcome(lambda c=convert: c(theirs))
        got = outcome(lambda c=convert: c(ours))
        assert got[0] == expected[0], (got, expected)
        if got[0] == "ok":
            assert got[1] == expected[1] and type(got[1]) is type(expected[1])
        else:
            assert got[1] == expected[1], (got, expected)
    if theirs.ndim:
        assert [row.tolist() for row in ours] == [row.tolist() for row in theirs]


@pytest.mark.parametrize("make", [
    lambda lib: len(lib.tensor(1.0)),
    lambda lib: iter(lib.tensor(1.0)),
    lambda lib: bool(lib.ones(2)),
    lambda lib: bool(lib.ones(0)),
    lambda lib: int(lib.ones(2)),
    lambda lib: float(lib.ones(0)),
    lambda lib: lib.ones(2).item(),
    lambda lib: lib.ones(0).item(),
    lambda lib: operator.index(lib.tensor(3.0)),
    lambda lib: operator.index(lib.tensor([3, 4])),
    lambda lib: lib.ones(2, dtype=lib.bfloat16).numpy(),
    lambda lib: lib.ones(2, requires_grad=True).numpy(),
], ids=lambda f: "")
def test_conversion_errors(make):
    assert_same_error(lambda: make(tl), lambda: make(torch), match_message=True)


@pytest.mark.parametrize("value, dtype", [(2.5, "bfloat16"), (2.5, "float16"), (7, "uint8"), (True, "bool"),
                                          (-3, "int8"), (1.25, "float64"), (3, "int64")])
def test_item_and_tolist_give_python_numbers(value, dtype):
    ours, theirs = tl.tensor(value, dtype=getattr(tl, dtype)), torch.tensor(value, dtype=getattr(torch, dtype))
    for a, b in [(ours.item(), theirs.item()), (ours.tolist(), theirs.tolist()),
                 (ours.view(1, 1).tolist(), theirs.view(1, 1).tolist())]:
        assert a == b and type(a) is type(b)


# ====================================================================== NumPy
@given(pairs(dtype_pairs=[p for p in DTYPE_PAIRS if p[0] is not tl.bfloat16]))
def test_numpy_shares_memory_both_ways(pair):
    ours, theirs = pair
    array, expected = ours.numpy(), theirs.numpy()
    assert array.dtype == expected.dtype and array.shape == expected.shape
    assert array.strides == expected.strides or array.size == 0
    np.testing.assert_array_equal(array, expected)
    if ours.numel() == 0 or 0 in ours.stride():
        return
    index = tuple(n - 1 for n in ours.shape)
    new = not array[index] if ours.dtype is tl.bool else 9
    array[index] = new  # a write to the array shows in the tensor...
    assert ours.tolist() == array.tolist()
    ours._data[(0,) * ours.ndim] = new  # ...and a write to the tensor shows in the array
    assert array[(0,) * ours.ndim] == new
    assert np.shares_memory(ours.numpy(), ours.detach().numpy())


def test_numpy_force_and_requires_grad():
    t = tl.ones(3, requires_grad=True)
    assert t.numpy(force=True).tolist() == [1.0, 1.0, 1.0]
    assert t.detach().numpy().tolist() == [1.0, 1.0, 1.0]


# ====================================================================== clone, contiguous, data_ptr
@given(pairs())
def test_clone_is_an_independent_copy_in_torchs_layout(pair):
    ours, theirs = pair
    ours_copy, theirs_copy = ours.clone(), theirs.clone()
    assert_matches(ours_copy, theirs_copy)
    assert ours_copy.stride() == theirs_copy.stride()
    assert ours_copy.storage_offset() == 0
    if ours.numel():
        assert ours_copy.untyped_storage().data_ptr() != ours.untyped_storage().data_ptr()
        before = ours.tolist()
        ours_copy._data[...] = 0
        assert ours.tolist() == before


@given(pairs())
def test_contiguous_returns_self_or_a_row_major_copy(pair):
    ours, theirs = pair
    ours_c, theirs_c = ours.contiguous(), theirs.contiguous()
    assert (ours_c is ours) == (theirs_c is theirs)
    assert_matches(ours_c, theirs_c)
    assert ours_c.stride() == theirs_c.stride() and ours_c.is_contiguous()
    if ours_c is not ours and ours.numel():
        assert ours_c.untyped_storage().data_ptr() != ours.untyped_storage().data_ptr()


def test_data_ptr_of_views():
    base = tl.arange(12.0).view(3, 4)
    assert base.untyped_storage().data_ptr() == base.data_ptr()
    if HAVE_INDEXING:
        view = base[1:, 2:]
        assert view.data_ptr() - base.data_ptr() == 6 * base.element_size()
        assert view.untyped_storage().data_ptr() == base.untyped_storage().data_ptr()
    transposed = base.T
    assert transposed.data_ptr() == base.data_ptr() and transposed.untyped_storage().nbytes() == 48


# ====================================================================== casts and to()
CASTS = ["float", "double", "half", "bfloat16", "long", "int", "short", "char", "byte", "bool"]


@given(pairs(), st.sampled_from(CASTS))
def test_casts_match_torch(pair, cast):
    ours, theirs = pair
    if cast == "byte" and ours.dtype.is_floating_point and ours.numel() and ours._data.astype(float).min() < 0:
        return  # negative floats into uint8 are undefined behaviour in C++
    ours_out, theirs_out = getattr(ours, cast)(), getattr(theirs, cast)()
    assert (ours_out is ours) == (theirs_out is theirs)  # no change needed: the tensor itself
    assert_matches(ours_out, theirs_out)
    assert ours_out.stride() == theirs_out.stride()


@given(pairs(), st.sampled_from(DTYPE_PAIRS), st.booleans())
def test_to_dtype(pair, target, copy):
    ours, theirs = pair
    if target[0] is tl.uint8 and ours.dtype.is_floating_point:
        return  # negative floats into uint8 are undefined behaviour in C++
    ours_out, theirs_out = ours.to(target[0], copy=copy), theirs.to(target[1], copy=copy)
    assert (ours_out is ours) == (theirs_out is theirs)
    assert_matches(ours_out, theirs_out)
    assert ours_out.stride() == theirs_out.stride()
    if copy and ours.numel():
        assert ours_out.untyped_storage().data_ptr() != ours.untyped_storage().data_ptr()


def test_to_forms_return_self_when_nothing_changes():
    ours, theirs = tl.ones(2, 3), torch.ones(2, 3)
    for ours_args, theirs_args in [
        ((tl.float32,), (torch.float32,)), (("cpu",), ("cpu",)), ((tl.device("cpu"),), (torch.device("cpu"),)),
        ((tl.ones(1),), (torch.ones(1),)), (("cpu", tl.float32), ("cpu", torch.float32)), ((None,), (None,)),
    ]:
        assert (ours.to(*ours_args) is ours) == (theirs.to(*theirs_args) is theirs) is True
    assert ours.to(dtype=tl.float32) is ours and ours.to(device="cpu") is ours
    assert ours.float() is ours and ours.cpu() is ours and ours.type(tl.float32) is ours
    assert ours.to(tl.float32, copy=True) is not ours
    assert ours.to(tl.ones(1, dtype=tl.int16)).dtype is tl.int16
    assert ours.to("cpu", tl.float64).dtype is tl.float64
    assert ours.to(device="cpu", dtype=tl.bool).dtype is tl.bool
    assert ours.type() == theirs.type() == "torch.FloatTensor"
    assert ours.type(tl.int32).dtype is tl.int32
    with pytest.raises(RuntimeError):
        ours.to("cuda")


@pytest.mark.parametrize("values", [[1.7, -1.7, 300.5, -0.5], [0.0, -0.0, 1e-30, float("inf")]])
@pytest.mark.parametrize("cast", ["long", "int", "short", "bool", "half", "bfloat16", "double"])
def test_cast_conversions_truncate_like_torch(values, cast):
    if cast != "bool" and cast not in ("half", "bfloat16", "double") and float("inf") in values:
        return  # inf into an integer is undefined behaviour in C++
    assert_matches(getattr(tl.tensor(values), cast)(), getattr(torch.tensor(values), cast)())


# ====================================================================== the legacy constructor
@pytest.mark.parametrize("args", [
    ([1, 2],), ((2, 3),), ([[1.5], [2]],), ([True],), ([],), (range(3),), (np.array([1, 2]),),
    (np.array([[1.5, 2.5]], dtype=np.float64),), (),
], ids=str)
def test_tensor_constructor_from_data(args, recwarn):
    assert_matches(tl.Tensor(*args), torch.Tensor(*args))


@pytest.mark.parametrize("args", [(2, 3), (0,), (4,), (np.int64(3),), ("size",)], ids=str)
def test_tensor_constructor_from_sizes(args):
    ours = tl.Tensor(tl.Size([2, 3])) if args == ("size",) else tl.Tensor(*args)
    theirs = torch.Tensor(torch.Size([2, 3])) if args == ("size",) else torch.Tensor(*args)
    assert ours.shape == tuple(theirs.shape) and ours.dtype is tl.float32 and ours.stride() == theirs.stride()


def test_tensor_constructor_of_a_tensor_is_an_alias():
    for dtype in (tl.int64, tl.float32):
        src = tl.tensor([1, 2], dtype=dtype)
        alias = tl.Tensor(src)
        assert alias is not src and alias.dtype is dtype  # torch keeps the dtype here
        assert alias.data_ptr() == src.data_ptr()
    t = torch.tensor([1, 2])
    assert torch.Tensor(t).dtype == torch.int64 and torch.Tensor(t).data_ptr() == t.data_ptr()


@pytest.mark.parametrize("make", [
    lambda lib: lib.Tensor(2.5),
    lambda lib: lib.Tensor(-1),
    lambda lib: lib.Tensor([[1], [2, 3]]),
    lambda lib: lib.Tensor("a"),
    lambda lib: lib.Tensor(2, dtype=lib.float64),
], ids=lambda f: "")
def test_tensor_constructor_errors(make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same_error(lambda: make(tl), lambda: make(torch))


@pytest.mark.parametrize("pair", DTYPE_PAIRS, ids=lambda p: p[0].name)
def test_element_size_of_every_dtype(pair):
    ours, theirs = tl.zeros(3, dtype=pair[0]), torch.zeros(3, dtype=pair[1])
    assert ours.element_size() == theirs.element_size() and ours.nbytes == theirs.nbytes
    assert TO_TORCH_DTYPE[ours.dtype] == theirs.dtype
