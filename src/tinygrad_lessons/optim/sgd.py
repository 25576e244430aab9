"""``SGD``: stochastic gradient descent, optionally with momentum.

The plain update is ``p -= lr * grad``: a small step downhill. Options, applied in
this order (torch's exact order, so the numbers match):

* ``maximize``: climb instead (``grad = -grad``);
* ``weight_decay``: add ``weight_decay * p`` to the gradient (an L2 penalty that pulls
  weights towards 0);
* ``momentum``: keep a running direction ``buf = momentum * buf + (1 - dampening) * grad``
  and step along it, which smooths the noise of mini-batches. torch starts ``buf`` at the
  first gradient itself (not at zero), so dampening only applies from the second step;
* ``nesterov``: step along ``grad + momentum * buf`` instead: "look ahead" momentum.
"""

from __future__ import annotations

from ..tensor import _wrap
from .optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """``SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *, maximize=False)``."""

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if differentiable:
            raise NotImplementedError("differentiable=True is not supported by tinygrad_lessons' optimizers")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
                    "nesterov": nesterov, "maximize": maximize, "foreach": foreach,
                    "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One update of every parameter that has a gradient."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            weight_decay, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad._data
                if maximize:
                    grad = -grad
                if weight_decay != 0:
                    grad = grad + weight_decay * p._data
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:  # the first step: the buffer *is* the gradient
                        state["momentum_buffer"] = _wrap(grad.copy(order="K"))
                        buf = state["momentum_buffer"]._data
                    else:
                        buf = buf._data
                        buf *= momentum
                        buf += grad if dampening == 0 else (1 - dampening) * grad
                    grad = grad + momentum * buf if nesterov else buf
                p._data -= lr * grad
                p._bump_version()
        return loss
