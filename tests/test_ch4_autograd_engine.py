"""Chapter 4 — the autograd engine: graph recording, backward, grad mode, version counters.

These tests use small custom ``Function``s so they exercise the engine alone; the
gradients of the library's own operations are tested against torch in
``test_ch4_gradients.py``.
"""

import numpy as np
import pytest
import torch

import tinygrad_lessons as tl
from tinygrad_lessons.function import AccumulateGrad, Function
from tinygrad_lessons.gradcheck import GradcheckError


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad * b, grad * a


class Exp(Function):
    @staticmethod
    def forward(ctx, a):
        out = np.exp(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out


class WrongExp(Exp):
    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out * 2


class Total(Function):
    node_name = "SumBackward0"

    @staticmethod
    def forward(ctx, a):
        ctx.shape = a.shape
        return tl.backend.array_module(a).asarray(a.sum())  # (a 0-d array on a's device)

    @staticmethod
    def backward(ctx, grad):
        return grad.expand(*ctx.shape)


def leaf(values, dtype=tl.float64):
    return tl.tensor(values, dtype=dtype, requires_grad=True)


def test_graph_nodes_are_named_like_torch_and_link_to_leaves():
    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    z = Total.apply(Mul.apply(x, y))
    assert z.grad_fn.name() == "SumBackward0"
    (mul_node, nr), = z.grad_fn.next_functions
    assert mul_node.name() == "MulBackward0" and nr == 0
    assert [type(n) for n, _ in mul_node.next_functions] == [AccumulateGrad, AccumulateGrad]
    assert mul_node.next_functions[0][0].variable is x
    assert x.is_leaf and not z.is_leaf and z.requires_grad
    assert repr(mul_node).startswith("<MulBackward0 object at 0x")


def test_backward_computes_and_accumulates_gradients():
    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    Total.apply(Mul.apply(x, y)).backward()
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [3.0, 4.0])
    grad_before = x.grad
    Total.apply(Mul.apply(x, y)).backward()
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [6.0, 8.0])
    assert x.grad is grad_before, "torch accumulates into the same .grad tensor"
    x.grad.zero_()
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [0.0, 0.0])


def test_a_tensor_used_twice_gets_both_gradients():
    x = leaf([1.0, 2.0, 3.0])
    Total.apply(Mul.apply(x, x)).backward()  # d(sum x^2)/dx = 2x
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [2.0, 4.0, 6.0])


def test_errors_match_torch():
    x = leaf([1.0, 2.0])
    xt = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        Mul.apply(x, x).backward()
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (xt * xt).backward()
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad"):
        tl.tensor([1.0]).sum().backward()
    z = Total.apply(Exp.apply(x))
    z.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        z.backward()
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        Mul.apply(x, x).backward(tl.ones(3, dtype=tl.float64))


def test_retain_graph_allows_a_second_backward():
    x = leaf([0.0, 1.0])
    z = Total.apply(Exp.apply(x))
    z.backward(retain_graph=True)
    z.backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), 2 * np.exp([0.0, 1.0]))


def test_gradient_argument_weights_a_non_scalar_output():
    x = leaf([1.0, 2.0])
    Mul.apply(x, x).backward(tl.tensor([1.0, 10.0], dtype=tl.float64))
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [2.0, 40.0])


def test_in_place_change_of_a_saved_tensor_is_detected():
    x = leaf([1.0, 2.0])
    e = Exp.apply(x)
    z = Total.apply(e)
    with tl.no_grad():
        e.mul_(2)
    assert e._version == 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation.*is at version 1; expected version 0"):
        z.backward()


def test_in_place_on_a_leaf_that_requires_grad_is_refused():
    x = leaf([1.0, 2.0])
    xt = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation"):
        xt.add_(1)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation"):
        x.add_(1)
    with tl.no_grad():
        x.add_(1)  # the optimizer's update: allowed
    np.testing.assert_array_equal(x.detach().cpu().numpy(), [2.0, 3.0])


def test_no_grad_enable_grad_and_set_grad_enabled():
    x = leaf([1.0])
    with tl.no_grad():
        assert not Mul.apply(x, x).requires_grad
        with tl.enable_grad():
            assert Mul.apply(x, x).requires_grad
    assert tl.is_grad_enabled()

    @tl.no_grad()
    def f(t):
        return Mul.apply(t, t)

    assert not f(x).requires_grad and tl.is_grad_enabled()
    tl.set_grad_enabled(False)
    try:
        assert not tl.is_grad_enabled()
    finally:
        tl.set_grad_enabled(True)
    with tl.set_grad_enabled(False):
        assert not Mul.apply(x, x).requires_grad
    assert tl.is_grad_enabled()


def test_detach_shares_memory_and_version_but_not_the_graph():
    x = leaf([1.0, 2.0])
    y = Exp.apply(x)
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None
    assert d.data_ptr() == y.data_ptr()
    d.add_(1)
    assert y._version == 1


def test_dot_data_shares_memory_but_not_the_version_counter_as_in_torch():
    """``.data`` is ``detach()`` without the version counter: in-place changes through it go unseen,
    so backward uses the changed values where ``detach()`` would make it raise."""
    results = []
    for lib in (torch, tl):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        d = x.data
        facts = [d.requires_grad, d.grad_fn is None, d.is_leaf, d.data_ptr() == x.data_ptr(), type(d).__name__]
        y = (x * x).sum()  # saves x for backward
        x.data.mul_(3)  # unseen by autograd: no error, and the gradient is 2 * (3x)
        y.backward()
        facts += [x._version, x.grad.tolist(), x.tolist()]
        p = lib.nn.Parameter(lib.ones(2))
        facts.append(type(p.data).__name__)
        results.append(facts)
    assert results[0] == results[1] == [False, True, True, True, "Tensor", 0, [6.0, 12.0], [3.0, 6.0], "Tensor"]
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y = (x * x).sum()
        x.detach().mul_(3)  # the same change through detach() is caught
        y.backward()


def test_assigning_dot_data_swaps_the_memory_as_in_torch():
    for lib in (torch, tl):
        x = lib.ones(3, requires_grad=True)
        x.data = lib.zeros(5, dtype=lib.float64)  # shape and dtype may change; the graph role stays
        facts = (tuple(x.shape), str(x.dtype).split(".")[-1], x.requires_grad, x.is_leaf)
        assert facts == ((5,), "float64", True, True)
        v = lib.ones(2, requires_grad=True) * 2
        v.data = lib.zeros(2)
        assert v.grad_fn is not None and v.tolist() == [0.0, 0.0]
        with pytest.raises(TypeError, match="^Variable data has to be a tensor, but got list$"):
            x.data = [1.0, 2.0]


def _hook_scenarios(lib):
    """Gradient hooks, each scenario's observable outcome (values, or the error) in plain Python."""
    def leaf_hook_scales_grad():
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        handle = x.register_hook(lambda g: g * 10)
        (x * 3).sum().backward()
        first = x.grad.tolist()
        handle.remove()
        x.grad = None
        (x * 3).sum().backward()
        return first, x.grad.tolist()

    def non_leaf_hook_changes_what_flows_on_and_what_retain_grad_keeps():
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 3
        seen = []
        y.register_hook(lambda g: seen.append(g.tolist()) or g * 2)
        y.retain_grad()
        (y * y).sum().backward()
        return seen, x.grad.tolist(), y.grad.tolist()

    def hooks_run_in_order_and_none_keeps_the_gradient():
        q = lib.tensor([1.0], requires_grad=True)
        q.register_hook(lambda g: g * 2)
        q.register_hook(lambda g: None)
        q.register_hook(lambda g: g + 1)
        (q * 1).sum().backward()
        return q.grad.tolist()

    def autograd_grad_sees_the_hooked_gradient():
        z = lib.tensor([1.0, 2.0], requires_grad=True)
        with z.register_hook(lambda g: g + 100):
            inside = lib.autograd.grad((z * 2).sum(), z)[0].tolist()
        return inside, lib.autograd.grad((z * 2).sum(), z)[0].tolist()

    def two_outputs_each_with_its_hook():
        x = lib.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        a, b = x.split(2)
        a.register_hook(lambda g: g * 10)
        b.register_hook(lambda g: g * 100)
        (a.sum() + b.sum()).backward()
        return x.grad.tolist()

    def hook_changing_the_shape():
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        w.register_hook(lambda g: lib.ones(3))
        (w * 2).sum().backward()

    def hook_returning_a_number():
        u = lib.tensor([1.0], requires_grad=True)
        u.register_hook(lambda g: 3)
        (u * 1).sum().backward()

    def hook_on_a_tensor_without_grad():
        lib.ones(2).register_hook(lambda g: g)

    return [leaf_hook_scales_grad, non_leaf_hook_changes_what_flows_on_and_what_retain_grad_keeps,
            hooks_run_in_order_and_none_keeps_the_gradient, autograd_grad_sees_the_hooked_gradient,
            two_outputs_each_with_its_hook, hook_changing_the_shape, hook_returning_a_number,
            hook_on_a_tensor_without_grad]


@pytest.mark.parametrize("index", range(len(_hook_scenarios(torch))),
                         ids=[f.__name__ for f in _hook_scenarios(torch)])
def test_register_hook_behaves_as_in_torch(index):
    outcomes = []
    for lib in (torch, tl):
        try:
            outcomes.append(("ok", _hook_scenarios(lib)[index]()))
        except (RuntimeError, TypeError) as e:
            outcomes.append((type(e).__name__, str(e)))
    assert outcomes[0] == outcomes[1]


def test_autograd_grad_returns_gradients_without_touching_dot_grad():
    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    z = Total.apply(Mul.apply(x, y))
    gx, gy = tl.autograd.grad(z, (x, y))
    np.testing.assert_array_equal(gx.cpu().numpy(), [3.0, 4.0])
    np.testing.assert_array_equal(gy.cpu().numpy(), [1.0, 2.0])
    assert x.grad is None and y.grad is None
    unused = leaf([0.0])
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        tl.autograd.grad(Total.apply(Mul.apply(x, y)), (x, unused))
    _, g_unused = tl.autograd.grad(Total.apply(Mul.apply(x, y)), (x, unused), allow_unused=True)
    assert g_unused is None


def test_retain_grad_keeps_the_gradient_of_an_intermediate():
    x = leaf([1.0, 2.0])
    e = Exp.apply(x)
    e.retain_grad()
    assert e.retains_grad
    Total.apply(e).backward()
    np.testing.assert_array_equal(e.grad.cpu().numpy(), [1.0, 1.0])


def test_requires_grad_rules():
    with pytest.raises(RuntimeError, match="only Tensors of floating point"):
        tl.tensor([1, 2]).requires_grad_()
    y = Exp.apply(leaf([1.0]))
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables"):
        y.requires_grad_(False)
    with pytest.raises(RuntimeError, match="Can't call numpy\\(\\) on Tensor that requires grad"):
        y.cpu().numpy()  # (a GPU tensor would first refuse for its device, as in torch)


def test_gradcheck_passes_a_right_backward_and_reports_a_wrong_one():
    x = leaf(np.linspace(-1, 1, 5))
    assert tl.autograd.gradcheck(lambda t: Exp.apply(t), (x,))
    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 0 with respect to input 0"):
        tl.autograd.gradcheck(lambda t: WrongExp.apply(t), (x,))
    assert tl.autograd.gradcheck(lambda t: WrongExp.apply(t), (x,), raise_exception=False) is False
