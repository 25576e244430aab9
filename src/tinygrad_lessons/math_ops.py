"""Element-wise math: operators, functions, comparisons and in-place updates.

NumPy's ufuncs (``np.add``, ``np.exp``...) already do the arithmetic and the
broadcasting. What PyTorch adds, and what this module is about, are its rules for
the *result* of an element-wise operation:

* **dtype** — ``dtypes.result_type`` (torch's promotion) decides the dtype the op
  computes in; operands are converted to it first. Python numbers follow torch:
  ``int32 tensor + 1`` stays int32, ``uint8 tensor + 300`` wraps around (300 -> 44),
  ``int tensor / int tensor`` gives the default float dtype.
* **layout** — a new result gets the memory order of its inputs, as torch's
  ``TensorIterator`` picks it: an op on a transposed tensor returns a transposed
  result. ``layout.elementwise_strides`` is that rule, written out in Python.
* **errors** — broadcasting, bool arithmetic and casting errors say what torch says.
* **in place** — ``x.add_(y)`` writes into ``x``'s memory, so every view of ``x``
  sees the change. Only the *other* operand may broadcast, and the result must be
  castable to ``x``'s dtype (an int tensor can't hold ``x / 2``).

Speed matters: a training loop does millions of small ops, so ``a + b`` on two
contiguous tensors of one dtype goes straight to ``np.add`` (see ``_plain_binary``);
everything else takes the general path (``_elementwise``).

**Devices.** Every function here is written once, for NumPy (CPU) and CuPy (GPU) arrays
alike: it asks ``xp = array_module(x)`` and makes its arrays with ``xp.empty``,
``xp.where``...; a NumPy ufunc handed around as ``fn`` (``np.add``) stands for the ufunc of
that name in ``xp`` (``_for``). Results live where their inputs live. Tensors on two devices
are torch's error, in the fast paths too (a 0-d CPU tensor may join GPU ones, as in torch).
"""

from __future__ import annotations

import builtins
import math
import warnings

import numpy as np

from . import dtypes
from .backend import SimulatedCudaArray, array_module, c_contiguous, cupy
from .function import AccumulateGrad, Function, device_mismatch_error, record_binary, same_device_arrays
from .grad_mode import STATE
from .layout import (
    assert_no_internal_overlap,
    assert_no_partial_overlap,
    element_strides,
    elementwise_strides,
    preserve_format_strides,
)
from .size import infer_size
from .storage import strided_view
from .tensor import Tensor, _wrap

__all__ = [
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide",
    "remainder", "fmod", "pow", "neg", "negative", "positive", "abs", "absolute", "sqrt", "rsqrt", "exp",
    "log", "log2", "log10", "log1p", "expm1", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "softmax",
    "log_softmax", "square",
    "reciprocal", "sign", "floor", "ceil", "round", "trunc", "clamp", "clip", "clamp_min", "clamp_max",
    "maximum", "minimum", "nan_to_num", "lerp", "frac",
    "isnan", "isinf", "isfinite", "allclose", "isclose", "equal", "eq", "ne", "lt", "le", "gt", "ge",
    "logical_and", "logical_or", "logical_xor", "logical_not",
    "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not",
]

_ndarray = np.ndarray
_ufunc = np.ufunc
#: the classes of arrays in GPU memory: the simulated GPU's, and CuPy's when it is installed
_DEVICE_ARRAYS = frozenset(kind for kind in (SimulatedCudaArray, getattr(cupy, "ndarray", None)) if kind is not None)


def _is_array(x) -> bool:
    """An array on any device (not a Python or NumPy number): what an operand of an element-wise op may be."""
    return x.__class__ is _ndarray or x.__class__ in _DEVICE_ARRAYS


def _for(xp, fn):
    """``fn`` for arrays of the array module ``xp``: a NumPy ufunc (``np.add``) stands for ``xp``'s ufunc of
    that name (``cupy.add``); other functions find their ``xp`` themselves, from their arguments."""
    if xp is np or fn.__class__ is not _ufunc:
        return fn
    return getattr(xp, fn.__name__)


def _fn_for(x, fn):
    """``_for`` the array module of the array ``x``, with no extra call for a CPU array (the hot case)."""
    return fn if x.__class__ is _ndarray else _for(array_module(x), fn)


def _module(*values):
    """The array module of the first array among ``values`` (numbers may stand on either side of an op)."""
    for v in values:
        if v.__class__ is _ndarray:
            return np
        if v.__class__ in _DEVICE_ARRAYS:
            return array_module(v)
    return np

# torch never warns about overflow, 0/0 or log(0): it just gives inf or nan. NumPy warns.
# Silencing it per call (np.errstate) costs as much as a small op, so this filter does it
# once, for the NumPy calls made here only (a learner's own NumPy code still warns).
warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"tinygrad_lessons\.math_ops\Z")
_FLOAT_NP = frozenset(d.numpy_dtype for d in dtypes.FLOAT_DTYPES)
_HALF_NP = frozenset((dtypes.float16.numpy_dtype, dtypes.bfloat16.numpy_dtype))
_BOOL_NP = np.dtype(np.bool_)
_F32_NP = np.dtype(np.float32)
_F64_NP = np.dtype(np.float64)
_F32_MAX = float(np.finfo(np.float32).max)
#: the Python ints torch accepts as numbers (``dtypes.check_python_int``), for the fast paths' inline test
_INT_LOW, _INT_END = -(2**63), 2**64
_UINT64_MASK = 2**64 - 1


def torch_name(np_dtype) -> str:
    """torch's name for the dtype behind a NumPy dtype, as its error messages print it."""
    return dtypes.SCALAR_NAMES[dtypes.FROM_NUMPY[np.dtype(np_dtype)]]


def _not_implemented(kernel: str, np_dtype):
    """torch's error for an op that has no kernel for a dtype (``"abs_cpu" not implemented for 'Bool'``)."""
    return NotImplementedError(f'"{kernel}" not implemented for \'{torch_name(np_dtype)}\'')


# ====================================================================== operands
def _is_number(x) -> bool:
    """Python (or NumPy) numbers may stand on either side of an operator."""
    return x.__class__ in (int, float, bool) or isinstance(x, (int, float, np.bool_, np.integer, np.floating))


def _is_operand(x) -> bool:
    return isinstance(x, Tensor) or _is_number(x)


def _require_tensor(x, fname: str, argname: str = "input", position: int = 1):
    """torch's ``TypeError`` when a function that needs a tensor gets something else."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{fname}(): argument '{argname}' (position {position}) must be Tensor, "
                        f"not {type(x).__name__}")


def _scalar_as(value, np_dtype):
    """A Python number converted to ``np_dtype`` as torch converts it: integers wrap around
    (``uint8``: 300 -> 44; ``int64``: 2**63 -> -2**63, torch's uint64 number cast), floats round
    (1e10 -> float16 is inf, silently)."""
    if np_dtype.kind in "iu" and not isinstance(value, (float, np.floating)):
        try:
            return np_dtype.type(value)
        except OverflowError:  # out of the dtype's range: wrap around its 64 bits, as C (and torch) do
            return np.array(int(value) & _UINT64_MASK, np.uint64).astype(np_dtype)[()]  # a NumPy number
    return np_dtype.type(value)


def _check_fits(value, d: dtypes.dtype):
    """torch's check where it converts a number to a dtype (``clamp``, ``fill_``, ``pow``): no overflow.

    Integers may be negative down to -max for unsigned types (they then wrap: -1 -> 255).
    Arithmetic (``uint8 + 300``) makes no such check: there the number just wraps.
    """
    if d is dtypes.bool or isinstance(value, (bool, np.bool_)):
        return
    if d.is_floating_point:
        if isinstance(value, (float, np.floating)) and (math.isinf(value) or math.isnan(value)):
            return
        info = dtypes.finfo(d)
        fits = info.min <= value <= info.max
    else:
        info = dtypes.iinfo(d)
        if isinstance(value, (float, np.floating)):
            fits = not math.isnan(value) and info.min <= value <= info.max
        elif not d.is_signed:
            fits = -info.max <= value <= info.max
        else:
            fits = info.min <= value <= info.max
    if not fits:
        raise RuntimeError(f"value cannot be converted to type {dtypes.CPP_SCALAR_NAMES[d]} without overflow")


def _as_operand(x, np_dtype):
    """An operand (array or number) in the dtype the operation computes in."""
    if x.__class__ is _ndarray or x.__class__ in _DEVICE_ARRAYS:
        return x if x.dtype == np_dtype else x.astype(np_dtype)
    return _scalar_as(x, np_dtype)


def _plain(result) -> np.ndarray:
    """NumPy returns a scalar, not a 0-d array, for an op on 0-d arrays: make it an array again.
    (A GPU array stays as it is: CuPy, and the simulated GPU, never return scalars.)"""
    if result.__class__ is _ndarray or not isinstance(result, np.generic):
        return result
    return np.asarray(result)


# ====================================================================== broadcasting
def _broadcast_shapes(operands) -> tuple:
    """The result shape of an element-wise op: its operands' shapes broadcast, left to right."""
    shape = None
    for op in operands:
        if op.__class__ is _ndarray or op.__class__ in _DEVICE_ARRAYS:
            shape = op.shape if shape is None else infer_size(shape, op.shape)
    return () if shape is None else shape


# ====================================================================== result layout (torch's TensorIterator)
def _empty(shape, np_dtype, strides, xp=np) -> np.ndarray:
    """New memory (of array module ``xp``) for a result: row-major when ``strides`` is None
    (``elementwise_strides``' answer).

    ``strides`` are always dense here (no gaps), so the memory holds exactly the elements:
    cheaper to size than ``layout.empty_strided``'s general span, on this hot path.
    """
    if strides is None:
        return xp.empty(shape, np_dtype)
    return strided_view(xp.empty(math.prod(shape), np_dtype), shape, strides, 0)


# ====================================================================== the general element-wise path
def _elementwise(fn, operands, np_dtype, out_dtype=None, row_major=False) -> np.ndarray:
    """Compute ``fn(*operands)`` in ``np_dtype`` into a new array laid out as torch lays it out.

    ``operands`` are arrays (all on one device) and Python numbers; each is first converted
    to ``np_dtype``. ``fn`` is called like a ufunc, ``fn(*converted, out=result)``, the result
    being new memory on the operands' device. ``row_major=True`` skips torch's layout rule,
    for the few ops that always return a row-major result.
    """
    xp = np if operands[0].__class__ is _ndarray else _module(*operands)
    shape = _broadcast_shapes(operands)
    strides = None if row_major else elementwise_strides(shape, operands, np_dtype)
    out = _empty(shape, out_dtype or np_dtype, strides, xp)
    if xp is not np and fn.__class__ is _ufunc:  # NumPy's ufunc stands for the device's (see _for)
        fn = getattr(xp, fn.__name__)
    fn(*[_as_operand(op, np_dtype) for op in operands], out=out)
    return out


def _result_np_dtype(*operands):
    return dtypes.result_type(*operands).numpy_dtype


def _plain_binary(ufunc, a, b, fn=None, extra=()):
    """``ufunc(a, b)`` straight from NumPy when that already is torch's answer, else None.

    This is the fast path of the most common ops. It applies when NumPy's own result has
    torch's dtype and layout: two contiguous tensors of one dtype (same shape, or
    broadcasting without size-1 dimensions), or a contiguous float32/float64 tensor and a
    Python number. ``fn`` is the op's Function (Add, Sub, Mul, Div): when autograd must see
    the op (grad mode on, an operand requiring grad), the result is recorded as ``fn``'s
    node (``_record_plain``), the same node ``fn.apply(a, b, dtype, *extra)`` would make.
    Without ``fn`` (the comparisons, which have no gradient) ``requires_grad`` is ignored.

    Two tensors must be on one device (compared as objects: devices are interned); tensors
    on two devices take the general path, where ``Function.apply`` raises torch's error (or
    moves a 0-d CPU tensor to the GPU, as torch allows). On a GPU, ``ufunc`` is the array
    module's own (``cupy.add``), so the result stays on the inputs' device.
    """
    if a.__class__ is Tensor:
        x = data = a._data
        if b.__class__ is Tensor:
            y = b._data
            if a.dtype is not b.dtype or a.device is not b.device:
                return None
            if x.__class__ is _ndarray:  # (written out for the CPU: this is the hottest line of the library)
                dense = x.flags.c_contiguous and y.flags.c_contiguous
            else:
                dense = c_contiguous(x) and c_contiguous(y)
            if not dense or (x.shape != y.shape and (1 in x.shape or 1 in y.shape)):
                return None
            record = fn is not None and (a.requires_grad or b.requires_grad) and STATE.enabled
        elif (b.__class__ is float or b.__class__ is int) and _plain_with_number(a, b):
            y = b
            record = fn is not None and a.requires_grad and STATE.enabled
        else:
            return None
    elif (a.__class__ is float or a.__class__ is int) and b.__class__ is Tensor and _plain_with_number(b, a):
        x, y = a, b._data
        data = y
        record = fn is not None and b.requires_grad and STATE.enabled
    else:
        return None
    if data.__class__ is not _ndarray:  # GPU memory: the ufunc of its array module
        ufunc = _for(array_module(data), ufunc)
    try:
        out = _wrap(_plain(ufunc(x, y)))
    except ValueError:  # shapes that don't broadcast: the general path raises torch's error
        return None
    if record:
        _record_plain(fn, out, a, b, extra)
    return out


def _record_plain(fn, out, a, b, extra):
    """Make ``out`` (computed by ``_plain_binary``) ``fn``'s graph node, stashing what ``fn.forward`` would."""
    a_is_tensor, b_is_tensor = a.__class__ is Tensor, b.__class__ is Tensor
    if fn is Add or fn is Sub:
        node = record_binary(fn, out, a, b, 4)
        node.meta = ((a._data.shape, a.dtype) if a_is_tensor else None,
                     (b._data.shape, b.dtype) if b_is_tensor else None, 1)
        if fn is Sub and not a_is_tensor:
            node.node_name = "RsubBackward1"  # number - tensor
        return
    # Mul, Div: the operands, each only when a gradient needs it (a: b's; b: a's, and b's for Div)
    a_needed = b_is_tensor and b.requires_grad
    b_needed = b_is_tensor and (fn is Div or (a_is_tensor and a.requires_grad))
    saved = (a if a_needed else None, b if b_needed else None)
    node = record_binary(fn, out, a, b, 3 + len(extra), saved)
    node.meta = ((a._data.shape, a.dtype) if a_is_tensor else None, (b._data.shape, b.dtype) if b_is_tensor else None)
    if not (a_is_tensor and b_is_tensor):
        node.numbers = (None if a_is_tensor else a, None if b_is_tensor else b)


def _plain_with_number(tensor, number) -> bool:
    """A float32/float64 tensor meets a Python number: NumPy rounds the number to the tensor's dtype,
    as torch does (numbers too large for float32 are left to the general path, and so are ints
    beyond 64 bits: its ``result_type`` raises torch's OverflowError for them)."""
    x = tensor._data
    if not c_contiguous(x) or 1 in x.shape:
        return False
    if number.__class__ is int and not _INT_LOW <= number < _INT_END:
        return False
    return x.dtype == _F64_NP or (x.dtype == _F32_NP and -_F32_MAX <= number <= _F32_MAX)


def _binary(ufunc, a, b, np_dtype):
    """``ufunc(a, b)`` computed in ``np_dtype``: the array library's own result where it is torch's (the
    cases of ``_plain_binary``, on arrays of one device), else the general path."""
    if _is_array(a):
        if a.dtype == np_dtype and c_contiguous(a):
            if _is_array(b):
                plain = (b.dtype == np_dtype and c_contiguous(b)
                         and (a.shape == b.shape or (1 not in a.shape and 1 not in b.shape)))
            else:
                plain = (b.__class__ is float or b.__class__ is int) and _plain_number(a, b)
            if plain:
                try:
                    return _plain(_fn_for(a, ufunc)(a, b))
                except ValueError:
                    pass  # shapes that don't broadcast: _elementwise raises torch's error
    elif (a.__class__ is float or a.__class__ is int) and b.dtype == np_dtype and c_contiguous(b):
        if _plain_number(b, a):
            return _plain(_fn_for(b, ufunc)(a, b))
    return _elementwise(ufunc, (a, b), np_dtype)


def _plain_number(x, number) -> bool:
    if 1 in x.shape:
        return False
    return x.dtype == _F64_NP or (x.dtype == _F32_NP and -_F32_MAX <= number <= _F32_MAX)


# ====================================================================== gradients: shared helpers
def _reduce_grad(grad, shape, dtype):
    """``grad`` made the gradient of an input of this shape and dtype: broadcasting summed away
    (``sum_to_size``), then cast (as torch's engine does with every gradient)."""
    if grad._data.shape != shape:
        grad = grad.sum_to_size(shape)
    if grad.dtype is not dtype:
        grad = grad.to(dtype)
    return grad


def _grad_for(grad, like):
    """``grad`` made the gradient of the input tensor ``like`` (its shape, its dtype)."""
    return _reduce_grad(grad, like._data.shape, like.dtype)


def _cast_reduce_grad(grad, shape, dtype):
    """Like ``_reduce_grad``, but cast first: the order of torch's formulas for ``*`` and ``/``."""
    if grad.dtype is not dtype:
        grad = grad.to(dtype)
    if grad._data.shape != shape:
        grad = grad.sum_to_size(shape)
    return grad


def _meta(x):
    """``(shape, dtype)`` of an input backward saved nothing of (None for a number: no gradient)."""
    if not _is_array(x):
        return None
    return x.shape, dtypes.FROM_NUMPY[x.dtype]


def _save_operands(ctx, a, b):
    """Save both operands for backward: arrays as saved tensors (so an in-place change of one is
    detected; the public function then drops those no gradient needs, ``_keep_saved``), numbers
    as plain attributes; and the operands' shapes and dtypes, for their gradients."""
    a_is_array, b_is_array = _is_array(a), _is_array(b)
    ctx.save_for_backward(a if a_is_array else None, b if b_is_array else None)
    ctx.meta = (_meta(a), _meta(b))
    if not (a_is_array and b_is_array):
        ctx.numbers = (None if a_is_array else a, None if b_is_array else b)


def _keep_saved(out, keep):
    """Forget the saved operands backward won't need (``keep``: one bool per saved value), as torch
    saves an operand only when the gradient that uses it is wanted: ``y * 2`` does not save ``y``,
    so changing ``y`` in place afterwards is no error."""
    node = out.grad_fn
    if node is None or not node._saved:
        return out
    node._saved = tuple(t if k else None for t, k in zip(node._saved, keep))
    node._saved_versions = tuple(v if k else 0 for v, k in zip(node._saved_versions, keep))
    return out


def _needs_grad(x) -> bool:
    return isinstance(x, Tensor) and x.requires_grad


def _operands(ctx):
    """The two operands of a binary op in backward: saved tensors, or the numbers they were."""
    a, b = ctx.saved_tensors
    numbers = getattr(ctx, "numbers", None)
    if numbers is not None:
        a = numbers[0] if a is None else a
        b = numbers[1] if b is None else b
    return a, b


# ====================================================================== arithmetic Functions
def _scaled(ufunc, scale):
    """``ufunc(x, y * scale, out=out)``, for ``add``/``sub`` with an ``alpha`` (``scale``: a NumPy number)."""
    def compute(x, y, out):
        return _fn_for(out, ufunc)(x, y * scale, out=out)
    return compute


class Add(Function):
    """``a + alpha * b``. Backward: each input gets the gradient as it is (times ``alpha`` for ``b``),
    summed back over the dimensions broadcasting added."""

    @staticmethod
    def forward(ctx, a, b, np_dtype, alpha=1):
        ctx.meta = (_meta(a), _meta(b), alpha)
        if alpha == 1:
            return _binary(np.add, a, b, np_dtype)
        return _elementwise(_scaled(np.add, _scalar_as(alpha, np_dtype)), (a, b), np_dtype)

    @staticmethod
    def backward(ctx, grad):
        meta_a, meta_b, alpha = ctx.meta
        need_a, need_b = ctx.needs_input_grad[:2]
        grad_a = _reduce_grad(grad, *meta_a) if need_a else None
        grad_b = None
        if need_b:
            grad_b = _reduce_grad(grad if alpha == 1 else mul(grad, alpha), *meta_b)
        return grad_a, grad_b, None, None


class Sub(Function):
    """``a - alpha * b`` (torch's node for ``number - tensor`` is RsubBackward1).
    Backward: ``grad`` for ``a``, ``-alpha * grad`` for ``b``."""

    @staticmethod
    def forward(ctx, a, b, np_dtype, alpha=1):
        ctx.meta = (_meta(a), _meta(b), alpha)
        if not _is_array(a):
            ctx.node_name = "RsubBackward1"
        if alpha == 1:
            return _binary(np.subtract, a, b, np_dtype)
        return _elementwise(_scaled(np.add, _scalar_as(_negated_alpha(alpha), np_dtype)), (a, b), np_dtype)

    @staticmethod
    def backward(ctx, grad):
        meta_a, meta_b, alpha = ctx.meta
        need_a, need_b = ctx.needs_input_grad[:2]
        grad_a = _reduce_grad(grad, *meta_a) if need_a else None
        grad_b = None
        if need_b:
            grad_b = _reduce_grad(neg(grad) if alpha == 1 else mul(neg(grad), alpha), *meta_b)
        return grad_a, grad_b, None, None


class Mul(Function):
    """``a * b``. Backward: ``grad * b`` for ``a`` and ``grad * a`` for ``b``."""

    @staticmethod
    def forward(ctx, a, b, np_dtype):
        _save_operands(ctx, a, b)
        if np_dtype in _HALF_NP and _is_scalar_operand(b):
            return _half_by_scalar(np.multiply, a, b, np_dtype)
        return _binary(np.multiply, a, b, np_dtype)

    @staticmethod
    def backward(ctx, grad):
        a, b = _operands(ctx)
        meta_a, meta_b = ctx.meta
        need_a, need_b = ctx.needs_input_grad[:2]
        grad_a = _cast_reduce_grad(mul(grad, b), *meta_a) if need_a else None
        grad_b = _cast_reduce_grad(mul(grad, a), *meta_b) if need_b else None
        return grad_a, grad_b, None


class Div(Function):
    """True division (``rounding_mode=None``), or rounded toward zero (``'trunc'``) or down (``'floor'``).

    Backward: ``grad / b`` for ``a`` and ``-grad * (a / b) / b`` for ``b``; a rounded
    quotient is flat almost everywhere, so its gradient is zero (DivBackward2).
    """

    @staticmethod
    def forward(ctx, a, b, np_dtype, rounding_mode=None):
        if rounding_mode is not None:
            ctx.meta = (_meta(a), _meta(b))
            ctx.node_name = "DivBackward2"
        else:
            _save_operands(ctx, a, b)
        return _divide(a, b, np_dtype, rounding_mode)

    @staticmethod
    def backward(ctx, grad):
        need_a, need_b = ctx.needs_input_grad[:2]
        meta_a, meta_b = ctx.meta
        if ctx.name() == "DivBackward2":
            zero = mul(grad, 0)
            return (_reduce_grad(zero, *meta_a) if need_a else None,
                    _reduce_grad(zero, *meta_b) if need_b else None, None, None)
        a, b = _operands(ctx)
        grad_a = _cast_reduce_grad(div(grad, b), *meta_a) if need_a else None
        grad_b = _cast_reduce_grad(mul(neg(grad), div(div(a, b), b)), *meta_b) if need_b else None
        return grad_a, grad_b, None, None


class FloorDivide(Div):
    """``a // b``: torch defines no derivative for it (its node is NotImplemented)."""

    node_name = "torch::autograd::NotImplemented"

    @staticmethod
    def forward(ctx, a, b, np_dtype, rounding_mode="floor"):
        return _divide(a, b, np_dtype, rounding_mode)

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("derivative for aten::floor_divide is not implemented")


class Remainder(Function):
    """Python's ``%``: the result has the sign of the divisor (``-3 % 2 == 1``).

    Backward: ``grad`` for ``a``; ``-grad * floor(a / b)`` for a tensor ``b``.
    """

    @staticmethod
    def forward(ctx, a, b, np_dtype):
        ctx.meta = (_meta(a), _meta(b))
        if not _is_array(a):
            ctx.node_name = "torch::autograd::NotImplemented"
        elif _is_array(b):
            ctx.node_name = "RemainderBackward1"
            ctx.save_for_backward(a, b)  # for b's gradient (remainder() drops them when b needs none)
        if np_dtype.kind in "iu":
            _check_nonzero_divisor(b, np_dtype)
        return _elementwise(np.remainder if np_dtype.kind in "iu" else _float_remainder, (a, b), np_dtype)

    @staticmethod
    def backward(ctx, grad):
        return _remainder_backward(ctx, grad, "floor", "remainder")


class Fmod(Function):
    """C's ``fmod``: the result has the sign of the dividend (``fmod(-3, 2) == -1``).

    Backward: ``grad`` for ``a``; ``-grad * trunc(a / b)`` for a tensor ``b``.
    """

    @staticmethod
    def forward(ctx, a, b, np_dtype):
        ctx.meta = (_meta(a), _meta(b))
        if _is_array(b):
            ctx.node_name = "FmodBackward1"
            ctx.save_for_backward(a, b)  # for b's gradient (fmod() drops them when b needs none)
        if np_dtype.kind in "iu":
            _check_nonzero_divisor(b, np_dtype)
        return _elementwise(_int_fmod if np_dtype.kind in "iu" else np.fmod, (a, b), np_dtype)

    @staticmethod
    def backward(ctx, grad):
        return _remainder_backward(ctx, grad, "trunc", "fmod")


def _remainder_backward(ctx, grad, rounding_mode, name):
    """``a - b * round(a / b)`` has slope 1 in ``a`` and ``-round(a / b)`` in ``b``."""
    node_name = ctx.name()
    if node_name == "torch::autograd::NotImplemented":
        raise RuntimeError(f"derivative for aten::{name} is not implemented")
    need_a, need_b = ctx.needs_input_grad[:2]
    meta_a, meta_b = ctx.meta
    grad_a = _reduce_grad(grad, *meta_a) if need_a else None
    grad_b = None
    if need_b:
        a, b = ctx.saved_tensors
        grad_b = _reduce_grad(mul(neg(grad), div(a, b, rounding_mode=rounding_mode)), *meta_b)
    return grad_a, grad_b, None


def _power_by(power):
    """``x ** power`` into ``out``, for a number exponent (``power``: a NumPy number of the compute dtype)."""
    def compute(x, out):
        return _fn_for(out, np.power)(x, power, out=out)
    return compute


class Pow(Function):
    """``base ** exponent``; either may be a number. ``number ** tensor`` is always row-major in torch.

    Backward (torch's formulas): ``grad * exponent * base ** (exponent - 1)`` for the base (zero
    where the exponent is 0), ``grad * result * log(base)`` for the exponent (zero where
    base == 0 and exponent >= 0). torch names the node by the kinds of operands: tensor ** number
    PowBackward0, tensor ** tensor PowBackward1, number ** tensor PowBackward2.
    """

    @staticmethod
    def forward(ctx, base, exponent, np_dtype):
        row_major = not _is_array(base)
        if np_dtype == _BOOL_NP:  # mask ** True is the mask, mask ** False is all True
            return _unary(_copy if exponent else _ones, base, np_dtype)
        if np_dtype.kind in "iu":
            if row_major or _is_array(exponent):
                return _elementwise(_int_power, (base, exponent), np_dtype, row_major=row_major)
            # a number exponent: torch's one-input kernel
            return _elementwise(_power_by(_scalar_as(exponent, np_dtype)), (base,), np_dtype)
        if _is_array(exponent):
            out = _elementwise(np.power, (base, exponent), np_dtype, row_major=row_major)
            if row_major:
                ctx.node_name = "PowBackward2"
                ctx.base = base
                ctx.save_for_backward(exponent, out)
            else:
                ctx.node_name = "PowBackward1"
                ctx.save_for_backward(base, exponent, out)
            return out
        ctx.exponent = exponent
        ctx.save_for_backward(base)
        return _elementwise(_power_by(_scalar_as(exponent, np_dtype)), (base,), np_dtype)

    @staticmethod
    def backward(ctx, grad):
        from .indexing import where

        node_name = ctx.name()
        if node_name == "PowBackward0":
            (base,) = ctx.saved_tensors
            exponent = float(ctx.exponent)
            if exponent == 0:
                return _grad_for(_zeros_like(grad), base), None, None
            return _grad_for(mul(grad, mul(pow(base, exponent - 1), exponent)), base), None, None
        need_base, need_exponent = ctx.needs_input_grad[:2]
        if node_name == "PowBackward2":
            exponent, result = ctx.saved_tensors
            base = float(ctx.base)
            log_base = result * float(np.log(np.float64(base)))
            if base == 0:
                log_base = where(exponent >= 0, 0, log_base)
            return None, _grad_for(mul(grad, log_base), exponent), None
        base, exponent, result = ctx.saved_tensors
        grad_base = grad_exponent = None
        if need_base:
            scaled = mul(grad, mul(exponent, pow(base, sub(exponent, 1))))
            grad_base = _grad_for(where(exponent == 0, 0, scaled), base)
        if need_exponent:
            promoted = base.to(result.dtype)
            log_term = where(logical_and(base == 0, exponent >= 0), 0, mul(result, log(promoted)))
            grad_exponent = _grad_for(mul(grad, log_term), exponent)
        return grad_base, grad_exponent, None


class Maximum(Function):
    """The larger of two tensors. Backward: the gradient goes to the larger one; on a tie each gets half."""

    @staticmethod
    def forward(ctx, a, b, np_dtype):
        ctx.save_for_backward(a, b)
        return _elementwise(np.maximum, (a, b), np_dtype)

    @staticmethod
    def backward(ctx, grad):
        return _extreme_backward(ctx, grad, lt, gt)


class Minimum(Function):
    """The smaller of two tensors. Backward: the gradient goes to the smaller one; on a tie each gets half."""

    @staticmethod
    def forward(ctx, a, b, np_dtype):
        ctx.save_for_backward(a, b)
        return _elementwise(np.minimum, (a, b), np_dtype)

    @staticmethod
    def backward(ctx, grad):
        return _extreme_backward(ctx, grad, gt, lt)


def _extreme_backward(ctx, grad, loses_a, loses_b):
    """torch's rule for maximum/minimum: ``grad`` (halved on ties) to each input, except where it lost.

    With a NaN on one side both inputs keep the full gradient, as in torch.
    """
    from .indexing import where

    a, b = ctx.saved_tensors
    need_a, need_b = ctx.needs_input_grad[:2]
    shared = where(eq(a, b), div(grad, 2), grad)
    grad_a = _grad_for(where(loses_a(a, b), 0, shared), a) if need_a else None
    grad_b = _grad_for(where(loses_b(a, b), 0, shared), b) if need_b else None
    return grad_a, grad_b, None


def _zeros_like(t):
    """Zeros of ``t``'s shape and dtype, on its device (a gradient that is zero everywhere)."""
    data = t._data
    return _wrap(array_module(data).zeros(data.shape, data.dtype))


def _divide(a, b, np_dtype, rounding_mode):
    """``a / b`` in ``np_dtype``, rounded as asked; integer division by zero raises, as in torch."""
    if np_dtype.kind in "iu":
        _check_nonzero_divisor(b, np_dtype)
        divide = _int_trunc_divide if rounding_mode == "trunc" else np.floor_divide
        return _elementwise(divide, (a, b), np_dtype)
    divide = _FLOAT_DIVIDE[rounding_mode]
    if np_dtype in _HALF_NP:  # torch rounds the exact quotient, computed in float32
        if _is_scalar_operand(b):
            return _half_by_scalar(divide, a, b, np_dtype)
        return _elementwise(divide if rounding_mode is None else _in_float32(divide), (a, b), np_dtype)
    if rounding_mode is None:
        return _binary(divide, a, b, np_dtype)
    return _elementwise(divide, (a, b), np_dtype)


def _check_nonzero_divisor(b, np_dtype):
    """Integer division by zero has no answer: torch raises (NumPy would quietly give 0).

    On a GPU, asking costs a synchronisation (the answer must come back to Python); integer
    division is rare in a training loop, and torch's CPU error is worth that here.
    """
    if _is_array(b):
        if b.size and not b.all():
            raise RuntimeError("ZeroDivisionError")
    elif _scalar_as(b, np_dtype) == 0:  # as the number wraps: int32 // 2**32 divides by 0
        raise RuntimeError("ZeroDivisionError")


def _is_scalar_operand(b) -> bool:
    """A number, or a 0-d array: what torch's kernels read as one "CPU scalar" value."""
    return not _is_array(b) or b.ndim == 0


def _half_by_scalar(ufunc, a, b, np_dtype):
    """float16/bfloat16 times (or divided by) a scalar, as torch does it: in float32, with the scalar
    converted straight to float32 — not rounded to the half type first, as ``+`` and ``-`` do.
    (A 0-d array ``b`` stays on its device: reading it with ``.item()`` would stall a GPU.)"""
    scalar = b.astype(np.float32) if _is_array(b) else np.float32(b)

    def compute(x, rounded_b, out):  # rounded_b is the half-rounded scalar torch does not use here
        return _round_into(_fn_for(out, ufunc)(x.astype(np.float32), scalar), out.dtype, out)

    return _elementwise(compute, (a, b), np_dtype)


def _int_trunc_divide(a, b, out):
    """Integer division rounded toward zero (C's ``/``): floor division, corrected where signs differ."""
    xp = array_module(out)
    xp.floor_divide(a, b, out=out)
    inexact = xp.remainder(a, b) != 0
    out += (inexact & ((a < 0) != (b < 0))).astype(out.dtype)
    return out


def _float_trunc_divide(a, b, out=None):
    xp = _module(a, b) if out is None else array_module(out)
    return xp.trunc(xp.true_divide(a, b, out=out), out=out)


# torch's float // and % are written out below with each array library's basic functions (fmod, floor,
# where...), which give the same answers everywhere. The libraries' own floor_divide and remainder do not:
# CuPy's are floor(a / b) and a - floor(a / b) * b (its cupy/_core/include/cupy/carray.cuh and
# _routines_math.pyx), NumPy's are torch's. One code path for both devices, one answer: torch's.
def _wrong_sign(mod, wanted):
    """Where a nonzero remainder ``mod`` has not the sign of ``wanted``; there it is one divisor off.

    ``fmod`` gives the dividend's sign and Python's ``%`` the divisor's: ``_wrong_sign(fmod, b)`` marks
    where ``%`` differs, ``_wrong_sign(remainder, a)`` where ``fmod`` does."""
    return (mod != 0) & ((mod < 0) != (wanted < 0))


def _float_floor_divide(a, b, out=None):
    """``a // b`` for floats as torch computes it (c10's ``div_floor_floating``; NumPy and Python agree).

    Not ``floor(a / b)``: ``a / b`` is rounded *before* it is floored, which would make ``1 // 0.1``
    10 (1 / 0.1 rounds to 10.0, yet the float 0.1 is a little more than a tenth: only 9 fit in 1) and
    ``inf // 2`` inf (torch: nan).
    Instead the exact remainder ``fmod(a, b)`` is taken off first: ``(a - mod) / b`` is then a whole
    number up to one rounding, so it is rounded to the nearest one. A zero result has the sign of
    ``a / b``; division by zero gives ``a / b`` itself (±inf, or nan for ``0 / 0``).
    """
    xp = _module(a, b) if out is None else array_module(out)
    exact = xp.true_divide(a, b)
    mod = xp.fmod(a, b)
    quotient = xp.true_divide(a - mod, b) - _wrong_sign(mod, b)  # where Python's remainder is mod + b: one less
    result = xp.floor(quotient)
    result = result + ((quotient - result) > 0.5)  # whole up to rounding: the nearest whole number
    result = xp.where(quotient == 0, xp.copysign(0, exact), result)
    result = xp.where(b == 0, exact, result)
    if out is None:
        return result
    xp.copyto(out, result)
    return out


def _float_remainder(a, b, out):
    """``a % b`` for floats as torch computes it: C's ``fmod`` (exact, with the sign of ``a``), plus ``b``
    where Python's rule wants the sign of ``b``. (``a - floor(a / b) * b``, CuPy's kernel, is nan for
    ``1 % inf`` where torch says 1, and loses float32 ``1e10 % 3``, as ``1e10 / 3`` rounds.)"""
    xp = array_module(out)
    mod = xp.fmod(a, b, out=out)
    xp.copyto(mod, mod + b, where=_wrong_sign(mod, b))
    return mod


def _int_fmod(a, b, out):
    """C's ``%`` for integers (the sign of ``a``), from Python's exact remainder (the sign of ``b``).

    CuPy's integer fmod computes in double (cupy/_math/arithmetic.py), which drops the low bits of
    int64 values beyond 2**53; integer remainder is exact everywhere. (Divisors are nonzero here.)
    """
    xp = array_module(out)
    mod = xp.remainder(a, b, out=out)
    xp.copyto(mod, mod - b, where=_wrong_sign(mod, a))  # fmod wants the sign of a: one b off there
    return mod


_FLOAT_DIVIDE = {None: np.true_divide, "trunc": _float_trunc_divide, "floor": _float_floor_divide}


def _in_float32(fn):
    """``fn`` computed on float32 copies of the operands, rounded once into ``out`` (for the half types)."""
    def compute(*args, out):
        xp = array_module(out)
        return _round_into(_for(xp, fn)(*[xp.asarray(a, np.float32) for a in args]), out.dtype, out)
    return compute


def _int_power(base, exponent, out):
    """Integer powers; a negative exponent gives what torch gives: 1, -1 or 0 (1/4 truncates to 0).

    ``exponent`` is an array here (a number exponent takes ``_power_by``); asking whether any
    is negative costs a GPU a synchronisation, which integer powers (rare) can afford.
    """
    xp = array_module(out)
    negative = exponent < 0
    if not negative.any():
        return xp.power(base, exponent, out=out)
    xp.power(base, xp.where(negative, 0, exponent).astype(out.dtype), out=out)
    if not _is_array(base):  # number ** tensor: compare the number as a 0-d array of the device
        base = xp.asarray(base)
    odd = (exponent % 2) != 0
    one = xp.ones((), out.dtype)
    inverse = xp.where(base == 1, one, xp.where(base == -1, xp.where(odd, -one, one), xp.zeros((), out.dtype)))
    xp.copyto(out, xp.broadcast_to(inverse, out.shape), where=xp.broadcast_to(negative, out.shape))
    return out


# ====================================================================== arithmetic: the public functions
def _arith_dtype(a, b, fname):
    """The compute dtype of a binary op, with torch's errors for bad operands."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError(f"{fname}(): expected at least one Tensor argument, got "
                        f"{type(a).__name__} and {type(b).__name__}")
    return _result_np_dtype(a, b)


def _no_alpha(alpha) -> bool:
    """The default ``alpha=1`` (``True`` or ``1.0`` are not: torch checks those against the dtype)."""
    return alpha.__class__ is int and alpha == 1


def _check_alpha(np_dtype, alpha, sub=False):
    """torch's rules for ``alpha``: no float alpha for integer results, no bool alpha but for bool ones,
    and one that fits the result dtype (torch converts it with a check; ``sub`` converts ``-alpha``,
    negated as C negates an ``int64_t``: -(-2**63) stays -2**63)."""
    if not _is_number(alpha):
        raise TypeError(f"add(): argument 'alpha' must be Number, not {type(alpha).__name__}")
    if isinstance(alpha, (bool, np.bool_)) and np_dtype != _BOOL_NP:
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if np_dtype not in _FLOAT_NP and isinstance(alpha, (float, np.floating)):
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")
    if sub and not isinstance(alpha, (bool, np.bool_)):
        alpha = _negated_alpha(alpha)
    _check_fits(alpha, dtypes.FROM_NUMPY[np_dtype])


def _negated_alpha(alpha):
    """``-alpha`` as torch negates a number for ``sub`` (which is ``add`` with ``-alpha``): an int in
    ``int64_t`` arithmetic, wrapping: -(-2**63) is -2**63, and the uint64 number 2**64-1, read as
    the int64 -1, becomes 1 (so ``sub(a, b, alpha=2**64-1)`` is ``a + b``)."""
    if alpha.__class__ is int:
        return (2**63 - alpha) % 2**64 - 2**63
    return -alpha


def add(input, other, *, alpha=1):  # noqa: A002 - torch's name
    """``input + alpha * other``, broadcasting, in the promoted dtype."""
    if _no_alpha(alpha):
        out = _plain_binary(np.add, input, other, Add, _ALPHA_1)
        if out is not None:
            return out
    else:
        dtypes.check_python_int(alpha)
    np_dtype = _arith_dtype(input, other, "add")
    if not _no_alpha(alpha):
        _check_alpha(np_dtype, alpha)
    return Add.apply(input, other, np_dtype, alpha)


def _check_sub(input, other):  # noqa: A002 - torch's name
    """torch refuses ``-`` with bools: ``a ^ b`` or ``~mask`` is what was meant."""
    input_bool = getattr(input, "dtype", None) is dtypes.bool or input.__class__ is bool
    other_bool = getattr(other, "dtype", None) is dtypes.bool or other.__class__ is bool
    if input_bool and other_bool:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    if input_bool or other_bool:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")


def sub(input, other, *, alpha=1):  # noqa: A002 - torch's name
    """``input - alpha * other``, broadcasting, in the promoted dtype (never on bools)."""
    if _no_alpha(alpha) and getattr(input, "dtype", None) is not dtypes.bool:
        out = _plain_binary(np.subtract, input, other, Sub, _ALPHA_1)
        if out is not None:
            return out
    dtypes.check_python_int(alpha)
    dtypes.check_python_int(input)  # torch reads its numbers first, then refuses bools, then promotes
    dtypes.check_python_int(other)
    if isinstance(input, Tensor) or isinstance(other, Tensor):
        _check_sub(input, other)
    np_dtype = _arith_dtype(input, other, "sub")
    if not _no_alpha(alpha):
        _check_alpha(np_dtype, alpha, sub=True)
    return Sub.apply(input, other, np_dtype, alpha)


def mul(input, other):  # noqa: A002 - torch's name
    """``input * other``, broadcasting, in the promoted dtype."""
    out = _plain_binary(np.multiply, input, other, Mul)
    if out is not None:
        return out
    out = Mul.apply(input, other, _arith_dtype(input, other, "mul"))
    return _keep_saved(out, (_needs_grad(other), _needs_grad(input)))  # each operand's gradient uses the other


_ROUNDING_MODES = (None, "trunc", "floor")
_ALPHA_1 = (1,)  # the extra arguments the fast paths pass to Add/Sub.apply and Div.apply
_NO_ROUNDING = (None,)


def div(input, other, *, rounding_mode=None):  # noqa: A002 - torch's name
    """``input / other``: true division (integers give the default float dtype), or rounded.

    ``rounding_mode='trunc'`` rounds toward zero (C's integer division), ``'floor'`` rounds
    down (Python's ``//``); both keep integer dtypes.
    """
    if rounding_mode is None and input.__class__ is Tensor and input.dtype.is_floating_point:
        out = _plain_binary(np.true_divide, input, other, Div, _NO_ROUNDING)
        if out is not None:
            return out
    return _div(input, other, rounding_mode, Div)


def _div(input, other, rounding_mode, fn):  # noqa: A002 - torch's name
    """``div``'s checks and dtype, then ``fn`` (Div, or FloorDivide for ``//``) does it."""
    if rounding_mode not in _ROUNDING_MODES:
        raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                           f"'{rounding_mode}'")
    np_dtype = _arith_dtype(input, other, "div")
    if rounding_mode is None:
        if np_dtype not in _FLOAT_NP:
            np_dtype = dtypes.get_default_dtype().numpy_dtype
    elif np_dtype == _BOOL_NP:
        raise _not_implemented("div_trunc_cpu" if rounding_mode == "trunc" else "div_floor_cpu", np_dtype)
    out = fn.apply(input, other, np_dtype, rounding_mode)
    return _keep_saved(out, (_needs_grad(other), True))  # a: for b's gradient; b: for both


subtract, multiply, divide = sub, mul, div


def true_divide(input, other):  # noqa: A002 - torch's name
    """``input / other`` without rounding (an alias of ``div``)."""
    return div(input, other)


def floor_divide(input, other):  # noqa: A002 - torch's name
    """``input // other``: division rounded down, as Python's ``//``.

    torch defines no gradient for it: its graph node is NotImplemented, and backward raises.
    """
    return _div(input, other, "floor", FloorDivide)


def remainder(input, other):  # noqa: A002 - torch's name
    """``input % other`` with Python's sign rule (the result takes the divisor's sign)."""
    np_dtype = _arith_dtype(input, other, "remainder")
    if np_dtype == _BOOL_NP:
        raise _not_implemented("remainder_cpu", np_dtype)
    out = Remainder.apply(input, other, np_dtype)
    return _keep_saved(out, (_needs_grad(other),) * 2)  # only b's gradient reads them


def fmod(input, other):  # noqa: A002 - torch's name
    """C's remainder: the result takes the dividend's sign (``fmod(-3, 2) == -1``)."""
    _require_tensor(input, "fmod")
    np_dtype = _result_np_dtype(input, other)
    if np_dtype == _BOOL_NP:
        raise _not_implemented("fmod_cpu", np_dtype)
    out = Fmod.apply(input, other, np_dtype)
    return _keep_saved(out, (_needs_grad(other),) * 2)  # only b's gradient reads them


def pow(input, exponent):  # noqa: A001, A002 - torch's names
    """``input ** exponent``; an integer tensor to a negative integer number is an error, as in torch."""
    _check_int_exponent(input, exponent)
    np_dtype = _arith_dtype(input, exponent, "pow")
    if np_dtype == _BOOL_NP and not _is_number(exponent):  # bool ** True/False is torch's x**1 / x**0 shortcut
        raise _not_implemented("pow", np_dtype)
    if _is_number(exponent):
        if np_dtype.kind in "iu" and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        _check_fits(exponent, dtypes.FROM_NUMPY[np_dtype])  # torch converts a number exponent with a check
    return Pow.apply(input, exponent, np_dtype)


def _check_int_exponent(base, exponent):
    """torch reads an int exponent of a non-floating tensor as an ``int64_t``, with a check: a uint64
    number (2**63 and up) is then an overflow, not the uint64 promotion error ``bool ** 2**63``
    would otherwise meet (a float tensor takes it as a float: ``x ** 2**63`` is fine)."""
    dtypes.check_python_int(exponent)
    if (exponent.__class__ is int and exponent >= 2**63 and isinstance(base, Tensor)
            and not base.dtype.is_floating_point):
        raise RuntimeError("value cannot be converted to type int64_t without overflow")


def maximum(input, other):  # noqa: A002 - torch's name
    """The larger of two tensors, element by element (NaN wins, as in torch)."""
    _require_tensor(input, "maximum")
    _require_tensor(other, "maximum", "other", 2)
    return Maximum.apply(input, other, _result_np_dtype(input, other))


def minimum(input, other):  # noqa: A002 - torch's name
    """The smaller of two tensors, element by element (NaN wins, as in torch)."""
    _require_tensor(input, "minimum")
    _require_tensor(other, "minimum", "other", 2)
    return Minimum.apply(input, other, _result_np_dtype(input, other))


# ====================================================================== unary Functions
def _float_np_dtype(np_dtype):
    """Floating dtypes stay; integers and bools compute in the default float dtype (``sqrt(int)``)."""
    return np_dtype if np_dtype in _FLOAT_NP else dtypes.get_default_dtype().numpy_dtype


def _unary(fn, x, np_dtype):
    """``fn(x)`` computed in ``np_dtype``; a contiguous input of that dtype goes straight to its array library."""
    if x.dtype == np_dtype and c_contiguous(x):
        return _plain((fn if x.__class__ is _ndarray else _for(array_module(x), fn))(x))
    return _elementwise(fn, (x,), np_dtype)


def _float_unary(fn, x):
    """A float function (exp, log...): integer inputs give the default float dtype, as in torch."""
    return _unary(fn, x, _float_np_dtype(x.dtype))


def _round_into(result, np_dtype, out=None):
    """A float32 result rounded once to ``np_dtype`` (into ``out`` when given)."""
    if out is None:
        return result.astype(np_dtype)
    array_module(out).copyto(out, result, casting="unsafe")
    return out


def _copy(x, out=None):
    """The values unchanged (``floor`` of an integer tensor is a copy of it)."""
    if out is None:
        return x.copy()
    array_module(out).copyto(out, x)
    return out


def _ones(x, out=None):
    if out is None:
        return array_module(x).ones(x.shape, x.dtype)
    out.fill(1)
    return out


def _relu(x, out=None):
    return _fn_for(x, np.maximum)(x, x.dtype.type(0), out=out)


def _sigmoid(x, out=None):
    """``1 / (1 + exp(-x))``; float16/bfloat16 compute in float32 and round once, as torch does."""
    if x.dtype in _HALF_NP:
        return _round_into(_sigmoid(x.astype(np.float32)), x.dtype, out)
    xp = array_module(x)
    denominator = xp.exp(xp.negative(x))
    denominator += 1
    return xp.reciprocal(denominator, out=out)


def _rsqrt(x, out=None):
    """``1 / sqrt(x)``, in float32 for the half types."""
    if x.dtype in _HALF_NP:
        return _round_into(_rsqrt(x.astype(np.float32)), x.dtype, out)
    xp = array_module(x)
    return xp.reciprocal(xp.sqrt(x), out=out)


def _round_decimals(x, decimals, out=None):
    """torch's rounding to ``decimals`` places: scale, round half to even, scale back."""
    if x.dtype in _HALF_NP:
        return _round_into(_round_decimals(x.astype(np.float32), decimals), x.dtype, out)
    xp = array_module(x)
    if decimals > 0:
        scale = x.dtype.type(10.0 ** decimals)
        return xp.divide(xp.rint(x * scale), scale, out=out)
    scale = x.dtype.type(10.0 ** -decimals)
    return xp.multiply(xp.rint(x / scale), scale, out=out)


class Neg(Function):
    @staticmethod
    def forward(ctx, x):
        return _unary(np.negative, x, x.dtype)

    @staticmethod
    def backward(ctx, grad):
        return neg(grad)


class Abs(Function):
    """Backward: ``grad * sign(x)`` (0 at x == 0, torch's choice of subgradient)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _unary(np.absolute, x, x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return mul(grad, sign(x))


class Sqrt(Function):
    """Backward: ``grad / (2 * sqrt(x))`` (inf at 0)."""

    @staticmethod
    def forward(ctx, x):
        out = _float_unary(np.sqrt, x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (result,) = ctx.saved_tensors
        return div(grad, mul(result, 2))


class Rsqrt(Function):
    """Backward: ``-0.5 * grad * rsqrt(x) ** 3``."""

    @staticmethod
    def forward(ctx, x):
        out = _float_unary(_rsqrt, x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (result,) = ctx.saved_tensors
        return mul(mul(grad, -0.5), pow(result, 3))


class Exp(Function):
    """Backward: ``grad * exp(x)``, the saved result."""

    @staticmethod
    def forward(ctx, x):
        out = _float_unary(np.exp, x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (result,) = ctx.saved_tensors
        return mul(grad, result)


class Log(Function):
    """Backward: ``grad / x``."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _float_unary(np.log, x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return div(grad, x)


class Log2(Function):
    """Backward: ``grad / (x * ln 2)``."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _float_unary(np.log2, x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return div(grad, mul(x, math.log(2.0)))


class Log10(Function):
    """Backward: ``grad / (x * ln 10)``."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _float_unary(np.log10, x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return div(grad, mul(x, math.log(10.0)))


class Log1p(Function):
    """Backward: ``grad / (x + 1)``."""

    node_name = "Log1PBackward0"  # torch's spelling

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _float_unary(np.log1p, x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return div(grad, add(x, 1))


class Expm1(Function):
    """Backward: ``grad * (expm1(x) + 1)``."""

    @staticmethod
    def forward(ctx, x):
        out = _float_unary(np.expm1, x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (result,) = ctx.saved_tensors
        return mul(grad, add(result, 1))


class Sin(Function):
    """Backward: ``grad * cos(x)``."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _float_unary(np.sin, x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return mul(grad, cos(x))


class Cos(Function):
    """Backward: ``grad * -sin(x)``."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _float_unary(np.cos, x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return mul(grad, neg(sin(x)))


class Tan(Function):
    """Backward: ``grad * (1 + tan(x) ** 2)``."""

    @staticmethod
    def forward(ctx, x):
        out = _float_unary(np.tan, x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (result,) = ctx.saved_tensors
        return mul(grad, add(pow(result, 2), 1))


class Tanh(Function):
    """Backward: ``grad * (1 - tanh(x) ** 2)``, from the saved result."""

    @staticmethod
    def forward(ctx, x):
        out = _float_unary(np.tanh, x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (result,) = ctx.saved_tensors
        return mul(grad, sub(1, mul(result, result)))


class Sigmoid(Function):
    """``1 / (1 + exp(-x))``: large negative x overflows exp to inf, giving exactly 0, as in torch.

    Backward: ``grad * (1 - s) * s`` where ``s`` is the saved result.
    """

    @staticmethod
    def forward(ctx, x):
        out = _float_unary(_sigmoid, x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (result,) = ctx.saved_tensors
        return mul(mul(grad, sub(1, result)), result)


class Relu(Function):
    """``max(x, 0)``; NaN stays NaN. Backward: ``grad`` where the result is > 0, else 0 (relu'(0) = 0)."""

    @staticmethod
    def forward(ctx, x):
        out = _unary(_relu, x, x.dtype)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (result,) = ctx.saved_tensors
        return ThresholdBackward.apply(grad, result)


class ThresholdBackward(Function):
    """``grad`` where ``result > 0``, else 0: relu's backward as a single op (torch's
    ``threshold_backward``), itself differentiable for second derivatives."""

    node_name = "ThresholdBackwardBackward0"

    @staticmethod
    def forward(ctx, grad, result):
        ctx.save_for_backward(result)
        return array_module(grad).where(result <= 0, grad.dtype.type(0), grad)

    @staticmethod
    def backward(ctx, grad_grad):
        (result,) = ctx.saved_tensors
        return ThresholdBackward.apply(grad_grad, result), None


class Reciprocal(Function):
    """Backward: ``-grad / x ** 2``, as ``-grad * result * result``."""

    @staticmethod
    def forward(ctx, x):
        out = _float_unary(np.reciprocal, x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (result,) = ctx.saved_tensors
        return mul(neg(grad), mul(result, result))


class _Flat(Function):
    """A step function (sign, floor, ceil, trunc, round): flat almost everywhere, so its gradient is 0."""

    @staticmethod
    def backward(ctx, grad):
        return _zeros_like(grad)


class Sign(_Flat):
    """-1, 0 or 1; torch gives 0 for NaN (NumPy would give NaN)."""

    @staticmethod
    def forward(ctx, x):
        if x.dtype == _BOOL_NP:
            return _unary(_copy, x, x.dtype)
        out = _unary(np.sign, x, x.dtype)
        if x.dtype in _FLOAT_NP:
            xp = array_module(out)
            xp.copyto(out, 0, where=xp.isnan(out))
        return out


class Floor(_Flat):
    @staticmethod
    def forward(ctx, x):
        return _unary(np.floor if x.dtype in _FLOAT_NP else _copy, x, x.dtype)


class Ceil(_Flat):
    @staticmethod
    def forward(ctx, x):
        return _unary(np.ceil if x.dtype in _FLOAT_NP else _copy, x, x.dtype)


class Trunc(_Flat):
    @staticmethod
    def forward(ctx, x):
        return _unary(np.trunc if x.dtype in _FLOAT_NP else _copy, x, x.dtype)


class Round(_Flat):
    """Round half to even (``round(2.5) == 2``); with ``decimals``, scale by 10**decimals first
    (torch's node is then RoundBackward1)."""

    @staticmethod
    def forward(ctx, x, decimals=0):
        if x.dtype not in _FLOAT_NP:
            return _unary(_copy, x, x.dtype)
        if decimals == 0:
            return _unary(np.rint, x, x.dtype)
        ctx.node_name = "RoundBackward1"
        return _unary(lambda v, out=None: _round_decimals(v, decimals, out), x, x.dtype)

    @staticmethod
    def backward(ctx, grad):
        return _zeros_like(grad), None


# ====================================================================== unary: the public functions
def _plain_unary(fn, x):
    """``fn(x)`` straight from NumPy, or None: the fast path of unary ops.

    For a contiguous float32/float64 tensor with nothing to record for autograd, NumPy's
    result is torch's (same dtype, row-major), so the Function machinery can be skipped.
    When autograd records (grad mode on and ``x`` requires grad), the op's Function runs.
    On a GPU, a NumPy ufunc ``fn`` stands for CuPy's of the same name.
    """
    data = x._data
    if ((x.requires_grad and STATE.enabled) or not c_contiguous(data)
            or (data.dtype != _F32_NP and data.dtype != _F64_NP)):
        return None
    if data.__class__ is not _ndarray:
        fn = _for(array_module(data), fn)
    return _wrap(_plain(fn(data)))


def _check_not_bool(x, kernel: str):
    if x.dtype is dtypes.bool:
        raise _not_implemented(kernel, x._data.dtype)


def neg(input):  # noqa: A002 - torch's name
    """``-input`` (unsigned integers wrap around; bools refuse, as in torch)."""
    _require_tensor(input, "neg")
    if input.dtype is dtypes.bool:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
                           "invert a mask, use the `~` or `logical_not()` operator instead.")
    out = _plain_unary(np.negative, input)
    return out if out is not None else Neg.apply(input)


negative = neg


def positive(input):  # noqa: A002 - torch's name
    """``+input``: the tensor itself (refused for bools, as in torch)."""
    _require_tensor(input, "positive")
    if input.dtype is dtypes.bool:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def abs(input):  # noqa: A001, A002 - torch's names
    """``|input|`` (``abs(int8(-128))`` stays -128, as integers wrap)."""
    _require_tensor(input, "abs")
    _check_not_bool(input, "abs_cpu")
    out = _plain_unary(np.absolute, input)
    return out if out is not None else Abs.apply(input)


absolute = abs


def sqrt(input):  # noqa: A002 - torch's name
    """Square root (NaN for negative numbers); integer inputs give the default float dtype."""
    _require_tensor(input, "sqrt")
    out = _plain_unary(np.sqrt, input)
    return out if out is not None else Sqrt.apply(input)


def rsqrt(input):  # noqa: A002 - torch's name
    """``1 / sqrt(input)``."""
    _require_tensor(input, "rsqrt")
    return Rsqrt.apply(input)


def exp(input):  # noqa: A002 - torch's name
    """``e ** input``."""
    _require_tensor(input, "exp")
    out = _plain_unary(np.exp, input)
    return out if out is not None else Exp.apply(input)


def log(input):  # noqa: A002 - torch's name
    """Natural logarithm (``-inf`` at 0, NaN below)."""
    _require_tensor(input, "log")
    out = _plain_unary(np.log, input)
    return out if out is not None else Log.apply(input)


def log2(input):  # noqa: A002 - torch's name
    _require_tensor(input, "log2")
    return Log2.apply(input)


def log10(input):  # noqa: A002 - torch's name
    _require_tensor(input, "log10")
    return Log10.apply(input)


def log1p(input):  # noqa: A002 - torch's name
    """``log(1 + input)``, accurate for small inputs."""
    _require_tensor(input, "log1p")
    return Log1p.apply(input)


def expm1(input):  # noqa: A002 - torch's name
    """``exp(input) - 1``, accurate for small inputs."""
    _require_tensor(input, "expm1")
    return Expm1.apply(input)


def sin(input):  # noqa: A002 - torch's name
    _require_tensor(input, "sin")
    return Sin.apply(input)


def cos(input):  # noqa: A002 - torch's name
    _require_tensor(input, "cos")
    return Cos.apply(input)


def tan(input):  # noqa: A002 - torch's name
    _require_tensor(input, "tan")
    return Tan.apply(input)


def tanh(input):  # noqa: A002 - torch's name
    _require_tensor(input, "tanh")
    out = _plain_unary(np.tanh, input)
    return out if out is not None else Tanh.apply(input)


def sigmoid(input):  # noqa: A002 - torch's name
    """``1 / (1 + exp(-input))``, squashing any number into (0, 1)."""
    _require_tensor(input, "sigmoid")
    out = _plain_unary(_sigmoid, input)
    return out if out is not None else Sigmoid.apply(input)


def relu(input):  # noqa: A002 - torch's name
    """``max(input, 0)``: negatives become 0."""
    _require_tensor(input, "relu")
    if input.dtype is dtypes.bool:
        raise RuntimeError("Boolean inputs not supported for relu")
    out = _plain_unary(_relu, input)
    return out if out is not None else Relu.apply(input)


def checked_softmax(name: str, input, dim, dtype, dim_position: int):  # noqa: A002 - torch's name
    """``torch.softmax`` and ``Tensor.softmax`` (``name`` may be ``"log_softmax"``): torch's
    argument checks, then the one implementation, ``nn.functional``'s.

    These differ from ``F.softmax`` in one way: ``dim`` is required. ``F.softmax(x)`` still
    guesses a dimension (with a deprecation warning); ``torch.softmax(x)`` is a TypeError,
    and so it is here. The math and the gradient are ``nn.functional``'s ``Softmax`` and
    ``LogSoftmax`` Functions. ``dim_position`` is where ``dim`` sits in torch's message:
    2 for ``softmax(input, dim)``, 1 for ``input.softmax(dim)``.
    """
    from .creation import int_arg
    from .nn import functional  # nn is built on this module, so it is imported when first needed

    _require_tensor(input, name)
    if dim is ...:  # the default only marks "not given": torch has no default dimension here
        raise TypeError(f'{name}() missing 1 required positional arguments: "dim"')
    return getattr(functional, name)(input, int_arg(dim, name, "dim", dim_position), dtype=dtype)


def softmax(input, dim=..., dtype=None):  # noqa: A002 - torch's name
    """Probabilities along ``dim`` (required): ``exp(x) / sum(exp(x))``, non-negative, summing to 1.

    ``dtype=`` computes in that dtype (so an integer tensor can be given ``dtype=tl.float32``).
    The work is ``nn.functional.softmax``'s; see ``checked_softmax``.
    """
    return checked_softmax("softmax", input, dim, dtype, 2)


def log_softmax(input, dim=..., dtype=None):  # noqa: A002 - torch's name
    """Log-probabilities along ``dim`` (required): ``x - max - log(sum(exp(x - max)))``, never ``log(0)``.

    The work is ``nn.functional.log_softmax``'s; see ``checked_softmax``.
    """
    return checked_softmax("log_softmax", input, dim, dtype, 2)


def square(input):  # noqa: A002 - torch's name
    """``input ** 2`` (torch's ``pow(input, 2)``: bools give int64)."""
    _require_tensor(input, "square")
    return pow(input, 2)


def reciprocal(input):  # noqa: A002 - torch's name
    """``1 / input``; integer inputs give the default float dtype."""
    _require_tensor(input, "reciprocal")
    return Reciprocal.apply(input)


def sign(input):  # noqa: A002 - torch's name
    """-1, 0 or 1 by the sign of each element (0 for NaN)."""
    _require_tensor(input, "sign")
    return Sign.apply(input)


def floor(input):  # noqa: A002 - torch's name
    """Round down; integer tensors come back unchanged (a copy)."""
    _require_tensor(input, "floor")
    _check_not_bool(input, "floor_vml_cpu")
    return Floor.apply(input)


def ceil(input):  # noqa: A002 - torch's name
    """Round up; integer tensors come back unchanged (a copy)."""
    _require_tensor(input, "ceil")
    _check_not_bool(input, "ceil_vml_cpu")
    return Ceil.apply(input)


def trunc(input):  # noqa: A002 - torch's name
    """Round toward zero; integer tensors come back unchanged (a copy)."""
    _require_tensor(input, "trunc")
    _check_not_bool(input, "trunc_vml_cpu")
    return Trunc.apply(input)


def round(input, *, decimals=0):  # noqa: A001, A002 - torch's names
    """Round half to even (``round(0.5) == 0``, ``round(1.5) == 2``), optionally to ``decimals`` places."""
    _require_tensor(input, "round")
    decimals = decimals.__index__()
    if decimals != 0 and not input.dtype.is_floating_point:
        raise _not_implemented("round_cpu", input._data.dtype)
    _check_not_bool(input, "round_vml_cpu")
    return Round.apply(input, decimals)


# ====================================================================== clamp
class Clamp(Function):
    """``min(max(x, lo), hi)``; a bound of None is no bound. Bounds are numbers or arrays.

    Backward (torch's subgradient): ``x`` gets ``grad`` where ``lo <= x <= hi``, else 0; a
    tensor ``lo`` gets it where ``x < lo`` (and ``lo < hi``), a tensor ``hi`` where ``x > hi``
    (or ``hi < lo``). torch's node is ClampBackward1 for number bounds, ClampBackward0 for tensors.
    """

    @staticmethod
    def forward(ctx, x, lo, hi, np_dtype):
        bounds = [b for b in (lo, hi) if b is not None]
        if builtins.any(_is_array(b) for b in bounds):  # tensor bounds: three operands
            ctx.node_name = "ClampBackward0"
            ctx.save_for_backward(x, lo if _is_array(lo) else None, hi if _is_array(hi) else None)
            ctx.bounds = (lo, hi)
            return _elementwise(_clamp_fn(lo is not None, hi is not None), (x, *bounds), np_dtype)
        ctx.node_name = "ClampBackward1"
        ctx.save_for_backward(x)
        ctx.bounds = (lo, hi)
        lo = None if lo is None else _scalar_as(lo, np_dtype)
        hi = None if hi is None else _scalar_as(hi, np_dtype)
        return _unary(lambda v, out=None: _clamp_numbers(v, lo, hi, out), x, np_dtype)

    @staticmethod
    def backward(ctx, grad):
        from .indexing import where

        saved = ctx.saved_tensors
        x = saved[0]
        lo, hi = ctx.bounds
        if len(saved) == 3:  # tensor bounds (a number one stays a number; clamp_min renames the node)
            lo = lo if saved[1] is None else saved[1]
            hi = hi if saved[2] is None else saved[2]
        needs = ctx.needs_input_grad
        grad_x = grad_lo = grad_hi = None
        if needs[0]:
            if lo is not None and hi is not None:
                inside = logical_and(ge(x, lo), le(x, hi))
            else:
                inside = ge(x, lo) if lo is not None else le(x, hi)
            grad_x = _grad_for(where(inside, grad, 0), x)
        if needs[1]:
            below = lt(x, lo)
            if hi is not None:
                below = logical_and(below, lt(lo, hi))
            grad_lo = _grad_for(where(below, grad, 0), lo)
        if needs[2]:
            above = gt(x, hi)
            if lo is not None:
                above = logical_or(above, lt(hi, lo))
            grad_hi = _grad_for(where(above, grad, 0), hi)
        return grad_x, grad_lo, grad_hi, None


def _clamp_numbers(x, lo, hi, out):
    xp = array_module(x)
    if lo is not None:
        x = xp.maximum(x, lo, out=out)
    if hi is not None:
        x = xp.minimum(x, hi, out=out)
    return x


def _clamp_fn(has_lo, has_hi):
    def clamp_arrays(x, *bounds, out):
        xp = array_module(out)
        if has_lo:
            x = xp.maximum(x, bounds[0], out=out)
        if has_hi:
            x = xp.minimum(x, bounds[-1], out=out)
        return x
    return clamp_arrays


def clamp(input, min=None, max=None):  # noqa: A002 - torch's names
    """Limit every element to ``[min, max]`` (numbers or tensors); with min > max, all become max."""
    _require_tensor(input, "clamp")
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    for name, bound in (("min", min), ("max", max)):
        if bound is not None and not _is_operand(bound):
            raise TypeError(f"clamp(): argument '{name}' must be Number, not {type(bound).__name__}")
    bounds = [b for b in (min, max) if b is not None]
    np_dtype = _result_np_dtype(input, *bounds)
    tensor_bounds = builtins.any(isinstance(b, Tensor) for b in bounds)
    if np_dtype == _BOOL_NP and (len(bounds) == 2 or not tensor_bounds):  # one tensor bound: max/min work
        kernel = "clamp_cpu" if tensor_bounds else (
            "clamp_scalar_cpu" if len(bounds) == 2 else "clamp_min_scalar_cpu" if min is not None
            else "clamp_max_scalar_cpu")
        raise _not_implemented(kernel, np_dtype)
    if not tensor_bounds:
        for b in bounds:
            _check_fits(b, dtypes.FROM_NUMPY[np_dtype])
    return Clamp.apply(input, min, max, np_dtype)


def clip(input, min=None, max=None):  # noqa: A002 - torch's names
    """An alias of ``clamp``."""
    return clamp(input, min, max)


def _check_one_bound(fname: str, input, bound, argname: str):  # noqa: A002 - torch's name
    """``clamp_min``/``clamp_max`` take exactly one bound, a tensor or a number (None is no bound)."""
    if isinstance(input, Tensor) and _is_operand(bound):
        dtypes.check_python_int(bound)
        return
    raise _invalid_combination(fname, (input, bound), f"Tensor input, Tensor {argname}",
                               f"Tensor input, Number {argname}")


def _invalid_combination(fname: str, args, *signatures: str) -> TypeError:
    """torch's TypeError when the argument types fit none of ``fname``'s signatures (each listed with ``out=``)."""
    got = ", ".join("Tensor" if isinstance(v, Tensor) else type(v).__name__ for v in args)
    listed = "".join(f" * ({signature}, *, Tensor out = None)\n" for signature in signatures)
    return TypeError(f"{fname}() received an invalid combination of arguments - got ({got}), but expected one of:\n"
                     + listed)


def _renamed(out, prefix: str, bound):
    """``out`` with its graph node named as torch names ``clamp_min``/``clamp_max``'s own nodes.

    They are ``clamp`` with one bound (same values, same subgradient), but torch gives them
    nodes of their own, numbered the other way round: ``ClampMinBackward0`` for a number
    bound, ``ClampMinBackward1`` for a tensor one (``clamp``'s are ClampBackward1 and 0).
    """
    node = out.grad_fn
    if node is not None and node.name().startswith("Clamp"):
        node.node_name = f"{prefix}Backward{1 if isinstance(bound, Tensor) else 0}"
    return out


def clamp_min(input, min):  # noqa: A002 - torch's names
    """``max(input, min)`` element by element: ``clamp(input, min=min)`` under torch's other name."""
    _check_one_bound("clamp_min", input, min, "min")
    return _renamed(clamp(input, min=min), "ClampMin", min)


def clamp_max(input, max):  # noqa: A002 - torch's names
    """``min(input, max)`` element by element: ``clamp(input, max=max)`` under torch's other name."""
    _check_one_bound("clamp_max", input, max, "max")
    return _renamed(clamp(input, max=max), "ClampMax", max)


# ====================================================================== nan_to_num, lerp, frac
class NanToNum(Function):
    """NaN, +inf and -inf replaced by numbers; other values pass through.

    Backward: ``grad * isfinite(x)`` -- a replaced value is a constant, so its gradient is 0.
    torch multiplies (it does not select), so an infinite upstream gradient at a NaN gives NaN.
    """

    @staticmethod
    def forward(ctx, x, nan, posinf, neginf):
        ctx.save_for_backward(x)
        return _unary(lambda v, out=None: _replace_non_finite(v, nan, posinf, neginf, out), x, x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return mul(grad, isfinite(x)), None, None, None


def _replace_non_finite(x, nan, posinf, neginf, out=None):
    xp = array_module(x)
    out = _copy(x, out)
    xp.copyto(out, nan, where=xp.isnan(x))
    xp.copyto(out, posinf, where=x == np.inf)
    xp.copyto(out, neginf, where=x == -np.inf)
    return out


def _float_arg(fname: str, argname: str, value):
    """A ``float?`` argument of torch: None, or a number (bool, int, float, a 0-d tensor) as a Python float."""
    if value is None or (isinstance(value, Tensor) and value._data.ndim == 0):
        return None if value is None else float(value.item())
    if not _is_number(value):
        raise TypeError(f"{fname}(): argument '{argname}' must be float, not {type(value).__name__}")
    return float(value)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):  # noqa: A002 - torch's name
    """NaN -> ``nan``, +inf -> ``posinf``, -inf -> ``neginf`` (by default the dtype's largest and
    smallest finite values: ``finfo(dtype).max`` and ``.min``). Integer and bool tensors hold no
    NaN or inf: they come back as a copy. The numbers are rounded to the tensor's dtype, so
    ``nan=1e6`` in float16 is inf, as in torch.
    """
    _require_tensor(input, "nan_to_num")
    values = [_float_arg("nan_to_num", name, v) for name, v in (("nan", nan), ("posinf", posinf), ("neginf", neginf))]
    if not input.dtype.is_floating_point:
        return _wrap(_unary(_copy, input._data, input._data.dtype))
    info = dtypes.finfo(input.dtype)
    defaults = (0.0, float(info.max), float(info.min))
    np_dtype = input._data.dtype
    nan, posinf, neginf = (_scalar_as(d if v is None else v, np_dtype) for v, d in zip(values, defaults))
    return NanToNum.apply(input, nan, posinf, neginf)


def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
    """In-place ``nan_to_num``."""
    _check_leaf(self)
    return _inplace_unary(self, self._data.dtype, lambda: nan_to_num(self, nan, posinf, neginf))


class Frac(Function):
    """``x - trunc(x)``: the fractional part, with ``x``'s sign (``frac(-1.5) == -0.5``).

    The subtraction is exact in every float format (both numbers share their leading bits), so
    the half types need no float32 detour. Backward: the slope is 1 (trunc is flat), ``grad`` as is.
    """

    @staticmethod
    def forward(ctx, x):
        return _unary(_frac, x, x.dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad


def _frac(x, out=None):
    xp = array_module(x)
    return xp.subtract(x, xp.trunc(x), out=out)


def frac(input):  # noqa: A002 - torch's name
    """The fractional part ``input - trunc(input)``; floating point only (torch has no integer kernel)."""
    _require_tensor(input, "frac")
    if not input.dtype.is_floating_point:
        raise _not_implemented("frac_cpu", input._data.dtype)
    return Frac.apply(input)


def frac_(self):
    """In-place ``frac``."""
    _check_leaf(self)
    if not self.dtype.is_floating_point:
        raise _not_implemented("frac_cpu", self._data.dtype)
    return _inplace_unary(self, self._data.dtype, lambda: frac(self))


class Lerp(Function):
    """``start + weight * (end - start)``, computed as torch's CPU kernel computes it.

    Two formulas give the same number in exact arithmetic, not in floating point: for a small
    weight (``|weight| < 0.5``) ``start + weight * (end - start)`` is exact at ``weight == 0``;
    for a large one ``end + (weight - 1) * (end - start)`` is exact at ``weight == 1``. torch picks
    per element, and does the multiply-add *fused* (one rounding: ``_fused_multiply_add``).

    Backward: ``grad * (1 - weight)`` for ``start``, ``grad * weight`` for ``end`` and
    ``grad * (end - start)`` for a tensor ``weight``, each summed back over broadcasting.
    torch's node is LerpBackward0 for a number weight, LerpBackward1 for a tensor one.
    """

    @staticmethod
    def forward(ctx, start, end, weight, np_dtype):
        ctx.save_for_backward(start, end, weight if _is_array(weight) else None)
        ctx.meta = (_meta(start), _meta(end), _meta(weight))
        if _is_array(weight):
            ctx.node_name = "LerpBackward1"
            return _elementwise(_lerp_values, (start, end, weight), np_dtype)
        ctx.node_name = "LerpBackward0"
        ctx.weight = weight
        return _elementwise(lambda s, e, out: _lerp_values(s, e, weight, out=out), (start, end), np_dtype)

    @staticmethod
    def backward(ctx, grad):
        start, end, weight = ctx.saved_tensors
        weight = ctx.weight if weight is None else weight
        need_start, need_end, need_weight = ctx.needs_input_grad[:3]
        grad_start = _reduce_grad(grad * (1 - weight), *ctx.meta[0]) if need_start else None
        grad_end = _reduce_grad(grad * weight, *ctx.meta[1]) if need_end else None
        grad_weight = _reduce_grad(grad * (end - start), *ctx.meta[2]) if need_weight else None
        return grad_start, grad_end, grad_weight, None


def _lerp_values(start, end, weight, out):
    """torch's lerp into ``out``: per element the small- or large-weight formula, multiply-add fused.

    The arithmetic runs in torch's "opmath" type: float32 for float32, float16 and bfloat16
    (then rounded once more), float64 for float64.
    """
    xp = array_module(out)
    opmath = _F64_NP if out.dtype == _F64_NP else _F32_NP
    start, end = start.astype(opmath), end.astype(opmath)
    weight = weight.astype(opmath) if _is_array(weight) else opmath.type(weight)
    small = xp.abs(weight) < 0.5
    coefficient = xp.where(small, weight, weight - opmath.type(1))
    base = xp.where(small, start, end)
    result = _fused_multiply_add(coefficient, end - start, base)
    xp.copyto(out, result.astype(opmath), casting="unsafe")
    return out


def _fused_multiply_add(a, b, c):
    """``a * b + c`` rounded once, as a CPU's FMA instruction (which torch's kernels use) rounds it.

    For float32 operands, float64 holds the product exactly, so one float64 addition (rounded
    to float32 by the caller) is the fused result but for rare double-rounding ties. float64 has
    no wider type here: the product's rounding error is recovered exactly (Dekker's two-product,
    ``_split``) and added back with the sum's own error (Knuth's two-sum).
    """
    xp = array_module(a)
    if a.dtype != _F64_NP:
        return a.astype(_F64_NP) * b.astype(_F64_NP) + c
    product = a * b
    (a_hi, a_lo), (b_hi, b_lo) = _split(a), _split(b)
    product_error = ((a_hi * b_hi - product) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    total = product + c
    c_part = total - product
    sum_error = (product - (total - c_part)) + (c - c_part)
    fused = total + (sum_error + product_error)
    return xp.where(xp.isfinite(fused), fused, product + c)  # huge values overflow the split: plain sum there


def _split(x):
    """``x == hi + lo`` with ``hi`` holding x's top 26 bits, so products of halves are exact (Veltkamp)."""
    scaled = x * 134217729.0  # 2**27 + 1
    hi = scaled - (scaled - x)
    return hi, x - hi


def _lerp_error(expected, argname: str, got):
    return RuntimeError(f"expected dtype {dtypes.CPP_TYPEID_NAMES[expected]} for `{argname}` but got dtype "
                        f"{dtypes.CPP_TYPEID_NAMES[got]}")


def _check_lerp(input, end, weight):  # noqa: A002 - torch's name
    """torch's checks for ``lerp``, in its order: argument types, dtypes, shapes, then the kernel's dtype."""
    if not (isinstance(input, Tensor) and isinstance(end, Tensor) and _is_operand(weight)):
        raise _invalid_combination("lerp", (input, end, weight), "Tensor input, Tensor end, Tensor weight",
                                   "Tensor input, Tensor end, Number weight")
    dtypes.check_python_int(weight)
    if end.dtype is not input.dtype:
        raise _lerp_error(input.dtype, "end", end.dtype)
    tensor_weight = isinstance(weight, Tensor)
    if tensor_weight and weight._data.ndim and weight.dtype is not input.dtype:  # a 0-d weight is a number
        raise _lerp_error(input.dtype, "weight", weight.dtype)
    _broadcast_shapes([t._data for t in (input, end, weight) if isinstance(t, Tensor)])
    if not input.dtype.is_floating_point:
        raise _not_implemented("lerp_kernel_tensor" if tensor_weight else "lerp_kernel_scalar", input._data.dtype)


def lerp(input, end, weight):  # noqa: A002 - torch's name
    """Linear interpolation ``input + weight * (end - input)``: ``weight`` 0 gives ``input``, 1 gives ``end``.

    ``input`` and ``end`` must share a float dtype (no promotion); ``weight`` is a number, a 0-d
    tensor (of any dtype: it promotes as 0-d tensors do, so it only changes the result dtype when
    ``input`` and ``end`` are 0-d too) or a tensor of that dtype; all three broadcast.
    """
    _check_lerp(input, end, weight)
    if isinstance(weight, Tensor):  # a 0-d weight takes part in promotion as 0-d tensors do (see result_type)
        np_dtype = _result_np_dtype(input, end, weight)
    else:
        np_dtype = input._data.dtype
        weight = float(weight) if isinstance(weight, (bool, np.bool_)) else weight
    return Lerp.apply(input, end, weight, np_dtype)


def lerp_(self, end, weight):
    """In-place ``lerp``: only ``end`` and ``weight`` may broadcast."""
    _check_lerp(self, end, weight)
    _check_leaf(self)
    others = [t for t in (end, weight) if isinstance(t, Tensor)]
    _check_writable(self, *others)
    _check_inplace_shape(self, *others)
    return _inplace(self, lerp(self, end, weight))


# ====================================================================== comparisons and logic (no gradient)
def _operand_arrays(*operands) -> list:
    """The arrays behind tensor operands (numbers as they are), all on one device.

    For the ops that skip ``Function.apply``: the same device rule — torch's error for tensors
    on two devices, except that a 0-d CPU tensor joins GPU ones (its value is copied over).
    """
    device = None
    for op in operands:
        if isinstance(op, Tensor):  # (a Parameter too)
            if device is None:
                device = op.device
            elif op.device is not device:
                return same_device_arrays(operands)
    return [op._data if isinstance(op, Tensor) else op for op in operands]


def _one_device(a, b):
    """Two tensors on one device (the GPU, when a 0-d CPU tensor meets a GPU one), or torch's error."""
    if a.device is b.device:
        return a, b
    same_device_arrays((a, b))  # raises, unless one of them is a 0-d CPU tensor
    return (a.to(b.device), b) if a.device.type == "cpu" else (a, b.to(a.device))


def _compare(ufunc, tensor, other, fname):
    """``tensor <op> other`` as a bool tensor, compared in the promoted dtype (numbers wrap, as in torch)."""
    out = _plain_binary(ufunc, tensor, other)
    if out is not None:
        return out
    _require_tensor(tensor, fname)
    if not _is_operand(other):
        raise TypeError(f"{fname}() received an invalid combination of arguments - got (Tensor, "
                        f"{type(other).__name__})")
    arrays = _operand_arrays(tensor, other)
    return _wrap(_elementwise(ufunc, arrays, _result_np_dtype(tensor, other), _BOOL_NP))


def eq(input, other):  # noqa: A002 - torch's name
    """``input == other`` element by element."""
    return _compare(np.equal, input, other, "eq")


def ne(input, other):  # noqa: A002 - torch's name
    """``input != other`` element by element."""
    return _compare(np.not_equal, input, other, "ne")


def lt(input, other):  # noqa: A002 - torch's name
    """``input < other`` element by element."""
    return _compare(np.less, input, other, "lt")


def le(input, other):  # noqa: A002 - torch's name
    """``input <= other`` element by element."""
    return _compare(np.less_equal, input, other, "le")


def gt(input, other):  # noqa: A002 - torch's name
    """``input > other`` element by element."""
    return _compare(np.greater, input, other, "gt")


def ge(input, other):  # noqa: A002 - torch's name
    """``input >= other`` element by element."""
    return _compare(np.greater_equal, input, other, "ge")


def _logical(ufunc, tensor, other, fname):
    """A logical op: any dtypes in (nonzero is true), a bool tensor out."""
    _require_tensor(tensor, fname)
    _require_tensor(other, fname, "other", 2)
    return _wrap(_elementwise(ufunc, _operand_arrays(tensor, other), _result_np_dtype(tensor, other), _BOOL_NP))


def logical_and(input, other):  # noqa: A002 - torch's name
    """True where both are nonzero; any dtypes, a bool result."""
    return _logical(np.logical_and, input, other, "logical_and")


def logical_or(input, other):  # noqa: A002 - torch's name
    """True where either is nonzero."""
    return _logical(np.logical_or, input, other, "logical_or")


def logical_xor(input, other):  # noqa: A002 - torch's name
    """True where exactly one is nonzero."""
    return _logical(np.logical_xor, input, other, "logical_xor")


def logical_not(input):  # noqa: A002 - torch's name
    """True where the element is zero."""
    _require_tensor(input, "logical_not")
    x = input._data
    return _wrap(_elementwise(np.logical_not, (x,), x.dtype, _BOOL_NP))


def _bitwise(ufunc, kernel, a, b):
    """A bitwise op on bools or integers (numbers allowed on either side); floats have no bits to flip."""
    np_dtype = _arith_dtype(a, b, kernel.split("_cpu")[0])
    if np_dtype in _FLOAT_NP:
        raise _not_implemented(kernel, np_dtype)
    return _wrap(_elementwise(ufunc, _operand_arrays(a, b), np_dtype))


def bitwise_and(input, other):  # noqa: A002 - torch's name
    """``input & other`` on bools (logical and) or integers (bit by bit)."""
    return _bitwise(np.bitwise_and, "bitwise_and_cpu", input, other)


def bitwise_or(input, other):  # noqa: A002 - torch's name
    """``input | other`` on bools or integers."""
    return _bitwise(np.bitwise_or, "bitwise_or_cpu", input, other)


def bitwise_xor(input, other):  # noqa: A002 - torch's name
    """``input ^ other`` on bools or integers."""
    return _bitwise(np.bitwise_xor, "bitwise_xor_cpu", input, other)


def bitwise_not(input):  # noqa: A002 - torch's name
    """``~input``: logical not for bools, bit flip for integers (``~0 == -1``)."""
    _require_tensor(input, "bitwise_not")
    x = input._data
    if x.dtype in _FLOAT_NP:
        raise _not_implemented("bitwise_not_cpu", x.dtype)
    return _wrap(_unary(np.invert, x, x.dtype))


def _nan_like_check(tensor, fname):
    _require_tensor(tensor, fname)
    return tensor._data


def isnan(input):  # noqa: A002 - torch's name
    """True where the element is NaN (never, for integers)."""
    x = _nan_like_check(input, "isnan")
    if x.dtype in _FLOAT_NP:
        return _wrap(_elementwise(np.isnan, (x,), x.dtype, _BOOL_NP))
    return _wrap(_elementwise(np.not_equal, (x, x), x.dtype, _BOOL_NP))


def isinf(input):  # noqa: A002 - torch's name
    """True where the element is +inf or -inf."""
    x = _nan_like_check(input, "isinf")
    if x.dtype in _FLOAT_NP:
        return _wrap(_elementwise(np.isinf, (x,), x.dtype, _BOOL_NP))
    return _wrap(_filled_like(x, False))


def isfinite(input):  # noqa: A002 - torch's name
    """True where the element is neither infinite nor NaN (always, for integers)."""
    x = _nan_like_check(input, "isfinite")
    if x.dtype in _FLOAT_NP:
        return _wrap(_elementwise(np.isfinite, (x,), x.dtype, _BOOL_NP))
    return _wrap(_filled_like(x, True))


def _filled_like(x, value) -> np.ndarray:
    """A bool array shaped and laid out like ``x``, on its device (torch's ``zeros_like``/``ones_like``)."""
    out = _empty(x.shape, _BOOL_NP, preserve_format_strides(x.shape, element_strides(x)), array_module(x))
    out.fill(value)
    return out


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):  # noqa: A002 - torch's name
    """``|input - other| <= atol + rtol * |other|`` element by element (exactly equal counts too).

    Both tensors must have the same dtype, as in torch.
    """
    _require_tensor(input, "isclose")
    _require_tensor(other, "isclose", "other", 2)
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{dtypes.SCALAR_NAMES[input.dtype]} did not match {dtypes.SCALAR_NAMES[other.dtype]}")
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol}")
    input, other = _one_device(input, other)  # noqa: A001 - torch's name
    close = eq(input, other)  # exact equality: also what makes inf close to inf
    if equal_nan and input.dtype.is_floating_point:
        close._data |= isnan(input)._data & isnan(other)._data
    if rtol == 0 and atol == 0:
        return close
    a, b = input, other
    if a.dtype is dtypes.bool:  # bools have no subtraction: compare them as floats
        a, b = a.to(dtypes.get_default_dtype()), b.to(dtypes.get_default_dtype())
    allowed_error = add(abs(mul(b, rtol)), atol)
    actual_error = abs(sub(a, b))
    close._data |= isfinite(actual_error)._data & le(actual_error, allowed_error)._data
    return close


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:  # noqa: A002 - torch's name
    """True when ``isclose`` holds everywhere: the way to compare float results."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def equal(input, other) -> bool:  # noqa: A002 - torch's name
    """True when both have the same shape and the same values (dtypes may differ)."""
    _require_tensor(input, "equal")
    _require_tensor(other, "equal", "other", 2)
    if input._data.shape != other._data.shape:
        return False
    return bool(eq(input, other)._data.all())


# ====================================================================== in-place operations
def _can_cast(src: dtypes.dtype, dst: dtypes.dtype) -> bool:
    """torch's in-place rule: never float -> integer, never non-bool -> bool."""
    if src.is_floating_point and not dst.is_floating_point:
        return False
    return not (src is not dtypes.bool and dst is dtypes.bool)


def _check_leaf(self):
    """Autograd's rules, checked before an in-place op writes into ``self`` under grad mode.

    * a leaf that requires grad may only change under ``no_grad()`` (its gradient is computed
      from its value; the optimizer's update runs under no_grad);
    * nor may a view of one;
    * a view of another tensor that requires grad is refused too: torch rewrites the base's
      graph there (CopySlices), which this library does not do.
    """
    if not (self.requires_grad and STATE.enabled):
        return
    node = self.grad_fn
    if node is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    if node.returns_view:
        while node is not None and node.returns_view:
            node = node.next_functions[0][0]
        if node.__class__ is AccumulateGrad:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place "
                               "operation.")
        raise RuntimeError(
            f"Output 0 of {self.grad_fn.name()} is a view of a tensor that requires grad and is being modified "
            "in-place: tinygrad_lessons does not support in-place operations on views of tensors that require "
            "grad (torch records a CopySlices node there). Use an out-of-place operation instead, e.g. "
            "`y = y.add(1)` rather than `y[0].add_(1)`, or build the new tensor with torch.where / torch.cat.")


def _check_writable(self, *inputs):
    """The overlap checks torch makes before an in-place op writes into ``self``."""
    x = self._data
    assert_no_internal_overlap(x)
    for other in inputs:
        if isinstance(other, Tensor):
            assert_no_partial_overlap(x, other._data)


def _check_inplace_shape(self, *others):
    """Only the other operands may broadcast: ``self``'s shape can't grow in place."""
    shape = self._data.shape
    for other in others:
        if isinstance(other, Tensor):
            shape = infer_size(shape, other._data.shape)
    if shape != self._data.shape:
        raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                           f"{list(shape)}")


def _check_inplace_device(self, *others):
    """An in-place op writes into ``self``'s memory, so its other tensors must be on ``self``'s device
    (a 0-d CPU tensor may still join a GPU ``self``); torch names ``self``'s device first."""
    for other in others:
        if other.__class__ is Tensor and other.device is not self.device and (
                self.device.type == "cpu" or other.device.type != "cpu" or other._data.ndim):
            raise device_mismatch_error(self.device, other.device)


def _check_can_cast(result_np_dtype, self):
    result = dtypes.FROM_NUMPY[np.dtype(result_np_dtype)]
    if not _can_cast(result, self.dtype):
        raise RuntimeError(f"result type {dtypes.SCALAR_NAMES[result]} can't be cast to the desired output type "
                           f"{dtypes.SCALAR_NAMES[self.dtype]}")


def _inplace(self, result: Tensor):
    """Write an out-of-place ``result`` into ``self``'s memory, where every view of ``self`` sees it.

    When autograd recorded ``result`` (grad mode on and ``self`` or an operand requires grad),
    ``self`` takes over its place in the graph: its ``grad_fn`` becomes the op's node, so the
    gradient flows through the op to what ``self`` was before. A node that saved ``self`` as an
    input keeps a copy of the old values instead (they are about to be overwritten); one that
    saved its own result now watches ``self``, so a later in-place change is detected.
    """
    node = result.grad_fn
    xp = array_module(self._data)
    if node is None:
        xp.copyto(self._data, result._data, casting="unsafe")
        self._bump_version()
        return self
    if not self.requires_grad:  # written from a tensor that requires grad: self joins the graph
        from .indexing import _WRITE_INTO_VIEW, _looks_like_view

        if _looks_like_view(self):  # ...and so would its base (torch's CopySlices): not done here
            raise RuntimeError(_WRITE_INTO_VIEW)
    nodes = [node]
    if result.dtype is not self.dtype:  # e.g. float32 += float64: the result is cast into self's dtype
        result = result.to(self.dtype)
        node = result.grad_fn
        nodes.append(node)
    old = None
    for n in nodes:
        if old is None and builtins.any(t is self for t in n._saved or ()):
            old = _snapshot(self)
    xp.copyto(self._data, result._data, casting="unsafe")
    self._bump_version()
    for n in nodes:
        if n._saved:
            _resave(n, self, old, result)
    self.grad_fn = node
    self.requires_grad = True
    self._output_nr = result._output_nr
    return self


def _snapshot(t):
    """A copy of ``t``'s values that stands for ``t`` in the graph (same node, same output)."""
    old = _wrap(t._data.copy())
    old.requires_grad = t.requires_grad
    old.grad_fn = t.grad_fn
    old._output_nr = t._output_nr
    old._grad_accumulator = t._grad_accumulator
    return old


def _resave(node, self, old, result):
    """Point a node's saved tensors at what they now are: ``old`` for ``self``, ``self`` for ``result``."""
    saved, versions = list(node._saved), list(node._saved_versions)
    for i, t in enumerate(saved):
        if t is self:
            saved[i], versions[i] = old, 0
        elif t is result:
            saved[i], versions[i] = self, self._version_now()
    node._saved, node._saved_versions = tuple(saved), tuple(versions)


def _inplace_binary(self, other, result_np_dtype, compute):
    """The general in-place path, with torch's checks in torch's order.

    1. neither memory overlap problem (checked by the caller after its op's own checks);
    2. ``other`` broadcasts to ``self``'s shape (never the other way round);
    3. ``other`` is on ``self``'s device (or a 0-d CPU tensor);
    4. the result dtype can be cast to ``self``'s (no float result into an int tensor);
    then ``compute()`` makes the out-of-place result, which is written into ``self``.
    """
    _check_writable(self, other)
    _check_inplace_shape(self, other)
    _check_inplace_device(self, other)
    _check_can_cast(result_np_dtype, self)
    return _inplace(self, compute())


def _inplace_unary(self, result_np_dtype, compute):
    _check_leaf(self)
    _check_writable(self)
    _check_can_cast(result_np_dtype, self)
    return _inplace(self, compute())


def _plain_inplace(self, other) -> bool:
    """True when ``self op= other`` can go straight to NumPy, writing into ``self``'s memory.

    That is: nothing to record for autograd (grad mode off, as in an optimizer's update, or no
    operand requiring grad), ``self`` not expanded, and ``other`` either a tensor of the same
    dtype, shape and device that doesn't partly share ``self``'s memory, or a Python number on
    a float32/float64 tensor (where it fits without overflow).
    """
    if other.__class__ is int and not _INT_LOW <= other < _INT_END:
        dtypes.check_python_int(other)  # torch's OverflowError comes before any other check
    grad_mode = STATE.enabled
    if self.requires_grad and grad_mode:
        return False
    x = self._data
    if 0 in x.strides:
        return False
    if other.__class__ is Tensor:
        y = other._data
        return (other.dtype is self.dtype and other.device is self.device and y.shape == x.shape
                and not (other.requires_grad and grad_mode)
                and (x is y or (x.base is None and y.base is None)
                     or not (np if x.__class__ is _ndarray else array_module(x)).may_share_memory(x, y)))
    if other.__class__ is float or other.__class__ is int:
        return x.dtype == _F64_NP or (x.dtype == _F32_NP and -_F32_MAX <= other <= _F32_MAX)
    return False


def _plain_alpha(self, alpha) -> bool:
    """An ``alpha`` the fast path may take: a Python int or float that fits a float32/float64 tensor's
    dtype (others get ``_check_alpha``'s overflow check on the general path)."""
    if alpha.__class__ is int:  # only ints NumPy negates as torch does (see _negated_alpha)
        dtypes.check_python_int(alpha)
        if not -(2**63) < alpha < 2**63:
            return False
    elif alpha.__class__ is not float:
        return False
    x = self._data
    return x.dtype == _F64_NP or (x.dtype == _F32_NP and -_F32_MAX <= alpha <= _F32_MAX)


def _plain_operand(other, np_dtype):
    return other._data if isinstance(other, Tensor) else np_dtype.type(other)


def add_(self, other, *, alpha=1):
    """In-place ``add``: ``self += alpha * other``, written into ``self``'s memory."""
    if _plain_inplace(self, other) and (_no_alpha(alpha) or _plain_alpha(self, alpha)):
        x = self._data
        y = _plain_operand(other, x.dtype)
        (np.add if x.__class__ is _ndarray else _for(array_module(x), np.add))(
            x, y if alpha == 1 else y * x.dtype.type(alpha), out=x)
        self._bump_version()
        return self
    _check_leaf(self)  # under grad mode, the fast path above never takes a tensor that requires grad
    return _inplace_binary(self, other, _result_np_dtype(self, other), lambda: add(self, other, alpha=alpha))


def sub_(self, other, *, alpha=1):
    """In-place ``sub``: ``self -= alpha * other``."""
    if (self.dtype is not dtypes.bool and _plain_inplace(self, other)
            and (_no_alpha(alpha) or _plain_alpha(self, alpha))):
        x = self._data
        y = _plain_operand(other, x.dtype)
        (np.subtract if x.__class__ is _ndarray else _for(array_module(x), np.subtract))(
            x, y if alpha == 1 else y * x.dtype.type(alpha), out=x)
        self._bump_version()
        return self
    dtypes.check_python_int(other)  # (the fast path above skips bool tensors)
    dtypes.check_python_int(alpha)
    _check_leaf(self)  # under grad mode, the fast path above never takes a tensor that requires grad
    _check_sub(self, other)
    return _inplace_binary(self, other, _result_np_dtype(self, other), lambda: sub(self, other, alpha=alpha))


def mul_(self, other):
    """In-place ``mul``: ``self *= other``."""
    if _plain_inplace(self, other):
        x = self._data
        (np.multiply if x.__class__ is _ndarray else _for(array_module(x), np.multiply))(
            x, _plain_operand(other, x.dtype), out=x)
        self._bump_version()
        return self
    _check_leaf(self)  # under grad mode, the fast path above never takes a tensor that requires grad
    return _inplace_binary(self, other, _result_np_dtype(self, other), lambda: mul(self, other))


def div_(self, other, *, rounding_mode=None):
    """In-place ``div`` (an integer tensor needs a ``rounding_mode``: ``x / 2`` isn't an integer)."""
    if rounding_mode is None and self.dtype.is_floating_point and _plain_inplace(self, other):
        x = self._data
        (np.true_divide if x.__class__ is _ndarray else _for(array_module(x), np.true_divide))(
            x, _plain_operand(other, x.dtype), out=x)
        self._bump_version()
        return self
    _check_leaf(self)  # under grad mode, the fast path above never takes a tensor that requires grad
    np_dtype = _result_np_dtype(self, other)
    if rounding_mode is None:
        np_dtype = _float_np_dtype(np_dtype)
    return _inplace_binary(self, other, np_dtype, lambda: div(self, other, rounding_mode=rounding_mode))


def true_divide_(self, other):
    return div_(self, other)


def floor_divide_(self, other):
    """In-place ``//``."""
    dtypes.check_python_int(other)  # torch's argument parser runs before the op's own checks
    _check_leaf(self)
    return _inplace_binary(self, other, _result_np_dtype(self, other), lambda: floor_divide(self, other))


def remainder_(self, other):
    dtypes.check_python_int(other)
    _check_leaf(self)
    return _inplace_binary(self, other, _result_np_dtype(self, other), lambda: remainder(self, other))


def fmod_(self, other):
    dtypes.check_python_int(other)
    _check_leaf(self)
    return _inplace_binary(self, other, _result_np_dtype(self, other), lambda: fmod(self, other))


def pow_(self, exponent):
    """In-place ``pow``."""
    _check_int_exponent(self, exponent)
    _check_leaf(self)
    np_dtype = _result_np_dtype(self, exponent)
    if np_dtype.kind in "iu" and _is_number(exponent) and exponent < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return _inplace_binary(self, exponent, np_dtype, lambda: pow(self, exponent))


def clamp_(self, min=None, max=None):  # noqa: A002 - torch's names
    """In-place ``clamp``; number bounds must not change the dtype (no float bounds on an int tensor)."""
    dtypes.check_python_int(min)
    dtypes.check_python_int(max)
    _check_leaf(self)
    bounds = [b for b in (min, max) if b is not None]
    np_dtype = _result_np_dtype(self, *bounds) if bounds else self._data.dtype
    if not builtins.any(isinstance(b, Tensor) for b in bounds):
        if np_dtype != self._data.dtype:  # torch's clamp-with-numbers check, made before anything else
            raise RuntimeError(f"result type {torch_name(np_dtype)} can't be cast to the desired output type "
                               f"{dtypes.CPP_TYPEID_NAMES[self.dtype]}")
        _check_writable(self)
        return _inplace(self, clamp(self, min, max))
    _check_writable(self, *bounds)
    _check_inplace_shape(self, *bounds)
    _check_inplace_device(self, *bounds)
    _check_can_cast(np_dtype, self)
    return _inplace(self, clamp(self, min, max))


def clip_(self, min=None, max=None):  # noqa: A002 - torch's names
    return clamp_(self, min, max)


def clamp_min_(self, min):  # noqa: A002 - torch's names
    """In-place ``clamp_min``."""
    _check_one_bound("clamp_min_", self, min, "min")
    return _renamed(clamp_(self, min=min), "ClampMin", min)


def clamp_max_(self, max):  # noqa: A002 - torch's names
    """In-place ``clamp_max``."""
    _check_one_bound("clamp_max_", self, max, "max")
    return _renamed(clamp_(self, max=max), "ClampMax", max)


def _float_result(self):
    return _float_np_dtype(self._data.dtype)


def neg_(self):
    _check_leaf(self)
    if self.dtype is dtypes.bool:
        neg(self)  # raises torch's error, before any other check
    return _inplace_unary(self, self._data.dtype, lambda: neg(self))


def abs_(self):
    return _inplace_unary(self, self._data.dtype, lambda: abs(self))


def sqrt_(self):
    return _inplace_unary(self, _float_result(self), lambda: sqrt(self))


def rsqrt_(self):
    return _inplace_unary(self, _float_result(self), lambda: rsqrt(self))


def exp_(self):
    return _inplace_unary(self, _float_result(self), lambda: exp(self))


def log_(self):
    return _inplace_unary(self, _float_result(self), lambda: log(self))


def sin_(self):
    return _inplace_unary(self, _float_result(self), lambda: sin(self))


def cos_(self):
    return _inplace_unary(self, _float_result(self), lambda: cos(self))


def tanh_(self):
    return _inplace_unary(self, _float_result(self), lambda: tanh(self))


def sigmoid_(self):
    return _inplace_unary(self, _float_result(self), lambda: sigmoid(self))


def relu_(self):
    _check_leaf(self)
    if self.dtype is dtypes.bool:
        relu(self)  # raises torch's error, before any other check
    return _inplace_unary(self, self._data.dtype, lambda: relu(self))


def square_(self):
    return _inplace_unary(self, _result_np_dtype(self, 2), lambda: square(self))


def reciprocal_(self):
    return _inplace_unary(self, _float_result(self), lambda: reciprocal(self))


def sign_(self):
    return _inplace_unary(self, self._data.dtype, lambda: sign(self))


def floor_(self):
    return _inplace_unary(self, self._data.dtype, lambda: floor(self))


def ceil_(self):
    return _inplace_unary(self, self._data.dtype, lambda: ceil(self))


def trunc_(self):
    return _inplace_unary(self, self._data.dtype, lambda: trunc(self))


def round_(self, *, decimals=0):
    return _inplace_unary(self, self._data.dtype, lambda: round(self, decimals=decimals))


def _records(self, other=None) -> bool:
    """Whether an in-place write into ``self`` must be recorded: grad mode on, and ``self`` or the
    tensor written from requires grad."""
    return STATE.enabled and (self.requires_grad or (isinstance(other, Tensor) and other.requires_grad))


class Zero(Function):
    """``zero_`` of a tensor in the graph: the old values no longer matter, their gradient is 0."""

    @staticmethod
    def forward(ctx, x):
        return array_module(x).zeros(x.shape, x.dtype)

    @staticmethod
    def backward(ctx, grad):
        return _zeros_like(grad)


class Fill(Function):
    """``fill_`` of a tensor in the graph: 0 gradient for the old values; a 0-d tensor ``value``
    gets the sum of the gradient (torch's FillBackward3; a number value: FillBackward2)."""

    @staticmethod
    def forward(ctx, x, value):
        value_is_array = _is_array(value)
        if value_is_array:
            ctx.node_name = "FillBackward3"
            ctx.meta = _meta(value)
        else:
            ctx.node_name = "FillBackward2"
        out = array_module(x).empty(x.shape, x.dtype)
        out.fill(_scalar_as(value.item() if value_is_array else value, x.dtype))
        return out

    @staticmethod
    def backward(ctx, grad):
        grad_value = None
        if ctx.needs_input_grad[1]:
            from .reductions import sum as total

            grad_value = _reduce_grad(total(grad), *ctx.meta)
        return _zeros_like(grad), grad_value


class Copy(Function):
    """``copy_`` into a tensor in the graph: 0 gradient for the old values; ``src`` gets the
    gradient, summed back over broadcasting and cast to its dtype."""

    node_name = "torch::autograd::CopyBackwards"

    @staticmethod
    def forward(ctx, x, src):
        ctx.meta = _meta(src)
        xp = array_module(x)
        out = xp.empty(x.shape, x.dtype)
        xp.copyto(out, src, casting="unsafe")
        return out

    @staticmethod
    def backward(ctx, grad):
        grad_src = _reduce_grad(grad, *ctx.meta) if ctx.needs_input_grad[1] else None
        return _zeros_like(grad), grad_src


def zero_(self):
    """Set every element to 0, in place (views see it; expanded tensors are allowed)."""
    _check_leaf(self)
    if _records(self):
        return _inplace(self, Zero.apply(self))
    self._data.fill(0)
    self._bump_version()
    return self


def fill_(self, value):
    """Set every element to ``value`` (a number or a 0-d tensor), converted to ``self``'s dtype."""
    dtypes.check_python_int(value)
    _check_leaf(self)
    value_tensor = None
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value._data.ndim} dimensions.")
        assert_no_internal_overlap(self._data)  # torch checks this for a tensor value (not for a number)
        value_tensor, value = value, value.item()
    if not _is_number(value):
        raise TypeError(f"fill_(): argument 'value' must be Number, not {type(value).__name__}")
    if not (self.dtype in (dtypes.float16, dtypes.bfloat16) and self._data.size == 1):  # torch's quirk
        _check_fits(value, self.dtype)
    if _records(self, value_tensor):
        if value_tensor is not None and value_tensor.device is not self.device:  # torch fills across devices
            value_tensor = value_tensor.to(self.device)
        return _inplace(self, Fill.apply(self, value if value_tensor is None else value_tensor))
    self._data.fill(_scalar_as(value, self._data.dtype))
    self._bump_version()
    return self


def copy_(self, src, non_blocking=False):
    """Copy ``src`` (broadcast to ``self``'s shape, cast to its dtype) into ``self``'s memory.

    ``src`` may be on another device: the copy between host and GPU memory is the one op
    whose tensors need not share a device (its gradient goes back to ``src``'s device).
    """
    _check_leaf(self)
    x = self._data
    if isinstance(src, Tensor):
        if src.device is not self.device:  # moved (and cast to self's dtype) first: ToCopy, if recorded
            src = src.to(self.device, self.dtype)
        y = src._data
        if y is x:
            return self
        assert_no_internal_overlap(x)
        assert_no_partial_overlap(x, y)
        _check_inplace_shape(self, src)
        if _records(self, src):
            return _inplace(self, Copy.apply(self, src))
    elif _is_number(src):  # torch copies a number as a 0-d tensor of its own dtype
        assert_no_internal_overlap(x)
        y = np.array(src)  # a host number: copyto sends its value to either device (CuPy reads .item())
        if _records(self):
            return _inplace(self, Copy.apply(self, y))
    else:
        raise TypeError(f"copy_(): argument 'other' (position 1) must be Tensor, not {type(src).__name__}")
    array_module(x).copyto(x, y, casting="unsafe")
    self._bump_version()
    return self


# ====================================================================== operators
def _foreign_operand(other):
    """What an operator answers for an operand that is neither a tensor nor a real number.

    NotImplemented, so that Python tries the other operand's method or raises its usual
    TypeError -- except for a complex number: torch would make a complex tensor, and without
    a clear error here ``t == 1j`` would quietly be Python's ``False``.
    """
    if isinstance(other, (complex, np.complexfloating)):
        raise TypeError(dtypes.NO_COMPLEX)
    return NotImplemented


def _number_or_tensor(fn):
    """Turn ``fn(a, b)`` into an operator method that declines foreign operands (``_foreign_operand``)."""
    def operator(self, other):
        if other.__class__ is not Tensor and not _is_operand(other):
            return _foreign_operand(other)
        return fn(self, other)
    operator.__name__ = fn.__name__
    operator.__doc__ = fn.__doc__
    return operator


def __add__(self, other):
    """``self + other``; the fast path first, as this is the most common op of all."""
    out = _plain_binary(np.add, self, other, Add, _ALPHA_1)
    if out is not None:
        return out
    if other.__class__ is not Tensor and not _is_operand(other):
        return _foreign_operand(other)
    return add(self, other)


def __sub__(self, other):
    if self.dtype is not dtypes.bool:
        out = _plain_binary(np.subtract, self, other, Sub, _ALPHA_1)
        if out is not None:
            return out
    if other.__class__ is not Tensor and not _is_operand(other):
        return _foreign_operand(other)
    return sub(self, other)


def __mul__(self, other):
    out = _plain_binary(np.multiply, self, other, Mul)
    if out is not None:
        return out
    if other.__class__ is not Tensor and not _is_operand(other):
        return _foreign_operand(other)
    return mul(self, other)


def __truediv__(self, other):
    """``self / other``: true division (integers give the default float dtype); the fast path first."""
    if self.dtype.is_floating_point:
        out = _plain_binary(np.true_divide, self, other, Div, _NO_ROUNDING)
        if out is not None:
            return out
    if other.__class__ is not Tensor and not _is_operand(other):
        return _foreign_operand(other)
    return div(self, other)


__radd__ = _number_or_tensor(add)  # 2 + t is t + 2, as in torch
__rsub__ = _number_or_tensor(lambda self, other: sub(other, self))
__rmul__ = _number_or_tensor(mul)
__rtruediv__ = _number_or_tensor(lambda self, other: mul(reciprocal(self), other))  # torch's own recipe
__floordiv__ = _number_or_tensor(floor_divide)
__rfloordiv__ = _number_or_tensor(lambda self, other: floor_divide(other, self))
__mod__ = _number_or_tensor(remainder)
__rmod__ = _number_or_tensor(lambda self, other: remainder(other, self))
__pow__ = _number_or_tensor(pow)
__rpow__ = _number_or_tensor(lambda self, other: pow(other, self))
__and__ = _number_or_tensor(bitwise_and)
__rand__ = _number_or_tensor(lambda self, other: bitwise_and(other, self))
__or__ = _number_or_tensor(bitwise_or)
__ror__ = _number_or_tensor(lambda self, other: bitwise_or(other, self))
__xor__ = _number_or_tensor(bitwise_xor)
__rxor__ = _number_or_tensor(lambda self, other: bitwise_xor(other, self))
__eq__ = _number_or_tensor(eq)
__ne__ = _number_or_tensor(ne)
__lt__ = _number_or_tensor(lt)
__le__ = _number_or_tensor(le)
__gt__ = _number_or_tensor(gt)
__ge__ = _number_or_tensor(ge)


def __invert__(self):
    """``~self``: logical not of a bool mask, bit flip of integers."""
    if self.dtype.is_floating_point:
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
    return bitwise_not(self)


def __iand__(self, other):
    _check_leaf(self)
    return _inplace_binary(self, other, _result_np_dtype(self, other), lambda: bitwise_and(self, other))


def __ior__(self, other):
    _check_leaf(self)
    return _inplace_binary(self, other, _result_np_dtype(self, other), lambda: bitwise_or(self, other))


def __ixor__(self, other):
    _check_leaf(self)
    return _inplace_binary(self, other, _result_np_dtype(self, other), lambda: bitwise_xor(self, other))


# ---- Tensor methods defined here
Tensor.__add__ = __add__
Tensor.__radd__ = __radd__
Tensor.__iadd__ = add_
Tensor.__sub__ = __sub__
Tensor.__rsub__ = __rsub__
Tensor.__isub__ = sub_
Tensor.__mul__ = __mul__
Tensor.__rmul__ = __rmul__
Tensor.__imul__ = mul_
Tensor.__truediv__ = __truediv__
Tensor.__rtruediv__ = __rtruediv__
Tensor.__itruediv__ = div_
Tensor.__floordiv__ = __floordiv__
Tensor.__rfloordiv__ = __rfloordiv__
Tensor.__ifloordiv__ = floor_divide_
Tensor.__mod__ = __mod__
Tensor.__rmod__ = __rmod__
Tensor.__imod__ = remainder_
Tensor.__pow__ = __pow__
Tensor.__rpow__ = __rpow__
Tensor.__ipow__ = pow_
Tensor.__neg__ = neg
Tensor.__pos__ = positive
Tensor.__abs__ = abs
Tensor.__invert__ = __invert__
Tensor.__and__ = __and__
Tensor.__rand__ = __rand__
Tensor.__iand__ = __iand__
Tensor.__or__ = __or__
Tensor.__ror__ = __ror__
Tensor.__ior__ = __ior__
Tensor.__xor__ = __xor__
Tensor.__rxor__ = __rxor__
Tensor.__ixor__ = __ixor__
Tensor.__eq__ = __eq__
Tensor.__ne__ = __ne__
Tensor.__lt__ = __lt__
Tensor.__le__ = __le__
Tensor.__gt__ = __gt__
Tensor.__ge__ = __ge__
Tensor.add = add
Tensor.sub = sub
Tensor.subtract = sub
Tensor.mul = mul
Tensor.multiply = mul
Tensor.div = div
Tensor.divide = div
Tensor.true_divide = true_divide
Tensor.floor_divide = floor_divide
Tensor.remainder = remainder
Tensor.fmod = fmod
Tensor.pow = pow
Tensor.maximum = maximum
Tensor.minimum = minimum
Tensor.neg = neg
Tensor.negative = neg
Tensor.positive = positive
Tensor.abs = abs
Tensor.absolute = abs
Tensor.sqrt = sqrt
Tensor.rsqrt = rsqrt
Tensor.exp = exp
Tensor.log = log
Tensor.log2 = log2
Tensor.log10 = log10
Tensor.log1p = log1p
Tensor.expm1 = expm1
Tensor.sin = sin
Tensor.cos = cos
Tensor.tan = tan
Tensor.tanh = tanh
Tensor.sigmoid = sigmoid
Tensor.relu = relu
Tensor.square = square
Tensor.reciprocal = reciprocal
Tensor.sign = sign
Tensor.floor = floor
Tensor.ceil = ceil
Tensor.round = round
Tensor.trunc = trunc
Tensor.clamp = clamp
Tensor.clip = clip
Tensor.clamp_min = clamp_min
Tensor.clamp_max = clamp_max
Tensor.nan_to_num = nan_to_num
Tensor.lerp = lerp
Tensor.frac = frac
Tensor.eq = eq
Tensor.ne = ne
Tensor.lt = lt
Tensor.le = le
Tensor.gt = gt
Tensor.ge = ge
Tensor.logical_and = logical_and
Tensor.logical_or = logical_or
Tensor.logical_xor = logical_xor
Tensor.logical_not = logical_not
Tensor.bitwise_and = bitwise_and
Tensor.bitwise_or = bitwise_or
Tensor.bitwise_xor = bitwise_xor
Tensor.bitwise_not = bitwise_not
Tensor.isnan = isnan
Tensor.isinf = isinf
Tensor.isfinite = isfinite
Tensor.isclose = isclose
Tensor.allclose = allclose
Tensor.equal = equal
Tensor.add_ = add_
Tensor.sub_ = sub_
Tensor.subtract_ = sub_
Tensor.mul_ = mul_
Tensor.multiply_ = mul_
Tensor.div_ = div_
Tensor.divide_ = div_
Tensor.true_divide_ = true_divide_
Tensor.floor_divide_ = floor_divide_
Tensor.remainder_ = remainder_
Tensor.fmod_ = fmod_
Tensor.pow_ = pow_
Tensor.clamp_ = clamp_
Tensor.clip_ = clip_
Tensor.clamp_min_ = clamp_min_
Tensor.clamp_max_ = clamp_max_
Tensor.nan_to_num_ = nan_to_num_
Tensor.lerp_ = lerp_
Tensor.frac_ = frac_
Tensor.neg_ = neg_
Tensor.negative_ = neg_
Tensor.abs_ = abs_
Tensor.sqrt_ = sqrt_
Tensor.rsqrt_ = rsqrt_
Tensor.exp_ = exp_
Tensor.log_ = log_
Tensor.sin_ = sin_
Tensor.cos_ = cos_
Tensor.tanh_ = tanh_
Tensor.sigmoid_ = sigmoid_
Tensor.relu_ = relu_
Tensor.square_ = square_
Tensor.reciprocal_ = reciprocal_
Tensor.sign_ = sign_
Tensor.floor_ = floor_
Tensor.ceil_ = ceil_
Tensor.trunc_ = trunc_
Tensor.round_ = round_
Tensor.zero_ = zero_
Tensor.fill_ = fill_
Tensor.copy_ = copy_
