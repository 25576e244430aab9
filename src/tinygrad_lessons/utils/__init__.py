"""``tl.utils``: helpers around the library (``utils.benchmark`` for honest timings)."""

from . import benchmark

__all__ = ["benchmark"]
