"""Chapter 6's graded exercises catch real mistakes, not only empty stubs.

Per exercise: a solution written as the notebook's passes the visible and hidden checks; the
untouched stub fails with the "not implemented" line; a solution that calls the library's own
implementation fails; and plausible wrong solutions each fail with a hint that points at the
mistake. The optimizer exercises hand in a class: ``__init__`` as the notebook gives it,
``step`` as a learner might write it.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import pytest

import tinygrad_lessons as tl
from exercise_checks import assert_fails, assert_passes, course_env, run_check, stub  # noqa: F401 - course_env: an autouse fixture
from tinygrad_lessons.grading import check
from tinygrad_lessons.grading.exercises import ch6

ROOT = Path(__file__).resolve().parents[1]
NOT_IMPLEMENTED = "not implemented yet: replace `raise NotImplementedError()`"


# ====================================================================== ch6.cross_entropy
def _log_probs(logits):
    shifted = logits - logits.max(dim=1, keepdim=True).values
    return shifted - shifted.exp().sum(dim=1, keepdim=True).log()


def _check_targets(logits, target):
    bad = target[(target < 0) | (target >= logits.shape[1])]
    if bad.numel():
        raise IndexError(f"Target {bad[0].item()} is out of bounds.")


def cross_entropy(logits, target):  # as the notebook's solution
    _check_targets(logits, target)
    return -_log_probs(logits).gather(1, target.unsqueeze(1)).squeeze(1).mean()


def ce_indexing(logits, target):  # another right way: advanced indexing instead of gather
    _check_targets(logits, target)
    return -_log_probs(logits)[tl.arange(len(target)), target].mean()


def ce_no_max(logits, target):
    _check_targets(logits, target)
    log_probs = logits - logits.exp().sum(dim=1, keepdim=True).log()
    return -log_probs.gather(1, target.unsqueeze(1)).mean()


def ce_log_of_softmax(logits, target):
    _check_targets(logits, target)
    e = (logits - logits.max(dim=1, keepdim=True).values).exp()
    return -(e / e.sum(dim=1, keepdim=True)).log().gather(1, target.unsqueeze(1)).mean()


def ce_sum(logits, target):
    _check_targets(logits, target)
    return -_log_probs(logits).gather(1, target.unsqueeze(1)).sum()


def ce_gather_dim0(logits, target):
    _check_targets(logits, target)
    return -_log_probs(logits).gather(0, target.unsqueeze(0)).mean()


def ce_block(logits, target):
    _check_targets(logits, target)
    return -_log_probs(logits)[:, target].mean()


def ce_no_minus(logits, target):
    _check_targets(logits, target)
    return _log_probs(logits).gather(1, target.unsqueeze(1)).mean()


def ce_numpy(logits, target):
    _check_targets(logits, target)
    x = logits.detach().numpy()
    shifted = x - x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return tl.tensor(-log_probs[np.arange(len(x)), target.numpy()].mean(), dtype=logits.dtype)


def ce_no_target_check(logits, target):
    return -_log_probs(logits).gather(1, target.unsqueeze(1)).mean()


def ce_library(logits, target):
    return tl.nn.functional.cross_entropy(logits, target)


def ce_library_log_softmax(logits, target):
    _check_targets(logits, target)
    return -tl.nn.functional.log_softmax(logits, 1).gather(1, target.unsqueeze(1)).mean()


def ce_logsumexp(logits, target):
    _check_targets(logits, target)
    picked = logits.gather(1, target.unsqueeze(1)).squeeze(1)
    return (logits.logsumexp(1) - picked).mean()


@pytest.mark.parametrize("fn", [cross_entropy, ce_indexing])
def test_ch6_cross_entropy_solution_passes(fn):
    assert_passes("ch6.cross_entropy", fn)


def test_ch6_cross_entropy_stub_fails():
    text = assert_fails("ch6.cross_entropy", stub, NOT_IMPLEMENTED)
    assert "✓" not in text


@pytest.mark.parametrize(("fn", "hint"), [
    (ce_library, "don't call tl.nn.functional.cross_entropy"),
    (ce_library_log_softmax, "don't call tl.nn.functional.log_softmax"),
    (ce_logsumexp, "don't call"),
])
def test_ch6_cross_entropy_library_call_fails(fn, hint):
    assert_fails("ch6.cross_entropy", fn, hint)


@pytest.mark.parametrize(("fn", "hints"), [
    (ce_no_max, ["exp overflowed", "subtract each row's max"]),
    (ce_log_of_softmax, ["log(softmax(x)) takes the log of a probability that underflowed"]),
    (ce_sum, ["average over the batch (.mean()), don't sum"]),
    (ce_gather_dim0, ["pick along dim 1, the classes"]),
    (ce_block, ["an (N, N) block"]),
    (ce_no_minus, ["the *negative* log-probability"]),
    (ce_numpy, ["backward() must reach the logits"]),
    (ce_no_target_check, ["IndexError(f'Target {t} is out of bounds.')"]),
])
def test_ch6_cross_entropy_wrong_solution_fails(fn, hints):
    assert_fails("ch6.cross_entropy", fn, *hints)


# ====================================================================== ch6.sgd
class _SGDInit(tl.optim.Optimizer):
    """The notebook's __init__."""

    def __init__(self, params, lr=1e-3, momentum=0.0, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay))


class SGD(_SGDInit):  # as the notebook's solution
    def step(self):
        with tl.no_grad():
            for group in self.param_groups:
                lr, momentum, weight_decay = group["lr"], group["momentum"], group["weight_decay"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    g = p.grad
                    if weight_decay != 0:
                        g = g + weight_decay * p
                    if momentum != 0:
                        state = self.state[p]
                        if "momentum_buffer" not in state:
                            state["momentum_buffer"] = g.clone()
                        else:
                            state["momentum_buffer"].mul_(momentum).add_(g)
                        g = state["momentum_buffer"]
                    p -= lr * g


class SGDOutOfPlaceState(_SGDInit):  # another right way: the buffer rebuilt and stored back, p.sub_
    def step(self):
        with tl.no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    g = p.grad + group["weight_decay"] * p
                    if group["momentum"]:
                        buf = self.state[p].get("momentum_buffer")
                        buf = g.clone() if buf is None else group["momentum"] * buf + g
                        self.state[p]["momentum_buffer"] = buf
                        g = buf
                    p.sub_(group["lr"] * g)


def _sgd_step(self, *, no_grad=True, skip_none=True, hyper_from="group", decoupled=False, keep_buffer=True,
              graph_in_state=False, rebind=False):
    """One SGD step with the given deviations from torch's rules (False/None: the mistake)."""
    context = tl.no_grad() if no_grad else contextlib.nullcontext()
    with context:
        for group in self.param_groups:
            hyper = group if hyper_from == "group" else self.defaults
            lr, momentum, weight_decay = hyper["lr"], hyper["momentum"], hyper["weight_decay"]
            for i, p in enumerate(group["params"]):
                g = p.grad
                if g is None:
                    if skip_none:
                        continue
                    g = tl.zeros_like(p)
                if weight_decay != 0 and not decoupled:
                    g = g + weight_decay * p
                if momentum != 0:
                    state = self.state[p]
                    if "momentum_buffer" not in state or not keep_buffer:
                        state["momentum_buffer"] = g.clone()
                    else:
                        state["momentum_buffer"] = momentum * state["momentum_buffer"] + g
                    g = state["momentum_buffer"]
                if rebind:
                    group["params"][i] = (p - lr * g).detach().requires_grad_()
                    continue
                p -= lr * g
                if decoupled and weight_decay != 0:
                    p -= lr * weight_decay * p


def _sgd_class(**mistake):
    return type("SGD", (_SGDInit,), {"step": lambda self: _sgd_step(self, **mistake)})


class SGDGraphInState(_SGDInit):
    """The gradient (with weight decay) computed while autograd records: the buffer carries a graph."""

    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad + group["weight_decay"] * p
                if group["momentum"]:
                    buf = self.state[p].get("momentum_buffer")
                    self.state[p]["momentum_buffer"] = g if buf is None else group["momentum"] * buf + g
                    g = self.state[p]["momentum_buffer"]
                with tl.no_grad():
                    p -= group["lr"] * g


class SGDNoNoneCheck(_SGDInit):
    def step(self):
        with tl.no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    p -= group["lr"] * (p.grad + group["weight_decay"] * p)


class SGDMirror:
    """A class of one's own instead of a subclass: a plain list of tensors, and a zero_grad that forgets
    to clear anything."""

    def __init__(self, params, lr=1e-3, momentum=0.0, weight_decay=0.0):
        self.params, self.lr, self.momentum, self.weight_decay = list(params), lr, momentum, weight_decay
        self.buffers = {}

    def zero_grad(self):
        pass

    def step(self):
        with tl.no_grad():
            for p in self.params:
                if p.grad is None:
                    continue
                g = p.grad + self.weight_decay * p
                if self.momentum:
                    buf = self.buffers.get(id(p))
                    self.buffers[id(p)] = g.clone() if buf is None else self.momentum * buf + g
                    g = self.buffers[id(p)]
                p -= self.lr * g


class SGDZeroInPlace(SGD):
    def zero_grad(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.grad.zero_()


class SGDCallsLibrary(_SGDInit):
    def step(self):
        tl.optim.SGD.step(self)


class SGDFromLibrary(tl.optim.SGD):
    pass


@pytest.mark.parametrize("cls", [SGD, SGDOutOfPlaceState])
def test_ch6_sgd_solution_passes(cls):
    assert_passes("ch6.sgd", cls)


def test_ch6_sgd_stub_fails():
    text = assert_fails("ch6.sgd", type("SGD", (_SGDInit,), {"step": stub}), NOT_IMPLEMENTED)
    assert "✓" not in text


@pytest.mark.parametrize("cls", [SGDCallsLibrary, SGDFromLibrary])
def test_ch6_sgd_library_call_fails(cls):
    assert_fails("ch6.sgd", cls, "asks you to write SGD yourself; don't call tl.optim.sgd.SGD.step")


def test_ch6_sgd_must_be_a_class():
    assert_fails("ch6.sgd", SGD([tl.zeros(1, requires_grad=True)]), "check the optimizer class itself")


@pytest.mark.parametrize(("cls", "hints"), [
    (_sgd_class(no_grad=False), ["Do the whole update inside `with tl.no_grad():`"]),
    (_sgd_class(rebind=True), ["the parameters did not move"]),
    (SGDGraphInState, ["your optimizer keeps tensors that require grad"]),
    (SGDMirror, ["the gradients piled up from step to step", "params may also be a list of dicts"]),
    (SGDZeroInPlace, ["after zero_grad() every .grad must be None"]),
    (_sgd_class(skip_none=False), ["a parameter whose .grad is None is skipped entirely"]),
    (SGDNoNoneCheck, ["a parameter the loss didn't use has .grad None: skip it"]),
    (_sgd_class(decoupled=True), ["adds weight_decay * p to the gradient *before* momentum"]),
    (_sgd_class(hyper_from="defaults"), ["each param group has its own hyper-parameters"]),
    (_sgd_class(keep_buffer=False), ["the momentum buffer must survive from one step to the next"]),
])
def test_ch6_sgd_wrong_solution_fails(cls, hints):
    assert_fails("ch6.sgd", cls, *hints)


# ====================================================================== ch6.adam
class _AdamInit(tl.optim.Optimizer):
    """The notebook's __init__."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay))


def _adam_step(self, *, bias_correction=True, counter="state", first_t=1, eps_inside=False, squared=True,
               decoupled=False, no_grad=True):
    context = tl.no_grad() if no_grad else contextlib.nullcontext()
    with context:
        for group in self.param_groups:
            lr, (beta1, beta2), eps, weight_decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad
                if weight_decay != 0 and not decoupled:
                    g = g + weight_decay * p
                state = self.state[p]
                if not state:
                    state.update(step=0, exp_avg=tl.zeros_like(p), exp_avg_sq=tl.zeros_like(p))
                if counter == "state":
                    t = state["step"] + first_t
                    state["step"] += 1
                else:  # one counter on the optimizer, bumped for every parameter visited
                    self.t = getattr(self, "t", 0) + 1
                    t = self.t
                state["exp_avg"] = beta1 * state["exp_avg"] + (1 - beta1) * g
                state["exp_avg_sq"] = beta2 * state["exp_avg_sq"] + (1 - beta2) * (g * g if squared else g)
                m, v = state["exp_avg"], state["exp_avg_sq"]
                if bias_correction:
                    m, v = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
                denominator = (v + eps).sqrt() if eps_inside else v.sqrt() + eps
                p -= lr * m / denominator
                if decoupled and weight_decay != 0:
                    p -= lr * weight_decay * p


def _adam_class(**mistake):
    return type("Adam", (_AdamInit,), {"step": lambda self: _adam_step(self, **mistake)})


class Adam(_AdamInit):  # as the notebook's solution
    def step(self):
        with tl.no_grad():
            for group in self.param_groups:
                lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
                weight_decay = group["weight_decay"]
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
                    p -= lr * (m / (1 - beta1 ** t)) / ((v / (1 - beta2 ** t)).sqrt() + eps)


class AdamTorchOrder(_AdamInit):  # another right way: torch's order of operations (step size, then denominator)
    def step(self):
        with tl.no_grad():
            for group in self.param_groups:
                beta1, beta2 = group["betas"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    g = p.grad + group["weight_decay"] * p
                    state = self.state[p]
                    if not state:
                        state.update(step=0, m=tl.zeros_like(p), v=tl.zeros_like(p))
                    state["step"] += 1
                    t = state["step"]
                    state["m"] = beta1 * state["m"] + (1 - beta1) * g
                    state["v"] = beta2 * state["v"] + (1 - beta2) * g * g
                    step_size = group["lr"] / (1 - beta1 ** t)
                    denominator = state["v"].sqrt() / (1 - beta2 ** t) ** 0.5 + group["eps"]
                    p.sub_(step_size * state["m"] / denominator)


class AdamNoZeroGrad(Adam):
    def zero_grad(self, set_to_none=True):
        pass


class AdamCallsLibrary(_AdamInit):
    def step(self):
        tl.optim.Adam.step(self)


@pytest.mark.parametrize("cls", [Adam, AdamTorchOrder])
def test_ch6_adam_solution_passes(cls):
    assert_passes("ch6.adam", cls)


def test_ch6_adam_stub_fails():
    text = assert_fails("ch6.adam", type("Adam", (_AdamInit,), {"step": stub}), NOT_IMPLEMENTED)
    assert "✓" not in text


@pytest.mark.parametrize("cls", [AdamCallsLibrary, type("Adam", (tl.optim.Adam,), {})])
def test_ch6_adam_library_call_fails(cls):
    assert_fails("ch6.adam", cls, "asks you to write Adam yourself; don't call tl.optim.adam.Adam.step")


@pytest.mark.parametrize(("cls", "hints"), [
    (_adam_class(bias_correction=False), ["bias correction is missing"]),
    (_adam_class(counter="optimizer"), ["the step count t goes up once per step() for each parameter"]),
    (_adam_class(first_t=0), ["count steps from 1"]),
    (_adam_class(eps_inside=True), ["eps goes outside the square root"]),
    (_adam_class(squared=False), ["average the *squared* gradient"]),
    (_adam_class(decoupled=True), ["AdamW is the one that shrinks p directly"]),
    (_adam_class(no_grad=False), ["Do the whole update inside `with tl.no_grad():`"]),
    (AdamNoZeroGrad, ["the gradients piled up from step to step"]),
])
def test_ch6_adam_wrong_solution_fails(cls, hints):
    assert_fails("ch6.adam", cls, *hints)


# ====================================================================== ch6.train_epoch
def train_epoch(model, loss_fn, optimizer, X, y, batch_size, generator, device):  # as the notebook's solution
    model.train()
    n = len(X)
    order = tl.randperm(n, generator=generator)
    total = 0.0
    for start in range(0, n, batch_size):
        idx = order[start:start + batch_size]
        xb, yb = X[idx].to(device), y[idx].to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(idx)
    return total / n


def _epoch(model, loss_fn, optimizer, X, y, batch_size, generator, device, *, train_mode=True, shuffle=True,
           zero="before", order_of_steps="backward-step", keep_last=True, move=True, returned="mean",
           own_generator=False):
    """An epoch with the given deviations from the exercise's rules."""
    if train_mode:
        model.train()
    n = len(X)
    if not shuffle:
        order = tl.arange(n)
    elif own_generator:
        order = tl.randperm(n)  # the global generator
    else:
        order = tl.randperm(n, generator=generator)
    total, means, loss = 0.0, [], None
    for start in range(0, n, batch_size):
        idx = order[start:start + batch_size]
        if not keep_last and len(idx) < batch_size:
            break
        xb, yb = (X[idx].to(device), y[idx].to(device)) if move else (X[idx], y[idx])
        if zero == "before":
            optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        if order_of_steps == "backward-step":
            loss.backward()
            optimizer.step()
        else:
            optimizer.step()
            loss.backward()
        if zero == "after":
            optimizer.zero_grad()
        total += (loss if returned == "tensor" else loss.item()) * len(idx)
        means.append(loss.item())
    if returned == "batch_mean":
        return sum(means) / len(means)
    if returned == "last":
        return loss.item()
    return total / n


def _epoch_with(**mistake):
    def wrong_train_epoch(model, loss_fn, optimizer, X, y, batch_size, generator, device):
        return _epoch(model, loss_fn, optimizer, X, y, batch_size, generator, device, **mistake)

    return wrong_train_epoch


def train_epoch_whole_set(model, loss_fn, optimizer, X, y, batch_size, generator, device):
    model.train()
    optimizer.zero_grad()
    loss = loss_fn(model(X.to(device)), y.to(device))
    loss.backward()
    optimizer.step()
    return loss.item()


def train_epoch_calls_reference(model, loss_fn, optimizer, X, y, batch_size, generator, device):
    return ch6._reference_train_epoch(model, loss_fn, optimizer, X, y, batch_size, generator, device)


def test_ch6_train_epoch_solution_passes():
    assert_passes("ch6.train_epoch", train_epoch)


def test_ch6_train_epoch_stub_fails():
    text = assert_fails("ch6.train_epoch", stub, NOT_IMPLEMENTED)
    assert "✓" not in text


def test_ch6_train_epoch_calling_the_reference_fails():
    assert_fails("ch6.train_epoch", train_epoch_calls_reference, "don't call the course's reference solution")


@pytest.mark.parametrize(("fn", "hints"), [
    (_epoch_with(shuffle=False), ["shuffle: draw a new order every epoch with tl.randperm"]),
    (_epoch_with(own_generator=True), ["your function used the global random generator"]),
    (_epoch_with(zero=None), ["call optimizer.zero_grad() before each backward()"]),
    (_epoch_with(zero="after"), ["zero the gradients *before* backward"]),
    (_epoch_with(order_of_steps="step-backward"), ["the order is zero_grad → forward → loss → backward → step"]),
    (_epoch_with(returned="batch_mean"), ["return the mean loss per *example*"]),
    (_epoch_with(returned="last"), ["return the mean loss over the whole epoch, not the last batch's"]),
    (_epoch_with(returned="tensor"), ["return a Python number: add up loss.item()"]),
    (_epoch_with(keep_last=False), ["keep the last, shorter batch"]),
    (_epoch_with(train_mode=False), ["call model.train() first"]),
    (_epoch_with(move=False), ["move each batch to the model's device"]),
    (train_epoch_whole_set, ["go through the data in mini-batches of batch_size"]),
])
def test_ch6_train_epoch_wrong_solution_fails(fn, hints):
    assert_fails("ch6.train_epoch", fn, *hints)


# ====================================================================== ch6.evaluate
def evaluate(model, loss_fn, X, y, batch_size, device):  # as the notebook's solution
    model.eval()
    n = len(X)
    total, correct = 0.0, 0
    with tl.no_grad():
        for start in range(0, n, batch_size):
            xb, yb = X[start:start + batch_size].to(device), y[start:start + batch_size].to(device)
            out = model(xb)
            total += loss_fn(out, yb).item() * len(yb)
            correct += (out.argmax(dim=1) == yb).sum().item()
    return total / n, correct / n


def _evaluate(model, loss_fn, X, y, batch_size, device, *, eval_mode=True, no_grad=True, weighted=True,
              fraction=True, dim=1, items=True, move=True, batches=True):
    if eval_mode:
        model.eval()
    n = len(X)
    step = batch_size if batches else n
    total, correct, means = 0.0, 0, []
    with tl.no_grad() if no_grad else contextlib.nullcontext():
        for start in range(0, n, step):
            xb, yb = X[start:start + step], y[start:start + step]
            if move:
                xb, yb = xb.to(device), yb.to(device)
            out = model(xb)
            loss = loss_fn(out, yb)
            total += (loss.item() if items else loss) * len(yb)
            means.append(loss.item())
            hits = (out.argmax(dim=dim) == yb).sum()
            correct += hits.item() if items else hits
    mean_loss = total / n if weighted else sum(means) / len(means)
    return mean_loss, (correct / n if fraction else correct)


def _evaluate_with(**mistake):
    def wrong_evaluate(model, loss_fn, X, y, batch_size, device):
        return _evaluate(model, loss_fn, X, y, batch_size, device, **mistake)

    return wrong_evaluate


def test_ch6_evaluate_solution_passes():
    assert_passes("ch6.evaluate", evaluate)


def test_ch6_evaluate_stub_fails():
    text = assert_fails("ch6.evaluate", stub, NOT_IMPLEMENTED)
    assert "✓" not in text


def test_ch6_evaluate_calling_the_reference_fails():
    def evaluate_calls_reference(model, loss_fn, X, y, batch_size, device):
        return ch6._reference_evaluate(model, loss_fn, X, y, batch_size, device)

    assert_fails("ch6.evaluate", evaluate_calls_reference, "don't call the course's reference solution")


@pytest.mark.parametrize(("fn", "hints"), [
    (_evaluate_with(no_grad=False), ["evaluate inside `with tl.no_grad():`"]),
    (_evaluate_with(eval_mode=False), ["call model.eval() first"]),
    (_evaluate_with(weighted=False), ["the mean loss per *example*"]),
    (_evaluate_with(fraction=False), ["accuracy is the fraction of examples predicted right"]),
    (_evaluate_with(dim=0), ["out.argmax(dim=1)"]),
    (_evaluate_with(items=False), ["return two Python numbers"]),
    (_evaluate_with(move=False), ["move each batch to the model's device"]),
    (_evaluate_with(batches=False), ["go through X in batches of batch_size"]),
])
def test_ch6_evaluate_wrong_solution_fails(fn, hints):
    assert_fails("ch6.evaluate", fn, *hints)


# ====================================================================== the checks' own machinery
def test_ch6_checks_leave_no_simulated_cuda_behind():
    """The cuda cases switch the simulated device on for one call only."""
    before = tl.cuda.is_available()
    run_check(check, "ch6.train_epoch", train_epoch)
    run_check(check, "ch6.evaluate", _evaluate_with(move=False))
    assert tl.cuda.is_available() == before


def test_ch6_model_of_the_checks_leaves_the_global_generator_alone():
    state = tl.random.default_generator.get_state().tolist()
    ch6.make_model(tl)
    assert tl.random.default_generator.get_state().tolist() == state
