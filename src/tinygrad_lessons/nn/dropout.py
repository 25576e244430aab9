"""``Dropout``: randomly zero activations while training, a cheap guard against overfitting.

Each element is dropped with probability ``p`` and the survivors are scaled by
``1 / (1 - p)``, so the expected value of every activation is unchanged. That is why
the layer can simply do nothing in evaluation mode (``model.eval()``).
"""

from __future__ import annotations

from . import functional as F
from .module import Module

__all__ = ["Dropout"]


class Dropout(Module):
    """``Dropout(p=0.5, inplace=False)``: active only when ``self.training`` is True."""

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input):  # noqa: A002 - torch's name
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
