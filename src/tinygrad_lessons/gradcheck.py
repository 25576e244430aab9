"""Checking gradients by finite differences: is ``backward`` telling the truth?

For a function ``f`` and one input element ``x_j``, the central difference
``(f(x + eps e_j) - f(x - eps e_j)) / (2 eps)`` approximates column ``j`` of the
Jacobian with an error of order ``eps**2``. Autograd gives the same Jacobian one
*row* at a time: ``grad(f_i, x)`` is row ``i``. If every entry agrees within
``atol + rtol * |numerical|``, the backward formulas are right.

Run it in float64: in float32, rounding error of order 1e-7 / eps would swamp
the comparison.

The inputs may live on any device: ``fn`` runs there, and the Jacobians (small,
``outputs x inputs`` matrices) are assembled and compared on the host.
"""

from __future__ import annotations

import numpy as np

from .backend import to_host
from .engine import grad as autograd_grad
from .grad_mode import no_grad
from .tensor import Tensor

__all__ = ["gradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` when numerical and analytical Jacobians differ."""


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x,)


def _outputs(fn, inputs):
    return tuple(o for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor))


def numerical_jacobian(fn, inputs, index, eps):
    """Jacobian of every output with respect to ``inputs[index]``, by central differences."""
    x = inputs[index]
    flat = x._data.reshape(-1) if x._data.flags.c_contiguous else None
    if flat is None:
        raise ValueError("gradcheck needs contiguous inputs")
    with no_grad():
        outs = _outputs(fn, inputs)
        columns = [np.zeros((o.numel(), x.numel())) for o in outs]
        for j in range(x.numel()):
            original = flat[j].item()
            flat[j] = original + eps
            plus = [_host_values(o) for o in _outputs(fn, inputs)]
            flat[j] = original - eps
            minus = [_host_values(o) for o in _outputs(fn, inputs)]
            flat[j] = original
            for k in range(len(outs)):
                columns[k][:, j] = (plus[k] - minus[k]) / (2 * eps)
    return columns


def _host_values(t) -> np.ndarray:
    """A tensor's values as a flat float64 NumPy array (copied off a GPU)."""
    return to_host(t._data).astype(np.float64).reshape(-1)


def analytical_jacobian(fn, inputs, index):
    """The same Jacobians, row by row, from autograd (one backward pass per output element)."""
    from .creation import zeros_like

    x = inputs[index]
    outs = _outputs(fn, inputs)
    jacobians = []
    for out in outs:
        jac = np.zeros((out.numel(), x.numel()))
        if out.requires_grad:
            for i in range(out.numel()):
                seed = zeros_like(out)
                seed._data[np.unravel_index(i, seed._data.shape)] = 1  # (reshape(-1) copies a permuted output)
                (g,) = autograd_grad(out, x, seed, retain_graph=True, allow_unused=True)
                if g is not None:
                    jac[i] = _host_values(g)
        jacobians.append(jac)
    return jacobians


def gradcheck(fn, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True) -> bool:
    """Compare autograd's gradients of ``fn(*inputs)`` with finite differences.

    Returns True when every input that requires grad passes. On failure it raises
    ``GradcheckError`` naming the output, the input and the worst element (or returns
    False with ``raise_exception=False``).
    """
    inputs = _as_tuple(inputs)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck expects at least one input tensor to require gradient")
    for i in checked:
        if inputs[i].dtype.name != "float64":
            import warnings

            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point. "
                          "The finite differences will be dominated by rounding error.", UserWarning, stacklevel=2)
    for i in checked:
        numerical = numerical_jacobian(fn, inputs, i, eps)
        analytical = analytical_jacobian(fn, inputs, i)
        for k, (num, ana) in enumerate(zip(numerical, analytical)):
            bad = ~np.isclose(ana, num, rtol=rtol, atol=atol)
            if bad.any():
                row, col = np.unravel_index(np.argmax(np.abs(ana - num) * bad), num.shape)
                message = (
                    f"Jacobian mismatch for output {k} with respect to input {i},\n"
                    f"numerical:{_fmt(num)}\nanalytical:{_fmt(ana)}\n"
                    f"worst element: d output[{row}] / d input[{col}] is {ana[row, col]!r} by autograd but "
                    f"{num[row, col]!r} by finite differences ({int(bad.sum())} of {bad.size} entries differ)"
                )
                if raise_exception:
                    raise GradcheckError(message)
                return False
    return True


def _fmt(matrix):
    return "\n" + np.array2string(matrix, precision=4, suppress_small=True, max_line_width=100)
