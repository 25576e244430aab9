"""Chapter 1 — tensors: dtype inference, what a float format can hold, ``full_like``, shuffled batches.

Each exercise is written here once: its reference solution (what the learner's function
must reproduce), its visible and hidden cases, what the learner may not call, and hints
for the mistakes people really make. Only ``infer_dtype`` has a plug-in target: the library
calls ``creation.infer_dtype`` inside ``tl.tensor``. The others have no clean one —
``full_like`` here always returns row-major memory while the library's keeps the input's
memory order (torch's ``preserve_format``), ``float_limits`` has no counterpart (``tl.finfo``
reads its numbers from ``ml_dtypes``), and the library has no data loader for
``shuffled_batches`` to replace.
"""

from __future__ import annotations

import numpy as np

import tinygrad_lessons as tl

from ..cases import Case, T
from . import Exercise, Hint, register

# ---------------------------------------------------------------------- helpers for hints (on plain data)


def _is_dtype(plain, name) -> bool:
    return plain["kind"] == "dtype" and plain["value"] == name


def _items(plain) -> list:
    return plain["items"] if plain["kind"] in ("tuple", "list") else []


def _number(plain, i):
    items = _items(plain)
    return items[i]["value"] if i < len(items) and items[i]["kind"] in ("int", "float") else None


def _flat_values(plain) -> list:
    """All the index values of a list of 1-D tensors, in order."""
    return [v for item in _items(plain) if item["kind"] == "tensor" for v in item["values"]]


# ====================================================================== 1. infer_dtype
def _reference_infer_dtype(data):
    """torch's dtype for nested Python data of bools, ints and floats (lists and tuples)."""
    shape = []  # read from the first element at every depth, as torch reads it
    probe = data
    while isinstance(probe, (list, tuple)):
        shape.append(len(probe))
        if not probe:
            break
        probe = probe[0]

    seen = set()  # the Python types of the numbers

    def visit(x, dim):
        if dim == len(shape):
            seen.add(type(x))
            return
        if len(x) != shape[dim]:
            raise ValueError(f"expected sequence of length {shape[dim]} at dim {dim} (got {len(x)})")
        for item in x:
            visit(item, dim + 1)

    visit(data, 0)
    if not seen or float in seen:
        return tl.get_default_dtype()
    if int in seen:
        return tl.int64
    return tl.bool


def _plain_python(data) -> bool:
    """Whether ``data`` is only bools, ints, floats, lists and tuples (what the exercise covers)."""
    if type(data) in (bool, int, float):
        return True
    return type(data) in (list, tuple) and all(_plain_python(x) for x in data)


def _adapt_infer_dtype(mine, original):
    """``tl.tensor`` also sees NumPy scalars and tensors inside lists: those stay with the library."""

    def infer_dtype(data):
        return mine(data) if _plain_python(data) else original(data)

    infer_dtype.__doc__ = mine.__doc__
    return infer_dtype


def _has_numbers(data) -> bool:
    return not isinstance(data, (list, tuple)) or any(_has_numbers(x) for x in data)


def _has_tuple(data) -> bool:
    return isinstance(data, tuple) or isinstance(data, list) and any(_has_tuple(x) for x in data)


INFER_DTYPE = Exercise(
    name="ch1.infer_dtype",
    function="infer_dtype",
    reference=_reference_infer_dtype,
    visible=[
        Case(([1, 2, 3],), label="all ints -> tl.int64"),
        Case(([1, 2.5],), label="an int and a float -> the default float dtype"),
        Case(([True, False],), label="all bools -> tl.bool"),
        Case(([[True, 2], [3, 4]],), label="bools and ints -> tl.int64"),
        Case(([],), label="an empty list -> the default float dtype"),
        Case((3.0,), label="a single float (the data of a 0-d tensor)"),
        Case(([[1, 2], [3]],), label="ragged rows -> ValueError"),
    ],
    hidden=[
        Case(([1, 2.5],), default_dtype="float64", label="[1, 2.5] while the default dtype is float64"),
        Case(([[], []],), default_dtype="float64", label="[[], []] while the default dtype is float64"),
        Case(([[1, 2], [3, 4.0]],), label="one float, in the very last place"),
        Case(([(1, 2), [3, 4.5]],), label="tuples and lists mixed"),
        Case(([[[True], [False]], [[True], [True]]],), label="a 3-d block of bools"),
        Case((True,), label="a single bool"),
        Case((7,), label="a single int"),
        Case(([[], []],), label="two empty rows"),
        Case(([[[[1]]]],), label="deeply nested"),
        Case(([0.0, True],), label="a float and a bool"),
        Case(([[1], [2, 3]],), label="ragged: the second row is longer"),
        Case(([[[1, 2], [3, 4]], [[5, 6], [7]]],), label="ragged at dim 2"),
        Case(([[1.5, 2], [3]],), label="ragged rows of floats"),
    ],
    forbid=[
        "tinygrad_lessons.creation.infer_dtype", "tinygrad_lessons.creation.tensor",
        "tinygrad_lessons.creation.as_tensor", "tinygrad_lessons.dtypes.result_type",
        "tinygrad_lessons.Tensor.new_tensor",
    ],
    compare={"messages": True},
    hints=[
        Hint(lambda case, e, g: _is_dtype(e, "bool") and _is_dtype(g, "int64"),
             "in Python, bool is a subclass of int (isinstance(True, int) is True): test for bool first, "
             "or compare type(x) with bool, int and float exactly"),
        Hint(lambda case, e, g: case.default_dtype and _is_dtype(g, "float32"),
             "Python floats become the *default* dtype, which tl.set_default_dtype can change: return "
             "tl.get_default_dtype(), not tl.float32"),
        Hint(lambda case, e, g: e["kind"] == "dtype" and e["value"].startswith("float") and _is_dtype(g, "int64"),
             "look at every number, not only the first: a single float anywhere makes the whole tensor float"),
        Hint(lambda case, e, g: e["kind"] == "error" and g["kind"] != "error",
             "every list at one depth must have the same length as the first one there: raise "
             "ValueError(f'expected sequence of length {n} at dim {dim} (got {len(x)})')"),
        Hint(lambda case, e, g: e["kind"] == "error" and g["kind"] == "error" and e["type"] == g["type"]
             and e["message"] != g["message"],
             "use torch's words exactly, with the dim counted from 0 and the first mismatch met in reading order "
             "(depth first): expected sequence of length {n} at dim {dim} (got {len(x)})"),
        Hint(lambda case, e, g: e["kind"] == "dtype" and not _has_numbers(case.args[0]),
             "data with no numbers in it has nothing to look at: torch gives it the default dtype"),
        Hint(lambda case, e, g: g["kind"] in ("str", "numpy_dtype"),
             "return a dtype object such as tl.float32 (not a string or a NumPy dtype)"),
        Hint(lambda case, e, g: _has_tuple(case.args[0]),
             "tuples are sequences too: treat (1, 2) like [1, 2]"),
    ],
    plug_in="tinygrad_lessons.creation.infer_dtype",
    adapt=_adapt_infer_dtype,
    torch_oracle=lambda torch, data: torch.tensor(data).dtype,
)


# ====================================================================== 2. float_limits
def _reference_float_limits(exponent_bits, mantissa_bits):
    """(largest finite value, eps, smallest normal) of an IEEE-style binary float format."""
    bias = 2 ** (exponent_bits - 1) - 1  # stored exponent e means 2 ** (e - bias)
    largest = (2 - 2.0 ** -mantissa_bits) * 2.0 ** bias  # all-ones exponent is inf/NaN: bias is the top one
    eps = 2.0 ** -mantissa_bits  # 1.0 and the next float differ in the last mantissa bit
    smallest_normal = 2.0 ** (1 - bias)  # exponent field 1 (field 0 is zero and the subnormals)
    return largest, eps, smallest_normal


_TORCH_FORMATS = {(5, 10): "float16", (8, 7): "bfloat16", (8, 23): "float32", (11, 52): "float64",
                  (5, 2): "float8_e5m2"}


def _torch_float_limits(torch, exponent_bits, mantissa_bits):
    info = torch.finfo(getattr(torch, _TORCH_FORMATS[exponent_bits, mantissa_bits]))
    return info.max, info.eps, info.tiny


def _ratio(e, g, i):
    want, have = _number(e, i), _number(g, i)
    return None if not want or have is None else have / want


FLOAT_LIMITS = Exercise(
    name="ch1.float_limits",
    function="float_limits",
    reference=_reference_float_limits,
    visible=[
        Case((5, 10), label="float16: 5 exponent bits, 10 mantissa bits"),
        Case((8, 7), label="bfloat16: 8 exponent bits, 7 mantissa bits"),
        Case((8, 23), label="float32: 8 exponent bits, 23 mantissa bits"),
    ],
    hidden=[
        Case((11, 52), label="float64: 11 exponent bits, 52 mantissa bits"),
        Case((5, 2), label="float8_e5m2: 5 exponent bits, 2 mantissa bits"),
    ],
    forbid=["tinygrad_lessons.dtypes.finfo"],
    compare={"rtol": 0.0, "atol": 0.0},
    hints=[
        Hint(lambda case, e, g: _ratio(e, g, 1) == 0.5,
             "eps is the gap between 1.0 and the next float up, 2 ** -mantissa_bits; half of it is the "
             "largest rounding error, not eps"),
        Hint(lambda case, e, g: _ratio(e, g, 0) == 2.0 or g["kind"] == "error" and g["type"] == "OverflowError"
             or _number(g, 0) == float("inf"),
             "the all-ones exponent field is reserved for inf and NaN, so the largest exponent is the bias "
             "itself: (2 - 2 ** -mantissa_bits) * 2 ** bias"),
        Hint(lambda case, e, g: _number(g, 0) is not None and _number(g, 0) == 2.0 ** (2 ** (case.args[0] - 1) - 1),
             "the largest float has every mantissa bit set too: 1.111...1 in binary is 2 - 2 ** -mantissa_bits"),
        Hint(lambda case, e, g: _ratio(e, g, 2) in (0.5, 2.0),
             "the smallest *normal* float has exponent field 1, i.e. 2 ** (1 - bias) with "
             "bias = 2 ** (exponent_bits - 1) - 1 (field 0 is for zero and the subnormals)"),
        Hint(lambda case, e, g: any(item["kind"] == "int" for item in _items(g)),
             "return Python floats (2.0 ** k, or float(...)): these are floating-point limits"),
    ],
    torch_oracle=_torch_float_limits,
)


# ====================================================================== 3. full_like
def _reference_full_like(t, value, dtype=None):
    """A new row-major tensor shaped like ``t``, on its device, filled with ``value`` (in ``dtype`` or t's)."""
    values = np.full(tuple(t.shape), value)  # NumPy picks bool, int64 or float64 from the value
    return tl.tensor(values, dtype=t.dtype if dtype is None else dtype, device=t.device)  # a cast, and a copy


def _input_dtype(case):
    return case.args[0].dtype


FULL_LIKE = Exercise(
    name="ch1.full_like",
    function="full_like",
    reference=_reference_full_like,
    visible=[
        Case((T([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), 7.0), label="a float32 matrix filled with 7.0"),
        Case((T([1, 2, 3], "int64"), 2.7), label="an int64 tensor: 2.7 becomes an integer"),
        Case((T([[1.0, 2.0], [3.0, 4.0]]), 0), {"dtype": tl.int32}, label="dtype=tl.int32 wins over the input's"),
        Case((T([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], permute=(1, 0)), -1.5),
             label="a transposed input: the result is still row-major"),
        Case((T([1.0, 2.0], requires_grad=True), 3.0), label="an input that requires grad"),
        Case((T([[1, 2], [3, 4]], "int64"), 5), default_device="cuda",
             label="a CPU input while the default device is cuda: the result stays on the CPU"),
    ],
    hidden=[
        Case((T([True, False], "bool"), 5), label="a bool tensor filled with 5"),
        Case((T([0.5, 1.5, 2.5], "float16"), 0.1), label="float16 keeps its dtype"),
        Case((T(3.0), 1.0), label="a 0-d tensor"),
        Case((T([], shape=(0, 3)), 2.0), label="an empty (0, 3) tensor"),
        Case((T(list(range(12)), "float32", shape=(3, 4), slice=[[None, None, 2], [1, None, None]]), 1e-3),
             {"dtype": tl.float64}, label="a strided slice, dtype=tl.float64"),
        Case((T([1, 2], "int64"), 2 ** 40), label="an int64 tensor and a value above 2**32"),
        Case((T([1.0, 2.0]), True), label="True into a float tensor"),
        Case((T([1, 2], "int32"), -1.5), label="-1.5 into int32 (truncation toward zero)"),
        Case((T([[1.0, 2.0], [3.0, 4.0]], permute=(1, 0)), 0), {"dtype": tl.bool},
             label="dtype=tl.bool, from a transposed input"),
    ],
    forbid=[
        "tinygrad_lessons.creation.full_like", "tinygrad_lessons.creation.full",
        "tinygrad_lessons.creation.zeros_like", "tinygrad_lessons.creation.ones_like",
        "tinygrad_lessons.creation.empty_like", "tinygrad_lessons.Tensor.new_full",
        "tinygrad_lessons.Tensor.new_ones", "tinygrad_lessons.Tensor.new_zeros",
        "tinygrad_lessons.Tensor.new_empty", "tinygrad_lessons.Tensor.fill_",
    ],
    compare={"strides": True, "rtol": 0.0, "atol": 0.0},
    hints=[
        Hint(lambda case, e, g: g.get("dtype") == "float64" and e.get("dtype") != "float64",
             "NumPy chose float64 for the Python value: give the tensor the input's dtype (or dtype= when it is "
             "given)"),
        Hint(lambda case, e, g: "dtype" in case.kwargs and g.get("dtype") == _input_dtype(case) != e.get("dtype"),
             "dtype= was given: it wins over the input's dtype"),
        Hint(lambda case, e, g: g.get("shares_input") is not None,
             "make new memory (np.full(shape, value)): filling the input's own memory changes the input"),
        Hint(lambda case, e, g: g.get("strides") not in (None, e.get("strides")) and g.get("shape") == e["shape"],
             "the result must be new row-major memory whatever the input's layout: np.full_like and .clone() keep "
             "the input's memory order, np.full(tuple(t.shape), value) does not"),
        Hint(lambda case, e, g: g.get("requires_grad") and not e["requires_grad"],
             "a tensor filled with a constant doesn't depend on the input: it starts with requires_grad=False"),
        Hint(lambda case, e, g: e["kind"] == "tensor" and not e["dtype"].startswith("float")
             and e["dtype"] != "bool" and g.get("dtype") == e["dtype"] and g.get("values") != e["values"],
             "converting a float to an integer dtype truncates toward zero: 2.7 -> 2, -1.5 -> -1"),
        Hint(lambda case, e, g: g.get("device") not in (None, e["device"]),
             "keep the input's device: pass device=t.device"),
    ],
    torch_oracle=lambda torch, t, value, dtype=None: torch.full_like(
        t, value, dtype=dtype, memory_format=torch.contiguous_format),
)


# ====================================================================== 4. shuffled_batches
def _reference_shuffled_batches(n, batch_size, generator_seed, drop_last=False):
    """Yield the indices 0..n-1 in a seeded random order, ``batch_size`` at a time."""
    g = tl.Generator().manual_seed(generator_seed)  # our own stream: the global one stays untouched
    order = tl.randperm(n, generator=g)
    for start in range(0, n, batch_size):
        batch = order[start:start + batch_size]
        if drop_last and len(batch) < batch_size:
            return
        yield batch


def _torch_shuffled_batches(torch, n, batch_size, generator_seed, drop_last=False):
    """torch's BatchSampler over *our* permutation (torch's Mersenne Twister draws other numbers)."""
    order = tl.randperm(n, generator=tl.Generator().manual_seed(generator_seed)).tolist()
    sampler = torch.utils.data.BatchSampler(order, batch_size, drop_last)
    return [torch.tensor(batch, dtype=torch.int64) for batch in sampler]


def _drop_last(case) -> bool:
    return bool(case.kwargs.get("drop_last", case.args[3] if len(case.args) > 3 else False))


SHUFFLED_BATCHES = Exercise(
    name="ch1.shuffled_batches",
    function="shuffled_batches",
    reference=_reference_shuffled_batches,
    visible=[
        Case((10, 4, 0), label="10 indices in batches of 4: the last batch has 2"),
        Case((10, 4, 0), {"drop_last": True}, label="drop_last=True drops the partial batch"),
        Case((6, 3, 1), label="6 indices in batches of 3"),
        Case((5, 2, 42), label="another seed, another order"),
    ],
    hidden=[
        Case((7, 10, 2), label="one batch, shorter than batch_size"),
        Case((7, 10, 2), {"drop_last": True}, label="nothing left when the only batch is dropped"),
        Case((0, 3, 0), label="no indices at all"),
        Case((12, 5, 123), label="12 indices in batches of 5"),
        Case((9, 3, 7), {"drop_last": True}, label="drop_last=True when every batch is full"),
        Case((1, 1, 5), label="a single index"),
        Case((20, 6, 2024), label="20 indices in batches of 6"),
    ],
    forbid=[
        "tinygrad_lessons.shape_ops.split", "tinygrad_lessons.shape_ops.chunk",
        "tinygrad_lessons.shape_ops.unbind",
    ],
    compare={"strides": False, "memory": False},
    collect=list,
    hints=[
        Hint(lambda case, e, g: not _drop_last(case) and len(_items(g)) < len(_items(e)),
             "a batch is missing: start one at every multiple of batch_size below n (range(0, n, batch_size)), "
             "and keep the last, shorter one unless drop_last=True"),
        Hint(lambda case, e, g: _drop_last(case) and len(_items(g)) == len(_items(e)) + 1,
             "drop_last=True: drop the last batch when it is shorter than batch_size"),
        Hint(lambda case, e, g: _drop_last(case) and len(_items(g)) < len(_items(e)),
             "drop_last=True drops only a *shorter* last batch: a full one stays"),
        Hint(lambda case, e, g: len(_items(g)) == len(_items(e)) and _flat_values(g) != _flat_values(e)
             and sorted(_flat_values(g)) == sorted(_flat_values(e)) and _flat_values(g) != sorted(_flat_values(g)),
             "the same indices in another order: draw the permutation once, with "
             "tl.randperm(n, generator=tl.Generator().manual_seed(generator_seed))"),
        Hint(lambda case, e, g: len(_flat_values(g)) > 1 and _flat_values(g) == sorted(_flat_values(g))
             and _flat_values(e) != _flat_values(g),
             "the indices come out in order: shuffle them with tl.randperm"),
        Hint(lambda case, e, g: any(item["kind"] != "tensor" for item in _items(g)),
             "each batch is a tensor of indices: slice the permutation, order[start:start + batch_size]"),
    ],
    torch_oracle=_torch_shuffled_batches,
)


register(INFER_DTYPE, FLOAT_LIMITS, FULL_LIKE, SHUFFLED_BATCHES)
