"""Chapter 1 (tensors): random numbers.

Our generator is not torch's (PCG64, not a Mersenne Twister), so the numbers differ
from torch's; what must agree is everything else. Tested by properties:

* shape, dtype and strides as torch gives them, and torch's errors;
* ranges: ``rand`` in [0, 1), ``randint`` in [low, high), ``randperm`` a permutation;
* reproducibility: the same seed (module-level or a ``Generator``) replays the same
  numbers, ``get_state``/``set_state`` replay from a point, and separate generators
  don't disturb each other;
* statistics, with fixed seeds and generous bounds, computed with NumPy only:
  means and standard deviations, a chi-square test of uniformity, a
  Kolmogorov-Smirnov distance, frequencies of categories.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_lessons as tl
from parity import DTYPE_PAIRS, FLOAT_PAIRS, FROM_TORCH_DTYPE, INT_PAIRS, assert_same_error

FLOAT_DTYPES = [d for d, _ in FLOAT_PAIRS]
MANTISSA_DIGITS = {tl.float16: 11, tl.bfloat16: 8, tl.float32: 24, tl.float64: 53}
shapes = st.lists(st.integers(0, 4), min_size=0, max_size=3).map(tuple)


def values(t) -> np.ndarray:
    """A tensor's values as float64 (or int64) NumPy."""
    data = t._data
    return data.astype(np.float64) if t.dtype.is_floating_point else data.astype(np.int64)


def chi_square(counts: np.ndarray, expected: np.ndarray) -> float:
    return float(((counts - expected) ** 2 / expected).sum())


# 99.9% quantiles of the chi-square distribution: a correct sampler fails 1 in 1000 seeds
CHI2_999 = {1: 10.83, 2: 13.82, 3: 16.27, 4: 18.47, 5: 20.52, 9: 27.88, 15: 37.70, 23: 49.73}


# ====================================================================== shapes, dtypes, strides
@given(shapes, st.sampled_from(FLOAT_PAIRS), st.booleans())
def test_rand_and_randn_shape_dtype_strides(shape, pair, as_tuple):
    ours_dtype, torch_dtype = pair
    for name in ("rand", "randn"):
        if not shape and not as_tuple:
            continue
        args = (shape,) if as_tuple else shape
        ours = getattr(tl, name)(*args, dtype=ours_dtype)
        theirs = getattr(torch, name)(*args, dtype=torch_dtype)
        assert ours.shape == tuple(theirs.shape) and ours.dtype is ours_dtype
        assert ours.stride() == theirs.stride()
        assert not ours.requires_grad and ours.is_leaf
    assert tl.rand(2).dtype is tl.float32 and tl.randn(2).dtype is tl.float32


def test_default_dtype_and_requires_grad():
    assert tl.rand(3, requires_grad=True).requires_grad
    assert tl.randn(3, dtype=tl.float64, requires_grad=True).is_leaf
    assert tl.randint(0, 5, (2,)).dtype is tl.int64
    assert tl.randperm(4).dtype is tl.int64
    assert tl.normal(0.0, 1.0, (2,), requires_grad=True).requires_grad
    previous = tl.get_default_dtype()
    try:
        tl.set_default_dtype(tl.float64)
        assert tl.rand(2).dtype is tl.float64 and tl.normal(0.0, 1.0, (2,)).dtype is tl.float64
    finally:
        tl.set_default_dtype(previous)


@given(st.data())
def test_like_functions_follow_input(data):
    """rand_like/randn_like/randint_like: the input's shape, dtype and memory order (as torch)."""
    pair = data.draw(st.sampled_from(DTYPE_PAIRS))
    shape = data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple))
    perm = data.draw(st.permutations(range(len(shape))))
    ours_in = tl.zeros(*shape, dtype=pair[0]).permute(*perm)
    theirs_in = torch.zeros(*shape, dtype=pair[1]).permute(*perm)
    cases = [("randint_like", (0, 2)), ("randint_like", (1,))]
    if pair[0].is_floating_point:
        cases += [("rand_like", ()), ("randn_like", ())]
    for name, args in cases:
        ours = getattr(tl, name)(ours_in, *args)
        theirs = getattr(torch, name)(theirs_in, *args)
        assert ours.shape == tuple(theirs.shape) and ours.dtype is pair[0]
        assert ours.stride() == theirs.stride()
    assert tl.rand_like(ours_in, dtype=tl.float64).dtype is tl.float64


# ====================================================================== ranges
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_rand_is_in_unit_interval_and_exact_in_its_dtype(dtype):
    """[0, 1), never 1.0 (even in float16), and every value a multiple of 2**-digits."""
    x = values(tl.rand(20000, dtype=dtype, generator=tl.Generator().manual_seed(1)))
    assert x.min() >= 0 and x.max() < 1
    scaled = x * 2.0 ** MANTISSA_DIGITS[dtype]
    assert np.array_equal(scaled, np.round(scaled))
    assert len(np.unique(x)) > min(2 ** MANTISSA_DIGITS[dtype] // 2, 10000)


@given(st.integers(-300, 300), st.integers(1, 300), st.sampled_from([None] + [d for d, _ in DTYPE_PAIRS]),
       st.booleans())
def test_randint_range_dtype_and_forms(low, width, dtype, two_arg_form):
    high = low + width
    if two_arg_form:
        low, high = 0, abs(high) + 1
    torch_dtype = None if dtype is None else dict(DTYPE_PAIRS)[dtype]

    def make(lib, d):
        if two_arg_form:
            return lib.randint(high, (50,), dtype=d)
        return lib.randint(low, high, (50,), dtype=d)

    with warnings.catch_warnings(record=True) as torch_warnings:
        warnings.simplefilter("always")
        try:
            theirs = make(torch, torch_dtype)
        except RuntimeError:  # out of the dtype's range: torch's error
            assert_same_error(lambda: make(tl, dtype), lambda: make(torch, torch_dtype), match_message=True)
            return
    with warnings.catch_warnings(record=True) as our_warnings:
        warnings.simplefilter("always")
        ours = make(tl, dtype)
    assert [str(w.message) for w in our_warnings] == [str(w.message).split(" (Triggered")[0] for w in torch_warnings]
    assert ours.dtype is (dtype or tl.int64) and ours.shape == tuple(theirs.shape)
    x = values(ours)
    lowest, highest = values(tl.tensor([low, high - 1]).to(ours.dtype))  # as rounded into a float dtype
    assert x.min() >= lowest and x.max() <= highest and np.array_equal(x, np.round(x))


def test_randint_signatures():
    assert tl.randint(low=2, high=5, size=(3,)).shape == (3,)
    assert tl.randint(high=5, size=(2, 2)).shape == (2, 2)
    assert tl.randint(0, 10, size=[3]).shape == (3,)
    assert tl.randint(0, 10, tl.Size([3])).shape == (3,)
    x = values(tl.randint(-(2**63), 2**63 - 1, (1000,)))
    assert x.min() < -(2**60) and x.max() > 2**60  # the whole int64 range is reachable
    assert set(values(tl.randint(0, 2, (200,), dtype=tl.bool)).tolist()) == {0, 1}


@given(st.integers(0, 60), st.sampled_from([tl.int64, tl.int32, tl.int16, tl.uint8, tl.float32, tl.float16]))
def test_randperm_is_a_permutation(n, dtype):
    p = tl.randperm(n, dtype=dtype)
    assert p.dtype is dtype and p.shape == (n,) and p.stride() == torch.randperm(n).stride()
    assert sorted(values(p).tolist()) == list(range(n))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_uniform_normal_random_in_place(dtype):
    g = tl.Generator().manual_seed(10)
    t = tl.zeros(4000, dtype=dtype)
    assert t.uniform_(-2, 3, generator=g) is t and t.dtype is dtype
    x = values(t)
    assert x.min() >= -2 and x.max() <= 3 and abs(x.mean() - 0.5) < 0.15
    assert t.normal_(5, 0.5, generator=g) is t
    x = values(t)
    assert abs(x.mean() - 5) < 0.05 and abs(x.std() - 0.5) < 0.05
    assert t.random_(3, 9, generator=g) is t
    assert set(values(t).tolist()) == set(range(3, 9))
    t.random_(4, generator=g)
    assert set(values(t).tolist()) == {0, 1, 2, 3}
    t.random_(generator=g)
    x = values(t)
    assert x.min() >= 0 and x.max() <= 2 ** MANTISSA_DIGITS[dtype] and np.array_equal(x, np.round(x))
    assert t.bernoulli_(0.25, generator=g) is t and set(values(t).tolist()) <= {0, 1}
    assert abs(values(t).mean() - 0.25) < 0.05


@pytest.mark.parametrize("dtype", [d for d, _ in INT_PAIRS] + [tl.bool])
def test_random_and_bernoulli_in_place_on_integers(dtype):
    g = tl.Generator().manual_seed(11)
    t = tl.zeros(2000, dtype=dtype)
    t.random_(generator=g)
    info = (0, 1) if dtype is tl.bool else (0, tl.iinfo(dtype).max)
    x = values(t)
    assert x.min() >= info[0] and x.max() <= info[1] and len(np.unique(x)) > 1
    t.random_(0, 2, generator=g)
    assert set(values(t).tolist()) == {0, 1}
    t.bernoulli_(tl.full((2000,), 0.9), generator=g)
    assert 0.85 < values(t).mean() < 0.95


def test_in_place_samplers_write_through_views_and_count_versions():
    base = tl.zeros(3, 4)
    view = base.T
    version = base._version
    view.uniform_(1, 2)
    assert (values(base) >= 1).all()
    assert base._version > version
    base.normal_(generator=tl.Generator().manual_seed(0))
    assert base._version > version + 1


def test_in_place_samplers_refuse_what_torch_refuses():
    for name, args in [("uniform_", ()), ("normal_", ()), ("random_", ()), ("bernoulli_", ())]:
        assert_same_error(lambda n=name, a=args: getattr(tl.ones(3, requires_grad=True), n)(*a),
                          lambda n=name, a=args: getattr(torch.ones(3, requires_grad=True), n)(*a),
                          match_message=True)
        assert_same_error(lambda n=name, a=args: getattr(tl.ones(3).expand(2, 3), n)(*a),
                          lambda n=name, a=args: getattr(torch.ones(3).expand(2, 3), n)(*a), match_message=True)
    leaf = tl.ones(3, requires_grad=True)
    with tl.no_grad():
        leaf.uniform_(-1, 1)  # what nn.init does
    assert leaf.requires_grad and (values(leaf) < 1).all()


# ====================================================================== reproducibility
def draw_everything(generator=None):
    """One draw from every sampler, with ``generator`` (or the default generator)."""
    g = {"generator": generator}
    probs = tl.tensor([[0.1, 0.2, 0.7], [0.5, 0.0, 0.5]])
    out = [
        tl.rand(3, **g), tl.rand(3, dtype=tl.float16, **g), tl.randn(2, 2, **g), tl.randn(3, dtype=tl.float64, **g),
        tl.randint(0, 100, (4,), **g), tl.randint(7, (3,), **g), tl.randperm(6, **g),
        tl.rand_like(tl.ones(2, 2), **g), tl.randn_like(tl.ones(3), **g), tl.randint_like(tl.ones(3), 5, **g),
        tl.normal(1.0, 2.0, (3,), **g), tl.normal(tl.zeros(3), tl.ones(3), **g), tl.normal(tl.zeros(2), 1.0, **g),
        tl.bernoulli(tl.full((5,), 0.5), **g), tl.bernoulli(tl.ones(4), 0.3, **g),
        tl.multinomial(probs, 2, **g), tl.multinomial(probs, 4, replacement=True, **g),
        tl.zeros(3).uniform_(**g), tl.zeros(3).normal_(**g), tl.zeros(3).random_(10, **g),
        tl.zeros(3).bernoulli_(0.5, **g),
    ]
    return [t.tolist() for t in out]


@given(st.integers(-(2**63), 2**64 - 1))
def test_manual_seed_replays_every_sampler(seed):
    assert tl.manual_seed(seed) is tl.default_generator
    first = draw_everything()
    tl.manual_seed(seed)
    assert draw_everything() == first
    assert tl.initial_seed() == seed % 2**64


def test_generators_replay_and_are_independent():
    g1, g2 = tl.Generator().manual_seed(123), tl.Generator().manual_seed(123)
    assert draw_everything(g1) == draw_everything(g2)
    assert draw_everything(tl.Generator().manual_seed(1)) != draw_everything(tl.Generator().manual_seed(2))
    # drawing from another generator does not move the default one
    tl.manual_seed(7)
    expected = tl.rand(5).tolist()
    tl.manual_seed(7)
    draw_everything(tl.Generator().manual_seed(99))
    assert tl.rand(5).tolist() == expected
    # two generators interleaved give what each gives alone
    a, b = tl.Generator().manual_seed(5), tl.Generator().manual_seed(6)
    alone_a = [tl.rand(3, generator=tl.Generator().manual_seed(5)).tolist()]
    interleaved = [tl.rand(3, generator=a).tolist(), tl.rand(3, generator=b).tolist()]
    assert interleaved[0] == alone_a[0]


def test_get_state_and_set_state_replay():
    g = tl.Generator().manual_seed(42)
    tl.rand(10, generator=g)
    state = g.get_state()
    assert state.dtype is tl.uint8 and state.ndim == 1 and not state.requires_grad
    after = draw_everything(g)
    assert g.set_state(state) is g
    assert draw_everything(g) == after
    assert g.initial_seed() == 42
    copy = g.get_state()
    copy._data[:] = 0  # the saved state is a copy: changing it leaves the generator alone
    assert g.get_state().tolist() != copy.tolist()
    # module level, on the default generator
    saved = tl.get_rng_state()
    first = tl.randn(4).tolist()
    tl.set_rng_state(saved)
    assert tl.randn(4).tolist() == first
    # a state carries its initial seed
    other = tl.Generator().manual_seed(9).get_state()
    assert tl.Generator().set_state(other).initial_seed() == 9


def test_seed_and_initial_seed():
    assert tl.Generator().initial_seed() == torch.Generator().initial_seed()  # 67280421310721
    s1, s2 = tl.seed(), tl.seed()
    assert isinstance(s1, int) and 0 <= s1 < 2**64 and s1 != s2
    assert tl.initial_seed() == s2
    g = tl.Generator()
    s = g.seed()
    assert g.initial_seed() == s
    assert tl.Generator(device="cpu").device == tl.device("cpu")
    assert tl.manual_seed(True).initial_seed() == 1
    assert tl.manual_seed(np.int64(5)).initial_seed() == 5
    assert tl.manual_seed(1.5).initial_seed() == torch.manual_seed(1.5).initial_seed() == 1
    assert tl.Generator().manual_seed(-5).initial_seed() == torch.Generator().manual_seed(-5).initial_seed()
    torch.seed()


@pytest.mark.parametrize("make", [
    lambda lib: lib.manual_seed(2**64),
    lambda lib: lib.manual_seed(-(2**63) - 1),
    lambda lib: lib.manual_seed("a"),
    lambda lib: lib.Generator().manual_seed(1.5),
    lambda lib: lib.set_rng_state([1, 2]),
    lambda lib: lib.set_rng_state(lib.zeros(10)),
    lambda lib: lib.rand(2, generator=5),
    pytest.param(lambda lib: lib.Generator(device="cuda"),  # (an error only where neither library has a GPU)
                 marks=pytest.mark.skipif(torch.cuda.is_available(), reason="torch has a GPU here")),
], ids=lambda f: "")
def test_seed_and_state_errors(make):
    assert_same_error(lambda: make(tl), lambda: make(torch))


def test_state_of_the_wrong_size_is_refused():
    with pytest.raises(RuntimeError, match="size"):
        tl.set_rng_state(tl.zeros(10, dtype=tl.uint8))


# ====================================================================== statistics (fixed seeds, generous bounds)
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_randn_mean_and_std(dtype):
    x = values(tl.randn(200000, dtype=dtype, generator=tl.Generator().manual_seed(3)))
    assert abs(x.mean()) < 0.01 and abs(x.std() - 1) < 0.01
    assert abs((np.abs(x) < 1).mean() - 0.6827) < 0.01  # the bell shape, not just two moments
    assert abs((np.abs(x) < 2).mean() - 0.9545) < 0.005


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_rand_is_uniform_chi_square_and_ks(dtype):
    n = 100000
    x = values(tl.rand(n, dtype=dtype, generator=tl.Generator().manual_seed(4)))
    counts = np.histogram(x, bins=16, range=(0, 1))[0]  # 16 bins: each holds as many grid points
    assert chi_square(counts, np.full(16, n / 16)) < CHI2_999[15]
    sorted_x = np.sort(x)
    ecdf_hi, ecdf_lo = np.arange(1, n + 1) / n, np.arange(n) / n
    distance = max((ecdf_hi - sorted_x).max(), (sorted_x - ecdf_lo).max())
    resolution = 2.0 ** -MANTISSA_DIGITS[dtype]  # a coarse dtype's grid adds this much to the distance
    assert distance < 1.95 / np.sqrt(n) + resolution  # the KS test at p = 0.001


def test_normal_with_tensor_means_and_stds():
    g = tl.Generator().manual_seed(5)
    mean = tl.tensor(np.repeat([[-10.0], [0.0], [10.0]], 20000, axis=1))
    std = tl.tensor([[1.0], [2.0], [0.5]])
    x = values(tl.normal(mean, std, generator=g))
    assert np.allclose(x.mean(axis=1), [-10, 0, 10], atol=0.05)
    assert np.allclose(x.std(axis=1), [1, 2, 0.5], rtol=0.03)
    y = values(tl.normal(3.0, 0.1, (50000,), generator=g))
    assert abs(y.mean() - 3) < 0.005 and abs(y.std() - 0.1) < 0.005
    z = values(tl.normal(2.0, tl.full((50000,), 3.0), generator=g))
    assert abs(z.mean() - 2) < 0.1 and abs(z.std() - 3) < 0.1
    assert np.all(values(tl.normal(tl.full((4,), 7.0), 0.0)) == 7)


def test_randint_and_randperm_are_uniform():
    g = tl.Generator().manual_seed(6)
    x = values(tl.randint(-3, 7, (50000,), generator=g))
    counts = np.bincount(x + 3, minlength=10)
    assert chi_square(counts, np.full(10, 5000)) < CHI2_999[9]
    # every ordering of 4 elements equally likely: 24 categories
    perms = np.array([values(tl.randperm(4, generator=g)) for _ in range(6000)])
    codes = np.unique(perms @ np.array([64, 16, 4, 1]), return_counts=True)[1]
    assert len(codes) == 24 and chi_square(codes, np.full(24, 250)) < CHI2_999[23]


def test_bernoulli_frequencies():
    g = tl.Generator().manual_seed(7)
    p = tl.tensor(np.repeat([[0.0], [0.1], [0.5], [0.9], [1.0]], 20000, axis=1))
    x = values(tl.bernoulli(p, generator=g))
    assert x[0].sum() == 0 and x[4].sum() == 20000
    assert np.allclose(x.mean(axis=1), [0, 0.1, 0.5, 0.9, 1], atol=0.015)
    y = values(tl.bernoulli(tl.zeros(50000), 0.3, generator=g))
    assert abs(y.mean() - 0.3) < 0.01


def test_multinomial_with_replacement_frequencies():
    g = tl.Generator().manual_seed(8)
    weights = tl.tensor([[1.0, 2.0, 0.0, 5.0], [0.0, 0.0, 3.0, 1.0]])  # unnormalised weights
    x = values(tl.multinomial(weights, 40000, replacement=True, generator=g))
    for row, w in zip(x, ([1, 2, 0, 5], [0, 0, 3, 1])):
        w = np.array(w, dtype=float)
        counts = np.bincount(row, minlength=4)
        assert counts[w == 0].sum() == 0  # zero weight: never drawn
        expected = w / w.sum() * len(row)
        assert chi_square(counts[w > 0], expected[w > 0]) < CHI2_999[int((w > 0).sum()) - 1]


def test_multinomial_without_replacement():
    g = tl.Generator().manual_seed(9)
    weights = tl.tensor([1.0, 2.0, 3.0, 4.0, 0.0])
    draws = np.array([values(tl.multinomial(weights, 4, generator=g)) for _ in range(8000)])
    assert all(len(set(row)) == 4 for row in draws)  # no repeats within a draw
    assert (draws != 4).all()  # weight 0 is never drawn while others remain
    first = np.bincount(draws[:, 0], minlength=5)[:4]
    assert chi_square(first, np.array([0.1, 0.2, 0.3, 0.4]) * 8000) < CHI2_999[3]
    # second pick given the first is 3 (weight 4): the rest renormalised, 1:2:3
    second = np.bincount(draws[draws[:, 0] == 3, 1], minlength=5)[:3]
    assert chi_square(second, np.array([1, 2, 3]) / 6 * second.sum()) < CHI2_999[2]
    forced = values(tl.multinomial(tl.tensor([1.0, 0.0, 0.0]), 3, generator=g))
    assert sorted(forced.tolist()) == [0, 1, 2] and forced[0] == 0  # zeros come last


# ====================================================================== shapes and errors of the other samplers
@pytest.mark.parametrize("make", [
    lambda lib: lib.normal(lib.zeros(3), 1.0),
    lambda lib: lib.normal(0.0, lib.ones(3)),
    lambda lib: lib.normal(lib.zeros(3, dtype=lib.float64), lib.ones(3)),
    lambda lib: lib.normal(lib.zeros(3), lib.ones(3, dtype=lib.float64)),
    lambda lib: lib.normal(lib.zeros(3, 1), lib.ones(4)),
    lambda lib: lib.normal(lib.zeros(2, 3).T, 1.0),
    lambda lib: lib.normal(lib.zeros(3, dtype=lib.float16), 1.0),
    lambda lib: lib.normal(2.0, lib.ones(3, dtype=lib.float64)),
    lambda lib: lib.normal(0.0, 1.0, (2, 3)),
    lambda lib: lib.normal(0, 1, (2,)),
    lambda lib: lib.normal(0.0, 1.0, (2,), dtype=lib.bfloat16),
    lambda lib: lib.normal(0.0, 1.0, (0, 3)),
    lambda lib: lib.bernoulli(lib.full((3,), 0.5)),
    lambda lib: lib.bernoulli(lib.full((3,), 0.5, dtype=lib.float64)),
    lambda lib: lib.bernoulli(lib.ones(3, 2).T),
    lambda lib: lib.bernoulli(lib.ones(3, 2).T, 0.5),
    lambda lib: lib.bernoulli(lib.zeros(3, dtype=lib.int64), 0.5),
    lambda lib: lib.bernoulli(lib.ones(3, dtype=lib.bool), p=0.5),
    lambda lib: lib.ones(2, 3).bernoulli(),
    lambda lib: lib.multinomial(lib.tensor([1.0, 2, 3]), 2),
    lambda lib: lib.multinomial(lib.tensor([1.0, 2, 3]), 5, True),
    lambda lib: lib.multinomial(lib.ones(2, 3), 2),
    lambda lib: lib.multinomial(lib.ones(0, 3), 1),
    lambda lib: lib.multinomial(lib.ones(3, dtype=lib.float16), 2),
    lambda lib: lib.ones(2, 3).multinomial(3),
], ids=lambda f: "")
def test_shapes_dtypes_strides_match_torch(make):
    ours, theirs = make(tl), make(torch)
    assert ours.shape == tuple(theirs.shape)
    assert ours.dtype is FROM_TORCH_DTYPE[theirs.dtype]
    assert ours.stride() == theirs.stride()


RANDOM_ERRORS = [
    (lambda lib: lib.rand(2, dtype=lib.int64), True),
    (lambda lib: lib.rand(2, dtype=lib.bool), True),
    (lambda lib: lib.randn(2, dtype=lib.int32), True),
    (lambda lib: lib.rand(-1), True),
    (lambda lib: lib.rand(2, 2.5), True),
    (lambda lib: lib.rand_like(lib.ones(2, dtype=lib.int64)), True),
    (lambda lib: lib.randn_like(lib.ones(2, dtype=lib.int64)), True),
    (lambda lib: lib.rand_like([1.0]), False),
    (lambda lib: lib.randint(10, 3), True),
    (lambda lib: lib.randint(10), False),
    (lambda lib: lib.randint(5, 5, (3,)), True),
    (lambda lib: lib.randint(6, 5, (3,)), True),
    (lambda lib: lib.randint(0, 300, (3,), dtype=lib.uint8), True),
    (lambda lib: lib.randint(-1, 3, (3,), dtype=lib.uint8), True),
    (lambda lib: lib.randint(0, 3, (3,), dtype=lib.bool), True),
    (lambda lib: lib.randint(0, 10.5, (3,)), False),
    (lambda lib: lib.randint(0, 10, (3,), requires_grad=True), True),
    (lambda lib: lib.randint_like(lib.ones(2), 5, 5), True),
    (lambda lib: lib.randperm(-1), True),
    (lambda lib: lib.randperm(2.5), True),
    (lambda lib: lib.randperm(300, dtype=lib.uint8), True),
    (lambda lib: lib.randperm(5, dtype=lib.bool), True),
    (lambda lib: lib.normal(0.0, 1.0), False),
    (lambda lib: lib.normal(0.0, -1.0, (2,)), True),
    (lambda lib: lib.normal(0.0, float("nan"), (2,)), True),
    (lambda lib: lib.normal(lib.zeros(3), -1.0), True),
    (lambda lib: lib.normal(lib.zeros(3), lib.full((3,), -1.0)), True),
    (lambda lib: lib.normal(lib.zeros(3), lib.tensor([1.0, float("nan"), 1.0])), True),
    (lambda lib: lib.normal(lib.zeros(3), lib.ones(4)), True),
    (lambda lib: lib.normal(lib.zeros(3, dtype=lib.int64), 1.0), True),
    (lambda lib: lib.normal(lib.zeros(3), 1.0, (3,)), False),
    (lambda lib: lib.bernoulli(lib.full((3,), 1.5)), True),
    (lambda lib: lib.bernoulli(lib.full((3,), float("nan"))), True),
    (lambda lib: lib.bernoulli(lib.ones(3, dtype=lib.int64)), True),
    (lambda lib: lib.bernoulli(lib.ones(3), 1.5), True),
    (lambda lib: lib.multinomial(lib.tensor([1.0, 2, 3]), 4), True),
    (lambda lib: lib.multinomial(lib.tensor([0.0, 0, 0]), 2), True),
    (lambda lib: lib.multinomial(lib.tensor([[1.0, 1], [0, 0]]), 1), True),
    (lambda lib: lib.multinomial(lib.tensor([-1.0, 1, 1]), 2), True),
    (lambda lib: lib.multinomial(lib.tensor([1.0, float("inf")]), 1), True),
    (lambda lib: lib.multinomial(lib.tensor([1.0, float("nan")]), 1), True),
    (lambda lib: lib.multinomial(lib.tensor([1, 2, 3]), 2), True),
    (lambda lib: lib.multinomial(lib.ones(2, 3, 4), 2), True),
    (lambda lib: lib.multinomial(lib.tensor(1.0), 1), True),
    (lambda lib: lib.multinomial(lib.ones(3), 0), True),
    (lambda lib: lib.multinomial(lib.ones(3), -1), True),
    (lambda lib: lib.multinomial(lib.ones(3), 2.5), True),
    (lambda lib: lib.ones(2, 3).uniform_(3, 2), True),
    (lambda lib: lib.ones(2, 3).long().uniform_(2, 3), True),
    (lambda lib: lib.ones(3, dtype=lib.bool).uniform_(), True),
    (lambda lib: lib.ones(2, 3).uniform_(-3e38, 3e38), True),
    (lambda lib: lib.ones(3, dtype=lib.float64).uniform_(-1e308, 1e308), True),
    (lambda lib: lib.ones(3, dtype=lib.float16).uniform_(-1e6, 1), True),
    (lambda lib: lib.ones(3, dtype=lib.bfloat16).uniform_(-1e39, 1), True),
    (lambda lib: lib.ones(3).uniform_(0, 1e39), True),
    (lambda lib: lib.ones(3).uniform_(float("nan"), 1), True),
    (lambda lib: lib.ones(2, 3).normal_(0, -1), True),
    (lambda lib: lib.ones(2, 3).normal_(0, float("nan")), True),
    (lambda lib: lib.ones(2, 3).long().normal_(), True),
    (lambda lib: lib.ones(2, 3).random_(5, 2), True),
    (lambda lib: lib.ones(3, dtype=lib.uint8).random_(-1, 3), True),
    (lambda lib: lib.ones(3, dtype=lib.uint8).random_(0, 300), True),
    (lambda lib: lib.ones(3, dtype=lib.int8).random_(-200, 3), True),
    (lambda lib: lib.ones(3, dtype=lib.int16).random_(0, 2**20), True),
    (lambda lib: lib.ones(3, dtype=lib.int32).random_(0, 2**40), True),
    (lambda lib: lib.ones(3, dtype=lib.bool).random_(0, 3), True),
    (lambda lib: lib.ones(2, 3).bernoulli_(1.5), True),
    (lambda lib: lib.ones(2, 3).bernoulli_(lib.full((3, 2), 0.5)), True),
    (lambda lib: lib.ones(2, 3).bernoulli_(lib.ones(4, 2, 3)), False),
    (lambda lib: lib.ones(2, 3).bernoulli_(lib.tensor([2.0, 0.0, 0.0])), True),
    (lambda lib: lib.ones(2, 3).bernoulli_(lib.ones(3, dtype=lib.int64)), True),
]


@pytest.mark.parametrize("make, same_message", RANDOM_ERRORS, ids=lambda x: "")
def test_errors_match_torch(make, same_message):
    assert_same_error(lambda: make(tl), lambda: make(torch), match_message=same_message)


@pytest.mark.parametrize("make", [
    lambda: tl.rand(()), lambda: tl.rand((), dtype=tl.bfloat16), lambda: tl.randn((), dtype=tl.float16),
    lambda: tl.normal(tl.tensor(0.0), 1.0), lambda: tl.normal(0.0, tl.tensor(1.0)), lambda: tl.normal(0.0, 1.0, ()),
    lambda: tl.bernoulli(tl.tensor(0.5)), lambda: tl.bernoulli(tl.tensor(0.5), 0.5),
    lambda: tl.rand_like(tl.tensor(1.0)), lambda: tl.randint(0, 5, ()).float(),
], ids=lambda f: "")
def test_zero_dim_results_are_writable_tensors(make):
    t = make()
    assert t.shape == () and t.stride() == () and t.storage_offset() == 0
    assert t.uniform_(2, 3) is t and 2 <= t.item() <= 3  # in-place writes need real memory, not a NumPy scalar


# ====================================================================== on the GPU (the simulated one in CI)
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


def test_every_sampler_makes_its_result_on_the_requested_device(cuda):
    x = tl.ones(3, 2, device="cuda").T  # permuted: *_like keeps the memory order on the device too
    made = [tl.rand(2, 3, device="cuda"), tl.randn(4, device="cuda", dtype=tl.float64),
            tl.randint(0, 5, (3,), device="cuda"), tl.randperm(5, device="cuda"),
            tl.normal(0.0, 1.0, (2,), device="cuda"), tl.normal(tl.zeros(3, device="cuda"), 2.0),
            tl.normal(tl.zeros(3, device="cuda"), tl.ones(3, device="cuda")),
            tl.bernoulli(tl.full((4,), 0.5, device="cuda")), tl.bernoulli(tl.ones(4, device="cuda"), 0.25),
            tl.multinomial(tl.tensor([0.2, 0.8], device="cuda"), 3, replacement=True),
            tl.multinomial(tl.tensor([[0.2, 0.3, 0.5]], device="cuda"), 2)]
    assert all(_on_gpu(t) for t in made)
    for like in (tl.rand_like(x), tl.randn_like(x), tl.randint_like(x, 4)):
        assert _on_gpu(like) and like.stride() == x.stride() == (1, 2)
    assert tl.rand_like(x, device="cpu").device == "cpu" and _on_gpu(tl.rand_like(tl.ones(2), device="cuda"))
    t = tl.empty(2, 3, device="cuda")
    for fill in (lambda: t.uniform_(), lambda: t.normal_(), lambda: t.random_(0, 9), lambda: t.bernoulli_(0.5),
                 lambda: t.bernoulli_(tl.full((3,), 0.5, device="cuda")),
                 lambda: tl.nn.init.kaiming_uniform_(t)):
        assert fill() is t and _on_gpu(t)
    assert set(tl.randperm(6, device="cuda").tolist()) == set(range(6))
    assert 0 <= tl.rand(1000, device="cuda").min().item() and tl.rand(1000, device="cuda").max().item() < 1
    with pytest.raises(TypeError, match="bfloat16"):  # CuPy has no bfloat16
        tl.rand(2, device="cuda", dtype=tl.bfloat16)


def test_the_gpu_has_its_own_generator_seeded_by_manual_seed(cuda):
    tl.manual_seed(7)  # seeds the CPU's generator and the GPU's, as torch's does
    on_gpu, on_cpu = tl.randn(5, device="cuda"), tl.randn(5)
    tl.manual_seed(7)
    assert tl.equal(tl.randn(5, device="cuda"), on_gpu) and tl.equal(tl.randn(5), on_cpu)
    # the same seed draws the same numbers on either device (drawn on the host, then copied over)
    np.testing.assert_array_equal(on_gpu.cpu().numpy(), on_cpu.numpy())
    tl.manual_seed(7)
    tl.randn(100, device="cuda")  # GPU draws leave the CPU's stream alone...
    assert tl.equal(tl.randn(5), on_cpu)
    tl.cuda.manual_seed(7)  # ...and tl.cuda.manual_seed seeds the GPU's alone
    assert tl.equal(tl.randn(5, device="cuda"), on_gpu)
    g = tl.Generator("cuda").manual_seed(3)
    first = tl.rand(4, device="cuda", generator=g)
    assert tl.equal(tl.rand(4, device="cuda", generator=g.manual_seed(3)), first)


def test_a_generator_of_another_device_is_torchs_error(cuda):
    with pytest.raises(RuntimeError, match="Expected a 'cuda' device type for generator but found 'cpu'"):
        tl.rand(2, device="cuda", generator=tl.Generator())
    with pytest.raises(RuntimeError, match="Expected a 'cpu' device type for generator but found 'cuda'"):
        tl.randn(2, generator=tl.Generator("cuda"))
    with pytest.raises(RuntimeError, match="Expected a 'cuda' device type for generator but found 'cpu'"):
        tl.ones(2, device="cuda").uniform_(generator=tl.Generator())
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        tl.normal(tl.zeros(2, device="cuda"), tl.ones(2, device="cpu"))
