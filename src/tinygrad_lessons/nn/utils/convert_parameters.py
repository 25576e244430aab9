"""A model's parameters as one flat vector, and back (``torch.nn.utils``).

Some algorithms think of "the weights" as a single point in a space of many dimensions:
line searches, averaging two models, measuring how far training moved them, evolution
strategies. ``parameters_to_vector`` lays all parameters end to end (a new tensor, in
the order given: keep it, ``model.parameters()`` always walks the same order);
``vector_to_parameters`` cuts such a vector back into pieces of each parameter's size.

The way back does not copy: each parameter's ``.data`` becomes a *view* of its slice
of the vector, as in torch, so a later in-place change of the vector shows in the
model. Like ``.data`` it is invisible to autograd: use it outside the graph.
"""

from __future__ import annotations

from ...shape_ops import cat
from ...tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_param_device(param: Tensor, old_param_device):
    """Every parameter on the first one's device (a GPU index, -1 for the CPU), torch's TypeError otherwise:
    one vector lives on one device."""
    device = param.get_device()
    if old_param_device is not None and device != old_param_device:
        raise TypeError("Found two parameters on different devices, this is currently not supported.")
    return device


def _typename(value) -> str:
    """``torch.typename``: a tensor's type string, else the value's class with its module (none for builtins)."""
    if isinstance(value, Tensor):
        return value.type()
    cls = type(value)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def parameters_to_vector(parameters) -> Tensor:
    """All ``parameters``, flattened and joined into one 1-d tensor (a copy)."""
    device = None
    pieces = []
    for param in parameters:
        device = _check_param_device(param, device)
        pieces.append(param.view(-1))  # a view, not reshape: as torch, a non-contiguous parameter raises
    return cat(pieces)


def vector_to_parameters(vec, parameters) -> None:
    """Point each parameter's ``.data`` at its slice of ``vec`` (in order), shaped like the parameter."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {_typename(vec)}")
    device = None
    start = 0
    for param in parameters:
        device = _check_param_device(param, device)
        count = param.numel()
        param.data = vec[start:start + count].view_as(param).data
        start += count
