"""GPU benchmarks: tinygrad_lessons on CuPy against PyTorch CUDA eager and raw CuPy, same card, one run.

Run on a machine with an NVIDIA GPU, CuPy and PyTorch (CUDA): ``python bench/gpu_bench.py``
(``--quick`` for a smoke run). Prints a table with ratios, writes ``bench/results/gpu.json``.

What is measured (every timing synchronizes the GPU before reading the clock, and takes the
median of several blocks after a warm-up):

* fp32 matmul 4096x4096: TFLOP/s of ``a @ b`` — target >= 0.95x torch;
* an MLP training step, batch 512, 784-1024-1024-10, SGD, cross-entropy: ms per step — the same
  model code for torch and tinygrad_lessons, and the step written by hand in CuPy — target
  <= 1.2x torch's time;
* per-op overhead: ``a + b`` on two 10-element float32 tensors, µs per op — target <= 1.3x raw CuPy;
* first use of an elementwise kernel in a fresh process (CuPy compiles it, or loads it from its
  cache): tinygrad_lessons' first ``a + b`` beside raw CuPy's.

To explain the MLP figure it also prints the CPU time to *issue* one step (no waiting: if
that is near the step time, the step is CPU-bound), the kernel launches and host reads per
step counted on the simulated GPU (``--count`` prints only those, on any machine), and writes
a cProfile of the step to ``bench/results/gpu_profile.txt``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from timing import machine, save  # noqa: E402

BATCH, SIZES = 512, (784, 1024, 1024, 10)


def gpu_time(fn, sync, *, blocks=7, min_block=0.05) -> float:
    """Median seconds per call of ``fn`` over ``blocks`` blocks, each at least ``min_block`` s, GPU synchronized."""
    fn()
    sync()
    number = 1
    while True:  # calibrate the block length
        start = time.perf_counter()
        for _ in range(number):
            fn()
        sync()
        if time.perf_counter() - start >= min_block / 4:
            break
        number *= 2
    number = max(1, int(number * min_block / max(time.perf_counter() - start, 1e-9)))
    times = []
    for _ in range(blocks):
        sync()
        start = time.perf_counter()
        for _ in range(number):
            fn()
        sync()
        times.append((time.perf_counter() - start) / number)
    return statistics.median(times)


# ---------------------------------------------------------------------- the MLP step, one code for both libraries
def make_library_step(lib, device, x, y, lr=0.01):
    lib.manual_seed(0)
    layers = []
    for i, (n_in, n_out) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        layers.append(lib.nn.Linear(n_in, n_out))
        if i < len(SIZES) - 2:
            layers.append(lib.nn.ReLU())
    model = lib.nn.Sequential(*layers).to(device)
    opt = lib.optim.SGD(model.parameters(), lr=lr)
    loss_fn = lib.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


def make_cupy_step(cp, x, y, lr=0.01):
    """The same step by hand in CuPy: the floor for a library built on CuPy.

    (``cp`` may also be the simulated GPU's module, to count this step's launches: ``--count``.)
    """
    import numpy as np

    rng = np.random.default_rng(0)
    params = []
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:]):
        bound = 1 / n_in ** 0.5
        params.append([cp.asarray(rng.uniform(-bound, bound, (n_out, n_in)).astype(np.float32)),
                       cp.asarray(rng.uniform(-bound, bound, n_out).astype(np.float32))])
    rows = cp.arange(len(y))

    def step():
        acts, pre = [x], []
        for i, (w, b) in enumerate(params):
            z = acts[-1] @ w.T + b
            pre.append(z)
            acts.append(cp.maximum(z, 0) if i < len(params) - 1 else z)
        z = acts[-1] - acts[-1].max(1, keepdims=True)
        e = cp.exp(z)
        p = e / e.sum(1, keepdims=True)
        loss = -cp.log(p[rows, y]).mean()
        g = p
        g[rows, y] -= 1
        g /= BATCH
        for i in reversed(range(len(params))):
            w, b = params[i]
            gw, gb = g.T @ acts[i], g.sum(0)
            if i:
                g = (g @ w) * (pre[i - 1] > 0)
            w -= lr * gw
            b -= lr * gb
        return loss

    return step


def issue_time(fn, sync, steps=5) -> float:
    """Seconds of CPU per call of ``fn`` *without* waiting for the GPU: the Python and launch cost alone.

    If this is close to the synchronized time, the step is CPU-bound: the GPU waits for the CPU,
    and only less Python per step (or fewer launches) makes it faster.
    """
    fn()
    sync()
    best = float("inf")
    for _ in range(7):
        sync()
        start = time.perf_counter()
        for _ in range(steps):  # few enough that the GPU's launch queue never fills up and blocks
            fn()
        best = min(best, (time.perf_counter() - start) / steps)
    sync()
    return best


def count_launches() -> dict:
    """Kernel launches and host reads of one MLP step, tinygrad_lessons' and the hand-written one, counted on
    the simulated GPU (no GPU needed): what the step's CPU cost on a real GPU mostly depends on."""
    import numpy as np

    import tinygrad_lessons as tl
    from tinygrad_lessons import backend
    from tinygrad_lessons.utils import device_work

    was = backend.simulating()
    backend.simulate_cuda(True)
    try:
        rng = np.random.default_rng(2)
        x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
        y = rng.integers(0, SIZES[-1], BATCH)
        steps = {"tinygrad_lessons": make_library_step(tl, "cuda", tl.tensor(x, device="cuda"),
                                                       tl.tensor(y, device="cuda")),
                 "cupy_by_hand": make_cupy_step(backend.simulated, backend.to_device(x, tl.device("cuda")),
                                                backend.to_device(y, tl.device("cuda")))}
        counts = {}
        for name, step in steps.items():
            step()
            with device_work.count() as work:
                step()
            counts[name] = {"kernels": work.kernels, "host_reads": work.host_reads}
        return counts
    finally:
        backend.simulate_cuda(was)


def print_counts(counts: dict) -> None:
    print("MLP step launches (simulated)  " + "   ".join(
        f"{name} {c['kernels']} kernels, {c['host_reads']} host reads" for name, c in counts.items()))


def profile_step(step, sync, path: Path, top: int = 15) -> None:
    """Where tinygrad_lessons' Python time goes in one MLP step on the GPU: cProfile's top functions, to ``path``."""
    import cProfile
    import io
    import pstats

    sync()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(200):
        step()
    sync()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    path.write_text(out.getvalue())


# ---------------------------------------------------------------------- first use of a kernel (fresh processes)
FIRST_USE = {
    "cupy": "import cupy as cp, time; a = cp.ones(10, cp.float32); cp.cuda.Device().synchronize(); "
            "t = time.perf_counter(); (a + a); cp.cuda.Device().synchronize(); print(time.perf_counter() - t)",
    "tinygrad_lessons": "import tinygrad_lessons as tl, time; a = tl.ones(10, device='cuda'); tl.cuda.synchronize(); "
                        "t = time.perf_counter(); (a + a); tl.cuda.synchronize(); print(time.perf_counter() - t)",
}


def first_use_seconds(which: str, cache_dir: str) -> float:
    env = {**os.environ, "CUPY_CACHE_DIR": cache_dir, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    out = subprocess.run([sys.executable, "-c", FIRST_USE[which]], capture_output=True, text=True, env=env, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short timing loops (a smoke run, noisy)")
    parser.add_argument("--count", action="store_true",
                        help="only count the MLP step's kernel launches and host reads, on the simulated GPU "
                             "(runs anywhere, no GPU needed)")
    args = parser.parse_args(argv)
    if args.count:
        print_counts(count_launches())
        return 0
    import cupy as cp
    import torch

    import tinygrad_lessons as tl

    if not tl.cuda.is_available() or tl.backend.simulating():
        print("no real GPU (or the simulated one is switched on): nothing to measure", file=sys.stderr)
        return 1
    blocks = 3 if args.quick else 7
    sync_torch, sync_cupy = torch.cuda.synchronize, cp.cuda.Device().synchronize
    results = {"machine": machine(), "gpu": tl.cuda.get_device_name(0), "cupy": cp.__version__}

    # matmul 4096^2, fp32 (TF32 off in torch: a plain fp32 product, as CuPy computes it)
    torch.backends.cuda.matmul.allow_tf32 = False
    n = 4096
    flops = 2 * n ** 3
    a_np = cp.random.default_rng(0).standard_normal((n, n), dtype=cp.float32)
    b_np = cp.random.default_rng(1).standard_normal((n, n), dtype=cp.float32)
    ta, tb = torch.as_tensor(a_np, device="cuda"), torch.as_tensor(b_np, device="cuda")
    la, lb = tl.tensor(a_np.get(), device="cuda"), tl.tensor(b_np.get(), device="cuda")
    mm = {"torch": flops / gpu_time(lambda: ta @ tb, sync_torch, blocks=blocks) / 1e12,
          "cupy": flops / gpu_time(lambda: a_np @ b_np, sync_cupy, blocks=blocks) / 1e12,
          "tinygrad_lessons": flops / gpu_time(lambda: la @ lb, sync_cupy, blocks=blocks) / 1e12}
    mm["ratio_vs_torch"] = mm["tinygrad_lessons"] / mm["torch"]
    results["matmul_4096_tflops"] = mm

    # the MLP training step
    x_cp = cp.random.default_rng(2).standard_normal((BATCH, SIZES[0]), dtype=cp.float32)
    y_cp = cp.random.default_rng(3).integers(0, SIZES[-1], BATCH).astype(cp.int64)
    torch_step = make_library_step(torch, "cuda", torch.as_tensor(x_cp, device="cuda"),
                                   torch.as_tensor(y_cp, device="cuda"))
    tl_step = make_library_step(tl, "cuda", tl.tensor(x_cp.get(), device="cuda"), tl.tensor(y_cp.get(), device="cuda"))
    cupy_step = make_cupy_step(cp, x_cp, y_cp)
    mlp = {"torch": gpu_time(torch_step, sync_torch, blocks=blocks) * 1e3,
           "cupy_by_hand": gpu_time(cupy_step, sync_cupy, blocks=blocks) * 1e3,
           "tinygrad_lessons": gpu_time(tl_step, sync_cupy, blocks=blocks) * 1e3}
    mlp["ratio_vs_torch"] = mlp["tinygrad_lessons"] / mlp["torch"]
    results["mlp_step_ms"] = mlp
    issue = {"torch": issue_time(torch_step, sync_torch) * 1e3,
             "cupy_by_hand": issue_time(cupy_step, sync_cupy) * 1e3,
             "tinygrad_lessons": issue_time(tl_step, sync_cupy) * 1e3}
    results["mlp_step_cpu_issue_ms"] = issue
    profile_path = Path(__file__).resolve().parent / "results" / "gpu_profile.txt"
    profile_step(tl_step, sync_cupy, profile_path)

    # small-op overhead
    sa, sb = torch.ones(10, device="cuda"), torch.ones(10, device="cuda")
    ca, cb = cp.ones(10, cp.float32), cp.ones(10, cp.float32)
    ga, gb = tl.ones(10, device="cuda"), tl.ones(10, device="cuda")
    small = {"torch": gpu_time(lambda: sa + sb, sync_torch, blocks=blocks) * 1e6,
             "cupy": gpu_time(lambda: ca + cb, sync_cupy, blocks=blocks) * 1e6,
             "tinygrad_lessons": gpu_time(lambda: ga + gb, sync_cupy, blocks=blocks) * 1e6}
    small["ratio_vs_cupy"] = small["tinygrad_lessons"] / small["cupy"]
    # where tinygrad_lessons' extra time goes: CuPy's ufunc called by name, then that plus making the Tensor
    from tinygrad_lessons.tensor import _wrap

    anatomy = {"cupy.add(a, b)": gpu_time(lambda: cp.add(ca, cb), sync_cupy, blocks=blocks) * 1e6,
               "_wrap(cupy.add(a, b))": gpu_time(lambda: _wrap(cp.add(ca, cb)), sync_cupy, blocks=blocks) * 1e6,
               "a.flags.c_contiguous": gpu_time(lambda: ca.flags.c_contiguous, sync_cupy, blocks=blocks) * 1e6,
               "a._c_contiguous": gpu_time(lambda: ca._c_contiguous, sync_cupy, blocks=blocks) * 1e6,
               "a.shape": gpu_time(lambda: ca.shape, sync_cupy, blocks=blocks) * 1e6}
    small["anatomy"] = anatomy
    results["add_10_us"] = small

    # first use of a kernel: cold (an empty CuPy kernel cache) and warm (the cache filled by the cold run)
    import tempfile

    first = {}
    for which in ("cupy", "tinygrad_lessons"):
        with tempfile.TemporaryDirectory() as cache:
            first[which] = {"cold_s": first_use_seconds(which, cache), "warm_s": first_use_seconds(which, cache)}
    results["first_use"] = first

    print(f"GPU: {results['gpu']}  (CuPy {cp.__version__}, torch {torch.__version__})")
    print(f"matmul 4096² fp32 TFLOP/s   torch {mm['torch']:7.1f}   cupy {mm['cupy']:7.1f}   "
          f"tl {mm['tinygrad_lessons']:7.1f}   tl/torch {mm['ratio_vs_torch']:.2f}x  (target >= 0.95)")
    print(f"MLP step ms                 torch {mlp['torch']:7.3f}   cupy {mlp['cupy_by_hand']:7.3f}   "
          f"tl {mlp['tinygrad_lessons']:7.3f}   tl/torch {mlp['ratio_vs_torch']:.2f}x  (target <= 1.2)")
    print(f"a + b (10 floats) µs        torch {small['torch']:7.2f}   cupy {small['cupy']:7.2f}   "
          f"tl {small['tinygrad_lessons']:7.2f}   tl/cupy {small['ratio_vs_cupy']:.2f}x  (target <= 1.3)")
    print("a + b anatomy µs            " + "   ".join(f"{k} {v:.2f}" for k, v in anatomy.items()))
    print(f"MLP step, CPU time to issue it (no wait) ms   torch {issue['torch']:.3f}   cupy {issue['cupy_by_hand']:.3f}"
          f"   tl {issue['tinygrad_lessons']:.3f}   (close to the step time above: CPU-bound)")
    for which, t in first.items():
        print(f"first a + b in a fresh process, {which:16s} cold {t['cold_s']:.3f} s, warm cache {t['warm_s']:.3f} s")
    results["mlp_step_launches"] = count_launches()
    print_counts(results["mlp_step_launches"])
    print(f"where tinygrad_lessons' MLP step spends its Python time: {profile_path}")
    path = save("gpu", results)
    print(f"wrote {path}")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
