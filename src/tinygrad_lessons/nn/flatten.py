"""``Flatten``: merge dimensions ``start_dim..end_dim`` into one (keeps the batch dimension by default).

The usual bridge from images ``(N, C, H, W)`` to a linear layer's ``(N, C*H*W)``.
"""

from __future__ import annotations

from .module import Module

__all__ = ["Flatten"]


class Flatten(Module):
    """``Flatten(start_dim=1, end_dim=-1)``: ``input.flatten(start_dim, end_dim)``."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):  # noqa: A002 - torch's name
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
