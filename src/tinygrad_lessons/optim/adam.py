"""``Adam`` and ``AdamW``: gradient descent with a per-weight, self-tuned step size.

Adam keeps two running averages per parameter:

* ``exp_avg`` (m), of the gradient: momentum, ``m = beta1 * m + (1 - beta1) * g``;
* ``exp_avg_sq`` (v), of the squared gradient: ``v = beta2 * v + (1 - beta2) * g²``.

Each weight then moves by ``lr * m / (sqrt(v) + eps)``: weights whose gradients are
consistently large get no bigger steps than those with small ones, because dividing
by ``sqrt(v)`` normalises the scale. Both averages start at 0, which biases them
towards 0 in the first steps; dividing by ``1 - beta**step`` ("bias correction")
undoes that. ``amsgrad`` divides by the largest ``v`` seen so far instead.

Weight decay comes in two flavours. ``Adam(weight_decay=...)`` adds ``wd * p`` to the
gradient (so it is then normalised like the gradient, which weakens it for weights
with large gradients). ``AdamW`` *decouples* it: ``p *= 1 - lr * wd`` directly, the
variant that works better in practice.

The arithmetic below follows torch's single-tensor implementation operation by
operation (``lerp`` for m, ``mul``/``addcmul`` for v, ``addcdiv`` for the update) so
that float32 results agree with torch's to the last few bits.

On a GPU the averages live next to the parameter (made with its array module), while
the ``step`` counter is a CPU tensor, as in torch: the bias corrections are Python
numbers computed on the host, so a step queues GPU work without ever waiting for it.
"""

from __future__ import annotations

import numpy as np

from ..backend import array_module
from ..tensor import _wrap
from .optimizer import Optimizer

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """``Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *, maximize=False)``."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if differentiable or capturable:
            raise NotImplementedError("differentiable/capturable are not supported by tinygrad_lessons' optimizers")
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable, "fused": fused, "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def _init_state(self, state, p, amsgrad: bool) -> None:
        """First step for ``p``: a step counter (a float32 0-d CPU tensor, as torch's) and zeroed averages
        (on ``p``'s device, in its memory order)."""
        xp = array_module(p._data)
        state["step"] = _wrap(np.zeros((), np.float32))
        state["exp_avg"] = _wrap(xp.zeros_like(p._data))
        state["exp_avg_sq"] = _wrap(xp.zeros_like(p._data))
        if amsgrad:
            state["max_exp_avg_sq"] = _wrap(xp.zeros_like(p._data))

    def step(self, closure=None):
        """One Adam update of every parameter that has a gradient."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
            amsgrad, maximize, decoupled = group["amsgrad"], group["maximize"], group["decoupled_weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    self._init_state(state, p, amsgrad)
                grad = -p.grad._data if maximize else p.grad._data
                param = p._data
                xp = array_module(param)
                step_t = state["step"]._data  # on the CPU: reading it never waits for a GPU
                step_t += 1
                step = float(step_t)
                if weight_decay != 0:
                    if decoupled:
                        param *= 1 - lr * weight_decay
                    else:
                        grad = grad + weight_decay * param
                exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
                _lerp_(exp_avg, grad, 1 - beta1)
                exp_avg_sq *= beta2
                exp_avg_sq += (1 - beta2) * grad * grad
                bias_correction1 = 1 - beta1**step
                bias_correction2_sqrt = (1 - beta2**step) ** 0.5
                step_size = lr / bias_correction1
                if amsgrad:
                    max_sq = state["max_exp_avg_sq"]._data
                    xp.maximum(max_sq, exp_avg_sq, out=max_sq)
                    denom = xp.sqrt(max_sq)
                else:
                    denom = xp.sqrt(exp_avg_sq)
                denom /= bias_correction2_sqrt
                denom += eps
                update = exp_avg * -step_size
                update /= denom
                param += update
                p._bump_version()
        return loss


def _lerp_(start: np.ndarray, end: np.ndarray, weight: float) -> None:
    """``start += weight * (end - start)`` in place, in the form torch uses for this weight."""
    if abs(weight) < 0.5:
        start += weight * (end - start)
    else:
        start[...] = end - (end - start) * (1 - weight)


class AdamW(Adam):
    """Adam with decoupled weight decay (default ``weight_decay=1e-2``)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
