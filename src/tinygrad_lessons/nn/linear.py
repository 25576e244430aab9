"""``Linear``: the fully connected layer, ``y = x @ W.T + b``; and ``Identity``.

The weight has shape ``(out_features, in_features)``, one row per output, which is
why the forward multiplies by its transpose. The starting values follow torch's
(``reset_parameters``): ``kaiming_uniform_(W, a=sqrt(5))``, which works out to a
uniform distribution on ``[-1/sqrt(in_features), 1/sqrt(in_features)]``, and the same
range for the bias. Small weights like these keep the outputs' scale close to the
inputs' when layers are stacked.
"""

from __future__ import annotations

import math

from ..creation import empty
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter

__all__ = ["Linear", "Identity"]


class Identity(Module):
    """Returns its input unchanged (a placeholder, e.g. to remove a layer from a model)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):  # noqa: A002 - torch's name
        return input


class Linear(Module):
    """``Linear(in_features, out_features, bias=True)``: ``y = x @ weight.T + bias``."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(empty((out_features, in_features), device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh starting values (torch's default initialization)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):  # noqa: A002 - torch's name
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
