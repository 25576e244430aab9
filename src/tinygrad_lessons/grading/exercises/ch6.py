"""Chapter 6 — the training loop: cross-entropy from scratch, ``SGD`` and ``Adam``, an epoch and an evaluation.

Five exercises, each checked the way PyTorch would be asked the same question:

* ``cross_entropy(logits, target)``: the check (``call=_loss_and_grad``) computes the loss and
  runs ``backward()`` through it, so it compares the loss *and* the gradient that reaches the
  logits with ``torch.nn.functional.cross_entropy``'s — a loss computed in NumPy gives no gradient.
* ``SGD`` and ``Adam``: the learner hands in an optimizer *class* (a ``tl.optim.Optimizer``
  subclass whose ``__init__`` the notebook gives and whose ``step`` they write). The check
  (``call=_run_optimizer``) builds it over fresh parameters, runs a few steps of
  ``zero_grad → loss → backward → step`` on a small problem named in the case (``PROBLEMS``),
  and compares the parameters' whole trajectory with ``torch.optim``'s on the same problem;
  plus what ``zero_grad`` leaves behind and whether the optimizer's state carries a graph.
* ``train_epoch`` and ``evaluate``: the check (``_run_train_epoch``, ``_run_evaluate``) builds a
  small model with fixed weights (wrapped so that each forward call records its batch size,
  ``model.training`` and whether grad mode was on), runs the learner's function on a small
  deterministic data set, and compares what it returns, the batches the model saw, and for
  training the weights it ends with — with the same loop written in PyTorch over the same
  permutation (``tl.randperm`` with the case's seed: torch's generator draws other numbers).

Hints here are mostly *known mistakes*: a wrong implementation (no bias correction, no
``zero_grad``, the batch means averaged...) is run on the failing case, and when the learner's
result equals its result the hint names that mistake (``_mistake``).
No plug-in: chapter 6 is the last chapter, and the library's optimizers and losses have more
options than the exercises cover.
"""

from __future__ import annotations

import numpy as np

import tinygrad_lessons as tl

from ..cases import Case, T, _cuda_for_a_while
from ..compare import compare
from ..plain import decode_number
from . import Exercise, Hint, register
from .mistakes import mistake_hint

__all__ = ["PROBLEMS", "make_model", "MODEL_WEIGHTS"]


# ====================================================================== helpers for hints (on plain data)
def _items(plain) -> list:
    return plain["items"] if isinstance(plain, dict) and plain.get("kind") in ("tuple", "list") else []


def _item(plain, i):
    items = _items(plain)
    return items[i] if i < len(items) else {"kind": "none"}


def _number(plain):
    if isinstance(plain, dict) and plain.get("kind") in ("float", "int"):
        return decode_number(plain["value"])
    if isinstance(plain, dict) and plain.get("kind") == "tensor" and plain["shape"] == []:
        return decode_number(plain["values"])
    return None


def _error_says(plain, *words) -> bool:
    return isinstance(plain, dict) and plain.get("kind") == "error" and all(w in plain["message"] for w in words)


def _any_error_says(e, g, *words) -> bool:
    return _error_says(g, *words) or any(_error_says(x, *words) for x in _items(g))


def _mistake(call, wrong, text, tolerance):
    # the mistakes kept here never raise: an error names none of them (see mistakes.mistake_hint)
    return mistake_hint(call, wrong, text, tolerance, errors_name_no_mistake=True)


_DEVICE_TEXT = ("the model is on device and the data on the CPU: move each batch to the model's device "
                "(xb.to(device), yb.to(device)) before the forward pass")
_DEVICE_HINT = Hint(lambda case, e, g: _any_error_says(e, g, "same device"), _DEVICE_TEXT)


# ====================================================================== 1. cross_entropy
def _reference_cross_entropy(logits, target):
    """The mean over the batch of ``-log softmax(logits)[i, target[i]]``, from tensor operations (so that
    ``backward()`` reaches the logits), with the log-softmax computed stably."""
    n_classes = logits.shape[1]
    bad = target[(target < 0) | (target >= n_classes)]  # in reading order
    if bad.numel():
        raise IndexError(f"Target {bad[0].item()} is out of bounds.")
    shifted = logits - logits.max(dim=1, keepdim=True).values  # every exponent <= 0: exp can't overflow
    log_probs = shifted - shifted.exp().sum(dim=1, keepdim=True).log()  # log-sum-exp: never log(0)
    picked = log_probs.gather(1, target.unsqueeze(1)).squeeze(1)  # row i: the log-probability of its class
    return -picked.mean()


def _loss_and_grad(fn, logits, target):
    """``(loss, logits.grad)``: the learner's loss, and what ``loss.backward()`` sends back to the logits."""
    if logits.requires_grad and not logits.is_leaf:
        logits.retain_grad()  # a transposed input is a view: keep its gradient too
    loss = fn(logits, target)
    if isinstance(loss, tl.Tensor) and loss.requires_grad and loss.ndim == 0:
        loss.backward()
    return loss, logits.grad


def _torch_cross_entropy(torch, logits, target):
    if logits.requires_grad and not logits.is_leaf:
        logits.retain_grad()
    loss = torch.nn.functional.cross_entropy(logits, target)
    loss.backward()
    return loss, logits.grad


# ---------------------------------------------------------------------- known wrong cross-entropies
def _ce_naive(logits, target):  # softmax as written: exp overflows
    p = logits.exp() / logits.exp().sum(dim=1, keepdim=True)
    return -p.log().gather(1, target.unsqueeze(1)).mean()


def _ce_log_of_softmax(logits, target):  # the max subtracted, but log(softmax): log(0) = -inf
    e = (logits - logits.max(dim=1, keepdim=True).values).exp()
    return -(e / e.sum(dim=1, keepdim=True)).log().gather(1, target.unsqueeze(1)).mean()


def _log_probs(logits):
    shifted = logits - logits.max(dim=1, keepdim=True).values
    return shifted - shifted.exp().sum(dim=1, keepdim=True).log()


def _ce_sum(logits, target):
    return -_log_probs(logits).gather(1, target.unsqueeze(1)).sum()


def _ce_dim0(logits, target):
    return -_log_probs(logits).gather(0, target.unsqueeze(0)).mean()


def _ce_block(logits, target):  # logp[:, target]: an (N, N) block
    return -_log_probs(logits)[:, target].mean()


def _ce_no_minus(logits, target):
    return _log_probs(logits).gather(1, target.unsqueeze(1)).mean()


def _ce_unreduced(logits, target):
    return -_log_probs(logits).gather(1, target.unsqueeze(1)).squeeze(1)


_CE_TOL = {"rtol": 1e-5, "atol": 1e-6}


def _ce_mistake(wrong, text):
    return _mistake(_loss_and_grad, wrong, text, _CE_TOL)


def _large_logits(case) -> bool:
    return bool(np.any(np.abs(np.array(case.args[0].values, dtype=np.float64)) > 80))


def _loss_not_finite(case, e, g) -> bool:
    want, have = _number(_item(e, 0)), _number(_item(g, 0))
    return want is not None and have is not None and np.isfinite(want) and not np.isfinite(have)


CROSS_ENTROPY = Exercise(
    name="ch6.cross_entropy",
    function="cross_entropy",
    reference=_reference_cross_entropy,
    visible=[
        Case((T([[2.0, 1.0, 0.1, -1.0], [0.5, 2.5, 0.0, 1.0], [-1.0, 0.0, 1.0, 3.0]], requires_grad=True),
              T([0, 1, 3], "int64")), label="3 examples, 4 classes: the loss and its gradient"),
        Case((T([[1.0, 2.0, 3.0]], requires_grad=True), T([1], "int64")), label="a batch of one"),
        Case((T([[1.0, 2.0, 0.5], [0.0, -1.0, 2.0], [3.0, 1.0, 1.0]], requires_grad=True), T([2, 0, 0], "int64")),
             label="a square batch: 3 examples, 3 classes (rows are examples, columns classes)"),
        Case((T([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0]], requires_grad=True), T([0, 2], "int64")),
             label="huge logits: exp(1000) overflows float32"),
        Case((T([[0.0, -200.0], [3.0, 1.0]], requires_grad=True), T([1, 0], "int64")),
             label="a confident wrong answer: p = exp(-200) underflows, the loss must not"),
        Case((T([[0.5, 1.5], [2.0, 0.0]], "float64", requires_grad=True), T([1, 1], "int64")),
             label="float64 logits keep their dtype"),
        Case((T([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]], requires_grad=True), T([1, 3], "int64")),
             label="a target outside [0, 3): IndexError, in torch's words"),
    ],
    hidden=[
        Case((T([], shape=(0, 4), requires_grad=True), T([], "int64")),
             label="an empty batch: the mean of nothing is nan, as in torch"),
        Case((T([[1.0, 2.0, -1.0], [0.5, 0.0, 4.0]], permute=(1, 0), requires_grad=True), T([1, 0, 1], "int64")),
             label="transposed (non-contiguous) logits"),
        Case((T([[0.2, -0.3], [1.5, 1.0], [-2.0, 2.0], [0.0, 0.0], [3.0, -3.0], [0.7, 0.1], [-0.4, -0.2],
                 [1.1, 2.2]], requires_grad=True), T([0, 1, 1, 0, 0, 1, 1, 0], "int64")),
             label="8 examples, 2 classes"),
        Case((T([[2.0, 2.0, 2.0, 2.0], [-1.0, -1.0, -1.0, -1.0]], requires_grad=True), T([3, 0], "int64")),
             label="equal logits: the loss is log(4)"),
        Case((T([[0.0, float("-inf"), 1.0], [2.0, 0.5, float("-inf")]], requires_grad=True), T([0, 1], "int64")),
             label="a -inf logit (a masked class) for a wrong class"),
        Case((T([[500.0, -500.0, 0.0], [-700.0, 700.0, 1.0], [100.0, 100.0, 99.0]], requires_grad=True),
              T([1, 0, 2], "int64")), label="huge logits, each row a confident wrong answer"),
        Case((T([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True), T([0, -1, 1], "int64")),
             label="a negative target: IndexError"),
        Case((T([[0.1, 0.2, 0.3, 0.4, 0.5], [1.0, -1.0, 0.5, -0.5, 0.0], [2.0, 1.0, 0.0, -1.0, -2.0],
                 [0.3, 0.3, 0.9, 0.1, 0.2], [-2.5, 1.5, 0.5, 0.0, 3.5], [1.2, 0.8, -0.1, 0.4, 0.9]],
                "float64", requires_grad=True), T([4, 0, 2, 2, 1, 3], "int64")),
             label="6 examples, 5 classes, float64"),
    ],
    forbid=[
        "tinygrad_lessons.nn.functional.cross_entropy", "tinygrad_lessons.nn.functional.CrossEntropy",
        "tinygrad_lessons.nn.functional.nll_loss", "tinygrad_lessons.nn.functional.NllLoss",
        "tinygrad_lessons.nn.functional.log_softmax", "tinygrad_lessons.nn.functional.softmax",
        "tinygrad_lessons.math_ops.softmax", "tinygrad_lessons.math_ops.log_softmax",
        "tinygrad_lessons.tensor.Tensor.softmax", "tinygrad_lessons.tensor.Tensor.log_softmax",
        "tinygrad_lessons.nn.functional.LogSoftmax", "tinygrad_lessons.nn.functional.Softmax",
        "tinygrad_lessons.nn.functional._softmax_array", "tinygrad_lessons.reductions.logsumexp",
        "tinygrad_lessons.reductions.Logsumexp", "tinygrad_lessons.nn.CrossEntropyLoss.forward",
        "tinygrad_lessons.nn.NLLLoss.forward", "tinygrad_lessons.nn.LogSoftmax.forward",
        "tinygrad_lessons.nn.Softmax.forward",
    ],
    compare={**_CE_TOL, "messages": True},
    call=_loss_and_grad,
    hints=[
        Hint(lambda case, e, g: _large_logits(case) and _loss_not_finite(case, e, g),
             "the loss is inf or nan: exp overflowed (exp(89.0) is already inf in float32), or a probability "
             "underflowed to 0 and log(0) = -inf. Compute the log-probabilities stably, in log space: subtract each "
             "row's max m = x.max(dim=1, keepdim=True).values, then log_softmax(x) = (x - m) - log(sum(exp(x - m)))"),
        _ce_mistake(_ce_log_of_softmax,
                    "log(softmax(x)) takes the log of a probability that underflowed to 0, which is -inf: stay in "
                    "log space, log_softmax(x) = (x - m) - log(sum(exp(x - m)))"),
        _ce_mistake(_ce_sum,
                    "average over the batch (.mean()), don't sum: the loss, and the size of each step, must not grow "
                    "with the batch size (torch's reduction='mean')"),
        _ce_mistake(_ce_dim0,
                    "pick along dim 1, the classes: row i takes column target[i], "
                    "log_probs.gather(1, target.unsqueeze(1)) — gather along dim 0 picks a row per column"),
        Hint(lambda case, e, g: _error_says(g, "dimension 0") and not _error_says(e, "dimension 0"),
             "pick along dim 1, the classes: row i takes column target[i], "
             "log_probs.gather(1, target.unsqueeze(1)) — gather along dim 0 picks a row per column"),
        _ce_mistake(_ce_block,
                    "log_probs[:, target] picks every target's column for every row (an (N, N) block): pair row i "
                    "with target[i] — log_probs[tl.arange(N), target], or gather(1, target.unsqueeze(1))"),
        _ce_mistake(_ce_no_minus,
                    "cross-entropy is the *negative* log-probability of the right class: -log p is >= 0, and "
                    "smaller when the model is right"),
        _ce_mistake(_ce_unreduced,
                    "return one number for the batch (a 0-d tensor): the mean of the per-example losses"),
        Hint(lambda case, e, g: g.get("kind") == "tuple" and _item(e, 1).get("kind") == "tensor"
             and (_item(g, 1).get("kind") == "none" and _item(g, 0).get("kind") != "tensor"
                  or _item(g, 0).get("requires_grad") is False),
             "backward() must reach the logits: build the loss from tensor operations on logits (max, exp, sum, "
             "log, gather, mean) — not .numpy(), .item() or a new tl.tensor(...)"),
        Hint(lambda case, e, g: e.get("kind") == "error" and g.get("kind") != "error"
             or e.get("kind") == "error" and g.get("kind") == "error" and e["message"] != g["message"],
             "check the targets first, as torch does: the first one outside [0, C) (in order) raises "
             "IndexError(f'Target {t} is out of bounds.')"),
        Hint(lambda case, e, g: _item(e, 0).get("dtype") not in (None, _item(g, 0).get("dtype"))
             and _item(g, 0).get("kind") == "tensor",
             "the loss keeps the logits' dtype: compute with tensor operations, not NumPy's float64"),
    ],
    torch_oracle=_torch_cross_entropy,
)


# ====================================================================== 2-3. optimizers
def _const(lib, values, like):
    return lib.tensor(values, dtype=like.dtype, device=like.device)


_REG_X = [[1.0, 2.0, -1.0], [0.5, -1.0, 2.0], [-1.5, 0.5, 1.0], [2.0, 1.0, 0.0], [0.0, -2.0, -0.5]]
_REG_Y = [1.0, -2.0, 0.5, 3.0, -1.0]
_CLS_X = [[1.0, 0.5, -1.0, 2.0], [-0.5, 1.5, 0.0, -1.0], [2.0, -1.0, 1.0, 0.5], [0.0, 0.5, 2.0, -1.5],
          [-1.0, -1.0, 0.5, 1.0], [1.5, 2.0, -0.5, 0.0]]
_CLS_T = [0, 1, 2, 2, 1, 0]


def _bowl(lib, w):
    """A long, narrow bowl: ten times steeper along w[1] than along w[0]; the bottom is at (1, -2)."""
    return (_const(lib, [1.0, 10.0], w) * (w - _const(lib, [1.0, -2.0], w)) ** 2).sum()


def _regression(lib, w, b):
    """Mean squared error of a linear model x @ w + b on five fixed points."""
    return ((_const(lib, _REG_X, w) @ w + b - _const(lib, _REG_Y, w)) ** 2).mean()


def _classifier(lib, W, b):
    """Cross-entropy of a linear classifier (3 classes, 4 features) on six fixed examples."""
    logits = _const(lib, _CLS_X, W) @ W.T + b
    return lib.nn.functional.cross_entropy(logits, lib.tensor(_CLS_T, device=W.device))


def _unused(lib, w, u):
    """Uses w only: u gets no gradient (its .grad stays None)."""
    return ((w - _const(lib, [1.0, 2.0], w)) ** 2).sum()


def _rosenbrock(lib, p):
    """A curved valley with its minimum at (1, 1)."""
    return (1 - p[0]) ** 2 + 10 * (p[1] - p[0] ** 2) ** 2


#: name -> loss(lib, *params), written once for tl and torch
PROBLEMS = {"bowl": _bowl, "regression": _regression, "classifier": _classifier, "unused": _unused,
            "rosenbrock": _rosenbrock}


def _is_tensor(value) -> bool:
    return hasattr(value, "requires_grad") and hasattr(value, "grad_fn") and hasattr(value, "shape")


def _graph_in_state(opt, params) -> str:
    """Whether the optimizer keeps a tensor that requires grad (other than the parameters): one that carries
    a graph, which grows every step."""
    seen, stack = set(), [getattr(opt, "state", {}), vars(opt)]
    while stack:
        value = stack.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        if _is_tensor(value):
            if value.requires_grad and not any(value is p for p in params):
                return "the optimizer keeps a tensor that requires grad (it carries a graph)"
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, (list, tuple)):
            stack.extend(value)
    return "no tensor in the optimizer's state requires grad"


def _optimizer_run(lib, make, problem, hyper, steps, params):
    """Build the optimizer with ``make(params or groups, **hyper)`` and run ``steps`` steps of the loop."""
    hyper = dict(hyper)
    groups = hyper.pop("groups", None)
    given = [{"params": [p], **over} for p, over in zip(params, groups)] if groups else list(params)
    opt = make(given, **hyper)
    loss_of = PROBLEMS[problem]
    trajectory = [[] for _ in params]
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_of(lib, *params)
        loss.backward()
        opt.step()
        for path, p in zip(trajectory, params):
            path.append(p.detach().clone())
    opt.zero_grad()
    return (tuple(lib.stack(path) for path in trajectory),
            tuple(p.grad for p in params),
            tuple(f"is_leaf={p.is_leaf}, requires_grad={p.requires_grad}" for p in params),
            _graph_in_state(opt, params))


def _run_optimizer(cls, problem, hyper, steps, *params):
    """The learner's optimizer class on a problem: ``(trajectories, grads after zero_grad, leaf status, state)``."""
    if not isinstance(cls, type):
        raise TypeError(f"check the optimizer class itself (e.g. SGD, not SGD(...)), not a {type(cls).__name__}")
    return _optimizer_run(tl, cls, problem, hyper, steps, params)


def _torch_optimizer(name):
    def oracle(torch, problem, hyper, steps, *params):
        return _optimizer_run(torch, getattr(torch.optim, name), problem, hyper, steps, params)

    return oracle


# ---------------------------------------------------------------------- the reference optimizers
class _ReferenceSGD(tl.optim.Optimizer):
    """``p -= lr * g`` with ``g = grad + weight_decay * p``, through a momentum buffer when ``momentum``."""

    def __init__(self, params, lr=1e-3, momentum=0.0, weight_decay=0.0):
        super().__init__(params, {"lr": lr, "momentum": momentum, "weight_decay": weight_decay})

    def step(self):
        with tl.no_grad():  # an update is not part of any model: record nothing, and leaves may change in place
            for group in self.param_groups:
                lr, momentum, weight_decay = group["lr"], group["momentum"], group["weight_decay"]
                for p in group["params"]:
                    if p.grad is None:  # zero_grad set it to None, or the loss didn't use p: leave p alone
                        continue
                    g = p.grad
                    if weight_decay != 0:
                        g = g + weight_decay * p
                    if momentum != 0:
                        state = self.state[p]
                        if "momentum_buffer" not in state:
                            state["momentum_buffer"] = g.clone()  # the first step: the buffer is the gradient
                        else:
                            state["momentum_buffer"].mul_(momentum).add_(g)
                        g = state["momentum_buffer"]
                    p -= lr * g  # in place: the model holds this very tensor


class _ReferenceAdam(tl.optim.Optimizer):
    """Adam: running averages of the gradient and its square, bias-corrected, one state per parameter."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay})

    def step(self):
        with tl.no_grad():
            for group in self.param_groups:
                lr, (beta1, beta2), eps, weight_decay = group["lr"], group["betas"], group["eps"], \
                    group["weight_decay"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    g = p.grad
                    if weight_decay != 0:
                        g = g + weight_decay * p
                    state = self.state[p]
                    if not state:
                        state["step"] = 0
                        state["exp_avg"] = tl.zeros_like(p)
                        state["exp_avg_sq"] = tl.zeros_like(p)
                    state["step"] += 1
                    t = state["step"]
                    m, v = state["exp_avg"], state["exp_avg_sq"]
                    m.mul_(beta1).add_((1 - beta1) * g)
                    v.mul_(beta2).add_((1 - beta2) * g * g)
                    m_hat = m / (1 - beta1 ** t)  # both averages start at 0: undo that bias
                    v_hat = v / (1 - beta2 ** t)
                    p -= lr * m_hat / (v_hat.sqrt() + eps)


# ---------------------------------------------------------------------- known wrong optimizers (for hints)
class _SGDMistake(_ReferenceSGD):
    mistake = ""

    def step(self):
        mistake = self.mistake
        with tl.no_grad():
            for group in self.param_groups:
                hyper = self.defaults if mistake == "defaults" else group
                lr, momentum, weight_decay = hyper["lr"], hyper["momentum"], hyper["weight_decay"]
                for p in group["params"]:
                    g = p.grad
                    if g is None:
                        if mistake != "none_as_zero":
                            continue
                        g = tl.zeros_like(p)
                    if weight_decay != 0 and mistake not in ("decoupled", "decay_after_momentum"):
                        g = g + weight_decay * p
                    if momentum != 0 and mistake != "no_momentum":
                        state = self.state[p]
                        if "momentum_buffer" not in state or mistake == "buffer_not_kept":
                            state["momentum_buffer"] = g.clone()
                        else:
                            state["momentum_buffer"].mul_(momentum).add_(g)
                        g = state["momentum_buffer"]
                    if weight_decay != 0 and mistake == "decay_after_momentum":
                        g = g + weight_decay * p
                    p -= lr * g
                    if weight_decay != 0 and mistake == "decoupled":
                        p -= lr * weight_decay * p


class _AdamMistake(_ReferenceAdam):
    mistake = ""

    def step(self):
        mistake = self.mistake
        with tl.no_grad():
            for group in self.param_groups:
                hyper = self.defaults if mistake == "defaults" else group
                lr, (beta1, beta2), eps, weight_decay = hyper["lr"], hyper["betas"], hyper["eps"], \
                    hyper["weight_decay"]
                for p in group["params"]:
                    g = p.grad
                    if g is None:
                        if mistake != "none_as_zero":
                            continue
                        g = tl.zeros_like(p)
                    if weight_decay != 0 and mistake != "decoupled":
                        g = g + weight_decay * p
                    state = self.state[p]
                    if not state:
                        state.update(step=0, exp_avg=tl.zeros_like(p), exp_avg_sq=tl.zeros_like(p))
                    if mistake == "counter_per_parameter":  # one counter for the optimizer, bumped per parameter
                        self.__dict__["_t"] = self.__dict__.get("_t", 0) + 1
                        t = self._t
                    else:
                        state["step"] += 1
                        t = state["step"]
                    m, v = state["exp_avg"], state["exp_avg_sq"]
                    m.mul_(beta1).add_((1 - beta1) * g)
                    v.mul_(beta2).add_((1 - beta2) * g * g)
                    m_hat = m if mistake == "no_bias_correction" else m / (1 - beta1 ** t)
                    v_hat = v if mistake in ("no_bias_correction", "no_v_correction") else v / (1 - beta2 ** t)
                    if mistake == "eps_in_sqrt":
                        p -= lr * m_hat / (v_hat + eps).sqrt()
                    elif mistake == "no_sqrt":
                        p -= lr * m_hat / (v_hat + eps)
                    else:
                        p -= lr * m_hat / (v_hat.sqrt() + eps)
                    if weight_decay != 0 and mistake == "decoupled":
                        p -= lr * weight_decay * p


def _with_mistake(base, mistake):
    return type(f"{base.__name__}_{mistake}", (base,), {"mistake": mistake})


def _no_zero_grad(base):
    """The optimizer with a ``zero_grad`` that does nothing: gradients pile up."""
    return type(f"{base.__name__}_no_zero_grad", (base,), {"zero_grad": lambda self, set_to_none=True: None})


_OPT_TOL = {"rtol": 1e-4, "atol": 1e-5}


def _opt_mistake(wrong, text):
    return _mistake(_run_optimizer, wrong, text, _OPT_TOL)


def _trajectories_nan(case, e, g) -> bool:
    paths = _items(_item(g, 0))
    for path in paths:
        if path.get("kind") == "tensor":
            values = np.array(_decode(path["values"]), dtype=np.float64)
            if values.size and not np.all(np.isfinite(values)):
                return True
    return False


def _decode(values):
    if isinstance(values, list):
        return [_decode(v) for v in values]
    return decode_number(values)


def _did_not_move(case, e, g) -> bool:
    """Every parameter's trajectory stays at its starting value."""
    args, _ = case.build()
    starts = [np.array(a.tolist(), dtype=np.float64) for a in args[3:]]
    paths = _items(_item(g, 0))
    if len(paths) != len(starts) or any(p.get("kind") != "tensor" for p in paths):
        return False
    return all(np.allclose(np.array(_decode(p["values"]), dtype=np.float64), s) for p, s in zip(paths, starts))


_GROUPS_TEXT = ("each param group has its own hyper-parameters: read lr (and the others) from group[...] inside the "
                "loop over self.param_groups, not from self.defaults or __init__'s arguments")


def _common_optimizer_hints(name):
    return [
        Hint(lambda case, e, g: _any_error_says(e, g, "leaf Variable that requires grad"),
             "a parameter is a leaf that requires grad: autograd forbids changing it in place while it records. Do "
             "the whole update inside `with tl.no_grad():` (that is also why the update isn't part of any graph)"),
        Hint(_did_not_move,
             "the parameters did not move: change them in place (p -= ..., p.sub_(...), p.copy_(...)) — `p = p - ...` "
             "only rebinds a local name, while the model keeps the old tensor"),
        Hint(lambda case, e, g: _any_error_says(e, g, "NoneType"),
             "a parameter the loss didn't use has .grad None: skip it (if p.grad is None: continue)"),
        Hint(lambda case, e, g: _item(g, 3).get("value", "").startswith("the optimizer keeps a tensor"),
             "your optimizer keeps tensors that require grad: a graph that grows with every step. Compute every "
             "update, and every piece of state, inside `with tl.no_grad():`"),
        Hint(lambda case, e, g: any(x.get("kind") == "tensor" for x in _items(_item(g, 1)))
             and not compare(_item(e, 0), _item(g, 0), _OPT_TOL),
             "after zero_grad() every .grad must be None, as torch's default zero_grad(set_to_none=True) leaves it: "
             "inherit zero_grad from tl.optim.Optimizer (or set p.grad = None)"),
        Hint(lambda case, e, g: _any_error_says(e, g, "'dict' object has no attribute"),
             "params may also be a list of dicts, one per param group: subclass tl.optim.Optimizer, which sorts "
             "both forms into self.param_groups, and loop over those"),
        Hint(lambda case, e, g: _any_error_says(e, g, "must match the size") or _any_error_says(e, g, "broadcast"),
             f"each parameter needs its own state (self.state[p] is a dict per parameter): {name} keeps one "
             "buffer per parameter, with the parameter's shape"),
    ]


SGD_EXERCISE = Exercise(
    name="ch6.sgd",
    function="SGD",
    reference=_ReferenceSGD,
    visible=[
        Case(("bowl", {"lr": 0.04}, 5, T([0.0, 0.0], requires_grad=True)), label="plain SGD on a bowl: p -= lr * grad"),
        Case(("bowl", {"lr": 0.04, "momentum": 0.9}, 6, T([0.0, 0.0], requires_grad=True)),
             label="momentum=0.9: a buffer per parameter, buf = momentum * buf + grad"),
        Case(("regression", {"lr": 0.05, "weight_decay": 0.1}, 5, T([0.5, -0.5, 0.0], requires_grad=True),
              T(0.0, requires_grad=True)), label="weight_decay=0.1: the gradient becomes grad + weight_decay * p"),
        Case(("classifier", {"lr": 0.5, "momentum": 0.9, "weight_decay": 0.01}, 5,
              T([[0.1, -0.2, 0.0, 0.3], [0.0, 0.1, -0.1, 0.2], [-0.3, 0.0, 0.2, 0.1]], requires_grad=True),
              T([0.0, 0.0, 0.0], requires_grad=True)),
             label="momentum and weight decay together: the decay goes into the buffer"),
        Case(("unused", {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.5}, 4, T([0.0, 0.0], requires_grad=True),
              T([3.0, -3.0], requires_grad=True)),
             label="a parameter the loss doesn't use: its .grad is None, and step leaves it alone"),
        Case(("regression", {"lr": 0.1, "groups": [{"lr": 0.01}, {}]}, 4, T([0.5, -0.5, 0.0], requires_grad=True),
              T(0.0, requires_grad=True)), label="two param groups: w with lr=0.01, b with the default lr=0.1"),
    ],
    hidden=[
        Case(("bowl", {"lr": 0.02, "momentum": 0.5}, 10, T([2.0, 1.0], requires_grad=True)),
             label="momentum=0.5 over 10 steps"),
        Case(("classifier", {"lr": 1.0}, 4,
              T([[0.1, -0.2, 0.0, 0.3], [0.0, 0.1, -0.1, 0.2], [-0.3, 0.0, 0.2, 0.1]], requires_grad=True),
              T([0.1, 0.0, -0.1], requires_grad=True)), label="plain SGD on a small classifier"),
        Case(("regression", {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.1,
                             "groups": [{"momentum": 0.0}, {"weight_decay": 0.0}]}, 5,
              T([0.5, -0.5, 0.0], requires_grad=True), T(1.0, requires_grad=True)),
             label="groups that switch momentum off for w and weight decay off for b"),
        Case(("unused", {"lr": 0.2}, 3, T([0.5, 0.5], requires_grad=True), T([1.0, 1.0], requires_grad=True)),
             label="plain SGD with an unused parameter"),
        Case(("bowl", {"lr": 0.03, "momentum": 0.9, "weight_decay": 0.2}, 6, T([1.0, 0.0], "float64",
                                                                                requires_grad=True)),
             label="float64 parameters, momentum and weight decay"),
        Case(("rosenbrock", {"lr": 0.01, "momentum": 0.8}, 8, T([-1.0, 1.5], requires_grad=True)),
             label="a curved valley, momentum=0.8"),
        Case(("bowl", {"momentum": 0.9}, 3, T([0.0, 0.0], requires_grad=True)), label="the default lr (1e-3)"),
    ],
    forbid=["tinygrad_lessons.optim.sgd.SGD.step", "tinygrad_lessons.optim.adam.Adam.step"],
    compare=_OPT_TOL,
    call=_run_optimizer,
    pure=False,
    hints=[
        *_common_optimizer_hints("SGD"),
        _opt_mistake(_no_zero_grad(_ReferenceSGD),
                     "the gradients piled up from step to step: zero_grad() must clear every p.grad (torch sets them "
                     "to None) — backward() adds to .grad, it never replaces it"),
        _opt_mistake(_with_mistake(_SGDMistake, "none_as_zero"),
                     "a parameter whose .grad is None is skipped entirely — no weight decay, no momentum: zero_grad "
                     "leaves None, which is not the same as a zero gradient"),
        _opt_mistake(_with_mistake(_SGDMistake, "no_momentum"),
                     "momentum is ignored: keep a buffer per parameter in self.state[p], "
                     "buf = momentum * buf + g (the first step: buf = g), and step along buf"),
        _opt_mistake(_with_mistake(_SGDMistake, "buffer_not_kept"),
                     "the momentum buffer must survive from one step to the next: store it in self.state[p] "
                     "and update it in place (or store the new one back)"),
        _opt_mistake(_with_mistake(_SGDMistake, "decoupled"),
                     "torch's SGD adds weight_decay * p to the gradient *before* momentum (g = grad + wd * p), it "
                     "doesn't shrink p separately"),
        _opt_mistake(_with_mistake(_SGDMistake, "defaults"), _GROUPS_TEXT),
        _opt_mistake(_with_mistake(_SGDMistake, "decay_after_momentum"),
                     "add the weight decay to the gradient before it goes into the momentum buffer"),
    ],
    torch_oracle=_torch_optimizer("SGD"),
)


ADAM_EXERCISE = Exercise(
    name="ch6.adam",
    function="Adam",
    reference=_ReferenceAdam,
    visible=[
        Case(("bowl", {"lr": 0.1}, 6, T([0.0, 0.0], requires_grad=True)),
             label="Adam on a bowl: each weight moves about lr per step, however steep"),
        Case(("classifier", {"lr": 0.05}, 5,
              T([[0.1, -0.2, 0.0, 0.3], [0.0, 0.1, -0.1, 0.2], [-0.3, 0.0, 0.2, 0.1]], requires_grad=True),
              T([0.0, 0.0, 0.0], requires_grad=True)),
             label="two parameters: each has its own averages and step count"),
        Case(("bowl", {"lr": 0.1, "betas": (0.5, 0.9), "eps": 0.01}, 5, T([2.0, 0.5], requires_grad=True)),
             label="betas=(0.5, 0.9) and a large eps=0.01: eps is added to sqrt(v_hat)"),
        Case(("regression", {"lr": 0.05, "weight_decay": 0.5}, 5, T([0.5, -0.5, 0.0], requires_grad=True),
              T(0.0, requires_grad=True)), label="weight_decay=0.5: added to the gradient (Adam, not AdamW)"),
        Case(("unused", {"lr": 0.1, "weight_decay": 0.1}, 4, T([0.0, 0.0], requires_grad=True),
              T([3.0, -3.0], requires_grad=True)), label="a parameter the loss doesn't use is left alone"),
        Case(("regression", {"lr": 0.1, "groups": [{"lr": 0.01}, {"betas": (0.0, 0.99)}]}, 4,
              T([0.5, -0.5, 0.0], requires_grad=True), T(0.0, requires_grad=True)),
             label="two param groups with their own lr and betas"),
    ],
    hidden=[
        Case(("rosenbrock", {"lr": 0.05}, 15, T([-1.0, 1.5], requires_grad=True)),
             label="a curved valley, 15 steps"),
        Case(("bowl", {}, 4, T([0.0, 0.0], requires_grad=True)), label="the defaults: lr=1e-3, betas=(0.9, 0.999)"),
        Case(("classifier", {"lr": 0.02, "betas": (0.8, 0.99), "weight_decay": 0.01}, 6,
              T([[0.1, -0.2, 0.0, 0.3], [0.0, 0.1, -0.1, 0.2], [-0.3, 0.0, 0.2, 0.1]], requires_grad=True),
              T([0.1, 0.0, -0.1], requires_grad=True)), label="a classifier with weight decay and other betas"),
        Case(("bowl", {"lr": 0.2, "betas": (0.0, 0.99)}, 5, T([1.0, 0.0], "float64", requires_grad=True)),
             label="float64, beta1=0 (no momentum)"),
        Case(("unused", {"lr": 0.3}, 3, T([0.5, 0.5], requires_grad=True), T([1.0, 1.0], requires_grad=True)),
             label="an unused parameter, no weight decay"),
        Case(("regression", {"lr": 0.1, "eps": 0.1}, 5, T([0.5, -0.5, 0.0], requires_grad=True),
              T(1.0, requires_grad=True)), label="eps=0.1, w and b"),
        Case(("bowl", {"lr": 0.05, "betas": (0.9, 0.999)}, 1, T([0.0, 0.0], requires_grad=True)),
             label="one step: bias correction makes it exactly lr * sign(grad)"),
    ],
    forbid=["tinygrad_lessons.optim.adam.Adam.step", "tinygrad_lessons.optim.sgd.SGD.step"],
    compare=_OPT_TOL,
    call=_run_optimizer,
    pure=False,
    hints=[
        *_common_optimizer_hints("Adam"),
        Hint(lambda case, e, g: _trajectories_nan(case, e, g),
             "a parameter became nan or inf: count steps from 1 (t += 1 *before* the bias correction — "
             "1 - beta ** 0 is 0), average the *squared* gradient in v, and add eps to sqrt(v_hat)"),
        _opt_mistake(_no_zero_grad(_ReferenceAdam),
                     "the gradients piled up from step to step: zero_grad() must clear every p.grad (torch sets them "
                     "to None) — backward() adds to .grad, it never replaces it"),
        _opt_mistake(_with_mistake(_AdamMistake, "no_bias_correction"),
                     "bias correction is missing: m and v start at 0, so early on they are too small; divide them "
                     "by (1 - beta1 ** t) and (1 - beta2 ** t), t the parameter's step count (1 on the first step)"),
        _opt_mistake(_with_mistake(_AdamMistake, "no_v_correction"),
                     "correct both averages: v_hat = v / (1 - beta2 ** t) too, not only m"),
        _opt_mistake(_with_mistake(_AdamMistake, "counter_per_parameter"),
                     "the step count t goes up once per step() for each parameter (keep it in self.state[p]), "
                     "not once per parameter visited"),
        _opt_mistake(_with_mistake(_AdamMistake, "eps_in_sqrt"),
                     "eps goes outside the square root: m_hat / (sqrt(v_hat) + eps)"),
        _opt_mistake(_with_mistake(_AdamMistake, "no_sqrt"),
                     "divide by the square root of v_hat (the gradient's typical size), not by v_hat itself"),
        _opt_mistake(_with_mistake(_AdamMistake, "decoupled"),
                     "Adam's weight_decay adds weight_decay * p to the gradient before the averages (AdamW is the one "
                     "that shrinks p directly)"),
        _opt_mistake(_with_mistake(_AdamMistake, "defaults"), _GROUPS_TEXT),
        _opt_mistake(_with_mistake(_AdamMistake, "none_as_zero"),
                     "a parameter whose .grad is None is skipped entirely — no weight decay, no averages, no step "
                     "count: zero_grad leaves None, which is not the same as a zero gradient"),
    ],
    torch_oracle=_torch_optimizer("Adam"),
)


# ====================================================================== 4-5. train_epoch and evaluate
#: the fixed weights of the checks' model: Linear(4, 5) -> ReLU -> Linear(5, 3)
MODEL_WEIGHTS = {
    "0.weight": np.round(np.sin(np.arange(20) * 1.3).reshape(5, 4) * 0.6, 2).tolist(),
    "0.bias": [0.1, -0.1, 0.05, 0.0, 0.2],
    "2.weight": np.round(np.cos(np.arange(15) * 0.7).reshape(3, 5) * 0.5, 2).tolist(),
    "2.bias": [0.0, 0.1, -0.1],
}


def make_model(lib, log=None):
    """The checks' model, with ``MODEL_WEIGHTS``, wrapped so that each forward call appends
    ``(batch size, model.training, grad mode on)`` to ``log``."""
    rng = lib.random.default_generator
    state = rng.get_state()  # building layers draws initial weights: leave the global generator as it was
    inner = lib.nn.Sequential(lib.nn.Linear(4, 5), lib.nn.ReLU(), lib.nn.Linear(5, 3))
    rng.set_state(state)
    with lib.no_grad():
        for name, p in inner.named_parameters():
            p.copy_(lib.tensor(MODEL_WEIGHTS[name], dtype=p.dtype))

    class Watched(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            if log is not None:
                log.append((int(x.shape[0]), bool(self.training), bool(lib.is_grad_enabled())))
            return self.inner(x)

    return Watched()


def _modes(log) -> str:
    training = sorted({t for _, t, _ in log})
    grad = sorted({g for _, _, g in log})
    return f"model.training during forward: {training}, grad mode on: {grad}"


def _make_optimizer(lib, name, params):
    if name == "adam":
        return lib.optim.Adam(params, lr=0.05)
    return lib.optim.SGD(params, lr=0.2, momentum=0.9)


_DATA_X = [[0.5, -1.0, 1.5, 0.0], [1.0, 0.5, -0.5, 2.0], [-1.5, 1.0, 0.0, 0.5], [0.0, -0.5, 1.0, -1.0],
           [2.0, 1.5, -1.0, 0.5], [-0.5, -1.5, 0.5, 1.0], [1.5, 0.0, 2.0, -0.5], [-1.0, 2.0, -1.5, 0.0],
           [0.5, 0.5, 0.5, 0.5], [-2.0, -1.0, 1.0, 1.5], [1.0, -2.0, 0.0, 1.0]]
_DATA_Y = [0, 1, 2, 0, 1, 2, 0, 2, 1, 0, 1]


def _data(n):
    return T(_DATA_X[:n]), T(_DATA_Y[:n], "int64")


def _cuda_context(device):
    """A cuda device for the call when it asks for one: the real GPU, else the simulated one."""
    if device == "cpu":
        return None
    undo = _cuda_for_a_while()
    if undo is False:
        raise RuntimeError("no cuda device can exist here (neither a GPU nor the simulated one)")
    return undo


def _run_train_epoch(fn, X, y, batch_size, seed, device="cpu", optimizer="sgd", stale=False):
    """The learner's ``train_epoch`` on the checks' model: ``(what it returned, the batch sizes the model saw,
    its modes, the weights it ends with)``."""
    undo = _cuda_context(device)
    try:
        log = []
        model = make_model(tl, log).to(device)
        model.eval()  # as evaluate() leaves it: train_epoch must switch training mode back on
        opt = _make_optimizer(tl, optimizer, model.parameters())
        if stale:  # gradients left over from earlier: train_epoch must zero them before each backward
            for p in model.parameters():
                p.grad = tl.ones_like(p)
        returned = fn(model, tl.nn.CrossEntropyLoss(), opt, X, y, batch_size, tl.Generator().manual_seed(seed),
                      device)
        weights = tuple(p.detach().cpu() for p in model.parameters())
        return returned, tuple(size for size, _, _ in log), _modes(log), weights
    finally:
        if undo:
            undo()


def _torch_train_epoch(torch, X, y, batch_size, seed, device="cpu", optimizer="sgd", stale=False):
    """The same epoch in PyTorch, over the library's permutation for the seed."""
    log = []
    model = make_model(torch, log)
    model.train()
    opt = _make_optimizer(torch, optimizer, model.parameters())
    loss_fn = torch.nn.CrossEntropyLoss()
    order = torch.tensor(tl.randperm(len(X), generator=tl.Generator().manual_seed(seed)).tolist(), dtype=torch.int64)
    total = 0.0
    for start in range(0, len(X), batch_size):
        idx = order[start:start + batch_size]
        opt.zero_grad()
        loss = loss_fn(model(X[idx]), y[idx])
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
    weights = tuple(p.detach() for p in model.parameters())
    return total / len(X), tuple(size for size, _, _ in log), _modes(log), weights


def _reference_train_epoch(model, loss_fn, optimizer, X, y, batch_size, generator, device):
    """One pass over (X, y) in shuffled mini-batches; returns the mean loss per example."""
    model.train()  # layers such as Dropout behave differently in training mode
    n = len(X)
    order = tl.randperm(n, generator=generator)  # a new order every epoch, from the caller's generator
    total = 0.0
    for start in range(0, n, batch_size):
        idx = order[start:start + batch_size]  # the last batch may be shorter
        xb, yb = X[idx].to(device), y[idx].to(device)
        optimizer.zero_grad()  # 1. forget the previous batch's gradients (backward adds to .grad)
        loss = loss_fn(model(xb), yb)  # 2-3. forward, loss
        loss.backward()  # 4. gradients of the loss, into every parameter's .grad
        optimizer.step()  # 5. update the parameters
        total += loss.item() * len(idx)  # a Python number: keeping the tensor would keep its graph
    return total / n


def _train_epoch_variant(mistake):
    """``train_epoch`` with one known mistake (for hints)."""

    def train_epoch(model, loss_fn, optimizer, X, y, batch_size, generator, device):
        if mistake != "no_train_mode":
            model.train()
        n = len(X)
        order = tl.arange(n) if mistake == "no_shuffle" else tl.randperm(n, generator=generator)
        total, means, last = 0.0, [], None
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            if mistake == "drop_last" and len(idx) < batch_size:
                break
            xb, yb = X[idx].to(device), y[idx].to(device)
            if mistake not in ("no_zero_grad", "zero_grad_after"):
                optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            if mistake == "step_before_backward":
                optimizer.step()
                loss.backward()
            else:
                loss.backward()
                optimizer.step()
            if mistake == "zero_grad_after":
                optimizer.zero_grad()
            total += loss.item() * len(idx)
            means.append(loss.item())
            last = loss.item()
        if mistake == "batch_mean":
            return sum(means) / len(means)
        if mistake == "last_loss":
            return last
        return total / n

    return train_epoch


def _train_mistake(mistake, text):
    return _mistake(_run_train_epoch, _train_epoch_variant(mistake), text, _TRAIN_TOL)


_TRAIN_TOL = {"rtol": 1e-4, "atol": 1e-6}


def _modes_are(plain, training=None, grad=None) -> bool:
    text = plain.get("value", "") if isinstance(plain, dict) else ""
    ok = True
    if training is not None:
        ok = ok and f"model.training during forward: [{training}]" in text
    if grad is not None:
        ok = ok and f"grad mode on: [{grad}]" in text
    return ok


def _returned_kind(g, kind) -> bool:
    return _item(g, 0).get("kind") == kind


def _sizes(plain) -> list:
    return [x.get("value") for x in _items(plain)]


TRAIN_EPOCH = Exercise(
    name="ch6.train_epoch",
    function="train_epoch",
    reference=_reference_train_epoch,
    visible=[
        Case((*_data(10), 4, 0), label="10 examples in batches of 4 (4, 4, 2), SGD with momentum"),
        Case((*_data(9), 3, 1), label="9 examples in batches of 3, another seed"),
        Case((*_data(8), 8, 2), label="one batch holding everything"),
        Case((*_data(10), 4, 0), {"stale": True},
             label="the model arrives with stale gradients: zero them before each backward"),
        Case((*_data(10), 3, 5), {"device": "cuda"},
             label="the model is on cuda (simulated without a GPU): move each batch to device"),
    ],
    hidden=[
        Case((*_data(11), 4, 7), {"optimizer": "adam"}, label="11 examples, batches of 4, Adam"),
        Case((*_data(10), 1, 3), label="batches of one example"),
        Case((*_data(7), 5, 11), {"stale": True, "optimizer": "adam"}, label="stale gradients and Adam"),
        Case((*_data(11), 4, 7), label="11 examples in batches of 4, SGD"),
        Case((*_data(6), 4, 42), {"device": "cuda", "optimizer": "adam"}, label="cuda, Adam, a short last batch"),
        Case((*_data(10), 16, 0), label="batch_size larger than the data set"),
    ],
    forbid=[],
    compare=_TRAIN_TOL,
    call=_run_train_epoch,
    hints=[
        _DEVICE_HINT,
        Hint(lambda case, e, g: _returned_kind(g, "tensor"),
             "return a Python number: add up loss.item() (a tensor total keeps every batch's graph alive)"),
        Hint(lambda case, e, g: _modes_are(_item(g, 2), training=False)
             or _modes_are(_item(g, 2), training="False, True"),
             "call model.train() first: the model may come from evaluate(), in eval mode, and layers such as "
             "Dropout and BatchNorm behave differently in training"),
        Hint(lambda case, e, g: _modes_are(_item(g, 2), grad=False),
             "training needs grad mode on: no tl.no_grad() around the forward pass and backward"),
        Hint(lambda case, e, g: g.get("kind") == "tuple" and _sizes(_item(g, 1)) == _sizes(_item(e, 1))[:-1],
             "keep the last, shorter batch: every example counts once per epoch (range(0, n, batch_size))"),
        Hint(lambda case, e, g: len(_sizes(_item(e, 1))) > 1 and _sizes(_item(g, 1)) == [sum(_sizes(_item(e, 1)))],
             "go through the data in mini-batches of batch_size, one optimizer step per batch"),
        _train_mistake("no_shuffle",
                       "shuffle: draw a new order every epoch with tl.randperm(len(X), generator=generator), and take "
                       "the batches from it (order[start:start + batch_size])"),
        _train_mistake("no_zero_grad",
                       "call optimizer.zero_grad() before each backward(): backward adds into .grad, so without it "
                       "every step uses the sum of all the gradients so far"),
        _train_mistake("zero_grad_after",
                       "zero the gradients *before* backward (zero_grad → forward → loss → backward → step): the "
                       "model may arrive with gradients left over from earlier"),
        _train_mistake("step_before_backward",
                       "the order is zero_grad → forward → loss → backward → step: step() uses the gradients that "
                       "backward() has just computed"),
        _train_mistake("batch_mean",
                       "return the mean loss per *example*: weight each batch's mean loss by its size (loss.item() * "
                       "len(batch)), then divide by n — the last batch may be smaller"),
        _train_mistake("last_loss",
                       "return the mean loss over the whole epoch, not the last batch's"),
    ],
    torch_oracle=_torch_train_epoch,
)


# ---------------------------------------------------------------------- evaluate
def _reference_evaluate(model, loss_fn, X, y, batch_size, device):
    """``(mean loss per example, accuracy)`` of the model on (X, y), in order, without recording a graph."""
    model.eval()
    n = len(X)
    total, correct = 0.0, 0
    with tl.no_grad():  # no graph: faster, and no memory kept for a backward that never comes
        for start in range(0, n, batch_size):
            xb, yb = X[start:start + batch_size].to(device), y[start:start + batch_size].to(device)
            out = model(xb)
            total += loss_fn(out, yb).item() * len(yb)
            correct += (out.argmax(dim=1) == yb).sum().item()  # the predicted class: the largest logit
    return total / n, correct / n


def _run_evaluate(fn, X, y, batch_size, device="cpu"):
    """The learner's ``evaluate`` on the checks' model: ``(what it returned, batch sizes, modes)``."""
    undo = _cuda_context(device)
    try:
        log = []
        model = make_model(tl, log).to(device)
        model.train()  # as train_epoch leaves it: evaluate must switch to eval mode
        returned = fn(model, tl.nn.CrossEntropyLoss(), X, y, batch_size, device)
        return returned, tuple(size for size, _, _ in log), _modes(log)
    finally:
        if undo:
            undo()


def _torch_evaluate(torch, X, y, batch_size, device="cpu"):
    log = []
    model = make_model(torch, log)
    model.eval()
    loss_fn = torch.nn.CrossEntropyLoss()
    total, correct = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(X), batch_size):
            out = model(X[start:start + batch_size])
            yb = y[start:start + batch_size]
            total += loss_fn(out, yb).item() * len(yb)
            correct += (out.argmax(dim=1) == yb).sum().item()
    return (total / len(X), correct / len(X)), tuple(size for size, _, _ in log), _modes(log)


def _evaluate_variant(mistake):
    def evaluate(model, loss_fn, X, y, batch_size, device):
        model.eval()
        n = len(X)
        total, correct, means = 0.0, 0, []
        with tl.no_grad():
            for start in range(0, n, batch_size):
                xb, yb = X[start:start + batch_size].to(device), y[start:start + batch_size].to(device)
                out = model(xb)
                total += loss_fn(out, yb).item() * len(yb)
                means.append(loss_fn(out, yb).item())
                correct += (out.argmax(dim=0 if mistake == "argmax0" else 1) == yb).sum().item()
        loss = sum(means) / len(means) if mistake == "batch_mean" else total / n
        return loss, (correct if mistake == "count" else correct / n)

    return evaluate


_ARGMAX_TEXT = "the predicted class of each example is the index of its largest logit along dim 1: out.argmax(dim=1)"


def _returned_pair(g):
    return _item(g, 0)


EVALUATE = Exercise(
    name="ch6.evaluate",
    function="evaluate",
    reference=_reference_evaluate,
    visible=[
        Case((*_data(10), 4), label="10 examples in batches of 4: (mean loss, accuracy)"),
        Case((*_data(9), 3), label="9 examples in batches of 3"),
        Case((*_data(5), 8), label="one batch holding everything"),
        Case((*_data(10), 3), {"device": "cuda"}, label="the model is on cuda (simulated without a GPU)"),
    ],
    hidden=[
        Case((*_data(11), 4), label="11 examples in batches of 4"),
        Case((*_data(7), 1), label="batches of one example"),
        Case((*_data(11), 5), {"device": "cuda"}, label="cuda, 11 examples in batches of 5"),
        Case((*_data(1), 4), label="a single example"),
    ],
    forbid=[],
    compare={"rtol": 1e-5, "atol": 1e-7},
    call=_run_evaluate,
    hints=[
        _DEVICE_HINT,
        Hint(lambda case, e, g: any(x.get("kind") == "tensor" for x in _items(_returned_pair(g)))
             or _returned_pair(g).get("kind") == "tensor",
             "return two Python numbers: loss.item(), and the accuracy as a float"),
        Hint(lambda case, e, g: _modes_are(_item(g, 2), grad=True) or _modes_are(_item(g, 2), grad="False, True"),
             "evaluate inside `with tl.no_grad():` — no graph is recorded, which saves the memory and time "
             "that a backward pass would need"),
        Hint(lambda case, e, g: _modes_are(_item(g, 2), training=True)
             or _modes_are(_item(g, 2), training="False, True"),
             "call model.eval() first: the model comes from training, and layers such as Dropout and BatchNorm "
             "must switch to their evaluation behaviour"),
        Hint(lambda case, e, g: len(_sizes(_item(e, 1))) > 1 and _sizes(_item(g, 1)) == [sum(_sizes(_item(e, 1)))],
             "go through X in batches of batch_size (a whole test set at once may not fit in a GPU's memory)"),
        Hint(lambda case, e, g: g.get("kind") == "tuple" and _sizes(_item(g, 1)) == _sizes(_item(e, 1))[:-1],
             "keep the last, shorter batch: every example counts"),
        _mistake(_run_evaluate, _evaluate_variant("batch_mean"),
                 "the mean loss per *example*: weight each batch's mean by its size (loss.item() * len(yb)), then "
                 "divide by n — the last batch may be smaller", {"rtol": 1e-5, "atol": 1e-7}),
        _mistake(_run_evaluate, _evaluate_variant("count"),
                 "accuracy is the fraction of examples predicted right (correct / n), between 0 and 1",
                 {"rtol": 1e-5, "atol": 1e-7}),
        _mistake(_run_evaluate, _evaluate_variant("argmax0"), _ARGMAX_TEXT, {"rtol": 1e-5, "atol": 1e-7}),
        Hint(lambda case, e, g: _any_error_says(e, g, "must match the size") or _any_error_says(e, g, "expand"),
             _ARGMAX_TEXT),
    ],
    torch_oracle=_torch_evaluate,
)


register(CROSS_ENTROPY, SGD_EXERCISE, ADAM_EXERCISE, TRAIN_EPOCH, EVALUATE)
