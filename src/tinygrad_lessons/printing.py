"""Printing: ``repr(tensor)`` exactly the way PyTorch prints it.

Why copy torch's layout to the character? A learner runs the same lines in both
libraries and holds the outputs side by side; any difference should mean a
difference in the *values*, never in the printing. So this module follows the
rules of ``torch/_tensor_str.py`` (only ``torch.`` in dtype names reads ``tl.``).

How a tensor is printed, step by step:

1. **Summarize** big tensors: when there are more than ``threshold`` (1000)
   elements, every dimension longer than ``2 * edgeitems`` shows only its first
   and last ``edgeitems`` (3) entries, with ``...`` in between.
2. **One formatter for the whole tensor** (``_Formatter``): it looks at the
   values that will be shown, picks one mode for all of them and the width of
   the widest, so the columns line up.
3. **Lay out** the values in nested brackets, wrapping long rows at
   ``linewidth`` (80) characters and leaving blank lines between the blocks of
   3-D and higher tensors.
4. **Suffixes** say what the values cannot: ``dtype=`` when it is not the one
   the values imply, ``size=`` for empty tensors, ``device=``, ``grad_fn=`` or
   ``requires_grad=True``.

``set_printoptions`` changes the knobs, as ``torch.set_printoptions`` does.
"""

from __future__ import annotations

import math

import numpy as np

from . import dtypes
from .backend import to_host
from .tensor import Tensor

__all__ = ["set_printoptions", "get_printoptions"]


# ---------------------------------------------------------------------- options
class _PrintOptions:
    """The current printing knobs; ``set_printoptions`` changes them."""

    def __init__(self):
        self.precision = 4  # digits after the decimal point
        self.threshold = 1000  # more elements than this: summarize
        self.edgeitems = 3  # entries kept at each end of a summarized dimension
        self.linewidth = 80  # characters per line before a row wraps
        self.sci_mode = None  # None: decide per tensor; True/False: force it


PRINT_OPTS = _PrintOptions()

#: torch's named presets: ``set_printoptions(profile="short")``.
_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """Change how tensors print, as ``torch.set_printoptions`` does.

    ``profile`` ("default", "short" or "full") sets the first four knobs at once;
    the other arguments then override it. ``sci_mode`` is *always* set, so calling
    this without it goes back to choosing scientific notation automatically.
    """
    if profile is not None:
        for name, value in _PROFILES.get(profile, {}).items():
            setattr(PRINT_OPTS, name, value)
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict:
    """The current knobs as a dict that ``set_printoptions(**options)`` accepts back."""
    return dict(vars(PRINT_OPTS))


# ---------------------------------------------------------------------- one formatter per tensor
class _Formatter:
    """Writes every element of one tensor in one shared mode and width.

    Integers and bools print as Python prints them. Floats use one of three modes,
    chosen from the finite, nonzero values shown (zeros, nan and inf don't vote):

    * **integer mode** when they all are whole numbers: ``1.``, ``-20.`` (the dot
      says "float"; ``nan`` and ``inf`` get no dot);
    * **scientific mode** ``1.0000e+10`` when the largest magnitude is above 1e8,
      the smallest below 1e-4, or they differ by more than a factor of 1000
      (``set_printoptions(sci_mode=...)`` forces it on or off);
    * otherwise **fixed mode** with ``precision`` (4) decimals: ``0.5000``.

    The width is that of the longest text among those values, and every element
    is right-aligned to it, so the columns line up.
    """

    def __init__(self, values: np.ndarray, is_floating: bool):
        self.is_floating = is_floating
        self.precision = PRINT_OPTS.precision
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        if not is_floating:
            self.width = max([1] + [len(str(v)) for v in values.tolist()])
            return
        finite = values[np.isfinite(values) & (values != 0)]
        if finite.size == 0:
            return  # only zeros, nan and inf: integer mode, width 1
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        smallest, largest = float(np.abs(finite).min()), float(np.abs(finite).max())
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = largest > 1e8 or smallest < 1e-4 or largest / smallest > 1000.0
        else:
            self.sci_mode = PRINT_OPTS.sci_mode
        # integer mode counts one more character for the dot it appends
        extra = 1 if self.int_mode and not self.sci_mode else 0
        self.width = max(self.width, max(len(self._text(v)) for v in finite.tolist()) + extra)

    def _text(self, value) -> str:
        """``value`` written in this formatter's mode, before padding."""
        if not self.is_floating:
            return str(value)
        if self.sci_mode:
            return f"{value:.{self.precision}e}"
        if self.int_mode:
            return f"{value:.0f}"
        return f"{value:.{self.precision}f}"

    def format(self, value) -> str:
        """``value`` as it appears in the tensor: in this mode, right-aligned to the shared width."""
        text = self._text(value)
        if self.is_floating and self.int_mode and not self.sci_mode and math.isfinite(value):
            text += "."
        return text.rjust(self.width)


# ---------------------------------------------------------------------- the bracketed values
def _host_values(data, is_floating: bool) -> np.ndarray:
    """The values (a NumPy array on the CPU); floats (half types too) widen exactly to float64."""
    return data.astype(np.float64) if is_floating else data


def _edges(data, edgeitems: int):
    """Keep only the first and last ``edgeitems`` entries of every dimension longer than twice that."""
    for axis, size in enumerate(data.shape):
        if size > 2 * edgeitems:
            keep = list(range(edgeitems)) + list(range(size - edgeitems, size))
            data = data.take(keep, axis=axis)
    return data


def _vector_str(values: list, size: int, indent: int, summarize: bool, formatter: _Formatter) -> str:
    """One row, ``[1, 2, 3]``, wrapped after as many elements as fit in the line width.

    Every element takes ``width + 2`` characters (the ``", "`` after it) and the
    row starts ``indent`` characters in; continuation lines line up under the ``[``.
    """
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / (formatter.width + 2)))
    items = [formatter.format(v) for v in values]
    if summarize and size > 2 * PRINT_OPTS.edgeitems:
        items.insert(PRINT_OPTS.edgeitems, " ...")
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _block_str(values, shape: tuple, indent: int, summarize: bool, formatter: _Formatter) -> str:
    """Nested brackets for ``values`` (nested lists) of the given original ``shape``.

    Sub-blocks are separated by a comma and ``ndim - 1`` newlines: rows of a matrix
    sit on consecutive lines, matrices of a 3-D tensor have one blank line between
    them, and so on. Each level of nesting moves the content one column right.
    """
    if len(shape) == 0:
        return formatter.format(values)
    if len(shape) == 1:
        return _vector_str(values, shape[0], indent, summarize, formatter)
    blocks = [_block_str(v, shape[1:], indent + 1, summarize, formatter) for v in values]
    if summarize and shape[0] > 2 * PRINT_OPTS.edgeitems:
        blocks.insert(PRINT_OPTS.edgeitems, "...")
    return "[" + ("," + "\n" * (len(shape) - 1) + " " * (indent + 1)).join(blocks) + "]"


def _values_str(t: Tensor, indent: int) -> str:
    """The bracketed values of a non-empty tensor whose text starts ``indent`` columns in."""
    data = to_host(t._data)  # printing reads every value: a GPU tensor is copied to the host first
    summarize = data.size > PRINT_OPTS.threshold
    if summarize:
        if not PRINT_OPTS.edgeitems and data.ndim:
            return "[...]"
        data = _edges(data, PRINT_OPTS.edgeitems)
    is_floating = t.dtype.is_floating_point
    values = _host_values(data, is_floating)
    formatter = _Formatter(values.reshape(-1), is_floating)
    return _block_str(values.tolist(), t._data.shape, indent, summarize, formatter)


# ---------------------------------------------------------------------- suffixes and the whole repr
def _suffixes(t: Tensor) -> list:
    """What the values alone don't tell, in torch's order.

    * ``device='cuda:0'`` for a tensor that is not on the CPU;
    * ``size=(0, 3)`` for an empty tensor that is not 1-D (``[]`` alone can't show
      its shape), and for every tensor when ``edgeitems`` is 0;
    * ``dtype=tl.int32`` unless ``tl.tensor()`` would infer the dtype from the printed
      values (the default float dtype, int64 or bool); an empty tensor has no values,
      so it shows any dtype but the default float one;
    * ``grad_fn=<MulBackward0>`` for a result of autograd, else ``requires_grad=True``
      for a leaf that requires grad.
    """
    suffixes = []
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    default = dtypes.get_default_dtype()
    if t._data.size == 0:
        # no values to show the shape or to hint at the dtype: say both
        if t._data.ndim != 1:
            suffixes.append(f"size={tuple(t._data.shape)}")
        if t.dtype is not default:
            suffixes.append(f"dtype={t.dtype!r}")
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(t._data.shape)}")
        # the default float, int64 and bool are what tl.tensor() infers from such values
        if t.dtype not in (default, dtypes.int64, dtypes.bool):
            suffixes.append(f"dtype={t.dtype!r}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{_node_name(t.grad_fn)}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return suffixes


def _add_suffixes(text: str, suffixes: list, indent: int) -> str:
    """Append ``, suffix`` to ``text``, starting a new line when one would pass ``linewidth``.

    Lengths are counted as torch counts them, so the lines break where torch's do:
    the last line counts one or two characters more than it shows, and ``dtype=tl.int32``
    counts as long as torch's ``dtype=torch.int32``.
    """
    line_length = len(text) - text.rfind("\n") + 1
    parts = [text]
    for suffix in suffixes:
        length = len(suffix.replace("=tl.", "=torch."))
        if line_length + length + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            line_length = indent + length
        else:
            parts.append(", " + suffix)
            line_length += length + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(self: Tensor) -> str:
    """``tensor([1., 2.])``: the text torch prints, with ``tl.`` for ``torch.`` in dtypes."""
    prefix = "tensor("
    values = "[]" if self._data.size == 0 else _values_str(self, len(prefix))
    return _add_suffixes(prefix + values, _suffixes(self), len(prefix))


def tensor_format(self: Tensor, format_spec: str) -> str:
    """``f"{t:.2f}"``: a 0-d tensor formats as its Python number, as in torch; others as ``str``."""
    if self._data.ndim == 0:
        return self.item().__format__(format_spec)
    return object.__format__(self, format_spec)


def _node_name(node) -> str:
    """torch's name for a graph node (``MulBackward0``): nodes say it with ``name()``."""
    name = getattr(node, "name", None)
    return name() if callable(name) else type(node).__name__


# ---- Tensor methods defined here
Tensor.__repr__ = tensor_repr
Tensor.__str__ = tensor_repr
Tensor.__format__ = tensor_format
