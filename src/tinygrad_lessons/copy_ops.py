"""Copies as graph nodes: ``clone``, ``contiguous`` and ``to(dtype/device)`` when autograd is watching.

A copy changes nothing about the values, so its gradient is the incoming one unchanged
(``clone``, ``contiguous``: torch's CloneBackward0), or cast back to the input's dtype and
moved back to the input's device (``to``: ToCopyBackward0) — which is why a model's
parameters on the GPU get their gradients on the GPU. ``Tensor.clone`` / ``contiguous`` /
``to`` go through these Functions only for inputs that require grad; other tensors take
the direct path.
"""

from __future__ import annotations

from . import dtypes
from .backend import array_module, device_of, to_device
from .dtypes import FROM_NUMPY
from .function import Function

__all__ = ["Clone", "ToCopy", "copy_to_device", "check_dtype_on_device"]


def check_dtype_on_device(dtype, device) -> None:
    """CuPy has no bfloat16, so neither has our GPU (the simulated one keeps the same rule)."""
    if device.type == "cuda" and dtype is dtypes.bfloat16:
        raise TypeError(
            "bfloat16 tensors cannot live on the CUDA device in tinygrad_lessons: CuPy, which holds GPU memory "
            "here, has no bfloat16 type. Use float16 (half) or float32 on the GPU."
        )


def copy_to_device(data, np_dtype, target):
    """A copy of ``data`` on device ``target`` (cast to ``np_dtype``), keeping its memory order.

    Host <-> device copies move contiguous blocks, so the data is first made dense in its
    own memory order, then copied across, then given back torch's strides.
    """
    from .creation import copy_preserving_layout

    dense = copy_preserving_layout(data, np_dtype)
    moved = to_device(dense, target)
    if moved.strides != dense.strides:  # some paths produce row-major copies: restore the order
        moved = copy_preserving_layout(moved)
    return moved


class Clone(Function):
    """A copy in new memory: in the same memory order, or row-major for ``contiguous()``."""

    @staticmethod
    def forward(ctx, data, row_major):
        if row_major:
            return array_module(data).ascontiguousarray(data)
        from .creation import copy_preserving_layout

        return copy_preserving_layout(data)

    @staticmethod
    def backward(ctx, grad):
        return grad, None


class ToCopy(Function):
    """A copy cast to ``np_dtype`` (same memory order), on device ``target`` if given; the gradient goes back."""

    @staticmethod
    def forward(ctx, data, np_dtype, target=None):
        from .creation import copy_preserving_layout

        ctx.input_dtype = FROM_NUMPY[data.dtype]
        ctx.input_device = device_of(data)
        if target is None:
            return copy_preserving_layout(data, np_dtype)
        return copy_to_device(data, np_dtype, target)

    @staticmethod
    def backward(ctx, grad):
        return grad.to(ctx.input_device, ctx.input_dtype), None, None
