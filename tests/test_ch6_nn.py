"""Chapter 6 (nn): Module, Parameter, layers, functional ops and losses, held against torch.nn.

Gradients are checked through the engine: leaves get ``requires_grad``, the output gets
``.backward(g)`` with the same ``g`` in both libraries, and the leaves' ``.grad`` must agree.
"""

from __future__ import annotations

import copy
import math
import pickle
import warnings
from collections import OrderedDict

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_lessons as tl
import tinygrad_lessons.nn as nn
import tinygrad_lessons.nn.functional as F
from parity import FLOAT_PAIRS, TEST_DEVICE, assert_matches, assert_same_error, pair_from_numpy, tensor_pairs, to_numpy

GRAD_TOL = {tl.float16: 2e-2, tl.bfloat16: 1e-1, tl.float32: 1e-5, tl.float64: 1e-10}


def _host(t) -> np.ndarray:
    """A tensor's values as a NumPy array, on either device (copied off a GPU)."""
    return tl.backend.to_host(t._data)


def _t(array, dtype=None):
    """The same values in both libraries (``parity.pair_from_numpy``), in ``dtype`` (a (tl, torch) pair) if given."""
    return pair_from_numpy(np.asarray(array), dtype)


def _leaf(pair):
    ours, theirs = pair
    return ours.detach().requires_grad_(), theirs.detach().requires_grad_()


def _backward_both(out_pair, seed=0):
    """Backpropagate the same random upstream gradient through both outputs."""
    ours, theirs = out_pair
    g = np.random.default_rng(seed).standard_normal(tuple(theirs.shape))
    ours.backward(tl.tensor(g).to(ours.dtype))
    theirs.backward(torch.tensor(g).to(theirs.dtype))


def _assert_grad(ours, theirs, tol=None):
    assert theirs.grad is not None and ours.grad is not None, (ours.grad, theirs.grad)
    tol = tol if tol is not None else GRAD_TOL[ours.dtype]
    assert_matches(ours.grad, theirs.grad, rtol=tol, atol=tol, check_stride=False)


def _same_model(theirs: torch.nn.Module, ours: nn.Module):
    """Copy torch's parameters into ours (via load_state_dict, which this also exercises)."""
    ours.load_state_dict({k: tl.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    return ours


# ====================================================================== Parameter
def test_parameter_basics_and_repr():
    data = tl.tensor([1.0, 2.0], device="cpu")  # (on the CPU: torch's repr shows no device)
    p = nn.Parameter(data)
    assert isinstance(p, tl.Tensor) and p.requires_grad and p.is_leaf
    assert p.data_ptr() == data.data_ptr()  # shares memory, as torch does
    assert repr(p) == repr(torch.nn.Parameter(torch.tensor([1.0, 2.0])))
    assert repr(nn.Parameter(tl.tensor([1, 2], device="cpu"), requires_grad=False)) == repr(
        torch.nn.Parameter(torch.tensor([1, 2]), requires_grad=False))
    expected = repr(torch.nn.Parameter())
    if tl.get_default_device() != "cpu":  # Parameter() is made on the default device; torch shows a GPU's
        expected = expected.replace("tensor([]", f"tensor([], device='{tl.get_default_device()}'")
    assert repr(nn.Parameter()) == expected
    assert type(p.detach()) is tl.Tensor
    assert_same_error(lambda: nn.Parameter(tl.tensor([1, 2])), lambda: torch.nn.Parameter(torch.tensor([1, 2])),
                      match_message=True)


def test_parameter_pickles_and_deepcopies_as_parameter():
    p = nn.Parameter(tl.tensor([1.0, 2.0]))
    for q in (pickle.loads(pickle.dumps(p)), copy.deepcopy(p)):
        assert type(q) is nn.Parameter and q.requires_grad
        assert q.data_ptr() != p.data_ptr()
        np.testing.assert_array_equal(_host(q), _host(p))


# ====================================================================== Module API
class _Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.act = nn.Tanh()
        self.register_buffer("running", tl.zeros(4))
        self.register_buffer("scratch", tl.zeros(1), persistent=False)
        self.scale = nn.Parameter(tl.ones(1))
        self.note = "plain attribute"


class _TorchBlock(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(3, 4)
        self.act = torch.nn.Tanh()
        self.register_buffer("running", torch.zeros(4))
        self.register_buffer("scratch", torch.zeros(1), persistent=False)
        self.scale = torch.nn.Parameter(torch.ones(1))
        self.note = "plain attribute"


def _models():
    ours = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sequential(_Block(), nn.Dropout(0.25)),
                         nn.ModuleList([nn.Linear(4, 4, bias=False) for _ in range(3)] + [nn.Sigmoid()]),
                         nn.Flatten(), nn.Softmax(dim=1), nn.LogSoftmax(dim=-1), nn.Identity(),
                         nn.CrossEntropyLoss(), nn.MSELoss(), nn.ReLU(inplace=True), nn.Flatten(0, 2))
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(),
                                 torch.nn.Sequential(_TorchBlock(), torch.nn.Dropout(0.25)),
                                 torch.nn.ModuleList([torch.nn.Linear(4, 4, bias=False) for _ in range(3)]
                                                     + [torch.nn.Sigmoid()]),
                                 torch.nn.Flatten(), torch.nn.Softmax(dim=1), torch.nn.LogSoftmax(dim=-1),
                                 torch.nn.Identity(), torch.nn.CrossEntropyLoss(), torch.nn.MSELoss(),
                                 torch.nn.ReLU(inplace=True), torch.nn.Flatten(0, 2))
    return ours, theirs


def test_names_match_torch():
    ours, theirs = _models()
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert [n for n, _ in ours[2].named_parameters(recurse=False)] == []
    assert [n for n, _ in ours[2][0].named_parameters(recurse=False)] == ["scale"]
    assert len(list(ours.parameters())) == len(list(theirs.parameters()))
    assert len(list(ours.modules())) == len(list(theirs.modules()))
    assert len(list(ours.children())) == len(list(theirs.children()))


def test_repr_matches_torch():
    ours, theirs = _models()
    assert repr(ours).replace("_Block", "_TorchBlock") == repr(theirs)
    assert repr(nn.ModuleList()) == repr(torch.nn.ModuleList())
    assert repr(nn.Sequential()) == repr(torch.nn.Sequential())
    assert repr(nn.Linear(2, 3, bias=False)) == repr(torch.nn.Linear(2, 3, bias=False))
    assert repr(nn.Softmax()) == repr(torch.nn.Softmax())

    class Custom(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(1, 1)

        def extra_repr(self):
            return "hello\nworld"

    assert repr(Custom()) == "Custom(\n  hello\n  world\n  (a): Linear(in_features=1, out_features=1, bias=True)\n)"
    assert repr(nn.Module()) == "Module()"


def test_state_dict_is_detached_and_shares_memory():
    ours, _ = _models()
    sd = ours.state_dict()
    assert isinstance(sd, OrderedDict)
    weight = ours[0].weight
    assert not sd["0.weight"].requires_grad and type(sd["0.weight"]) is tl.Tensor
    assert sd["0.weight"].data_ptr() == weight.data_ptr()
    assert ours.state_dict(keep_vars=True)["0.weight"] is weight
    assert "2.0.scratch" not in sd and "2.0.running" in sd


def test_load_state_dict_round_trip_and_errors():
    ours, theirs = _models()
    _same_model(theirs, ours)
    for k, v in theirs.state_dict().items():
        np.testing.assert_array_equal(_host(ours.state_dict()[k]), v.numpy())
    # errors: missing, unexpected and size mismatch, all in one message, as torch words it
    o_lin, t_lin = nn.Linear(2, 3), torch.nn.Linear(2, 3)
    o_lin.register_buffer("rb", tl.zeros(2))
    t_lin.register_buffer("rb", torch.zeros(2))
    bad_ours = {"weight": tl.zeros(3, 3), "extra": tl.zeros(1), "sub.x": tl.zeros(1)}
    bad_theirs = {"weight": torch.zeros(3, 3), "extra": torch.zeros(1), "sub.x": torch.zeros(1)}
    err = assert_same_error(lambda: o_lin.load_state_dict(bad_ours), lambda: t_lin.load_state_dict(bad_theirs))
    with pytest.raises(RuntimeError) as expected:
        t_lin.load_state_dict(bad_theirs)
    assert str(err) == str(expected.value).replace("torch.Size", "tl.Size")
    with pytest.raises(RuntimeError) as expected:
        t_lin.load_state_dict(bad_theirs, strict=False)
    with pytest.raises(RuntimeError) as got:
        o_lin.load_state_dict(bad_ours, strict=False)
    assert str(got.value) == str(expected.value).replace("torch.Size", "tl.Size")
    result = o_lin.load_state_dict({"weight": tl.zeros(3, 2)}, strict=False)
    expected_result = t_lin.load_state_dict({"weight": torch.zeros(3, 2)}, strict=False)
    assert repr(result) == repr(expected_result)
    assert repr(o_lin.load_state_dict(o_lin.state_dict())) == "<All keys matched successfully>"
    version = o_lin.weight._version
    o_lin.load_state_dict({"weight": tl.ones(3, 2)}, strict=False)
    assert o_lin.weight._version == version + 1 and o_lin.weight._data.sum() == 6


def test_setattr_registration_and_errors():
    m = nn.Module()
    m.w = nn.Parameter(tl.ones(2))
    m.child = nn.Linear(1, 1)
    m.plain = 3
    assert list(m._parameters) == ["w"] and list(m._modules) == ["child"] and m.plain == 3
    m.w = None  # declared but absent
    assert m.w is None and list(m.state_dict()) == ["child.weight", "child.bias"]
    tm = torch.nn.Module()
    tm.w = torch.nn.Parameter(torch.ones(2))
    tm.child = torch.nn.Linear(1, 1)
    m.w = nn.Parameter(tl.ones(2))

    def assign(module, name, value):
        return lambda: setattr(module, name, value)

    assert_same_error(assign(m, "w", tl.ones(2)), assign(tm, "w", torch.ones(2)), match_message=False)
    assert_same_error(assign(m, "child", 3), assign(tm, "child", 3), match_message=True)
    assert_same_error(lambda: m.nope, lambda: tm.nope, match_message=True)
    assert_same_error(lambda: m.register_buffer("w", tl.ones(1)), lambda: tm.register_buffer("w", torch.ones(1)),
                      match_message=True)
    assert_same_error(lambda: m.register_buffer("a.b", tl.ones(1)), lambda: tm.register_buffer("a.b", torch.ones(1)),
                      match_message=True)
    assert_same_error(lambda: m.register_buffer("c", 3), lambda: tm.register_buffer("c", 3))
    assert_same_error(lambda: m.add_module("x", 3), lambda: tm.add_module("x", 3), match_message=True)
    assert_same_error(lambda: m(1), lambda: torch.nn.Module()(1), match_message=True)
    leaf = tl.ones(1).requires_grad_()
    non_leaf = nn.Parameter(leaf)
    non_leaf.grad_fn = F.Sigmoid.apply(leaf).grad_fn
    with pytest.raises(ValueError, match="Cannot assign non-leaf Tensor to parameter 'z'"):
        m.z = non_leaf
    del m.child
    assert "child" not in m._modules
    assert "w" in dir(m)


def test_train_eval_propagate():
    ours, _ = _models()
    assert ours.training and all(m.training for m in ours.modules())
    assert ours.eval() is ours
    assert not any(m.training for m in ours.modules())
    ours[2].train()
    assert ours[2][1].training and not ours.training
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        ours.train(1)


def test_zero_grad_requires_grad_apply_and_to():
    model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    for p in model.parameters():
        p.grad = tl.ones(p.shape)
    grad = model[0].weight.grad
    model.zero_grad(set_to_none=False)
    assert model[0].weight.grad is grad and not grad._data.any()
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    assert model.requires_grad_(False) is model and not any(p.requires_grad for p in model.parameters())
    model.requires_grad_()
    visited = []
    assert model.apply(lambda m: visited.append(type(m).__name__)) is model
    assert visited == ["Linear", "Linear", "Sequential"]
    weight = model[0].weight
    model[0].weight.grad = tl.ones(3, 2)
    assert model.to(tl.float64) is model
    assert model[0].weight is weight and type(weight) is nn.Parameter and weight.requires_grad
    assert weight.dtype is tl.float64 and weight.grad.dtype is tl.float64 and weight._data.dtype == np.float64
    assert model.to("cpu", dtype=tl.float32)[0].bias.dtype is tl.float32
    assert model.double()[1].weight.dtype is tl.float64
    with pytest.raises(TypeError, match="only accepts floating point"):
        model.to(tl.int64)
    with pytest.raises(RuntimeError):
        model.to("cuda:3")
    loss = nn.CrossEntropyLoss(weight=tl.ones(3))
    loss.to(tl.float64)
    assert loss.weight.dtype is tl.float64 and list(loss.state_dict()) == ["weight"]


@pytest.fixture
def cuda():
    """A CUDA device for one test: the real GPU if there is one, else the simulated one, switched on."""
    was = tl.backend.simulating()
    if not tl.backend.real_gpu_available():
        tl.backend.simulate_cuda(True)
    yield tl.device("cuda", 0)
    tl.backend.simulate_cuda(was)


def _on_gpu(t) -> bool:
    return t.device == "cuda:0" and type(t._data) is not np.ndarray


def test_module_to_a_device_moves_parameters_in_place(cuda):
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    model.register_buffer("running", tl.zeros(3, device="cpu"))
    params = list(model.parameters())
    loss = F.cross_entropy(model.cpu()(tl.ones(2, 4, device="cpu")), tl.tensor([0, 2], device="cpu"))
    loss.backward()
    grads = [p.grad for p in params]
    assert model.cuda() is model
    assert all(p is q for p, q in zip(params, model.parameters()))  # the same objects: an optimizer keeps them
    assert all(_on_gpu(p) and p.grad is g and _on_gpu(g) for p, g in zip(params, grads))
    assert _on_gpu(model.running) and params[0].is_leaf and params[0].requires_grad
    out = model(tl.ones(2, 4, device="cuda"))
    assert _on_gpu(out) and out.grad_fn is not None
    model.to("cuda", tl.float64)
    assert all(p.dtype is tl.float64 and p.grad.dtype is tl.float64 and _on_gpu(p) for p in params)
    with pytest.raises(TypeError, match="bfloat16"):  # refused before anything changes
        model.bfloat16()
    assert all(p.dtype is tl.float64 for p in params)
    assert model.to(tl.float32).cpu() is model
    assert all(p.device == "cpu" and p.grad.device == "cpu" and p.dtype is tl.float32 for p in params)
    assert model.running.device == "cpu"
    # a checkpoint loads across devices, and copies keep the device
    gpu_model = copy.deepcopy(model).cuda()
    gpu_model.load_state_dict(model.state_dict())
    assert all(_on_gpu(p) for p in gpu_model.parameters())
    np.testing.assert_array_equal(_host(gpu_model[0].weight), _host(model[0].weight))
    assert all(_on_gpu(p) and type(p) is nn.Parameter for p in copy.deepcopy(gpu_model).parameters())
    assert all(_on_gpu(p) for p in pickle.loads(pickle.dumps(gpu_model)).parameters())


def test_functional_ops_run_on_the_device(cuda):
    x = tl.randn(6, 5, device="cuda").requires_grad_()
    target = tl.tensor([0, 4, 1, 1, 2, 3], device="cuda")
    for out in (F.relu(x), F.sigmoid(x), F.tanh(x), F.softmax(x, 1), F.log_softmax(x, 0),
                F.linear(x, tl.ones(3, 5, device="cuda"), tl.ones(3, device="cuda")),
                F.dropout(x, 0.5), F.mse_loss(x, tl.zeros(6, 5, device="cuda")),
                F.cross_entropy(x, target, label_smoothing=0.1, weight=tl.ones(5, device="cuda"), ignore_index=1),
                F.cross_entropy(x, F.softmax(x.detach(), 1)), F.nll_loss(F.log_softmax(x, 1), target)):
        assert _on_gpu(out)
        out.sum().backward()
        assert _on_gpu(x.grad)
    assert _on_gpu(F.one_hot(target)) and _on_gpu(nn.Dropout(0.3)(x)) and _on_gpu(F.dropout(x, 1.0))
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        F.cross_entropy(x, target, weight=tl.ones(5, device="cpu"))
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        F.linear(x, tl.ones(3, 5, device="cpu"))
    # a class out of range: the CPU raises torch's IndexError; the GPU reads nothing back, so the loss is NaN
    with pytest.raises(IndexError, match="Target 7 is out of bounds"):
        F.cross_entropy(x.cpu(), tl.tensor([0, 7, 1, 1, 2, 3], device="cpu"))
    assert math.isnan(F.cross_entropy(x, tl.tensor([0, 7, 1, 1, 2, 3], device="cuda")).item())
    # dropout's mask comes from the GPU's own generator, seeded by tl.manual_seed (same numbers as the CPU's)
    tl.manual_seed(0)
    on_gpu = F.dropout(tl.ones(50, 40, device="cuda"), 0.3)
    tl.manual_seed(0)
    np.testing.assert_array_equal(_host(on_gpu), _host(F.dropout(tl.ones(50, 40, device="cpu"), 0.3)))


def test_get_submodule():
    ours, theirs = _models()
    assert ours.get_submodule("2.0.fc") is ours[2][0].fc
    assert ours.get_submodule("") is ours
    assert_same_error(lambda: ours.get_submodule("2.9"), lambda: theirs.get_submodule("2.9"), match_message=True)


# ====================================================================== containers
def test_sequential_indexing_and_forward():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    tseq = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear) and list(seq) == list(seq._modules.values())
    assert repr(seq[1:]) == repr(tseq[1:])  # slices keep the original names
    assert_same_error(lambda: seq[3], lambda: tseq[3], match_message=True)
    assert_same_error(lambda: seq[-4], lambda: tseq[-4], match_message=True)
    seq[1] = nn.Tanh()
    assert isinstance(seq[1], nn.Tanh)
    del seq[0]
    assert list(seq._modules) == ["0", "1"] and isinstance(seq[0], nn.Tanh)
    named = nn.Sequential(OrderedDict([("first", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert list(named.state_dict()) == ["first.weight", "first.bias"]
    _same_model(tseq, nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)))
    ours = _same_model(tseq, nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)))
    x = np.random.default_rng(0).standard_normal((4, 2)).astype(np.float32)
    assert_matches(ours(tl.tensor(x)), tseq(torch.tensor(x)).detach())


def test_module_list():
    layers = nn.ModuleList([nn.Linear(1, 1)])
    layers.append(nn.ReLU())
    layers.extend([nn.Tanh()])
    layers += [nn.Sigmoid()]
    layers.insert(1, nn.Identity())
    assert [type(m).__name__ for m in layers] == ["Linear", "Identity", "ReLU", "Tanh", "Sigmoid"]
    assert len(layers) == 5 and isinstance(layers[-1], nn.Sigmoid) and len(layers[1:3]) == 2
    del layers[1]
    assert list(layers._modules) == ["0", "1", "2", "3"]
    assert [n for n, _ in layers.named_parameters()] == ["0.weight", "0.bias"]
    tl_repeat = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2)])
    torch_repeat = torch.nn.ModuleList([torch.nn.Linear(2, 2), torch.nn.Linear(2, 2), torch.nn.ReLU(),
                                        torch.nn.Linear(2, 2)])
    assert repr(tl_repeat) == repr(torch_repeat)
    with pytest.raises(IndexError, match="index 9 is out of range"):
        layers[9]


# ====================================================================== Linear
def test_linear_init_bounds_and_seed():
    tl.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w, b = _host(layer.weight), _host(layer.bias)
    assert w.shape == (300, 400) and w.dtype == np.float32 and b.shape == (300,)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert abs(w.mean()) < 0.01 * bound and abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound  # uniform
    assert np.abs(w).max() > 0.99 * bound
    tl.manual_seed(0)
    np.testing.assert_array_equal(_host(nn.Linear(400, 300).weight), w)
    assert nn.Linear(2, 3, dtype=tl.float64).weight.dtype is tl.float64
    assert nn.Linear(2, 3, bias=False).bias is None
    assert list(nn.Linear(2, 3, bias=False).state_dict()) == ["weight"]
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        empty = nn.Linear(0, 3)  # torch warns too
    assert empty.weight.shape == (3, 0) and not empty.bias._data.any()


def test_init_functions():
    w = tl.empty(50, 80)
    tl.manual_seed(1)
    nn.init.xavier_uniform_(w)
    a = math.sqrt(6 / 130)
    assert np.abs(_host(w)).max() <= a and np.abs(_host(w)).max() > 0.95 * a
    nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert abs(w._data.std() - math.sqrt(2) / math.sqrt(50)) < 0.01
    nn.init.xavier_normal_(w, gain=2.0)
    assert abs(w._data.std() - 2 * math.sqrt(2 / 130)) < 0.01
    nn.init.normal_(w, 3.0, 0.5)
    assert abs(w._data.mean() - 3.0) < 0.05
    nn.init.uniform_(w, -2, -1)
    assert w._data.min() >= -2 and w._data.max() < -1
    assert nn.init.constant_(w, 0.25) is w and (w._data == 0.25).all()
    assert (nn.init.ones_(w)._data == 1).all() and (nn.init.zeros_(w)._data == 0).all()
    conv = tl.empty(4, 3, 5, 5)
    assert nn.init._calculate_fan_in_and_fan_out(conv) == torch.nn.init._calculate_fan_in_and_fan_out(
        torch.empty(4, 3, 5, 5))
    p = nn.Parameter(tl.zeros(3, 4))
    nn.init.kaiming_uniform_(p)  # works on a leaf that requires grad (init runs under no_grad)
    assert p._data.any() and p.grad_fn is None
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        nn.init.kaiming_uniform_(tl.empty(0, 3))
    for args in [("linear",), ("sigmoid",), ("tanh",), ("relu",), ("leaky_relu",), ("leaky_relu", 0.2), ("selu",),
                 ("conv2d",)]:
        assert nn.init.calculate_gain(*args) == torch.nn.init.calculate_gain(*args)
    assert_same_error(lambda: nn.init.calculate_gain("bogus"), lambda: torch.nn.init.calculate_gain("bogus"),
                      match_message=True)
    assert_same_error(lambda: nn.init.calculate_gain("leaky_relu", True),
                      lambda: torch.nn.init.calculate_gain("leaky_relu", True), match_message=True)
    assert_same_error(lambda: nn.init.xavier_uniform_(tl.empty(3)),
                      lambda: torch.nn.init.xavier_uniform_(torch.empty(3)), match_message=True)
    assert_same_error(lambda: nn.init.kaiming_uniform_(tl.empty(3, 3), mode="fan_on"),
                      lambda: torch.nn.init.kaiming_uniform_(torch.empty(3, 3), mode="fan_on"), match_message=True)


# ====================================================================== elementwise activations
ACTIVATIONS = [(F.relu, TF.relu), (F.sigmoid, torch.sigmoid), (F.tanh, torch.tanh)]


@pytest.mark.parametrize("ours_fn, torch_fn", ACTIVATIONS)
@given(pair=tensor_pairs(dtype_pairs=FLOAT_PAIRS))
def test_activation_forward_and_grad(ours_fn, torch_fn, pair):
    ours, theirs = _leaf(pair)
    out = ours_fn(ours), torch_fn(theirs)
    assert_matches(out[0].detach(), out[1].detach())
    assert out[0].requires_grad and out[0].grad_fn.name() == out[1].grad_fn.name()
    _backward_both(out)
    _assert_grad(ours, theirs)


@pytest.mark.parametrize("ours_fn, torch_fn", ACTIVATIONS)
def test_activation_integer_inputs_and_extremes(ours_fn, torch_fn):
    for values in ([-3, 0, 5], [True, False]):
        if ours_fn is F.relu and isinstance(values[0], bool):
            assert_same_error(lambda v=values: ours_fn(tl.tensor(v)), lambda v=values: torch_fn(torch.tensor(v)),
                              match_message=True)
            continue
        assert_matches(ours_fn(tl.tensor(values)), torch_fn(torch.tensor(values)))
    big = [-1e4, -100.0, -88.5, 0.0, 88.5, 1e4, float("nan")]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warnings leak out
        assert_matches(ours_fn(tl.tensor(big)), torch_fn(torch.tensor(big)))
    assert_matches(ours_fn(tl.tensor(2.5)), torch_fn(torch.tensor(2.5)))  # 0-d stays 0-d


def test_relu_inplace():
    t = tl.tensor([-1.0, 2.0])
    version = t._version
    assert F.relu(t, inplace=True) is t and t.tolist() == [0.0, 2.0] and t._version == version + 1
    leaf_o, leaf_t = _leaf(_t([-1.0, 2.0]))
    assert_same_error(lambda: F.relu(leaf_o, inplace=True), lambda: TF.relu(leaf_t, inplace=True),
                      match_message=True)
    out = nn.ReLU(inplace=True)(F.sigmoid(leaf_o))  # recorded: computed out of place, still differentiable
    out.backward(tl.ones(2))
    assert leaf_o.grad is not None


# ====================================================================== softmax / log_softmax
@pytest.mark.parametrize("ours_fn, torch_fn", [(F.softmax, TF.softmax), (F.log_softmax, TF.log_softmax)])
@given(pair=tensor_pairs(dtype_pairs=FLOAT_PAIRS), data=st.data())
def test_softmax_forward_and_grad(ours_fn, torch_fn, pair, data):
    ours, theirs = _leaf(pair)
    ndim = max(ours.ndim, 1)  # a 0-d tensor takes dim 0 or -1
    dim = data.draw(st.integers(-ndim, ndim - 1))
    out = ours_fn(ours, dim), torch_fn(theirs, dim)
    assert_matches(out[0].detach(), out[1].detach())
    assert out[0].grad_fn.name() == out[1].grad_fn.name()
    _backward_both(out)
    _assert_grad(ours, theirs)


@pytest.mark.parametrize("ours_fn, torch_fn", [(F.softmax, TF.softmax), (F.log_softmax, TF.log_softmax)])
def test_softmax_huge_logits_edge_cases_and_errors(ours_fn, torch_fn):
    huge = [[1000.0, 1001.0, -1000.0], [3e38, 3e38, 0.0], [-1e30, -1e30, -1e30]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_matches(ours_fn(tl.tensor(huge), 1), torch_fn(torch.tensor(huge), 1))
        assert_matches(ours_fn(tl.tensor(huge), 0), torch_fn(torch.tensor(huge), 0))
    assert np.isfinite(_host(ours_fn(tl.tensor(huge), 1))).all()
    assert_matches(ours_fn(tl.tensor(2.0), 0), torch_fn(torch.tensor(2.0), 0))
    assert_matches(ours_fn(tl.zeros(0, 3), 1), torch_fn(torch.zeros(0, 3), 1))
    assert_matches(ours_fn(tl.zeros(3, 0), 1), torch_fn(torch.zeros(3, 0), 1))
    o, t = _leaf(_t([[1.0, 2.0], [3.0, 5.0]]))
    out = ours_fn(o, 1, dtype=tl.float64), torch_fn(t, 1, dtype=torch.float64)
    assert_matches(out[0].detach(), out[1].detach())
    _backward_both(out)
    _assert_grad(o, t)
    for ints, dim in (([[1, 2, 3]], 1), ([[1, 2, 3]], 0)):
        assert_same_error(lambda i=ints, d=dim: ours_fn(tl.tensor(i), d),
                          lambda i=ints, d=dim: torch_fn(torch.tensor(i), d), match_message=True)
    assert_same_error(lambda: ours_fn(tl.ones(2, 2), 2), lambda: torch_fn(torch.ones(2, 2), 2), match_message=True)
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        assert_matches(ours_fn(tl.tensor(huge)), torch_fn(torch.tensor(huge), 1))


def test_softmax_modules():
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    assert_matches(nn.Softmax(dim=-1)(tl.tensor(x)), torch.nn.Softmax(dim=-1)(torch.tensor(x)))
    assert_matches(nn.LogSoftmax(dim=1)(tl.tensor(x)), torch.nn.LogSoftmax(dim=1)(torch.tensor(x)))
    with pytest.warns(UserWarning):
        assert_matches(nn.Softmax()(tl.tensor(x)), torch.softmax(torch.tensor(x), 0))


# ====================================================================== linear
@pytest.mark.parametrize("x_shape", [(5, 3), (3,), (2, 4, 3), (0, 3), (2, 1, 2, 3)])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", [(tl.float32, torch.float32), (tl.float64, torch.float64),
                                   (tl.float16, torch.float16)])
def test_linear_forward_and_grad(x_shape, bias, dtype):
    rng = np.random.default_rng(0)
    x = _leaf(_t(rng.standard_normal(x_shape), dtype))
    w = _leaf(_t(rng.standard_normal((4, 3)), dtype))
    b = _leaf(_t(rng.standard_normal(4), dtype)) if bias else (None, None)
    out = F.linear(x[0], w[0], b[0]), TF.linear(x[1], w[1], b[1])
    tol = 2e-2 if dtype[0] is tl.float16 else None
    assert_matches(out[0].detach(), out[1].detach(), rtol=tol, atol=tol)
    if dtype[0] is not tl.float16:  # torch's CPU half matmul backward is not a fair reference
        _backward_both(out)
        for ours, theirs in (x, w, b) if bias else (x, w):
            _assert_grad(ours, theirs)


def test_linear_layout_and_partial_grads():
    rng = np.random.default_rng(1)
    x = _t(rng.standard_normal((4, 3)).astype(np.float32))
    xt = x[0].permute(1, 0).contiguous().permute(1, 0), x[1].t().contiguous().t()  # column-major input
    w = _leaf(_t(rng.standard_normal((5, 3)).astype(np.float32)))
    out = F.linear(xt[0], w[0]), TF.linear(xt[1], w[1])
    assert_matches(out[0].detach(), out[1].detach())  # includes the contiguous output strides
    _backward_both(out)
    _assert_grad(*w)
    assert xt[0].grad is None
    o, t = nn.Linear(3, 2), torch.nn.Linear(3, 2)
    _same_model(t, o)
    assert o(tl.ones(3)).grad_fn.name() in ("AddmmBackward0", "ViewBackward0")


def test_linear_errors_match_torch():
    cases = [
        ((3, 4), (5, 3), None, None), ((3,), (5, 4), None, None), ((2, 3, 3), (5, 4), None, None),
        ((3, 4), (5, 4), (3,), None), ((3, 4), (5, 4), (4, 5), None), ((3, 4), (5, 4), (2, 3, 5), None),
        ((3, 4), (2, 5, 4), None, None), ((), (5, 4), None, None),
        ((3, 4), (5, 4), None, (torch.float64, torch.float32, None)),
        ((3, 4), (5, 4), (5,), (torch.float32, torch.float32, torch.float16)),
        ((3, 4), (5, 4), None, (torch.int64, torch.float32, None)),
    ]
    for x_shape, w_shape, b_shape, dtypes_ in cases:
        xd, wd, bd = dtypes_ or (torch.float32, torch.float32, torch.float32)
        theirs = [torch.ones(x_shape, dtype=xd), torch.ones(w_shape, dtype=wd),
                  torch.ones(b_shape, dtype=bd or torch.float32) if b_shape else None]
        ours = [tl.tensor(t.numpy()) if t is not None else None for t in theirs]
        assert_same_error(lambda o=ours: F.linear(*o), lambda t=theirs: TF.linear(*t), match_message=True)
    broadcast_bias = F.linear(tl.ones(3, 4), tl.ones(5, 4), tl.ones(3, 5))
    assert broadcast_bias.shape == (3, 5) and (broadcast_bias._data == 5).all()


# ====================================================================== dropout
def test_dropout():
    x = tl.ones(200, 100)
    tl.manual_seed(0)
    out = F.dropout(x, 0.3)
    kept = _host(out) != 0
    assert abs(kept.mean() - 0.7) < 0.02
    np.testing.assert_allclose(_host(out)[kept], 1 / 0.7, rtol=1e-6)
    tl.manual_seed(0)
    np.testing.assert_array_equal(_host(F.dropout(x, 0.3)), _host(out))  # the library's generator
    assert F.dropout(x, 0.3, training=False) is x and F.dropout(x, 0.0) is x
    assert not F.dropout(x, 1.0)._data.any()
    layer = nn.Dropout(0.5)
    assert layer.eval()(x) is x
    leaf = tl.ones(4, 5).requires_grad_()
    y = layer.train()(leaf)
    assert y.grad_fn.name() == "NativeDropoutBackward0"
    y.backward(tl.ones(4, 5))
    np.testing.assert_array_equal(_host(leaf.grad), _host(y))  # the gradient is the mask
    buf = tl.ones(3, 3)
    assert nn.Dropout(0.5, inplace=True)(buf) is buf
    assert_same_error(lambda: nn.Dropout(1.5), lambda: torch.nn.Dropout(1.5), match_message=True)
    assert_same_error(lambda: F.dropout(x, -0.1), lambda: TF.dropout(torch.ones(2), -0.1), match_message=True)
    assert_same_error(lambda: F.dropout(tl.tensor([1, 2]), 0.5), lambda: TF.dropout(torch.tensor([1, 2]), 0.5),
                      match_message=True)


# ====================================================================== flatten / identity
def test_flatten_and_identity():
    x = np.arange(24.0).reshape(2, 3, 4)
    assert_matches(nn.Flatten()(tl.tensor(x)), torch.nn.Flatten()(torch.tensor(x)))
    assert_matches(nn.Flatten(0, 1)(tl.tensor(x)), torch.nn.Flatten(0, 1)(torch.tensor(x)))
    assert repr(nn.Flatten(0, 2)) == repr(torch.nn.Flatten(0, 2))
    assert_same_error(lambda: nn.Flatten()(tl.ones(2)), lambda: torch.nn.Flatten()(torch.ones(2)), match_message=True)
    t = tl.ones(2)
    assert nn.Identity(3, unused=True)(t) is t


# ====================================================================== cross_entropy / nll_loss
def _ce_case(shape, seed=0, n_classes_dim=1, dtype=np.float32, ignore=False):
    rng = np.random.default_rng(seed)
    logits = (rng.standard_normal(shape) * 3).astype(dtype)
    n_classes = shape[n_classes_dim] if len(shape) > 1 else shape[0]
    target_shape = shape[:1] + shape[2:] if len(shape) > 1 else ()
    target = rng.integers(0, n_classes, target_shape)
    if ignore and target.size:
        target.reshape(-1)[::3] = -100
    return logits, target


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(6, 5), (5,), (2, 4, 3), (2, 3, 2, 2), (2, 3, 2, 1, 2), (1, 1)])
@pytest.mark.parametrize("options", [{}, {"label_smoothing": 0.2}, {"weight": True}, {"ignore": True},
                                     {"weight": True, "label_smoothing": 0.1, "ignore": True}])
def test_cross_entropy_class_indices(reduction, shape, options):
    options = dict(options)
    logits, target = _ce_case(shape, ignore=options.pop("ignore", False) and len(shape) > 1)
    n_classes = shape[1] if len(shape) > 1 else shape[0]
    kwargs = {"reduction": reduction, **options}
    o_kwargs, t_kwargs = dict(kwargs), dict(kwargs)
    if options.get("weight"):
        w = np.linspace(0.5, 2.0, n_classes).astype(np.float32)
        o_kwargs["weight"], t_kwargs["weight"] = tl.tensor(w), torch.tensor(w)
    x = _leaf(_t(logits))
    y = _t(target)
    out = F.cross_entropy(x[0], y[0], **o_kwargs), TF.cross_entropy(x[1], y[1], **t_kwargs)
    assert_matches(out[0].detach(), out[1].detach())
    _backward_both(out)
    _assert_grad(*x)
    module = nn.CrossEntropyLoss(**o_kwargs)(x[0].detach(), y[0])
    assert_matches(module, torch.nn.CrossEntropyLoss(**t_kwargs)(x[1].detach(), y[1]))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(4, 5), (5,), (2, 3, 4)])
@pytest.mark.parametrize("options", [{}, {"label_smoothing": 0.3}, {"weight": True}])
def test_cross_entropy_probability_targets(reduction, shape, options):
    rng = np.random.default_rng(3)
    logits = rng.standard_normal(shape).astype(np.float32)
    class_dim = 1 if len(shape) > 1 else 0
    probs = np.exp(rng.standard_normal(shape))
    probs = (probs / probs.sum(axis=class_dim, keepdims=True)).astype(np.float32)
    kwargs = {"reduction": reduction, **options}
    o_kwargs, t_kwargs = dict(kwargs), dict(kwargs)
    if options.get("weight"):
        w = np.linspace(0.5, 2.0, shape[class_dim]).astype(np.float32)
        o_kwargs["weight"], t_kwargs["weight"] = tl.tensor(w), torch.tensor(w)
    x, p = _leaf(_t(logits)), _leaf(_t(probs))
    out = F.cross_entropy(x[0], p[0], **o_kwargs), TF.cross_entropy(x[1], p[1], **t_kwargs)
    assert_matches(out[0].detach(), out[1].detach())
    _backward_both(out)
    _assert_grad(*x)
    _assert_grad(*p)


def test_cross_entropy_values_dtypes_and_edge_cases():
    huge = np.array([[1e4, -1e4, 0.0], [-5e3, 5e3, 5e3]], np.float32)
    target = np.array([1, 2])
    for reduction in ("mean", "sum", "none"):
        assert_matches(F.cross_entropy(tl.tensor(huge), tl.tensor(target), reduction=reduction),
                       TF.cross_entropy(torch.tensor(huge), torch.tensor(target), reduction=reduction))
    assert np.isfinite(_host(F.cross_entropy(tl.tensor(huge), tl.tensor(target))))
    logits, t = _ce_case((4, 3), dtype=np.float64)
    assert_matches(F.cross_entropy(tl.tensor(logits), tl.tensor(t)), TF.cross_entropy(torch.tensor(logits),
                                                                                      torch.tensor(t)))
    o16 = F.cross_entropy(tl.tensor(logits).half(), tl.tensor(t))
    assert_matches(o16, TF.cross_entropy(torch.tensor(logits).half(), torch.tensor(t)), rtol=2e-3, atol=2e-3)
    assert_matches(F.cross_entropy(tl.tensor(logits), tl.tensor(t).to(tl.uint8)),
                   TF.cross_entropy(torch.tensor(logits), torch.tensor(t).to(torch.uint8)))
    all_ignored = tl.tensor([-100, -100, -100, -100])
    assert_matches(F.cross_entropy(tl.tensor(logits), all_ignored),
                   TF.cross_entropy(torch.tensor(logits), torch.full((4,), -100)))
    assert_matches(F.cross_entropy(tl.zeros(0, 3), tl.zeros(0, dtype=tl.int64), reduction="sum"),
                   TF.cross_entropy(torch.zeros(0, 3), torch.zeros(0, dtype=torch.int64), reduction="sum"))
    assert_matches(F.cross_entropy(tl.tensor(logits), tl.tensor([0, 2, 1, 0]), ignore_index=2),
                   TF.cross_entropy(torch.tensor(logits), torch.tensor([0, 2, 1, 0]), ignore_index=2))
    probs64 = np.full((4, 3), 1 / 3)
    assert_matches(F.cross_entropy(tl.tensor(logits).float(), tl.tensor(probs64)),  # float64 loss of float32 math
                   TF.cross_entropy(torch.tensor(logits).float(), torch.tensor(probs64)), rtol=1e-6, atol=1e-6)
    x = tl.tensor(logits).float().requires_grad_()
    loss = F.cross_entropy(x, tl.tensor(t))
    assert loss.grad_fn.name() == "NllLossBackward0"
    with pytest.warns(UserWarning, match="deprecated"):
        assert nn.CrossEntropyLoss(size_average=False).reduction == "sum"
    with pytest.warns(UserWarning, match="deprecated"):
        F.cross_entropy(tl.tensor(logits), tl.tensor(t), reduce=False)


CE_ERRORS = [
    ((3, 5), np.array([1, 2, 3], np.int32), {}),
    ((3, 5), np.array([1, 2]), {}),
    ((3, 5), np.array([1, 2, 7]), {}),
    ((3, 5), np.array([1, 2, -1]), {}),
    ((3, 5), np.array([1, 2, -5]), {"label_smoothing": 0.1}),
    ((3, 5), np.array([[1, 2, 3]]), {}),
    ((3, 5), np.array(1), {}),
    ((3, 5), np.array([1.0, 2.0, 3.0], np.float32), {}),
    ((3, 5), np.zeros((3, 5), np.int64), {}),
    ((3, 5), np.zeros((3, 5), np.float32), {"ignore_index": 1}),
    ((3, 5), np.zeros((3, 4), np.float32), {}),
    ((3, 5), np.array([1, 2, 3]), {"reduction": "bogus"}),
    ((3, 5), np.array([1, 2, 3]), {"label_smoothing": 1.5}),
    ((3, 5), np.zeros((3, 5), np.float32), {"label_smoothing": 1.5}),
    ((3, 5), np.array([1, 2, 3]), {"weight": np.ones(4, np.float32)}),
    ((3, 5), np.array([1, 2, 3]), {"weight": np.ones(5, np.float64)}),
    ((3, 5), np.zeros((3, 5), np.float32), {"weight": np.ones(4, np.float32)}),
    ((5,), np.array([1, 2]), {}),
    ((5,), np.array([[1]]), {}),
    ((), np.array(1), {}),
    ((2, 5, 3), np.zeros((2, 3), np.int32), {}),
    ((2, 5, 3), np.zeros((3, 3), np.int64), {}),
    ((2, 5, 3, 4), np.zeros((2, 3), np.int64), {}),
    ((2, 5, 3, 4), np.zeros((2, 3, 5), np.int64), {}),
    ((2, 5, 3, 4, 2), np.zeros((2, 3, 5, 2), np.int64), {}),
    ((2, 5, 3), np.array([[1, 2, 7], [0, 0, 0]]), {}),
]


@pytest.mark.parametrize("shape, target, kwargs", CE_ERRORS)
def test_cross_entropy_errors_match_torch(shape, target, kwargs):
    logits = np.zeros(shape, np.float32)
    if tl.get_default_device().type == "cuda" and _classes_out_of_range(shape, target):
        # on a GPU the targets are not read back (a wait at every loss): a bad class gives a NaN loss
        o_kwargs = {k: (tl.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in kwargs.items()}
        assert math.isnan(F.cross_entropy(tl.tensor(logits), tl.tensor(target), **o_kwargs).item())
        return
    o_kwargs = {k: (tl.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in kwargs.items()}
    t_kwargs = {k: (torch.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in kwargs.items()}
    assert_same_error(lambda: F.cross_entropy(tl.tensor(logits), tl.tensor(target), **o_kwargs),
                      lambda: TF.cross_entropy(torch.tensor(logits), torch.tensor(target), **t_kwargs),
                      match_message=True)


def _classes_out_of_range(shape, target) -> bool:
    """A well-formed class-index target whose classes fall outside ``range(C)`` (and are not -100)."""
    if len(shape) < 2 or target.dtype != np.int64 or target.shape != shape[:1] + shape[2:]:
        return False
    return bool(((target < 0) | (target >= shape[1])).any())


def test_cross_entropy_integer_logits_and_bad_types():
    for shape in ((3, 5), (3, 5, 2)):
        target = np.zeros((3,) + shape[2:], np.int64)
        assert_same_error(lambda s=shape, t=target: F.cross_entropy(tl.zeros(s, dtype=tl.int32), tl.tensor(t)),
                          lambda s=shape, t=target: TF.cross_entropy(torch.zeros(s, dtype=torch.int32),
                                                                     torch.tensor(t)), match_message=True)
    assert_same_error(lambda: F.cross_entropy(tl.zeros(3, 5), [1, 2, 3]),
                      lambda: TF.cross_entropy(torch.zeros(3, 5), [1, 2, 3]), match_message=True)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(6, 5), (5,), (2, 4, 3), (2, 3, 2, 2)])
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss_matches_torch(reduction, shape, weighted):
    logits, target = _ce_case(shape, seed=2, ignore=len(shape) > 1)
    x = _leaf(_t(logits))
    n_classes = shape[1] if len(shape) > 1 else shape[0]
    w = np.linspace(0.5, 2.0, n_classes).astype(np.float32) if weighted else None
    out = (F.nll_loss(x[0], tl.tensor(target), weight=None if w is None else tl.tensor(w), reduction=reduction),
           TF.nll_loss(x[1], torch.tensor(target), weight=None if w is None else torch.tensor(w), reduction=reduction))
    assert_matches(out[0].detach(), out[1].detach())
    _backward_both(out)
    _assert_grad(*x)
    assert_matches(nn.NLLLoss(reduction=reduction)(tl.tensor(logits), tl.tensor(target)),
                   torch.nn.NLLLoss(reduction=reduction)(torch.tensor(logits), torch.tensor(target)))
    assert_same_error(lambda: F.nll_loss(tl.tensor(1.0), tl.tensor(1)),
                      lambda: TF.nll_loss(torch.tensor(1.0), torch.tensor(1)), match_message=True)
    assert_same_error(lambda: F.nll_loss(tl.zeros(3, 5, dtype=tl.int32), tl.tensor([1, 2, 3])),
                      lambda: TF.nll_loss(torch.zeros(3, 5, dtype=torch.int32), torch.tensor([1, 2, 3])),
                      match_message=True)


# ====================================================================== mse_loss
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@given(pair=tensor_pairs(dtype_pairs=FLOAT_PAIRS), data=st.data())
def test_mse_loss_matches_torch(reduction, pair, data):
    x = _leaf(pair)
    target_values = data.draw(st.integers(0, 2**32 - 1))
    t_np = np.random.default_rng(target_values).integers(-8, 8, tuple(x[1].shape)) / 4.0
    t = _leaf(_t(t_np, (x[0].dtype, x[1].dtype)))
    out = F.mse_loss(x[0], t[0], reduction=reduction), TF.mse_loss(x[1], t[1], reduction=reduction)
    tol = 2e-2 if x[0].dtype in (tl.float16, tl.bfloat16) else None
    assert_matches(out[0].detach(), out[1].detach(), rtol=tol, atol=tol)
    if out[0].numel():
        _backward_both(out)
        _assert_grad(*x)
        _assert_grad(*t)


def test_mse_loss_broadcast_dtypes_and_errors():
    x = _leaf(_t(np.arange(6.0, dtype=np.float32).reshape(2, 3)))
    t = _leaf(_t(np.array([1.0, 0.0, -1.0], np.float32)))
    with pytest.warns(UserWarning, match="Using a target size"):
        ours = F.mse_loss(x[0], t[0])
    with pytest.warns(UserWarning):
        theirs = TF.mse_loss(x[1], t[1])
    assert_matches(ours.detach(), theirs.detach())
    _backward_both((ours, theirs))
    _assert_grad(*x)
    _assert_grad(*t)
    assert_matches(F.mse_loss(tl.tensor([1.0, 2.0]), tl.tensor([1, 5])),
                   TF.mse_loss(torch.tensor([1.0, 2.0]), torch.tensor([1, 5])))
    assert_matches(F.mse_loss(tl.tensor([1.0, 2.0]).half(), tl.tensor([1.5, 5.0]).half()),
                   TF.mse_loss(torch.tensor([1.0, 2.0]).half(), torch.tensor([1.5, 5.0]).half()))
    assert_matches(F.mse_loss(tl.zeros(0), tl.zeros(0)), TF.mse_loss(torch.zeros(0), torch.zeros(0)))
    assert_matches(nn.MSELoss(reduction="sum")(tl.ones(3), tl.zeros(3)),
                   torch.nn.MSELoss(reduction="sum")(torch.ones(3), torch.zeros(3)))
    assert_same_error(lambda: F.mse_loss(tl.tensor([1, 2]), tl.tensor([1, 2])),
                      lambda: TF.mse_loss(torch.tensor([1, 2]), torch.tensor([1, 2])), match_message=True)
    assert_same_error(lambda: F.mse_loss(tl.ones(3), tl.ones(3), reduction="bad"),
                      lambda: TF.mse_loss(torch.ones(3), torch.ones(3), reduction="bad"), match_message=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same_error(lambda: F.mse_loss(tl.ones(3, 5), tl.ones(4)),
                          lambda: TF.mse_loss(torch.ones(3, 5), torch.ones(4)), match_message=True)


# ====================================================================== one_hot
def test_one_hot_matches_torch():
    for values, n in (([1, 2, 3], -1), ([1, 2, 3], 5), ([[1], [2]], 4), ([], 3), (2, 3), ([0, 0], -1)):
        assert_matches(F.one_hot(tl.tensor(values, dtype=tl.int64), n),
                       TF.one_hot(torch.tensor(values, dtype=torch.int64), n))
    assert_matches(F.one_hot(tl.tensor([1, 2]), num_classes=tl.tensor(4)),
                   TF.one_hot(torch.tensor([1, 2]), num_classes=torch.tensor(4)))
    # the label checks read the labels: torch makes them on the CPU only (on CUDA they would wait for the GPU)
    value_checks = [([1, 2, 3], 2, None), ([1, -2, 3], 5, None), ([1, 2], 0, None)] if TEST_DEVICE == "cpu" else []
    for values, n, dtype in value_checks + [([1, 2, 3], 5, "int32"), ([1.0, 2.0], 5, None), ([], -1, "int64"),
                                            ([], 0, "int64"), ([1, 2], 1.5, None), ([True], 4, None)]:
        ours = tl.tensor(np.array(values, dtype=dtype) if dtype else values)
        theirs = torch.tensor(np.array(values, dtype=dtype) if dtype else values)
        assert_same_error(lambda o=ours, k=n: F.one_hot(o, k), lambda t=theirs, k=n: TF.one_hot(t, k),
                          match_message=True)
    if TEST_DEVICE != "cpu":  # torch's CUDA rules: num_classes must be positive; a label out of range is not read
        with pytest.raises(RuntimeError, match="^num_classes should be positive$"):
            F.one_hot(tl.tensor([1, 2]), 0)
        np.testing.assert_array_equal(to_numpy(F.one_hot(tl.tensor([1, -2, 3]), 3)), [[0, 1, 0], [0, 0, 0], [0, 0, 0]])


# ====================================================================== a whole model
def test_mlp_forward_backward_matches_torch():
    """The chapter's end-to-end check: same weights, same batch -> same loss and same gradients."""
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 16), torch.nn.Tanh(),
                                 torch.nn.Linear(16, 4))
    ours = _same_model(theirs, nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh(),
                                             nn.Linear(16, 4)))
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((32, 8)).astype(np.float32), rng.integers(0, 4, 32)
    loss_ours = nn.CrossEntropyLoss()(ours(tl.tensor(x)), tl.tensor(y))
    loss_theirs = torch.nn.CrossEntropyLoss()(theirs(torch.tensor(x)), torch.tensor(y))
    assert_matches(loss_ours.detach(), loss_theirs.detach())
    loss_ours.backward()
    loss_theirs.backward()
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(_host(p.grad), to_numpy(q.grad), rtol=1e-4, atol=1e-6, err_msg=name)


# ====================================================================== backward(create_graph=True)
def _pair_fn(name, **kwargs):
    """``F.name`` and ``torch.nn.functional.name`` with the same keyword arguments."""
    def convert(lib):
        return {k: (lib.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in kwargs.items()}

    return (lambda *a: getattr(F, name)(*a, **convert(tl)), lambda *a: getattr(TF, name)(*a, **convert(torch)))


_RNG = np.random.default_rng(7)
_X = _RNG.standard_normal((4, 5)).astype(np.float32)
_X3 = _RNG.standard_normal((2, 5, 3)).astype(np.float32)
_Y = _RNG.integers(0, 5, 4)
_P = _RNG.random((4, 5)).astype(np.float32)
_W5 = np.linspace(0.5, 2, 5).astype(np.float32)
CREATE_GRAPH_CASES = [
    ("relu", *_pair_fn("relu"), [_X]),
    ("sigmoid", *_pair_fn("sigmoid"), [_X]),
    ("tanh", *_pair_fn("tanh"), [_X]),
    ("softmax", *_pair_fn("softmax", dim=1), [_X]),
    ("log_softmax", *_pair_fn("log_softmax", dim=0), [_X]),
    ("softmax-0d", *_pair_fn("softmax", dim=0), [np.array(1.5, np.float32)]),
    ("linear", *_pair_fn("linear"), [_X, _X[:3], _X[0, :3]]),
    ("linear-3d", *_pair_fn("linear"), [_X3.transpose(0, 2, 1).copy(), _X[:3], _X[0, :3]]),
    ("linear-1d", *_pair_fn("linear"), [_X[0], _X[:3], _X[0, :3]]),
    ("mse", *_pair_fn("mse_loss"), [_X, _P]),
    ("mse-none", *_pair_fn("mse_loss", reduction="none"), [_X, _P]),
    ("ce-mean", *_pair_fn("cross_entropy"), [_X, _Y]),
    ("ce-sum-smoothing", *_pair_fn("cross_entropy", reduction="sum", label_smoothing=0.2), [_X, _Y]),
    ("ce-weighted-ignore", *_pair_fn("cross_entropy", weight=_W5, ignore_index=_Y[0]), [_X, _Y]),
    ("ce-none-probabilities", *_pair_fn("cross_entropy", reduction="none", label_smoothing=0.1), [_X, _P]),
    ("ce-3d-none", *_pair_fn("cross_entropy", reduction="none"), [_X3, np.array([[0, 4, 2], [1, 1, 3]])]),
    ("ce-3d-weighted-probabilities", *_pair_fn("cross_entropy", weight=_W5), [_X3, _X3**2]),
    ("ce-1d", *_pair_fn("cross_entropy", reduction="none"), [_X[0], np.array(2)]),
    ("nll", *_pair_fn("nll_loss", reduction="none"), [_X, _Y]),
]


@pytest.mark.parametrize("name, ours_fn, torch_fn, arrays", CREATE_GRAPH_CASES, ids=[c[0] for c in CREATE_GRAPH_CASES])
def test_create_graph_backward_formulas(name, ours_fn, torch_fn, arrays):
    """With create_graph=True each fused Function takes its tensor-op branch: same gradients as torch."""
    ours = [tl.tensor(a).requires_grad_() if a.dtype.kind == "f" else tl.tensor(a) for a in arrays]
    theirs = [torch.tensor(a).requires_grad_() if a.dtype.kind == "f" else torch.tensor(a) for a in arrays]
    out_o, out_t = ours_fn(*ours), torch_fn(*theirs)
    g = np.random.default_rng(0).standard_normal(tuple(out_t.shape)).astype(np.float32)
    grads_o = tl.autograd.grad(out_o, [t for t in ours if t.requires_grad], tl.tensor(g), create_graph=True)
    grads_t = torch.autograd.grad(out_t, [t for t in theirs if t.requires_grad], torch.tensor(g), create_graph=True)
    for a, b in zip(grads_o, grads_t):
        assert_matches(a.detach(), b.detach(), check_stride=False)


@pytest.mark.parametrize("name", ["sigmoid", "softmax", "ce-mean", "linear"])
def test_second_derivatives(name):
    _, ours_fn, torch_fn, arrays = next(c for c in CREATE_GRAPH_CASES if c[0] == name)
    ours = [tl.tensor(a).requires_grad_() if a.dtype.kind == "f" else tl.tensor(a) for a in arrays]
    theirs = [torch.tensor(a).requires_grad_() if a.dtype.kind == "f" else torch.tensor(a) for a in arrays]
    out_o, out_t = ours_fn(*ours), torch_fn(*theirs)
    g = np.random.default_rng(0).standard_normal(tuple(out_t.shape)).astype(np.float32)
    leaves_o = [t for t in ours if t.requires_grad]
    leaves_t = [t for t in theirs if t.requires_grad]
    firsts_o = tl.autograd.grad(out_o, leaves_o, tl.tensor(g), create_graph=True)
    firsts_t = torch.autograd.grad(out_t, leaves_t, torch.tensor(g), create_graph=True)
    rng = np.random.default_rng(1)
    vs = [rng.standard_normal(tuple(f.shape)).astype(np.float32) for f in firsts_t]
    tl.autograd.backward([f for f in firsts_o if f.requires_grad],
                         [tl.tensor(v) for f, v in zip(firsts_o, vs) if f.requires_grad])
    torch.autograd.backward([f for f in firsts_t if f.requires_grad],
                            [torch.tensor(v) for f, v in zip(firsts_t, vs) if f.requires_grad])
    for o, t in zip(leaves_o, leaves_t):
        if t.grad is None:
            assert o.grad is None or not o.grad._data.any()
        else:
            _assert_grad(o, t, tol=1e-4)


# ====================================================================== tl.softmax / Tensor.softmax (torch.softmax)
TOP_LEVEL_SOFTMAX = [
    ("tl.softmax", lambda x, d: tl.softmax(x, d), lambda x, d: torch.softmax(x, d)),
    ("tl.log_softmax", lambda x, d: tl.log_softmax(x, d), lambda x, d: torch.log_softmax(x, d)),
    ("Tensor.softmax", lambda x, d: x.softmax(d), lambda x, d: x.softmax(d)),
    ("Tensor.log_softmax", lambda x, d: x.log_softmax(dim=d), lambda x, d: x.log_softmax(dim=d)),
]


@pytest.mark.parametrize("name, ours_fn, torch_fn", TOP_LEVEL_SOFTMAX, ids=[c[0] for c in TOP_LEVEL_SOFTMAX])
@given(pair=tensor_pairs(dtype_pairs=FLOAT_PAIRS), data=st.data())
def test_top_level_softmax_forward_and_grad(name, ours_fn, torch_fn, pair, data):
    """``torch.softmax(x, dim)`` and ``x.softmax(dim)``: F.softmax's values and gradient, and no warning."""
    ours, theirs = _leaf(pair)
    ndim = max(ours.ndim, 1)
    dim = data.draw(st.integers(-ndim, ndim - 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = ours_fn(ours, dim), torch_fn(theirs, dim)
    assert_matches(out[0].detach(), out[1].detach())
    assert out[0].grad_fn.name() == out[1].grad_fn.name()
    _backward_both(out)
    _assert_grad(ours, theirs)


@pytest.mark.parametrize("call", [
    lambda lib, x: lib.softmax(x, 1, dtype=lib.float64),  # dtype=: computed (and returned) in float64
    lambda lib, x: x.log_softmax(0, lib.float64),
    lambda lib, x: lib.softmax(x.t(), 1),
    lambda lib, x: lib.log_softmax(x, dim=-1),
    lambda lib, x: lib.softmax(input=x, dim=0),
    lambda lib, x: x.softmax(np.int64(1)),
    lambda lib, x: x.softmax(lib.tensor(0)),  # a 0-d integer tensor is an int to torch
], ids=lambda f: "")
def test_top_level_softmax_arguments(call):
    """Keyword arguments, dtype=, transposed input: torch's result and torch's gradient."""
    ours, theirs = _leaf(_t([[1.0, 2.0, 0.5], [3.0, 5.0, -1.0]]))
    out = call(tl, ours), call(torch, theirs)
    assert_matches(out[0].detach(), out[1].detach())
    _backward_both(out)
    _assert_grad(ours, theirs)


@pytest.mark.parametrize("call", [
    lambda lib, x: lib.softmax(x),  # torch's top-level softmax has no implicit dim (F.softmax warns instead)
    lambda lib, x: lib.log_softmax(x),
    lambda lib, x: x.softmax(),
    lambda lib, x: x.log_softmax(),
    lambda lib, x: lib.softmax(x, None),
    lambda lib, x: x.softmax(None),
    lambda lib, x: lib.softmax(x, 1.0),
    lambda lib, x: x.log_softmax(1.0),
    lambda lib, x: lib.softmax(x, True),
    lambda lib, x: lib.softmax(x, "a"),
    lambda lib, x: x.softmax(lib.tensor(0.0)),
    lambda lib, x: lib.softmax(x, 2),
    lambda lib, x: x.log_softmax(-3),
    lambda lib, x: lib.softmax(x.long(), 1),
    lambda lib, x: x.long().log_softmax(0),
    lambda lib, x: lib.softmax(x.bool(), 1),
    lambda lib, x: lib.softmax(x, 1, lib.int64),
    lambda lib, x: lib.softmax([1.0, 2.0], 0),
    lambda lib, x: lib.log_softmax(3.0, 0),
], ids=lambda f: "")
def test_top_level_softmax_errors_match_torch(call):
    assert_same_error(lambda: call(tl, tl.ones(2, 2)), lambda: call(torch, torch.ones(2, 2)), match_message=True)


def test_top_level_softmax_second_derivative():
    """The gradient is F.softmax's Function, so backward(create_graph=True) works through it too."""
    o, t = _leaf(_t(_X))
    g = np.random.default_rng(0).standard_normal(_X.shape).astype(np.float32)
    (first_o,) = tl.autograd.grad(o.log_softmax(1) * tl.softmax(o, 0), [o], tl.tensor(g), create_graph=True)
    (first_t,) = torch.autograd.grad(t.log_softmax(1) * torch.softmax(t, 0), [t], torch.tensor(g), create_graph=True)
    (first_o ** 2).sum().backward()
    (first_t ** 2).sum().backward()
    _assert_grad(o, t, tol=1e-4)


# ====================================================================== one_hot: a new row-major tensor
@pytest.mark.parametrize("layout", [
    lambda t: t.permute(2, 0, 1),
    lambda t: t.transpose(0, 2),
    lambda t: t[:, ::2, 1:],
    lambda t: t[:, :1, :].expand(2, 3, 4),
    lambda t: t[0].t(),
    lambda t: t[0, :, ::3],
    lambda t: t[1, 2, 3],
    lambda t: t[:, :0].permute(2, 1, 0),
], ids=["permuted", "transposed", "sliced", "expanded", "2-d transposed", "stepped", "0-d", "empty permuted"])
@pytest.mark.parametrize("num_classes", [-1, 6])
def test_one_hot_of_a_view_is_contiguous_as_in_torch(layout, num_classes):
    """torch's one_hot is contiguous, shape ``input.shape + (num_classes,)``, whatever the input's layout."""
    values = np.arange(24).reshape(2, 3, 4) % 5
    ours, theirs = layout(tl.tensor(values)), layout(torch.tensor(values))
    if ours.numel() == 0 and num_classes == -1:
        num_classes = 5
    out = F.one_hot(ours, num_classes)
    assert_matches(out, TF.one_hot(theirs, num_classes))
    assert out.is_contiguous() and out.stride() == TF.one_hot(theirs, num_classes).stride()
