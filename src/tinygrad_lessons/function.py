"""``Function``: one operation, written once against arrays.

Every differentiable operation of the library is a small class with a ``forward``
that computes on NumPy arrays (so the code reads like the NumPy a learner knows);
chapter 4 adds a ``backward`` beside each one. ``Function.apply`` is the only
place that turns tensors into arrays and arrays back into tensors.

Operations whose result is a *view* (``view``, ``transpose``, slicing...) set
``returns_view = True``: their output shares the first input's storage.
"""

from __future__ import annotations

from .tensor import Tensor, _wrap

__all__ = ["Function"]


class Function:
    """Base class: subclasses define ``forward(ctx, *args)`` on arrays."""

    returns_view = False

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args):
        """Run ``forward`` on the arrays behind the tensor arguments and wrap the result."""
        arrays = [a._data if a.__class__ is Tensor else a for a in args]
        out = cls.forward(None, *arrays)
        if cls.returns_view:
            storage = args[0]._get_storage()
            if out.__class__ is tuple:
                return tuple(_wrap(o, storage) for o in out)
            return _wrap(out, storage)
        if out.__class__ is tuple:
            return tuple(_wrap(o) for o in out)
        return _wrap(out)
