"""Chapter 2 (reshape): shape operations agree with torch, down to strides and memory sharing.

Every parity check runs the same operation on the same tensor in both libraries, often
laid out non-contiguously (permuted, strided with a storage offset, narrowed, expanded
with stride 0), and compares values, dtype, shape, ``stride()``, ``storage_offset()`` and
whether the result shares memory with the input. Writing one element through the result
must change the input exactly when it does in torch. Errors must have torch's type and
message.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_lessons as tl
from parity import (
    DTYPE_PAIRS,
    arrays,
    assert_matches,
    assert_same_error,
    pair_from_numpy,
    shares_memory,
    tensor_pairs,
)


# ---------------------------------------------------------------------- strategies
@st.composite
def layout_pairs(draw, shape=None, dtype_pairs=None):
    """The same tensor in both libraries in a layout made with shape ops alone, then maybe permuted.

    Layouts: contiguous; every other element of the last dimension (a gap, maybe an offset);
    a window into a padded tensor (an offset, and a gap unless along dimension 0); expanded
    from size 1 (stride 0). A final permutation mixes the strides' order.
    """
    values, pair = draw(arrays(shape=shape, dtype_pairs=dtype_pairs))
    ndim = values.ndim
    if ndim == 0:
        return pair_from_numpy(values, pair)
    perm = draw(st.permutations(range(ndim)))
    inverse = tuple(np.argsort(perm))
    # permuted back at the end; np.array copies into canonical row-major strides (even for size-1 dims)
    values = np.array(values.transpose(inverse), order="C")
    layout = draw(st.sampled_from(["contiguous", "gaps", "window", "expanded"]))
    if layout == "gaps":
        start = draw(st.integers(0, 1))
        doubled = np.array(np.stack([values, values], axis=-1), order="C")
        ours, theirs = pair_from_numpy(doubled, pair)
        ours, theirs = ours.select(-1, start), theirs.select(-1, start)
    elif layout == "window":
        dim = draw(st.integers(0, ndim - 1))
        start = draw(st.integers(0, 2))

        def pad(n):
            return np.zeros(values.shape[:dim] + (n,) + values.shape[dim + 1:], values.dtype)

        ours, theirs = pair_from_numpy(np.concatenate([pad(start), values, pad(1)], dim), pair)
        ours, theirs = ours.narrow(dim, start, values.shape[dim]), theirs.narrow(dim, start, values.shape[dim])
    elif layout == "expanded":
        dims = [d for d, n in enumerate(values.shape) if n > 1]
        ours, theirs = pair_from_numpy(values, pair)
        if dims:
            d = draw(st.sampled_from(dims))
            first = np.array(np.take(values, [0], axis=d), order="C")
            ours, theirs = pair_from_numpy(first, pair)
            ours, theirs = ours.expand(*values.shape), theirs.expand(*values.shape)
    else:
        ours, theirs = pair_from_numpy(values, pair)
    return ours.permute(*perm), theirs.permute(*perm)


def pairs(shape=None, dtype_pairs=None):
    """The same tensor in both libraries, in tensor_pairs' layouts or the ones above."""
    return st.one_of(tensor_pairs(shape=shape, dtype_pairs=dtype_pairs),
                     layout_pairs(shape=shape, dtype_pairs=dtype_pairs))


small_shapes = st.lists(st.integers(1, 4), min_size=0, max_size=4).map(tuple)
ones_rich_shapes = st.lists(st.sampled_from([1, 1, 2, 3]), min_size=0, max_size=5).map(tuple)


def _prime_factors(n):
    factors, p = [], 2
    while n > 1:
        while n % p == 0:
            factors.append(p)
            n //= p
        p += 1
    return factors


@st.composite
def regroupings(draw, shape):
    """A shape with as many elements as ``shape``: its factors regrouped, 1s inserted, maybe one -1."""
    numel = int(np.prod(shape, dtype=np.int64))
    if draw(st.booleans()):  # split each dimension in place: always viewable
        dims = []
        for size in shape:
            factors = _prime_factors(size)
            cut = draw(st.integers(0, len(factors)))
            dims += [int(np.prod(factors[:cut])), int(np.prod(factors[cut:]))] if factors else [size]
    else:
        dims = []
        for f in draw(st.permutations(_prime_factors(numel))):
            if dims and draw(st.booleans()):
                dims[-1] *= f
            else:
                dims.append(f)
    for _ in range(draw(st.integers(0, 2))):
        dims.insert(draw(st.integers(0, len(dims))), 1)
    if dims and draw(st.booleans()):
        dims[draw(st.integers(0, len(dims) - 1))] = -1
    return tuple(dims)


# ---------------------------------------------------------------------- comparison helpers
def torch_shares(a, b) -> bool:
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()


def check_result(ours, theirs, ours_in, theirs_in):
    """Values, dtype, shape, strides, storage offset, and memory sharing with each input."""
    assert_matches(ours, theirs)
    if theirs.numel() == 0:
        return  # NumPy and torch place empty arrays differently; nothing can be read or written there
    assert ours.stride() == theirs.stride(), f"stride {ours.stride()} != torch {theirs.stride()}"
    assert ours.storage_offset() == theirs.storage_offset(), (
        f"storage_offset {ours.storage_offset()} != torch {theirs.storage_offset()}")
    ours_inputs = ours_in if isinstance(ours_in, (list, tuple)) else [ours_in]
    theirs_inputs = theirs_in if isinstance(theirs_in, (list, tuple)) else [theirs_in]
    for o_in, t_in in zip(ours_inputs, theirs_inputs):
        if t_in.numel():
            assert shares_memory(ours, o_in) == torch_shares(theirs, t_in), "memory sharing differs from torch"


def check_write_through(ours, theirs, ours_in, theirs_in):
    """Write one element of the result: the input changes in both libraries or in neither."""
    if theirs.numel() == 0:
        return
    index = (0,) * theirs.ndim
    value = (not bool(theirs[index])) if theirs.dtype == torch.bool else 77
    theirs[index] = value
    ours._data[index] = value
    ours_inputs = ours_in if isinstance(ours_in, (list, tuple)) else [ours_in]
    theirs_inputs = theirs_in if isinstance(theirs_in, (list, tuple)) else [theirs_in]
    for o_in, t_in in zip(ours_inputs, theirs_inputs):
        assert_matches(o_in, t_in, check_stride=False)


def compare(fn, ours_in, theirs_in, *, write=True, match_message=True):
    """Run ``fn(lib, x)`` with ``(tl, ours_in)`` and ``(torch, theirs_in)``; results or errors must agree."""
    try:
        expected = fn(torch, theirs_in)
    except Exception:  # noqa: BLE001 - then ours must raise the same error
        assert_same_error(lambda: fn(tl, ours_in), lambda: fn(torch, theirs_in), match_message=match_message)
        return
    got = fn(tl, ours_in)
    if isinstance(expected, torch.Size):
        assert isinstance(got, tl.Size) and tuple(got) == tuple(expected)
        return
    if isinstance(expected, tuple):
        assert isinstance(got, tuple) and len(got) == len(expected), f"{len(got)} results, torch gives {len(expected)}"
        results = list(zip(got, expected))
    else:
        results = [(got, expected)]
    for ours, theirs in results:
        check_result(ours, theirs, ours_in, theirs_in)
    if write:
        for ours, theirs in results:
            check_write_through(ours, theirs, ours_in, theirs_in)


# ====================================================================== view, reshape, flatten
@given(st.data())
def test_view_and_reshape(data):
    ours, theirs = data.draw(pairs())
    shape = data.draw(regroupings(tuple(theirs.shape)))
    compare(lambda lib, x: x.view(shape), ours, theirs)
    compare(lambda lib, x: x.reshape(*shape), ours, theirs)
    compare(lambda lib, x: lib.reshape(x, shape), ours, theirs)


@given(st.data())
def test_view_as_and_reshape_as(data):
    ours, theirs = data.draw(pairs())
    shape = tuple(torch.empty(theirs.shape).view(data.draw(regroupings(tuple(theirs.shape)))).shape)
    compare(lambda lib, x: x.view_as(lib.zeros(shape)), ours, theirs)
    compare(lambda lib, x: x.reshape_as(lib.zeros(shape)), ours, theirs)


@given(st.data())
def test_flatten(data):
    ours, theirs = data.draw(pairs(shape=data.draw(st.one_of(small_shapes, ones_rich_shapes))))
    ndim = max(theirs.ndim, 1)
    start = data.draw(st.integers(-ndim, ndim - 1))
    end = data.draw(st.integers(-ndim, ndim - 1))
    compare(lambda lib, x: x.flatten(start, end), ours, theirs)
    compare(lambda lib, x: lib.flatten(x, start_dim=start), ours, theirs)


@given(st.data())
def test_unflatten(data):
    ours, theirs = data.draw(pairs(shape=data.draw(st.lists(st.integers(1, 6), min_size=1, max_size=3).map(tuple))))
    dim = data.draw(st.integers(-theirs.ndim, theirs.ndim - 1))
    sizes = data.draw(regroupings((theirs.shape[dim],)))
    if not sizes:
        sizes = (1,)
    compare(lambda lib, x: x.unflatten(dim, sizes), ours, theirs)
    compare(lambda lib, x: lib.unflatten(x, dim, list(sizes)), ours, theirs)


def test_view_of_a_transposed_tensor_raises_but_reshape_copies():
    ours, theirs = tl.tensor(np.arange(6.0).reshape(2, 3)).t(), torch.arange(6.0).reshape(2, 3).t()
    err = assert_same_error(lambda: ours.view(6), lambda: theirs.view(6), match_message=True)
    assert "Use .reshape(...) instead" in str(err)
    flat = ours.reshape(6)
    assert flat.is_contiguous() and not shares_memory(flat, ours)
    assert flat.tolist() == theirs.reshape(6).tolist() == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    # the copy is independent: writing into it leaves the original alone
    flat._data[0] = 100.0
    assert ours.tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]


def test_view_of_contiguous_tensor_writes_through():
    base = tl.tensor([[1, 2, 3], [4, 5, 6]])
    flat = base.view(-1)
    assert shares_memory(flat, base) and flat.data_ptr() == base.data_ptr()
    flat._data[4] = 50
    assert base.tolist() == [[1, 2, 3], [4, 50, 6]]


def test_view_when_noncontiguous_tensor_still_allows_it():
    # merging dims 1 and 2 of a (2, 3, 4) tensor transposed on (0, 1): dims 1, 2 still form one chunk
    ours = tl.tensor(np.arange(24).reshape(2, 3, 4)).transpose(0, 1)
    theirs = torch.arange(24).reshape(2, 3, 4).transpose(0, 1)
    compare(lambda lib, x: x.view(3, 8), ours, theirs)
    compare(lambda lib, x: x.view(3, 2, 2, 2), ours, theirs)
    compare(lambda lib, x: x.view(6, 4), ours, theirs)  # crosses chunks: the same error as torch


def test_reshape_of_empty_and_0d_tensors():
    for shape, target in [((0, 3), (3, 0)), ((0, 3), (0, 1, 3)), ((2, 0), (-1, 2)), ((), (1, 1)), ((), ()),
                          ((1,), ()), ((), (-1,))]:
        ours, theirs = tl.zeros(shape), torch.zeros(shape)
        for op in (lambda lib, x, target=target: x.view(target), lambda lib, x, target=target: x.reshape(target)):
            compare(op, ours, theirs)
            assert op(tl, ours).stride() == op(torch, theirs).stride()
    # no elements: the same shape keeps its strides, another shape gets row-major ones
    ours, theirs = tl.zeros(2, 0).t(), torch.zeros(2, 0).t()
    for shape in [(0, 2), (2, 0), (0, 1, 2)]:
        assert ours.view(shape).stride() == theirs.view(shape).stride()
        assert ours.reshape(shape).stride() == theirs.reshape(shape).stride()


def test_flatten_edge_cases():
    x = tl.ones(2, 3)
    assert x.flatten(1, 1) is x and x.flatten(-1) is x  # nothing to merge: the tensor itself, as in torch
    one = tl.tensor(5.0).flatten()
    assert one.shape == (1,) and one.stride() == (1,) and one.tolist() == [5.0]
    compare(lambda lib, x: x.flatten(), tl.zeros(0, 3), torch.zeros(0, 3))


# ====================================================================== -1 inference and view errors
@pytest.mark.parametrize("shape", [(2, 5), (-1, -1), (-2, 3), (4, -1), (0, -1), (7,), (), (2, 3, 1, 1)])
def test_inferred_shape_errors(shape):
    ours, theirs = tl.tensor(np.arange(6)), torch.arange(6)
    for op in (lambda x: x.view(shape), lambda x: x.reshape(shape)):
        try:
            expected = op(theirs)
        except RuntimeError:
            assert_same_error(lambda op=op: op(ours), lambda op=op: op(theirs), match_message=True)
        else:
            assert tuple(op(ours).shape) == tuple(expected.shape)


def test_inferred_dimension_of_empty_tensor_is_ambiguous():
    assert_same_error(lambda: tl.zeros(0, 3).view(0, -1), lambda: torch.zeros(0, 3).view(0, -1), match_message=True)
    assert_same_error(lambda: tl.zeros(0).reshape(-1, 0), lambda: torch.zeros(0).reshape(-1, 0), match_message=True)


def test_size_argument_forms():
    x = tl.tensor(np.arange(6))
    for args in [(2, 3), ((2, 3),), ([2, 3],), (tl.Size([2, 3]),), (np.int64(2), 3), (tl.tensor(2), 3)]:
        assert x.view(*args).shape == (2, 3)
        assert x.reshape(*args).shape == (2, 3)
    for bad in [(2.0, 3), ((2, 3), 1), ()]:
        assert_same_error(lambda bad=bad: x.view(*bad), lambda bad=bad: torch.arange(6).view(*bad))
        assert_same_error(lambda bad=bad: x.reshape(*bad), lambda bad=bad: torch.arange(6).reshape(*bad))


# ====================================================================== squeeze, unsqueeze
@given(st.data())
def test_squeeze(data):
    ours, theirs = data.draw(pairs(shape=data.draw(ones_rich_shapes)))
    ndim = max(theirs.ndim, 1)
    dim = data.draw(st.integers(-ndim, ndim - 1))
    dims = tuple(data.draw(st.lists(st.integers(-ndim, ndim - 1), max_size=3, unique=True)))
    compare(lambda lib, x: x.squeeze(), ours, theirs)
    compare(lambda lib, x: x.squeeze(dim), ours, theirs)
    compare(lambda lib, x: lib.squeeze(x, dims), ours, theirs)


@given(st.data())
def test_unsqueeze(data):
    ours, theirs = data.draw(pairs(shape=data.draw(ones_rich_shapes)))
    dim = data.draw(st.integers(-theirs.ndim - 1, theirs.ndim))
    compare(lambda lib, x: x.unsqueeze(dim), ours, theirs)
    compare(lambda lib, x: lib.unsqueeze(lib.unsqueeze(x, dim), 0), ours, theirs)


def test_squeeze_and_unsqueeze_errors():
    x, y = tl.ones(2, 1, 3), torch.ones(2, 1, 3)
    for op in [lambda x: x.squeeze(3), lambda x: x.squeeze((1, -2)), lambda x: x.squeeze((0, 5)),
               lambda x: x.unsqueeze(4), lambda x: x.unsqueeze(-5)]:
        assert_same_error(lambda op=op: op(x), lambda op=op: op(y), match_message=True)
    assert_same_error(lambda: tl.tensor(1.0).squeeze(1), lambda: torch.tensor(1.0).squeeze(1), match_message=True)
    for op in [lambda x: x.squeeze(0), lambda x: x.squeeze(-1), lambda x: x.unsqueeze(0), lambda x: x.unsqueeze(-1)]:
        compare(lambda lib, x, op=op: op(x), tl.tensor(1.0), torch.tensor(1.0))


# ====================================================================== reordering dimensions
@given(st.data())
def test_permute_transpose_movedim(data):
    ours, theirs = data.draw(pairs())
    ndim = theirs.ndim
    perm = data.draw(st.permutations(range(ndim)))
    negative = [p - ndim if data.draw(st.booleans()) else p for p in perm]
    compare(lambda lib, x: x.permute(*negative), ours, theirs)
    compare(lambda lib, x: lib.permute(x, perm), ours, theirs)
    d0, d1 = (data.draw(st.integers(-max(ndim, 1), max(ndim, 1) - 1)) for _ in range(2))
    compare(lambda lib, x: x.transpose(d0, d1), ours, theirs)
    compare(lambda lib, x: lib.swapaxes(x, d0, d1), ours, theirs)
    compare(lambda lib, x: x.swapdims(d0, d1), ours, theirs)
    k = data.draw(st.integers(0, ndim))
    source, destination = list(perm[:k]), data.draw(st.permutations(range(ndim)))[:k]
    compare(lambda lib, x: x.movedim(source, destination), ours, theirs)
    compare(lambda lib, x: lib.moveaxis(x, tuple(source), tuple(destination)), ours, theirs)
    if ndim:
        compare(lambda lib, x: lib.movedim(x, d0, d1), ours, theirs)


@given(st.data())
def test_t_T_mT(data):
    ours, theirs = data.draw(pairs())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # .T on non-2-D tensors warns (checked below)
        compare(lambda lib, x: x.t(), ours, theirs)
        compare(lambda lib, x: lib.t(x), ours, theirs)
        compare(lambda lib, x: x.T, ours, theirs)
        compare(lambda lib, x: x.mT, ours, theirs)


def test_permute_and_movedim_errors():
    x, y = tl.ones(2, 1, 3), torch.ones(2, 1, 3)
    for op in [lambda x: x.permute(0, 1), lambda x: x.permute(0, 1, 1), lambda x: x.permute(0, 1, 5),
               lambda x: x.permute(0, 0, 5), lambda x: x.permute(), lambda x: x.transpose(0, 3),
               lambda x: x.movedim((0, 1), (2,)), lambda x: x.movedim((0, -3), (1, 2)),
               lambda x: x.movedim((0, 1), (1, -2)), lambda x: x.movedim(0, 3), lambda x: x.t()]:
        assert_same_error(lambda op=op: op(x), lambda op=op: op(y), match_message=True)
    assert_same_error(lambda: tl.ones(3).mT, lambda: torch.ones(3).mT, match_message=True)


def test_T_and_mT_warn_like_torch():
    with pytest.warns(UserWarning, match="x.T` on tensors of dimension other than 2"):
        assert tl.ones(2, 3, 4).T.shape == (4, 3, 2)
    with pytest.warns(UserWarning, match="Tensor.T is deprecated on 0-D tensors"):
        assert tl.tensor(1.0).T.shape == ()
    with pytest.warns(UserWarning, match="Tensor.mT is deprecated on 0-D tensors"):
        assert tl.tensor(1.0).mT.shape == ()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tl.ones(2, 3).T.stride() == (1, 3)  # 2-D: no warning


# ====================================================================== expand and broadcasting
@st.composite
def expand_cases(draw):
    """A tensor pair with some size-1 dimensions, and sizes to expand it to (-1s and new leading dims)."""
    ours, theirs = draw(pairs(shape=draw(ones_rich_shapes)))
    sizes = [draw(st.sampled_from([-1, 1, 2, 3])) if n == 1 else draw(st.sampled_from([n, -1])) for n in theirs.shape]
    leading = draw(st.lists(st.integers(1, 3), max_size=2))
    return ours, theirs, tuple(leading + sizes)


@given(expand_cases())
def test_expand(case):
    ours, theirs, sizes = case
    compare(lambda lib, x: x.expand(*sizes), ours, theirs)
    compare(lambda lib, x: x.expand(sizes), ours, theirs)
    target = tuple(torch.empty(theirs.shape).expand(sizes).shape)
    compare(lambda lib, x: lib.broadcast_to(x, target), ours, theirs)
    compare(lambda lib, x: x.expand_as(lib.zeros(target)), ours, theirs)


def test_expand_writes_through_to_the_single_element():
    base = tl.tensor([[1.0], [2.0]])
    wide = base.expand(2, 3)
    assert wide.stride() == (1, 0) and shares_memory(wide, base)
    wide._data[0, 2] = 9.0
    assert base.tolist() == [[9.0], [2.0]] and wide.tolist()[0] == [9.0, 9.0, 9.0]


@pytest.mark.parametrize("sizes", [(2, 4), (4,), (-1, 3, 4), (-2, 4), (3, 0), (2, 1, -1, 1), (1, 3, 4)])
def test_expand_sizes_and_errors(sizes):
    compare(lambda lib, x: x.expand(*sizes), tl.ones(3, 1), torch.ones(3, 1))


def test_expand_of_0d_tensor():
    compare(lambda lib, x: x.expand(2, 3), tl.tensor(4.0), torch.tensor(4.0))
    assert tl.tensor(4.0).expand(1, 1).stride() == torch.tensor(4.0).expand(1, 1).stride() == (0, 0)
    assert_same_error(lambda: tl.tensor(1.0).expand(-1), lambda: torch.tensor(1.0).expand(-1))


shape_lists = st.lists(st.lists(st.sampled_from([1, 1, 2, 3]), max_size=3).map(tuple), min_size=1, max_size=3)


@given(shape_lists)
def test_broadcast_shapes(shapes):
    compare(lambda lib, _: lib.broadcast_shapes(*shapes), None, None)


@given(st.data())
def test_broadcast_tensors(data):
    shapes = data.draw(shape_lists)
    drawn = [data.draw(pairs(shape=s)) for s in shapes]
    ours, theirs = [o for o, _ in drawn], [t for _, t in drawn]
    compare(lambda lib, xs: lib.broadcast_tensors(*xs), ours, theirs, write=False)


def test_broadcast_shapes_forms_and_errors():
    for shapes in [((3, 1), (2, 1, 4)), (3, (2, 1)), (), ((3, 0), (1, 1)), ([2, 1], tl.Size([3]))]:
        assert tuple(tl.broadcast_shapes(*shapes)) == tuple(torch.broadcast_shapes(*shapes))
    assert isinstance(tl.broadcast_shapes((2, 1), (3,)), tl.Size)
    for shapes in [((3, 1), (2, 4)), ((3, 0), (1, 2)), ((3, -1),)]:
        assert_same_error(lambda s=shapes: tl.broadcast_shapes(*s), lambda s=shapes: torch.broadcast_shapes(*s),
                          match_message=True)
    assert_same_error(lambda: tl.broadcast_tensors(tl.ones(3, 2), tl.ones(4)),
                      lambda: torch.broadcast_tensors(torch.ones(3, 2), torch.ones(4)), match_message=True)
    assert tl.broadcast_tensors() == torch.broadcast_tensors() == ()


# ====================================================================== cat and stack
@st.composite
def cat_cases(draw):
    """2-3 tensors of different dtypes and layouts whose shapes differ only along ``dim``."""
    shape = list(draw(st.lists(st.integers(1, 3), min_size=1, max_size=4)))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    pairs_ = []
    for _ in range(draw(st.integers(1, 3))):
        shape[dim] = draw(st.integers(0, 3))
        pairs_.append(draw(pairs(shape=tuple(shape), dtype_pairs=[draw(st.sampled_from(DTYPE_PAIRS))])))
    return [o for o, _ in pairs_], [t for _, t in pairs_], dim


@given(cat_cases())
def test_cat(case):
    ours, theirs, dim = case
    compare(lambda lib, xs: lib.cat(xs, dim), ours, theirs)
    compare(lambda lib, xs: lib.concat(tuple(xs), dim=dim), ours, theirs)
    compare(lambda lib, xs: lib.concatenate(xs, axis=dim), ours, theirs)


@given(st.data())
def test_stack(data):
    shape = data.draw(small_shapes)
    drawn = [data.draw(pairs(shape=shape, dtype_pairs=[data.draw(st.sampled_from(DTYPE_PAIRS))]))
             for _ in range(data.draw(st.integers(1, 3)))]
    dim = data.draw(st.integers(-len(shape) - 1, len(shape)))
    compare(lambda lib, xs: lib.stack(xs, dim), [o for o, _ in drawn], [t for _, t in drawn])


def test_cat_and_stack_keep_channels_last_layout():
    nhwc = np.arange(2 * 4 * 5 * 3).reshape(2, 4, 5, 3)
    ours = tl.tensor(nhwc).permute(0, 3, 1, 2)
    theirs = torch.from_numpy(nhwc).permute(0, 3, 1, 2)
    for op in [lambda lib, x: lib.cat([x, x], 1), lambda lib, x: lib.cat([x, x], 0),
               lambda lib, x: lib.cat([x, x.contiguous()], 1), lambda lib, x: lib.stack([x, x], 1),
               lambda lib, x: lib.stack([x, x], 4), lambda lib, x: lib.cat([x.unsqueeze(2)] * 2, 2)]:
        compare(op, ours, theirs)


def test_cat_of_ambiguous_n111_tensors_is_row_major():
    # (N, 1, 1, 1) tensors fit both layouts; torch calls them row-major, so the result is row-major
    for x in [np.arange(3.0).reshape(3, 1, 1, 1), np.arange(6.0).reshape(3, 1, 1, 2)]:
        ours, theirs = tl.tensor(x), torch.from_numpy(x)
        if x.shape[-1] == 2:
            ours, theirs = ours.narrow(3, 0, 1), theirs.narrow(3, 0, 1)
        compare(lambda lib, x: lib.cat([x, x], 1), ours, theirs)


def test_view_across_size_one_dimension_with_any_stride():
    # permuting (2, 3, 1) gives (2, 1, 3) with strides (3, 1, 1): the size-1 dim doesn't break the chunk
    ours = tl.tensor(np.arange(6).reshape(2, 3, 1)).permute(0, 2, 1)
    theirs = torch.arange(6).reshape(2, 3, 1).permute(0, 2, 1)
    for shape in [(6,), (3, 2), (2, 3), (1, 6, 1)]:
        compare(lambda lib, x, shape=shape: x.view(shape), ours, theirs)
    compare(lambda lib, x: x.flatten(), ours, theirs)


def test_cat_legacy_empty_and_promotion():
    i64, f16 = tl.tensor([[1, 2, 3], [4, 5, 6]]), tl.ones(2, 3, dtype=tl.float16)
    ti64, tf16 = torch.tensor([[1, 2, 3], [4, 5, 6]]), torch.ones(2, 3, dtype=torch.float16)
    e64, te64 = tl.zeros(0, dtype=tl.float64), torch.zeros(0, dtype=torch.float64)
    cases = [([i64, f16], [ti64, tf16], 0), ([i64, e64], [ti64, te64], 1), ([e64, i64, e64], [te64, ti64, te64], -1),
             ([e64, e64], [te64, te64], 5), ([tl.zeros(0, 3), i64], [torch.zeros(0, 3), ti64], 0),
             ([i64.bool(), i64.to(tl.uint8)], [ti64.bool(), ti64.to(torch.uint8)], 0),
             ([i64.to(tl.int8), i64.to(tl.uint8)], [ti64.to(torch.int8), ti64.to(torch.uint8)], 1),
             ([f16, f16.bfloat16()], [tf16, tf16.bfloat16()], 0)]
    for ours, theirs, dim in cases:
        compare(lambda lib, xs, dim=dim: lib.cat(xs, dim), ours, theirs)


def test_cat_and_stack_errors():
    a, ta = tl.ones(2, 3), torch.ones(2, 3)
    cases = [
        (lambda lib, x, y: lib.cat([x, y.t()], 0), True),
        (lambda lib, x, y: lib.cat([x, lib.ones(3)], 0), True),
        (lambda lib, x, y: lib.cat([x, lib.ones(3, 3)], 1), True),
        (lambda lib, x, y: lib.cat([x, y], 2), True),
        (lambda lib, x, y: lib.cat([x, lib.tensor(1.0)], 0), True),
        (lambda lib, x, y: lib.cat([], 0), True),
        (lambda lib, x, y: lib.cat([lib.zeros(0, 3), x], 1), True),
        (lambda lib, x, y: lib.cat(x, 0), True),
        (lambda lib, x, y: lib.cat([x, 1], 0), True),
        (lambda lib, x, y: lib.stack([]), True),
        (lambda lib, x, y: lib.stack([x, y[:, :2] if lib is torch else y.narrow(1, 0, 2)]), True),
        (lambda lib, x, y: lib.stack([lib.zeros(0), x]), True),
        (lambda lib, x, y: lib.stack([x, y], 3), True),
    ]
    for op, match in cases:
        assert_same_error(lambda op=op: op(tl, a, a), lambda op=op: op(torch, ta, ta), match_message=match)


def test_stack_of_0d_and_empty_tensors():
    compare(lambda lib, xs: lib.stack(xs), [tl.tensor(1), tl.tensor(2.0)], [torch.tensor(1), torch.tensor(2.0)])
    compare(lambda lib, xs: lib.stack(xs, -1), [tl.tensor(1), tl.tensor(2)], [torch.tensor(1), torch.tensor(2)])
    ours = tl.stack([tl.zeros(0), tl.zeros(0)])
    assert ours.shape == (2, 0) and ours.stride() == torch.stack([torch.zeros(0)] * 2).stride()


# ====================================================================== taking tensors apart
@given(st.data())
def test_split_and_chunk(data):
    ours, theirs = data.draw(pairs(shape=data.draw(st.lists(st.integers(1, 6), min_size=1, max_size=3).map(tuple))))
    dim = data.draw(st.integers(-theirs.ndim, theirs.ndim - 1))
    size = theirs.shape[dim]
    split_size = data.draw(st.integers(1, size + 1))
    cuts = sorted(data.draw(st.lists(st.integers(0, size), max_size=3)))
    sections = [b - a for a, b in zip([0] + cuts, cuts + [size])]
    chunks = data.draw(st.integers(1, size + 2))
    compare(lambda lib, x: x.split(split_size, dim), ours, theirs)
    compare(lambda lib, x: lib.split(x, sections, dim=dim), ours, theirs)
    compare(lambda lib, x: x.chunk(chunks, dim), ours, theirs)
    compare(lambda lib, x: lib.chunk(x, chunks, dim=dim), ours, theirs)


@given(st.data())
def test_narrow_select_unbind(data):
    ours, theirs = data.draw(pairs(shape=data.draw(st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple))))
    dim = data.draw(st.integers(-theirs.ndim, theirs.ndim - 1))
    size = theirs.shape[dim]
    start = data.draw(st.integers(-size, size))
    length = data.draw(st.integers(0, size - (start % size if start < 0 else start)))
    index = data.draw(st.integers(-size, size - 1))
    compare(lambda lib, x: x.narrow(dim, start, length), ours, theirs)
    compare(lambda lib, x: lib.narrow(x, dim, start, length), ours, theirs)
    compare(lambda lib, x: x.select(dim, index), ours, theirs)
    compare(lambda lib, x: lib.select(x, dim, index), ours, theirs)
    compare(lambda lib, x: x.unbind(dim), ours, theirs)
    compare(lambda lib, x: lib.unbind(x, dim), ours, theirs)


def test_split_chunk_narrow_select_edge_cases():
    x, y = tl.tensor(np.arange(24).reshape(2, 3, 4)), torch.arange(24).reshape(2, 3, 4)
    ops = [
        lambda lib, x: x.split(0, 2), lambda lib, x: x.split(-1, 2), lambda lib, x: x.split(5, 2),
        lambda lib, x: x.split([1, 2], 2), lambda lib, x: x.split([1, -1, 4], 2), lambda lib, x: x.split((0, 4), -1),
        lambda lib, x: x.split(2, 3), lambda lib, x: x.chunk(0), lambda lib, x: x.chunk(5, 2),
        lambda lib, x: x.narrow(2, -5, 1), lambda lib, x: x.narrow(2, 5, 0), lambda lib, x: x.narrow(2, 3, 2),
        lambda lib, x: x.narrow(2, 1, -1), lambda lib, x: x.narrow(2, lib.tensor(1), 2),
        lambda lib, x: x.select(2, 4), lambda lib, x: x.select(2, -5), lambda lib, x: x.select(0, lib.tensor(1)),
        lambda lib, x: x.unbind(3),
    ]
    for op in ops:
        compare(op, x, y)
    zero_d = [lambda lib, x: x.split(1), lambda lib, x: x.chunk(1), lambda lib, x: x.narrow(0, 0, 1),
              lambda lib, x: x.select(0, 0), lambda lib, x: x.unbind(0)]
    for op in zero_d:
        assert_same_error(lambda op=op: op(tl, tl.tensor(1)), lambda op=op: op(torch, torch.tensor(1)),
                          match_message=True)
    for op in [lambda lib, x: x.split(0, 0), lambda lib, x: x.split(2, 0), lambda lib, x: x.chunk(3),
               lambda lib, x: x.unbind(0), lambda lib, x: x.chunk(2, 1)]:
        compare(op, tl.zeros(0, 3), torch.zeros(0, 3))
    assert [p.tolist() for p in tl.tensor(np.arange(5)).chunk(4)] == [[0, 1], [2, 3], [4]]  # 3 chunks, as torch


def test_pieces_are_views_into_the_input():
    x = tl.tensor(np.arange(6))
    first, second = x.split(3)
    second._data[0] = 30
    assert x.tolist() == [0, 1, 2, 30, 4, 5] and second.storage_offset() == 3
    row = tl.tensor(np.arange(6).reshape(2, 3)).select(1, 2)
    assert row.stride() == (3,) and row.storage_offset() == 2


# ====================================================================== copies: repeat and flip
@given(st.data())
def test_repeat(data):
    ours, theirs = data.draw(pairs())
    repeats = tuple(data.draw(st.lists(st.integers(0, 3), min_size=theirs.ndim, max_size=theirs.ndim + 2)))
    compare(lambda lib, x: x.repeat(*repeats), ours, theirs)
    compare(lambda lib, x: x.repeat(repeats), ours, theirs)


@given(st.data())
def test_flip(data):
    ours, theirs = data.draw(pairs())
    ndim = max(theirs.ndim, 1)
    dims = tuple(data.draw(st.lists(st.integers(-ndim, ndim - 1), min_size=0, max_size=3)))
    compare(lambda lib, x: x.flip(dims), ours, theirs)
    compare(lambda lib, x: lib.flip(x, dims), ours, theirs)
    if dims:
        compare(lambda lib, x: x.flip(*dims), ours, theirs)


def test_repeat_and_flip_errors():
    x, y = tl.ones(2, 3), torch.ones(2, 3)
    for op in [lambda x: x.repeat(2), lambda x: x.repeat(2, 1, -1), lambda x: x.repeat(), lambda x: x.flip(),
               lambda x: x.flip((0, 0)), lambda x: x.flip(2)]:
        assert_same_error(lambda op=op: op(x), lambda op=op: op(y), match_message=True)
    compare(lambda lib, x: x.repeat(()), tl.tensor(3), torch.tensor(3))
    compare(lambda lib, x: x.flip(0), tl.tensor(3), torch.tensor(3))


# ====================================================================== module functions and errors
def test_module_functions_are_the_methods():
    x = tl.ones(2, 3, 4)
    assert tl.reshape(x, (4, 6)).shape == x.reshape(4, 6).shape == (4, 6)
    assert tl.permute(x, (2, 0, 1)).shape == (4, 2, 3)
    assert tl.transpose(x, 0, 2).stride() == x.transpose(0, 2).stride()
    assert tl.squeeze(tl.ones(1, 3)).shape == (3,) and tl.unsqueeze(x, 0).shape == (1, 2, 3, 4)
    assert tl.flatten(x, 1).shape == (2, 12) and len(tl.split(x, 1)) == 2 and len(tl.chunk(x, 2, 2)) == 2
    for name in tl.shape_ops.__all__:
        assert hasattr(torch, name), f"tl.{name} is not a torch function"
        assert getattr(tl, name) is getattr(tl.shape_ops, name)


def test_unflatten_errors():
    x, y = tl.ones(2, 6), torch.ones(2, 6)
    for sizes in [(2, 4), (), (-2, 3), (-1, -1), (0, -1)]:
        err = assert_same_error(lambda s=sizes: x.unflatten(1, s), lambda s=sizes: y.unflatten(1, s))
        # torch appends a C++ stack trace to "unexpected" errors: compare the part before it
        try:
            y.unflatten(1, sizes)
        except RuntimeError as expected:
            assert str(expected).startswith(str(err))
    assert_same_error(lambda: x.unflatten(1, 3), lambda: y.unflatten(1, 3))
    assert_same_error(lambda: x.unflatten(5, (3,)), lambda: y.unflatten(5, (3,)), match_message=True)
    assert_same_error(lambda: x.flatten(1, 0), lambda: y.flatten(1, 0), match_message=True)
    assert_same_error(lambda: x.flatten(2), lambda: y.flatten(2), match_message=True)
