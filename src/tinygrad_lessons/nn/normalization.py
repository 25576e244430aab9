"""``LayerNorm``: rescale each sample's features to mean 0 and variance 1, then learn a scale and shift.

Deep networks train badly when the scale of the activations drifts from layer to layer.
Layer normalization fixes the scale *per sample*: over the last dimensions (those of
``normalized_shape``, e.g. the features of each token) it subtracts their mean and divides
by their standard deviation, ``(x - mean) / sqrt(var + eps)``, with the *biased* variance
(divided by N) and ``eps`` inside the square root, as torch computes it. A learned
``weight`` (starting at 1) and ``bias`` (starting at 0) of ``normalized_shape`` then let the
layer choose the scale it wants. Unlike batch normalization it needs no running averages:
training and evaluation compute the same thing.
"""

from __future__ import annotations

import numbers

from ..creation import empty
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter

__all__ = ["LayerNorm"]


class LayerNorm(Module):
    """``LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True, bias=True)``."""

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True,
                 device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(empty(self.normalized_shape, device=device, dtype=dtype))
            if bias:
                self.bias = Parameter(empty(self.normalized_shape, device=device, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Back to the identity: weight 1, bias 0."""
        if self.elementwise_affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input):  # noqa: A002 - torch's name
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")
