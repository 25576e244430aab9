"""Chapter 6 — whole training loops, in our library and in torch, from the same start.

The manual loop uses only tensors and autograd (stable log-softmax, cross-entropy,
an SGD update under ``no_grad``, zeroing the gradients); the second uses ``nn.Linear``,
``nn.CrossEntropyLoss`` and ``optim.Adam``. Both must end where torch ends. An MLP on
scikit-learn's bundled digits (offline) must reach 97% test accuracy.
"""

import numpy as np
import pytest
import torch

import tinygrad_lessons as tl


def blobs(n=200, features=4, classes=3, seed=0):
    """Three Gaussian clusters in 4-D: a small problem both libraries can solve exactly alike."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 2.0, (classes, features))
    y = rng.integers(0, classes, n)
    x = centers[y] + rng.normal(0, 1.0, (n, features))
    return x.astype(np.float32), y.astype(np.int64)


def manual_loop(lib, x_np, y_np, w0, b0, epochs=150, lr=0.5):
    """Softmax regression written from tensors and autograd alone (the same code for both libraries)."""
    x, y = lib.tensor(x_np), lib.tensor(y_np)  # (on the default device: the GPU in a device run)
    w = lib.tensor(w0, requires_grad=True)
    b = lib.tensor(b0, requires_grad=True)
    rows = lib.arange(len(y_np))
    losses = []
    for _ in range(epochs):
        logits = x @ w + b
        shifted = logits - logits.max(dim=1, keepdim=True).values  # stable: exp never overflows
        log_probs = shifted - shifted.exp().sum(dim=1, keepdim=True).log()
        loss = -log_probs[rows, y].mean()
        loss.backward()
        with lib.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
            w.grad.zero_()
            b.grad.zero_()
        losses.append(loss.item())
    accuracy = ((x @ w + b).argmax(dim=1) == y).float().mean().item()
    return losses, accuracy


def test_manual_loop_matches_torch():
    x, y = blobs()
    rng = np.random.default_rng(1)
    w0 = rng.normal(0, 0.1, (4, 3)).astype(np.float32)
    b0 = np.zeros(3, np.float32)
    ours, ours_acc = manual_loop(tl, x, y, w0, b0)
    theirs, theirs_acc = manual_loop(torch, x, y, w0, b0)
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)
    assert ours_acc == theirs_acc
    assert ours[-1] < ours[0] / 2


def nn_loop(lib, x_np, y_np, state, epochs=100):
    lib.manual_seed(0)
    model = lib.nn.Linear(4, 3)
    with lib.no_grad():
        model.weight.copy_(lib.tensor(state["weight"]))
        model.bias.copy_(lib.tensor(state["bias"]))
    loss_fn = lib.nn.CrossEntropyLoss()
    opt = lib.optim.Adam(model.parameters(), lr=0.05)
    x, y = lib.tensor(x_np), lib.tensor(y_np)  # (on the default device: the GPU in a device run)
    losses = []
    for _ in range(epochs):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    with lib.no_grad():
        accuracy = (model(x).argmax(dim=1) == y).float().mean().item()
    return losses, accuracy


def test_nn_linear_cross_entropy_adam_loop_matches_torch():
    x, y = blobs(seed=3)
    tl.manual_seed(5)
    start = tl.nn.Linear(4, 3).state_dict()
    state = {k: v.cpu().numpy().copy() for k, v in start.items()}
    ours, ours_acc = nn_loop(tl, x, y, state)
    theirs, theirs_acc = nn_loop(torch, x, y, state)
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)
    assert ours_acc == theirs_acc
    assert ours_acc > 0.9


@pytest.fixture(scope="module")
def digits():
    sklearn = pytest.importorskip("sklearn.datasets")
    data = sklearn.load_digits()
    x = (data.data / 16.0).astype(np.float32)
    y = data.target.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(x))
    test, train = order[:360], order[360:]
    return x[train], y[train], x[test], y[test]


def test_mlp_on_digits_reaches_97_percent(digits):
    x_train, y_train, x_test, y_test = digits
    tl.manual_seed(0)
    model = tl.nn.Sequential(tl.nn.Linear(64, 128), tl.nn.ReLU(), tl.nn.Linear(128, 10))
    opt = tl.optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = tl.nn.CrossEntropyLoss()
    xs, ys = tl.tensor(x_train), tl.tensor(y_train)
    for _ in range(25):
        order = tl.randperm(len(x_train))
        for start in range(0, len(x_train), 64):
            idx = order[start:start + 64]
            opt.zero_grad()
            loss = loss_fn(model(xs[idx]), ys[idx])
            loss.backward()
            opt.step()
    model.eval()
    with tl.no_grad():
        predictions = model(tl.tensor(x_test)).argmax(dim=1)
    accuracy = (predictions == tl.tensor(y_test)).float().mean().item()
    assert accuracy >= 0.97, f"test accuracy {accuracy:.3f}"
