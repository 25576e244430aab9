"""CPU benchmarks: tinygrad_lessons against PyTorch eager (1 thread) and hand-written NumPy.

Run: ``.venv-test/bin/python bench/cpu_bench.py`` (``--quick`` for a fast smoke run).
Prints a table of ratios, writes ``bench/results/cpu.json`` and ``bench/results/cpu.png``.

What is measured, all in one run on one machine:

* training throughput (samples/s) of an MLP 64-64-10 on scikit-learn's digits, batch 64,
  SGD, cross-entropy — the same model code runs on ``torch`` and on ``tinygrad_lessons``
  because the APIs match; the NumPy baseline is the same step written by hand;
* per-op overhead: adding two 10-element float32 tensors, with and without requires_grad;
* a 1024x1024 float32 matmul.

Every library gets one BLAS thread (``torch.set_num_threads(1)`` and threadpoolctl for
NumPy), so the comparison is of the libraries, not of thread pools.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import RESULTS, machine, per_call, save  # noqa: E402

BATCH = 64


def load_digits_float32():
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    return x, y


# ---------------------------------------------------------------------- one model, two libraries
def make_library_step(lib, x_all, y_all, seed=0):
    """A training step for ``lib`` (torch or tinygrad_lessons): the same code for both."""
    lib.manual_seed(seed)
    model = lib.nn.Sequential(lib.nn.Linear(64, 64), lib.nn.ReLU(), lib.nn.Linear(64, 10))
    opt = lib.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = lib.nn.CrossEntropyLoss()
    xs = lib.from_numpy(x_all)
    ys = lib.from_numpy(y_all)
    n_batches = len(x_all) // BATCH
    batches = [(xs[i * BATCH:(i + 1) * BATCH], ys[i * BATCH:(i + 1) * BATCH]) for i in range(n_batches)]
    state = {"i": 0}

    def step():
        xb, yb = batches[state["i"] % n_batches]
        state["i"] += 1
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        return loss

    return step


def make_numpy_step(x_all, y_all, seed=0):
    """The same step written by hand in NumPy: the floor any Python library can reach."""
    rng = np.random.default_rng(seed)
    b1, b2 = 1 / np.sqrt(64), 1 / np.sqrt(64)
    w1 = rng.uniform(-b1, b1, (64, 64)).astype(np.float32)
    c1 = rng.uniform(-b1, b1, 64).astype(np.float32)
    w2 = rng.uniform(-b2, b2, (10, 64)).astype(np.float32)
    c2 = rng.uniform(-b2, b2, 10).astype(np.float32)
    n_batches = len(x_all) // BATCH
    batches = [(x_all[i * BATCH:(i + 1) * BATCH], y_all[i * BATCH:(i + 1) * BATCH]) for i in range(n_batches)]
    rows = np.arange(BATCH)
    state = {"i": 0}
    lr = np.float32(0.1)

    def step():
        xb, yb = batches[state["i"] % n_batches]
        state["i"] += 1
        # in-place updates (w1 -= ...) modify the arrays above, as an optimizer would
        h = xb @ w1.T + c1
        a = np.maximum(h, 0)
        z = a @ w2.T + c2
        z = z - z.max(1, keepdims=True)
        e = np.exp(z)
        p = e / e.sum(1, keepdims=True)
        loss = -np.log(p[rows, yb]).mean()
        g = p
        g[rows, yb] -= 1
        g /= BATCH
        gw2, gc2 = g.T @ a, g.sum(0)
        ga = g @ w2
        ga *= h > 0
        gw1, gc1 = ga.T @ xb, ga.sum(0)
        np.subtract(w1, lr * gw1, out=w1)
        np.subtract(c1, lr * gc1, out=c1)
        np.subtract(w2, lr * gw2, out=w2)
        np.subtract(c2, lr * gc2, out=c2)
        return loss

    return step


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short timing loops (a smoke run, noisy)")
    args = parser.parse_args(argv)
    min_time = 0.05 if args.quick else 0.3
    repeat = 3 if args.quick else 7

    import torch
    from threadpoolctl import threadpool_limits

    import tinygrad_lessons as tl

    torch.set_num_threads(1)
    results = {}
    with threadpool_limits(limits=1):
        x_all, y_all = load_digits_float32()
        steps = {"tinygrad_lessons": make_library_step(tl, x_all, y_all),
                 "torch": make_library_step(torch, x_all, y_all),
                 "numpy": make_numpy_step(x_all, y_all)}
        results["mlp_train_samples_per_s"] = {
            name: BATCH / per_call(step, min_time=min_time, repeat=repeat) for name, step in steps.items()
        }

        a_np, b_np = np.ones(10, np.float32), np.ones(10, np.float32)
        a_tl, b_tl = tl.ones(10), tl.ones(10)
        a_t, b_t = torch.ones(10), torch.ones(10)
        ga_tl, gb_tl = tl.ones(10, requires_grad=True), tl.ones(10, requires_grad=True)
        ga_t, gb_t = torch.ones(10, requires_grad=True), torch.ones(10, requires_grad=True)
        results["add_10_us"] = {
            "tinygrad_lessons": 1e6 * per_call(lambda: a_tl + b_tl, min_time=min_time, repeat=repeat),
            "torch": 1e6 * per_call(lambda: a_t + b_t, min_time=min_time, repeat=repeat),
            "numpy": 1e6 * per_call(lambda: a_np + b_np, min_time=min_time, repeat=repeat),
        }
        results["add_10_requires_grad_us"] = {
            "tinygrad_lessons": 1e6 * per_call(lambda: ga_tl + gb_tl, min_time=min_time, repeat=repeat),
            "torch": 1e6 * per_call(lambda: ga_t + gb_t, min_time=min_time, repeat=repeat),
        }

        rng = np.random.default_rng(0)
        m1, m2 = rng.standard_normal((2, 1024, 1024), dtype=np.float32)
        t1, t2 = tl.from_numpy(m1), tl.from_numpy(m2)
        q1, q2 = torch.from_numpy(m1), torch.from_numpy(m2)
        flops = 2 * 1024**3
        results["matmul_1024_gflops"] = {
            "tinygrad_lessons": flops / per_call(lambda: t1 @ t2, min_time=min_time, repeat=repeat) / 1e9,
            "torch": flops / per_call(lambda: q1 @ q2, min_time=min_time, repeat=repeat) / 1e9,
            "numpy": flops / per_call(lambda: m1 @ m2, min_time=min_time, repeat=repeat) / 1e9,
        }

    ratios = {
        "mlp: tl / torch (target >= 1.5)": results["mlp_train_samples_per_s"]["tinygrad_lessons"]
        / results["mlp_train_samples_per_s"]["torch"],
        "mlp: tl / numpy": results["mlp_train_samples_per_s"]["tinygrad_lessons"]
        / results["mlp_train_samples_per_s"]["numpy"],
        "add: torch time / tl time (target >= 1)": results["add_10_us"]["torch"]
        / results["add_10_us"]["tinygrad_lessons"],
        "add requires_grad: torch time / tl time (target >= 1)": results["add_10_requires_grad_us"]["torch"]
        / results["add_10_requires_grad_us"]["tinygrad_lessons"],
        "matmul: tl / numpy GFLOP/s (target >= 0.95)": results["matmul_1024_gflops"]["tinygrad_lessons"]
        / results["matmul_1024_gflops"]["numpy"],
    }
    print(f"machine: {machine()}")
    for metric, row in results.items():
        cells = "  ".join(f"{k}={v:,.2f}" for k, v in row.items())
        print(f"{metric:28s} {cells}")
    print()
    for name, value in ratios.items():
        print(f"{name:55s} {value:6.2f}x")
    payload = {"machine": machine(), "results": results, "ratios": ratios, "quick": args.quick}
    path = save("cpu", payload)
    chart(results, RESULTS / "cpu.png")
    print(f"\nwrote {path} and {RESULTS / 'cpu.png'}")
    return 0


def chart(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(4 * len(results), 3.4))
    titles = {"mlp_train_samples_per_s": "MLP training\nsamples/s (higher is better)",
              "add_10_us": "add, 10 elements\nµs (lower is better)",
              "add_10_requires_grad_us": "add, requires_grad\nµs (lower is better)",
              "matmul_1024_gflops": "matmul 1024²\nGFLOP/s (higher is better)"}
    colors = {"tinygrad_lessons": "#d62728", "torch": "#ee8822", "numpy": "#1f77b4"}
    for ax, (metric, row) in zip(axes, results.items()):
        names = list(row)
        ax.bar(names, [row[n] for n in names], color=[colors[n] for n in names])
        ax.set_title(titles[metric], fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
