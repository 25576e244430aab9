"""Array backends: which array library holds a tensor's memory.

A tensor's values live in an *array*: a NumPy array for the CPU, a CuPy array for an
NVIDIA GPU. CuPy copies NumPy's API, so every operation in this library is written
**once**, against an *array module* ``xp`` chosen from its input::

    xp = array_module(x)          # numpy for a CPU array, cupy for a GPU one
    return xp.exp(x - xp.max(x))  # the same line runs on either device

This is how PyTorch works too: one operator definition, dispatched to a CPU or a
CUDA kernel by the device of its inputs.

**The simulated GPU.** CI machines (and many laptops) have no NVIDIA GPU. With the
environment variable ``TINYGRAD_LESSONS_SIMULATE_CUDA=1`` set before import, the
``cuda`` device exists anyway: its memory is NumPy memory of a marked type,
:class:`SimulatedCudaArray`, and its array module, :data:`simulated`, makes every new
array of that type. All the device rules hold (mixing devices is an error,
``.numpy()`` refuses, copies happen on ``.to()``), so device code can be tested on
the CPU. A slip that would break on a real GPU — making a result with ``np.empty``
instead of ``xp.empty``, say — drops the mark, and the result lands on the CPU,
where a device test sees it.
"""

from __future__ import annotations

import os
import types

import numpy as np

from .device import CPU, cuda_device

__all__ = ["array_module", "module_for", "c_contiguous", "device_of", "to_device", "to_host", "array_of",
           "array_module_of", "from_array", "cupy", "simulating",
           "SimulatedCudaArray", "simulated", "simulate_cuda", "cuda_unavailable_error"]

SIMULATE_ENV = "TINYGRAD_LESSONS_SIMULATE_CUDA"

try:  # CuPy is optional: without it the library is CPU-only (or simulated)
    import cupy
except ImportError:  # pragma: no cover - depends on the machine
    cupy = None
except Exception:  # noqa: BLE001 - a broken CUDA install must not break `import tinygrad_lessons`
    cupy = None


_SIMULATING = os.environ.get(SIMULATE_ENV, "") not in ("", "0", "false", "False")


def simulating() -> bool:
    """True when the ``cuda`` device is the simulated one."""
    return _SIMULATING


def simulate_cuda(enabled: bool = True) -> None:
    """Switch the simulated CUDA device on (or off) at run time, e.g. from a notebook.

    The same as starting Python with ``TINYGRAD_LESSONS_SIMULATE_CUDA=1``. Tensors already
    made keep the memory they have; make new ones after switching.
    """
    global _SIMULATING
    _SIMULATING = bool(enabled)


_REAL_GPU = None


_ONE_GPU = None  # cuda:0 when the machine has exactly one GPU: then every CuPy array lives there


def real_gpu_available() -> bool:
    """True when CuPy is installed and sees at least one NVIDIA GPU (asked once, then remembered)."""
    global _REAL_GPU, _ONE_GPU
    if _REAL_GPU is None:
        try:
            count = cupy.cuda.runtime.getDeviceCount() if cupy is not None else 0
        except Exception:  # noqa: BLE001 - no driver, no device: CuPy raises CUDARuntimeError
            count = 0
        _REAL_GPU = count > 0
        _ONE_GPU = cuda_device(0) if count == 1 else None
    return _REAL_GPU


# ---------------------------------------------------------------------- the simulated GPU
class SimulatedCudaArray(np.ndarray):
    """NumPy memory standing in for GPU memory: same values, a different type.

    Operations on such arrays return arrays of the same type (as CuPy's do), and
    0-d results stay 0-d arrays instead of becoming NumPy scalars (CuPy never
    returns scalars either).
    """

    def __array_wrap__(self, array, context=None, return_scalar=False):
        if type(array) is not SimulatedCudaArray:
            array = array.view(SimulatedCudaArray)
        return array

    def get(self):
        """A host (NumPy) copy, as ``cupy.ndarray.get()`` gives."""
        return np.array(self.view(np.ndarray))

    def astype(self, dtype, order="K", casting="unsafe", subok=True, copy=True):
        """``ndarray.astype``, with CUDA's answer for floats out of a 32/64-bit integer type's range.

        C++ leaves that cast undefined; NumPy on x86 gives the type's minimum (inf -> -2**31),
        CUDA saturates (inf -> 2**31 - 1, -1.0 -> 0 for uint32): CuPy's documented difference
        (docs.cupy.dev, user_guide/difference.html, "Cast behavior from float to integer").
        NaN and the 8/16-bit types, which it does not document, keep NumPy's answer.
        """
        with np.errstate(invalid="ignore", over="ignore"):  # CuPy never warns
            result = np.ndarray.astype(self, dtype, order=order, casting=casting, subok=subok, copy=copy)
        if self.dtype.kind == "f" and result.dtype.kind in "iu" and result.dtype.itemsize >= 4 and result.size:
            info, values = np.iinfo(result.dtype), np.asarray(self, np.float64)
            np.copyto(result, info.max, where=values >= float(info.max) + 1)
            np.copyto(result, info.min, where=values <= float(info.min) - 1)
        return result


def _on_sim(array):
    return array.view(SimulatedCudaArray) if isinstance(array, np.ndarray) else np.asarray(array).view(
        SimulatedCudaArray)


#: set by ``utils.device_work.count()`` while it counts: ``call_hook(name, function, args, kwargs)`` runs each
#: simulated-module function (and counts it as one launch, whatever NumPy does inside)
call_hook = None


def _sim_maker(numpy_function):
    name = numpy_function.__name__

    def make(*args, **kwargs):
        if call_hook is not None:
            return call_hook(name, _make, args, kwargs)
        return _make(*args, **kwargs)

    def _make(*args, **kwargs):
        return _on_sim(numpy_function(*args, **kwargs))

    make.__name__ = numpy_function.__name__
    make.__doc__ = f"``numpy.{numpy_function.__name__}``, on the simulated GPU."
    return make


def _sim_asarray(a, dtype=None, order=None):
    """Like ``cupy.asarray``: host data is *copied* to the device; device arrays pass through."""
    if isinstance(a, SimulatedCudaArray):
        return a if dtype is None or a.dtype == dtype else a.astype(dtype)
    if isinstance(a, np.ndarray):  # host memory: a new device copy, never an alias
        return np.array(a, dtype=dtype, order=order or "K").view(SimulatedCudaArray)
    return np.asarray(a, dtype=dtype, order=order).view(SimulatedCudaArray)


def _sim_asnumpy(a):
    return a.get() if isinstance(a, SimulatedCudaArray) else np.asarray(a)


class _SimulatedModule(types.ModuleType):
    """The array module of the simulated GPU: NumPy, except that what it makes is device memory."""

    _source = np

    def __getattr__(self, name):  # everything not overridden below is NumPy's own...
        value = getattr(self._source, name)
        if isinstance(value, types.ModuleType):  # xp.linalg, xp.fft...
            sub = _SimulatedModule(f"{self.__name__}.{name}", value.__doc__)
            sub._source = value
            value = sub
        elif callable(value) and not isinstance(value, (type, np.ufunc)):  # (ufuncs keep the mark themselves)
            value = _sim_function(value)  # ...but what its functions return is device memory, as with CuPy
        setattr(self, name, value)
        return value


def _sim_function(function):
    """A NumPy function whose array results are device memory, as CuPy's are.

    Some NumPy functions (``where``, ``concatenate``, ``nonzero``, a full ``argmax``...) return
    plain arrays or scalars even for ``SimulatedCudaArray`` input. CuPy refuses host arrays as
    input, and so does this: a host array reaching ``xp.f`` is a slip a real GPU would reject.
    """
    name = getattr(function, "__name__", "function")

    def call(*args, **kwargs):
        if call_hook is not None:
            return call_hook(name, _call, args, kwargs)
        return _call(*args, **kwargs)

    def _call(*args, **kwargs):
        with np.errstate(all="ignore"):  # CuPy never warns (overflow in a cast, 0/0...), nor does torch
            result = function(*args, **kwargs)
        marked = _mark(result)
        if marked is not result and any(_is_host_array(a) for a in args):
            raise TypeError(f"{function.__name__}() was given a NumPy (host) array on the simulated GPU; CuPy "
                            "would refuse it too: move it with backend.to_device / xp.asarray first")
        return marked

    call.__name__ = name
    call.__doc__ = function.__doc__
    return call


def _is_host_array(value) -> bool:
    if type(value) is np.ndarray:
        return value.ndim > 0
    return type(value) in (list, tuple) and any(type(v) is np.ndarray and v.ndim > 0 for v in value)


def _mark(result):
    """``result`` with its plain arrays (and NumPy scalars) turned into device memory."""
    if type(result) is np.ndarray or isinstance(result, np.generic):
        return _on_sim(result)
    if isinstance(result, (tuple, list)) and any(type(r) is np.ndarray or isinstance(r, np.generic)
                                                 for r in result):
        marked = [_mark(r) for r in result]
        return type(result)(*marked) if hasattr(result, "_fields") else type(result)(marked)
    return result


simulated = _SimulatedModule("tinygrad_lessons.backend.simulated", "NumPy posing as CuPy (see SimulatedCudaArray).")
for _name in ("empty", "zeros", "ones", "full", "arange", "linspace", "eye", "array", "ascontiguousarray",
              "empty_like", "zeros_like", "ones_like", "full_like", "frombuffer", "tri", "identity"):
    setattr(simulated, _name, _sim_maker(getattr(np, _name)))
simulated.asarray = _sim_asarray
simulated.asnumpy = _sim_asnumpy
simulated.ndarray = SimulatedCudaArray


# ---------------------------------------------------------------------- CuPy's kernels, where they are not NumPy's
# The simulated GPU computes with NumPy, but a real one runs CuPy's CUDA kernels, and a few of those
# answer differently at the edges (inf, nan, rounding). Where CuPy's source says what its kernel does,
# the simulated GPU does the same, so that code leaning on NumPy's edge results fails in CI, not on a GPU.
def _cupy_kernel(numpy_ufunc, float_formula=None, int_formula=None):
    """``numpy_ufunc`` (its dtypes, broadcasting and ``out=``), with CuPy's formula for float (and
    integer) results written over NumPy's answer. Operands are first converted to the result dtype,
    as CuPy's kernel reads them; float16 kernels compute in float32 (CuPy's ``float16`` class)."""
    def kernel(x1, x2, /, out=None, **kwargs):
        result = np.asanyarray(numpy_ufunc(x1, x2, out=out, **kwargs))
        formula = float_formula if result.dtype.kind == "f" else int_formula if result.dtype.kind in "iu" else None
        if formula is not None:
            compute = np.float32 if result.dtype == np.float16 else result.dtype
            a, b = (np.asarray(x, result.dtype).astype(compute) for x in (x1, x2))
            np.copyto(result, formula(a, b), casting="unsafe")
        return result

    kernel.__name__ = numpy_ufunc.__name__
    kernel.__doc__ = f"``cupy.{numpy_ufunc.__name__}`` on the simulated GPU (see ``_cupy_kernel``)."
    return _sim_function(kernel)


# cupy/_core/include/cupy/carray.cuh (``_floor_divide``) and cupy/_core/_routines_math.pyx (``_remainder``):
# for floats, floor(x / y) and x - floor(x / y) * y. NumPy (and Python, and torch) take the exact fmod
# off first, so CuPy differs where x / y rounds or is not finite: inf // 2 is inf (NumPy: nan), -1 // inf
# is -0.0 (NumPy: -1), 1 % inf is nan (NumPy: 1), float32 1e10 % 3 is not 1; cupy/cupy#7737, #8807. (CUDA may
# fuse x - q * y into one fma, so rounded cases can differ in their last bits here: still not NumPy's answer.)
simulated.floor_divide = _cupy_kernel(np.floor_divide, lambda a, b: np.floor(a / b))
simulated.remainder = simulated.mod = _cupy_kernel(np.remainder, lambda a, b: a - np.floor(a / b) * b)
# cupy/_math/arithmetic.py (``fmod``): integers go through double, ``fmod((double)x, (double)y)`` (0 for
# y == 0), so int64 values beyond 2**53 lose their last bits: fmod(2**60 + 1, 7) is 1, not 2.
simulated.fmod = _cupy_kernel(np.fmod, int_formula=lambda a, b: np.where(
    b == 0, 0, np.fmod(a.astype(np.float64), b.astype(np.float64))))


def _cupy_operator(name, reflected=False, inplace=False):
    """``a // b``, ``a % b`` (and reflected, in-place) on simulated GPU arrays: CuPy's kernel, as above."""
    def operator(self, other):
        if not isinstance(other, (np.ndarray, np.generic, int, float, complex)):
            return NotImplemented  # e.g. a tensor: its own reflected operator decides
        kernel = getattr(simulated, name)
        if inplace:
            return kernel(self, other, out=self)
        return kernel(other, self) if reflected else kernel(self, other)
    return operator


for _name, _kernel_name in (("floordiv", "floor_divide"), ("mod", "remainder")):
    setattr(SimulatedCudaArray, f"__{_name}__", _cupy_operator(_kernel_name))
    setattr(SimulatedCudaArray, f"__r{_name}__", _cupy_operator(_kernel_name, reflected=True))
    setattr(SimulatedCudaArray, f"__i{_name}__", _cupy_operator(_kernel_name, inplace=True))


# ---------------------------------------------------------------------- dispatch
def array_module(array):
    """The array module (``numpy``, ``cupy`` or :data:`simulated`) that owns ``array``.

    The one question every operation asks first. Cheap: an exact type check
    answers it for CPU arrays.
    """
    kind = type(array)
    if kind is np.ndarray:
        return np
    if kind is SimulatedCudaArray:
        return simulated
    if cupy is not None and kind is cupy.ndarray:
        return cupy
    return np  # Python numbers, NumPy scalars


_CUPY_ARRAY = cupy.ndarray if cupy is not None else None


def c_contiguous(array) -> bool:
    """``array.flags.c_contiguous``, asked cheaply: for each ``.flags`` CuPy builds a ``Flags`` object
    (a sizeable part of a small op's overhead); its arrays also answer directly, as ``_c_contiguous``."""
    if array.__class__ is _CUPY_ARRAY:
        return array._c_contiguous
    return array.flags.c_contiguous


def module_for(device):
    """The array module for tensors on ``device`` (a :class:`~tinygrad_lessons.device` from ``as_device``)."""
    if device.type == "cpu":
        return np
    return simulated if _SIMULATING else cupy


def device_of(array):
    """The device an array's memory is on (``cpu``, or ``cuda:N``)."""
    kind = type(array)
    if kind is np.ndarray:
        return CPU
    if kind is SimulatedCudaArray:
        return cuda_device(0)
    if cupy is not None and kind is cupy.ndarray:
        if _ONE_GPU:  # the common case: no need to ask CuPy (``array.device`` builds an object per call)
            return _ONE_GPU
        return cuda_device(array.device.id)
    return CPU


def to_device(array, device):
    """``array``'s values in memory on ``device``: a copy whenever the device changes."""
    if device.type == "cpu":
        return to_host(array)
    if _SIMULATING:
        return _sim_asarray(array)
    with cupy.cuda.Device(device.index or 0):
        return cupy.asarray(array)


def to_host(array) -> np.ndarray:
    """``array``'s values as a NumPy array (copied off a GPU; unchanged if already on the CPU)."""
    kind = type(array)
    if kind is np.ndarray:
        return array
    if kind is SimulatedCudaArray:
        return array.get()
    if cupy is not None and kind is cupy.ndarray:
        return array.get()
    return np.asarray(array)



# ---------------------------------------------------------------------- a tensor's array, and back
def array_of(tensor):
    """The array holding ``tensor``'s values, without a copy: a NumPy array for a CPU tensor, a CuPy
    array (or the simulated GPU's :class:`SimulatedCudaArray`) for a ``cuda`` one.

    The way to write a device-generic function (chapter 5)::

        a = array_of(t)              # the memory, wherever it lives
        xp = array_module(a)         # numpy or cupy: the module that can compute on it
        out = xp.exp(a - a.max())    # computed where the data is: nothing crosses the bus
        return from_array(out)       # a tensor on t's device

    Writes show through both ways, as with ``t.numpy()`` (which refuses GPU memory). In PyTorch
    the same zero-copy bridge to CuPy is ``cupy.asarray(t)`` and ``torch.as_tensor(cupy_array)``.
    """
    from .tensor import Tensor

    if not isinstance(tensor, Tensor):
        raise TypeError(f"array_of() expects a tensor, got {type(tensor).__name__}")
    return tensor._data


def array_module_of(tensor):
    """The array module that computes on ``tensor``'s memory: ``array_module(array_of(tensor))``.

    (``array_module`` takes an *array*; given a tensor it would answer ``numpy`` whatever its device.)
    """
    return array_module(array_of(tensor))


def from_array(array):
    """A tensor that *shares* ``array``'s memory, on the array's device: ``from_numpy`` for every device.

    A NumPy array gives a CPU tensor, a CuPy array (or a simulated-GPU array) a ``cuda`` tensor;
    a NumPy scalar (what a full NumPy reduction returns) becomes a 0-d CPU tensor. Dtypes and
    strides must be ones a tensor can have (no negative strides), as for ``from_numpy``.
    """
    from .creation import _check_numpy_array
    from .tensor import _wrap

    if isinstance(array, np.generic):
        array = np.asarray(array)
    if not (isinstance(array, np.ndarray) or (cupy is not None and isinstance(array, cupy.ndarray))):
        raise TypeError(f"from_array() expects a NumPy or CuPy array, got {type(array).__name__} "
                        "(make one with xp.asarray)")
    _check_numpy_array(array)
    return _wrap(array)

def cuda_unavailable_error() -> RuntimeError:
    """What to say when CUDA is asked for and there is none: what is missing and what to do."""
    if cupy is None:
        missing = "CuPy is not installed, so tinygrad_lessons cannot reach a GPU"
        todo = ("On a machine with an NVIDIA GPU: pip install 'tinygrad_lessons[gpu]' (CuPy for CUDA 12; see the "
                "README for other CUDA versions).")
    else:
        missing = "no NVIDIA GPU was found (CuPy is installed, but it sees no CUDA device)"
        todo = "Check `nvidia-smi`; the GPU driver must be installed and a GPU visible."
    return RuntimeError(
        f"CUDA is not available: {missing}. {todo} In Google Colab: Runtime › Change runtime type › "
        f"T4 GPU, then run the notebook again. To practise device code without a GPU, set the environment "
        f"variable {SIMULATE_ENV}=1 before importing tinygrad_lessons (a simulated CUDA device), or use "
        "device='cpu'."
    )
