"""``tl.optim.lr_scheduler``: change the learning rate as training goes on, as ``torch.optim.lr_scheduler``.

A large learning rate moves fast but cannot settle into a narrow valley; a small one settles
but crawls. So training often starts large and shrinks the rate later (or warms up from a small
one first). A *scheduler* does this: it owns a counter, ``last_epoch``, and on each ``step()``
it computes new rates and writes them into ``optimizer.param_groups[i]["lr"]``, where the
optimizer's next ``step()`` reads them. The usual loop::

    for epoch in range(epochs):
        for x, y in batches:
            optimizer.zero_grad(); loss_fn(model(x), y).backward(); optimizer.step()
        scheduler.step()                      # after optimizer.step(), never before

=====================  ==============================================================
``LRScheduler``        the base class: ``step``, ``get_last_lr``, ``state_dict``
``StepLR``             multiply by ``gamma`` every ``step_size`` epochs
``MultiStepLR``        multiply by ``gamma`` at each of the ``milestones``
``ExponentialLR``      multiply by ``gamma`` every epoch
``CosineAnnealingLR``  follow half a cosine from the base rate down to ``eta_min``
``LambdaLR``           ``base_lr * lr_lambda(epoch)``, any function you like
``LinearLR``           scale by a factor moving linearly from ``start_factor`` to ``end_factor``
=====================  ==============================================================

Three things torch does that this module does the same way, because they explain its numbers:

* **The constructor already steps once.** ``last_epoch`` goes from -1 to 0 and epoch 0's rate
  is written (``LinearLR`` starts at ``start_factor * lr`` right away). Before that, the
  constructor saves each group's rate as ``group["initial_lr"]`` (unless a group already has one:
  a second scheduler on the same optimizer keeps the first one's) and reads ``base_lrs`` from it.
* **Rates are chained.** Most schedulers compute the new rate from the group's *current* rate
  (``StepLR``: ``lr * gamma`` at each multiple of ``step_size``), not from ``base_lr``, so two
  schedulers on one optimizer compose, and a rate changed by hand is kept. That is why
  ``CosineAnnealingLR`` uses a ratio of consecutive cosines rather than the closed form (the two
  differ in the last bits, and we give torch's bits). The closed form is used only by the
  deprecated ``step(epoch)``.
* **It notices the wrong order.** ``scheduler.step()`` before the first ``optimizer.step()`` skips
  the first rate of the schedule. To tell, the constructor replaces ``optimizer.step`` by a thin
  wrapper that sets ``optimizer._opt_called = True`` and calls the original; the first
  ``scheduler.step()`` warns if that flag is missing (or if ``optimizer.step`` is no longer the
  wrapper, i.e. someone replaced it afterwards).
"""

from __future__ import annotations

import functools
import math
import types
import warnings
import weakref
from bisect import bisect_right
from collections import Counter

from ..tensor import Tensor
from .optimizer import Optimizer

__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR", "LinearLR"]

EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being deprecated where possible. Please "
    "use `scheduler.step()` to step the scheduler. During the deprecation, if epoch is different from None, the "
    "closed form is used instead of the new chainable form, where available. Please open an issue if you are "
    "unable to replicate your use case: https://github.com/pytorch/pytorch/issues/new/choose.")

_ORDER_WARNING = (
    "Detected call of `lr_scheduler.step()` before `optimizer.step()`. In PyTorch 1.1.0 and later, you should call "
    "them in the opposite order: `optimizer.step()` before `lr_scheduler.step()`.  Failure to do this will result in "
    "PyTorch skipping the first value of the learning rate schedule. See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate")

_OVERRIDDEN_WARNING = (
    "Seems like `optimizer.step()` has been overridden after learning rate scheduler initialization. Please, make "
    "sure to call `optimizer.step()` before `lr_scheduler.step()`. See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate")

_GET_LR_WARNING = "To get the last learning rate computed by the scheduler, please use `get_last_lr()`."


# ---------------------------------------------------------------------------- the rates in the param groups
def _copy(value):
    """A rate may be a tensor; hand out copies so that nobody edits the optimizer's own in place."""
    return value.clone() if isinstance(value, Tensor) else value


def _group_values(optimizer: Optimizer, key: str) -> list:
    """``[group[key] for each group]`` (copied): ``"lr"`` for the current rates, ``"initial_lr"`` for the base."""
    return [_copy(group[key]) for group in optimizer.param_groups]


def _set_lr(group: dict, value) -> None:
    """Write a new rate: a tensor rate is filled in place (whoever holds it sees the change), a number replaced."""
    if isinstance(group["lr"], Tensor):
        if isinstance(value, Tensor) and value.ndim != 0:
            value = value.squeeze()
        group["lr"].fill_(value)
    else:
        group["lr"] = value


def _track_optimizer_step(optimizer: Optimizer) -> None:
    """Replace ``optimizer.step`` by a wrapper that records it was called (see the module's docstring).

    The wrapper reaches the optimizer through a weak reference: a strong one from an attribute of
    the optimizer back to itself would be a reference cycle, kept alive until the garbage collector runs.
    A second scheduler on the same optimizer finds the wrapper already there and keeps it.
    """
    if hasattr(optimizer.step, "_wrapped_by_lr_sched"):
        return
    step = optimizer.step.__func__  # the class's function: the wrapper binds it itself
    optimizer_ref = weakref.ref(optimizer)

    @functools.wraps(step)
    def step_and_remember(*args, **kwargs):
        opt = optimizer_ref()
        opt._opt_called = True
        return step(opt, *args, **kwargs)

    step_and_remember._wrapped_by_lr_sched = True
    optimizer.step = step_and_remember


class _Flag:
    """``with _Flag(scheduler, "_is_initial"):`` sets that attribute to True, and back to False after."""

    def __init__(self, scheduler: LRScheduler, name: str):
        self.scheduler, self.name = scheduler, name

    def __enter__(self):
        setattr(self.scheduler, self.name, True)

    def __exit__(self, *exc_info):
        setattr(self.scheduler, self.name, False)


# ---------------------------------------------------------------------------- the base class
class LRScheduler:
    """``LRScheduler(optimizer, last_epoch=-1)``: subclasses write ``get_lr`` (the rates at ``last_epoch``).

    ``last_epoch >= 0`` resumes a schedule: the groups must then already hold ``"initial_lr"``
    (load the optimizer's state first). Everything in ``self.__dict__`` but the optimizer is the
    scheduler's state (``state_dict()``), with torch's names, so the two dicts have the same keys.
    """

    _get_lr_called_within_step: bool = False
    _is_initial: bool = False

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", _copy(group["lr"]))
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param 'initial_lr' is not specified in param_groups[{i}] when resuming scheduler with "
                        "last_epoch >= 0.\nThis typically happens when:\n1. You're trying to resume training from a "
                        "checkpoint but haven't properly loaded the optimizer state\n2. You're using last_epoch >= 0 "
                        "for a fresh training run (not recommended)")
        self.base_lrs = _group_values(optimizer, "initial_lr")
        self.last_epoch = last_epoch
        _track_optimizer_step(optimizer)
        self._initial_step()

    def _initial_step(self) -> None:
        """The constructor's step: from ``last_epoch`` to ``last_epoch + 1``, with ``_is_initial`` set."""
        self._step_count = 0
        with _Flag(self, "_is_initial"):
            self.step()

    def get_lr(self) -> list:
        """The rates for ``last_epoch`` (called by ``step``; to read the current rates use ``get_last_lr``)."""
        raise NotImplementedError

    def get_last_lr(self) -> list:
        """The rates the last ``step()`` wrote, one per param group (copies: editing them changes nothing)."""
        return self._last_lr

    def step(self, epoch=None) -> None:
        """Move to the next epoch and write its rates into the optimizer (call it after ``optimizer.step()``).

        ``step(epoch)`` (deprecated in torch) jumps to ``epoch`` and uses the closed form where there is one.
        """
        if self._step_count == 1:  # the user's first call (the constructor made call 0)
            if not hasattr(self.optimizer.step, "_wrapped_by_lr_sched"):
                warnings.warn(_OVERRIDDEN_WARNING, UserWarning, stacklevel=2)
            elif not getattr(self.optimizer, "_opt_called", False):
                warnings.warn(_ORDER_WARNING, UserWarning, stacklevel=2)
        self._step_count += 1
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch=None) -> None:
        with _Flag(self, "_get_lr_called_within_step"):
            if epoch is None:
                self.last_epoch += 1
                values = self.get_lr()
            else:
                self.last_epoch = epoch
                closed_form = getattr(self, "_get_closed_form_lr", None)
                values = closed_form() if closed_form is not None else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            _set_lr(group, lr)
        self._last_lr = _group_values(self.optimizer, "lr")

    def _warn_if_called_outside_step(self) -> None:
        if not self._get_lr_called_within_step:
            warnings.warn(_GET_LR_WARNING, UserWarning, stacklevel=3)

    # ------------------------------------------------------------------ saving and loading
    def state_dict(self) -> dict:
        """Every attribute but the optimizer (whose state the optimizer's own ``state_dict`` holds)."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore what ``state_dict()`` returned (the optimizer's rates are restored by the optimizer's)."""
        self.__dict__.update(state_dict)


class _LRScheduler(LRScheduler):
    """The old name of ``LRScheduler``, which torch keeps for code that subclasses it."""


# ---------------------------------------------------------------------------- the schedules
class LambdaLR(LRScheduler):
    """``LambdaLR(optimizer, lr_lambda, last_epoch=-1)``: ``lr = base_lr * lr_lambda(epoch)``.

    ``lr_lambda`` is one function for every group, or a list (or tuple) with one per group. Not
    chained: the rate comes from ``base_lr`` each time, so ``lr_lambda`` says the whole schedule.
    """

    def __init__(self, optimizer: Optimizer, lr_lambda, last_epoch: int = -1):
        self.optimizer = optimizer
        self.lr_lambdas = _per_group_lambdas(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        self._warn_if_called_outside_step()
        return [base_lr * fn(self.last_epoch) for fn, base_lr in zip(self.lr_lambdas, self.base_lrs, strict=True)]

    def state_dict(self) -> dict:
        """As the base class's, except the functions: a plain function (or lambda) cannot be saved and is
        stored as ``None``; a callable *object* is stored as a copy of its ``__dict__``."""
        state = {key: value for key, value in self.__dict__.items() if key not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [None if isinstance(fn, types.FunctionType) else fn.__dict__.copy()
                               for fn in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore the state; the functions stay this scheduler's own (callable objects get their saved attributes)."""
        saved_lambdas = state_dict["lr_lambdas"]
        self.__dict__.update({key: value for key, value in state_dict.items() if key != "lr_lambdas"})
        for fn, saved in zip(self.lr_lambdas, saved_lambdas):
            if saved is not None:
                fn.__dict__.update(saved)


def _per_group_lambdas(optimizer: Optimizer, lr_lambda) -> list:
    if not isinstance(lr_lambda, (list, tuple)):
        return [lr_lambda] * len(optimizer.param_groups)
    if len(lr_lambda) != len(optimizer.param_groups):
        raise ValueError(f"Expected {len(optimizer.param_groups)} lr_lambdas, but got {len(lr_lambda)}")
    return list(lr_lambda)


class StepLR(LRScheduler):
    """``StepLR(optimizer, step_size, gamma=0.1, last_epoch=-1)``: ``lr *= gamma`` every ``step_size`` epochs."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        self._warn_if_called_outside_step()
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return _group_values(self.optimizer, "lr")
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list:
        return [base_lr * self.gamma ** (self.last_epoch // self.step_size) for base_lr in self.base_lrs]


class MultiStepLR(LRScheduler):
    """``MultiStepLR(optimizer, milestones, gamma=0.1, last_epoch=-1)``: ``lr *= gamma`` at each milestone.

    The milestones are kept as a ``Counter``: one listed twice multiplies by ``gamma ** 2`` there.
    """

    def __init__(self, optimizer: Optimizer, milestones, gamma: float = 0.1, last_epoch: int = -1):
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        self._warn_if_called_outside_step()
        if self.last_epoch not in self.milestones:
            return _group_values(self.optimizer, "lr")
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [group["lr"] * factor for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list:
        milestones = sorted(self.milestones.elements())
        return [base_lr * self.gamma ** bisect_right(milestones, self.last_epoch) for base_lr in self.base_lrs]


class ExponentialLR(LRScheduler):
    """``ExponentialLR(optimizer, gamma, last_epoch=-1)``: ``lr *= gamma`` every epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        self._warn_if_called_outside_step()
        if self._is_initial:  # resuming at last_epoch >= 0 must not move the loaded rate a step further
            return _group_values(self.optimizer, "lr")
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list:
        return [base_lr * self.gamma ** self.last_epoch for base_lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """``CosineAnnealingLR(optimizer, T_max, eta_min=0.0, last_epoch=-1)``: half a cosine in ``T_max`` epochs.

    The closed form is ``eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2``. The
    step, chained, instead scales the current distance to ``eta_min`` by the ratio of consecutive
    ``1 + cos`` terms, so that a rate changed from outside is carried along. Past ``T_max`` the
    cosine climbs back up; where the ratio's denominator would be 0 (the bottom of the curve) the
    step adds the closed-form increment instead.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):  # noqa: N803
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        self._warn_if_called_outside_step()
        epoch, t_max, eta_min, groups = self.last_epoch, self.T_max, self.eta_min, self.optimizer.param_groups
        if self._is_initial:
            return _group_values(self.optimizer, "lr")
        if self._step_count == 1 and epoch > 0:  # torch's branch for a first step past epoch 0 (the closed form)
            return [eta_min + (base_lr - eta_min) * (1 + math.cos(epoch * math.pi / t_max)) / 2
                    for base_lr in self.base_lrs]
        if (epoch - 1 - t_max) % (2 * t_max) == 0:  # leaving the bottom: the ratio below would divide by 0
            return [group["lr"] + (base_lr - eta_min) * (1 - math.cos(math.pi / t_max)) / 2
                    for base_lr, group in zip(self.base_lrs, groups, strict=True)]
        ratio_top = 1 + math.cos(math.pi * epoch / t_max)
        ratio_bottom = 1 + math.cos(math.pi * (epoch - 1) / t_max)
        return [ratio_top / ratio_bottom * (group["lr"] - eta_min) + eta_min for group in groups]

    def _get_closed_form_lr(self) -> list:
        return [self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
                for base_lr in self.base_lrs]


class LinearLR(LRScheduler):
    """``LinearLR(optimizer, start_factor=1/3, end_factor=1.0, total_iters=5, last_epoch=-1)``: a warm-up.

    The rate is ``base_lr * factor``, the factor moving in a straight line from ``start_factor``
    (epoch 0) to ``end_factor`` (epoch ``total_iters``, and after). Chained, each step multiplies
    the current rate by ``factor(epoch) / factor(epoch - 1)``, written as ``1 + diff / (...)``.
    """

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5, last_epoch: int = -1):
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError("Starting multiplicative factor expected to be greater than 0 and less or equal to 1.")
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError("Ending multiplicative factor expected to be between 0 and 1.")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        self._warn_if_called_outside_step()
        groups = self.optimizer.param_groups
        if self.last_epoch == 0:
            return [group["lr"] * self.start_factor for group in groups]
        if self._is_initial or self.last_epoch > self.total_iters:
            return _group_values(self.optimizer, "lr")
        diff = self.end_factor - self.start_factor
        factor = 1.0 + diff / (self.total_iters * self.start_factor + (self.last_epoch - 1) * diff)
        return [group["lr"] * factor for group in groups]

    def _get_closed_form_lr(self) -> list:
        diff = self.end_factor - self.start_factor
        return [base_lr * (self.start_factor + diff * min(self.total_iters, self.last_epoch) / self.total_iters)
                for base_lr in self.base_lrs]


# ---------------------------------------------------------------------------- torch names left out
def __getattr__(name):  # only for names this module lacks: say when torch's lr_scheduler has them
    from ..beyond_the_course import missing
    from ..torch_names import LR_SCHEDULER

    raise missing("module 'tinygrad_lessons.optim.lr_scheduler'", name, "torch.optim.lr_scheduler", LR_SCHEDULER)
