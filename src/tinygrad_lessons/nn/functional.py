"""``nn.functional``: the layers' math as plain functions (``F.relu(x)``, ``F.cross_entropy(...)``).

The operations a network runs at every step are written here as *fused* ``Function``s:
one forward and one hand-derived backward each, instead of a chain of small ops. For a
linear layer or a loss that is several times less Python per training step, and the
backward formulas are the ones worth learning:

=================  =======================================  ==========================================
operation          forward                                  backward (``g`` = gradient of the output)
=================  =======================================  ==========================================
``linear``         ``y = x @ W.T + b``                      ``dx = g @ W``, ``dW = g.T @ x``, ``db = g.sum(0)``
``relu``           ``y = max(x, 0)``                        ``g * (y > 0)``
``sigmoid``        ``y = 1 / (1 + exp(-x))``                ``g * y * (1 - y)``
``tanh``           ``y = tanh(x)``                          ``g * (1 - y²)``
``softmax``        ``y = exp(x - max) / sum(...)``          ``y * (g - sum(g * y))``
``log_softmax``    ``y = x - max - log(sum(exp(x - max)))`` ``g - exp(y) * sum(g)``
``cross_entropy``  ``-log_softmax(x)[target]``, averaged    ``(softmax(x) - one_hot(target)) / N``
``mse_loss``       ``mean((x - t)²)``                       ``2 (x - t) / N``
=================  =======================================  ==========================================

Two details matter for numbers: softmax and log-softmax subtract the row's maximum
first, so ``exp`` never overflows (``softmax([1000., 1001.])`` works), and
``cross_entropy`` never computes ``log(softmax)``: it uses log-softmax directly, which
stays finite where the probability underflows to 0.

Each backward has two branches. Normally it works on the arrays (fast). Inside
``backward(create_graph=True)`` grad mode is on, and the same formula is written with
tensor operations so that it is recorded too and can be differentiated again.

Every function runs on the device of its inputs: the array code asks ``xp =
array_module(x)`` (NumPy for CPU tensors, CuPy for GPU ones) and computes with ``xp``.
Dropout's random mask comes from the generator of the input's device (drawn on the
host, copied over as booleans). Nothing here reads a value back from a GPU, so a
training step never makes the CPU wait for the GPU: class targets out of range give a
NaN loss there (see ``_ClassIndices``), where the CPU raises torch's ``IndexError``, and
``one_hot`` trusts a given ``num_classes``. The one read left is torch's own:
``one_hot(labels)`` without ``num_classes`` must see the largest label to know its shape.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import dtypes
from .. import random as _random
from ..backend import array_module, c_contiguous, device_of, to_device
from ..creation import fresh_array
from ..function import Function, device_mismatch_error
from ..grad_mode import STATE
from ..layout import copy_with_strides, elementwise_strides
from ..size import infer_size
from ..tensor import Tensor, _wrap, _wrap_dim

__all__ = [
    "relu", "sigmoid", "tanh", "softmax", "log_softmax", "linear", "dropout",
    "cross_entropy", "nll_loss", "mse_loss", "one_hot",
]

_FLOAT32 = np.dtype(np.float32)
_HALF_TYPES = (dtypes.float16.numpy_dtype, dtypes.bfloat16.numpy_dtype)
_HALF_SET = frozenset(_HALF_TYPES)


# ---------------------------------------------------------------------- small helpers
def _upcast(a: np.ndarray) -> np.ndarray:
    """float16/bfloat16 are computed in float32 (as torch's kernels do) and rounded once at the end."""
    return a.astype(_FLOAT32) if a.dtype in _HALF_SET else a


def _rows(a: np.ndarray) -> np.ndarray:
    """(batch..., n) -> (rows, n): a linear layer treats every leading dimension as batch."""
    return a if a.ndim == 2 else a.reshape(math.prod(a.shape[:-1]), a.shape[-1])


def _array(value) -> np.ndarray:
    """NumPy turns 0-d results into scalars; a tensor needs an array (CuPy's results are arrays already)."""
    if value.__class__ is np.ndarray:
        return value
    return np.asarray(value) if isinstance(value, (np.generic, float, int)) else value


def _layout_like(result: np.ndarray, *inputs: np.ndarray) -> np.ndarray:
    """An elementwise result laid out in memory the way torch lays out ``op(*inputs)``.

    Row-major inputs of the result's shape (the common case) give a row-major result,
    which is what NumPy returned. Otherwise torch's rule (permuted inputs keep their order,
    sliced or expanded ones become dense, 4-D channels-last stays channels-last) is
    ``layout.elementwise_strides``' to know.
    """
    if result.ndim < 2 or all(c_contiguous(a) and a.shape == result.shape for a in inputs):
        return _array(result)
    strides = elementwise_strides(result.shape, inputs, result.dtype)
    if strides is None:
        return array_module(result).ascontiguousarray(result)
    return copy_with_strides(result, strides)


def _graph_wanted() -> bool:
    """True inside ``backward(create_graph=True)``: the backward itself must be recorded."""
    return STATE.enabled


def _sum_to_shape(a: np.ndarray, shape) -> np.ndarray:
    """Undo broadcasting: add up the gradient over the dimensions ``shape`` was stretched along."""
    if a.shape == tuple(shape):
        return a
    lead = a.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and a.shape[lead + i] != 1)
    return a.sum(axis=axes, keepdims=True).reshape(shape)


def _sum_tensor_to_shape(t: Tensor, shape) -> Tensor:
    """``_sum_to_shape`` with tensor operations (for the recorded backward)."""
    if tuple(t.shape) == tuple(shape):
        return t
    lead = t.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and t.shape[lead + i] != 1)
    return t.sum(axes, keepdim=True).reshape(tuple(shape))


def _to_float(a: np.ndarray) -> np.ndarray:
    """Integer and bool inputs of sigmoid/tanh become the default float dtype, as in torch."""
    if a.dtype.kind in "biu":
        return a.astype(dtypes.get_default_dtype().numpy_dtype)
    return a


def _check_reduction(size_average, reduce, reduction) -> str:
    """The ``reduction`` to use, from the new argument or the two legacy ones."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "mean" if size_average and reduce else ("sum" if reduce else "none")
        warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' "
                      "instead.", stacklevel=3)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _check_tensor(fn: str, name: str, position: int, value) -> None:
    if not isinstance(value, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be Tensor, not {type(value).__name__}")


# ====================================================================== activations
class Relu(Function):
    """``max(x, 0)``: passes positive values, zeroes the rest (and their gradient)."""

    @staticmethod
    def forward(ctx, x):
        out = _layout_like(array_module(x).maximum(x, x.dtype.type(0)), x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        if _graph_wanted():
            return grad * (out > 0)
        return _wrap(_array(grad._data * (out._data > 0)))


class Sigmoid(Function):
    """``1 / (1 + exp(-x))``, squashing to (0, 1); its slope ``y (1 - y)`` reuses the output."""

    @staticmethod
    def forward(ctx, x):
        x = _to_float(x)
        with np.errstate(over="ignore"):  # exp(-x) overflows to inf for x < -88: the result is then 0, correctly
            out = _layout_like(_array(1.0 / (1.0 + array_module(x).exp(-_upcast(x)))).astype(x.dtype, copy=False), x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        if _graph_wanted():
            return grad * out * (1 - out)
        y = out._data
        return _wrap(_array(grad._data * y * (1 - y)))


class Tanh(Function):
    """``tanh(x)``, squashing to (-1, 1); its slope is ``1 - y²``."""

    @staticmethod
    def forward(ctx, x):
        x = _to_float(x)
        out = _layout_like(_array(array_module(x).tanh(_upcast(x))).astype(x.dtype, copy=False), x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        if _graph_wanted():
            return grad * (1 - out * out)
        y = out._data
        return _wrap(_array(grad._data * (1 - y * y)))


def _softmax_array(x: np.ndarray, axis: int, log: bool) -> np.ndarray:
    """Softmax (or log-softmax) along ``axis``, shifted by the maximum so ``exp`` cannot overflow."""
    if x.ndim == 0:
        return _softmax_array(x.reshape(1), 0, log).reshape(())
    xp = array_module(x)
    if x.size == 0:
        return fresh_array(x.shape, x.dtype, xp)
    shifted = xp.empty(x.shape, x.dtype)  # row-major, as torch's result
    xp.subtract(x, x.max(axis=axis, keepdims=True), out=shifted)
    if log:
        shifted -= xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
        return shifted
    xp.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=axis, keepdims=True)
    return shifted


class Softmax(Function):
    """``exp(x) / sum(exp(x))`` along ``dim``: a probability distribution over that dimension."""

    @staticmethod
    def forward(ctx, x, dim, dtype):
        ctx.dim = dim
        ctx.input_dtype = x.dtype
        x = x.astype(dtype.numpy_dtype) if dtype is not None else x
        out = _softmax_array(_upcast(x), dim, log=False).astype(x.dtype, copy=False)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        if _graph_wanted():
            gy = grad * out
            return (gy - out * gy.sum(ctx.dim, keepdim=True)).to(dtypes.FROM_NUMPY[ctx.input_dtype]), None, None
        y, g = _upcast(out._data), _upcast(grad._data)
        shape = y.shape
        if y.ndim == 0:
            y, g = y.reshape(1), g.reshape(1)
        gy = g * y
        gy -= y * gy.sum(axis=ctx.dim, keepdims=True)
        return _wrap(gy.reshape(shape).astype(ctx.input_dtype, copy=False)), None, None


class LogSoftmax(Function):
    """``log(softmax(x))`` computed as ``x - max - log(sum(exp(x - max)))``: finite even for tiny probabilities."""

    @staticmethod
    def forward(ctx, x, dim, dtype):
        ctx.dim = dim
        ctx.input_dtype = x.dtype
        x = x.astype(dtype.numpy_dtype) if dtype is not None else x
        out = _softmax_array(_upcast(x), dim, log=True).astype(x.dtype, copy=False)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        if _graph_wanted():
            result = grad - out.exp() * grad.sum(ctx.dim, keepdim=True)
            return result.to(dtypes.FROM_NUMPY[ctx.input_dtype]), None, None
        y, g = _upcast(out._data), _upcast(grad._data)
        shape = y.shape
        if y.ndim == 0:
            y, g = y.reshape(1), g.reshape(1)
        gx = g - array_module(y).exp(y) * g.sum(axis=ctx.dim, keepdims=True)
        return _wrap(gx.reshape(shape).astype(ctx.input_dtype, copy=False)), None, None


def relu(input, inplace=False):  # noqa: A002 - torch's name
    """``max(input, 0)`` elementwise; ``inplace=True`` overwrites ``input`` when autograd is not watching it."""
    if input.dtype is dtypes.bool:
        raise RuntimeError("Boolean inputs not supported for relu")
    if inplace:
        if not (STATE.enabled and input.requires_grad):
            array_module(input._data).maximum(input._data, input._data.dtype.type(0), out=input._data)
            input._bump_version()
            return input
        if input.is_leaf:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        # autograd is recording: compute out of place (the returned tensor is what matters)
    return Relu.apply(input)


def sigmoid(input):  # noqa: A002 - torch's name
    """``1 / (1 + exp(-input))`` elementwise."""
    return Sigmoid.apply(input)


def tanh(input):  # noqa: A002 - torch's name
    """Hyperbolic tangent elementwise."""
    return Tanh.apply(input)


def _softmax_args(name: str, input, dim, dtype, stacklevel: int):  # noqa: A002 - torch's name
    """Wrap ``dim`` (or pick torch's legacy default) and reject integer dtypes with torch's error."""
    if dim is None:
        warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
                      "dim=X as an argument.", stacklevel=stacklevel)
        dim = 0 if input.ndim in (0, 1, 3) else 1
    ndim = input.ndim
    dim = _wrap_dim(dim, ndim)
    dtype = dtypes.as_dtype(dtype) if dtype is not None else None
    compute = dtype or input.dtype
    if not compute.is_floating_point:
        kernel = f"{name}_lastdim_kernel_impl" if dim == ndim - 1 or ndim == 0 else f"{name}_kernel_impl"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{dtypes.SCALAR_NAMES[compute]}'")
    return dim, dtype


def softmax(input, dim=None, _stacklevel=3, dtype=None):  # noqa: A002 - torch's name
    """Probabilities along ``dim``: non-negative, summing to 1."""
    dim, dtype = _softmax_args("softmax", input, dim, dtype, _stacklevel)
    return Softmax.apply(input, dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):  # noqa: A002 - torch's name
    """Log-probabilities along ``dim``, computed stably (never ``log(0)`` for a finite input)."""
    dim, dtype = _softmax_args("log_softmax", input, dim, dtype, _stacklevel)
    return LogSoftmax.apply(input, dim, dtype)


# ====================================================================== linear
class Linear(Function):
    """``x @ W.T + b`` in one step; any leading dimensions of ``x`` are batch dimensions."""

    node_name = "AddmmBackward0"

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        out = _rows(_upcast(x)) @ _upcast(weight).T  # (batch..., in) -> (rows, in): one matrix product
        if bias is not None:
            out += _upcast(bias)
            ctx.bias_shape = bias.shape
        if x.ndim != 2:
            out = out.reshape(x.shape[:-1] + weight.shape[:1])
        return out if out.dtype == x.dtype else out.astype(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        out_features, in_features = weight.shape
        if _graph_wanted():
            rows = math.prod(grad.shape[:-1])
            grad_x = grad @ weight if need_x else None
            grad_w = grad.reshape(rows, out_features).t() @ x.reshape(rows, in_features) if need_w else None
            grad_b = _sum_tensor_to_shape(grad, ctx.bias_shape) if need_b else None
            return grad_x, grad_w, grad_b
        g = _upcast(grad._data)
        g2 = _rows(g)
        dtype = x._data.dtype
        grad_x = grad_w = grad_b = None
        if need_x:
            grad_x = _wrap((g2 @ _upcast(weight._data)).reshape(x.shape).astype(dtype, copy=False))
        if need_w:
            grad_w = _wrap((g2.T @ _rows(_upcast(x._data))).astype(dtype, copy=False))
        if need_b:
            if ctx.bias_shape == (out_features,):  # the usual bias: a fresh sum over the rows
                db = g2.sum(axis=0).astype(dtype, copy=False)
            else:  # a copy: db may be ``g`` itself (a full-size bias)
                db = _sum_to_shape(g, ctx.bias_shape)
                db = array_module(db).array(db, dtype=dtype)
            grad_b = _wrap(db)
        return grad_x, grad_w, grad_b


def _check_bias(bias, out_shape) -> None:
    """The bias must broadcast to the output, with torch's ``expand`` error otherwise."""
    b_shape = tuple(bias.shape)
    if len(b_shape) > len(out_shape):
        raise RuntimeError(
            f"expand({bias.type()}{{{list(b_shape)}}}, size={list(out_shape)}): the number of sizes provided "
            f"({len(out_shape)}) must be greater or equal to the number of dimensions in the tensor ({len(b_shape)})"
        )
    lead = len(out_shape) - len(b_shape)
    for i, n in enumerate(b_shape):
        if n != 1 and n != out_shape[lead + i]:
            raise RuntimeError(
                f"The expanded size of the tensor ({out_shape[lead + i]}) must match the existing size ({n}) at "
                f"non-singleton dimension {lead + i}.  Target sizes: {list(out_shape)}.  Tensor sizes: {list(b_shape)}"
            )


def linear(input, weight, bias=None):  # noqa: A002 - torch's name
    """``input @ weight.T + bias``: what ``nn.Linear`` computes."""
    x_shape, w_shape = input._data.shape, weight._data.shape
    if not x_shape or not w_shape:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are {len(x_shape)}D and "
                           f"{len(w_shape)}D")
    if len(w_shape) > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {len(w_shape)}D")
    if len(w_shape) == 1:
        raise NotImplementedError("linear with a 1-D weight is not supported here: pass weight.unsqueeze(0)")
    if input.dtype is not weight.dtype:
        raise RuntimeError("expected m1 and m2 to have the same dtype, but got: "
                           f"{dtypes.CPP_TYPEID_NAMES[input.dtype]} != {dtypes.CPP_TYPEID_NAMES[weight.dtype]}")
    if x_shape[-1] != w_shape[1]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({math.prod(x_shape[:-1])}x{x_shape[-1]} and "
                           f"{w_shape[1]}x{w_shape[0]})")
    if bias is not None:
        if bias.dtype is not weight.dtype:
            raise RuntimeError(f"self and mat2 must have the same dtype, but got {dtypes.SCALAR_NAMES[bias.dtype]} "
                               f"and {dtypes.SCALAR_NAMES[weight.dtype]}")
        if bias._data.shape != w_shape[:1]:  # the usual (out_features,) bias always fits
            _check_bias(bias, x_shape[:-1] + w_shape[:1])
    return Linear.apply(input, weight, bias)


# ====================================================================== dropout
class Dropout(Function):
    """``x * mask``, where the mask holds 0 (dropped) or ``1 / (1 - p)`` (kept, scaled up)."""

    node_name = "NativeDropoutBackward0"

    @staticmethod
    def forward(ctx, x, mask):
        ctx.mask = mask
        return _array(x * mask)

    @staticmethod
    def backward(ctx, grad):
        if _graph_wanted():
            return grad * _wrap(ctx.mask), None
        return _wrap(grad._data * ctx.mask), None


def _keep_mask(shape, p: float, device) -> np.ndarray:
    """Which elements dropout keeps, on ``device``: ``rand(shape) < 1 - p``.

    The uniform numbers come from the default generator of the device (``tl.manual_seed``
    seeds it); they are compared on the host, so only the booleans travel to a GPU.
    """
    u = _random._uniform01(_random._rng(None, device), shape, dtypes.get_default_dtype())
    return _random._placed(u < 1.0 - p, device)


def dropout(input, p=0.5, training=True, inplace=False):  # noqa: A002 - torch's name
    """In training, zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    The scaling keeps each element's expected value unchanged, so at evaluation time
    (``training=False``) dropout is simply the identity.
    """
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if not input.dtype.is_floating_point:
        raise RuntimeError("result type Float can't be cast to the desired output type "
                           f"{dtypes.SCALAR_NAMES[input.dtype]}")
    data = input._data
    if p == 1.0:
        mask = array_module(data).zeros(data.shape, data.dtype)
    else:
        keep = _keep_mask(data.shape, p, input.device)
        mask = keep.astype(data.dtype) * data.dtype.type(1.0 / (1.0 - p))
    if inplace and not (STATE.enabled and input.requires_grad):
        data *= mask
        input._bump_version()
        return input
    return Dropout.apply(input, mask)


# ====================================================================== losses
class MseLoss(Function):
    """Mean (or sum) of ``(input - target)²``."""

    @staticmethod
    def forward(ctx, x, t, reduction, dtype):
        compute = np.dtype(_FLOAT32) if dtype.numpy_dtype in _HALF_TYPES else dtype.numpy_dtype
        xp = array_module(x)
        diff = xp.subtract(x.astype(compute, copy=False), t.astype(compute, copy=False))
        square = diff * diff
        ctx.save_for_backward(x, t)
        ctx.reduction, ctx.diff, ctx.count = reduction, diff, square.size
        return _reduce_elementwise(square, reduction, dtype.numpy_dtype, x, t)

    @staticmethod
    def backward(ctx, grad):
        x, t = ctx.saved_tensors
        need_x, need_t = ctx.needs_input_grad[:2]
        norm = 2.0 / ctx.count if ctx.reduction == "mean" else 2.0
        if _graph_wanted():
            d = (x - t) * (grad * norm)
            return (_sum_tensor_to_shape(d, x.shape) if need_x else None,
                    _sum_tensor_to_shape(-d, t.shape) if need_t else None, None, None)
        d = _array(ctx.diff * (_upcast(grad._data) * norm))
        grad_x = _wrap(_array(_sum_to_shape(d, x.shape)).astype(x._data.dtype, copy=False)) if need_x else None
        grad_t = _wrap(_array(_sum_to_shape(-d, t.shape)).astype(t._data.dtype, copy=False)) if need_t else None
        return grad_x, grad_t, None, None


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):  # noqa: A002
    """Mean squared error ``mean((input - target)²)`` (``reduction`` ``'mean'``, ``'sum'`` or ``'none'``)."""
    if weight is not None:
        raise NotImplementedError("mse_loss(weight=...) is not supported here")
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
                      "same size.", stacklevel=2)
    reduction = _check_reduction(size_average, reduce, reduction)
    infer_size(input.shape, target.shape)
    dtype = dtypes.promote_types(input.dtype, target.dtype)
    if not dtype.is_floating_point:
        raise NotImplementedError(f"\"mse_cpu\" not implemented for '{dtypes.SCALAR_NAMES[dtype]}'")
    return MseLoss.apply(input, target, reduction, dtype)


# ---------------------------------------------------------------------- class targets (shared by CE and NLL)
def _classes_last(a: np.ndarray) -> np.ndarray:
    """(C,), (N, C) or (N, C, d1, ...) -> (rows, C): one row per prediction."""
    if a.ndim == 2:
        return a
    if a.ndim == 1:
        return a.reshape(1, -1)
    return array_module(a).moveaxis(a, 1, -1).reshape(-1, a.shape[1])


def _classes_back(rows: np.ndarray, shape) -> np.ndarray:
    """Inverse of ``_classes_last``: (rows, C) back to the input's shape, contiguous."""
    if len(shape) <= 2:
        return rows.reshape(shape)
    moved = rows.reshape((shape[0],) + tuple(shape[2:]) + (shape[1],))
    xp = array_module(moved)
    return xp.ascontiguousarray(xp.moveaxis(moved, -1, 1))


def _check_class_targets(input, target, weight) -> None:  # noqa: A002 - torch's name
    """torch's checks (and messages) for a class-index target, in torch's order."""
    shape, target_shape = input._data.shape, target._data.shape
    ndim = len(shape)
    if ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {ndim})")
    target_batch = target_shape[0] if target_shape else 0
    if ndim != 1 and shape[0] != target_batch:
        raise ValueError(f"Expected input batch_size ({shape[0]}) to match target batch_size ({target_batch}).")
    if ndim <= 2:
        if len(target_shape) > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if ndim == 1 and len(target_shape) == 1 and target_shape[0] != 1:
            raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {target_shape[0]}")
    elif ndim == 4:
        if len(target_shape) != 3:
            raise RuntimeError("only batches of spatial targets supported (3D tensors) but got targets of dimension: "
                               f"{len(target_shape)}")
        if shape[:1] + shape[2:] != target_shape:
            raise RuntimeError(f"size mismatch (got input: {list(shape)} , target: {list(target_shape)}")
    elif shape[:1] + shape[2:] != target_shape:
        raise RuntimeError(f"Expected target size {list(shape[:1] + shape[2:])}, got {list(target_shape)}")
    if target.dtype is not dtypes.int64 and target.dtype is not dtypes.uint8:
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {dtypes.SCALAR_NAMES[target.dtype]}")
    _check_weight(input, weight, "")


def _check_weight(input, weight, prefix: str) -> None:  # noqa: A002 - torch's name
    if weight is None:
        return
    n_classes = input.shape[1] if input.ndim > 1 else input.shape[0]
    if weight.ndim != 1 or weight.numel() != n_classes:
        raise RuntimeError(f"{prefix}weight tensor should be defined either for all {n_classes} classes or no "
                           f"classes but got weight tensor of shape: {list(weight.shape)}")
    if weight.dtype is not input.dtype and not prefix:
        raise RuntimeError(f"expected scalar type {dtypes.SCALAR_NAMES[input.dtype]} but found "
                           f"{dtypes.SCALAR_NAMES[weight.dtype]}")


def _check_weight_device(input, weight) -> None:  # noqa: A002 - torch's name
    """The class weights travel as an array (no tensor argument): check their device here."""
    if weight is not None and weight.device is not input.device:
        raise device_mismatch_error(input.device, weight.device)


class _ClassIndices:
    """A class-index target flattened to one entry per row, with the rows that do not count marked.

    On the CPU the targets are checked at once, with torch's ``IndexError`` for a class
    out of range; ``valid`` marks the rows that are not ``ignore_index`` (``None`` when
    every row counts: the common case, kept cheap).

    On a GPU that check would read the targets back, and every loss call would wait for
    the GPU to finish all the work queued before it (chapter 5). So nothing is read:
    ``row_factor`` holds, per row, 1 (counts), 0 (``ignore_index``) or NaN (class out of
    range), found on the device with one lookup, and the losses and gradients are
    multiplied by it. A bad target thus turns the loss into NaN instead of raising;
    torch on CUDA cannot raise either: it stops at its next wait with "device-side
    assert triggered". The number of rows that count stays on the device too.

    Each row's entry at its target class is reached through its *flat position*,
    ``row * n_classes + class`` (``flat_positions()``), with one index array, not as
    ``x[rows, classes]``: on CuPy, indexing with two index arrays launches four kernels where
    one array needs one, and ``x[rows, classes] -= v`` nine where one array needs three
    (``utils.device_work`` counts them as CuPy launches them).
    """

    __slots__ = ("target", "n_classes", "valid", "row_factor", "_classes", "_flat")

    def __init__(self, target: np.ndarray, n_classes: int, ignore_index: int, dtype=_FLOAT32):
        xp = array_module(target)
        y = self.target = target.reshape(-1)
        self.n_classes = n_classes
        self.valid = self.row_factor = self._classes = self._flat = None
        if xp is not np:
            self.row_factor = _row_factors(y, n_classes, ignore_index, dtype)
            return
        valid = None
        if y.size:
            low, high = int(y.min()), int(y.max())
            if low <= ignore_index <= high:
                valid = y != ignore_index
            if low < 0 or high >= n_classes:
                bad = (y < 0) | (y >= n_classes)
                if valid is not None:
                    bad &= valid
                if bad.any():
                    raise IndexError(f"Target {int(y[bad][0])} is out of bounds.")
        self.valid = valid

    @property
    def classes(self) -> np.ndarray:
        """A class number per row, safe to index a per-class array with (what an ignored or, on a GPU, an
        out-of-range row gets does not matter: its loss is zeroed, or NaN)."""
        if self._classes is None:
            y = self.target
            if self.valid is not None:
                y = np.where(self.valid, y, 0)
            elif self.row_factor is not None:
                y = array_module(y).clip(y, 0, max(self.n_classes - 1, 0))
            self._classes = y.astype(np.intp, copy=False)
        return self._classes

    def flat_positions(self) -> np.ndarray:
        """Where each row's target sits in a C-ordered ``(rows, n_classes)`` array seen as one row of numbers:
        ``row * n_classes + class`` (the row offsets are made once per size on a GPU)."""
        if self._flat is None:
            self._flat = _row_offsets(self.target, self.n_classes) + self.classes
        return self._flat

    def pick(self, x: np.ndarray) -> np.ndarray:
        """Each row's entry of ``x`` (rows, n_classes) at its target class: ``x[rows, classes]``."""
        return x.take(self.flat_positions())

    def subtract_at_targets(self, d: np.ndarray, values) -> np.ndarray:
        """``d[rows, classes] -= values`` for a new C-ordered ``d`` (rows, n_classes), in place."""
        flat, at = d.reshape(-1), self.flat_positions()
        flat[at] = flat[at] - values
        return d

    def count(self):
        """How many rows count: an int, or on a GPU a 0-d device array (NaN if a target was out of range)."""
        if self.row_factor is not None:
            return self.row_factor.sum()
        return self.target.size if self.valid is None else int(self.valid.sum())

    def weight_total(self, weight: np.ndarray):
        """The summed class weights of the rows that count (a 0-d device array on a GPU)."""
        picked = weight[self.classes]
        if self.row_factor is not None:
            return (picked * self.row_factor).sum()
        return float(picked.sum() if self.valid is None else picked[self.valid].sum())

    def zero_ignored(self, per_row: np.ndarray) -> np.ndarray:
        """``per_row`` (one entry or one row per target) with the rows that do not count zeroed, in place."""
        if self.valid is not None:
            per_row[~self.valid] = 0
        elif self.row_factor is not None:
            per_row *= self.row_factor if per_row.ndim == 1 else self.row_factor[:, None]
        return per_row

    def distribution(self, dtype, weight=None, smoothing: float = 0.0) -> np.ndarray:
        """The per-row weighted target distribution ``q`` (one-hot, smoothed, weighted; 0 for ignored rows)."""
        q = array_module(self.target).zeros((self.target.size, self.n_classes), dtype)
        on_target = (1.0 - smoothing) * (weight.take(self.classes) if weight is not None else 1.0)
        q.reshape(-1)[self.flat_positions()] = on_target
        if smoothing:
            q += (smoothing / self.n_classes) * (weight if weight is not None else 1.0)
        return self.zero_ignored(q)


_DEVICE_CONSTANTS: dict = {}  # small arrays made once per device: row numbers, row-factor tables


def _device_constant(key, make):
    """A small read-only array kept on its device, so that it is copied there once, not at every call."""
    value = _DEVICE_CONSTANTS.get(key)
    if value is None:
        if len(_DEVICE_CONSTANTS) > 64:
            _DEVICE_CONSTANTS.clear()
        value = _DEVICE_CONSTANTS[key] = make()
    return value


def _row_offsets(y, n_classes: int) -> np.ndarray:
    """``arange(len(y)) * n_classes``, the flat position of each row's start, on ``y``'s device: made once
    per size (on a GPU, copied there once)."""
    device = device_of(y)
    return _device_constant(("row offsets", device, y.size, n_classes),
                            lambda: to_device(np.arange(y.size) * n_classes, device))


def _row_factors(y, n_classes: int, ignore_index: int, dtype) -> np.ndarray:
    """Per target, found on its device without reading it back: 1 (a class), 0 (``ignore_index``) or NaN.

    The targets are clipped into ``_clip_range``: every class and ``ignore_index`` keep their
    number, everything else lands on a number that is neither; then one lookup in a small table
    gives the factor.
    """
    xp = array_module(y)
    low, high = _clip_range(n_classes, ignore_index)
    if high - low <= _MAX_TABLE:
        return _row_factor_table(y, n_classes, ignore_index, dtype)[xp.clip(y, low, high)]
    # an ignore_index far from the classes: the in-range factors (1 or NaN) of any index, then ignore_index's 0
    return xp.where(y == ignore_index, dtype.type(0), _index_factors(y, n_classes, dtype))


def _clip_range(n_classes: int, ignore_index: int) -> tuple:
    """Bounds that keep every class and ``ignore_index`` and send anything else to a number of its own
    (``low`` below both, ``high`` above both)."""
    return min(ignore_index - 1, -1), max(n_classes, ignore_index + 1)


_MAX_TABLE = 4096  # entries of a row-factor table (it spans the classes and ignore_index)


def _row_factor_table(y, n_classes: int, ignore_index: int, dtype) -> np.ndarray:
    """Indexed by a target clipped to ``_clip_range`` (negative numbers counting from the end):
    1 for a class, 0 for ``ignore_index``, NaN for anything else."""
    device = device_of(y)

    def make():
        low, high = _clip_range(n_classes, ignore_index)
        table = np.full(high + 1 - low, np.nan, dtype)  # 0..high, then low..-1 from the end
        table[:n_classes] = 1
        table[ignore_index] = 0  # a class, or a negative index: counted from the end, as `clipped` is
        return to_device(table, device)

    return _device_constant(("row factor", device, n_classes, ignore_index, np.dtype(dtype).str), make)


def _reduce_losses(losses: np.ndarray, reduction: str, denominator, out_shape, dtype) -> np.ndarray:
    if reduction == "none":
        return losses.reshape(out_shape).astype(dtype, copy=False)
    total = losses.sum()
    if reduction == "mean":
        if _on_device(denominator):
            with np.errstate(invalid="ignore"):  # (only the simulated GPU would warn)
                total = total / denominator  # 0 / 0 = NaN when every row is ignored, as torch gives
        else:
            total = total / denominator if denominator else np.nan
    return array_module(losses).asarray(total, dtype=dtype)


def _mean_denominator(indices, weight, reduction):
    """What a mean divides by: the rows that count, or their summed class weights (None for other reductions:
    on a GPU that sum would be one more launch for nothing)."""
    if reduction != "mean":
        return None
    return indices.weight_total(weight) if weight is not None else indices.count()


def _on_device(denominator) -> bool:
    """True for a denominator that was counted on a GPU (a 0-d device array, see ``_ClassIndices``)."""
    return array_module(denominator) is not np


def _nonzero_denominator(denominator, weighted: bool):
    """A device denominator with 0 replaced by 1: when no row counts, every row's gradient is zeroed
    afterwards, and ``0 * (g / 0)`` would be NaN instead of 0. (A count is 0 or at least 1: one
    ``maximum`` does it, and keeps a NaN.)"""
    xp = array_module(denominator)
    return xp.where(denominator == 0, 1, denominator) if weighted else xp.maximum(denominator, 1)


def _loss_scale(grad: np.ndarray, reduction: str, denominator, weighted: bool = False) -> np.ndarray:
    """How much each row's loss counts in the output: ``g / N`` for a mean, ``g`` per row for 'none'."""
    if reduction == "none":
        return grad.reshape(-1, 1)
    if reduction == "mean":
        if _on_device(denominator):
            return grad / _nonzero_denominator(denominator, weighted)
        return grad / denominator if denominator else grad * np.nan
    return grad


def _loss_scale_tensor(grad: Tensor, reduction: str, denominator, ndim: int, weighted: bool = False) -> Tensor:
    if reduction == "none":
        return grad.unsqueeze(1) if ndim > 1 else grad
    if reduction == "mean":
        if _on_device(denominator):
            return grad / _wrap(_nonzero_denominator(denominator, weighted).astype(grad._data.dtype))
        return grad / denominator if denominator else grad * float("nan")
    return grad


class CrossEntropy(Function):
    """``log_softmax`` and the negative log-likelihood in one step.

    Per row: ``loss = -sum_c q_c * log p_c`` where ``p = softmax(logits)`` and ``q`` is the
    target distribution (one-hot for a class index; smoothed / weighted / given as
    probabilities otherwise). The gradient with respect to the logits is then simply
    ``p * sum(q) - q`` per row (``p - one_hot`` in the plain case), times the scale of
    the reduction. The probabilities are kept from the forward pass for it.
    """

    node_name = "NllLossBackward0"

    @staticmethod
    def forward(ctx, logits, target, weight, ignore_index, reduction, smoothing, class_probabilities, out_dtype):
        compute = _FLOAT32 if out_dtype in _HALF_TYPES else out_dtype  # a float64 target promotes the loss
        xp = array_module(logits)
        x = _classes_last(_upcast(logits))
        n_rows, n_classes = x.shape
        row_max = x.max(axis=1, keepdims=True) if n_classes else xp.full((n_rows, 1), -np.inf, x.dtype)
        shifted = x - row_max
        probs = xp.exp(shifted)
        total = probs.sum(axis=1, keepdims=True)
        log_total = xp.log(total)
        probs /= total
        out_shape = logits.shape[:1] + logits.shape[2:] if logits.ndim > 1 else ()
        if class_probabilities:
            t = _classes_last(target.astype(compute, copy=False))
            q = t * (1.0 - smoothing) + smoothing / n_classes if smoothing else t
            if weight is not None:
                q = q * weight
            losses = -(q * (shifted - log_total).astype(compute, copy=False)).sum(axis=1)
            indices, denominator = None, n_rows
        else:
            indices = _ClassIndices(target, n_classes, ignore_index, x.dtype)
            if weight is None and not smoothing:  # the common case: no (rows, C) target array at all
                q = None
                losses = indices.zero_ignored(log_total[:, 0] - indices.pick(shifted))
                denominator = _mean_denominator(indices, None, reduction)
            else:
                q = indices.distribution(x.dtype, weight, smoothing)
                losses = -(q * (shifted - log_total)).sum(axis=1)
                denominator = _mean_denominator(indices, weight, reduction)
        ctx.save_for_backward(logits, target)
        ctx.probs, ctx.q, ctx.indices, ctx.denominator = probs, q, indices, denominator
        ctx.reduction, ctx.weight, ctx.smoothing = reduction, weight, smoothing
        ctx.class_probabilities = class_probabilities
        return _reduce_losses(losses, reduction, denominator, out_shape, out_dtype)

    @staticmethod
    def backward(ctx, grad):
        logits, target = ctx.saved_tensors
        need_logits, need_target = ctx.needs_input_grad[:2]
        if _graph_wanted():
            return _cross_entropy_backward_graph(ctx, grad, logits, target, need_logits, need_target)
        scale = _loss_scale(_upcast(grad._data), ctx.reduction, ctx.denominator, ctx.weight is not None)
        grad_logits = grad_target = None
        if need_logits:
            q, indices = ctx.q, ctx.indices
            if q is None:  # p - one_hot, scaled; ignored rows get no gradient
                d = ctx.probs * scale
                indices.subtract_at_targets(d, scale[:, 0] if scale.ndim else scale)
                indices.zero_ignored(d)
            else:
                d = (ctx.probs * q.sum(axis=1, keepdims=True) - q) * scale
                if indices is not None:
                    indices.zero_ignored(d)  # (also when every row is ignored and the scale is 0/0)
            grad_logits = _wrap(_classes_back(d, logits.shape).astype(logits._data.dtype, copy=False))
        if need_target and ctx.class_probabilities:
            log_p = _softmax_array(_classes_last(logits._data.astype(ctx.probs.dtype, copy=False)), 1, log=True)
            d = log_p * ((ctx.smoothing - 1.0) * scale)
            if ctx.weight is not None:
                d *= ctx.weight
            grad_target = _wrap(_classes_back(d, target.shape).astype(target._data.dtype, copy=False))
        return grad_logits, grad_target, None, None, None, None, None, None


def _cross_entropy_backward_graph(ctx, grad, logits, target, need_logits, need_target):
    """The cross-entropy gradient with tensor ops, so ``create_graph=True`` can differentiate it again."""
    class_dim = 1 if logits.ndim > 1 else 0
    scale = _loss_scale_tensor(grad, ctx.reduction, ctx.denominator, logits.ndim, ctx.weight is not None)
    grad_logits = grad_target = None
    if need_logits:
        q = ctx.q
        if q is None:
            q = ctx.indices.distribution(ctx.probs.dtype)
        summed_shape = list(logits.shape)
        summed_shape[class_dim] = 1
        q_sum = _wrap(_classes_back(q.sum(axis=1, keepdims=True), summed_shape))
        if ctx.class_probabilities:  # q depends on the target tensor: build it with tensor ops too
            q_t = target * (1.0 - ctx.smoothing) + ctx.smoothing / ctx.probs.shape[1] if ctx.smoothing else target
            if ctx.weight is not None:
                q_t = q_t * _wrap(ctx.weight.reshape((-1,) + (1,) * (logits.ndim - 2)))
            q_sum = q_t.sum(class_dim, keepdim=True)
        else:
            q_t = _wrap(_classes_back(q, logits.shape))
        probs = softmax(logits, class_dim)
        grad_logits = (probs * q_sum - q_t) * scale
    if need_target and ctx.class_probabilities:
        w = 1.0 if ctx.weight is None else _wrap(ctx.weight.reshape((-1,) + (1,) * (logits.ndim - 2)))
        grad_target = log_softmax(logits, class_dim) * (ctx.smoothing - 1.0) * w * scale
    return grad_logits, grad_target, None, None, None, None, None, None


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,  # noqa: A002
                  reduction="mean", label_smoothing=0.0):
    """Softmax + negative log-likelihood: the loss for classification.

    ``input`` holds unnormalised scores (logits) of shape (N, C), (C,) or (N, C, d1, ...).
    ``target`` holds class indices (int64, shape (N,), () or (N, d1, ...)), or class
    probabilities of the input's own shape. ``reduction='mean'`` averages over the rows
    that are not ``ignore_index`` (weighted by ``weight[target]`` when given).
    """
    _check_tensor("cross_entropy_loss", "target", 2, target)
    reduction = _check_reduction(size_average, reduce, reduction)
    class_dim = 0 if input.ndim == 1 else 1
    probabilities = input._data.shape == target._data.shape
    if probabilities:
        if not target.dtype.is_floating_point:
            raise RuntimeError(f"Expected floating point type for target with class probabilities, got "
                               f"{dtypes.SCALAR_NAMES[target.dtype]}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if input.ndim == 0 or not input.dtype.is_floating_point:
        _softmax_args("log_softmax", input, class_dim, None, 3)  # raises torch's error
    if probabilities:
        _check_weight(input, weight, "cross_entropy: ")
        out_dtype = dtypes.result_type(input, target, *([weight] if weight is not None else []))
    else:
        _check_class_targets(input, target, weight)
        out_dtype = input.dtype
    out_dtype = out_dtype.numpy_dtype
    _check_weight_device(input, weight)
    w = None if weight is None else weight._data.astype(_FLOAT32 if out_dtype in _HALF_TYPES else out_dtype)
    return CrossEntropy.apply(input, target, w, ignore_index, reduction, float(label_smoothing), probabilities,
                              out_dtype)


class NllLoss(Function):
    """``-input[target]`` averaged: the loss for log-probabilities (e.g. after ``log_softmax``)."""

    @staticmethod
    def forward(ctx, log_probs, target, weight, ignore_index, reduction):
        x = _classes_last(_upcast(log_probs))
        n_rows, n_classes = x.shape
        indices = _ClassIndices(target, n_classes, ignore_index, x.dtype)
        losses = -indices.pick(x)
        if weight is not None:
            losses *= weight[indices.classes]
        indices.zero_ignored(losses)
        denominator = _mean_denominator(indices, weight, reduction)
        ctx.save_for_backward(log_probs)
        ctx.indices, ctx.weight, ctx.denominator, ctx.reduction = indices, weight, denominator, reduction
        ctx.compute_dtype = x.dtype
        out_shape = log_probs.shape[:1] + log_probs.shape[2:] if log_probs.ndim > 1 else ()
        return _reduce_losses(losses, reduction, denominator, out_shape, log_probs.dtype)

    @staticmethod
    def backward(ctx, grad):
        (log_probs,) = ctx.saved_tensors
        q = ctx.indices.distribution(ctx.compute_dtype, ctx.weight)
        if _graph_wanted():
            scale = _loss_scale_tensor(grad, ctx.reduction, ctx.denominator, log_probs.ndim, ctx.weight is not None)
            return -_wrap(_classes_back(q, log_probs.shape)) * scale, None, None, None, None
        d = q * -_loss_scale(_upcast(grad._data), ctx.reduction, ctx.denominator, ctx.weight is not None)
        grad_input = _wrap(_classes_back(d, log_probs.shape).astype(log_probs._data.dtype, copy=False))
        return grad_input, None, None, None, None


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,  # noqa: A002
             reduction="mean"):
    """Negative log-likelihood of class indices, for an ``input`` of log-probabilities."""
    _check_tensor("nll_loss_nd", "target", 2, target)
    reduction = _check_reduction(size_average, reduce, reduction)
    _check_class_targets(input, target, weight)
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"nll_loss_out_frame\" not implemented for '{dtypes.SCALAR_NAMES[input.dtype]}'")
    _check_weight_device(input, weight)
    w = None if weight is None else _upcast(weight._data)
    return NllLoss.apply(input, target, w, ignore_index, reduction)


# ====================================================================== one_hot
def one_hot(tensor, num_classes=-1):
    """Class indices (int64) -> rows of 0s with a 1 at the index: shape ``tensor.shape + (num_classes,)``.

    On the CPU the labels are checked (torch's errors for a label below 0 or not below
    ``num_classes``). On a GPU each check would read a number back, making the CPU wait for
    all the work queued before it, so, as torch on CUDA does, a given ``num_classes`` is
    trusted and nothing is read: a label out of range gets a row of zeros (torch's CUDA
    kernel stops at its next wait with "device-side assert triggered" instead).
    """
    if isinstance(num_classes, Tensor):
        num_classes = num_classes.item()  # a read, in torch too: the count decides the result's shape
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
        raise TypeError(f"one_hot(): argument 'num_classes' (position 2) must be int, not {type(num_classes).__name__}")
    if tensor.dtype is not dtypes.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    data = tensor._data
    xp = array_module(data)
    if data.size == 0:
        if num_classes <= 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
    elif xp is np:  # the CPU checks the labels: reading them costs nothing there (NumPy has no queue)
        if data.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if num_classes == -1:
            num_classes = int(data.max()) + 1
        elif data.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    elif num_classes == -1:  # the one read on a GPU, torch's too: the result's shape is the largest label + 1
        num_classes = int(data.max()) + 1
        if num_classes < 1:  # (every label negative: known from that read, so torch's CPU error costs nothing)
            raise RuntimeError("Class values must be non-negative.")
    elif num_classes < 1:
        raise RuntimeError("num_classes should be positive")
    # ``data[..., None] == arange`` alone would be laid out like ``data`` (NumPy's ufuncs follow their input's
    # memory order: a permuted input gives a permuted result); torch's one_hot is always a new row-major tensor
    out = fresh_array(data.shape + (num_classes,), np.int64, xp)
    xp.equal(data[..., None], xp.arange(num_classes), out=out)
    return _wrap(out)

# ====================================================================== embedding and layer_norm
__all__ += ["embedding", "layer_norm"]


def _index_factors(flat: np.ndarray, n: int, dtype) -> np.ndarray:
    """Per index, found on its device without reading it back: 1 inside ``[0, n)``, NaN outside (0 for an
    integer ``dtype``, which has no NaN).

    The indices are clipped to ``[-1, n]``, so that every bad one lands on ``n`` or ``-1``, and one lookup in
    a table of ``n + 2`` entries (``-1`` reads its last one) gives the factor; the table is made once per
    size and device (see ``_row_factor_table``, the same idea for class targets).
    """
    device = device_of(flat)
    bad = np.nan if np.dtype(dtype).kind == "f" else 0

    def make():
        table = np.full(n + 2, bad, dtype)
        table[:n] = 1
        return to_device(table, device)

    table = _device_constant(("index factor", device, n, np.dtype(dtype).str), make)
    xp = array_module(flat)
    return xp.take(table, xp.clip(flat, -1, n))


class Embedding(Function):
    """``weight[indices]``: one row of the table per index, a lookup that is a layer.

    Forward reads rows; backward *adds* each output row's gradient into the row it was read
    from (``add.at``, as every gradient of reading at positions in ``indexing``), so a word
    that occurs three times in a batch gets the sum of three gradients. Rows at
    ``padding_idx`` get none; with ``scale_grad_by_freq`` each gradient is divided by how
    often its index occurs in the batch.

    **Devices.** On the CPU the indices are checked, with torch's ``IndexError``. On a GPU
    that check would read them back and make the CPU wait for all the work queued before
    (chapter 5), so, as for ``cross_entropy``'s targets, nothing is read: an index out of
    range reads a row of NaN (``_index_factors``), which shows up in the loss; torch on CUDA
    stops at its next wait with "device-side assert triggered" instead.
    """

    @staticmethod
    def forward(ctx, weight, indices, padding_idx, scale_grad_by_freq):
        xp = array_module(weight)
        n, dim = weight.shape
        flat = indices.reshape(-1)
        factors = None
        if xp is np:
            if _bad_index(flat, n):
                raise IndexError("index out of range in self")
            safe = flat
        else:
            factors = _index_factors(flat, n, weight.dtype) if flat.size else None
            safe = xp.clip(flat, 0, max(n - 1, 0))
        if n == 0 or flat.size == 0:  # (on a GPU, every index into an empty table is out of range)
            rows = xp.full((flat.size, dim), np.nan if weight.dtype.kind == "f" else 0, weight.dtype)
        else:
            rows = xp.take(weight, safe, axis=0)
            if factors is not None:
                rows *= factors[:, None]
        ctx.save_for_backward(indices)
        ctx.safe, ctx.weight_shape, ctx.weight_dtype = safe, weight.shape, weight.dtype
        ctx.padding_idx, ctx.scale_grad_by_freq = padding_idx, scale_grad_by_freq
        return rows.reshape(indices.shape + (dim,))

    @staticmethod
    def backward(ctx, grad):
        _ = ctx.saved_tensors  # (torch's error if the indices were modified in place since)
        n, dim = ctx.weight_shape
        safe, pad = ctx.safe, ctx.padding_idx
        scale = _embedding_grad_scale(safe, n, ctx.scale_grad_by_freq, pad)
        if _graph_wanted():  # the same sum, recorded (its own backward reads the rows again)
            from ..indexing import IndexPutAccumulate

            g = grad.reshape(-1, dim)
            if scale is not None:
                g = g * _wrap(scale[:, None].astype(grad._data.dtype))
            elif pad is not None:
                g = g * _wrap((safe != pad)[:, None].astype(grad._data.dtype))
            return IndexPutAccumulate.apply(g, (n, dim), (safe,)), None, None, None
        xp = array_module(grad._data)
        g = _upcast(grad._data).reshape(-1, dim)
        if scale is not None:
            g = g * scale[:, None].astype(g.dtype)
        out = xp.zeros((n, dim), g.dtype)
        if safe.size and n:
            xp.add.at(out, safe, g)  # repeated indices: every gradient added (CuPy: atomic adds)
        if pad is not None and scale is None:
            out[pad] = 0
        return _wrap(out.astype(ctx.weight_dtype, copy=False)), None, None, None


def _bad_index(flat: np.ndarray, n: int) -> bool:
    """True when a CPU index array holds a number outside ``[0, n)`` (reading it costs nothing there)."""
    return bool(flat.size) and (int(flat.min()) < 0 or int(flat.max()) >= n)


def _embedding_grad_scale(safe: np.ndarray, n: int, by_freq: bool, padding_idx):
    """Per index, what its gradient is multiplied by: ``1 / count`` of that index in the batch with
    ``scale_grad_by_freq``, 0 at ``padding_idx``; None when only the padding row needs zeroing (cheaper)."""
    if not by_freq:
        return None
    xp = array_module(safe)
    counts = xp.zeros(max(n, 1), np.float64)
    xp.add.at(counts, safe, 1.0)
    scale = 1.0 / xp.take(counts, safe)
    if padding_idx is not None:
        scale *= safe != padding_idx
    return scale


def _row_norms(rows: np.ndarray, p: float) -> np.ndarray:
    """The ``p``-norm of every row, as ``torch.norm(row, p)`` (``inf``: the largest magnitude)."""
    xp = array_module(rows)
    a = xp.abs(rows)
    if rows.shape[1] == 0:
        return xp.zeros(rows.shape[0], rows.dtype)
    if p == math.inf:
        return a.max(axis=1)
    if p == -math.inf:
        return a.min(axis=1)
    if p == 0:
        return (a != 0).sum(axis=1).astype(rows.dtype)
    if p == 1:
        return a.sum(axis=1)
    if p == 2:
        return xp.sqrt((a * a).sum(axis=1))
    return (a ** p).sum(axis=1) ** (1.0 / p)


def _embedding_renorm_(weight, flat: np.ndarray, max_norm: float, norm_type: float) -> None:
    """``max_norm``: the rows about to be read whose norm exceeds it are scaled down to it, *in place*.

    This changes the weight itself (outside autograd, as torch's ``embedding_renorm_``), so
    a row keeps its smaller norm afterwards. A repeated index computes the same new row from
    the same old one, so writing it twice is harmless. On a GPU an index out of range is
    left alone (its factor from ``_index_factors`` is not 1) instead of being checked.
    """
    data = weight._data
    xp = array_module(data)
    n = data.shape[0]
    if flat.size == 0 or n == 0:
        return
    valid = None
    if xp is not np:
        valid = _index_factors(flat, n, _FLOAT32) == 1
        flat = xp.clip(flat, 0, n - 1)
    rows = xp.take(_upcast(data), flat, axis=0)
    norms = _row_norms(rows, norm_type)
    scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(rows.dtype)
    if valid is not None:
        scale = xp.where(valid, scale, rows.dtype.type(1))
    data[flat] = (rows * scale[:, None]).astype(data.dtype, copy=False)
    weight._bump_version()


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,  # noqa: A002 - torch's name
              scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` (num_embeddings, embedding_dim) picked by the integer ``input``, of any shape.

    The result has shape ``input.shape + (embedding_dim,)``. ``padding_idx`` (negative counts
    from the end) gets no gradient; ``max_norm`` first rescales, in place, the rows read
    whose ``norm_type``-norm exceeds it; ``scale_grad_by_freq`` divides each row's gradient
    by its index's count in ``input``. ``sparse=True`` (a sparse gradient) is not supported:
    this library has no sparse tensors.
    """
    _check_tensor("embedding", "weight", 1, weight)
    _check_tensor("embedding", "indices", 2, input)
    n = weight.shape[0] if weight.ndim else 0
    if padding_idx is not None:
        if padding_idx >= n and padding_idx > 0 or padding_idx < -n:
            raise AssertionError("Padding_idx must be within num_embeddings")
        if padding_idx < 0:
            padding_idx = n + padding_idx
    if sparse:
        raise NotImplementedError("embedding(sparse=True) is not supported here: this library has no sparse "
                                  "tensors (use the default dense gradient)")
    if input.dtype is not dtypes.int64 and input.dtype is not dtypes.int32:
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {input.type()} instead (while checking arguments for embedding)")
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    if input.device is not weight.device:
        raise device_mismatch_error(weight.device, input.device)
    if n == 0 and input._data.size:  # (a shape check: no need to read the indices for it, on any device)
        raise RuntimeError("index_select(): self indexing axis dim should be positive")
    if max_norm is not None:
        flat = input._data.reshape(-1)
        if array_module(flat) is np and _bad_index(flat, n):  # torch's renorm reads rows with select(): its errors
            bad = flat[(flat < -n) | (flat >= n)]
            if bad.size:
                raise IndexError(f"select(): index {int(bad.min())} out of range for tensor of size "
                                 f"{list(weight.shape)} at dimension 0")
            flat = np.where(flat < 0, flat + n, flat)  # (select() counts -1 from the end; the lookup then raises)
        _embedding_renorm_(weight, flat, float(max_norm), float(norm_type))
    return Embedding.apply(weight, input, padding_idx, bool(scale_grad_by_freq))


class LayerNorm(Function):
    """Normalize over the last dimensions: ``(x - mean) / sqrt(var + eps) * weight + bias``.

    ``mean`` and the *biased* ``var`` (divided by N, not N - 1) are taken per row over the
    ``normalized_shape`` dimensions; ``eps`` sits inside the square root, as in torch. With
    ``x̂ = (x - mean) * rstd`` (``rstd = 1 / sqrt(var + eps)``, kept from the forward pass)
    and ``ĝ = g * weight``, the backward is

    * ``dx = rstd * (ĝ - mean(ĝ) - x̂ * mean(ĝ * x̂))`` per row: the gradient with the parts
      that would change the row's mean or spread taken out, since normalizing undoes those;
    * ``dweight = sum(g * x̂)`` and ``dbias = sum(g)`` over the rows.

    float16/bfloat16 inputs are computed in float32 and rounded once (torch's kernel does
    the same); float32 weight and bias may go with such an input (torch's "mixed dtype").
    """

    node_name = "NativeLayerNormBackward0"

    @staticmethod
    def forward(ctx, x, normalized_ndim, weight, bias, eps):
        xp = array_module(x)
        norm_shape = x.shape[x.ndim - normalized_ndim:]
        rows, size = math.prod(x.shape[:x.ndim - normalized_ndim]), math.prod(norm_shape)
        x2 = xp.ascontiguousarray(_upcast(x)).reshape(rows, size)
        if x2.size:
            centred = x2 - x2.mean(axis=1, keepdims=True)
            with np.errstate(divide="ignore", invalid="ignore"):  # eps=0 on a constant row: NaN, as torch, silently
                rstd = 1.0 / xp.sqrt((centred * centred).mean(axis=1, keepdims=True) + x2.dtype.type(eps))
                x_hat = centred * rstd
        else:  # no rows, or empty rows: nothing to average (and no warning about it)
            x_hat, rstd = x2.copy(), xp.zeros((rows, 1), x2.dtype)
        out = x_hat
        if weight is not None:
            out = out * _upcast(weight).reshape(-1)
        if bias is not None:
            out = out + _upcast(bias).reshape(-1)
        ctx.save_for_backward(x, weight)
        ctx.x_hat, ctx.rstd, ctx.normalized_ndim, ctx.eps = x_hat, rstd, normalized_ndim, eps
        ctx.bias_dtype = None if bias is None else bias.dtype
        return out.astype(x.dtype, copy=False).reshape(x.shape)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[0], ctx.needs_input_grad[2], ctx.needs_input_grad[3]
        if _graph_wanted():
            return _layer_norm_backward_graph(ctx, grad, x, weight, need_x, need_w, need_b)
        x_hat, rstd = ctx.x_hat, ctx.rstd
        rows, size = x_hat.shape
        g = _upcast(grad._data).reshape(rows, size)
        norm_shape = x.shape[x.ndim - ctx.normalized_ndim:]
        grad_x = grad_w = grad_b = None
        if need_x:
            gh = g * _upcast(weight._data).reshape(-1) if weight is not None else g
            if size:
                dx = rstd * (gh - gh.mean(axis=1, keepdims=True) - x_hat * (gh * x_hat).mean(axis=1, keepdims=True))
            else:
                dx = gh
            grad_x = _wrap(dx.astype(x._data.dtype, copy=False).reshape(x.shape))
        if need_w:
            grad_w = _wrap((g * x_hat).sum(axis=0).astype(weight._data.dtype, copy=False).reshape(norm_shape))
        if need_b:
            grad_b = _wrap(g.sum(axis=0).astype(ctx.bias_dtype, copy=False).reshape(norm_shape))
        return grad_x, None, grad_w, grad_b, None


def _layer_norm_backward_graph(ctx, grad, x, weight, need_x, need_w, need_b):
    """The layer-norm gradient with tensor ops, recomputing ``x̂`` from ``x``, so that
    ``create_graph=True`` can differentiate it again (also through the mean and the variance)."""
    dims = tuple(range(x.ndim - ctx.normalized_ndim, x.ndim))
    batch = tuple(range(x.ndim - ctx.normalized_ndim))
    compute = dtypes.float32 if x.dtype in (dtypes.float16, dtypes.bfloat16) else x.dtype
    xf, g = x.to(compute), grad.to(compute)
    centred = xf - xf.mean(dims, keepdim=True)
    rstd = ((centred * centred).mean(dims, keepdim=True) + ctx.eps).sqrt().reciprocal()
    x_hat = centred * rstd
    grad_x = grad_w = grad_b = None
    if need_x:
        gh = g * weight.to(compute) if weight is not None else g
        dx = rstd * (gh - gh.mean(dims, keepdim=True) - x_hat * (gh * x_hat).mean(dims, keepdim=True))
        grad_x = dx.to(x.dtype)
    if need_w:
        grad_w = ((g * x_hat).sum(batch) if batch else g * x_hat).to(weight.dtype)
    if need_b:
        grad_b = (g.sum(batch) if batch else g).to(dtypes.FROM_NUMPY[ctx.bias_dtype])
    return grad_x, None, grad_w, grad_b, None


def _check_layer_norm_dtypes(input, weight, bias) -> None:  # noqa: A002 - torch's name
    """torch's CPU rules: parameters share the input's dtype, or (a "mixed" call) a float16/bfloat16 input
    goes with float32 parameters. torch decides "mixed" by the first parameter given."""
    params = [p for p in (weight, bias) if p is not None]
    if params and params[0].dtype is not input.dtype:
        if any(p.dtype is not dtypes.float32 for p in params):
            raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")
        if input.dtype not in (dtypes.float16, dtypes.bfloat16):
            raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")
    elif len(params) == 2 and params[1].dtype is not input.dtype:
        raise RuntimeError(f"expected scalar type {dtypes.SCALAR_NAMES[input.dtype]} but found "
                           f"{dtypes.SCALAR_NAMES[params[1].dtype]}")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"LayerNormKernelImpl\" not implemented for '{dtypes.SCALAR_NAMES[input.dtype]}'")


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):  # noqa: A002 - torch's name
    """Normalize ``input`` over its last ``len(normalized_shape)`` dimensions (which must equal
    ``normalized_shape``) to mean 0 and variance 1, then scale by ``weight`` and shift by ``bias``
    (both of shape ``normalized_shape``, optional)."""
    _check_tensor("layer_norm", "input", 1, input)
    if not isinstance(normalized_shape, (tuple, list)):
        raise TypeError("layer_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, not "
                        f"{type(normalized_shape).__name__}")
    for i, n in enumerate(normalized_shape):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError("layer_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, but "
                            f"found element of type {type(n).__name__} at pos {i}")
    if weight is not None:
        _check_tensor("layer_norm", "weight", 3, weight)
    if bias is not None:
        _check_tensor("layer_norm", "bias", 4, bias)
    shape = [int(n) for n in normalized_shape]
    if not shape:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
                           "element, but got normalized_shape = []")
    for name, param in (("weight", weight), ("bias", bias)):
        if param is not None and list(param.shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                               f"{list(param.shape)} and normalized_shape = {shape}")
    input_shape = list(input.shape)
    if len(input_shape) < len(shape) or input_shape[len(input_shape) - len(shape):] != shape:
        raise RuntimeError(f"Given normalized_shape={shape}, expected input with shape "
                           f"[*{''.join(f', {n}' for n in shape)}], but got input of size{input_shape}")
    _check_layer_norm_dtypes(input, weight, bias)
    return LayerNorm.apply(input, len(shape), weight, bias, float(eps))


# ====================================================================== GELU, SiLU and binary cross-entropy
# Two smooth activations of modern networks and the two losses for yes/no (binary, multi-label) targets
# (``g`` = gradient of the output, ``Φ``/``φ`` the standard normal CDF/pdf, ``σ`` the sigmoid):
#
# ========================  ==========================================  =========================================
# operation                 forward                                     backward
# ========================  ==========================================  =========================================
# ``gelu``                  ``x Φ(x)``, ``Φ(x) = (1 + erf(x / √2)) / 2``  ``g (Φ(x) + x φ(x))``
# ``gelu(..., 'tanh')``     ``x (1 + tanh(√(2/π) (x + 0.044715 x³))) / 2``  that formula, differentiated
# ``silu``                  ``x σ(x)``                                  ``g σ(x) (1 + x (1 - σ(x)))``
# ``bce_with_logits``       ``(1 - y) x - log σ(x)``                    ``g (σ(x) - y)``; target: ``-g x``
# ``binary_cross_entropy``  ``-(y log p + (1 - y) log(1 - p))``         ``g (p - y) / (p (1 - p))``
# ========================  ==========================================  =========================================
__all__ += ["gelu", "silu", "binary_cross_entropy_with_logits", "binary_cross_entropy"]


def _erf_table() -> np.ndarray:
    """Taylor coefficients of ``erf`` around ``c = 0, 1/16, ..., 6``: row ``k`` holds ``erf⁽ᵏ⁾(c) / k!``.

    NumPy has no ``erf`` (SciPy does, but the library needs only NumPy), so it is built here
    from what calculus gives: ``erf' = (2/√π) exp(-z²)``, and the n-th derivative of ``exp(-z²)``
    is ``(-1)ⁿ Hₙ(z) exp(-z²)`` with the Hermite polynomials ``H₀ = 1, H₁ = 2z,
    Hₙ₊₁ = 2z Hₙ - 2n Hₙ₋₁``. The value at each centre is Python's ``math.erf``. Within 1/32
    of a centre, 13 terms reach float64's last digit; beyond 6, ``erf`` is 1.0 in float64.
    """
    centres = np.arange(_ERF_POINTS) * _ERF_STEP
    table = np.empty((_ERF_TERMS, _ERF_POINTS))
    table[0] = [math.erf(c) for c in centres]
    hermite_prev, hermite = np.zeros(_ERF_POINTS), np.ones(_ERF_POINTS)  # H₋₁ (unused), H₀
    slope = 2.0 / math.sqrt(math.pi) * np.exp(-centres * centres)
    for k in range(1, _ERF_TERMS):  # erf⁽ᵏ⁾(c) = (2/√π) exp(-c²) (-1)ᵏ⁻¹ Hₖ₋₁(c)
        table[k] = slope * (-1) ** (k - 1) * hermite / math.factorial(k)
        n = k - 1
        hermite_prev, hermite = hermite, 2 * centres * hermite - 2 * n * hermite_prev
    return table


_ERF_STEP, _ERF_POINTS, _ERF_TERMS = 1.0 / 16, 97, 13  # centres 0 .. 6


def _erf(z: np.ndarray) -> np.ndarray:
    """``erf(z)`` in float64 on ``z``'s device, from the nearest centre's Taylor polynomial (``_erf_table``).

    Each element looks up its centre's 13 coefficients (``take``: one gather each) and sums the
    polynomial by Horner's rule. ``erf`` is odd, so only ``|z|`` is looked up; NaN stays NaN
    (it travels through ``h``, never through the table index).
    """
    xp = array_module(z)
    table = _device_constant(("erf table", device_of(z)), lambda: to_device(_erf_table(), device_of(z)))
    size = xp.abs(z.astype(np.float64))
    limit = (_ERF_POINTS - 1) * _ERF_STEP
    centre = xp.rint(xp.fmin(size, limit) * (1.0 / _ERF_STEP))  # (fmin: a NaN picks a valid centre)
    h = xp.minimum(size, limit) - centre * _ERF_STEP  # (minimum: a NaN stays NaN here)
    index = centre.astype(np.intp)
    value = table[_ERF_TERMS - 1].take(index)
    for k in range(_ERF_TERMS - 2, -1, -1):
        value *= h
        value += table[k].take(index)
    return xp.copysign(value, z)


def _compute_type(a: np.ndarray) -> np.dtype:
    """float16/bfloat16 are computed in float32, other floats in their own type (torch's ``opmath_type``)."""
    return _FLOAT32 if a.dtype in _HALF_SET else a.dtype


# the constants as torch's kernels form them from C's M_SQRT2, M_SQRT1_2 and M_2_SQRTPI (2/√π)
_SQRT2, _SQRT1_2, _TWO_OVER_SQRTPI = 1.41421356237309504880, 0.70710678118654752440, 1.12837916709551257390
_INV_SQRT_2PI = _TWO_OVER_SQRTPI * _SQRT1_2 * 0.5  # 1/√(2π), the normal pdf's height
_TANH_BETA, _TANH_KAPPA = _SQRT2 * _TWO_OVER_SQRTPI * 0.5, 0.044715  # √(2/π)


def _gelu_array(x: np.ndarray, tanh: bool) -> np.ndarray:
    """GELU in ``x``'s compute type, in the order torch's CPU kernel rounds: ``x/2 * (1 + erf(x/√2))``."""
    xp = array_module(x)
    ct = _compute_type(x)
    xc = x.astype(ct, copy=False)
    if tanh:
        inner = ct.type(_TANH_BETA) * (xc + ct.type(_TANH_KAPPA) * (xc * xc * xc))
        return ct.type(0.5) * xc * (1 + xp.tanh(inner))
    cdf = _erf(xc * ct.type(_SQRT1_2)).astype(ct)  # (erf in float64, rounded once: torch's erf is as close)
    return xc * ct.type(0.5) * (1 + cdf)


def _gelu_slope_array(x: np.ndarray, tanh: bool) -> np.ndarray:
    """``d gelu / dx`` in ``x``'s compute type."""
    xp = array_module(x)
    ct = _compute_type(x)
    xc = x.astype(ct, copy=False)
    if tanh:
        square = xc * xc
        t = xp.tanh(ct.type(_TANH_BETA) * (xc + ct.type(_TANH_KAPPA) * (square * xc)))
        inner_slope = ct.type(_TANH_BETA) * (1 + ct.type(3 * _TANH_KAPPA) * square)
        return ct.type(0.5) * (1 + t) + ct.type(0.5) * xc * (1 - t * t) * inner_slope
    cdf = ct.type(0.5) * (1 + _erf(xc * ct.type(_SQRT1_2)).astype(ct))
    pdf = ct.type(_INV_SQRT_2PI) * xp.exp(xc * xc * ct.type(-0.5))
    return cdf + xc * pdf


class Gelu(Function):
    """``x Φ(x)``: the input, weighted by how likely a standard normal variable is to be below it.

    Like ReLU it passes large positive values and silences large negative ones, but smoothly
    (a little negative dip near -0.75), so its slope has no jump at 0. ``approximate='tanh'``
    replaces ``Φ`` by a tanh curve, once cheaper to compute (GPT-2 used it).
    """

    @staticmethod
    def forward(ctx, x, tanh):
        ctx.tanh = tanh
        ctx.save_for_backward(x)
        with np.errstate(invalid="ignore", over="ignore"):  # gelu(-inf) = -inf * 0 = NaN, as in torch
            out = _gelu_array(x, tanh)
        return _layout_like(_array(out).astype(x.dtype, copy=False), x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if _graph_wanted():
            return grad * GeluSlope.apply(x, ctx.tanh), None
        with np.errstate(invalid="ignore", over="ignore"):
            slope = _gelu_slope_array(x._data, ctx.tanh)
        return _wrap(_array(_upcast(grad._data) * slope).astype(x._data.dtype, copy=False)), None


class GeluSlope(Function):
    """``gelu'(x)`` as a function of its own, so that ``create_graph=True`` can differentiate GELU twice.

    Its own slope, ``gelu''``, is written with tensor operations (``2 φ(x) - x² φ(x)`` for the
    exact form, ``φ`` the normal pdf), so further orders come from autograd.
    """

    @staticmethod
    def forward(ctx, x, tanh):
        ctx.tanh = tanh
        ctx.save_for_backward(x)
        return _array(_gelu_slope_array(x, tanh)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if ctx.tanh:
            t = (_TANH_BETA * (x + _TANH_KAPPA * x * x * x)).tanh()
            inner_slope = _TANH_BETA * (1 + 3 * _TANH_KAPPA * x * x)
            bend = 3 * _TANH_BETA * _TANH_KAPPA * x * x
            curve = (1 - t * t) * (inner_slope - x * t * inner_slope * inner_slope + bend)
            return grad * curve, None
        pdf = (x * x * -0.5).exp() * _INV_SQRT_2PI
        return grad * pdf * (2 - x * x), None


def gelu(input, approximate="none"):  # noqa: A002 - torch's name
    """``input * Φ(input)`` (``Φ`` the standard normal CDF), or its tanh approximation with ``approximate='tanh'``."""
    if not isinstance(approximate, str):
        raise TypeError(f"gelu(): argument 'approximate' must be str, not {type(approximate).__name__}")
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"GeluKernelImpl\" not implemented for '{dtypes.SCALAR_NAMES[input.dtype]}'")
    return Gelu.apply(input, approximate == "tanh")


class Silu(Function):
    """``x σ(x)`` (also called swish): like GELU, a smooth ReLU; its slope is ``σ(x) (1 + x (1 - σ(x)))``."""

    @staticmethod
    def forward(ctx, x):
        xc = _upcast(x)
        with np.errstate(over="ignore", invalid="ignore"):  # exp(-x) overflows for x < -88 (float32): x / inf is
            out = xc / (1 + array_module(x).exp(-xc))  # then -0, and silu(-inf) = -inf / inf = NaN, as in torch
        ctx.save_for_backward(x)
        return _layout_like(_array(out).astype(x.dtype, copy=False), x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if _graph_wanted():
            s = x.sigmoid()
            return grad * s * (1 + x * (1 - s))
        xc = _upcast(x._data)
        with np.errstate(over="ignore", invalid="ignore"):
            s = 1 / (1 + array_module(xc).exp(-xc))
            return _wrap(_array(_upcast(grad._data) * s * (1 + xc * (1 - s))).astype(x._data.dtype, copy=False))


def silu(input, inplace=False):  # noqa: A002 - torch's name
    """``input * sigmoid(input)`` elementwise; ``inplace=True`` overwrites ``input`` unless autograd watches it."""
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"silu_cpu\" not implemented for '{dtypes.SCALAR_NAMES[input.dtype]}'")
    if inplace:
        if not (STATE.enabled and input.requires_grad):
            result = Silu.apply(input)._data
            input._data[...] = result
            input._bump_version()
            return input
        if input.is_leaf:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    return Silu.apply(input)


# ---------------------------------------------------------------------- binary cross-entropy
def _check_inplace_broadcast(out_shape, other_shape) -> None:
    """torch's errors for ``out.mul_(other)``: ``other`` must broadcast *to* ``out``'s shape."""
    shape = infer_size(tuple(out_shape), tuple(other_shape))
    if shape != tuple(out_shape):
        raise RuntimeError(f"output with shape {list(out_shape)} doesn't match the broadcast shape {list(shape)}")


def _torch_size(shape) -> str:
    """A shape as torch's messages print it: ``torch.Size([2, 3])``."""
    return f"torch.Size({list(shape)})"


def _check_not_differentiable(name: str, **tensors) -> None:
    """torch gives no gradient for a loss's weights: a weight that requires grad is an error."""
    for argument, t in tensors.items():
        if t is not None and t.requires_grad and STATE.enabled:
            raise RuntimeError(f"The function '{name}' is not differentiable with respect to argument '{argument}'. "
                               "This input cannot have requires_grad True.")


def _reduce_elementwise(loss: np.ndarray, reduction: str, out_dtype, *inputs) -> np.ndarray:
    """'none': the losses (laid out as torch lays out an elementwise result); 'sum'/'mean': one number."""
    if reduction == "none":
        return _layout_like(_array(loss).astype(out_dtype, copy=False), *inputs)
    total = loss.sum()
    if reduction == "mean":
        total = total / loss.size if loss.size else total * np.nan
    return array_module(loss).asarray(total, dtype=out_dtype)


def _elementwise_scale(grad: np.ndarray, reduction: str, count: int) -> np.ndarray:
    """What each element's loss is multiplied by in the output: ``g`` (one per element for 'none'), or ``g / N``."""
    grad = _upcast(grad)
    return grad / max(count, 1) if reduction == "mean" else grad


def _log_sigmoid(x: np.ndarray) -> np.ndarray:
    """``log σ(x) = min(x, 0) - log1p(exp(-|x|))``: never ``log(0)``, never an overflowing ``exp``."""
    xp = array_module(x)
    return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))


class BinaryCrossEntropyWithLogits(Function):
    """``σ`` and binary cross-entropy in one step, on logits ``x`` and targets ``y`` in [0, 1].

    ``-(y log σ(x) + (1 - y) log(1 - σ(x)))`` simplifies, since ``log(1 - σ(x)) = log σ(x) - x``,
    to ``(1 - y) x - log σ(x)``, and ``log σ`` is computed stably (``_log_sigmoid``): this stays
    finite where ``σ(x)`` rounds to 0 or 1, where the two-step ``bce(sigmoid(x), y)`` would need
    its clamp. ``pos_weight`` ``p`` scales the positive term: ``(1 - y) x - (1 + (p - 1) y) log σ(x)``.
    The gradients are ``σ(x) (1 + (p - 1) y) - p y`` (``σ(x) - y`` without ``p``) for the
    logits and ``-x - (p - 1) log σ(x)`` for the target, times the weight and the reduction's scale.
    """

    node_name = "BinaryCrossEntropyWithLogitsBackward0"

    @staticmethod
    def forward(ctx, x, y, weight, pos_weight, reduction, compute, out_dtype):
        def rounded(a, dtype):  # each step's result in the dtype torch keeps it in (it matters for float16)
            return _rounded(a, dtype, compute)

        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            xc, yc = x.astype(compute, copy=False), y.astype(compute, copy=False)
            log_sig = rounded(_log_sigmoid(xc), x.dtype)  # torch: log_sigmoid(input), in the input's dtype
            pw = None if pos_weight is None else pos_weight.astype(compute, copy=False)
            w = None if weight is None else weight.astype(compute, copy=False)
            positive = log_sig
            if pw is not None:  # (pos_weight - 1) * target + 1, then log_sigmoid(input).mul_(it)
                lw_dtype = _promoted(pos_weight.dtype, y.dtype)
                lw = rounded(rounded(rounded(pw - 1, pos_weight.dtype) * yc, lw_dtype) + 1, lw_dtype)
                positive = rounded(log_sig * lw, x.dtype)
            # torch: (1 - target).mul_(input).sub_(positive), then .mul_(weight): in the target's dtype
            loss = rounded(rounded(rounded(1 - yc, y.dtype) * xc, y.dtype) - positive, y.dtype)
            if w is not None:
                loss = rounded(loss * w, y.dtype)
        ctx.save_for_backward(x, y)
        ctx.weight, ctx.pos_weight, ctx.reduction, ctx.count = w, pw, reduction, loss.size
        ctx.pos_weight_dtype = None if pos_weight is None else pos_weight.dtype
        ctx.compute = compute
        return _reduce_elementwise(loss, reduction, out_dtype, x, y)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad[:2]
        if _graph_wanted():
            return _bce_logits_backward_graph(ctx, grad, x, y, need_x, need_y)
        compute, x_dtype, y_dtype = ctx.compute, x._data.dtype, y._data.dtype
        xc, yc = x._data.astype(compute, copy=False), y._data.astype(compute, copy=False)
        g = grad._data.astype(compute, copy=False)
        pw = ctx.pos_weight

        def finish(d, d_dtype, out_dtype):  # torch: d.mul_(grad), .mul_(weight), .div_(numel): in d's dtype
            d = _rounded(d * g, d_dtype, compute)
            if ctx.weight is not None:
                d = _rounded(d * ctx.weight, d_dtype, compute)
            if ctx.reduction == "mean":
                d = _rounded(d / max(ctx.count, 1), d_dtype, compute)
            return _wrap(_array(d).astype(out_dtype, copy=False))

        grad_x = grad_y = None
        with np.errstate(over="ignore", invalid="ignore"):
            if need_x:
                grad_x = finish(*_bce_input_slope(xc, x_dtype, yc, y_dtype, pw, ctx.pos_weight_dtype, compute),
                                x_dtype)
            if need_y:
                d = (-xc, x_dtype) if pw is None else _bce_target_slope(xc, x_dtype, pw, ctx.pos_weight_dtype, compute)
                grad_y = finish(*d, y_dtype)
        return grad_x, grad_y, None, None, None, None, None


def _rounded(a: np.ndarray, dtype, compute) -> np.ndarray:
    """``a`` (in ``compute``) rounded to ``dtype``, where torch keeps an intermediate result in that dtype."""
    return a if dtype == compute else a.astype(dtype).astype(compute)


def _promoted(first, second) -> np.dtype:
    """The NumPy dtype of torch's type promotion of two NumPy dtypes."""
    return dtypes.promote_types(dtypes.FROM_NUMPY[first], dtypes.FROM_NUMPY[second]).numpy_dtype


def _bce_input_slope(x, x_dtype, y, y_dtype, pw, pw_dtype, compute):
    """``σ(x) - y`` or ``(p y + 1 - y) σ(x) - p y`` with torch's roundings: ``σ`` in the input's dtype, the rest
    in the type of ``target`` and ``pos_weight`` together (float32 for a float64 input with float32 targets)."""
    def rounded(a, dtype):
        return _rounded(a, dtype, compute)

    sig = rounded(1 / (1 + array_module(x).exp(-x)), x_dtype)
    if pw is None:
        d_dtype = _promoted(x_dtype, y_dtype)
        return rounded(sig - y, d_dtype), d_dtype
    t_dtype = _promoted(pw_dtype, y_dtype)
    t = rounded(pw * y, t_dtype)
    scaled = rounded(rounded(rounded(t + 1, t_dtype) - y, t_dtype) * sig, t_dtype)
    return rounded(scaled - t, t_dtype), t_dtype


def _bce_target_slope(x, x_dtype, pw, pw_dtype, compute):
    """``log σ(-x) - p log σ(x)`` (``= -x - (p - 1) log σ(x)``) with torch's roundings: each ``log σ`` in the
    input's dtype, the product in the type of ``input`` and ``pos_weight`` together."""
    def rounded(a, dtype):
        return _rounded(a, dtype, compute)

    product_dtype = _promoted(x_dtype, pw_dtype)
    positive = rounded(rounded(_log_sigmoid(x), x_dtype) * pw, product_dtype)
    return rounded(rounded(_log_sigmoid(-x), x_dtype) - positive, product_dtype), product_dtype


def _bce_logits_backward_graph(ctx, grad, x, y, need_x, need_y):
    """The same gradients with tensor operations (``create_graph=True``)."""
    scale = grad / max(ctx.count, 1) if ctx.reduction == "mean" else grad
    if ctx.weight is not None:
        scale = scale * _wrap(ctx.weight)
    pw = None if ctx.pos_weight is None else _wrap(ctx.pos_weight)
    grad_x = grad_y = None
    if need_x:
        s = x.sigmoid()
        d = s - y if pw is None else s * ((pw - 1) * y + 1) - pw * y
        grad_x = (d * scale).to(x.dtype)
    if need_y:
        log_sig = x.clamp(max=0) - (-x.abs()).exp().log1p()
        d = -x if pw is None else -x - (pw - 1) * log_sig
        grad_y = (d * scale).to(y.dtype)
    return grad_x, grad_y, None, None, None, None, None


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,  # noqa: A002
                                     reduction="mean", pos_weight=None):
    """Binary cross-entropy on raw scores (logits): ``sigmoid`` and the loss in one stable step.

    Each element is its own yes/no question: ``target`` (same shape as ``input``) holds the
    probability of "yes", usually 0 or 1. ``weight`` scales each element's loss and
    ``pos_weight`` the "yes" term (e.g. ``negatives / positives`` per class, for rare
    positives); both broadcast to the input's shape.
    """
    reduction = _check_reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({_torch_size(target.shape)}) must be the same as input size "
                         f"({_torch_size(input.shape)})")
    _check_not_differentiable("binary_cross_entropy_with_logits", weight=weight, pos_weight=pos_weight)
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"log_sigmoid_cpu\" not implemented for '{dtypes.SCALAR_NAMES[input.dtype]}'")
    if pos_weight is not None:
        _check_inplace_broadcast(input.shape, infer_size(tuple(pos_weight.shape), tuple(target.shape)))
    if target.dtype is dtypes.bool:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                           "`logical_xor()` operator instead.")
    if not target.dtype.is_floating_point:
        raise RuntimeError(f"result type {dtypes.SCALAR_NAMES[input.dtype]} can't be cast to the desired output "
                           f"type {dtypes.SCALAR_NAMES[target.dtype]}")
    if weight is not None:
        _check_inplace_broadcast(input.shape, weight.shape)
    operands = [t for t in (input, target, weight, pos_weight) if t is not None and t.dtype.is_floating_point]
    compute = dtypes.result_type(*operands).numpy_dtype
    compute = _FLOAT32 if compute in _HALF_SET else compute
    return BinaryCrossEntropyWithLogits.apply(input, target, weight, pos_weight, reduction, compute,
                                              target.dtype.numpy_dtype)


def _check_probabilities(x: np.ndarray, y: np.ndarray) -> None:
    """torch's CPU check that ``input`` and ``target`` hold probabilities, first bad element first.

    Only on the CPU: on a GPU the check would read the values back and make the CPU wait for
    all the work queued before it (chapter 5). There, as torch on CUDA (whose kernel stops at
    its next wait with "device-side assert triggered"), nothing is read, and a value outside
    [0, 1] gives a NaN loss instead of an error.
    """
    if array_module(x) is not np or not x.size:
        return
    with np.errstate(invalid="ignore"):
        bad_x, bad_y = ~((x >= 0) & (x <= 1)), ~((y >= 0) & (y <= 1))
    bad = bad_x | bad_y
    if bad.any():
        first = np.unravel_index(int(bad.argmax()), bad.shape)
        which = "input" if bad_x[first] else "target"
        raise RuntimeError(f"all elements of {which} should be between 0 and 1")


def _broadcast_shapes_error(target_shape, weight_shape):
    """torch.broadcast_shapes(target, weight) (what ``binary_cross_entropy`` expands ``weight`` to), with its error."""
    result = [1] * max(len(target_shape), len(weight_shape))
    for index, shape in enumerate((target_shape, weight_shape)):
        for i in range(-1, -1 - len(shape), -1):
            if shape[i] == 1 or shape[i] == result[i]:
                continue
            if result[i] != 1:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {shape[i]} at {i}! Mismatching "
                                   f"argument at index {index} had torch.Size({list(shape)}); but expected shape "
                                   f"should be broadcastable to {result}")
            result[i] = shape[i]
    return tuple(result)


_BCE_EPSILON = float(np.float32(1e-12))  # torch's floor (a C float) for p (1 - p) in the gradient: p = 0 or 1
# gives a huge slope, not inf


class BinaryCrossEntropy(Function):
    """``-(y log p + (1 - y) log(1 - p))`` on probabilities ``p``, each log clamped at -100 as torch does.

    The clamp keeps ``p = 0`` (or 1) finite: a loss of 100 instead of inf. The gradient
    ``(p - y) / (p (1 - p))`` for the input (its denominator floored at 1e-12) and
    ``-log(p / (1 - p))`` for the target, times the weight and the reduction's scale.
    """

    node_name = "BinaryCrossEntropyBackward0"

    @staticmethod
    def forward(ctx, x, y, weight, reduction):
        _check_probabilities(x, y)
        xp = array_module(x)
        xc, yc = _upcast(x), _upcast(y)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_p = xp.maximum(xp.log(xc), -100)
            log_q = xp.maximum(xp.log1p(-xc), -100)
        loss = (yc - 1) * log_q - yc * log_p
        w = None if weight is None else weight.astype(loss.dtype, copy=False)
        if w is not None:
            loss *= w
        ctx.save_for_backward(x, y)
        ctx.weight, ctx.reduction, ctx.count = w, reduction, loss.size
        return _reduce_elementwise(loss, reduction, x.dtype, x, y)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad[:2]
        if _graph_wanted():
            scale = grad / max(ctx.count, 1) if ctx.reduction == "mean" else grad
            if ctx.weight is not None:
                scale = scale * _wrap(ctx.weight)
            grad_x = (x - y) / ((1 - x) * x).clamp(min=_BCE_EPSILON) * scale if need_x else None
            grad_y = -(x / (1 - x)).log() * scale if need_y else None
            return grad_x, grad_y, None, None
        xp = array_module(x._data)
        xc, yc = _upcast(x._data), _upcast(y._data)
        scale = _elementwise_scale(grad._data, ctx.reduction, ctx.count)
        if ctx.weight is not None:
            scale = scale * ctx.weight
        grad_x = grad_y = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if need_x:
                d = (xc - yc) / xp.maximum((1 - xc) * xc, _BCE_EPSILON) * scale
                grad_x = _wrap(_array(d).astype(x._data.dtype, copy=False))
            if need_y:
                d = -xp.log(xc / (1 - xc)) * scale
                grad_y = _wrap(_array(d).astype(y._data.dtype, copy=False))
        return grad_x, grad_y, None, None


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,  # noqa: A002
                         reduction="mean"):
    """Binary cross-entropy of probabilities ``input`` (e.g. after ``sigmoid``) and targets of the same shape.

    Prefer ``binary_cross_entropy_with_logits`` on the raw scores: it never takes ``log(0)``.
    On the CPU, values outside [0, 1] raise torch's error; on a GPU they are not looked at
    (reading them back would make the CPU wait) and give a NaN loss.
    """
    reduction = _check_reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({_torch_size(target.shape)}) that is different to the input size "
                         f"({_torch_size(input.shape)}) is deprecated. Please ensure they have the same size.")
    if weight is not None:
        shape = _broadcast_shapes_error(tuple(target.shape), tuple(weight.shape))
        _check_inplace_broadcast(input.shape, shape)
    _check_not_differentiable("binary_cross_entropy", weight=weight)
    if target.dtype is not input.dtype:
        raise RuntimeError(f"Found dtype {dtypes.SCALAR_NAMES[target.dtype]} but expected "
                           f"{dtypes.SCALAR_NAMES[input.dtype]}")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"binary_cross_entropy\" not implemented for '{dtypes.SCALAR_NAMES[input.dtype]}'")
    return BinaryCrossEntropy.apply(input, target, weight, reduction)


def __getattr__(name):  # only for names F lacks: say when torch.nn.functional has them (tl.beyond_the_course)
    from ..beyond_the_course import missing
    from ..torch_names import NN_FUNCTIONAL

    raise missing("module 'tinygrad_lessons.nn.functional'", name, "torch.nn.functional", NN_FUNCTIONAL)
