"""Matrix products: ``matmul`` (the ``@`` operator), ``mm``, ``bmm``, ``mv``, ``dot``, ``outer``; and
``tril``, ``triu``, ``diag``, ``trace``.

The array library's ``matmul`` does all the arithmetic (NumPy's BLAS on the CPU, so a
1024x1024 product is exactly as fast as NumPy's; CuPy's cuBLAS on a GPU); what torch
adds are its rules:

* **one dtype**: unlike ``+``, a matrix product does not promote. ``float32 @ float64`` is an
  error, so mixing precisions is always a deliberate ``.to()``.
* **dispatch on dimensions**: ``matmul`` is ``dot`` for two vectors, ``mv`` for a matrix and
  a vector, ``mm`` for two matrices, and a batched product (the leading "batch" dimensions
  broadcast) for anything bigger. The error a wrong shape gives names the operation it was
  dispatched to — ``mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)`` — so the
  checks here follow the same path torch takes.
* **half types** (float16, bfloat16) multiply in float32 and round the result once, as
  torch's CPU kernels do; integer products work (and wrap around on overflow); bools don't.
* **one device**: both operands on the CPU, or both on the GPU (torch's error otherwise).

Results are always new, row-major (contiguous) tensors.

The matrix helpers at the end -- ``tril``/``triu`` (keep a triangle, batched over leading dims),
``diag`` (vector <-> diagonal) and ``trace`` -- are masks and diagonal reads on the array; their
gradients are the same masks and reads, run backwards.
"""

from __future__ import annotations

import math

import numpy as np

from . import dtypes
from .backend import array_module, c_contiguous
from .creation import int_arg
from .function import Function, device_mismatch_error
from .layout import is_contiguous
from .math_ops import _check_leaf, _check_writable, _inplace, _keep_saved, torch_name
from .size import infer_size
from .storage import contiguous_strides
from .tensor import Tensor

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "outer", "tril", "triu", "diag", "trace"]

_HALF_NP = frozenset((dtypes.float16.numpy_dtype, dtypes.bfloat16.numpy_dtype))
_BOOL_NP = np.dtype(np.bool_)


# ====================================================================== the one Function
class MatMul(Function):
    """``a @ b`` for arrays of one dtype, any ranks torch allows; the result is row-major.

    Backward: for matrices, ``grad @ b.T`` for ``a`` and ``a.T @ grad`` for ``b`` (each input's
    elements meet the other's along the shared dimension). A vector is a one-row (on the
    left) or one-column (on the right) matrix whose extra dimension was dropped; batch
    dimensions that broadcast are summed back (``sum_to_size``). The gradients are matrix
    products themselves, so they can be differentiated again.

    torch splits ``matmul`` into ``mm``, ``mv``, ``dot``, ``bmm`` and views; ``name`` is the name
    of the graph node torch would put on top (``matmul`` works it out, see ``_matmul_node_name``).
    """

    @staticmethod
    def forward(ctx, a, b, name=None):
        ctx.save_for_backward(a, b)  # the public functions keep only what a wanted gradient needs
        ctx.meta = (a.shape, dtypes.FROM_NUMPY[a.dtype], b.shape)
        if name is not None:
            ctx.node_name = name
        xp = array_module(a)
        if a.dtype != b.dtype:  # only an empty batched product gets here: torch gives b's dtype
            a = a.astype(b.dtype)
        if a.dtype in _HALF_NP:  # multiply in float32, round once
            out = xp.matmul(a.astype(np.float32), b.astype(np.float32)).astype(a.dtype)
        else:
            out = xp.matmul(a, b)
        if isinstance(out, np.generic):  # vector . vector gives a NumPy scalar (CuPy: a 0-d array)
            return np.asarray(out)
        return out if c_contiguous(out) else xp.ascontiguousarray(out)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        shape_a, dtype_a, shape_b = ctx.meta
        need_a, need_b = ctx.needs_input_grad[:2]
        grad_a, grad_b = _matmul_backward(grad, a, b, shape_a, shape_b, need_a, need_b)
        if grad_a is not None and grad_a.dtype is not dtype_a:
            grad_a = grad_a.to(dtype_a)  # an empty batched product of two dtypes (see forward)
        return grad_a, grad_b, None


def _product(x, y):
    """``x @ y`` as a graph node, without ``matmul``'s checks (backward's shapes always fit)."""
    return MatMul.apply(x, y, None)


def _matmul_backward(grad, a, b, shape_a, shape_b, need_a, need_b):
    """The gradients of ``a @ b`` (shapes ``shape_a``, ``shape_b``) for every combination of ranks
    ``matmul`` accepts. ``a`` is only needed for ``b``'s gradient and ``b`` for ``a``'s (the other may be None)."""
    grad_a = grad_b = None
    ndim_a, ndim_b = len(shape_a), len(shape_b)
    if ndim_a == 1 and ndim_b == 1:  # dot: a 0-d gradient scales the other vector
        grad_a = grad * b if need_a else None
        grad_b = grad * a if need_b else None
    elif ndim_a == 2 and ndim_b == 2:  # the hot path of every linear layer: two products
        grad_a = _product(grad, b.t()) if need_a else None
        grad_b = _product(a.t(), grad) if need_b else None
    elif ndim_a == 2 and ndim_b == 1:  # mv: grad is a column
        grad_a = outer(grad, b) if need_a else None
        grad_b = _product(a.t(), grad) if need_b else None
    elif ndim_a == 1 and ndim_b == 2:  # a row times a matrix
        grad_a = _product(b, grad) if need_a else None
        grad_b = outer(a, grad) if need_b else None
    else:  # batched: restore the dropped vector dimensions, multiply, sum the broadcast batch away
        g = grad.unsqueeze(-2) if ndim_a == 1 else grad
        g = g.unsqueeze(-1) if ndim_b == 1 else g
        if need_a:
            b2 = b.unsqueeze(-1) if ndim_b == 1 else b
            grad_a = _product(g, b2.mT).sum_to_size((1,) + shape_a if ndim_a == 1 else shape_a)
            grad_a = grad_a.reshape(shape_a) if ndim_a == 1 else grad_a
        if need_b:
            a2 = a.unsqueeze(0) if ndim_a == 1 else a
            grad_b = _product(a2.mT, g).sum_to_size(shape_b + (1,) if ndim_b == 1 else shape_b)
            grad_b = grad_b.reshape(shape_b) if ndim_b == 1 else grad_b
    return grad_a, grad_b


class Outer(Function):
    """``a[:, None] * b[None, :]``: every product of an element of ``a`` with one of ``b``.

    Backward: ``grad @ b`` for ``a`` and ``grad.T @ a`` for ``b`` (torch computes outer as a
    broadcast multiplication: its node is MulBackward0).
    """

    node_name = "MulBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a[:, None] * b  # (ufunc.outer, the same values, is missing from older CuPy versions)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = _product(grad, b) if need_a else None
        grad_b = _product(grad.t(), a) if need_b else None
        return grad_a, grad_b


def _keep(a, b):
    """Which of the saved ``(a, b)`` backward will read: each one's gradient needs the other."""
    return b.requires_grad, a.requires_grad


# ====================================================================== torch's checks, op by op
def _require_tensor(x, fname: str, argname: str, position: int):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fname}(): argument '{argname}' (position {position}) must be Tensor, "
                        f"not {type(x).__name__}")


def _check_device(a, b):
    """torch checks the devices before the shapes and dtypes: both operands on one device."""
    if a.device is not b.device:
        raise device_mismatch_error(a.device, b.device)


def _no_bool(kernel: str, np_dtype, *sizes):
    """torch has no bool kernels for products; an empty product never reaches the kernel, though."""
    if np_dtype == _BOOL_NP and math.prod(sizes) != 0:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{torch_name(np_dtype)}\'')


def _check_dot(a, b):
    """torch's checks for a vector . vector product (``dot``)."""
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.dtype != b.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {torch_name(a.dtype)} "
                           f"and {torch_name(b.dtype)}")
    if a.size != b.size:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.size}] and src [{b.size}] to have the "
                           f"same number of elements, but got {a.size} and {b.size} elements respectively")
    _no_bool("dot", a.dtype, 1)


def _check_mv(shape, vector_shape, matrix_dtype, vector_dtype):
    """torch's checks for a matrix @ vector product (``mv``)."""
    if len(shape) != 2 or len(vector_shape) != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {len(shape)}, {len(vector_shape)}")
    if shape[1] != vector_shape[0]:
        raise RuntimeError(f"size mismatch, got input ({shape[0]}), mat ({shape[0]}x{shape[1]}), "
                           f"vec ({vector_shape[0]})")
    if matrix_dtype != vector_dtype:
        vec = torch_name(vector_dtype)  # the result (named first) has the vector's dtype
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {vec}, "
                           f"{torch_name(matrix_dtype)}, and {vec}")
    _no_bool("addmv_impl_cpu", matrix_dtype, *shape)


def _check_mm(shape1, shape2, dtype1, dtype2):
    """torch's checks for a matrix @ matrix product (``mm``), shapes before dtypes."""
    if shape1[1] != shape2[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({shape1[0]}x{shape1[1]} and "
                           f"{shape2[0]}x{shape2[1]})")
    if dtype1 != dtype2:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_cpp_name(dtype1)} != "
                           f"{_cpp_name(dtype2)}")
    _no_bool("addmm_impl_cpu_", dtype1, *shape1, shape2[1])


def _check_bmm(shape1, shape2, dtype1, dtype2):
    """torch's checks for a batch of matrix products (``bmm``): 3-D, same batch, matching inner sizes."""
    batch, _, inner = shape1
    if shape2[0] != batch or shape2[1] != inner:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{batch}, {inner}] "
                           f"but got: [{shape2[0]}, {shape2[1]}].")
    if batch * shape1[1] * inner * shape2[2] == 0:
        return  # nothing to multiply: torch returns zeros before looking at the dtypes
    if dtype1 != dtype2:
        raise RuntimeError(f"expected scalar type {torch_name(dtype1)} but found {torch_name(dtype2)}")
    _no_bool("bmm", dtype1, *shape1, shape2[2])


def _cpp_name(np_dtype) -> str:
    return dtypes.CPP_TYPEID_NAMES[dtypes.FROM_NUMPY[np.dtype(np_dtype)]]


def _should_fold(t1, t2) -> bool:
    """Whether torch folds the batch of the bigger operand into matrix rows (and calls mm/mv).

    It does when the bigger one has >= 3 dims, the other <= 2, and the fold needs no copy
    (or the smaller one requires grad). This decides which error a bad shape gives.
    """
    first_larger = t1.ndim >= t2.ndim
    big = t1._data if first_larger else t2._data.swapaxes(-1, -2)
    small_ndim = t2.ndim if first_larger else t1.ndim
    if not (big.ndim >= 3 and small_ndim <= 2):
        return False
    if (t2 if first_larger else t1).requires_grad:
        return True
    if t1.ndim == 2:
        return False
    if big.size == 0:
        return True
    strides = [s // big.itemsize for s in big.strides]
    return all(strides[i] == strides[i + 1] * big.shape[i + 1] for i in range(big.ndim - 1))


def _check_matmul(t1, t2):
    """Walk torch's matmul dispatch and raise the error the operation it picks would raise."""
    a, b = t1._data, t2._data
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and "
                           f"{b.ndim}D")
    if a.ndim == 1 and b.ndim == 1:
        _check_dot(a, b)
    elif a.ndim == 2 and b.ndim == 1:
        _check_mv(a.shape, b.shape, a.dtype, b.dtype)
    elif a.ndim == 1 and b.ndim == 2:
        _check_mm((1,) + a.shape, b.shape, a.dtype, b.dtype)
    elif a.ndim == 2 and b.ndim == 2:
        _check_mm(a.shape, b.shape, a.dtype, b.dtype)
    elif _should_fold(t1, t2):
        if b.ndim > a.ndim:  # torch computes (b^T @ a^T)^T
            big_shape = b.shape[:-2] + (b.shape[-1], b.shape[-2])
            small_shape, small_dtype = (a.shape[::-1] if a.ndim == 2 else a.shape), a.dtype
            big_dtype = b.dtype
        else:
            big_shape, big_dtype, small_shape, small_dtype = a.shape, a.dtype, b.shape, b.dtype
        folded = (math.prod(big_shape[:-1]), big_shape[-1])
        if len(small_shape) == 2:
            _check_mm(folded, small_shape, big_dtype, small_dtype)
        else:
            _check_mv(folded, small_shape, big_dtype, small_dtype)
    else:
        n = a.shape[-2] if a.ndim > 1 else 1
        m2 = b.shape[-2] if b.ndim > 1 else b.shape[0]
        batch = infer_size(a.shape[:-2], b.shape[:-2])
        size = math.prod(batch)
        p = b.shape[-1] if b.ndim > 1 else 1
        _check_bmm((size, n, a.shape[-1]), (size, m2, p), a.dtype, b.dtype)


def _matmul_node_name(t1, t2) -> str:
    """The graph node torch puts on top of ``t1 @ t2`` (its matmul is made of other ops).

    dot, mv and mm for vectors and matrices; a vector @ matrix is ``mm`` on an unsqueezed
    row, squeezed back (SqueezeBackward4). A batched product ends in a reshape of the
    ``bmm`` (or folded ``mm``/``mv``) result (UnsafeViewBackward0), except a matrix that
    requires grad times a batch: torch computes ``(b^T @ a^T)^T`` and copies the transposed
    result to make it contiguous (CloneBackward0; TransposeBackward0 when it already is).
    A 3-D operand with a batch of 1 that requires grad counts as that matrix.
    """
    n1, n2 = t1.ndim, t2.ndim
    if n1 <= 2 and n2 <= 2:
        return _SMALL_NAMES[n1, n2]
    shape1, shape2 = t1.shape, t2.shape
    if n1 == 3 and n2 == 3 and shape1[0] == 1 and shape2[0] != 1 and t1.requires_grad:
        n1, shape1 = 2, shape1[1:]
    if n1 == 2 and n2 >= 3 and t1.requires_grad:
        batch, n, p = tuple(shape2[:-2]), shape1[0], shape2[-1]
        transposed_strides = contiguous_strides(batch + (p, n))
        strides = transposed_strides[:-2] + (transposed_strides[-1], transposed_strides[-2])
        return "TransposeBackward0" if is_contiguous(batch + (n, p), strides) else "CloneBackward0"
    return "UnsafeViewBackward0"


_SMALL_NAMES = {(1, 1): "DotBackward0", (2, 1): "MvBackward0", (1, 2): "SqueezeBackward4", (2, 2): "MmBackward0"}


# ====================================================================== the public functions
def matmul(input, other):  # noqa: A002 - torch's name
    """The matrix product of two tensors, whatever their ranks (``input @ other``).

    1-D @ 1-D is a dot product (0-d result); a 1-D operand is a row (on the left) or a
    column (on the right) that is dropped from the result; with more than 2 dimensions
    the leading ones are a batch, broadcast like element-wise ops.
    """
    _require_tensor(input, "matmul", "input", 1)
    _require_tensor(other, "matmul", "other", 2)
    _check_device(input, other)
    _check_matmul(input, other)
    return _keep_saved(MatMul.apply(input, other, _matmul_node_name(input, other)), _keep(input, other))


def mm(input, mat2):  # noqa: A002 - torch's name
    """Matrix @ matrix, 2-D only (``matmul`` also takes vectors and batches)."""
    _require_tensor(input, "mm", "input", 1)
    _require_tensor(mat2, "mm", "mat2", 2)
    _check_device(input, mat2)
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    _check_mm(input.shape, mat2.shape, input._data.dtype, mat2._data.dtype)
    return _keep_saved(MatMul.apply(input, mat2, "MmBackward0"), _keep(input, mat2))


def bmm(input, mat2):  # noqa: A002 - torch's name
    """A batch of matrix products: (b, n, m) @ (b, m, p) -> (b, n, p); no broadcasting."""
    _require_tensor(input, "bmm", "input", 1)
    _require_tensor(mat2, "bmm", "mat2", 2)
    _check_device(input, mat2)
    if input.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    _check_bmm(input.shape, mat2.shape, input._data.dtype, mat2._data.dtype)
    return _keep_saved(MatMul.apply(input, mat2, "BmmBackward0"), _keep(input, mat2))


def mv(input, vec):  # noqa: A002 - torch's name
    """Matrix @ vector: (n, m) @ (m,) -> (n,)."""
    _require_tensor(input, "mv", "input", 1)
    _require_tensor(vec, "mv", "vec", 2)
    _check_device(input, vec)
    _check_mv(input.shape, vec.shape, input._data.dtype, vec._data.dtype)
    return _keep_saved(MatMul.apply(input, vec, "MvBackward0"), _keep(input, vec))


def dot(input, tensor):  # noqa: A002 - torch's name
    """The dot product of two 1-D tensors of one dtype: a 0-d tensor."""
    _require_tensor(input, "dot", "input", 1)
    _require_tensor(tensor, "dot", "tensor", 2)
    _check_device(input, tensor)
    _check_dot(input._data, tensor._data)
    return _keep_saved(MatMul.apply(input, tensor, "DotBackward0"), _keep(input, tensor))


def outer(input, vec2):  # noqa: A002 - torch's name
    """Every product ``input[i] * vec2[j]``, an (n, m) tensor; dtypes promote as for ``*``."""
    _require_tensor(input, "outer", "input", 1)
    _require_tensor(vec2, "outer", "vec2", 2)
    _check_device(input, vec2)
    if input.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument self, but got {input.ndim}-D")
    if vec2.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument vec2, but got {vec2.ndim}-D")
    dtype = dtypes.result_type(input, vec2)
    a, b = input.to(dtype), vec2.to(dtype)  # casts (recorded, if need be) first
    return _keep_saved(Outer.apply(a, b), _keep(a, b))


# ====================================================================== triangles, diagonals, trace
class Tril(Function):
    """The lower triangle of the last two dims: ``x[..., i, j]`` kept where ``j - i <= diagonal``, else 0.

    Backward: the zeroed elements never reach the result, so their gradient is 0 -- the same
    mask, applied to ``grad`` (``grad.tril(diagonal)``, itself differentiable).
    """

    @staticmethod
    def forward(ctx, x, diagonal):
        ctx.diagonal = diagonal
        return _keep_triangle(x, _triangle_mask(x, diagonal, lower=True))

    @staticmethod
    def backward(ctx, grad):
        return Tril.apply(grad, ctx.diagonal), None


class Triu(Function):
    """The upper triangle: ``x[..., i, j]`` kept where ``j - i >= diagonal``, else 0 (backward as for Tril)."""

    @staticmethod
    def forward(ctx, x, diagonal):
        ctx.diagonal = diagonal
        return _keep_triangle(x, _triangle_mask(x, diagonal, lower=False))

    @staticmethod
    def backward(ctx, grad):
        return Triu.apply(grad, ctx.diagonal), None


def _triangle_mask(x, diagonal: int, lower: bool):
    """A (rows, cols) bool matrix, True on and below (``lower``) or on and above diagonal ``diagonal``.

    ``xp.tri`` draws the lower one; the upper one is what the lower one ending just before the
    diagonal leaves out. One mask serves every matrix of a batch: it broadcasts over the leading dims.
    """
    rows, cols = x.shape[-2:]
    xp = array_module(x)
    diagonal = min(max(diagonal, -rows - 1), cols + 1)  # beyond the matrix nothing changes (and tri can't overflow)
    if lower:
        return xp.tri(rows, cols, diagonal, dtype=bool)
    return ~xp.tri(rows, cols, diagonal - 1, dtype=bool)


def _keep_triangle(x, mask):
    """``x`` where ``mask``, 0 elsewhere: a new, row-major array (whatever ``x``'s layout, as in torch)."""
    xp = array_module(x)
    return xp.ascontiguousarray(xp.where(mask, x, xp.zeros((), x.dtype)))


class Diag(Function):
    """``diag`` both ways: a vector becomes a square matrix with the vector on diagonal ``diagonal``
    (torch's node DiagEmbedBackward0), a matrix gives a copy of that diagonal (DiagonalBackward0_copy).

    Backward: each way is the other's adjoint. A vector's gradient is the diagonal of ``grad``;
    a matrix's gradient is zeros with ``grad`` written on the diagonal (``_diagonal_embed``).
    """

    @staticmethod
    def forward(ctx, x, diagonal):
        ctx.meta = (x.shape, diagonal)
        if x.ndim == 1:
            ctx.node_name = "DiagEmbedBackward0"
            size = x.shape[0] + abs(diagonal)
            return _diagonal_embed(x, (size, size), diagonal)
        ctx.node_name = "DiagonalBackward0_copy"
        return array_module(x).diagonal(x, diagonal).copy()

    @staticmethod
    def backward(ctx, grad):
        shape, diagonal = ctx.meta
        if len(shape) == 1:
            return Diag.apply(grad, diagonal), None
        return DiagonalEmbed.apply(grad, shape, diagonal), None


class DiagonalEmbed(Function):
    """Zeros of ``shape`` with the vector on diagonal ``diagonal``: the gradient of taking a diagonal
    (``diag`` of a matrix, ``trace``). Backward: the diagonal of ``grad``."""

    node_name = "DiagonalBackwardBackward0"

    @staticmethod
    def forward(ctx, v, shape, diagonal):
        ctx.diagonal = diagonal
        return _diagonal_embed(v, shape, diagonal)

    @staticmethod
    def backward(ctx, grad):
        return Diag.apply(grad, ctx.diagonal), None, None


def _diagonal_embed(v, shape, diagonal: int):
    """A new zero matrix of ``shape`` (``v``'s dtype and device) with ``v`` on diagonal ``diagonal``:
    element ``i`` goes to row ``i + max(-diagonal, 0)``, column ``i + max(diagonal, 0)``."""
    xp = array_module(v)
    out = xp.zeros(shape, v.dtype)
    steps = xp.arange(v.shape[0])
    out[steps + max(-diagonal, 0), steps + max(diagonal, 0)] = v
    return out


class Trace(Function):
    """The sum of the main diagonal. Integers (and bools, were they allowed) add up in int64;
    float16/bfloat16 in float32, rounded once, as torch's sums do.

    Backward: each diagonal element counts once, so its gradient is ``grad``; the rest get 0.
    """

    @staticmethod
    def forward(ctx, x):
        ctx.shape = x.shape
        xp = array_module(x)
        diagonal = xp.diagonal(x)
        if x.dtype.kind in "iub":
            return xp.asarray(diagonal.astype(np.int64).sum(dtype=np.int64))
        if x.dtype in _HALF_NP:
            return xp.asarray(diagonal.astype(np.float32).sum(dtype=np.float32)).astype(x.dtype)
        return xp.asarray(diagonal.sum(dtype=x.dtype))

    @staticmethod
    def backward(ctx, grad):
        rows, cols = ctx.shape
        return DiagonalEmbed.apply(grad.expand(min(rows, cols)), ctx.shape, 0)


def _int_arg(value, fname: str, argname: str, position: int) -> int:
    """An ``int`` argument as torch's parser reads it (``creation.int_arg``), within 64 bits."""
    value = int_arg(value, fname, argname, position)
    if not -(2**63) <= value < 2**63:
        raise ValueError("Overflow when unpacking long long")
    return value


def _triangle(fname: str, cls, input, diagonal, position: int):  # noqa: A002 - torch's name
    _require_tensor(input, fname, "input", 1)
    diagonal = _int_arg(diagonal, fname, "diagonal", position)
    if input.ndim < 2:
        raise RuntimeError(f"{fname}: input tensor must have at least 2 dimensions")
    return cls.apply(input, diagonal)


def tril(input, diagonal=0):  # noqa: A002 - torch's name
    """The lower triangle of each matrix (the last two dims): elements above diagonal ``diagonal``
    become 0. ``diagonal=0`` is the main diagonal, ``1`` the one above it, ``-1`` the one below."""
    return _triangle("tril", Tril, input, diagonal, 2)


def triu(input, diagonal=0):  # noqa: A002 - torch's name
    """The upper triangle of each matrix: elements below diagonal ``diagonal`` become 0."""
    return _triangle("triu", Triu, input, diagonal, 2)


def _triangle_(fname: str, cls, self, diagonal):
    """``tril_``/``triu_``: the same triangle written into ``self``'s memory."""
    diagonal = _int_arg(diagonal, fname, "diagonal", 1)
    if self.ndim < 2:
        raise RuntimeError(f"{fname[:-1]}: input tensor must have at least 2 dimensions")
    _check_leaf(self)
    _check_writable(self)
    return _inplace(self, cls.apply(self, diagonal))


def diag(input, diagonal=0):  # noqa: A002 - torch's name
    """A vector -> the square matrix with it on diagonal ``diagonal`` (0 elsewhere);
    a matrix -> its diagonal ``diagonal`` as a new vector (empty when it lies outside)."""
    _require_tensor(input, "diag", "input", 1)
    diagonal = _int_arg(diagonal, "diag", "diagonal", 2)
    if input.ndim not in (1, 2):
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")
    return Diag.apply(input, diagonal)


def trace(input):  # noqa: A002 - torch's name
    """The sum of a matrix's main diagonal, a 0-d tensor (int64 for integer matrices)."""
    _require_tensor(input, "trace", "input", 1)
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    _no_bool("trace", input._data.dtype, 1)
    return Trace.apply(input)


def _tril_method(self, diagonal=0):
    return _triangle("tril", Tril, self, diagonal, 1)


def _triu_method(self, diagonal=0):
    return _triangle("triu", Triu, self, diagonal, 1)


def tril_(self, diagonal=0):
    """In-place ``tril``."""
    return _triangle_("tril_", Tril, self, diagonal)


def triu_(self, diagonal=0):
    """In-place ``triu``."""
    return _triangle_("triu_", Triu, self, diagonal)


def _diag_method(self, diagonal=0):
    _require_tensor(self, "diag", "input", 1)
    return diag(self, _int_arg(diagonal, "diag", "diagonal", 1))


def __matmul__(self, other):
    """``self @ other``."""
    if not isinstance(other, Tensor):
        return NotImplemented
    return matmul(self, other)


def __rmatmul__(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented
    return matmul(other, self)


# ---- Tensor methods defined here
Tensor.__matmul__ = __matmul__
Tensor.__rmatmul__ = __rmatmul__
Tensor.matmul = matmul
Tensor.mm = mm
Tensor.bmm = bmm
Tensor.mv = mv
Tensor.dot = dot
Tensor.outer = outer
Tensor.tril = _tril_method
Tensor.triu = _triu_method
Tensor.tril_ = tril_
Tensor.triu_ = triu_
Tensor.diag = _diag_method
Tensor.trace = trace
