"""Chapter 2 — reshape: strides, contiguity, ``view``'s rule, ``permute``, broadcasting.

Every exercise here works on a tensor's *layout* — its shape and strides, plain tuples of
ints — because that is all ``view``, ``permute`` and broadcasting ever change: no value
moves. Each one is a piece the library really has:

* ``contiguous_strides`` — the strides of new row-major memory (``storage.contiguous_strides``);
* ``is_contiguous`` — ``Tensor.is_contiguous()`` (``layout.is_contiguous``);
* ``infer_shape`` — the ``-1`` of ``view``/``reshape`` (``shape_ops._infer_size``);
* ``view_strides`` — torch's ``computeStride``, the rule behind ``view`` (``shape_ops._view_strides``);
* ``permute_layout`` — what ``permute`` does to shape and strides;
* ``broadcast_shapes`` — ``tl.broadcast_shapes``.

Plug-in targets: ``infer_shape`` and ``view_strides`` (then ``tl.Tensor.view`` and ``reshape``
run on the learner's rules) and ``broadcast_shapes``. The others have no clean one: the
library imports ``contiguous_strides`` and ``is_contiguous`` by name into many modules, and
``permute``'s layout is computed by NumPy inside a graph node.

The torch oracles build a tensor with exactly the given layout (``torch.empty_strided``) and
read what torch does with it.
"""

from __future__ import annotations

from ..cases import Case
from . import Exercise, Hint, register

# ---------------------------------------------------------------------- helpers for hints (on plain data)


def _ints(plain):
    """The ints of a plain tuple/list of ints, as a tuple; None for anything else."""
    if plain.get("kind") not in ("tuple", "list"):
        return None
    items = plain["items"]
    if not all(item["kind"] == "int" for item in items):
        return None
    return tuple(item["value"] for item in items)


def _pair(plain):
    """``(shape, strides)`` from a plain pair of int tuples; None for anything else."""
    if plain.get("kind") not in ("tuple", "list") or len(plain["items"]) != 2:
        return None
    shape, strides = (_ints(item) for item in plain["items"])
    return None if shape is None or strides is None else (shape, strides)


def _is_error(plain, text: str = "") -> bool:
    return plain["kind"] == "error" and text in plain["message"]


def _is_value(plain) -> bool:
    return plain["kind"] != "error"


def _row_major(shape) -> tuple:
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step)
        step *= max(size, 1)
    return tuple(reversed(strides))


def _column_major(shape) -> tuple:
    strides, step = [], 1
    for size in shape:
        strides.append(step)
        step *= max(size, 1)
    return tuple(strides)


def _sizes_after(shape) -> tuple:
    """stride[d] = the product of shape[d:] (the size of d itself included): a classic slip."""
    out = []
    for d in range(len(shape)):
        n = 1
        for size in shape[d:]:
            n *= size
        out.append(n)
    return tuple(out)


def _dense_in_some_order(shape, strides) -> bool:
    """No gaps and no repeats, in some order of the dimensions (a transposed matrix is)."""
    expected = 1
    for d in sorted((d for d in range(len(shape)) if shape[d] != 1), key=lambda d: strides[d]):
        if strides[d] != expected:
            return False
        expected *= shape[d]
    return True


# ====================================================================== 1. contiguous_strides
def _reference_contiguous_strides(shape):
    """Row-major strides of ``shape``, in elements: the last dimension moves fastest."""
    strides = [0] * len(shape)
    step = 1  # how many elements one step along dimension d skips
    for d in range(len(shape) - 1, -1, -1):
        strides[d] = step
        step *= max(shape[d], 1)  # torch counts a size-0 dimension as 1 here
    return tuple(strides)


CONTIGUOUS_STRIDES = Exercise(
    name="ch2.contiguous_strides",
    function="contiguous_strides",
    reference=_reference_contiguous_strides,
    visible=[
        Case(((2, 3),), label="a 2 x 3 matrix: (3, 1)"),
        Case(((2, 3, 4),), label="a 2 x 3 x 4 block: (12, 4, 1)"),
        Case(((5,),), label="a vector: (1,)"),
        Case(((),), label="a 0-d tensor has no strides: ()"),
        Case(((3, 1, 2),), label="a size-1 dimension in the middle"),
        Case(((2, 0, 3),), label="a size-0 dimension counts as 1"),
    ],
    hidden=[
        Case(((4, 1),), label="a column (4, 1)"),
        Case(((1, 1, 1),), label="all ones"),
        Case(((2, 3, 0),), label="size 0 last"),
        Case(((0,),), label="an empty vector"),
        Case(((7, 2, 3, 5),), label="4 dimensions"),
        Case(((1, 4),), label="a row (1, 4)"),
        Case(((0, 0),), label="(0, 0)"),
        Case(([3, 2],), label="the shape as a list"),
    ],
    forbid=[
        "tinygrad_lessons.storage.contiguous_strides", "tinygrad_lessons.layout.strides_in_order",
        "tinygrad_lessons.creation.empty", "tinygrad_lessons.creation.zeros", "tinygrad_lessons.creation.ones",
        "tinygrad_lessons.creation.tensor"
    ],
    hints=[
        Hint(lambda case, e, g: _ints(g) == _column_major(case.args[0]) != _ints(e),
             "that is column-major (Fortran) order: in row-major order the LAST dimension moves fastest, so "
             "stride 1 belongs to the last dimension; walk the shape from the end"),
        Hint(lambda case, e, g: _ints(g) == _sizes_after(case.args[0]) != _ints(e),
             "stride[d] is the product of the sizes AFTER d, not including d itself: the last dimension's "
             "stride is 1"),
        Hint(lambda case, e, g: 0 in case.args[0] and _ints(g) is not None and 0 in _ints(g),
             "a size-0 dimension: torch multiplies by max(size, 1), so the strides before it are not 0 "
             "(NumPy would say 0)"),
        Hint(lambda case, e, g: _ints(g) is None and g["kind"] != "error",
             "return a tuple of Python ints, one per dimension"),
    ],
    torch_oracle=lambda torch, shape: torch.empty(shape).stride(),
)


# ====================================================================== 2. is_contiguous
def _reference_is_contiguous(shape, strides):
    """Whether a tensor of this shape and these strides is row-major (torch's ``is_contiguous()``)."""
    if 0 in shape:  # no elements: nothing is out of place
        return True
    expected = 1
    for size, stride in zip(reversed(shape), reversed(strides)):
        if size == 1:  # a step along a size-1 dimension never happens: its stride is free
            continue
        if stride != expected:
            return False
        expected *= size
    return True


IS_CONTIGUOUS = Exercise(
    name="ch2.is_contiguous",
    function="is_contiguous",
    reference=_reference_is_contiguous,
    visible=[
        Case(((2, 3), (3, 1)), label="a fresh 2 x 3 matrix"),
        Case(((3, 2), (1, 3)), label="its transpose: shape (3, 2), strides (1, 3)"),
        Case(((2, 3), (4, 1)), label="x[:, :3] of a 2 x 4 matrix: a gap after every row"),
        Case(((4,), (2,)), label="x[::2]: every other element"),
        Case(((2, 1, 3), (3, 7, 1)), label="a size-1 dimension with an odd stride"),
        Case(((4,), (0,)), label="an expanded vector: stride 0"),
        Case(((), ()), label="a 0-d tensor"),
        Case(((0, 3), (1, 5)), label="no elements at all"),
    ],
    hidden=[
        Case(((1,), (5,)), label="one element, stride 5"),
        Case(((1, 1), (9, 9)), label="1 x 1 with odd strides"),
        Case(((2, 3, 4), (12, 4, 1)), label="a fresh 2 x 3 x 4 block"),
        Case(((2, 3, 4), (12, 1, 3)), label="the last two dims swapped"),
        Case(((3, 1), (1, 1)), label="a column"),
        Case(((1, 3), (3, 1)), label="a row"),
        Case(((1, 3), (1, 3)), label="a row whose elements are 3 apart"),
        Case(((2, 0), (0, 0)), label="(2, 0), all strides 0"),
        Case(((2, 2), (2, 0)), label="a row repeated: (2, 0)"),
        Case(((5,), (1,)), label="a plain vector"),
        Case(((3, 4), (8, 2)), label="every other row and column"),
        Case(((2, 3), (1, 2)), label="a transposed 3 x 2 matrix"),
    ],
    forbid=["tinygrad_lessons.layout.is_contiguous", "tinygrad_lessons.Tensor.is_contiguous",
            "tinygrad_lessons.layout.is_non_overlapping_and_dense"],
    hints=[
        Hint(lambda case, e, g: e["value"] is True and g.get("value") is False and 0 in case.args[0],
             "a tensor with no elements is contiguous whatever its strides say: there is nothing out of place"),
        Hint(lambda case, e, g: e["value"] is True and g.get("value") is False and 1 in case.args[0],
             "size-1 dimensions don't count: one step along them never happens, so their stride can be anything"),
        Hint(lambda case, e, g: e["value"] is False and g.get("value") is True
             and _dense_in_some_order(*case.args),
             "these elements do fill memory without gaps, but not row by row: contiguous means the LAST dimension "
             "moves fastest (stride 1) and each stride is the product of the sizes after it"),
        Hint(lambda case, e, g: e["value"] is False and g.get("value") is True
             and not _dense_in_some_order(*case.args),
             "contiguous means no gaps and no repeats either: each stride must be exactly the product of the sizes "
             "after it (x[:, :3] of a 2 x 4 matrix has strides (4, 1): a gap of one element after every row)"),
        Hint(lambda case, e, g: g["kind"] not in ("bool", "error"),
             "return True or False"),
    ],
    torch_oracle=lambda torch, shape, strides: torch.empty_strided(shape, strides).is_contiguous(),
)


# ====================================================================== 3. infer_shape
def _reference_infer_shape(shape, numel):
    """``shape`` with its ``-1`` (at most one) replaced by the size that makes it hold ``numel`` elements."""
    known, inferred = 1, None
    for i, size in enumerate(shape):
        if size == -1:
            if inferred is not None:
                raise RuntimeError("only one dimension can be inferred")
            inferred = i
        elif size >= 0:
            known *= size
        else:
            raise RuntimeError(f"invalid shape dimension {size} at index {i} of shape {list(shape)}")
    if inferred is None:
        if known == numel:
            return tuple(shape)
    elif known == 0:
        if numel == 0:  # 0 * anything == 0: the -1 could be any size
            raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {list(shape)} because the "
                               "unspecified dimension size -1 can be any value and is ambiguous")
    elif numel % known == 0:
        return tuple(shape[:inferred]) + (numel // known,) + tuple(shape[inferred + 1:])
    raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")


def _torch_infer_shape(torch, shape, numel):
    return tuple(torch.empty(numel).view(shape).shape)


def _minus_ones(case) -> int:
    return sum(1 for s in case.args[0] if s == -1)


INFER_SHAPE = Exercise(
    name="ch2.infer_shape",
    function="infer_shape",
    reference=_reference_infer_shape,
    visible=[
        Case(((2, -1), 6), label="(2, -1) for 6 elements -> (2, 3)"),
        Case(((-1,), 6), label="(-1,) flattens: (6,)"),
        Case(((3, 2), 6), label="no -1: the shape as it is"),
        Case(((-1, 2, 2), 12), label="-1 first: (3, 2, 2)"),
        Case(((4, -1), 6), label="4 doesn't divide 6: error"),
        Case(((2, 3), 5), label="no -1, wrong number of elements: error"),
        Case(((-1, -1), 6), label="two -1: error"),
        Case(((0, -1), 0), label="0 elements and a 0 among the sizes: -1 is ambiguous"),
    ],
    hidden=[
        Case(((-1, 5), 0), label="0 elements: (-1, 5) -> (0, 5)"),
        Case(((-1,), 1), label="one element, flattened"),
        Case(((), 1), label="one element as a 0-d tensor"),
        Case(((), 6), label="6 elements into (): error"),
        Case(((-1, 1, 1), 4), label="(-1, 1, 1) for 4 elements"),
        Case(((1, -1, 1), 0), label="(1, -1, 1) for 0 elements"),
        Case(((-2, 3), 6), label="a negative size other than -1"),
        Case(((2, -1), 7), label="7 elements don't fill rows of 2"),
        Case(((-1, 0), 0), label="(-1, 0) for 0 elements: ambiguous"),
        Case(((3, -1, -1), 12), label="two -1 after a 3"),
        Case(((-1, -1, -2), 6), label="two -1 before a -2"),
        Case(([2, -1, 3], 24), label="the shape as a list"),
    ],
    forbid=["tinygrad_lessons.shape_ops._infer_size", "tinygrad_lessons.Tensor.view",
            "tinygrad_lessons.Tensor.reshape", "tinygrad_lessons.shape_ops.reshape",
            "tinygrad_lessons.Tensor.unflatten", "tinygrad_lessons.Tensor.view_as",
            "tinygrad_lessons.Tensor.reshape_as"],
    compare={"messages": True},
    hints=[
        Hint(lambda case, e, g: _is_error(e, "only one dimension") and not _is_error(g, "only one"),
             "at most one -1: raise RuntimeError('only one dimension can be inferred') when you meet a second one"),
        Hint(lambda case, e, g: _is_error(e, "is invalid for input of size") and _is_value(g),
             "the sizes must hold exactly numel elements: when numel is not a multiple of the known sizes' product "
             "(or, without -1, not equal to it), raise RuntimeError(f\"shape '{list(shape)}' is invalid for input "
             "of size {numel}\")"),
        Hint(lambda case, e, g: _is_error(e, "ambiguous") and not _is_error(g, "ambiguous"),
             "when a known size is 0 and numel is 0, any size fits the -1: torch refuses, with RuntimeError("
             "f'cannot reshape tensor of 0 elements into shape {list(shape)} because the unspecified dimension size "
             "-1 can be any value and is ambiguous')"),
        Hint(lambda case, e, g: _is_error(e, "invalid shape dimension") and not _is_error(g, "invalid shape"),
             "only -1 may be negative: raise RuntimeError(f'invalid shape dimension {size} at index {i} of shape "
             "{list(shape)}')"),
        Hint(lambda case, e, g: _minus_ones(case) == 1 and _ints(g) is not None and any(s < 0 for s in _ints(g)),
             "leave the -1 out of the product of the known sizes, and put the inferred size in its place"),
        Hint(lambda case, e, g: g["kind"] == "error" and g["type"] == "ZeroDivisionError",
             "a known size of 0 makes the product 0: test for that before dividing"),
        Hint(lambda case, e, g: e["kind"] == "error" and g["kind"] == "error" and e["type"] == g["type"]
             and e["message"] != g["message"],
             "use torch's words exactly (they are above the exercise), with the shape written as a list, as "
             "list(shape) prints it: [4, -1], not (4, -1)"),
        Hint(lambda case, e, g: g["kind"] not in ("tuple", "list", "error"),
             "return the shape as a tuple of ints"),
    ],
    plug_in="tinygrad_lessons.shape_ops._infer_size",
    adapt=lambda mine, original: lambda shape, numel: tuple(mine(shape, numel)),
    torch_oracle=_torch_infer_shape,
)


# ====================================================================== 4. view_strides
_VIEW_ERROR = ("view size is not compatible with input tensor's size and stride (at least one dimension spans "
               "across two contiguous subspaces). Use .reshape(...) instead.")


def _reference_view_strides(shape, strides, new_shape):
    """The strides that show a tensor's elements in ``new_shape`` without copying (torch's computeStride).

    Walk the old dimensions from the last one and cut them into *chunks*: runs of dimensions
    that are contiguous with each other (each one's stride is the next one's stride times
    that one's size). Inside a chunk the elements are evenly spaced, ``base`` apart, so any
    regrouping of them is a view; a new dimension that would cross from one chunk into the
    next is not. Size-1 dimensions fit anywhere.
    """
    numel = 1
    for size in shape:
        numel *= size
    if numel == 0:  # no elements: any strides do; torch keeps the old ones or makes row-major ones
        if tuple(shape) == tuple(new_shape):
            return tuple(strides)
        return _reference_contiguous_strides(new_shape)
    if len(shape) == 0:  # one element: every new dimension has size 1
        return (1,) * len(new_shape)
    new_strides = [0] * len(new_shape)
    view_d = len(new_shape) - 1  # the next new dimension to give a stride, from the last
    base = strides[-1]  # the stride of the current chunk's innermost dimension
    chunk_numel = view_numel = 1
    for d in range(len(shape) - 1, -1, -1):
        chunk_numel *= shape[d]
        chunk_ends = d == 0 or (shape[d - 1] != 1 and strides[d - 1] != chunk_numel * base)
        if chunk_ends:
            # give the new dimensions that fit in this chunk their strides, innermost first
            while view_d >= 0 and (view_numel < chunk_numel or new_shape[view_d] == 1):
                new_strides[view_d] = view_numel * base
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != chunk_numel:  # a new dimension straddles two chunks
                raise RuntimeError(_VIEW_ERROR)
            if d > 0:
                base = strides[d - 1]
                chunk_numel = view_numel = 1
    if view_d != -1:
        raise RuntimeError(_VIEW_ERROR)
    return tuple(new_strides)


def _torch_view_strides(torch, shape, strides, new_shape):
    return torch.empty_strided(shape, strides).view(new_shape).stride()


def _adapt_view_strides(mine, original):
    """The library asks ``_view_strides(shape, strides, new_shape)`` for strides, or None when no view exists."""

    def view_strides(shape, strides, new_shape):
        try:
            return tuple(mine(tuple(shape), tuple(strides), tuple(new_shape)))
        except RuntimeError:
            return None

    view_strides.__doc__ = mine.__doc__
    return view_strides


def _contiguous_case(case) -> bool:
    return _reference_is_contiguous(case.args[0], case.args[1])


def _only_size_one_strides_differ(case, e, g) -> bool:
    """The strides are right except those of size-1 dimensions of the new shape."""
    want, have = _ints(e), _ints(g)
    if want is None or have is None or len(want) != len(have) or want == have:
        return False
    return all(case.args[2][i] == 1 for i in range(len(want)) if want[i] != have[i])


VIEW_STRIDES = Exercise(
    name="ch2.view_strides",
    function="view_strides",
    reference=_reference_view_strides,
    visible=[
        Case(((2, 3), (3, 1), (3, 2)), label="contiguous (2, 3) viewed as (3, 2)"),
        Case(((2, 3, 4), (12, 4, 1), (6, 4)), label="contiguous (2, 3, 4) viewed as (6, 4)"),
        Case(((3, 2), (1, 3), (6,)), label="a transposed (2, 3) flattened: impossible"),
        Case(((3, 2), (1, 3), (3, 2, 1)), label="a transposed (2, 3) with a size-1 dim added"),
        Case(((3, 2), (4, 1), (6,)), label="x[:, :2] of a 3 x 4 matrix, flattened: impossible"),
        Case(((3, 2), (4, 1), (3, 1, 2)), label="x[:, :2] of a 3 x 4 matrix as (3, 1, 2)"),
        Case(((3, 2, 4), (4, 12, 1), (3, 2, 2, 2)), label="(2, 3, 4).transpose(0, 1), last dim split in two"),
        Case(((3, 2, 4), (4, 12, 1), (3, 8)), label="(2, 3, 4).transpose(0, 1), last two dims merged: impossible"),
        Case(((4,), (2,), (2, 2)), label="x[::2] (stride 2) as (2, 2)"),
        Case(((2, 1, 3), (3, 7, 1), (6,)), label="a size-1 dim with an odd stride doesn't break the chunk"),
    ],
    hidden=[
        Case(((), (), (1, 1)), label="a 0-d tensor as (1, 1)"),
        Case(((1,), (1,), ()), label="one element as a 0-d tensor"),
        Case(((6,), (1,), (1, 6)), label="(6,) as (1, 6)"),
        Case(((6,), (1,), (6, 1)), label="(6,) as (6, 1)"),
        Case(((4, 3), (1, 4), (2, 2, 3)), label="a transposed (3, 4): the first dim split"),
        Case(((4, 3), (1, 4), (12,)), label="a transposed (3, 4) flattened: impossible"),
        Case(((2, 3, 4), (12, 4, 1), (24,)), label="contiguous (2, 3, 4) flattened"),
        Case(((2, 3, 4), (12, 4, 1), (2, 12)), label="contiguous (2, 3, 4) as (2, 12)"),
        Case(((3, 4), (0, 1), (12,)), label="an expanded (3, 4) flattened: impossible"),
        Case(((3, 4), (0, 1), (3, 2, 2)), label="an expanded (3, 4) with its rows split"),
        Case(((0, 3), (3, 1), (3, 0)), label="no elements, a new shape: row-major strides"),
        Case(((0, 3), (3, 1), (0, 3)), label="no elements, the same shape: the old strides"),
        Case(((2, 3), (3, 1), (2, 3)), label="the same shape"),
        Case(((2, 2, 3), (12, 6, 2), (4, 3)), label="every other column of (2, 2, 6), first dims merged"),
        Case(((2, 2, 3), (12, 6, 2), (2, 6)), label="every other column of (2, 2, 6), last dims merged: impossible"),
        Case(((5, 1, 1), (1, 5, 5), (1, 5)), label="(5, 1, 1) with odd size-1 strides as (1, 5)"),
        Case(((2, 3), (3, 1), (1, 2, 1, 3, 1)), label="size-1 dims sprinkled in"),
        Case(((2, 1, 1), (1, 2, 2), (2, 1)), label="(2, 1, 1) as (2, 1): a size-1 dim's stride, torch's way"),
        Case(((3, 1), (2, 4), (1, 3, 1)), label="(3, 1) with strides (2, 4) as (1, 3, 1)"),
    ],
    forbid=["tinygrad_lessons.shape_ops._view_strides", "tinygrad_lessons.Tensor.view",
            "tinygrad_lessons.Tensor.reshape", "tinygrad_lessons.shape_ops.reshape",
            "tinygrad_lessons.shape_ops.flatten", "tinygrad_lessons.Tensor.unflatten",
            "tinygrad_lessons.Tensor.view_as", "tinygrad_lessons.Tensor.reshape_as"],
    compare={"messages": True},
    hints=[
        Hint(lambda case, e, g: _is_error(e, "spans across") and _is_value(g),
             "no single stride can walk these elements: when a new dimension would have to cross from one chunk of "
             "contiguous dimensions into the next, raise RuntimeError with torch's message"),
        Hint(lambda case, e, g: _is_value(e) and _is_error(g) and not _contiguous_case(case),
             "a non-contiguous tensor can still be viewed: old dimensions that are contiguous with each other (a "
             "chunk) can be regrouped freely, and dimensions that stay whole keep their strides"),
        Hint(lambda case, e, g: _is_value(e) and _is_error(g) and 1 in case.args[0],
             "size-1 dimensions never end a chunk (a step along them never happens): skip them when you compare "
             "strides"),
        Hint(lambda case, e, g: _is_value(e) and _ints(g) is not None and _ints(g) == _row_major(case.args[2])
             != _ints(e) and not _only_size_one_strides_differ(case, e, g),
             "the new strides come from the input's strides (each chunk's innermost stride, times the elements "
             "inside it), not from contiguous_strides(new_shape)"),
        Hint(lambda case, e, g: _is_value(e) and _ints(g) is not None and _ints(g) != _ints(e)
             and _ints(g) != _row_major(case.args[2]) and not _only_size_one_strides_differ(case, e, g),
             "within a chunk, a new dimension's stride is (the number of elements of the new dimensions after it in "
             "the chunk) x (the chunk's innermost stride, e.g. 2 for x[::2])"),
        Hint(_only_size_one_strides_differ,
             "a new size-1 dimension gets a stride too, and torch computes it like any other one: (the number of "
             "elements of the new dimensions after it in the chunk) x (the chunk's innermost stride); NumPy's "
             "reshape chooses differently"),
        Hint(lambda case, e, g: e["kind"] == "error" and g["kind"] == "error" and e["type"] == g["type"]
             and e["message"] != g["message"],
             "use torch's words exactly: \"view size is not compatible with input tensor's size and stride (at "
             "least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.\""),
        Hint(lambda case, e, g: _is_value(e) and g["kind"] not in ("tuple", "list", "error"),
             "return the strides as a tuple of ints"),
    ],
    plug_in="tinygrad_lessons.shape_ops._view_strides",
    adapt=_adapt_view_strides,
    torch_oracle=_torch_view_strides,
)


# ====================================================================== 5. permute_layout
def _reference_permute_layout(shape, strides, dims):
    """``(shape, strides)`` of ``t.permute(dims)`` for a tensor with this shape and these strides."""
    ndim = len(shape)
    if len(dims) != ndim:
        raise RuntimeError(f"permute: the tensor has {ndim} dimensions but dims has {len(dims)}")
    wrapped = []
    for d in dims:
        if not -ndim <= d < ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {d})")
        d = d % ndim  # -1 is the last dimension
        if d in wrapped:
            raise RuntimeError("permute(): duplicate dims are not allowed.")
        wrapped.append(d)
    # result dimension i IS input dimension wrapped[i]: its size and its stride move together
    return tuple(shape[d] for d in wrapped), tuple(strides[d] for d in wrapped)


def _torch_permute_layout(torch, shape, strides, dims):
    result = torch.empty_strided(shape, strides).permute(dims)
    return tuple(result.shape), result.stride()


def _inverse_layout(case):
    shape, strides, dims = case.args
    ndim = len(shape)
    out_shape, out_strides = [0] * ndim, [0] * ndim
    for i, d in enumerate(dims):
        out_shape[d % ndim], out_strides[d % ndim] = shape[i], strides[i]
    return tuple(out_shape), tuple(out_strides)


PERMUTE_LAYOUT = Exercise(
    name="ch2.permute_layout",
    function="permute_layout",
    reference=_reference_permute_layout,
    visible=[
        Case(((2, 3), (3, 1), (1, 0)), label="transpose a 2 x 3 matrix"),
        Case(((2, 3, 4), (12, 4, 1), (2, 0, 1)), label="(2, 3, 4) permuted (2, 0, 1)"),
        Case(((2, 3, 4), (12, 4, 1), (-1, 0, 1)), label="negative dims: (-1, 0, 1)"),
        Case(((3, 2), (1, 3), (1, 0)), label="a transposed matrix transposed back"),
        Case(((2, 3), (3, 1), (0, 0)), label="a dim listed twice: RuntimeError"),
        Case(((2, 3), (3, 1), (0,)), label="too few dims: RuntimeError"),
        Case(((2, 3), (3, 1), (0, 2)), label="dim 2 of a 2-d tensor: IndexError"),
    ],
    hidden=[
        Case(((), (), ()), label="a 0-d tensor"),
        Case(((5,), (1,), (0,)), label="a vector"),
        Case(((2, 3, 4), (12, 4, 1), (1, 2, 0)), label="(2, 3, 4) permuted (1, 2, 0)"),
        Case(((2, 3, 4, 5), (60, 20, 5, 1), (0, 2, 1, 3)), label="4-d, the middle two swapped"),
        Case(((2, 3), (1, 2), (-1, -2)), label="both dims negative"),
        Case(((2, 3, 4), (12, 4, 1), (0, 1, -1)), label="the identity, written with -1"),
        Case(((2, 3), (3, 1), (1, -1)), label="1 and -1 are the same dim: RuntimeError"),
        Case(((2, 3), (3, 1), (0, -3)), label="-3 on a 2-d tensor: IndexError"),
        Case(((2, 3), (3, 1), (0, 1, 2)), label="too many dims: RuntimeError"),
        Case(((4, 1), (1, 1), (1, 0)), label="a column turned into a row"),
        Case(((3, 4), (8, 2), (1, 0)), label="a strided slice, transposed"),
        Case(((2, 3, 4), (1, 8, 2), (2, 1, 0)), label="a permuted input, permuted again"),
    ],
    forbid=["tinygrad_lessons.shape_ops.permute", "tinygrad_lessons.shape_ops.transpose",
            "tinygrad_lessons.shape_ops.t", "tinygrad_lessons.shape_ops.movedim",
            "tinygrad_lessons.shape_ops.swapaxes", "tinygrad_lessons.shape_ops.swapdims",
            "tinygrad_lessons.shape_ops.moveaxis"],
    hints=[
        Hint(lambda case, e, g: _pair(g) is not None and _pair(g) == _inverse_layout(case) != _pair(e),
             "result dimension i IS input dimension dims[i]: new_shape[i] = shape[dims[i]] (you put input "
             "dimension i at position dims[i]: that is the inverse permutation)"),
        Hint(lambda case, e, g: _pair(g) is not None and _pair(e) is not None and _pair(g)[0] == _pair(e)[0]
             and _pair(g)[1] != _pair(e)[1],
             "no element moves in memory: each dimension takes its stride along with its size, "
             "new_strides[i] = strides[dims[i]]"),
        Hint(lambda case, e, g: _is_error(e) and _is_value(g) and len(case.args[2]) != len(case.args[0]),
             "dims must name every dimension exactly once: raise RuntimeError when len(dims) != len(shape)"),
        Hint(lambda case, e, g: _is_error(e) and _is_value(g) and len(case.args[2]) == len(case.args[0]),
             "a dim listed twice (after wrapping: -1 and 1 are the same dim of a 2-d tensor) is an error: "
             "raise RuntimeError('permute(): duplicate dims are not allowed.')"),
        Hint(lambda case, e, g: e["kind"] == "error" and g["kind"] == "error" and e["type"] != g["type"],
             "torch's error types: a dim outside [-ndim, ndim - 1] is an IndexError; a wrong number of dims or a "
             "repeated dim is a RuntimeError"),
        Hint(lambda case, e, g: _is_value(e) and _pair(g) is None and g["kind"] != "error",
             "return a pair of tuples: (new_shape, new_strides)"),
    ],
    torch_oracle=_torch_permute_layout,
)


# ====================================================================== 6. broadcast_shapes
def _reference_broadcast_shapes(*shapes):
    """The shape that tensors of these shapes broadcast to (an int is a 1-d shape), with torch's error."""
    shapes = [(s,) if isinstance(s, int) else s for s in shapes]
    result = [1] * max((len(s) for s in shapes), default=0)
    for index, s in enumerate(shapes):
        for i in range(-1, -len(s) - 1, -1):  # line the shapes up from the right
            if s[i] == result[i] or s[i] == 1:
                continue
            if result[i] == 1:  # a size-1 dimension stretches (to 0 too)
                result[i] = s[i]
            else:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {s[i]} at {i}! Mismatching "
                                   f"argument at index {index} had {s}; but expected shape should be broadcastable "
                                   f"to {result}")
    return tuple(result)


def _adapt_broadcast_shapes(mine, original):
    """``tl.broadcast_shapes`` returns a ``tl.Size`` and also skips ``None`` and checks types: the library
    keeps those parts."""
    from ...size import Size

    def broadcast_shapes(*shapes):
        if any(s is None or not isinstance(s, (int, tuple, list)) for s in shapes):
            return original(*shapes)
        return Size(mine(*shapes))

    broadcast_shapes.__doc__ = mine.__doc__
    return broadcast_shapes


BROADCAST_SHAPES = Exercise(
    name="ch2.broadcast_shapes",
    function="broadcast_shapes",
    reference=_reference_broadcast_shapes,
    visible=[
        Case(((2, 3), (3,)), label="(2, 3) and (3,) -> (2, 3)"),
        Case(((4, 1), (3,)), label="(4, 1) and (3,) -> (4, 3)"),
        Case(((5, 1, 4), (3, 1)), label="(5, 1, 4) and (3, 1) -> (5, 3, 4)"),
        Case(((), (2, 2)), label="a 0-d shape and (2, 2)"),
        Case(((3, 1), (1, 4), (2, 1, 1)), label="three shapes"),
        Case((3, (2, 1)), label="an int is a 1-d shape"),
        Case(((2, 3), (2,)), label="(2, 3) and (2,): error"),
    ],
    hidden=[
        Case(((0,), (1,)), label="a size-1 dim stretches to 0"),
        Case(((0,), (3,)), label="(0,) and (3,): error"),
        Case((), label="no shapes at all"),
        Case(((2, 3),), label="one shape"),
        Case(((1,), (1, 1, 1)), label="all ones"),
        Case(((2, 3), (4, 5)), label="(2, 3) and (4, 5): error"),
        Case(((3, 1), (1, 4), (2, 2, 1)), label="three shapes, the third doesn't fit"),
        Case(([2, 1], (1, 3)), label="a list and a tuple"),
        Case(((1, 3), (2, 1), (4, 1, 1)), label="every dimension stretched"),
        Case(((8, 1, 6, 1), (7, 1, 5)), label="NumPy's example: (8, 7, 6, 5)"),
        Case(((2, 1), (8, 4, 3)), label="(2, 1) and (8, 4, 3): error"),
    ],
    forbid=["tinygrad_lessons.shape_ops.broadcast_shapes", "tinygrad_lessons.size.infer_size",
            "tinygrad_lessons.shape_ops.broadcast_tensors", "tinygrad_lessons.shape_ops.broadcast_to",
            "tinygrad_lessons.shape_ops.expand", "tinygrad_lessons.Tensor.expand",
            "tinygrad_lessons.Tensor.expand_as"],
    compare={"messages": True},
    hints=[
        Hint(lambda case, e, g: _is_value(e) and _is_error(g)
             and len({len(s) if isinstance(s, (tuple, list)) else 1 for s in case.args}) > 1,
             "line the shapes up from the RIGHT: the last dimensions meet, and a missing leading dimension counts "
             "as size 1"),
        Hint(lambda case, e, g: _is_error(e) and _is_value(g),
             "sizes that differ when neither is 1 can't broadcast: raise RuntimeError with torch's message"),
        Hint(lambda case, e, g: _ints(g) is not None and _ints(e) is not None and 0 in _ints(e)
             and 0 not in _ints(g),
             "a size-1 dimension stretches to the other size, even to 0: the result is not the max of the sizes"),
        Hint(lambda case, e, g: e["kind"] == "error" and g["kind"] == "error" and e["type"] == g["type"]
             and e["message"] != g["message"],
             "use torch's words exactly: f'Attempting to broadcast a dimension of length {s[i]} at {i}! Mismatching "
             "argument at index {index} had {s}; but expected shape should be broadcastable to {result}' — i counts "
             "from the right (-1 is the last dim), index is the position of the shape among the arguments, s is "
             "that shape as given (an int as a 1-tuple), result is the list built so far"),
        Hint(lambda case, e, g: e["kind"] == "error" and g["kind"] == "error" and e["type"] != g["type"],
             "torch raises RuntimeError here (NumPy's np.broadcast_shapes raises ValueError, with other words)"),
        Hint(lambda case, e, g: _is_value(e) and g["kind"] not in ("tuple", "list", "error"),
             "return the shape as a tuple of ints"),
    ],
    plug_in="tinygrad_lessons.shape_ops.broadcast_shapes",
    adapt=_adapt_broadcast_shapes,
    torch_oracle=lambda torch, *shapes: torch.broadcast_shapes(*shapes),
)


register(CONTIGUOUS_STRIDES, IS_CONTIGUOUS, PERMUTE_LAYOUT, INFER_SHAPE, VIEW_STRIDES, BROADCAST_SHAPES)
