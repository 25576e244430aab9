"""Random numbers: generators, seeds, and the sampling functions built on them.

A **generator** is a deterministic machine with a *state*: every draw advances the
state, and the same seed always replays the same sequence. That is what makes an
experiment reproducible: ``tl.manual_seed(0)`` at the top of a script gives the same
initial weights, the same shuffling and the same dropout masks on every run.

Ours wraps NumPy's ``Generator`` around a PCG64 bit generator (small, fast and
statistically strong). torch uses a Mersenne Twister, so for one seed the *numbers*
differ from torch's; the *distributions* are the same.

One **default generator** serves every call without ``generator=``; the module-level
``manual_seed``, ``seed``, ``get_rng_state``... act on it. A ``tl.Generator()`` of your
own is an independent stream: draws from it don't disturb the default one (handy
when data shuffling must not change because the model's initialisation did).

**Devices.** As in torch, each device has its own default generator: tensors made on
the GPU (``device='cuda'``, ``randn_like`` of a GPU tensor, ``dropout`` on the GPU...)
draw from the CUDA one, ``tl.cuda.manual_seed`` seeds it, and ``tl.manual_seed`` seeds
both. The numbers are drawn on the host by that generator and then copied to the
device, so a seed gives the same values on either device. A ``generator=`` must belong
to the tensor's device (``tl.Generator('cuda')`` for GPU tensors), as torch requires.

The sampling recipes, each a classic worth knowing:

* uniform floats in [0, 1): a random integer ``k < 2**digits`` times ``2**-digits``,
  with ``digits`` the dtype's mantissa bits, so every value is exact in the dtype and
  1.0 never appears (rounding a float64 draw to float16 could give 1.0);
* normal: NumPy's ziggurat sampler for N(0, 1), then ``mean + std * z``;
* ``randperm``: a Fisher-Yates shuffle;
* ``multinomial`` with replacement: inverse-CDF sampling (find each uniform number
  in the cumulative sum of the weights); without replacement: the "exponential race"
  (each category draws ``Exp(1) / weight``; the earliest finishers win), which
  samples one after another without replacement in a single vectorised step.
"""

from __future__ import annotations

import os
import warnings

import numpy as np

from . import dtypes
from .backend import array_module, to_device, to_host
from .copy_ops import check_dtype_on_device
from .creation import (
    _like_array,
    checked_scalar,
    dtype_or_default,
    int_arg,
    new_tensor,
    number_arg,
    set_requires_grad,
    size_from_args,
    type_name,
)
from .device import CPU, as_device, cuda_device
from .function import device_mismatch_error
from .grad_mode import STATE
from .layout import assert_no_internal_overlap
from .size import infer_size
from .tensor import Tensor, _wrap

__all__ = [
    "Generator", "default_generator", "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state",
    "rand", "randn", "randint", "randperm", "rand_like", "randn_like", "randint_like", "normal", "bernoulli",
    "multinomial",
]

_DEFAULT_SEED = 67280421310721  # what a fresh torch.Generator() starts from
_STATE_WORDS = 7  # PCG64 state (2 words), increment (2), buffered-uint32 flag and value, initial seed
_MASK64 = (1 << 64) - 1


# ---------------------------------------------------------------------- generators
class Generator:
    """An independent, reproducible stream of random numbers.

    >>> g = tl.Generator().manual_seed(0)
    >>> tl.rand(2, generator=g)    # the same two numbers on every run
    """

    def __init__(self, device="cpu"):
        self.device = as_device(device)
        self._reseed(_DEFAULT_SEED)

    def _reseed(self, seed: int) -> None:
        self._initial_seed = seed
        self._rng = np.random.Generator(np.random.PCG64(seed))

    def manual_seed(self, seed) -> Generator:
        """Restart the stream from ``seed`` (an int; negative ones wrap to 64 bits, as in torch)."""
        if isinstance(seed, (float, np.floating)):
            raise RuntimeError(f"manual_seed expected a long, but got {type_name(seed)}")
        seed = int_arg(seed, "manual_seed", "seed", 1)
        if not -(1 << 63) <= seed <= _MASK64:
            raise ValueError("Overflow when unpacking long long")
        self._reseed(seed & _MASK64)
        return self

    def seed(self) -> int:
        """Restart the stream from a fresh, unpredictable seed (from the OS) and return it."""
        new_seed = int.from_bytes(os.urandom(8), "little")
        self._reseed(new_seed)
        return new_seed

    def initial_seed(self) -> int:
        """The seed this stream last started from."""
        return self._initial_seed

    def get_state(self) -> Tensor:
        """The full state as a uint8 tensor: ``set_state`` of it replays the draws from here on."""
        state = self._rng.bit_generator.state
        pcg, inc = state["state"]["state"], state["state"]["inc"]
        words = [pcg & _MASK64, pcg >> 64, inc & _MASK64, inc >> 64, state["has_uint32"], state["uinteger"],
                 self._initial_seed]
        return _wrap(np.array(words, dtype=np.uint64).view(np.uint8))

    def set_state(self, new_state) -> Generator:
        """Go back to a state saved by ``get_state``."""
        if not isinstance(new_state, Tensor):
            raise TypeError(f"expected a torch.ByteTensor, but got {type_name(new_state)}")
        if new_state.dtype is not dtypes.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        if new_state.numel() != _STATE_WORDS * 8:
            raise RuntimeError(f"Expected a Generator state of size {_STATE_WORDS * 8} but found the input RNG "
                               f"state size to be {new_state.numel()}")
        words = [int(w) for w in np.ascontiguousarray(to_host(new_state._data)).reshape(-1).view(np.uint64)]
        self._rng.bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {"state": words[0] | words[1] << 64, "inc": words[2] | words[3] << 64},
            "has_uint32": words[4], "uinteger": words[5],
        }
        self._initial_seed = words[6]
        return self

    def __repr__(self):
        return f"<tl.Generator device={self.device} initial_seed={self._initial_seed}>"


default_generator = Generator()
default_generator.seed()  # like torch, a new process starts from an unpredictable seed

_CUDA_GENERATOR = []  # the GPU's default generator, made on first use


def _cuda_generator() -> Generator:
    """The default generator of the GPU (``tl.cuda.manual_seed`` seeds it), made on first use.

    It is an ordinary host-side generator marked ``cuda``: GPU random numbers are drawn on
    the host and copied over. Making it needs no GPU, so ``tl.manual_seed`` can always seed it.
    """
    if not _CUDA_GENERATOR:
        g = Generator.__new__(Generator)
        g.device = cuda_device(0)
        g.seed()  # like the CPU's, it starts from an unpredictable seed
        _CUDA_GENERATOR.append(g)
    return _CUDA_GENERATOR[0]


def manual_seed(seed) -> Generator:
    """Seed the default generators (the CPU's and the GPU's, as torch does), for reproducible runs.

    Returns the CPU's generator.
    """
    seed = int(seed)
    generator = default_generator.manual_seed(seed)
    _cuda_generator().manual_seed(seed)
    return generator


def seed() -> int:
    """Seed the default generators unpredictably (the GPU's with the same seed); returns the seed used."""
    new_seed = default_generator.seed()
    _cuda_generator().manual_seed(new_seed)
    return new_seed


def initial_seed() -> int:
    """The seed the default generator last started from."""
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    """The default generator's state, as a uint8 tensor."""
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    """Restore the default generator's state from ``get_rng_state()``."""
    default_generator.set_state(new_state)


def _rng(generator, device=CPU) -> np.random.Generator:
    """The NumPy generator behind ``generator=`` for a tensor on ``device`` (None: that device's default one).

    A generator of another device type is torch's error: GPU tensors draw from a CUDA generator.
    """
    if generator is None:
        return default_generator._rng if device is CPU else _cuda_generator()._rng
    if not isinstance(generator, Generator):
        raise TypeError(f"expected a tl.Generator as generator=, but got {type_name(generator)}")
    if generator.device.type != device.type:
        raise RuntimeError(f"Expected a '{device.type}' device type for generator but found '{generator.device.type}'")
    return generator._rng


def _target(device, d: dtypes.dtype):
    """The device a new tensor of dtype ``d`` goes to (checked before anything is drawn)."""
    target = as_device(device)
    if target is not CPU:
        check_dtype_on_device(d, target)
    return target


def _placed(values: np.ndarray, target) -> np.ndarray:
    """Values drawn on the host, copied to ``target`` (the very same array for the CPU)."""
    return values if target is CPU else to_device(values, target)


# ---------------------------------------------------------------------- samplers on arrays
_MANTISSA_DIGITS = {dtypes.float16: 11, dtypes.bfloat16: 8, dtypes.float32: 24, dtypes.float64: 53}


def _uniform01(rng, shape, d: dtypes.dtype) -> np.ndarray:
    """Floats in [0, 1) of dtype ``d``, each an exact multiple of ``2**-digits``."""
    if d is dtypes.float64:
        return rng.random(shape)  # 53 random bits
    if d is dtypes.float32:
        return rng.random(shape, dtype=np.float32)  # 24 random bits
    digits = _MANTISSA_DIGITS[d]
    k = rng.integers(0, 1 << digits, shape, dtype=np.int32)
    return (k * np.float32(2.0**-digits)).astype(d.numpy_dtype)


def _standard_normal(rng, shape, d: dtypes.dtype) -> np.ndarray:
    """N(0, 1) samples, drawn in float32 (float64 for float64) as the dtype's arithmetic."""
    if d is dtypes.float64:
        return rng.standard_normal(shape)
    return rng.standard_normal(shape, dtype=np.float32)


def _compute_dtype(d: dtypes.dtype):
    """Half types compute in float32, as torch's kernels do."""
    return np.float32 if d.itemsize == 2 else d.numpy_dtype.type


def _float_dtype(dtype, kernel: str) -> dtypes.dtype:
    """The dtype of a floating sampler, with torch's error for integer dtypes."""
    d = dtype_or_default(dtype)
    if not d.is_floating_point:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{dtypes.SCALAR_NAMES[d]}'")
    return d


def _like(input, d: dtypes.dtype, values: np.ndarray, requires_grad: bool, target) -> Tensor:  # noqa: A002
    """``values`` (row-major, on the host) placed in memory on ``target`` laid out like ``input``."""
    out = _like_array(input, target, d)
    out[...] = _placed(values.reshape(out.shape), target)
    return set_requires_grad(_wrap(out), requires_grad)


def _like_input(input, fname: str) -> Tensor:  # noqa: A002
    if not isinstance(input, Tensor):
        raise TypeError(f"{fname}(): argument 'input' (position 1) must be Tensor, not {type_name(input)}")
    return input


# ---------------------------------------------------------------------- sampling functions
def rand(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform samples in [0, 1): ``rand(2, 3)`` or ``rand((2, 3))``."""
    shape = size_from_args(size, "rand")
    d = _float_dtype(dtype, "check_uniform_bounds")
    target = _target(device, d)
    return new_tensor(_placed(_uniform01(_rng(generator, target), shape, d), target), requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal samples (mean 0, standard deviation 1): ``randn(2, 3)``."""
    shape = size_from_args(size, "randn")
    d = _float_dtype(dtype, "normal_kernel_cpu")
    target = _target(device, d)
    values = _standard_normal(_rng(generator, target), shape, d).astype(d.numpy_dtype, copy=False)
    return new_tensor(_placed(values, target), requires_grad)


# the C++ type names torch's random_ and uniform_ show in their bound errors
_BOUND_NAMES = {
    dtypes.bool: "bool", dtypes.uint8: "unsigned char", dtypes.int8: "signed char", dtypes.int16: "short int",
    dtypes.int32: "int", dtypes.int64: "long", dtypes.float16: "c10::Half", dtypes.bfloat16: "c10::BFloat16",
    dtypes.float32: "float", dtypes.float64: "double",
}


def _check_integer_range(low: int, high: int, d: dtypes.dtype) -> None:
    """torch's checks of ``[low, high)`` for ``randint`` and ``random_``."""
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    if d.is_floating_point:  # beyond 2**digits, not every integer exists in the dtype
        digits = _MANTISSA_DIGITS[d]
        for name, value in (("from", low), ("to - 1", high - 1)):
            if abs(value) > 1 << digits:
                warnings.warn(f"{name} is out of bounds [-(2^{digits}), 2^{digits}]. Due to precision limitations "
                              f"{_BOUND_NAMES[d]} can support discrete uniform distribution only within this range. "
                              "This warning will become an error in version 1.7 release, please fix the code in "
                              "advance", UserWarning, stacklevel=3)
        return
    lowest, highest = (0, 1) if d is dtypes.bool else (dtypes.iinfo(d).min, dtypes.iinfo(d).max)
    if not lowest <= low <= highest:
        raise RuntimeError(f"from is out of bounds for {_BOUND_NAMES[d]}")
    if not lowest <= high - 1 <= highest:
        raise RuntimeError(f"to - 1 is out of bounds for {_BOUND_NAMES[d]}")


def _integers(rng, low: int, high: int, shape, d: dtypes.dtype) -> np.ndarray:
    """Uniform integers in ``[low, high)``, stored as dtype ``d``."""
    return rng.integers(low, high - 1, shape, dtype=np.int64, endpoint=True).astype(d.numpy_dtype)


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform integers in ``[low, high)``: ``randint(10, (3,))`` or ``randint(5, 10, (3,))``; int64."""
    size_position = 3
    if size is None:  # the two-argument form randint(high, size)
        if high is None:
            raise TypeError("randint() missing required arguments: 'high' and 'size'")
        low, high, size, size_position = 0, low, high, 2
    low = int_arg(low, "randint", "low", 1)
    high = int_arg(high, "randint", "high", size_position - 1)
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): argument 'size' (position {size_position}) must be tuple of ints, "
                        f"not {type_name(size)}")
    shape = size_from_args((size,), "randint")
    d = dtypes.int64 if dtype is None else dtypes.as_dtype(dtype)
    _check_integer_range(low, high, d)
    target = _target(device, d)
    return new_tensor(_placed(_integers(_rng(generator, target), low, high, shape, d), target), requires_grad)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A random ordering of ``0 .. n-1`` (int64): ``x[randperm(len(x))]`` shuffles ``x``."""
    n = int_arg(n, "randperm", "n", 1)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    d = dtypes.int64 if dtype is None else dtypes.as_dtype(dtype)
    if d is dtypes.bool:
        raise NotImplementedError("\"randperm\" not implemented for 'Bool'")
    if n:
        checked_scalar(n - 1, d)  # the largest value must fit the dtype
    target = _target(device, d)
    return new_tensor(_placed(_rng(generator, target).permutation(n).astype(d.numpy_dtype), target), requires_grad)


def rand_like(input, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:  # noqa: A002
    """``rand`` with ``input``'s shape, dtype and memory order."""
    input = _like_input(input, "rand_like")  # noqa: A001
    d = _float_dtype(input.dtype if dtype is None else dtype, "check_uniform_bounds")
    target = _target(input.device if device is None else device, d)
    return _like(input, d, _uniform01(_rng(generator, target), input.shape, d), requires_grad, target)


def randn_like(input, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:  # noqa: A002
    """``randn`` with ``input``'s shape, dtype and memory order."""
    input = _like_input(input, "randn_like")  # noqa: A001
    d = _float_dtype(input.dtype if dtype is None else dtype, "normal_kernel_cpu")
    target = _target(input.device if device is None else device, d)
    return _like(input, d, _standard_normal(_rng(generator, target), input.shape, d), requires_grad, target)


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, device=None,  # noqa: A002
                 requires_grad=False) -> Tensor:
    """``randint`` with ``input``'s shape, dtype and memory order: ``randint_like(x, 10)``."""
    input = _like_input(input, "randint_like")  # noqa: A001
    if high is None:  # randint_like(input, high)
        low, high = 0, low
    low, high = int_arg(low, "randint_like", "low", 2), int_arg(high, "randint_like", "high", 3)
    d = input.dtype if dtype is None else dtypes.as_dtype(dtype)
    _check_integer_range(low, high, d)
    target = _target(input.device if device is None else device, d)
    return _like(input, d, _integers(_rng(generator, target), low, high, input.shape, d), requires_grad, target)


def _check_std(std) -> None:
    if not std >= 0:  # also refuses NaN
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")


def normal(mean, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Normal samples: ``normal(0.0, 1.0, (2, 3))``, or one per element of tensor ``mean``/``std``.

    With tensors, the result has their broadcast shape and the dtype of ``mean``
    (of ``std`` if only it is a tensor).
    """
    if generator is not None and not isinstance(generator, Generator):
        _rng(generator)  # torch's TypeError, before anything else
    if not isinstance(mean, Tensor) and not isinstance(std, Tensor):
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments: with a float mean and std, "
                            "give the size too, e.g. normal(0.0, 1.0, (2, 3))")
        mean, std = float(number_arg(mean, "normal", "mean", 1)), float(number_arg(std, "normal", "std", 2))
        _check_std(std)
        if not isinstance(size, (tuple, list)):
            raise TypeError(f"normal(): argument 'size' (position 3) must be tuple of ints, not {type_name(size)}")
        shape = size_from_args((size,), "normal")
        d = _float_dtype(dtype, "normal_kernel_cpu")
        target = _target(device, d)
        acc = _compute_dtype(d)
        values = acc(mean) + acc(std) * _standard_normal(_rng(generator, target), shape, d).astype(acc, copy=False)
        return new_tensor(_placed(values.astype(d.numpy_dtype, copy=False), target), requires_grad)
    if size is not None or dtype is not None or requires_grad:
        raise TypeError("normal() received an invalid combination of arguments: size=, dtype= and "
                        "requires_grad= go only with a float mean and std")
    d = mean.dtype if isinstance(mean, Tensor) else std.dtype
    if not d.is_floating_point:
        raise NotImplementedError(f"\"normal_kernel_cpu\" not implemented for '{dtypes.SCALAR_NAMES[d]}'")
    target = mean.device if isinstance(mean, Tensor) else std.device
    if isinstance(mean, Tensor) and isinstance(std, Tensor) and std.device is not target:
        raise device_mismatch_error(target, std.device)
    acc = _compute_dtype(d)
    if isinstance(std, Tensor):
        if not (std._data >= 0).all():  # NaN is refused too (a check: on a GPU, it waits for the values)
            raise RuntimeError("normal expects all elements of std >= 0.0")
        std_values = std._data.astype(acc, copy=False)
    else:
        std = float(number_arg(std, "normal", "std", 2))
        _check_std(std)
        std_values = acc(std)
    if isinstance(mean, Tensor):
        mean_values = mean._data.astype(acc, copy=False)
    else:
        mean_values = acc(number_arg(mean, "normal", "mean", 1))
    shape = infer_size(np.shape(mean_values), np.shape(std_values))
    noise = _placed(_standard_normal(_rng(generator, target), shape, d).astype(acc, copy=False), target)
    values = mean_values + std_values * noise
    return new_tensor(values.astype(d.numpy_dtype), False)


_P_IN_ERROR = ("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message be "
               "improved?  If so, please report an enhancement request to PyTorch.)")


def _check_probability(p) -> float:
    p = float(number_arg(p, "bernoulli", "p", 2))
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")
    return p


def _probabilities(p: Tensor) -> np.ndarray:
    """The values of a probability tensor (on its device), checked to lie in [0, 1]."""
    if not p.dtype.is_floating_point:
        raise NotImplementedError(f"\"bernoulli_tensor_cpu_p_\" not implemented for '{dtypes.SCALAR_NAMES[p.dtype]}'")
    values = p._data.astype(np.float64)
    if not ((values >= 0) & (values <= 1)).all():
        raise RuntimeError(_P_IN_ERROR)
    return values


def bernoulli(input, p=None, *, generator=None) -> Tensor:  # noqa: A002
    """0/1 samples: 1 with probability ``input`` (elementwise), or with probability ``p`` if given."""
    input = _like_input(input, "bernoulli")  # noqa: A001
    target = input.device
    rng = _rng(generator, target)
    if p is None:  # a probability per element: compared on the tensor's device
        values = _placed(rng.random(input.shape), target) < _probabilities(input)
    else:  # one probability: compared on the host, and only the 0/1 result is copied over
        p = _check_probability(p)
        values = _placed(rng.random(input.shape) < p, target)
    return new_tensor(values.astype(input.dtype.numpy_dtype), False)


def multinomial(input, num_samples, replacement=False, *, generator=None) -> Tensor:  # noqa: A002
    """Indices drawn with probability proportional to the (non-negative) weights in each row of ``input``."""
    input = _like_input(input, "multinomial")  # noqa: A001
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{dtypes.SCALAR_NAMES[input.dtype]}")
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    num_samples = int_arg(num_samples, "multinomial", "num_samples", 2)
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    categories = input.shape[-1]
    if not replacement and num_samples > categories:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    target = input.device
    rng = _rng(generator, target)
    xp = array_module(input._data)
    weights = input._data.astype(np.float64).reshape(-1, categories)
    rows = weights.shape[0]
    out_shape = tuple(input.shape[:-1]) + (num_samples,)
    if rows == 0:
        return new_tensor(xp.empty(out_shape, np.int64), False)
    # torch's checks (on a GPU each one waits for the weights: multinomial is no hot-loop op)
    if not (xp.isfinite(weights).all() and (weights >= 0).all()):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if (weights.sum(axis=1) <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    if replacement:  # inverse CDF: where does each uniform number fall in the cumulative weights?
        cdf = xp.cumsum(weights, axis=1)
        cdf /= cdf[:, -1:]  # the last entry becomes exactly 1.0
        u = _placed(rng.random((rows, num_samples)), target)
        samples = xp.stack([xp.searchsorted(cdf[r], u[r], side="right") for r in range(rows)])
    else:  # exponential race: the smallest Exp(1) / weight come first; weight 0 never wins
        with np.errstate(divide="ignore"):
            finish_times = _placed(rng.standard_exponential((rows, categories)), target) / weights
        samples = xp.argsort(finish_times, axis=1, kind="stable")[:, :num_samples]
    return new_tensor(samples.astype(np.int64).reshape(out_shape), False)


# ---------------------------------------------------------------------- in-place samplers
def _writable(t: Tensor) -> Tensor:
    """torch's checks before an in-place write: no repeated memory, no leaf that requires grad."""
    if t.requires_grad and t.grad_fn is None and STATE.enabled:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    assert_no_internal_overlap(t._data)
    return t


def _write(t: Tensor, values: np.ndarray) -> Tensor:
    """Write host-drawn ``values`` into ``t`` (copied to its device first)."""
    with np.errstate(invalid="ignore", over="ignore"):
        t._data[...] = _placed(values, t.device)
    t._bump_version()
    return t


def uniform_(self, from_=0.0, to=1.0, *, generator=None) -> Tensor:
    """Fill with uniform samples in ``[from_, to)``, in place (``nn.init.uniform_`` uses it)."""
    d = _float_dtype(self.dtype, "check_uniform_bounds")
    low, high = float(from_), float(to)
    lowest, highest = float(dtypes.finfo(d).min), float(dtypes.finfo(d).max)
    if not lowest <= low <= highest:
        raise RuntimeError(f"from is out of bounds for {_BOUND_NAMES[d]}")
    if not lowest <= high <= highest:
        raise RuntimeError(f"to is out of bounds for {_BOUND_NAMES[d]}")
    if low > high:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={low:g} > to={high:g}")
    if high - low > highest:
        raise RuntimeError(f"uniform_ expects to-from <= std::numeric_limits<{dtypes.SCALAR_NAMES[d]}>::max(), "
                           f"but found to={high:g} and from={low:g} which result in to-from to exceed the limit")
    _writable(self)
    return _write(self, low + (high - low) * _rng(generator, self.device).random(self.shape))


def normal_(self, mean=0.0, std=1.0, *, generator=None) -> Tensor:
    """Fill with normal samples of the given mean and standard deviation, in place."""
    d = _float_dtype(self.dtype, "normal_kernel_cpu")
    mean, std = float(mean), float(std)
    _check_std(std)
    _writable(self)
    acc = _compute_dtype(d)
    noise = _standard_normal(_rng(generator, self.device), self.shape, d).astype(acc)
    return _write(self, acc(mean) + acc(std) * noise)


def random_(self, from_=None, to=None, *, generator=None) -> Tensor:
    """Fill with uniform integers, in place: ``random_(to)`` -> ``[0, to)``, ``random_(from_, to)``.

    Without arguments: ``[0, max]`` for integer dtypes, ``[0, 2**mantissa_bits]`` for floats
    (every integer in that range is exact in the float dtype).
    """
    d = self.dtype
    if from_ is None and to is None:
        low = 0
        high = 1 << _MANTISSA_DIGITS[d] if d.is_floating_point else (1 if d is dtypes.bool else dtypes.iinfo(d).max)
        high += 1
    elif to is None:
        low, high = 0, int_arg(from_, "random_", "to", 1)
    else:
        low = 0 if from_ is None else int_arg(from_, "random_", "from", 1)
        high = int_arg(to, "random_", "to", 2)
    _check_integer_range(low, high, d)
    _writable(self)
    return _write(self, _integers(_rng(generator, self.device), low, high, self.shape, d))


def _expand_check(shape: tuple, target: tuple) -> None:
    """torch's errors when a tensor of ``shape`` can't be expanded to ``target``."""
    if len(shape) > len(target):
        raise RuntimeError(f"expand({list(shape)}, size={list(target)}): the number of sizes provided "
                           f"({len(target)}) must be greater or equal to the number of dimensions in the tensor "
                           f"({len(shape)})")
    offset = len(target) - len(shape)
    for i in reversed(range(len(shape))):
        n = shape[i]
        if n != 1 and n != target[offset + i]:
            raise RuntimeError(f"The expanded size of the tensor ({target[offset + i]}) must match the existing size "
                               f"({n}) at non-singleton dimension {offset + i}.  Target sizes: {list(target)}.  "
                               f"Tensor sizes: {list(shape)}")


def bernoulli_(self, p=0.5, *, generator=None) -> Tensor:
    """Fill with 0/1 samples, 1 with probability ``p`` (a number, or a tensor broadcast to ``self``)."""
    if isinstance(p, Tensor):
        _expand_check(tuple(p.shape), tuple(self.shape))
        if p.device is not self.device:
            raise device_mismatch_error(self.device, p.device)
        probs = _probabilities(p)
    else:
        probs = _check_probability(p)
    _writable(self)
    u = _rng(generator, self.device).random(self.shape)
    if isinstance(p, Tensor):  # compared on the device, where the probabilities are
        u = _placed(u, self.device)
    return _write(self, u < probs)


# ---- Tensor methods defined here
Tensor.uniform_ = uniform_
Tensor.normal_ = normal_
Tensor.random_ = random_
Tensor.bernoulli_ = bernoulli_
Tensor.bernoulli = bernoulli
Tensor.multinomial = multinomial
