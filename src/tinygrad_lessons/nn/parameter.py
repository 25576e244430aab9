"""``Parameter``: a tensor that a ``Module`` should learn.

A parameter is an ordinary tensor with two differences:

* it requires grad by default (it is what ``loss.backward()`` computes gradients *for*);
* assigning one to a module attribute (``self.weight = Parameter(...)``) registers it,
  so ``model.parameters()`` finds it and hands it to the optimizer.

``Parameter(t)`` shares ``t``'s memory rather than copying it, as in torch. Results of
operations on parameters are plain tensors: only the leaves are parameters.
"""

from __future__ import annotations

import numpy as np

from ..backend import to_host
from ..creation import empty
from ..tensor import Tensor, _init_from_array

__all__ = ["Parameter"]


class Parameter(Tensor):
    """``nn.Parameter(data=None, requires_grad=True)``: a learnable leaf tensor."""

    __slots__ = ()

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter(): argument 'data' must be Tensor, not {type(data).__name__}")
        if requires_grad and not data.dtype.is_floating_point:
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        param = object.__new__(cls)
        _init_from_array(param, data._data, data._get_storage(), bool(requires_grad))
        if data._version_counter is None:
            data._version_counter = [0]
        param._version_counter = data._version_counter  # same memory, same count of in-place writes
        return param

    def __init__(self, data=None, requires_grad=True):
        pass  # everything happened in __new__ (Tensor.__init__ is the legacy constructor)

    def __repr__(self):
        return "Parameter containing:\n" + Tensor.__repr__(self)

    def __reduce_ex__(self, protocol):  # pickle and copy.deepcopy give back a Parameter, on the same device
        return (_rebuild_parameter, (np.array(to_host(self._data)), self.requires_grad, str(self.device)))


def _rebuild_parameter(data, requires_grad, device="cpu"):
    from ..tensor import _rebuild

    return Parameter(_rebuild(data, False, device), requires_grad)
