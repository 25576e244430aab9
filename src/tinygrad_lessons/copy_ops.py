"""Copies as graph nodes: ``clone``, ``contiguous`` and ``to(dtype)`` when autograd is watching.

A copy changes nothing about the values, so its gradient is the incoming one unchanged
(``clone``, ``contiguous``: torch's CloneBackward0), or cast back to the input's dtype
(``to(dtype)``: ToCopyBackward0). ``Tensor.clone`` / ``contiguous`` / ``to`` go through
these Functions only for inputs that require grad; other tensors take the direct path.
"""

from __future__ import annotations

import numpy as np

from .dtypes import FROM_NUMPY
from .function import Function

__all__ = ["Clone", "ToCopy"]


class Clone(Function):
    """A copy in new memory: in the same memory order, or row-major for ``contiguous()``."""

    @staticmethod
    def forward(ctx, data, row_major):
        if row_major:
            return np.ascontiguousarray(data)
        from .creation import copy_preserving_layout

        return copy_preserving_layout(data)

    @staticmethod
    def backward(ctx, grad):
        return grad, None


class ToCopy(Function):
    """A copy cast to ``np_dtype`` (same memory order); the gradient is cast back."""

    @staticmethod
    def forward(ctx, data, np_dtype):
        from .creation import copy_preserving_layout

        ctx.input_dtype = FROM_NUMPY[data.dtype]
        return copy_preserving_layout(data, np_dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad.to(ctx.input_dtype), None
