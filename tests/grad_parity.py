"""Gradient parity: run the same computation in both libraries and compare ``.grad``.

``check_gradients(fn, *pairs)`` takes ``fn(lib, *tensors)`` — written once, run with
``lib=tl`` and ``lib=torch`` — and (our, torch) input pairs. Floating-point inputs
become leaves that require grad; both outputs are sent back with the same random
upstream gradient, and every input's ``.grad`` must agree (values, dtype, shape).
"""

from __future__ import annotations

import numpy as np
import torch

import tinygrad_lessons as tl
from parity import assert_matches, to_numpy

GRAD_TOLERANCE = {torch.float16: 2e-2, torch.bfloat16: 1e-1, torch.float32: 1e-4, torch.float64: 1e-9}


def as_leaves(pairs):
    ours, theirs = [], []
    for o, t in pairs:
        if isinstance(o, tl.Tensor) and o.dtype.is_floating_point:
            ours.append(o.detach().requires_grad_())
            theirs.append(t.detach().requires_grad_())
        else:
            ours.append(o)
            theirs.append(t)
    return ours, theirs


def check_gradients(fn, *pairs, seed=0, check_output=True):
    """Forward values and input gradients of ``fn`` agree with torch's."""
    ours, theirs = as_leaves(pairs)
    out_o, out_t = fn(tl, *ours), fn(torch, *theirs)
    outs_o = out_o if isinstance(out_o, tuple) else (out_o,)
    outs_t = out_t if isinstance(out_t, tuple) else (out_t,)
    rng = np.random.default_rng(seed)
    grads_o, grads_t, roots_o, roots_t = [], [], [], []
    for o, t in zip(outs_o, outs_t):
        if check_output:
            assert_matches(o, t, check_stride=False)
        if not t.requires_grad:
            continue
        upstream = np.asarray(rng.integers(-4, 5, tuple(t.shape)) / 4.0)  # an array also for a 0-d output
        grads_o.append(tl.tensor(upstream).to(o.dtype))
        grads_t.append(torch.from_numpy(upstream).to(t.dtype))
        roots_o.append(o)
        roots_t.append(t)
    if not roots_t:
        return
    torch.autograd.backward(roots_t, grads_t)
    tl.autograd.backward(roots_o, grads_o)
    for i, (o, t) in enumerate(zip(ours, theirs)):
        if not isinstance(t, torch.Tensor) or not t.requires_grad:
            continue
        if t.grad is None:
            assert o.grad is None or not to_numpy(o.grad).any(), f"input {i}: torch has no gradient"
            continue
        assert o.grad is not None, f"input {i}: no gradient reached it (torch has one)"
        tol = GRAD_TOLERANCE[t.dtype]
        assert_matches(o.grad, t.grad, check_stride=False, rtol=tol, atol=tol)
