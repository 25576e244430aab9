"""Chapter 1 (tensors): dtypes, type promotion, the default dtype, finfo and iinfo, against torch.

* ``promote_types`` for all 100 pairs of the ten dtypes;
* ``result_type`` for every pair in every role torch distinguishes: tensors with
  dimensions, 0-d tensors, and Python bools, ints and floats (either order);
* ``set_default_dtype`` changes what Python floats become in ``tensor``, ``arange``,
  ``full``, ``linspace``, ``zeros``, ``rand`` and ``result_type`` (and nothing else);
* ``finfo`` and ``iinfo`` field by field.
"""

from __future__ import annotations

import itertools

import pytest
import torch

import tinygrad_lessons as tl
from parity import DTYPE_PAIRS, FLOAT_PAIRS, FROM_TORCH_DTYPE, INT_PAIRS, assert_same_error

ALL_PAIRS = list(itertools.product(DTYPE_PAIRS, DTYPE_PAIRS))


@pytest.fixture
def restore_default_dtype():
    """Tests that change the default dtype put both libraries back afterwards, even on failure."""
    ours, theirs = tl.get_default_dtype(), torch.get_default_dtype()
    yield
    tl.set_default_dtype(ours)
    torch.set_default_dtype(theirs)


# ====================================================================== promote_types
@pytest.mark.parametrize("a, b", ALL_PAIRS, ids=lambda p: p[0].name)
def test_promote_types_all_pairs(a, b):
    assert tl.promote_types(a[0], b[0]) is FROM_TORCH_DTYPE[torch.promote_types(a[1], b[1])]


def test_promote_types_is_symmetric_and_accepts_python_types():
    for (a, _), (b, _) in ALL_PAIRS:
        assert tl.promote_types(a, b) is tl.promote_types(b, a)
    assert tl.promote_types(float, tl.float32) is tl.float64  # Python float means float64 as a dtype
    assert tl.promote_types(int, tl.int8) is tl.int64
    assert tl.promote_types(bool, tl.uint8) is tl.uint8
    with pytest.raises(TypeError):
        tl.promote_types(tl.int32, 3.5)


# ====================================================================== result_type
def operand(lib, pair, role):
    """An operand of dtype ``pair`` in a role: a tensor with dimensions, or a 0-d tensor."""
    dtype = pair[0] if lib is tl else pair[1]
    if role == "dim":
        return lib.ones(2, dtype=dtype)
    return lib.ones((), dtype=dtype)


ROLES = [("dim", "dim"), ("dim", "zero"), ("zero", "dim"), ("zero", "zero")]


@pytest.mark.parametrize("roles", ROLES, ids="-".join)
@pytest.mark.parametrize("a, b", ALL_PAIRS, ids=lambda p: p[0].name)
def test_result_type_of_two_tensors(a, b, roles):
    ours = tl.result_type(operand(tl, a, roles[0]), operand(tl, b, roles[1]))
    theirs = torch.result_type(operand(torch, a, roles[0]), operand(torch, b, roles[1]))
    assert ours is FROM_TORCH_DTYPE[theirs]


SCALARS = [True, False, 0, 3, -200, 300, 2**40, 0.5, -1e10, float("inf")]


@pytest.mark.parametrize("role", ["dim", "zero"])
@pytest.mark.parametrize("pair", DTYPE_PAIRS, ids=lambda p: p[0].name)
def test_result_type_of_tensor_and_python_scalar(pair, role):
    """Python numbers are the weakest operands: they only matter across categories."""
    for scalar in SCALARS:
        for ours_args, theirs_args in [((operand(tl, pair, role), scalar), (operand(torch, pair, role), scalar)),
                                       ((scalar, operand(tl, pair, role)), (scalar, operand(torch, pair, role)))]:
            assert tl.result_type(*ours_args) is FROM_TORCH_DTYPE[torch.result_type(*theirs_args)], (pair, scalar)


# ====================================================================== the default dtype
def creations(lib):
    """Everything whose dtype comes from the default dtype, and a few things it must not change."""
    return {
        "tensor([1.5])": lib.tensor([1.5]),
        "tensor(2.0)": lib.tensor(2.0),
        "tensor([1, 2.5])": lib.tensor([1, 2.5]),
        "tensor([[], []])": lib.tensor([[], []]),
        "tensor([1])": lib.tensor([1]),
        "tensor([True])": lib.tensor([True]),
        "tensor([np.float32])": lib.tensor([lib.tensor(1.0, dtype=lib.float32), 2.5]),
        "arange(1.5)": lib.arange(1.5),
        "arange(0, 1, 0.25)": lib.arange(0, 1, 0.25),
        "arange(3)": lib.arange(3),
        "full((2,), 1.5)": lib.full((2,), 1.5),
        "full((2,), 1)": lib.full((2,), 1),
        "zeros(2)": lib.zeros(2),
        "ones(2)": lib.ones(2),
        "empty(2)": lib.empty(2),
        "eye(2)": lib.eye(2),
        "linspace(0, 1, 3)": lib.linspace(0, 1, 3),
        "logspace(0, 1, 3)": lib.logspace(0, 1, 3),
        "rand(2)": lib.rand(2),
        "randn(2)": lib.randn(2),
        "randint(3, (2,))": lib.randint(3, (2,)),
        "Tensor([1, 2])": lib.Tensor([1, 2]),
    }


@pytest.mark.parametrize("pair", FLOAT_PAIRS, ids=lambda p: p[0].name)
def test_default_dtype_drives_float_inference(pair, restore_default_dtype):
    tl.set_default_dtype(pair[0])
    torch.set_default_dtype(pair[1])
    assert tl.get_default_dtype() is pair[0]
    ours, theirs = creations(tl), creations(torch)
    for name in ours:
        assert ours[name].dtype is FROM_TORCH_DTYPE[theirs[name].dtype], name
    for int_pair in INT_PAIRS:
        x, y = operand(tl, int_pair, "dim"), operand(torch, int_pair, "dim")
        assert tl.result_type(x, 1.5) is FROM_TORCH_DTYPE[torch.result_type(y, 1.5)]
    assert tl.finfo().dtype == torch.finfo().dtype  # finfo() describes the default dtype


def test_default_dtype_is_restored_and_checked(restore_default_dtype):
    assert tl.get_default_dtype() is tl.float32
    assert_same_error(lambda: tl.set_default_dtype(tl.int32), lambda: torch.set_default_dtype(torch.int32),
                      match_message=True)
    assert_same_error(lambda: tl.set_default_dtype(tl.bool), lambda: torch.set_default_dtype(torch.bool),
                      match_message=True)
    assert tl.get_default_dtype() is tl.float32  # a refused change leaves it alone
    tl.set_default_dtype(tl.float64)
    tl.set_default_dtype(tl.float32)
    assert tl.tensor([1.5]).dtype is tl.float32


# ====================================================================== finfo, iinfo
FINFO_FIELDS = ["bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"]


@pytest.mark.parametrize("pair", FLOAT_PAIRS, ids=lambda p: p[0].name)
def test_finfo_matches_torch(pair):
    ours, theirs = tl.finfo(pair[0]), torch.finfo(pair[1])
    for field in FINFO_FIELDS:
        assert getattr(ours, field) == getattr(theirs, field), field
        assert type(getattr(ours, field)) is type(getattr(theirs, field)), field
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("pair", INT_PAIRS, ids=lambda p: p[0].name)
def test_iinfo_matches_torch(pair):
    ours, theirs = tl.iinfo(pair[0]), torch.iinfo(pair[1])
    for field in ("bits", "min", "max", "dtype"):
        assert getattr(ours, field) == getattr(theirs, field), field
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("make", [
    lambda lib: lib.finfo(lib.int32),
    lambda lib: lib.finfo(lib.bool),
    lambda lib: lib.iinfo(lib.float32),
    lambda lib: lib.iinfo(lib.bool),
], ids=lambda f: "")
def test_info_errors(make):
    assert_same_error(lambda: make(tl), lambda: make(torch), match_message=True)


# ====================================================================== dtype objects
@pytest.mark.parametrize("pair", DTYPE_PAIRS, ids=lambda p: p[0].name)
def test_dtype_attributes(pair):
    ours, theirs = pair
    assert ours.is_floating_point == theirs.is_floating_point
    assert ours.is_signed == theirs.is_signed
    assert ours.itemsize == theirs.itemsize
    assert ours.is_complex == theirs.is_complex is False
    assert repr(ours) == repr(theirs).replace("torch.", "tl.")
    assert tl.tensor([1]).to(ours).element_size() == torch.tensor([1]).to(theirs).element_size()


def test_dtype_aliases():
    assert tl.float is tl.float32 and tl.double is tl.float64 and tl.half is tl.float16
    assert tl.long is tl.int64 and tl.int is tl.int32 and tl.short is tl.int16
