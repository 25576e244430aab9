"""Gradient clipping: keep one bad batch from throwing the weights far away.

A steep spot in the loss (a recurrent net, a bad batch, a too-large learning rate) can
give a gradient hundreds of times larger than usual, and one SGD step along it undoes
many good ones. Two cures, both applied between ``loss.backward()`` and ``opt.step()``:

* ``clip_grad_norm_(params, max_norm)``: treat every gradient of the model as one long
  vector; if its length (p-norm) is over ``max_norm``, scale *all* gradients down by the
  same factor. The direction of the step is kept, only its size is capped. Returns the
  length before clipping (worth logging: a spike shows the trouble).
* ``clip_grad_value_(params, clip_value)``: clamp every entry into
  ``[-clip_value, clip_value]``. Simpler, but it changes the step's direction.

The scale is ``min(max_norm / (norm + 1e-6), 1)``, computed *as a tensor* and multiplied
in even when it is 1. The obvious ``if norm > max_norm: ...`` would turn the norm into a
Python bool, which on a GPU means waiting for it to be computed (a host read, see
``tl.utils.device_work``), every step. Multiplying by 1 is cheaper than that wait. The
``1e-6`` keeps an all-zero gradient from dividing by zero.

As in torch, ``clip_grad_norm_`` is ``get_total_norm`` (the length) followed by
``clip_grads_with_norm_`` (the scaling); both are public, e.g. to clip with a norm summed
over several models. Everything runs under ``no_grad``: clipping is not part of the graph.
"""

from __future__ import annotations

import types
import warnings

from ...creation import tensor
from ...grad_mode import no_grad
from ...math_ops import clamp
from ...shape_ops import stack
from ...tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm"]


def _as_list(tensors) -> list:
    """One tensor or an iterable of them (a generator such as ``model.parameters()`` too), as a list:
    the parameters are walked twice (norm, then scaling), and a generator could be walked once only."""
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _grads(parameters) -> list:
    """The gradients that exist: a frozen parameter, or one that took no part in the loss, has none."""
    return [p.grad for p in parameters if p.grad is not None]


@no_grad()
def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None) -> Tensor:
    """The p-norm of all ``tensors`` seen as one vector, as a 0-d tensor on the first one's device.

    The norm of the norms is the norm of everything: for p = 2, ``sqrt(sum of squares)``
    splits into per-tensor sums; for inf, the max of maxes. So each tensor is reduced on
    its own (no copy of them all into one vector), then the few per-tensor norms are.
    ``norm_type`` is anything ``float()`` takes (``'inf'`` too). ``foreach`` is accepted for
    torch's sake; here there is one way to do it (torch's foreach fuses the per-tensor
    norms into fewer kernel launches: same numbers).
    """
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if len(tensors) == 0:
        return tensor(0.0)
    first_device = tensors[0].device
    norms = [g.norm(norm_type).to(first_device) for g in tensors]
    total_norm = stack(norms).norm(norm_type)  # (stack promotes: float32 and float64 norms give float64)
    if error_if_nonfinite and (total_norm.isnan() | total_norm.isinf()).item():  # the one read; asked for
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be "
            "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`"
        )
    return total_norm


@no_grad()
def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None) -> None:
    """Scale every gradient in place by ``min(max_norm / (total_norm + 1e-6), 1)``, never reading it back."""
    grads = _grads(_as_list(parameters))
    max_norm = float(max_norm)
    if len(grads) == 0:
        return
    clip_coef = clamp(max_norm / (total_norm + 1e-6), max=1.0)  # a 0-d tensor: no `if`, no wait for the GPU
    for g in grads:
        g.mul_(clip_coef.to(g.device))  # in place: p.grad stays the same tensor (and keeps its dtype)


@no_grad()
def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None) -> Tensor:
    """Scale all gradients together so that their total ``norm_type``-norm is at most ``max_norm``.

    ``parameters``: one tensor or an iterable of them; those without ``.grad`` are skipped.
    Returns the total norm *before* clipping (a 0-d tensor; ``tensor(0.)`` when there are
    no gradients). ``error_if_nonfinite=True`` raises for a nan or inf norm instead of
    scaling by it; that check reads the norm back, so it costs one GPU wait.
    """
    is_generator = isinstance(parameters, types.GeneratorType)
    parameters = _as_list(parameters)
    if is_generator and len(parameters) == 0:
        warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=3)
    total_norm = get_total_norm(_grads(parameters), norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


@no_grad()
def clip_grad_value_(parameters, clip_value, foreach=None) -> None:
    """Clamp every gradient entry into ``[-clip_value, clip_value]``, in place."""
    clip_value = float(clip_value)
    for g in _grads(_as_list(parameters)):
        g.clamp_(min=-clip_value, max=clip_value)
