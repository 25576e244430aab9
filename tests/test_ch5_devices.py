"""Chapter 5 (GPU): device semantics, checked on the simulated CUDA device (CI has no GPU).

The simulated device keeps every rule of a real one (tensors on different devices
don't mix, ``.numpy()`` refuses GPU memory, ``.to()`` copies), so these tests hold
for a real GPU too; the ``gpu``-marked tests at the end run on a real NVIDIA GPU
and skip, saying why, everywhere else.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import tinygrad_lessons as tl
from tinygrad_lessons import backend

REAL_GPU = backend.real_gpu_available()
needs_gpu = pytest.mark.skipif(not REAL_GPU, reason="needs a real NVIDIA GPU with CuPy (none found on this machine)")


@pytest.fixture
def cuda():
    """The simulated CUDA device, switched on for one test (unless a real GPU is there)."""
    was = backend.simulating()
    if not REAL_GPU:
        backend.simulate_cuda(True)
    yield tl.device("cuda", 0)
    backend.simulate_cuda(was)


@pytest.fixture
def no_cuda():
    if REAL_GPU:
        pytest.skip("this machine has a real GPU: the no-GPU messages can't be seen here")
    was = backend.simulating()
    backend.simulate_cuda(False)
    yield
    backend.simulate_cuda(was)


def on_gpu_memory(t) -> bool:
    """Whether the tensor's memory is GPU memory (CuPy) or the simulated GPU's (its NumPy subclass)."""
    return type(t._data) is not np.ndarray and backend.array_module(t._data) is not np


# ---------------------------------------------------------------------- without a GPU
def test_ch5_cuda_unavailable_says_what_to_do(no_cuda):
    assert tl.cuda.is_available() is False
    assert tl.cuda.device_count() == 0
    with pytest.raises(RuntimeError, match="CUDA is not available") as error:
        tl.zeros(2, device="cuda")
    assert "Runtime › Change runtime type" in str(error.value)
    assert "TINYGRAD_LESSONS_SIMULATE_CUDA=1" in str(error.value)
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        tl.ones(2).cuda()


def test_ch5_mps_is_never_available():
    assert tl.backends.mps.is_available() is False
    with pytest.raises(RuntimeError, match="no Metal"):
        tl.zeros(2, device="mps")
    assert tl.device("mps") == "mps"  # the device *name* exists, as in torch


def test_ch5_device_objects_compare_like_torch():
    assert tl.device("cuda:0") == tl.device("cuda", 0) == "cuda:0"
    assert repr(tl.device("cuda:1")) == repr(torch.device("cuda:1")).replace("torch.", "")
    assert str(tl.device("cuda")) == "cuda"
    with pytest.raises(RuntimeError, match="Invalid device string"):
        tl.device("cuda:x")


# ---------------------------------------------------------------------- the cuda API
def test_ch5_cuda_api(cuda):
    assert tl.cuda.is_available() and tl.cuda.device_count() >= 1
    props = tl.cuda.get_device_properties(0)
    assert props.total_memory > 0 and props.name == tl.cuda.get_device_name(0)
    before = tl.cuda.synchronize_count()
    tl.cuda.synchronize()
    assert tl.cuda.synchronize_count() == before + 1
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        tl.zeros(1, device=f"cuda:{tl.cuda.device_count()}")


def test_ch5_cuda_events_time_gpu_work(cuda):
    start, end = tl.cuda.Event(enable_timing=True), tl.cuda.Event(enable_timing=True)
    start.record()
    (tl.ones(64, 64, device="cuda") @ tl.ones(64, 64, device="cuda")).sum()
    end.record()
    end.synchronize()
    assert start.elapsed_time(end) >= 0.0
    with pytest.raises(RuntimeError, match="enable_timing=True"):
        tl.cuda.Event().elapsed_time(end)


def test_ch5_manual_seed_makes_gpu_randomness_repeatable(cuda):
    tl.manual_seed(3)
    a = tl.randn(5, device="cuda")
    tl.cuda.manual_seed(3)
    b = tl.randn(5, device="cuda")
    tl.manual_seed(3)
    c = tl.randn(5, device="cuda")
    assert a.device == "cuda:0" and on_gpu_memory(a)
    assert tl.equal(a, c)
    assert tl.equal(a, b)


# ---------------------------------------------------------------------- making and moving tensors
FACTORIES = {
    "tensor": lambda **kw: tl.tensor([[1.0, 2.0], [3.0, 4.0]], **kw),
    "zeros": lambda **kw: tl.zeros(2, 3, **kw),
    "ones": lambda **kw: tl.ones(2, 3, **kw),
    "full": lambda **kw: tl.full((2, 3), 7.0, **kw),
    "empty": lambda **kw: tl.empty(2, 3, **kw).zero_(),
    "eye": lambda **kw: tl.eye(3, **kw),
    "arange": lambda **kw: tl.arange(0, 10, 3, **kw),
    "linspace": lambda **kw: tl.linspace(0, 1, 5, **kw),
    "rand": lambda **kw: tl.rand(2, 3, **kw),
    "randint": lambda **kw: tl.randint(0, 9, (4,), **kw),
    "randperm": lambda **kw: tl.randperm(6, **kw),
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_ch5_factories_take_device(cuda, name):
    t = FACTORIES[name](device="cuda")
    assert t.device == tl.device("cuda", 0) and t.is_cuda and on_gpu_memory(t)
    if name not in ("rand", "randint", "randperm"):  # the GPU has its own random generator
        reference = FACTORIES[name]()
        assert t.dtype is reference.dtype and t.stride() == reference.stride()
        assert t.tolist() == reference.tolist()


@pytest.mark.parametrize("like", ["zeros_like", "ones_like", "empty_like", "rand_like", "randn_like"])
def test_ch5_like_functions_keep_the_device(cuda, like):
    x = tl.ones(3, 2, device="cuda").T
    y = getattr(tl, like)(x)
    assert y.device == "cuda:0" and on_gpu_memory(y) and y.stride() == x.stride()
    assert getattr(tl, like)(x, device="cpu").device == "cpu"
    assert x.new_zeros(2).device == "cuda:0" and x.new_tensor([1]).device == "cuda:0"


def test_ch5_to_and_back_copies(cuda):
    cpu = tl.arange(6.0).view(2, 3).T
    gpu = cpu.to("cuda")
    assert gpu.device == "cuda:0" and gpu.stride() == cpu.stride() and gpu.tolist() == cpu.tolist()
    assert gpu.to("cuda") is gpu and gpu.cuda() is gpu and cpu.cpu() is cpu
    back = gpu.cpu()
    assert back.device == "cpu" and type(back._data) is np.ndarray
    back[0, 0] = 100.0  # a copy: the GPU tensor does not change
    assert gpu[0, 0].item() == 0.0
    half = cpu.to("cuda", tl.float16)
    assert half.dtype is tl.float16 and half.device == "cuda:0"
    assert gpu.get_device() == 0 and cpu.get_device() == -1


def test_ch5_gradients_flow_back_across_devices(cuda):
    w = tl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    loss = (w.to("cuda") * 2).sum()
    assert repr(loss.grad_fn) .startswith("<SumBackward0")
    loss.backward()
    assert w.grad.device == "cpu" and w.grad.tolist() == [2.0, 2.0, 2.0]


def test_ch5_printing_shows_the_device_as_torch_does(cuda):
    assert repr(tl.tensor([1.0, 2.0], device="cuda")) == "tensor([1., 2.], device='cuda:0')"
    assert repr(tl.tensor([1, 2], dtype=tl.int32, device="cuda")) == "tensor([1, 2], device='cuda:0', dtype=tl.int32)"
    assert repr(tl.ones(1, device="cuda", requires_grad=True)) == (
        "tensor([1.], device='cuda:0', requires_grad=True)")


# ---------------------------------------------------------------------- the device rules, in torch's words
def test_ch5_mixing_devices_is_torchs_error(cuda):
    a, b = tl.ones(2, device="cuda"), tl.ones(2)
    message = "Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!"
    for op in (lambda: a + b, lambda: a * b, lambda: tl.matmul(a, b), lambda: tl.cat([a, b]),
               lambda: tl.where(a > 0, a, b)):
        with pytest.raises(RuntimeError) as error:
            op()
        assert str(error.value) in (message, message.replace("cuda:0 and cpu", "cpu and cuda:0"))


def test_ch5_zero_dim_cpu_tensors_may_join_gpu_tensors(cuda):
    a = tl.ones(2, device="cuda")
    out = a * tl.tensor(3.0)
    assert out.device == "cuda:0" and out.tolist() == [3.0, 3.0]


def test_ch5_numpy_refuses_gpu_memory(cuda):
    t = tl.ones(2, device="cuda")
    message = ("can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host "
               "memory first.")
    with pytest.raises(TypeError) as error:
        t.numpy()
    assert str(error.value) == message
    with pytest.raises(TypeError):
        np.asarray(t)
    assert t.cpu().numpy().tolist() == [1.0, 1.0]
    assert t.sum().item() == 2.0  # reading a value copies it to the host, as torch does


def test_ch5_bfloat16_stays_off_the_gpu(cuda):
    with pytest.raises(TypeError, match="no bfloat16"):
        tl.ones(2, dtype=tl.bfloat16, device="cuda")
    with pytest.raises(TypeError, match="no bfloat16"):
        tl.ones(2, dtype=tl.bfloat16).cuda()


def test_ch5_default_device(cuda):
    tl.set_default_device("cuda")
    try:
        assert tl.zeros(2).device == "cuda:0" and tl.tensor([1]).device == "cuda:0"
        assert tl.from_numpy(np.ones(2)).device == "cpu"  # shares the array's (CPU) memory, as in torch
    finally:
        tl.set_default_device(None)
    assert tl.zeros(2).device == "cpu"


# ---------------------------------------------------------------------- one code path: results stay on the device
OPS = {
    "add": lambda x, y: x + y, "mul_scalar": lambda x, y: x * 2.5, "exp": lambda x, y: x.exp(),
    "relu": lambda x, y: x.relu(), "matmul": lambda x, y: x @ y.T, "sum_dim": lambda x, y: x.sum(dim=1),
    "mean": lambda x, y: x.mean(), "max_dim": lambda x, y: x.max(dim=0).values, "argmax": lambda x, y: x.argmax(1),
    "softmax": lambda x, y: tl.nn.functional.softmax(x, dim=1), "view": lambda x, y: x.view(-1),
    "T_contig": lambda x, y: x.T.contiguous(), "index": lambda x, y: x[1:, ::2], "mask": lambda x, y: x[x > 0],
    "gather": lambda x, y: x.gather(1, (x > 0).long()), "cat": lambda x, y: tl.cat([x, y]),
    "where": lambda x, y: tl.where(x > y, x, y), "clamp": lambda x, y: x.clamp(-1, 1),
    "std": lambda x, y: x.std(dim=0), "norm": lambda x, y: x.norm(), "compare": lambda x, y: x < y,
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_ch5_ops_keep_results_on_the_gpu(cuda, name):
    tl.manual_seed(0)
    x_cpu, y_cpu = tl.randn(3, 4), tl.randn(3, 4)
    on_cpu = OPS[name](x_cpu, y_cpu)
    on_gpu = OPS[name](x_cpu.cuda(), y_cpu.cuda())
    assert on_gpu.device == "cuda:0" and on_gpu_memory(on_gpu), f"{name} left the GPU"
    assert on_gpu.dtype is on_cpu.dtype and on_gpu.shape == on_cpu.shape
    np.testing.assert_allclose(on_gpu.cpu().numpy(), on_cpu.numpy(), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------- models and training on the device
def test_ch5_module_to_moves_parameters_in_place(cuda):
    tl.manual_seed(0)
    model = tl.nn.Sequential(tl.nn.Linear(4, 8), tl.nn.ReLU(), tl.nn.Linear(8, 2))
    params = list(model.parameters())
    optimizer = tl.optim.SGD(model.parameters(), lr=0.1)
    assert model.to("cuda") is model
    assert [p is q for p, q in zip(params, model.parameters())] == [True] * 4  # the same objects, now on the GPU
    assert all(p.device == "cuda:0" and on_gpu_memory(p) for p in model.parameters())
    loss = model(tl.randn(5, 4, device="cuda")).square().mean()
    loss.backward()
    assert all(p.grad.device == "cuda:0" for p in params)
    optimizer.step()
    assert all(p.device == "cuda:0" for p in params)
    model.cpu()
    assert all(p.device == "cpu" and p.grad.device == "cpu" for p in params)


def _train(device, optimizer_class, steps=30):
    tl.manual_seed(0)
    model = tl.nn.Sequential(tl.nn.Linear(8, 16), tl.nn.Tanh(), tl.nn.Linear(16, 3)).to(device)
    optimizer = optimizer_class(model.parameters(), lr=0.05)
    x, y = tl.randn(64, 8), tl.randint(0, 3, (64,))
    x, y = x.to(device), y.to(device)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = tl.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("optimizer_class", [tl.optim.SGD, tl.optim.Adam])
def test_ch5_training_on_the_gpu_matches_the_cpu(cuda, optimizer_class):
    on_cpu, on_gpu = _train("cpu", optimizer_class), _train("cuda", optimizer_class)
    assert on_cpu[-1] < on_cpu[0]  # it learns (random labels: slowly)
    np.testing.assert_allclose(on_gpu, on_cpu, rtol=2e-4, atol=1e-5)


# ---------------------------------------------------------------------- honest timing
def test_ch5_benchmark_waits_for_the_gpu(cuda):
    a = tl.ones(32, 32, device="cuda")
    before = tl.cuda.synchronize_count()
    m = tl.utils.benchmark.Timer("a @ a", globals={"a": a}).timeit(20)
    assert m.mean > 0 and m.number_per_run == 20 and "Median" in repr(m)
    assert tl.cuda.synchronize_count() > before
    m = tl.utils.benchmark.measure(lambda: a @ a, warmup=1, repeat=3)
    assert len(m.times) == 3 and m.median > 0
    m = tl.utils.benchmark.Timer("a @ a", globals={"a": a}).blocked_autorange(min_run_time=0.01)
    assert m.times and m.number_per_run >= 1


# ---------------------------------------------------------------------- a real GPU (skipped, visibly, elsewhere)
@pytest.mark.gpu
@needs_gpu
def test_ch5_real_gpu_memory_is_cupy():
    import cupy

    t = tl.randn(1000, 1000, device="cuda")
    assert isinstance(t._data, cupy.ndarray) and t.data_ptr() == t._data.data.ptr
    assert (t @ t).device == "cuda:0"


@pytest.mark.gpu
@needs_gpu
@pytest.mark.parametrize("optimizer_class", [tl.optim.SGD, tl.optim.Adam])
def test_ch5_real_gpu_training_matches_the_cpu(optimizer_class):
    on_cpu, on_gpu = _train("cpu", optimizer_class), _train("cuda", optimizer_class)
    np.testing.assert_allclose(on_gpu, on_cpu, rtol=1e-3, atol=1e-4)


@pytest.mark.gpu
@needs_gpu
def test_ch5_real_gpu_matmul_matches_torch():
    tl.manual_seed(0)
    a, b = tl.randn(256, 128), tl.randn(128, 64)
    ours = (a.cuda() @ b.cuda()).cpu().numpy()
    theirs = (torch.from_numpy(a.numpy()) @ torch.from_numpy(b.numpy())).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4)


# ---------------------------------------------------------------------- CuPy's own kernels at the edges
# (what CuPy's kernel returns, from its source, cited in backend.py; NumPy's and torch's answer differ)
CUPY_EDGES = [
    ("floor_divide", np.inf, 2.0, np.float32, np.inf),  # floor(inf / 2); torch: nan
    ("floor_divide", -1.0, np.inf, np.float64, -0.0),  # floor(-0.0); torch: -1
    ("floor_divide", 1.0, 0.1, np.float64, 10.0),  # 1 / 0.1 rounds to 10; torch: 9
    ("remainder", 1.0, np.inf, np.float32, np.nan),  # 1 - 0 * inf; torch: 1
    ("remainder", -1.0, np.inf, np.float16, np.nan),  # torch: inf
    ("fmod", 2**60 + 1, 7, np.int64, 1),  # computed in double, where 2**60 + 1 is 2**60; torch: 2
]


@pytest.mark.parametrize("name, a, b, dtype, cupy_gives", CUPY_EDGES,
                         ids=[f"{e[0]}({e[1]}, {e[2]})" for e in CUPY_EDGES])
def test_ch5_simulated_gpu_computes_as_cupy_does(name, a, b, dtype, cupy_gives):
    """The simulated GPU answers as CuPy's kernels do where they are not NumPy's, so code that leans on
    NumPy's answer fails in CI, not on a GPU; on a machine with one, CuPy itself is asked too."""
    xp = backend.simulated
    x, y = xp.asarray(np.array([a], dtype)), xp.asarray(np.array([b], dtype))
    results = [getattr(xp, name)(x, y)]
    if name != "fmod":  # the operators take the same kernel
        results.append(x // y if name == "floor_divide" else x % y)
    if REAL_GPU:
        import cupy

        results.append(getattr(cupy, name)(cupy.asarray(np.array([a], dtype)), cupy.asarray(np.array([b], dtype))))
    expected = np.array([cupy_gives], dtype)
    for result in results:
        host = backend.to_host(result)
        assert host.dtype == expected.dtype
        np.testing.assert_array_equal(host, expected)
        assert np.isnan(host) or np.signbit(host) == np.signbit(expected)  # -0.0 is not 0.0 here
    assert type(results[0]) is backend.SimulatedCudaArray  # device memory, as CuPy gives


@pytest.mark.filterwarnings("ignore::RuntimeWarning:tinygrad_lessons.math_ops")  # 0 / 0: see test_ch3_math_ops
def test_ch5_floor_division_and_remainder_match_torch_on_the_gpu(cuda):
    """The library computes torch's // and % itself, so a GPU gives torch's answer, not its array library's."""
    a = [np.inf, -np.inf, -1.0, 1.0, 0.5, 1.0, 1e10, 0.0, -3.0]
    b = [2.0, 3.0, np.inf, np.inf, -np.inf, 0.1, 3.0, 0.0, 2.0]
    for dtype, torch_dtype in [(tl.float16, torch.float16), (tl.float32, torch.float32), (tl.float64, torch.float64)]:
        x, y = tl.tensor(a, dtype=dtype, device=cuda), tl.tensor(b, dtype=dtype, device=cuda)
        tx, ty = torch.tensor(a, dtype=torch_dtype), torch.tensor(b, dtype=torch_dtype)
        for ours, theirs in [(x // y, tx // ty), (x % y, tx % ty), (1e10 % x, 1e10 % tx), (x % 3.0, tx % 3.0),
                             (x.div(y, rounding_mode="floor"), tx.div(ty, rounding_mode="floor"))]:
            assert on_gpu_memory(ours)
            np.testing.assert_allclose(ours.cpu().double().numpy(), theirs.double().numpy(), rtol=1e-3, equal_nan=True)
    big, tbig = tl.tensor([2**60 + 1, -(2**60 + 1)], device=cuda), torch.tensor([2**60 + 1, -(2**60 + 1)])
    assert tl.fmod(big, 7).tolist() == torch.fmod(tbig, 7).tolist() == [2, -2]


# CuPy's documented float -> integer casts (docs.cupy.dev, user_guide/difference.html): CUDA saturates, where
# NumPy on x86 gives the type's minimum (C++ leaves the cast undefined); torch's CPU answer is NumPy's
CUDA_CASTS = [(np.inf, np.float32, np.int32, 2**31 - 1), (-1.0, np.float32, np.uint32, 0),
              (2.5, np.float32, np.int32, 2), (-2.5, np.float64, np.int64, -2)]


@pytest.mark.parametrize("value, source, target, cuda_gives", CUDA_CASTS)
def test_ch5_simulated_gpu_casts_floats_to_integers_as_cuda_does(value, source, target, cuda_gives):
    x = backend.simulated.asarray(np.array([value], source))
    results = [x.astype(target)]
    if REAL_GPU:
        import cupy

        results.append(cupy.asarray(np.array([value], source)).astype(target))
    assert type(results[0]) is backend.SimulatedCudaArray
    for result in results:
        assert backend.to_host(result).tolist() == [cuda_gives] and result.dtype == target


def test_ch5_parameters_compare_on_the_gpu(cuda):
    """A Parameter is a Tensor: comparing it on the GPU must not take it for a number (it used to
    try to convert it to NumPy, and fail on GPU memory)."""
    p = tl.nn.Parameter(tl.tensor([1.0, 2.0, 3.0], device="cuda"))
    t = tl.tensor([1.0, 0.0, 3.0], device="cuda")
    assert (p == t).tolist() == [True, False, True] and (p > t).tolist() == [False, True, False]
    assert tl.eq(t, p).tolist() == [True, False, True] and not tl.equal(p, t) and tl.equal(p, p)
    assert (p == t).device == p.device


def test_ch5_parameters_are_written_and_used_in_place_on_the_gpu(cuda):
    """``x[:] = p`` and ``y += p`` with a Parameter ``p`` on the GPU (both took it for a number)."""
    p = tl.nn.Parameter(tl.tensor([1.0, 2.0, 3.0], device="cuda"))
    x = tl.zeros(3, device="cuda")
    x[:] = p
    x[0] = p[2]
    assert x.tolist() == [3.0, 2.0, 3.0]
    with tl.no_grad():
        y = tl.ones(3, device="cuda")
        y += p
        y.mul_(p)
        y.sub_(p, alpha=2)
    assert y.tolist() == [0.0, 2.0, 6.0]
