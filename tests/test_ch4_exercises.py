"""Chapter 4's graded exercises catch real mistakes, not only empty stubs.

Per exercise: the reference solution passes the visible and hidden checks; the untouched
stub fails with the "not implemented" line; a solution that calls the library's own
implementation fails; and plausible wrong solutions each fail with a hint that points at
the mistake. The six node exercises hand in a ``tl.Function`` class: ``forward`` as the
notebook gives it, ``backward`` as a learner might write it.
"""

from __future__ import annotations

import contextlib
import types
from pathlib import Path

import numpy as np
import pytest

import tinygrad_lessons as tl
from exercise_checks import assert_fails, assert_passes, course_env, stub  # noqa: F401 - course_env: an autouse fixture
from tinygrad_lessons.grading.exercises import get_exercise

ROOT = Path(__file__).resolve().parents[1]


def _copy(fn):
    """A copy of a reference function: the reference object itself is forbidden to learners."""
    return types.FunctionType(fn.__code__, fn.__globals__, "solution", fn.__defaults__, fn.__closure__)


# ====================================================================== the notebook's forwards
def _mul_forward(ctx, a, b):
    ctx.save_for_backward(a, b)
    return a * b


def _pow_forward(ctx, x, p):
    ctx.save_for_backward(x)
    ctx.p = p
    return x ** p


def _exp_forward(ctx, x):
    result = np.exp(x)
    ctx.save_for_backward(result)
    return result


def _log_forward(ctx, x):
    ctx.save_for_backward(x)
    return np.log(x)


def _sum_forward(ctx, x, dim, keepdim):
    ctx.shape, ctx.dim, ctx.keepdim = x.shape, dim, keepdim
    return np.asarray(np.sum(x, axis=dim, keepdims=keepdim))


def _matmul_forward(ctx, a, b):
    ctx.save_for_backward(a, b)
    return np.matmul(a, b)


FORWARDS = {"Mul": _mul_forward, "Pow": _pow_forward, "Exp": _exp_forward, "Log": _log_forward,
            "Sum": _sum_forward, "MatMul": _matmul_forward}


def node(name, backward, forward=None):
    """A learner's Function class called ``name``: the notebook's forward and this backward."""
    return type(name, (tl.Function,), {"forward": staticmethod(forward or FORWARDS[name]),
                                       "backward": staticmethod(backward)})


def unbroadcast(grad, shape):
    while grad.ndim > len(shape):
        grad = grad.sum(dim=0)
    for d, n in enumerate(shape):
        if n == 1 and grad.shape[d] != 1:
            grad = grad.sum(dim=d, keepdim=True)
    return grad


NODE_EXERCISES = {"ch4.mul_backward": "Mul", "ch4.pow_backward": "Pow", "ch4.exp_backward": "Exp",
                  "ch4.log_backward": "Log", "ch4.sum_backward": "Sum", "ch4.matmul_backward": "MatMul"}


@pytest.mark.parametrize("name", NODE_EXERCISES)
def test_ch4_node_reference_passes(name):
    reference = get_exercise(name).reference
    learner = node(NODE_EXERCISES[name], reference.backward)  # the reference's formula in a class of one's own
    assert_passes(name, learner)


@pytest.mark.parametrize("name", NODE_EXERCISES)
def test_ch4_node_stub_fails(name):
    text = assert_fails(name, node(NODE_EXERCISES[name], stub),
                        "not implemented yet: replace `raise NotImplementedError()`")
    assert "✓" not in text


def test_ch4_node_must_be_a_function_class():
    assert_fails("ch4.exp_backward", lambda x: x.exp(), "check the class itself (a subclass of tl.Function)")


# ---------------------------------------------------------------------- calling the library instead
def _via_library_engine(ctx, grad):
    a, b = ctx.saved_tensors
    with tl.enable_grad():
        a2, b2 = a.detach().requires_grad_(), b.detach().requires_grad_()
        return tl.autograd.grad(a2 * b2, (a2, b2), grad)


def _via_library_mul_backward(ctx, grad):
    a, b = ctx.saved_tensors
    from tinygrad_lessons.math_ops import Mul as LibraryMul

    return LibraryMul.backward(ctx, grad)


def _via_library_matmul_backward(ctx, grad):
    from tinygrad_lessons.linalg import _matmul_backward

    a, b = ctx.saved_tensors
    return _matmul_backward(grad, a, b, tuple(a.shape), tuple(b.shape), True, True)


def _via_tensor_backward(ctx, grad):
    (x,) = ctx.saved_tensors
    with tl.enable_grad():
        x2 = x.detach().requires_grad_()
        x2.log().backward(grad)
    return x2.grad


@pytest.mark.parametrize(("name", "backward", "hint"), [
    ("ch4.mul_backward", _via_library_engine, "don't call tl.autograd.grad"),
    ("ch4.mul_backward", _via_library_mul_backward, "asks you to write Mul yourself; don't call"),
    ("ch4.matmul_backward", _via_library_matmul_backward, "don't call tl.linalg._matmul_backward"),
    ("ch4.log_backward", _via_tensor_backward, "don't call Tensor.backward"),
])
def test_ch4_node_library_call_fails(name, backward, hint):
    assert_fails(name, node(NODE_EXERCISES[name], backward), hint)


# ---------------------------------------------------------------------- ch4.mul_backward: wrong formulas
def mul_no_unbroadcast(ctx, grad):
    a, b = ctx.saved_tensors
    return grad * b, grad * a


def mul_sum_without_keepdim(ctx, grad):
    a, b = ctx.saved_tensors

    def reduce(g, shape):
        while g.ndim > len(shape):
            g = g.sum(dim=0)
        for d in reversed(range(len(shape))):
            if shape[d] == 1 and g.shape[d] != 1:
                g = g.sum(dim=d)  # drops the dim
        return g

    return reduce(grad * b, a.shape), reduce(grad * a, b.shape)


def mul_swapped(ctx, grad):
    a, b = ctx.saved_tensors
    return unbroadcast(grad * a, a.shape), unbroadcast(grad * b, b.shape)


def mul_ignores_grad(ctx, grad):
    a, b = ctx.saved_tensors
    ones = grad * 0 + 1
    return unbroadcast(ones * b, a.shape), unbroadcast(ones * a, b.shape)


def mul_mean(ctx, grad):
    a, b = ctx.saved_tensors

    def reduce(g, shape):
        while g.ndim > len(shape):
            g = g.mean(dim=0)
        for d, n in enumerate(shape):
            if n == 1 and g.shape[d] != 1:
                g = g.mean(dim=d, keepdim=True)
        return g

    return reduce(grad * b, a.shape), reduce(grad * a, b.shape)


def mul_one_gradient(ctx, grad):
    a, b = ctx.saved_tensors
    return unbroadcast(grad * b, a.shape)


@pytest.mark.parametrize(("backward", "hints"), [
    (mul_no_unbroadcast, ["item 1: shape: expected (3,), got (2, 3)", "an input that broadcasting stretched"]),
    (mul_sum_without_keepdim, ["shape: expected (3, 1), got (3,)", "keep the input's size-1 dims"]),
    (mul_swapped, ["the gradients are swapped"]),
    (mul_ignores_grad, ["multiply by grad, the gradient arriving from the output"]),
    (mul_mean, ["sum, don't average"]),
    (mul_one_gradient, ["returned an incorrect number of gradients (expected 2, got 1)",
                        "one gradient per argument of forward"]),
])
def test_ch4_mul_backward_wrong_solution_fails(backward, hints):
    assert_fails("ch4.mul_backward", node("Mul", backward), *hints)


# ---------------------------------------------------------------------- ch4.pow_backward
def _pow_right(ctx, grad):
    (x,) = ctx.saved_tensors
    return grad * ctx.p * x ** (ctx.p - 1)


def pow_not_one_lower(ctx, grad):
    (x,) = ctx.saved_tensors
    return grad * ctx.p * x ** ctx.p, None


def pow_no_factor(ctx, grad):
    (x,) = ctx.saved_tensors
    return grad * x ** (ctx.p - 1), None


def pow_nan_at_zero(ctx, grad):
    return _pow_right(ctx, grad), None


def pow_ignores_grad(ctx, grad):
    (x,) = ctx.saved_tensors
    return ctx.p * x ** (ctx.p - 1) if ctx.p else x * 0, None


def pow_gradient_for_p(ctx, grad):
    (x,) = ctx.saved_tensors
    g = grad * ctx.p * x ** (ctx.p - 1) if ctx.p else grad * 0
    return g, 0.0


def pow_one_gradient(ctx, grad):
    (x,) = ctx.saved_tensors
    return grad * ctx.p * x ** (ctx.p - 1) if ctx.p else grad * 0


@pytest.mark.parametrize(("backward", "hints"), [
    (pow_not_one_lower, ["one power lower"]),
    (pow_no_factor, ["don't forget the factor p"]),
    (pow_nan_at_zero, ["got nan", "0 * inf = nan at x = 0"]),
    (pow_ignores_grad, ["multiply by grad"]),
    (pow_gradient_for_p, ["returned a gradient different than None at position 2", "p is a Python number"]),
    (pow_one_gradient, ["incorrect number of gradients (expected 2, got 1)", "return (grad_x, None)"]),
])
def test_ch4_pow_backward_wrong_solution_fails(backward, hints):
    assert_fails("ch4.pow_backward", node("Pow", backward), *hints)


# ---------------------------------------------------------------------- ch4.exp_backward
def exp_ignores_grad(ctx, grad):
    (result,) = ctx.saved_tensors
    return result


def exp_returns_grad(ctx, grad):
    return grad


def _exp_forward_saving_x(ctx, x):
    ctx.save_for_backward(x)
    return np.exp(x)


def exp_times_x(ctx, grad):
    (x,) = ctx.saved_tensors
    return grad * x


def exp_with_none(ctx, grad):
    (result,) = ctx.saved_tensors
    return grad * result, None


@pytest.mark.parametrize(("backward", "forward", "hints"), [
    (exp_ignores_grad, None, ["multiply by grad", "grad * exp(x)"]),
    (exp_returns_grad, None, ["the derivative of exp(x) is exp(x) itself"]),
    (exp_times_x, _exp_forward_saving_x, ["the gradient is grad * exp(x)"]),
    (exp_with_none, None, ["incorrect number of gradients (expected 1, got 2)", "return its one gradient"]),
])
def test_ch4_exp_backward_wrong_solution_fails(backward, forward, hints):
    assert_fails("ch4.exp_backward", node("Exp", backward, forward), *hints)


# ---------------------------------------------------------------------- ch4.log_backward
def log_times_x(ctx, grad):
    (x,) = ctx.saved_tensors
    return grad * x


def log_ignores_grad(ctx, grad):
    (x,) = ctx.saved_tensors
    return 1 / x


def log_minus(ctx, grad):
    (x,) = ctx.saved_tensors
    return -grad / x


def log_squared(ctx, grad):
    (x,) = ctx.saved_tensors
    return grad / x ** 2


def log_epsilon(ctx, grad):
    (x,) = ctx.saved_tensors
    return grad / (x + 1e-12)


@pytest.mark.parametrize(("backward", "hints"), [
    (log_times_x, ["divide, grad / x"]),
    (log_ignores_grad, ["multiply by grad"]),
    (log_minus, ["check the sign"]),
    (log_squared, ["not 1/x**2"]),
    (log_epsilon, ["expected -inf", "don't clamp x or add an epsilon"]),
])
def test_ch4_log_backward_wrong_solution_fails(backward, hints):
    assert_fails("ch4.log_backward", node("Log", backward), *hints)


# ---------------------------------------------------------------------- ch4.sum_backward
def _dims(ctx):
    n = len(ctx.shape)
    if ctx.dim is None:
        return list(range(n))
    return sorted(d % n for d in ((ctx.dim,) if isinstance(ctx.dim, int) else ctx.dim))


def sum_returns_grad(ctx, grad):
    return grad, None, None


def sum_no_unsqueeze(ctx, grad):
    return grad.expand(ctx.shape), None, None


def sum_ignores_keepdim(ctx, grad):
    for d in _dims(ctx):
        grad = grad.unsqueeze(d)
    return grad.expand(ctx.shape), None, None


def sum_dims_as_given(ctx, grad):
    if not ctx.keepdim:
        dims = range(len(ctx.shape)) if ctx.dim is None else (ctx.dim,) if isinstance(ctx.dim, int) else ctx.dim
        for d in dims:  # neither sorted nor made positive
            grad = grad.unsqueeze(d)
    return grad.expand(ctx.shape), None, None


def sum_like_mean(ctx, grad):
    count = int(np.prod([ctx.shape[d] for d in _dims(ctx)])) or 1
    if not ctx.keepdim:
        for d in _dims(ctx):
            grad = grad.unsqueeze(d)
    return grad.expand(ctx.shape) / count, None, None


def sum_one_gradient(ctx, grad):
    if not ctx.keepdim:
        for d in _dims(ctx):
            grad = grad.unsqueeze(d)
    return grad.expand(ctx.shape)


@pytest.mark.parametrize(("backward", "hints"), [
    (sum_returns_grad, ["shape: expected (2, 3), got ()", "expand grad back to x's shape"]),
    (sum_no_unsqueeze, ["dim=1", "put the summed dims back as size-1 dims"]),
    (sum_ignores_keepdim, ["dim=-1, keepdim=True", "with keepdim=True the summed dims are still there"]),
    (sum_dims_as_given, ["dim=(2, 0): dims given out of order", "in increasing order"]),
    (sum_like_mean, ["that is mean's backward"]),
    (sum_one_gradient, ["incorrect number of gradients (expected 3, got 1)", "return three gradients"]),
])
def test_ch4_sum_backward_wrong_solution_fails(backward, hints):
    assert_fails("ch4.sum_backward", node("Sum", backward), *hints)


# ---------------------------------------------------------------------- ch4.matmul_backward
def matmul_no_transpose(ctx, grad):
    a, b = ctx.saved_tensors
    return unbroadcast(grad @ b, a.shape), unbroadcast(a @ grad, b.shape)


def matmul_wrong_order(ctx, grad):
    a, b = ctx.saved_tensors
    return unbroadcast(b.mT @ grad, a.shape), unbroadcast(grad @ a.mT, b.shape)


def matmul_no_unbroadcast(ctx, grad):
    a, b = ctx.saved_tensors
    return grad @ b.mT, a.mT @ grad


def matmul_full_transpose(ctx, grad):
    a, b = ctx.saved_tensors
    return unbroadcast(grad @ b.T, a.shape), unbroadcast(a.T @ grad, b.shape)


@pytest.mark.parametrize(("backward", "hints"), [
    (matmul_no_transpose, ["got RuntimeError: mat1 and mat2 shapes cannot be multiplied", "mind the shapes",
                           "transpose the other factor"]),
    (matmul_wrong_order, ["the order matters in a matrix product"]),
    (matmul_no_unbroadcast, ["item 1: shape: expected (3, 4), got (2, 3, 4)", "sum its gradient over those dims"]),
    (matmul_full_transpose, ["(2, 2, 3) @ (3, 4)", "transposing the last two dims (.mT)"]),
])
def test_ch4_matmul_backward_wrong_solution_fails(backward, hints):
    assert_fails("ch4.matmul_backward", node("MatMul", backward), *hints)


# ====================================================================== ch4.toposort
def toposort_recursive(root):
    order, seen = [], set()

    def visit(node):
        seen.add(node)
        for nxt, _ in node.next_functions:
            if nxt is not None and nxt not in seen:
                visit(nxt)
        order.append(node)

    visit(root)
    return order[::-1]


def toposort_preorder(root):
    order, seen, stack = [], {root}, [root]
    while stack:
        node = stack.pop()
        order.append(node)
        for nxt, _ in node.next_functions:
            if nxt is not None and nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return order


def toposort_no_seen_set(root):
    order, queue = [], [root]
    while queue:
        node = queue.pop(0)
        order.append(node)
        queue.extend(nxt for nxt, _ in node.next_functions if nxt is not None)
    return order


def toposort_keeps_none(root):
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        stack.extend((nxt, False) for nxt, _ in node.next_functions)  # None too
    return order[::-1]


def toposort_no_leaves(root):
    order = _copy(get_exercise("ch4.toposort").reference)(root)
    return [n for n in order if n.name() != "torch::autograd::AccumulateGrad"]


def toposort_pairs(root):
    return [(n, 0) for n in _copy(get_exercise("ch4.toposort").reference)(root)]


def toposort_calls_engine(root):
    deps = tl.engine._dependencies([(root, 0, None)])
    return [root, *deps]


def test_ch4_toposort_reference_passes():
    assert_passes("ch4.toposort", _copy(get_exercise("ch4.toposort").reference))


def test_ch4_toposort_stub_fails():
    assert_fails("ch4.toposort", stub, "not implemented yet")


def test_ch4_toposort_library_call_fails():
    assert_fails("ch4.toposort", toposort_calls_engine, "don't call tl.engine._dependencies")


@pytest.mark.parametrize(("fn", "hints"), [
    (toposort_recursive, ["2000 multiplications in a row", "RecursionError", "a stack"]),
    (toposort_preorder, ["comes before", "after *every* node that passes gradient to it"]),
    (toposort_no_seen_set, ["is listed twice", "list each node once"]),
    (toposort_keeps_none, ["'NoneType' object has no attribute", "(None, 0) in next_functions: skip it"]),
    (toposort_no_leaves, ["torch::autograd::AccumulateGrad is missing", "AccumulateGrad nodes of the leaves"]),
    (toposort_pairs, ["is not a graph node but tuple", "not the pairs"]),
])
def test_ch4_toposort_wrong_solution_fails(fn, hints):
    assert_fails("ch4.toposort", fn, *hints)


# ====================================================================== ch4.backward
toposort = _copy(get_exercise("ch4.toposort").reference)  # the learner's own, in the notebook


def node_gradients(node, grad):
    grads = node.backward(node, grad)
    grads = grads if isinstance(grads, tuple) else (grads,)
    positions = getattr(node, "_tensor_args", None)
    return grads if positions is None else tuple(grads[i] for i in positions)


def _engine(root, gradient=None, *, check_root=True, messages=None, seed_ones=False, no_grad=True,
            overwrite_buffer=False, overwrite_leaf=False, order=None, leaf_root=True):
    """One engine with a switch per mistake."""
    messages = messages or ("element 0 of tensors does not require grad and does not have a grad_fn",
                            "grad can be implicitly created only for scalar outputs")
    if check_root and not root.requires_grad:
        raise RuntimeError(messages[0])
    if gradient is None:
        if check_root and not seed_ones and root.numel() != 1:
            raise RuntimeError(messages[1])
        gradient = tl.ones_like(root)
    with tl.no_grad() if no_grad else contextlib.nullcontext():
        if leaf_root and root.grad_fn is None:
            root.grad = gradient if root.grad is None else root.grad + gradient
            return
        grads = {root.grad_fn: gradient}
        for n in (order or toposort)(root.grad_fn):
            grad = grads.pop(n, None)
            if grad is None:
                continue
            if hasattr(n, "variable"):
                leaf = n.variable
                leaf.grad = grad if leaf.grad is None or overwrite_leaf else leaf.grad + grad
                continue
            for (nxt, _), g in zip(n.next_functions, node_gradients(n, grad)):
                if nxt is not None and g is not None:
                    grads[nxt] = grads[nxt] + g if nxt in grads and not overwrite_buffer else g


def backward_overwrites_buffer(root, gradient=None):
    _engine(root, gradient, overwrite_buffer=True)


def backward_breadth_first(root, gradient=None):
    def bfs(r):
        order, seen = [r], {r}
        for n in order:
            for nxt, _ in n.next_functions:
                if nxt is not None and nxt not in seen:
                    seen.add(nxt)
                    order.append(nxt)
        return order

    _engine(root, gradient, order=bfs)


def backward_overwrites_leaf(root, gradient=None):
    _engine(root, gradient, overwrite_leaf=True)


def backward_with_grad_mode_on(root, gradient=None):
    _engine(root, gradient, no_grad=False)


def backward_no_checks(root, gradient=None):
    if not root.requires_grad:
        return
    _engine(root, gradient, seed_ones=True)


def backward_other_words(root, gradient=None):
    _engine(root, gradient, messages=("root has no grad_fn", "gradient needed for a non-scalar root"))


def backward_forgets_leaf_root(root, gradient=None):
    _engine(root, gradient, leaf_root=False)


def backward_calls_library(root, gradient=None):
    root.backward(gradient)


def backward_calls_autograd(root, gradient=None):
    tl.autograd.backward(root, gradient)


def test_ch4_backward_reference_passes():
    assert_passes("ch4.backward", _copy(get_exercise("ch4.backward").reference))


def test_ch4_backward_stub_fails():
    assert_fails("ch4.backward", stub, "not implemented yet")


@pytest.mark.parametrize(("fn", "hint"), [
    (backward_calls_library, "don't call Tensor.backward"),
    (backward_calls_autograd, "don't call tl.autograd.backward"),
])
def test_ch4_backward_library_call_fails(fn, hint):
    assert_fails("ch4.backward", fn, hint)


@pytest.mark.parametrize(("fn", "hints"), [
    (backward_overwrites_buffer, ["(x * x).sum()", "add the gradients of both edges"]),
    (backward_breadth_first, ["y's node waits for both of its users", "keep a running sum per node"]),
    (backward_overwrites_leaf, ["already holds a gradient", "gradients accumulate"]),
    (backward_with_grad_mode_on, ["requires_grad: expected False, got True", "under tl.no_grad()"]),
    (backward_no_checks, ["expected RuntimeError: grad can be implicitly created only for scalar outputs",
                          "check the root first"]),
    (backward_other_words, ["the message should be", "use torch's words exactly"]),
    (backward_forgets_leaf_root, ["the root is a leaf itself", "a leaf has no grad_fn"]),
])
def test_ch4_backward_wrong_solution_fails(fn, hints):
    assert_fails("ch4.backward", fn, *hints)


# ====================================================================== ch4.gradcheck
_NO_INPUT = ("gradcheck expects at least one input tensor to require gradient, but none of them have "
             "requires_grad=True.")


def _gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, *, one_sided=False, dtype=np.float64, first_only=False,
               relative=False, raise_none=True, every_input=False, drift=False, fixed_eps=None):
    """One gradient checker with a switch per mistake."""
    eps = fixed_eps or eps
    inputs = tuple(inputs)
    checked = [x for x in inputs if every_input or x.requires_grad]
    if not any(x.requires_grad for x in inputs):
        if raise_none:
            raise ValueError(_NO_INPUT)
        return True, 0.0
    if first_only:
        checked = checked[:1]
    out = fn(*inputs)
    passed, worst = True, 0.0
    for x in checked:
        analytical = np.zeros((out.numel(), x.numel()))
        for i in range(out.numel()):
            seed = np.zeros(out.numel())
            seed[i] = 1.0
            (g,) = tl.autograd.grad(out, x, tl.tensor(seed.reshape(tuple(out.shape)), dtype=out.dtype),
                                    retain_graph=True, allow_unused=True)
            if g is not None:
                analytical[i] = g.numpy().reshape(-1)
        numerical = np.zeros_like(analytical)
        values = x.detach().numpy().reshape(-1)
        if dtype is not np.float64:
            values = values.astype(dtype)  # a copy: x never sees the steps
        with tl.no_grad():
            base = fn(*inputs).numpy().astype(np.float64).reshape(-1)
            for j in range(x.numel()):
                original = values[j]
                if drift:
                    values[j] += eps
                    plus = fn(*inputs).numpy().astype(np.float64).reshape(-1)
                    values[j] -= 2 * eps
                    minus = fn(*inputs).numpy().astype(np.float64).reshape(-1)
                    values[j] += eps  # not exactly the original value
                else:
                    values[j] = original + eps
                    plus = fn(*inputs).numpy().astype(np.float64).reshape(-1)
                    values[j] = original - eps
                    minus = fn(*inputs).numpy().astype(np.float64).reshape(-1)
                    values[j] = original
                numerical[:, j] = (plus - base) / eps if one_sided else (plus - minus) / (2 * eps)
        error = np.abs(analytical - numerical)
        if relative:
            error = error / np.maximum(np.abs(numerical), 1.0)
        if error.size:
            worst = max(worst, float(error.max()))
            passed = passed and bool(np.all(np.abs(analytical - numerical) <= atol + rtol * np.abs(numerical)))
    return passed, worst


def _variant(**switches):
    def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3):
        return _gradcheck(fn, inputs, eps, atol, rtol, **switches)

    return gradcheck


def gradcheck_through_tensor_writes(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3):
    """Perturbs x with tensor writes after building the graph once: x's version counter moves."""
    inputs = tuple(inputs)
    checked = [x for x in inputs if x.requires_grad]
    if not checked:
        raise ValueError(_NO_INPUT)
    out = fn(*inputs)
    passed, worst = True, 0.0
    for x in checked:
        analytical = np.zeros((out.numel(), x.numel()))
        for i in range(out.numel()):
            seed = np.zeros(out.numel())
            seed[i] = 1.0
            (g,) = tl.autograd.grad(out, x, tl.tensor(seed.reshape(tuple(out.shape)), dtype=out.dtype),
                                    retain_graph=True)
            analytical[i] = g.numpy().reshape(-1)
        numerical = np.zeros_like(analytical)
        flat = x.detach().view(-1)
        with tl.no_grad():
            for j in range(x.numel()):
                original = flat[j].item()
                flat[j] = original + eps
                plus = fn(*inputs).numpy().astype(np.float64).reshape(-1)
                flat[j] = original - eps
                minus = fn(*inputs).numpy().astype(np.float64).reshape(-1)
                flat[j] = original
                numerical[:, j] = (plus - minus) / (2 * eps)
        error = np.abs(analytical - numerical)
        worst = max(worst, float(error.max()))
        passed = passed and bool(np.all(error <= atol + rtol * np.abs(numerical)))
    return passed, worst


def gradcheck_calls_library(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3):
    return tl.autograd.gradcheck(fn, inputs, eps=eps, atol=atol, rtol=rtol, raise_exception=False), 0.0


def test_ch4_gradcheck_reference_passes():
    assert_passes("ch4.gradcheck", _copy(get_exercise("ch4.gradcheck").reference))


def test_ch4_gradcheck_switchboard_without_mistakes_passes():
    assert_passes("ch4.gradcheck", _variant())  # so each failure below is its one mistake's


def test_ch4_gradcheck_stub_fails():
    assert_fails("ch4.gradcheck", stub, "not implemented yet")


def test_ch4_gradcheck_library_call_fails():
    assert_fails("ch4.gradcheck", gradcheck_calls_library, "don't call tl.autograd.gradcheck")


@pytest.mark.parametrize(("fn", "hints"), [
    (_variant(one_sided=True), ["(3 * x).exp().sum()", "use central differences"]),
    (_variant(dtype=np.float32), ["a correct backward fails your check", "in float64"]),
    (_variant(first_only=True), ["caught in b", "a wrong backward passes your check"]),
    (_variant(relative=True), ["absolute, not relative"]),
    (_variant(raise_none=False), ["expected ValueError", "raise ValueError with torch's words"]),
    (_variant(every_input=True), ["only b requires grad", "only inputs with requires_grad=True are checked"]),
    (_variant(drift=True), ["your function changed argument 1"]),
    (_variant(fixed_eps=1e-6), ["eps=1e-3", "use the eps you are given"]),
    (gradcheck_through_tensor_writes, ["modified by an inplace operation", "bumps x's version counter"]),
])
def test_ch4_gradcheck_wrong_solution_fails(fn, hints):
    assert_fails("ch4.gradcheck", fn, *hints)
