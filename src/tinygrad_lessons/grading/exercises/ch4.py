"""Chapter 4 — autograd: six graph nodes' ``backward``, the engine's order and pass, a gradient checker.

Three kinds of exercise, each checked the way PyTorch would be asked the same question:

* **A node's backward** (``Mul``, ``Pow``, ``Exp``, ``Log``, ``Sum``, ``MatMul``): the learner
  hands in a ``tl.Function`` subclass whose ``forward`` the notebook gives and whose
  ``backward`` they write. The check (``call=_function_grads``) applies the class to fresh
  inputs, sends one fixed, non-trivial upstream gradient (``upstream_values``) into its node
  and returns what ``backward`` gives back, one gradient per argument of ``forward``; the
  torch oracle asks ``torch.autograd.grad`` for the same gradients of torch's own operation.
  The library's own backward of that operation, and its engine, are switched off.
* **The engine**: ``toposort(node)`` and ``backward(tensor, gradient=None)`` over the
  library's graph nodes. Graphs are named in the cases (``GRAPHS``) and built by the check
  with the library (or, for the oracle, with torch, whose graphs have the same node names):
  an order is judged by what it contains and whether every node comes before the nodes it
  passes gradient to (several orders are right); a backward pass by the ``.grad`` it leaves
  in each leaf.
* **A finite-difference gradient checker**: ``gradcheck(fn, inputs, ...)`` returns
  ``(passed, max_error)``; the functions it is run on are named in the cases (``CHECKED``),
  some with a deliberately wrong backward. The oracle asks ``torch.autograd.gradcheck`` for
  the verdict and measures the error between torch's Jacobian and central differences.
"""

from __future__ import annotations

import warnings

import numpy as np

import tinygrad_lessons as tl

from ..cases import Case, T
from ..plain import decode_number
from . import Exercise, Hint, register

__all__ = ["upstream_values", "GRAPHS", "CHECKED", "node_gradients", "order_report"]

# The library's engine: switched off in every exercise of this chapter (each node's backward must
# be computed by the learner's formula, and the engine is what two exercises ask them to write).
_ENGINE = [
    "tinygrad_lessons.engine.backward", "tinygrad_lessons.autograd.backward",
    "tinygrad_lessons.engine.grad", "tinygrad_lessons.autograd.grad",
    "tinygrad_lessons.engine._run", "tinygrad_lessons.engine._dependencies",
    "tinygrad_lessons.gradcheck.autograd_grad", "tinygrad_lessons.Tensor.backward",
]


# ====================================================================== helpers on plain data (for hints)
def _decode(values):
    if isinstance(values, list):
        return [_decode(v) for v in values]
    return decode_number(values)


def _array(plain):
    """A plain tensor's values as a float64 array (None for anything else)."""
    if not isinstance(plain, dict) or plain.get("kind") not in ("tensor", "array"):
        return None
    return np.array(_decode(plain["values"]), dtype=np.float64).reshape(plain["shape"])


def _items(plain) -> list:
    return plain["items"] if isinstance(plain, dict) and plain.get("kind") in ("tuple", "list") else []


def _item(plain, i):
    items = _items(plain)
    return items[i] if i < len(items) else {"kind": "none"}


def _shape(plain):
    return tuple(plain["shape"]) if plain.get("kind") in ("tensor", "array") else None


def _error_says(plain, *words) -> bool:
    return plain.get("kind") == "error" and all(w in plain["message"] for w in words)


def _pairs(expected, got):
    """(expected item, got item) for each position of two plain tuples."""
    return list(zip(_items(expected), _items(got)))


# ====================================================================== 1-6. a node's backward
def upstream_values(shape):
    """The gradient the checks send into a node: fixed, varied, never all ones (so a backward that
    forgets to multiply by it fails), as float64 values of ``shape``."""
    n = int(np.prod(shape, dtype=np.int64))
    return np.round((np.arange(n) * 0.37 + 0.2) % 1.9 - 0.8, 2).reshape(shape)


def _function_grads(cls, *args):
    """Apply the Function ``cls`` to ``args``, send ``upstream_values`` into its node, return what its
    backward gives back — checked as torch's engine checks a custom Function's answer."""
    if not (isinstance(cls, type) and issubclass(cls, tl.Function)):
        raise TypeError(f"check the class itself (a subclass of tl.Function), not {type(cls).__name__}")
    out = cls.apply(*args)
    node = getattr(out, "grad_fn", None)
    if not isinstance(node, cls):
        raise RuntimeError(f"{cls.__name__}.apply(...) recorded no {cls.__name__} node (its grad_fn is {node!r})")
    grad = tl.tensor(upstream_values(tuple(out.shape)), dtype=out.dtype)
    with tl.no_grad():  # as the engine runs a backward pass (create_graph=False)
        grads = node.backward(node, grad)
    if isinstance(grads, list):
        grads = tuple(grads)
    if not isinstance(grads, tuple):
        grads = (grads,)
    name = node.name()
    if len(grads) != len(args):
        raise RuntimeError(f"function {name} returned an incorrect number of gradients "
                           f"(expected {len(args)}, got {len(grads)})")
    for i, (g, a) in enumerate(zip(grads, args)):
        if g is not None and not isinstance(a, tl.Tensor):
            raise RuntimeError(f"function {name} returned a gradient different than None at position {i + 1}, "
                               "but the corresponding forward input was not a Variable")
    return grads


def _torch_grads(torch, out, args):
    """What torch's autograd gives the inputs of ``out`` for the same upstream gradient."""
    up = torch.tensor(upstream_values(tuple(out.shape)), dtype=out.dtype)
    tensors = [a for a in args if isinstance(a, torch.Tensor)]
    found = iter(torch.autograd.grad(out, tensors, up))
    return tuple(next(found) if isinstance(a, torch.Tensor) else None for a in args)


def _np_sum_to(x, shape, reduce=np.sum):
    """NumPy's version of ``sum_to_size``: sum ``x`` down to ``shape`` (for hints' candidate answers)."""
    shape = tuple(shape)
    lead = x.ndim - len(shape)
    x = reduce(x, axis=tuple(range(lead))) if lead else x
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and x.shape[i] != 1)
    return reduce(x, axis=axes, keepdims=True) if axes else x


def _case_arrays(case):
    """The case's arguments, tensors as float64 arrays (for hints' candidate answers)."""
    args, _ = case.build()
    return [np.array(a.detach().numpy(), dtype=np.float64) if isinstance(a, tl.Tensor) else a for a in args]


def _formula_hint(np_forward, candidate, text, only=None):
    """A hint shown when the learner's gradients equal ``candidate(grad, *arrays)`` — a known wrong formula
    (on the cases where ``only(case)`` is true, if given: where two wrong formulas agree, neither says much)."""

    def when(case, expected, got):
        if only is not None and not only(case):
            return False
        arrays = _case_arrays(case)
        with warnings.catch_warnings(), np.errstate(all="ignore"):  # a hint never writes to stderr
            warnings.simplefilter("ignore")
            out = np.asarray(np_forward(*arrays))
            wrong = candidate(upstream_values(out.shape), *arrays)
        compared = 0
        for i, c in enumerate(wrong):
            if c is None:
                continue
            c = np.asarray(c, dtype=np.float64)
            have = _array(_item(got, i))
            if have is None or have.shape != c.shape:
                return False
            if not np.allclose(have, c, rtol=1e-4, atol=1e-5, equal_nan=True):
                return False
            compared += 1
        return compared > 0

    return Hint(when, text)


def _count_hint(text):
    return Hint(lambda case, e, g: _error_says(g, "incorrect number of gradients"), text)


def _none_hint(text):
    return Hint(lambda case, e, g: _error_says(g, "different than None"), text)


def _requires_grad_hint():
    return Hint(lambda case, e, g: any(x.get("requires_grad") for x in _items(g)),
                "a gradient here should not require grad itself: don't turn grad mode back on in backward")


def _function_exercise(name, function, reference, torch_op, visible, hidden, forbid, hints, compare=None):
    return Exercise(
        name=name, function=function, reference=reference, visible=visible, hidden=hidden,
        forbid=[*forbid, *_ENGINE], compare=compare or {"rtol": 1e-5, "atol": 1e-6}, hints=hints,
        call=_function_grads,
        torch_oracle=lambda torch, *args: _torch_grads(torch, torch_op(*args), args),
    )


def _stretches(big, small) -> bool:
    """Whether ``big`` is ``small`` broadcast to a larger shape (more dims, or size-1 dims grown)."""
    if big is None or small is None or big == small:
        return False
    try:
        return np.broadcast_shapes(big, small) == big
    except ValueError:
        return False


def _unreduced_hint(text):
    """A gradient with a broadcast of the input's shape (the output's, or a batch's) where the input's was expected."""

    def when(case, expected, got):
        return any(e.get("kind") == g.get("kind") == "tensor" and _stretches(_shape(g), _shape(e))
                   for e, g in _pairs(expected, got))

    return Hint(when, text)


def _lost_ones_hint(text):
    """A gradient with the right number of elements but a size-1 dim dropped (summed without keepdim)."""

    def when(case, expected, got):
        return any(e.get("kind") == "tensor" and g.get("kind") == "tensor" and _shape(g) != _shape(e)
                   and len(_shape(g)) < len(_shape(e)) and np.prod(_shape(g)) == np.prod(_shape(e))
                   for e, g in _pairs(expected, got))

    return Hint(when, text)


# ---------------------------------------------------------------------- 1. Mul
def _unbroadcast(grad, shape):
    """Sum ``grad`` down to ``shape``: an input that broadcasting copied gets the sum of its copies' gradients."""
    while grad.ndim > len(shape):  # dims broadcasting put in front
        grad = grad.sum(dim=0)
    for d, n in enumerate(shape):  # dims where the input had size 1
        if n == 1 and grad.shape[d] != 1:
            grad = grad.sum(dim=d, keepdim=True)
    return grad


class _ReferenceMul(tl.Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return _unbroadcast(grad * b, a.shape), _unbroadcast(grad * a, b.shape)


def _np_mul(a, b):
    return a * b


MUL = _function_exercise(
    "ch4.mul_backward", "Mul", _ReferenceMul, lambda a, b: a * b,
    visible=[
        Case((T([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]], requires_grad=True),
              T([[2.0, 1.0, -1.0], [3.0, -0.5, 2.0]], requires_grad=True)), label="(2, 3) * (2, 3): same shapes"),
        Case((T([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]], requires_grad=True), T([2.0, -1.0, 0.5], requires_grad=True)),
             label="(2, 3) * (3,): b was broadcast over the rows"),
        Case((T([[1.0], [2.0], [-3.0]], requires_grad=True), T([[0.5, -1.0, 2.0, 4.0]], requires_grad=True)),
             label="(3, 1) * (1, 4): both broadcast, size-1 dims kept"),
        Case((T(1.5, requires_grad=True), T([[1.0, 2.0], [3.0, -4.0]], requires_grad=True)),
             label="a 0-d tensor times a (2, 2) one"),
        Case((T([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], permute=(1, 0), requires_grad=True),
              T([[1.0, -1.0], [2.0, 0.5], [-3.0, 1.0]], requires_grad=True)), label="a transposed (non-contiguous) a"),
        Case((T([], shape=(0, 3), requires_grad=True), T([1.0, 2.0, 3.0], requires_grad=True)),
             label="an empty (0, 3) a: b's gradient is zeros"),
    ],
    hidden=[
        Case((T([[[1.0, 2.0, 3.0]], [[-1.0, 0.5, 2.0]]], requires_grad=True),
              T([[1.0], [2.0], [-1.0], [0.5]], requires_grad=True)), label="(2, 1, 3) * (4, 1) -> (2, 4, 3)"),
        Case((T([1.0, -2.0, 3.5, 0.25, 2.0], "float64", requires_grad=True),
              T([0.5, 1.5, -2.0, 4.0, -1.0], "float64", requires_grad=True)), label="float64 vectors"),
        Case((T([2.0], requires_grad=True), T([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)),
             label="(1,) * (2, 3)"),
        Case((T([[[1.0, 2.0], [3.0, 4.0]], [[-1.0, 0.0], [0.5, 2.0]]], requires_grad=True),
              T([3.0, -2.0], requires_grad=True)), label="(2, 2, 2) * (2,)"),
        Case((T([[1.0, 2.0], [3.0, 4.0]], requires_grad=True), T([[1.0, 2.0], [3.0, 4.0]], permute=(1, 0),
                                                                  requires_grad=True)),
             label="(2, 2) * a transposed (2, 2)"),
        Case((T([[1.0, 2.0, 3.0]], requires_grad=True), T([[2.0], [-1.0]], requires_grad=True)),
             label="(1, 3) * (2, 1)"),
    ],
    forbid=["tinygrad_lessons.math_ops.Mul.backward"],
    hints=[
        _unreduced_hint("an input that broadcasting stretched was used in many places, so its gradient is the sum "
                        "of theirs: sum grad * b down to a's shape (and grad * a down to b's) — the leading dims "
                        "broadcasting added, and the dims where the input has size 1"),
        _lost_ones_hint("keep the input's size-1 dims: where the input had size 1, sum with keepdim=True (a (3, 1) "
                        "input needs a (3, 1) gradient, not (3,))"),
        _formula_hint(_np_mul, lambda g, a, b: (_np_sum_to(g * a, a.shape), _np_sum_to(g * b, b.shape)),
                      "the gradients are swapped: d(a*b)/da is b, so a's gradient is grad * b and b's is grad * a"),
        _formula_hint(_np_mul, lambda g, a, b: (_np_sum_to(np.broadcast_to(b, g.shape), a.shape),
                                                _np_sum_to(np.broadcast_to(a, g.shape), b.shape)),
                      "multiply by grad, the gradient arriving from the output (the chain rule): grad * b, not b"),
        _formula_hint(_np_mul, lambda g, a, b: (_np_sum_to(g * b, a.shape, np.mean),
                                                _np_sum_to(g * a, b.shape, np.mean)),
                      "sum, don't average: every copy of a broadcast input passes on its whole gradient"),
        _count_hint("backward returns one gradient per argument of forward, in order: (grad_a, grad_b)"),
        _requires_grad_hint(),
    ],
)


# ---------------------------------------------------------------------- 2. Pow (tensor ** number)
class _ReferencePow(tl.Function):
    @staticmethod
    def forward(ctx, x, p):
        ctx.save_for_backward(x)
        ctx.p = p
        return x ** p

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        p = ctx.p
        if p == 0:  # x ** 0 is the constant 1 (and 0 * 0 ** -1 would be nan)
            return tl.zeros_like(x), None
        return grad * p * x ** (p - 1), None


def _nonzero_power(case) -> bool:
    return case.args[1] != 0


def _np_pow(x, p):
    return x ** p


POW = _function_exercise(
    "ch4.pow_backward", "Pow", _ReferencePow, lambda x, p: x ** p,
    visible=[
        Case((T([1.0, -2.0, 3.0, 0.5], requires_grad=True), 2.0), label="x ** 2"),
        Case((T([[1.0, 2.0], [-1.5, 0.5]], requires_grad=True), 3), label="x ** 3, an int exponent"),
        Case((T([0.25, 1.0, 4.0, 9.0], requires_grad=True), 0.5), label="x ** 0.5, the square root"),
        Case((T([0.5, -1.0, 2.0, 4.0], requires_grad=True), -1.0), label="x ** -1"),
        Case((T([0.0, 1.0, -2.0], requires_grad=True), 0.0),
             label="x ** 0 with a zero in x: the gradient is 0 everywhere, not nan"),
        Case((T([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], permute=(1, 0), requires_grad=True), 2.0),
             label="a transposed x"),
    ],
    hidden=[
        Case((T([0.5, 1.5, -2.5], "float64", requires_grad=True), 3.0), label="float64 x ** 3"),
        Case((T(2.0, requires_grad=True), 4.0), label="a 0-d x ** 4"),
        Case((T([], shape=(0, 2), requires_grad=True), 2.0), label="an empty x"),
        Case((T([1.0, 2.0, 3.0], requires_grad=True), 1.0), label="x ** 1: the gradient is grad itself"),
        Case((T([[0.0, 2.0], [-1.0, 3.0]], requires_grad=True), 0), label="x ** 0 (an int) with a zero in x"),
        Case((T([1.0, 4.0, 9.0], requires_grad=True), -0.5), label="x ** -0.5"),
        Case((T([-1.0, 0.5, 2.0], requires_grad=True), 1.5), label="x ** 1.5 with a negative x (nan, as in torch)"),
    ],
    forbid=["tinygrad_lessons.math_ops.Pow.backward"],
    hints=[
        Hint(lambda case, e, g: case.args[1] == 0 and "nan" in str(_item(g, 0).get("values"))
             and "nan" not in str(_item(e, 0).get("values")),
             "x ** 0 is the constant 1, so its gradient is 0 everywhere; but p * x ** (p - 1) is 0 * 0 ** -1 = "
             "0 * inf = nan at x = 0: return zeros when p == 0 (PyTorch does)"),
        _formula_hint(_np_pow, lambda g, x, p: (g * p * x ** p, None),
                      "one power lower: d(x ** p)/dx = p * x ** (p - 1)", only=_nonzero_power),
        _formula_hint(_np_pow, lambda g, x, p: (g * x ** (p - 1), None),
                      "don't forget the factor p: d(x ** p)/dx = p * x ** (p - 1)", only=_nonzero_power),
        _formula_hint(_np_pow, lambda g, x, p: (p * x ** (p - 1), None),
                      "multiply by grad, the gradient arriving from the output (the chain rule)",
                      only=_nonzero_power),
        _none_hint("p is a Python number, not a tensor: its gradient is None — return (grad_x, None)"),
        _count_hint("backward returns one gradient per argument of forward, (x, p): return (grad_x, None)"),
        _requires_grad_hint(),
    ],
)


# ---------------------------------------------------------------------- 3. Exp
class _ReferenceExp(tl.Function):
    @staticmethod
    def forward(ctx, x):
        result = np.exp(x)
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad):
        (result,) = ctx.saved_tensors
        return grad * result


EXP = _function_exercise(
    "ch4.exp_backward", "Exp", _ReferenceExp, lambda x: x.exp(),
    visible=[
        Case((T([0.0, 1.0, -1.0, 2.0], requires_grad=True),), label="a vector"),
        Case((T([[0.5, -0.5, 1.5], [3.0, -2.0, 0.25]], requires_grad=True),), label="a (2, 3) matrix"),
        Case((T(0.5, requires_grad=True),), label="a 0-d tensor"),
        Case((T([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]], permute=(1, 0), requires_grad=True),),
             label="a transposed input"),
        Case((T([], shape=(2, 0), requires_grad=True),), label="an empty (2, 0) input"),
    ],
    hidden=[
        Case((T([0.1, -3.0, 2.5], "float64", requires_grad=True),), label="float64"),
        Case((T([10.0, -10.0, 0.0], requires_grad=True),), label="large and small values"),
        Case((T([[[1.0], [2.0]], [[-1.0], [0.5]]], requires_grad=True),), label="a (2, 2, 1) tensor"),
        Case((T(list(range(12)), "float32", shape=(3, 4), slice=[[None, None, 2], [1, None, 2]],
                requires_grad=True),), label="a strided slice"),
    ],
    forbid=["tinygrad_lessons.math_ops.Exp.backward"],
    hints=[
        _formula_hint(np.exp, lambda g, x: (np.exp(x),),
                      "multiply by grad, the gradient arriving from the output (the chain rule): grad * exp(x)"),
        _formula_hint(np.exp, lambda g, x: (g,),
                      "the derivative of exp(x) is exp(x) itself: return grad * exp(x) — forward saved exp(x), "
                      "read it with ctx.saved_tensors"),
        _formula_hint(np.exp, lambda g, x: (g * x,),
                      "forward saved the *result* exp(x), not x: the gradient is grad * exp(x)"),
        _count_hint("forward takes one argument, x: return its one gradient"),
        _requires_grad_hint(),
    ],
)


# ---------------------------------------------------------------------- 4. Log
class _ReferenceLog(tl.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / x


def _has_inf(plain) -> bool:
    return "inf" in str(plain.get("values"))


LOG = _function_exercise(
    "ch4.log_backward", "Log", _ReferenceLog, lambda x: x.log(),
    visible=[
        Case((T([1.0, 2.0, 0.5, 4.0], requires_grad=True),), label="a vector"),
        Case((T([[0.25, 1.0, 3.0], [8.0, 0.1, 2.0]], requires_grad=True),), label="a (2, 3) matrix"),
        Case((T([0.0, 1.0, 2.0], requires_grad=True),), label="log at 0: the gradient is inf (1 / 0), as in torch"),
        Case((T([[1.0, 2.0], [3.0, 4.0]], permute=(1, 0), requires_grad=True),), label="a transposed input"),
        Case((T(3.0, requires_grad=True),), label="a 0-d tensor"),
    ],
    hidden=[
        Case((T([0.5, 1.5, 10.0], "float64", requires_grad=True),), label="float64"),
        Case((T([-1.0, -2.0, 4.0], requires_grad=True),),
             label="negative inputs: log is nan there, its gradient 1/x is not"),
        Case((T([], shape=(0,), requires_grad=True),), label="an empty input"),
        Case((T([[[1.0, 2.0]], [[3.0, 5.0]]], requires_grad=True),), label="a (2, 1, 2) tensor"),
        Case((T([1e-3, 1e3], requires_grad=True),), label="tiny and large inputs"),
    ],
    forbid=["tinygrad_lessons.math_ops.Log.backward"],
    hints=[
        _formula_hint(np.log, lambda g, x: (g * x,), "d log(x)/dx = 1/x: divide, grad / x"),
        _formula_hint(np.log, lambda g, x: (1 / x,),
                      "multiply by grad, the gradient arriving from the output (the chain rule): grad / x"),
        _formula_hint(np.log, lambda g, x: (-g / x,), "check the sign: d log(x)/dx = +1/x"),
        _formula_hint(np.log, lambda g, x: (g / x ** 2,), "d log(x)/dx = 1/x, not 1/x**2: grad / x"),
        Hint(lambda case, e, g: _has_inf(_item(e, 0)) and not _has_inf(_item(g, 0)),
             "at x = 0 the gradient is 1 / 0 = inf: don't clamp x or add an epsilon (PyTorch doesn't)"),
        _count_hint("forward takes one argument, x: return its one gradient"),
        _requires_grad_hint(),
    ],
)


# ---------------------------------------------------------------------- 5. Sum
class _ReferenceSum(tl.Function):
    @staticmethod
    def forward(ctx, x, dim, keepdim):
        ctx.shape, ctx.dim, ctx.keepdim = x.shape, dim, keepdim
        return np.asarray(np.sum(x, axis=dim, keepdims=keepdim))

    @staticmethod
    def backward(ctx, grad):
        shape, dim, keepdim = ctx.shape, ctx.dim, ctx.keepdim
        if not keepdim:  # put the summed dims back, as size 1, in increasing order
            dims = range(len(shape)) if dim is None else (dim,) if isinstance(dim, int) else dim
            for d in sorted(d % len(shape) for d in dims):
                grad = grad.unsqueeze(d)
        return grad.expand(shape), None, None  # every element was added once: each gets grad as is


def _np_sum(x, dim, keepdim):
    return np.sum(x, axis=dim, keepdims=keepdim)


def _sum_count(x, dim):
    if dim is None:
        return max(1, x.size)
    dims = (dim,) if isinstance(dim, int) else dim
    return max(1, int(np.prod([x.shape[d] for d in dims])))


def _sum_candidate(g, x, dim, keepdim, scale=1.0):
    g = np.asarray(g)
    if not keepdim:
        dims = range(x.ndim) if dim is None else (dim,) if isinstance(dim, int) else dim
        for d in sorted(d % x.ndim for d in dims):
            g = np.expand_dims(g, d)
    return np.broadcast_to(g, x.shape) * scale


SUM = _function_exercise(
    "ch4.sum_backward", "Sum", _ReferenceSum, lambda x, dim, keepdim: x.sum(dim=dim, keepdim=keepdim),
    visible=[
        Case((T([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True), None, False), label="sum of everything"),
        Case((T([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True), 0, False), label="dim=0"),
        Case((T([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True), 1, False),
             label="dim=1: the (2,) gradient must become (2, 1) before it spreads"),
        Case((T([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True), -1, True), label="dim=-1, keepdim=True"),
        Case((T(list(range(24)), "float32", shape=(2, 3, 4), requires_grad=True), (0, 2), False),
             label="dim=(0, 2) of a (2, 3, 4) tensor"),
        Case((T([], shape=(0, 3), requires_grad=True), 0, False), label="an empty (0, 3) tensor, dim=0"),
        Case((T([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], permute=(1, 0), requires_grad=True), 0, False),
             label="a transposed input, dim=0"),
    ],
    hidden=[
        Case((T(list(range(24)), "float32", shape=(2, 3, 4), requires_grad=True), (-1, 0), False),
             label="dim=(-1, 0) of a (2, 3, 4) tensor"),
        Case((T(list(range(24)), "float32", shape=(2, 3, 4), requires_grad=True), (2, 0), False),
             label="dim=(2, 0): dims given out of order"),
        Case((T(list(range(24)), "float32", shape=(2, 3, 4), requires_grad=True), -2, False),
             label="dim=-2 of a (2, 3, 4) tensor"),
        Case((T(list(range(24)), "float32", shape=(2, 3, 4), requires_grad=True), (0, 1), True),
             label="dim=(0, 1), keepdim=True"),
        Case((T([[1.0, 2.0], [3.0, 4.0]], requires_grad=True), None, True), label="everything, keepdim=True"),
        Case((T(2.5, requires_grad=True), None, False), label="a 0-d tensor"),
        Case((T([1.0, 2.0, 3.0], "float64", requires_grad=True), 0, False), label="a float64 vector, dim=0"),
        Case((T([[1.0], [2.0]], requires_grad=True), 1, False), label="summing a size-1 dim"),
    ],
    forbid=["tinygrad_lessons.reductions.Sum.backward"],
    hints=[
        Hint(lambda case, e, g: _item(g, 0).get("kind") == "tensor"
             and _shape(_item(g, 0)) == np.shape(_np_sum(*_case_arrays(case))) != _shape(_item(e, 0)),
             "every element of x was added into the result once, so each one gets the result's gradient as it is: "
             "expand grad back to x's shape"),
        Hint(lambda case, e, g: g.get("kind") == "error" and case.args[2] and "expand" in g.get("message", ""),
             "with keepdim=True the summed dims are still there (size 1): grad already lines up with x, "
             "expand it as it is"),
        Hint(lambda case, e, g: g.get("kind") == "error" and not case.args[2] and "incorrect number" not in
             g.get("message", ""),
             "put the summed dims back as size-1 dims before expanding (unsqueeze), in increasing order, after "
             "turning negative dims into positive ones with x's number of dims (d % ndim): the (2,) gradient of a "
             "(2, 3) tensor summed over dim 1 must become (2, 1)"),
        _formula_hint(_np_sum, lambda g, x, dim, keepdim: (_sum_candidate(g, x, dim, keepdim,
                                                                          1 / _sum_count(x, dim)), None, None),
                      "that is mean's backward: sum doesn't divide, each element gets grad as it is"),
        _count_hint("forward takes three arguments (x, dim, keepdim): return three gradients, None for the two "
                    "that are not tensors"),
        _none_hint("dim and keepdim are not tensors: their gradients are None"),
        _requires_grad_hint(),
    ],
)


# ---------------------------------------------------------------------- 6. MatMul
class _ReferenceMatMul(tl.Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        grad_a = grad @ b.mT  # (..., n, m) @ (..., m, k) -> a's (..., n, k)
        grad_b = a.mT @ grad  # (..., k, n) @ (..., n, m) -> b's (..., k, m)
        return _unbroadcast(grad_a, a.shape), _unbroadcast(grad_b, b.shape)


def _mat(rows, cols, start=0.0, step=0.5):
    """A small (rows, cols) matrix of varied values, as nested lists."""
    return [[round(((start + step * (r * cols + c)) % 3.1) - 1.2, 2) for c in range(cols)] for r in range(rows)]


def _batch(n, rows, cols, start=0.0):
    return [_mat(rows, cols, start + i) for i in range(n)]


MATMUL = _function_exercise(
    "ch4.matmul_backward", "MatMul", _ReferenceMatMul, lambda a, b: a @ b,
    visible=[
        Case((T(_mat(2, 3), requires_grad=True), T(_mat(3, 4, 1.0), requires_grad=True)), label="(2, 3) @ (3, 4)"),
        Case((T(_mat(3, 3), requires_grad=True), T(_mat(3, 3, 0.7), requires_grad=True)),
             label="(3, 3) @ (3, 3): square, so a missing transpose still has the right shape"),
        Case((T(_mat(1, 3), requires_grad=True), T(_mat(3, 1, 2.0), requires_grad=True)),
             label="(1, 3) @ (3, 1): a row times a column"),
        Case((T(_batch(2, 2, 3), requires_grad=True), T(_mat(3, 4, 0.3), requires_grad=True)),
             label="(2, 2, 3) @ (3, 4): b is shared by the batch, its gradient sums over it"),
        Case((T(_mat(3, 2), permute=(1, 0), requires_grad=True), T(_mat(3, 2, 1.0), requires_grad=True)),
             label="a transposed (non-contiguous) a"),
        Case((T([], shape=(2, 0), requires_grad=True), T([], shape=(0, 3), requires_grad=True)),
             label="(2, 0) @ (0, 3): nothing to add up, the gradients are empty"),
    ],
    hidden=[
        Case((T(_mat(2, 3), requires_grad=True), T(_batch(4, 3, 2), requires_grad=True)),
             label="(2, 3) @ (4, 3, 2): a is broadcast over the batch"),
        Case((T([_batch(1, 2, 3)] * 2, requires_grad=True), T(_batch(3, 3, 5, 1.0), requires_grad=True)),
             label="(2, 1, 2, 3) @ (3, 3, 5): batch dims broadcast against each other"),
        Case((T(_batch(3, 2, 2), requires_grad=True), T(_batch(3, 2, 2, 0.5), requires_grad=True)),
             label="(3, 2, 2) @ (3, 2, 2): a batch of square products"),
        Case((T(_mat(2, 4), "float64", requires_grad=True), T(_mat(4, 3, 0.2), "float64", requires_grad=True)),
             label="float64 (2, 4) @ (4, 3)"),
        Case((T(_mat(4, 2), requires_grad=True), T(_mat(4, 2, 0.1), permute=(1, 0), requires_grad=True)),
             label="a transposed b"),
        Case((T([], shape=(0, 3), requires_grad=True), T(_mat(3, 2), requires_grad=True)),
             label="(0, 3) @ (3, 2): b's gradient is zeros"),
    ],
    forbid=["tinygrad_lessons.linalg.MatMul.backward", "tinygrad_lessons.linalg._matmul_backward"],
    compare={"rtol": 1e-4, "atol": 1e-5},
    hints=[
        Hint(lambda case, e, g: g.get("kind") == "error" and ("multiplied" in g["message"] or "shape" in g["message"]
                                                              or "size" in g["message"]),
             "mind the shapes: for a (n, k) @ (k, m) product grad is (n, m), so a's gradient is grad @ bᵀ, "
             "(n, m) @ (m, k), and b's is aᵀ @ grad, (k, n) @ (n, m) — transposing the last two dims (.mT)"),
        _unreduced_hint("an input the batch dims were broadcast over was used by every product of the batch: sum its "
                        "gradient over those dims, down to its own shape"),
        _formula_hint(np.matmul, lambda g, a, b: (g @ b, a @ g) if g.ndim == 2 and a.shape[-1] == a.shape[-2]
                      == b.shape[-1] else (None, None),
                      "transpose the other factor: a's gradient is grad @ b.mT and b's is a.mT @ grad"),
        _formula_hint(np.matmul, lambda g, a, b: (b.swapaxes(-1, -2) @ g, g @ a.swapaxes(-1, -2))
                      if g.ndim == 2 and a.shape[-1] == a.shape[-2] == b.shape[-1] else (None, None),
                      "the order matters in a matrix product: a's gradient is grad @ b.mT (grad on the left), "
                      "b's is a.mT @ grad (grad on the right)"),
        _count_hint("backward returns one gradient per argument of forward, in order: (grad_a, grad_b)"),
        _requires_grad_hint(),
    ],
)


# ====================================================================== 7-8. the engine
def node_gradients(node, grad):
    """What PyTorch's ``node(grad)`` does: run a node's backward and return one gradient per entry of
    ``node.next_functions``. (A node's backward returns one gradient per argument of its forward; the
    library lists only the tensor arguments in ``next_functions``, and ``_tensor_args`` says which.)"""
    grads = node.backward(node, grad)
    if not isinstance(grads, tuple):
        grads = (grads,)
    positions = getattr(node, "_tensor_args", None)
    return grads if positions is None else tuple(grads[i] for i in positions)


def _is_leaf_node(node) -> bool:
    """An AccumulateGrad node (the library's or torch's): it holds the leaf in ``.variable``."""
    return hasattr(node, "variable")


def _reference_toposort(root):
    """Every node reachable from ``root``, each once, each before the nodes it passes gradient to."""
    incoming = {}  # 1. how many edges lead into each node
    seen, stack = {root}, [root]
    while stack:
        node = stack.pop()
        for nxt, _ in node.next_functions:
            if nxt is None:  # an input that needs no gradient
                continue
            incoming[nxt] = incoming.get(nxt, 0) + 1
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    order, ready = [], [root]  # 2. a node is ready once every edge into it has been used
    while ready:
        node = ready.pop()
        order.append(node)
        for nxt, _ in node.next_functions:
            if nxt is None:
                continue
            incoming[nxt] -= 1
            if incoming[nxt] == 0:
                ready.append(nxt)
    return order


def _reference_backward(root, gradient=None):
    """Accumulate into ``.grad`` of every leaf the gradient of ``root`` (seeded with ``gradient``)."""
    if not root.requires_grad:
        raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
    if gradient is None:
        if root.numel() != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs")
        gradient = tl.ones_like(root)
    with tl.no_grad():
        if root.grad_fn is None:  # the root is a leaf itself
            root.grad = gradient if root.grad is None else root.grad + gradient
            return
        grads = {root.grad_fn: gradient}  # the gradient arrived so far at each node
        for node in _reference_toposort(root.grad_fn):
            grad = grads.pop(node, None)
            if grad is None:
                continue
            if _is_leaf_node(node):
                leaf = node.variable
                leaf.grad = grad if leaf.grad is None else leaf.grad + grad
                continue
            for (nxt, _), g in zip(node.next_functions, node_gradients(node, grad)):
                if nxt is not None and g is not None:
                    grads[nxt] = grads[nxt] + g if nxt in grads else g


# ---------------------------------------------------------------------- the graphs the cases name
def _g_chain(lib):
    x = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
    return [(x.exp().sin().sum(), None)], [x]


def _g_square(lib):
    x = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
    return [((x * x).sum(), None)], [x]


def _g_diamond(lib):
    x = lib.tensor([0.1, 0.2, -0.3], requires_grad=True)
    y = x.exp()
    return [((y * y.sin()).sum(), None)], [x]


def _g_shortcut(lib):
    x = lib.tensor([0.1, -0.4, 0.3], requires_grad=True)
    y = x * 2.0
    return [((y + y.exp().exp()).sum(), None)], [x]


def _g_shortcut_left(lib):
    x = lib.tensor([0.1, -0.4, 0.3], requires_grad=True)
    y = x * 2.0
    return [((y.exp().exp() + y).sum(), None)], [x]


def _g_constant(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    c = lib.tensor([0.5, -1.0, 2.0])
    return [((x * c + x).sum(), None)], [x, c]


def _g_linear(lib):
    x = lib.tensor([[1.0, 2.0, -1.0], [0.5, -0.5, 2.0]])
    w = lib.tensor([[0.1, -0.2], [0.3, 0.4], [-0.5, 0.2]], requires_grad=True)
    b = lib.tensor([0.05, -0.1], requires_grad=True)
    return [((x @ w + b).tanh().mean(), None)], [w, b, x]


def _g_deep(lib):
    x = lib.tensor([1.0, -0.5], requires_grad=True)
    y = x
    for _ in range(2000):
        y = y * 1.0005
    return [(y.sum(), None)], [x]


def _g_vector_root(lib):
    x = lib.tensor([0.5, 1.0, -1.0], requires_grad=True)
    return [(x.exp() * x, lib.tensor([1.0, 0.5, -2.0]))], [x]


def _g_vector_root_no_gradient(lib):
    x = lib.tensor([0.5, 1.0, -1.0], requires_grad=True)
    return [(x.exp(), None)], [x]


def _g_no_grad_fn(lib):
    x = lib.tensor([1.0, 2.0])
    return [((x * 2).sum(), None)], [x]


def _g_existing_grad(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x.grad = lib.tensor([10.0, 20.0, 30.0])
    return [((x * x).sum(), None)], [x]


def _g_twice(lib):
    x = lib.tensor([1.0, -1.0], requires_grad=True)
    return [((x * 3.0).sum(), None), (x.exp().sum(), None)], [x]


def _g_leaf_root(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    return [(x, lib.tensor([0.5, -1.0]))], [x]


def _g_unused(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    w = lib.tensor([3.0], requires_grad=True)
    return [((x * x).sum(), None)], [x, w]


def _g_matrix_root(lib):
    a = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    w = lib.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
    return [((a @ w).tanh(), lib.tensor([[1.0, -1.0], [0.5, 2.0]]))], [a, w]


def _g_two_paths_to_leaf(lib):
    x = lib.tensor([0.3, -0.7], requires_grad=True)
    w = lib.tensor([2.0, 0.5], requires_grad=True)
    h = (x * w).tanh()
    return [((h * x + h.exp() * w).sum(), None)], [x, w]


#: name -> builder(lib): ([(root, gradient or None), ...] one backward pass each, [leaves to report])
GRAPHS = {
    "chain": _g_chain, "square": _g_square, "diamond": _g_diamond, "shortcut": _g_shortcut,
    "shortcut_left": _g_shortcut_left,
    "constant": _g_constant, "linear": _g_linear, "deep": _g_deep, "vector_root": _g_vector_root,
    "vector_root_no_gradient": _g_vector_root_no_gradient, "no_grad_fn": _g_no_grad_fn,
    "existing_grad": _g_existing_grad, "twice": _g_twice, "leaf_root": _g_leaf_root, "unused": _g_unused,
    "matrix_root": _g_matrix_root, "two_paths": _g_two_paths_to_leaf,
}


def _node_name(node) -> str:
    name = getattr(node, "name", None)
    return name() if callable(name) else type(node).__name__


def _walk(root) -> list:
    """Every node reachable from ``root``, breadth first (the check's own walk: it never calls the learner's)."""
    found, queue = {root: None}, [root]
    for node in queue:
        for nxt, _ in node.next_functions:
            if nxt is not None and nxt not in found:
                found[nxt] = None
                queue.append(nxt)
    return queue


def _census(nodes) -> list[str]:
    """``["1 × ExpBackward0", "2 × MulBackward0", ...]``: what a list of nodes holds, in a fixed order."""
    counts = {}
    for node in nodes:
        name = _node_name(node)
        counts[name] = counts.get(name, 0) + 1
    return [f"{n} × {name}" for name, n in sorted(counts.items())]


def order_report(order, root):
    """A plain verdict on an order of the graph of ``root``: ``(census of the listed nodes, problem or None)``.

    Several orders are right; this says the same for all of them. The problem, when there is one, is
    the first found of: something that is no graph node, a node listed twice, a node from another
    graph, a node missing, a node listed before one that passes gradient to it.
    """
    try:
        order = list(order)
    except TypeError:
        return order  # not even a sequence: described as an object, never equal
    census = _census(order)
    reachable = _walk(root)
    known = set(reachable)
    position = {}
    for i, node in enumerate(order):
        if not hasattr(node, "next_functions"):
            return census, f"item {i} is not a graph node but {type(node).__name__}"
        if node in position:
            return census, f"{_node_name(node)} is listed twice"
        if node not in known:
            return census, f"{_node_name(node)} is not in the graph of the root"
        position[node] = i
    missing = [n for n in reachable if n not in position]
    if missing:
        return census, f"{_node_name(missing[0])} is missing ({len(missing)} node{'s' if len(missing) > 1 else ''} " \
                       "in all)"
    for node in order:
        for nxt, _ in node.next_functions:
            if nxt is not None and position[nxt] < position[node]:
                return census, f"{_node_name(nxt)} comes before {_node_name(node)}, which passes gradient to it"
    return census, None


def _run_toposort(fn, graph):
    passes, _ = GRAPHS[graph](tl)
    node = passes[0][0].grad_fn  # the first pass's root
    return order_report(fn(node), node)


def _torch_toposort(torch, graph):
    passes, _ = GRAPHS[graph](torch)
    node = passes[0][0].grad_fn
    return order_report(_reference_toposort(node), node)  # torch's nodes have next_functions and name() too


def _problem(plain):
    item = _item(plain, 1)
    return item.get("value") if item.get("kind") == "str" else None


def _toposort_problem_hint(words, text):
    return Hint(lambda case, e, g: any(w in (_problem(g) or "") for w in words), text)


TOPOSORT = Exercise(
    name="ch4.toposort",
    function="toposort",
    reference=_reference_toposort,
    visible=[
        Case(("chain",), label="x.exp().sin().sum(): a chain"),
        Case(("square",), label="(x * x).sum(): one node reached by two edges"),
        Case(("diamond",), label="y = x.exp(); (y * y.sin()).sum(): y's node feeds two nodes"),
        Case(("shortcut",), label="y = x * 2; (y + y.exp().exp()).sum(): a short and a long path to y"),
        Case(("shortcut_left",), label="y = x * 2; (y.exp().exp() + y).sum(): the same paths, the other way round"),
        Case(("constant",), label="(x * c + x).sum() with c a constant: a (None, 0) edge"),
        Case(("deep",), label="2000 multiplications in a row: deeper than Python's recursion limit"),
    ],
    hidden=[
        Case(("linear",), label="(x @ w + b).tanh().mean(): a linear layer"),
        Case(("two_paths",), label="h = (x * w).tanh(); (h * x + h.exp() * w).sum()"),
        Case(("matrix_root",), label="(a @ w).tanh(): a matrix root"),
        Case(("vector_root",), label="x.exp() * x"),
        Case(("twice",), label="(x * 3.0).sum()"),
    ],
    forbid=list(_ENGINE),
    call=_run_toposort,
    hints=[
        Hint(lambda case, e, g: g.get("kind") not in ("tuple", "list"),
             "return a list of the graph's nodes (grad_fn objects and AccumulateGrad nodes)"),
        _toposort_problem_hint(["listed twice"],
                               "a node reached by two edges is still one node: list each node once (keep a set of the "
                               "nodes you have already met)"),
        _toposort_problem_hint(["is missing"],
                               "list every node reachable from the root through next_functions, the root itself and "
                               "the AccumulateGrad nodes of the leaves included"),
        _toposort_problem_hint(["comes before"],
                               "a node may only come after *every* node that passes gradient to it, not just after the "
                               "first one met: count each node's incoming edges, and take a node when its count drops "
                               "to 0 (or list nodes depth first in post-order and reverse the list)"),
        _toposort_problem_hint(["is not a graph node"],
                               "list the nodes themselves (the first item of each (node, output_nr) pair), not the "
                               "pairs"),
        Hint(lambda case, e, g: _error_says(g, "NoneType"),
             "an input that needs no gradient appears as (None, 0) in next_functions: skip it"),
        Hint(lambda case, e, g: g.get("kind") == "error" and g.get("type") == "RecursionError",
             "a graph can be thousands of nodes deep, deeper than Python lets a function call itself: walk it with a "
             "list of nodes still to visit (a stack) instead of recursion"),
    ],
    torch_oracle=_torch_toposort,
)


def _run_backward(fn, graph):
    passes, leaves = GRAPHS[graph](tl)
    for root, gradient in passes:
        if gradient is None:
            fn(root)
        else:
            fn(root, gradient)
    return tuple(leaf.grad for leaf in leaves)


def _torch_backward(torch, graph):
    passes, leaves = GRAPHS[graph](torch)
    for root, gradient in passes:
        root.backward(gradient)
    return tuple(leaf.grad for leaf in leaves)


def _ratio_hint(graph_names, ratio, text):
    """The learner's gradient is ``ratio`` times the expected one, on one of these graphs."""

    def when(case, e, g):
        if case.args[0] not in graph_names:
            return False
        want, have = _array(_item(e, 0)), _array(_item(g, 0))
        return want is not None and have is not None and want.shape == have.shape and \
            np.allclose(have, want * ratio, rtol=1e-4, atol=1e-6) and not np.allclose(want, 0)

    return Hint(when, text)


def _differs_hint(graph_names, text):
    def when(case, e, g):
        return case.args[0] in graph_names and g.get("kind") in ("tuple", "list") and any(
            x.get("kind") == y.get("kind") == "tensor" and _values_differ(x, y) for x, y in _pairs(e, g))

    return Hint(when, text)


def _values_differ(expected, got) -> bool:
    want, have = _array(expected), _array(got)
    return want.shape != have.shape or not np.allclose(have, want, rtol=1e-4, atol=1e-6, equal_nan=True)


BACKWARD = Exercise(
    name="ch4.backward",
    function="backward",
    reference=_reference_backward,
    visible=[
        Case(("chain",), label="x.exp().sin().sum(): x.grad"),
        Case(("square",), label="(x * x).sum(): both edges into x's node add up, 2 * x"),
        Case(("diamond",), label="y = x.exp(); (y * y.sin()).sum(): y's node waits for both of its users"),
        Case(("constant",), label="(x * c + x).sum(): x.grad, and c.grad stays None"),
        Case(("linear",), label="(x @ w + b).tanh().mean(): w.grad, b.grad, and x.grad stays None"),
        Case(("existing_grad",), label="x.grad already holds a gradient: the new one is added to it"),
        Case(("vector_root",), label="a vector root with gradient= given"),
        Case(("vector_root_no_gradient",), label="a vector root without gradient: torch's error"),
        Case(("no_grad_fn",), label="a root that doesn't require grad: torch's error"),
    ],
    hidden=[
        Case(("shortcut",), label="y = x * 2; (y + y.exp().exp()).sum()"),
        Case(("shortcut_left",), label="y = x * 2; (y.exp().exp() + y).sum()"),
        Case(("deep",), label="2000 multiplications in a row"),
        Case(("twice",), label="two backward passes from two roots: x.grad adds both"),
        Case(("leaf_root",), label="the root is a leaf itself"),
        Case(("unused",), label="a leaf that the root doesn't depend on: its .grad stays None"),
        Case(("matrix_root",), label="(a @ w).tanh() with a matrix gradient"),
        Case(("two_paths",), label="h = (x * w).tanh(); (h * x + h.exp() * w).sum()"),
    ],
    forbid=list(_ENGINE),
    compare={"rtol": 1e-5, "atol": 1e-6, "messages": True},
    call=_run_backward,
    torch_oracle=_torch_backward,
    hints=[
        _ratio_hint(("square",), 0.5,
                    "x's node appears twice in MulBackward0's next_functions (x * x): add the gradients of both "
                    "edges, don't let the second replace the first"),
        _differs_hint(("diamond", "shortcut", "shortcut_left", "two_paths"),
                      "a node must run only once all the gradient meant for it has arrived: keep a running sum per "
                      "node and run the nodes in your topological order (run each node once)"),
        Hint(lambda case, e, g: case.args[0] == "existing_grad" and _array(_item(g, 0)) is not None
             and np.allclose(_array(_item(g, 0)), _array(_item(e, 0)) - np.array([10.0, 20.0, 30.0])),
             "gradients accumulate: add into an existing .grad (leaf.grad + g), don't replace it — that is why a "
             "training loop zeroes them before each step"),
        Hint(lambda case, e, g: case.args[0] == "twice" and _array(_item(g, 0)) is not None
             and np.allclose(_array(_item(g, 0)), np.exp([1.0, -1.0]), rtol=1e-5),
             "gradients accumulate: add into an existing .grad (leaf.grad + g), don't replace it"),
        Hint(lambda case, e, g: any(x.get("requires_grad") for x in _items(g)),
             "run the backward pass under tl.no_grad(): the gradients are results, not part of the graph"),
        Hint(lambda case, e, g: e.get("kind") == "error" and g.get("kind") != "error",
             "check the root first, with torch's words: no requires_grad -> 'element 0 of tensors does not require "
             "grad and does not have a grad_fn'; no gradient given for a root of more than one element -> 'grad can "
             "be implicitly created only for scalar outputs'"),
        Hint(lambda case, e, g: e.get("kind") == g.get("kind") == "error" and e["message"] != g["message"],
             "use torch's words exactly (see the exercise)"),
        Hint(lambda case, e, g: _error_says(g, "NoneType"),
             "an input that needs no gradient appears as (None, 0) in next_functions: skip it (and a node's "
             "backward may give None for an input: skip that too)"),
        Hint(lambda case, e, g: case.args[0] == "leaf_root",
             "a leaf has no grad_fn (root.grad_fn is None): the gradient goes straight into root.grad"),
        Hint(lambda case, e, g: any(x.get("kind") == "none" and y.get("kind") == "tensor" for x, y in _pairs(e, g)),
             "only leaves that the root depends on get a .grad: leave the others (and leaves that don't require "
             "grad) at None"),
    ],
)


# ====================================================================== 9. gradcheck
_NO_INPUT = ("gradcheck expects at least one input tensor to require gradient, but none of them have "
             "requires_grad=True.")


def _reference_gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3):
    """``(passed, max_error)``: autograd's Jacobian of ``fn(*inputs)`` against central differences."""
    inputs = tuple(inputs)
    checked = [x for x in inputs if isinstance(x, tl.Tensor) and x.requires_grad]
    if not checked:
        raise ValueError(_NO_INPUT)
    out = fn(*inputs)
    passed, worst = True, 0.0
    for x in checked:
        # analytical: row i of the Jacobian is the gradient of output element i (one backward pass each)
        analytical = np.zeros((out.numel(), x.numel()))
        for i in range(out.numel()):
            seed = np.zeros(out.numel())
            seed[i] = 1.0
            (g,) = tl.autograd.grad(out, x, tl.tensor(seed.reshape(tuple(out.shape)), dtype=out.dtype),
                                    retain_graph=True, allow_unused=True)
            if g is not None:
                analytical[i] = g.numpy().reshape(-1)
        # numerical: column j is (f(x + eps e_j) - f(x - eps e_j)) / (2 eps), in float64
        numerical = np.zeros_like(analytical)
        values = x.detach().numpy().reshape(-1)  # x's own memory (the inputs are contiguous)
        with tl.no_grad():
            for j in range(x.numel()):
                original = values[j]
                values[j] = original + eps
                plus = fn(*inputs).numpy().astype(np.float64).reshape(-1)
                values[j] = original - eps
                minus = fn(*inputs).numpy().astype(np.float64).reshape(-1)
                values[j] = original  # put it back exactly
                numerical[:, j] = (plus - minus) / (2 * eps)
        error = np.abs(analytical - numerical)
        if error.size:
            worst = max(worst, float(error.max()))
            passed = passed and bool(np.all(error <= atol + rtol * np.abs(numerical)))
    return passed, worst


# ---------------------------------------------------------------------- functions with a wrong backward
class _ExpWrong(tl.Function):
    """exp, whose backward multiplies by x instead of exp(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.exp(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x


class _AbsWrong(tl.Function):
    """|x|, whose backward forgets the sign: right where x > 0 only."""

    @staticmethod
    def forward(ctx, x):
        return np.abs(x)

    @staticmethod
    def backward(ctx, grad):
        return grad


class _MulMeanWrong(tl.Function):
    """a * b with b broadcast, whose b-gradient averages over the rows instead of summing."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad * b, (grad * a).mean(dim=0)


def _torch_wrong(torch, kind):
    class ExpWrong(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.exp()

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * x

    class AbsWrong(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.abs()

        @staticmethod
        def backward(ctx, grad):
            return grad

    class MulMeanWrong(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, grad):
            a, b = ctx.saved_tensors
            return grad * b, (grad * a).mean(dim=0)

    return {"exp": ExpWrong, "abs": AbsWrong, "mul": MulMeanWrong}[kind]


#: name -> (the function with the library, the function with torch)
CHECKED = {
    "exp3": (lambda x: (x * 3).exp().sum(), lambda torch: lambda x: (x * 3).exp().sum()),
    "sin_x2": (lambda x: x.sin() * x ** 2, lambda torch: lambda x: x.sin() * x ** 2),
    "linear_tanh": (lambda w, v: (w @ v).tanh(), lambda torch: lambda w, v: (w @ v).tanh()),
    "mul": (lambda a, b: a * b, lambda torch: lambda a, b: a * b),
    "cube": (lambda x: x ** 3, lambda torch: lambda x: x ** 3),
    "exp": (lambda x: x.exp(), lambda torch: lambda x: x.exp()),
    "wrong_exp": (lambda x: _ExpWrong.apply(x), lambda torch: _torch_wrong(torch, "exp").apply),
    "wrong_abs": (lambda x: _AbsWrong.apply(x), lambda torch: _torch_wrong(torch, "abs").apply),
    "wrong_mul": (lambda a, b: _MulMeanWrong.apply(a, b), lambda torch: _torch_wrong(torch, "mul").apply),
}


def _run_gradcheck(fn, name, *inputs, **kwargs):
    return fn(CHECKED[name][0], inputs, **kwargs)


def _torch_gradcheck(torch, name, *inputs, eps=1e-6, atol=1e-5, rtol=1e-3):
    """torch's verdict (``torch.autograd.gradcheck``) and the largest gap between torch's Jacobian and
    central differences computed with torch."""
    f = CHECKED[name][1](torch)
    passed = torch.autograd.gradcheck(f, inputs, eps=eps, atol=atol, rtol=rtol, raise_exception=False)
    out = f(*inputs)
    worst = 0.0
    for x in (t for t in inputs if t.requires_grad):
        analytical = torch.zeros(out.numel(), x.numel(), dtype=torch.float64)
        for i in range(out.numel()):
            seed = torch.zeros(out.numel(), dtype=out.dtype)
            seed[i] = 1.0
            (g,) = torch.autograd.grad(out, x, seed.reshape(out.shape), retain_graph=True, allow_unused=True)
            if g is not None:
                analytical[i] = g.reshape(-1)
        numerical = torch.zeros_like(analytical)
        with torch.no_grad():
            flat = x.data.view(-1)  # .data: writes autograd doesn't count (x is saved in out's graph)
            for j in range(x.numel()):
                original = flat[j].item()
                flat[j] = original + eps
                plus = f(*inputs).reshape(-1).double()
                flat[j] = original - eps
                minus = f(*inputs).reshape(-1).double()
                flat[j] = original
                numerical[:, j] = (plus - minus) / (2 * eps)
        if analytical.numel():
            worst = max(worst, float((analytical - numerical).abs().max()))
    return passed, worst


def _got_pair(g):
    items = _items(g)
    if len(items) != 2 or items[0].get("kind") != "bool" or items[1].get("kind") not in ("float", "int"):
        return None
    return items[0]["value"], decode_number(items[1]["value"])


def _gc_hint(test, text):
    def when(case, e, g):
        want, have = _got_pair(e), _got_pair(g)
        return want is not None and have is not None and test(case, want, have)

    return Hint(when, text)


GRADCHECK = Exercise(
    name="ch4.gradcheck",
    function="gradcheck",
    reference=_reference_gradcheck,
    visible=[
        Case(("exp", T([0.5, -1.0, 2.0], "float64", requires_grad=True)),
             label="x.exp(): a correct backward passes, with a tiny error"),
        Case(("exp3", T([0.2, 0.7, 1.0], "float64", requires_grad=True)),
             label="(3 * x).exp().sum(): steep and curved, where a one-sided difference is off"),
        Case(("wrong_exp", T([0.5, 1.0, 2.0], "float64", requires_grad=True)),
             label="an exp whose backward multiplies by x: caught"),
        Case(("linear_tanh", T([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]], "float64", requires_grad=True),
              T([1.0, -1.0, 0.5], "float64", requires_grad=True)),
             label="(w @ v).tanh(): two inputs, a vector output"),
        Case(("mul", T([1.0, 2.0], "float64"), T([3.0, -1.0], "float64", requires_grad=True)),
             label="a * b where only b requires grad: a is not checked"),
        Case(("mul", T([1.0, 2.0], "float64"), T([3.0, -1.0], "float64")),
             label="no input requires grad: torch's ValueError"),
        Case(("exp3", T([0.2, 0.7, 1.0], "float64", requires_grad=True)), {"eps": 1e-3},
             label="eps=1e-3: a bigger step, a bigger error"),
    ],
    hidden=[
        Case(("wrong_abs", T([0.5, -1.0, 2.0], "float64", requires_grad=True)),
             label="an abs whose backward forgets the sign: caught where x < 0"),
        Case(("wrong_abs", T([0.5, 1.0, 2.0], "float64", requires_grad=True)),
             label="the same abs at positive x only: it passes (a check only sees where it looks)"),
        Case(("wrong_mul", T([[1.0, 2.0], [3.0, 4.0], [0.5, -1.0]], "float64", requires_grad=True),
              T([0.5, -2.0], "float64", requires_grad=True)),
             label="a broadcast multiplication whose b-gradient averages instead of summing: caught in b"),
        Case(("sin_x2", T([[0.3, -1.2], [2.0, 0.7]], "float64", requires_grad=True)),
             label="x.sin() * x ** 2: a (2, 2) output"),
        Case(("cube", T(1.5, "float64", requires_grad=True)), label="a 0-d input"),
        Case(("exp", T([], "float64", shape=(0,), requires_grad=True)), label="an empty input: nothing to compare"),
        Case(("wrong_exp", T([0.5, 1.0, 2.0], "float64", requires_grad=True)), {"atol": 10.0, "rtol": 1.0},
             label="the wrong exp with huge tolerances: passes, with the same max error"),
        Case(("linear_tanh", T([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]], "float64"),
              T([1.0, -1.0, 0.5], "float64", requires_grad=True)), label="(w @ v).tanh(), only v checked"),
    ],
    forbid=["tinygrad_lessons.gradcheck.gradcheck", "tinygrad_lessons.autograd.gradcheck",
            "tinygrad_lessons.gradcheck.numerical_jacobian", "tinygrad_lessons.gradcheck.analytical_jacobian"],
    compare={"rtol": 1e-3, "atol": 1e-6, "messages": True},
    call=_run_gradcheck,
    torch_oracle=lambda torch, name, *inputs, **kwargs: _torch_gradcheck(torch, name, *inputs, **kwargs),
    hints=[
        _gc_hint(lambda case, want, have: want[1] < 1e-7 and 1e-7 < have[1] < 1e-1,
                 "your numerical derivative is off by more than rounding: use central differences, "
                 "(f(x + eps) - f(x - eps)) / (2 * eps), whose error shrinks like eps**2; the one-sided "
                 "(f(x + eps) - f(x)) / eps is off by about eps * f''(x) / 2"),
        _gc_hint(lambda case, want, have: want[0] and not have[0],
                 "a correct backward fails your check, so look at your numerical derivative: perturb x's own memory "
                 "(x.detach().numpy() shares it; a cast, .clone() or .float() copies it), one element at a time, in "
                 "float64 (in float32 an eps of 1e-6 is lost in rounding), with central differences, and put the "
                 "original value back after each element"),
        _gc_hint(lambda case, want, have: not want[0] and have[0],
                 "a wrong backward passes your check: compare every element of the Jacobian, of every input that "
                 "requires grad, with |analytical - numerical| <= atol + rtol * |numerical|"),
        _gc_hint(lambda case, want, have: want[0] == have[0] and want[1] > 1e-3 and have[1] < want[1] * 0.9,
                 "the max error is the largest |analytical - numerical| over every element of every checked "
                 "input's Jacobian (absolute, not relative)"),
        _gc_hint(lambda case, want, have: "eps" in case.kwargs and want[1] > 1e-5 and have[1] < 1e-7,
                 "use the eps you are given for the step"),
        Hint(lambda case, e, g: e.get("kind") == "error" and g.get("kind") != "error",
             "with no input that requires grad there is nothing to check: raise ValueError with torch's words "
             "(see the exercise)"),
        Hint(lambda case, e, g: e.get("kind") == g.get("kind") == "error" and e["message"] != g["message"],
             "use torch's words exactly (see the exercise)"),
        Hint(lambda case, e, g: g.get("kind") == "error" and "does not require grad" in g.get("message", ""),
             "only inputs with requires_grad=True are checked: skip the others"),
        Hint(lambda case, e, g: _error_says(g, "modified by an inplace operation"),
             "writing into x through a tensor (x.detach()[j] = ...) bumps x's version counter, and the graph you "
             "ask for the analytical gradients saved x: perturb through x.detach().numpy() (autograd doesn't see "
             "NumPy writes), or build a fresh output before each autograd call"),
    ],
)


register(MUL, POW, EXP, LOG, SUM, MATMUL, TOPOSORT, BACKWARD, GRADCHECK)
