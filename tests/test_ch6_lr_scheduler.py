"""Chapter 6 (learning-rate schedules): ``tl.optim.lr_scheduler`` follows ``torch.optim.lr_scheduler``.

Each schedule runs side by side with torch's on optimizers of the same shape (one or more param
groups with their own rates), calling ``optimizer.step()`` then ``scheduler.step()`` as a
training loop does. The rates are Python floats computed by the same formulas in the same
order, so they must be *equal*, bit for bit, not merely close. Also compared: ``get_last_lr``,
``last_epoch``, ``base_lrs``, ``initial_lr``, ``state_dict`` (keys, order and values), the
warnings (same text) and the errors (same type and message).
"""

from __future__ import annotations

import gc
import warnings
import weakref

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lessons as tl
from parity import assert_same_error
from tinygrad_lessons.nn import Parameter

STEPS = 30


# ---------------------------------------------------------------------------- helpers
def _optimizers(lrs=(0.1,)):
    """A torch SGD and ours, with one param group per rate in ``lrs``."""
    ours = [{"params": [Parameter(tl.zeros(2))], "lr": lr} for lr in lrs]
    theirs = [{"params": [torch.nn.Parameter(torch.zeros(2))], "lr": lr} for lr in lrs]
    return tl.optim.SGD(ours, lr=1.0), torch.optim.SGD(theirs, lr=1.0)


def _make(name, kwargs, lrs=(0.1,)):
    ours_opt, theirs_opt = _optimizers(lrs)
    ours = getattr(tl.optim.lr_scheduler, name)(ours_opt, **kwargs)
    theirs = getattr(torch.optim.lr_scheduler, name)(theirs_opt, **kwargs)
    return ours, theirs


def _step_both(ours, theirs):
    ours.optimizer.step()
    theirs.optimizer.step()
    ours.step()
    theirs.step()


def _assert_same_state(ours, theirs):
    """Rates equal to the last bit, and the scheduler's bookkeeping equal too."""
    assert ours.get_last_lr() == theirs.get_last_lr()
    assert [type(v) for v in ours.get_last_lr()] == [type(v) for v in theirs.get_last_lr()]
    assert [g["lr"] for g in ours.optimizer.param_groups] == [g["lr"] for g in theirs.optimizer.param_groups]
    assert [g["initial_lr"] for g in ours.optimizer.param_groups] == [
        g["initial_lr"] for g in theirs.optimizer.param_groups]
    assert ours.last_epoch == theirs.last_epoch
    assert ours.base_lrs == theirs.base_lrs


def _run(ours, theirs, steps=STEPS):
    _assert_same_state(ours, theirs)
    for _ in range(steps):
        _step_both(ours, theirs)
        _assert_same_state(ours, theirs)


def _comparable(state):
    """A state dict with its functions (LambdaLR keeps them in ``lr_lambdas`` only as ``None``) left as they are."""
    return {k: (dict(v) if k == "milestones" else v) for k, v in state.items()}


# ---------------------------------------------------------------------------- the sequences
def _halve(epoch):
    return 0.5 ** (epoch // 4)


def _warmup(epoch):
    return min(1.0, (epoch + 1) / 10)


CONFIGS = [
    ("StepLR", {"step_size": 1}, (0.1,)),
    ("StepLR", {"step_size": 3}, (0.1,)),
    ("StepLR", {"step_size": 7, "gamma": 0.5}, (0.3, 0.01)),
    ("StepLR", {"step_size": 2, "gamma": 1.7}, (1e-3,)),
    ("MultiStepLR", {"milestones": [5, 10, 20]}, (0.1,)),
    ("MultiStepLR", {"milestones": (3, 3, 25, 8), "gamma": 0.3}, (0.1, 0.2, 0.05)),
    ("MultiStepLR", {"milestones": [0, 1, 40], "gamma": 0.5}, (1.0,)),
    ("ExponentialLR", {"gamma": 0.9}, (0.1,)),
    ("ExponentialLR", {"gamma": 0.77}, (0.5, 0.003)),
    ("ExponentialLR", {"gamma": 1.0}, (0.1,)),
    ("CosineAnnealingLR", {"T_max": 10}, (0.1,)),
    ("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.01}, (0.1, 0.5)),
    ("CosineAnnealingLR", {"T_max": 30, "eta_min": 1e-4}, (0.02,)),
    ("CosineAnnealingLR", {"T_max": 1}, (0.1,)),
    ("CosineAnnealingLR", {"T_max": 4, "eta_min": 0.2}, (0.1,)),  # eta_min above the rate: climbs
    ("LambdaLR", {"lr_lambda": _halve}, (0.1,)),
    ("LambdaLR", {"lr_lambda": [_halve, _warmup]}, (0.1, 0.2)),
    ("LambdaLR", {"lr_lambda": (_warmup,)}, (0.3,)),
    ("LinearLR", {}, (0.1,)),
    ("LinearLR", {"start_factor": 0.1, "total_iters": 12}, (0.1, 0.7)),
    ("LinearLR", {"start_factor": 1.0, "end_factor": 0.05, "total_iters": 20}, (0.1,)),
    ("LinearLR", {"start_factor": 0.5, "end_factor": 0.5, "total_iters": 3}, (0.1,)),
    ("LinearLR", {"start_factor": 0.25, "end_factor": 0.0, "total_iters": 40}, (0.1,)),
]


@pytest.mark.parametrize("name, kwargs, lrs", CONFIGS)
def test_sequence_matches_torch(name, kwargs, lrs):
    ours, theirs = _make(name, kwargs, lrs)
    _run(ours, theirs)


def test_cosine_goes_past_t_max_as_torch_does():
    """Past ``T_max`` the chained cosine climbs back; at the bottom it takes its other branch."""
    ours, theirs = _make("CosineAnnealingLR", {"T_max": 5, "eta_min": 0.001}, (0.1, 0.03))
    _run(ours, theirs, steps=60)


def test_chained_form_differs_from_closed_form_like_torch():
    """The chained cosine is not the closed form to the last bit; we give torch's bits, not the formula's."""
    ours, theirs = _make("CosineAnnealingLR", {"T_max": 30}, (0.1,))
    import math

    differs = False
    for epoch in range(1, 31):
        _step_both(ours, theirs)
        assert ours.get_last_lr() == theirs.get_last_lr()
        differs |= ours.get_last_lr()[0] != 0.05 * (1 + math.cos(math.pi * epoch / 30))
    assert differs


@settings(max_examples=25)
@given(gamma=st.floats(0.05, 1.5), step_size=st.integers(1, 8), lrs=st.lists(st.floats(1e-5, 1.0), min_size=1,
                                                                                     max_size=3))
def test_step_and_exponential_any_gamma(gamma, step_size, lrs):
    _run(*_make("StepLR", {"step_size": step_size, "gamma": gamma}, tuple(lrs)), steps=20)
    _run(*_make("ExponentialLR", {"gamma": gamma}, tuple(lrs)), steps=20)


@settings(max_examples=25)
@given(milestones=st.lists(st.integers(0, 25), max_size=6), gamma=st.floats(0.05, 1.0), lr=st.floats(1e-5, 1.0))
def test_multistep_any_milestones(milestones, gamma, lr):
    _run(*_make("MultiStepLR", {"milestones": milestones, "gamma": gamma}, (lr,)), steps=25)


@settings(max_examples=25)
@given(t_max=st.integers(1, 15), eta_min=st.floats(0.0, 0.05), lrs=st.lists(st.floats(1e-4, 1.0), min_size=1,
                                                                                max_size=2))
def test_cosine_any_period(t_max, eta_min, lrs):
    _run(*_make("CosineAnnealingLR", {"T_max": t_max, "eta_min": eta_min}, tuple(lrs)), steps=STEPS)


@settings(max_examples=25)
@given(start=st.floats(0.01, 1.0), end=st.floats(0.0, 1.0), total=st.integers(1, 20), lr=st.floats(1e-4, 1.0))
def test_linear_any_factors(start, end, total, lr):
    _run(*_make("LinearLR", {"start_factor": start, "end_factor": end, "total_iters": total}, (lr,)), steps=25)


def test_two_schedulers_on_one_optimizer_compose():
    """Chained rates: both multiply the current rate; the second keeps the first's ``initial_lr``."""
    ours_opt, theirs_opt = _optimizers((0.1, 0.4))
    ours = [tl.optim.lr_scheduler.LinearLR(ours_opt, start_factor=0.2, total_iters=4),
            tl.optim.lr_scheduler.ExponentialLR(ours_opt, gamma=0.9)]
    theirs = [torch.optim.lr_scheduler.LinearLR(theirs_opt, start_factor=0.2, total_iters=4),
              torch.optim.lr_scheduler.ExponentialLR(theirs_opt, gamma=0.9)]
    for _ in range(15):
        ours_opt.step()
        theirs_opt.step()
        for o, t in zip(ours, theirs):
            o.step()
            t.step()
            _assert_same_state(o, t)


def test_a_rate_changed_by_hand_is_carried_along():
    ours, theirs = _make("StepLR", {"step_size": 3, "gamma": 0.5}, (0.1,))
    _step_both(ours, theirs)
    ours.optimizer.param_groups[0]["lr"] = 0.07
    theirs.optimizer.param_groups[0]["lr"] = 0.07
    _run(ours, theirs, steps=10)


# ---------------------------------------------------------------------------- the deprecated step(epoch)
@pytest.mark.parametrize("name, kwargs, lrs", [c for c in CONFIGS if c[0] != "LambdaLR"][::2])
def test_step_with_epoch_uses_the_closed_form(name, kwargs, lrs):
    ours, theirs = _make(name, kwargs, lrs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in (3, 4, 9, 2, 17):
            ours.step(epoch)
            theirs.step(epoch)
            _assert_same_state(ours, theirs)


# ---------------------------------------------------------------------------- resuming and state_dict
@pytest.mark.parametrize("name, kwargs, lrs", CONFIGS[::3])
def test_state_dict_matches_torch_and_round_trips(name, kwargs, lrs):
    ours, theirs = _make(name, kwargs, lrs)
    for _ in range(7):
        _step_both(ours, theirs)
    ours_state, theirs_state = ours.state_dict(), theirs.state_dict()
    assert list(ours_state) == list(theirs_state)
    assert _comparable(ours_state) == _comparable(theirs_state)
    assert "optimizer" not in ours_state
    # a fresh optimizer and scheduler, loaded, go on exactly as the uninterrupted pair does
    opt_state = ours.optimizer.state_dict()
    fresh_opt, _ = _optimizers(lrs)
    fresh = type(ours)(fresh_opt, **kwargs)
    fresh_opt.load_state_dict(opt_state)
    fresh.load_state_dict(ours_state)
    for _ in range(10):
        fresh_opt.step()
        fresh.step()
        _step_both(ours, theirs)
        assert fresh.get_last_lr() == theirs.get_last_lr()
        assert fresh.last_epoch == theirs.last_epoch


@pytest.mark.parametrize("name, kwargs, lrs", CONFIGS[1::4])
def test_resume_with_last_epoch(name, kwargs, lrs):
    """``last_epoch=k`` resumes: the groups' ``initial_lr`` comes from the loaded optimizer state."""
    ours, theirs = _make(name, kwargs, lrs)
    for _ in range(5):
        _step_both(ours, theirs)
    ours_opt, theirs_opt = _optimizers(lrs)
    ours_opt.load_state_dict(ours.optimizer.state_dict())
    theirs_opt.load_state_dict(theirs.optimizer.state_dict())
    ours2 = getattr(tl.optim.lr_scheduler, name)(ours_opt, **kwargs, last_epoch=ours.last_epoch)
    theirs2 = getattr(torch.optim.lr_scheduler, name)(theirs_opt, **kwargs, last_epoch=theirs.last_epoch)
    _run(ours2, theirs2, steps=10)


def test_resume_without_initial_lr_is_a_key_error():
    ours_opt, theirs_opt = _optimizers((0.1, 0.2))
    error = assert_same_error(lambda: tl.optim.lr_scheduler.StepLR(ours_opt, 3, last_epoch=4),
                              lambda: torch.optim.lr_scheduler.StepLR(theirs_opt, 3, last_epoch=4),
                              match_message=True)
    assert isinstance(error, KeyError)


class _Decay:
    """A callable object: LambdaLR's state_dict saves its attributes (a plain function it cannot)."""

    def __init__(self, rate):
        self.rate = rate

    def __call__(self, epoch):
        return self.rate ** epoch


def test_lambda_state_dict_saves_callable_objects_not_functions():
    ours, theirs = _make("LambdaLR", {"lr_lambda": [_Decay(0.9), _halve]}, (0.1, 0.2))
    for _ in range(3):
        _step_both(ours, theirs)
    ours_state, theirs_state = ours.state_dict(), theirs.state_dict()
    assert ours_state == theirs_state
    assert ours_state["lr_lambdas"] == [{"rate": 0.9}, None]
    fresh_opt, _ = _optimizers((0.1, 0.2))
    fresh = tl.optim.lr_scheduler.LambdaLR(fresh_opt, [_Decay(0.5), _halve])
    fresh.load_state_dict(ours_state)
    assert fresh.lr_lambdas[0].rate == 0.9 and fresh.lr_lambdas[1] is _halve
    assert "lr_lambdas" in ours_state  # loading leaves the given dict as it was
    assert fresh.last_epoch == 3


# ---------------------------------------------------------------------------- warnings
def _warnings_of(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return [(w.category, str(w.message)) for w in caught]


@pytest.mark.parametrize("name, kwargs, lrs", CONFIGS[::4])
def test_warnings_match_torch(name, kwargs, lrs):
    def scheduler_before_optimizer(lib):
        def run():
            s = _make(name, kwargs, lrs)[lib]
            s.step()  # before any optimizer.step(): torch warns once
            s.step()
            s.optimizer.step()
            s.step()
        return run

    def right_order(lib):
        def run():
            s = _make(name, kwargs, lrs)[lib]
            for _ in range(3):
                s.optimizer.step()
                s.step()
        return run

    def step_replaced(lib):
        def run():
            s = _make(name, kwargs, lrs)[lib]
            s.optimizer.step = lambda closure=None: None
            s.step()
        return run

    def get_lr_outside_step(lib):
        return lambda: _make(name, kwargs, lrs)[lib].get_lr()

    def with_epoch(lib):
        def run():
            s = _make(name, kwargs, lrs)[lib]
            s.optimizer.step()
            s.step(4)
        return run

    for case in (scheduler_before_optimizer, right_order, step_replaced, get_lr_outside_step, with_epoch):
        ours, theirs = _warnings_of(case(0)), _warnings_of(case(1))
        assert ours == theirs, case.__name__
    assert len(_warnings_of(scheduler_before_optimizer(0))) == 1
    assert _warnings_of(right_order(0)) == []


def test_optimizer_step_is_wrapped_once_and_still_steps():
    ours_opt, _ = _optimizers((0.5,))
    first = tl.optim.lr_scheduler.StepLR(ours_opt, 2)
    wrapper = ours_opt.step
    tl.optim.lr_scheduler.ExponentialLR(ours_opt, 0.5)
    assert ours_opt.step is wrapper and wrapper._wrapped_by_lr_sched
    assert ours_opt.step.__name__ == "step" and not getattr(ours_opt, "_opt_called", False)
    p = ours_opt.param_groups[0]["params"][0]
    p.grad = tl.ones(2)
    lr = ours_opt.param_groups[0]["lr"]
    ours_opt.step()
    assert ours_opt._opt_called and p.tolist() == [-lr, -lr]
    assert _warnings_of(first.step) == []


def test_no_reference_cycle_keeps_the_optimizer_alive():
    ours_opt, _ = _optimizers()
    scheduler = tl.optim.lr_scheduler.CosineAnnealingLR(ours_opt, 10)
    alive = weakref.ref(ours_opt)
    gc.disable()
    try:
        del scheduler, ours_opt
        assert alive() is None
    finally:
        gc.enable()


def test_tensor_rates_are_filled_in_place():
    ours_opt = tl.optim.Optimizer([Parameter(tl.zeros(2))], {"lr": tl.tensor(0.1)})
    theirs_opt = torch.optim.Optimizer([torch.nn.Parameter(torch.zeros(2))], {"lr": torch.tensor(0.1)})
    ours_lr, theirs_lr = ours_opt.param_groups[0]["lr"], theirs_opt.param_groups[0]["lr"]
    ours = tl.optim.lr_scheduler.ExponentialLR(ours_opt, 0.9)
    theirs = torch.optim.lr_scheduler.ExponentialLR(theirs_opt, 0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(5):
            ours.step()
            theirs.step()
    assert ours_opt.param_groups[0]["lr"] is ours_lr  # the same tensor, filled
    assert ours_lr.item() == theirs_lr.item()
    last = ours.get_last_lr()[0]
    assert last is not ours_lr and last.item() == ours_lr.item()  # a copy
    assert ours.base_lrs[0] is not ours_opt.param_groups[0]["initial_lr"]


# ---------------------------------------------------------------------------- errors
ERROR_CASES = [
    ("LinearLR", {"start_factor": 0.0}),
    ("LinearLR", {"start_factor": 1.5}),
    ("LinearLR", {"end_factor": -0.1}),
    ("LinearLR", {"end_factor": 1.01}),
    ("LambdaLR", {"lr_lambda": [_halve, _halve]}),
    ("LambdaLR", {"lr_lambda": 3}),  # not callable: fails in the constructor's first step
    ("CosineAnnealingLR", {"T_max": 0}),  # fails on the first step
    ("StepLR", {"step_size": 0}),  # fails on the first step
]


@pytest.mark.parametrize("name, kwargs", ERROR_CASES)
def test_errors_match_torch(name, kwargs):
    def build(lib):
        ours_opt, theirs_opt = _optimizers()
        opt = ours_opt if lib is tl else theirs_opt
        s = getattr(lib.optim.lr_scheduler, name)(opt, **kwargs)
        opt.step()
        s.step()

    assert_same_error(lambda: build(tl), lambda: build(torch), match_message=True)


def test_not_an_optimizer():
    _, theirs_opt = _optimizers()
    assert_same_error(lambda: tl.optim.lr_scheduler.StepLR(theirs_opt, 2),
                      lambda: torch.optim.lr_scheduler.StepLR(object(), 2), match_message=False)
    with pytest.raises(TypeError, match="^SGD is not an Optimizer$"):
        tl.optim.lr_scheduler.StepLR(theirs_opt, 2)  # torch's SGD is not *our* Optimizer
    with pytest.raises(TypeError, match="^list is not an Optimizer$"):
        tl.optim.lr_scheduler.ExponentialLR([], 0.5)


def test_base_class_has_no_schedule():
    ours_opt, theirs_opt = _optimizers()
    assert_same_error(lambda: tl.optim.lr_scheduler.LRScheduler(ours_opt),
                      lambda: torch.optim.lr_scheduler.LRScheduler(theirs_opt))


def test_torch_schedulers_left_out_say_so():
    with pytest.raises(AttributeError, match="torch.optim.lr_scheduler.OneCycleLR exists in torch, but not here"):
        tl.optim.lr_scheduler.OneCycleLR  # noqa: B018
    with pytest.raises(AttributeError, match="^module 'tinygrad_lessons.optim.lr_scheduler' has no attribute 'Nope'$"):
        tl.optim.lr_scheduler.Nope  # noqa: B018


def test_the_module_is_where_torch_has_it():
    import tinygrad_lessons.optim.lr_scheduler as by_import

    assert tl.optim.lr_scheduler is by_import
    assert set(by_import.__all__) <= set(torch.optim.lr_scheduler.__all__)


def test_an_optimizer_with_a_scheduler_still_pickles_as_in_torch():
    """The scheduler's ``step`` wrapper is a local function pickle cannot store: like torch's, the
    optimizer pickles only its defaults, state and groups (and comes back with the plain ``step``)."""
    import pickle

    for lib in (torch, tl):
        p = lib.nn.Parameter(lib.ones(2))
        opt = lib.optim.SGD([p], lr=0.1, momentum=0.9)
        p.grad = lib.ones(2)
        opt.step()
        lib.optim.lr_scheduler.StepLR(opt, step_size=2)
        copy = pickle.loads(pickle.dumps(opt))
        assert copy.param_groups[0]["lr"] == 0.1 and copy.param_groups[0]["initial_lr"] == 0.1
        assert copy.state_dict()["state"][0]["momentum_buffer"].tolist() == [1.0, 1.0]
        assert "step" not in vars(copy)  # the class's own step again
