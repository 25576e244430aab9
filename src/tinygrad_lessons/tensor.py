"""``Tensor``: a typed, strided window onto a storage, with torch's methods.

This file holds what a tensor *is* (its data, its attributes, conversions to Python
and NumPy, casts). What a tensor can *do* lives in modules named after the topic —
``shape_ops`` (view, reshape, permute...), ``indexing``, ``math_ops``, ``reductions``,
``linalg``, ``printing`` — and the table at the end of this file attaches each of
those functions as a method, so ``t.view(2, 3)`` and ``tl.shape_ops.view(t, 2, 3)``
are one and the same code.
"""

from __future__ import annotations

import weakref

import numpy as np

from . import dtypes
from .backend import array_module, device_of, to_device, to_host
from .device import CPU, as_device
from .dtypes import FROM_NUMPY
from .layout import is_contiguous
from .size import Size
from .storage import UntypedStorage, contiguous_strides, data_ptr, storage_of

__all__ = ["Tensor"]

_new = object.__new__


class Tensor:
    """A multi-dimensional array with a dtype, a device and (chapter 4) a gradient.

    Attributes kept per tensor (``__slots__`` keeps each one cheap, which matters
    when a training loop makes millions of them):

    * ``_data``: the NumPy array holding the values, with the tensor's exact strides;
    * ``_storage``: the 1-D array this one is a window onto (``None`` until asked
      for, for tensors that own their memory);
    * ``dtype``, ``device``, ``requires_grad``, ``grad``, ``grad_fn``.
    """

    __slots__ = ("_data", "_storage", "dtype", "device", "requires_grad", "grad", "grad_fn",
                 "_version_counter", "_output_nr", "_grad_accumulator", "__weakref__")
    __array_priority__ = 1000  # numpy scalars on the left defer to our operators

    def __init__(self, *args, device=None):
        """The legacy constructor: ``Tensor([1, 2])`` (data, as the default float dtype),
        ``Tensor(2, 3)`` (uninitialised, that shape) or ``Tensor(other)`` (the same memory)."""
        from .creation import empty, tensor

        if len(args) == 1 and isinstance(args[0], Tensor):
            other = args[0]
            _init_from_array(self, other._data, other._get_storage(), False)
            if other._version_counter is None:
                other._version_counter = [0]
            self._version_counter = other._version_counter  # an alias: in-place writes count for both
            return
        if len(args) == 1 and not isinstance(args[0], (int, np.integer, Size)):
            if not isinstance(args[0], (list, tuple, range, np.ndarray, str)):
                raise TypeError(f"new(): data must be a sequence (got {type(args[0]).__name__})")
            src = tensor(args[0], dtype=dtypes.get_default_dtype(), device=device)
        else:
            src = empty(*(args or (0,)), device=device)
        _init_from_array(self, src._data, None, False)

    # ------------------------------------------------------------------ attributes
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim=None):
        """The shape, or the length of one dimension (``dim`` may be negative)."""
        if dim is None:
            return Size(self._data.shape)
        if not self._data.ndim:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    def stride(self, dim=None):
        """Elements to skip in storage to move one step along each dimension."""
        itemsize = self._data.itemsize
        strides = tuple(s // itemsize for s in self._data.strides)
        if dim is None:
            return strides
        if not self._data.ndim:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        return strides[_wrap_dim(dim, self._data.ndim)]

    def storage_offset(self) -> int:
        """Index in the storage of this tensor's first element."""
        return (data_ptr(self._data) - data_ptr(self._get_storage())) // self._data.itemsize

    def is_contiguous(self, memory_format=None) -> bool:
        """True when the strides are row-major ones (size-1 dimensions don't count)."""
        return is_contiguous(self._data.shape, self.stride())

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    def is_complex(self) -> bool:
        return False

    def is_signed(self) -> bool:
        return self.dtype.is_signed

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def is_cpu(self) -> bool:
        return self.device.type == "cpu"

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    def data_ptr(self) -> int:
        """Address of the first element: equal for two tensors that start at the same place."""
        return data_ptr(self._data)

    def untyped_storage(self) -> UntypedStorage:
        """The storage this tensor looks into; views share it with their base."""
        return UntypedStorage(self._get_storage())

    def _get_storage(self) -> np.ndarray:
        if self._storage is None:
            self._storage = storage_of(self._data)
        return self._storage

    # ------------------------------------------------------------------ conversion
    def item(self):
        """The single value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        value = self._data.reshape(()).item()
        return float(value) if self.dtype is dtypes.bfloat16 else value

    def tolist(self):
        """Nested Python lists of Python numbers (a number for a 0-d tensor)."""
        if self.dtype is dtypes.bfloat16:
            return self._data.astype(np.float32).tolist()
        return to_host(self._data).tolist()

    def numpy(self, *, force=False) -> np.ndarray:
        """The NumPy array behind this tensor: no copy, so writes show through both ways.

        Only CPU memory is NumPy memory: a GPU tensor must be copied to the host first
        (``t.cpu().numpy()``), which is a real, timed copy over the PCIe bus.
        ``force=True`` does that copy for you (and detaches), as in torch.
        """
        if self.device is not CPU:
            if force:  # (no bfloat16 case: bfloat16 never lives on a GPU, see copy_ops.check_dtype_on_device)
                return to_host(self._data)
            raise TypeError(
                f"can't convert {self.device} device type tensor to numpy. Use Tensor.cpu() to copy the tensor to "
                "host memory first."
            )
        if self.requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
            )
        if self.dtype is dtypes.bfloat16:
            raise TypeError("Got unsupported ScalarType BFloat16")
        return self._data

    def __array__(self, dtype=None, copy=None):
        if self.device is not CPU:
            self.numpy()  # raises torch's "can't convert cuda:0 device type tensor to numpy" error
        data = self._data.astype(np.float32) if self.dtype is dtypes.bfloat16 else self._data
        return data if dtype is None else data.astype(dtype)

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {'more than one value' if self._data.size else 'no values'} is ambiguous"
            )
        return bool(self._data.reshape(()))

    def __float__(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return float(self.item())

    def __int__(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return int(self.item())

    def __index__(self):
        if self.dtype.is_floating_point or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __complex__(self):
        return complex(self.item())

    __hash__ = object.__hash__

    def __reduce_ex__(self, protocol):
        return (_rebuild, (np.array(to_host(self._data)), self.requires_grad, str(self.device)))

    # ------------------------------------------------------------------ copies and casts
    def clone(self, *, memory_format=None) -> Tensor:
        """A copy with its own storage, in the same memory order (torch's ``preserve_format``)."""
        if self.requires_grad:  # recorded (CloneBackward0); see copy_ops.py
            from .copy_ops import Clone

            return Clone.apply(self, False)
        from .creation import copy_preserving_layout

        return _wrap(copy_preserving_layout(self._data))

    def contiguous(self, memory_format=None) -> Tensor:
        """``self`` if already row-major, else a row-major copy."""
        if self.is_contiguous():
            return self
        if self.requires_grad:
            from .copy_ops import Clone

            return Clone.apply(self, True)
        return _wrap(array_module(self._data).ascontiguousarray(self._data))

    # ------------------------------------------------------------------ autograd (chapter 4)
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None) -> None:
        """Add d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad."""
        from .engine import backward

        backward(self, gradient, retain_graph, create_graph, inputs)

    def requires_grad_(self, requires_grad=True) -> Tensor:
        """Ask autograd to track operations on this (leaf) tensor."""
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a computed "
                "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach()."
            )
        if requires_grad and not self.dtype.is_floating_point:
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor too (leaves always keep theirs)."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is not None:
            retained = self.grad_fn.__dict__.setdefault("_retained", {})
            retained[self._output_nr] = weakref.ref(self)

    def register_hook(self, hook):
        """Call ``hook(grad)`` whenever the gradient with respect to this tensor is computed.

        A hook that returns a tensor replaces the gradient: that is what flows on to the inputs,
        and what a leaf's ``.grad`` receives (e.g. ``p.register_hook(lambda g: g.clamp(-1, 1))``
        clips every gradient of ``p``). Returns a handle: ``handle.remove()`` takes the hook away.
        """
        from .function import _accumulator
        from .utils.hooks import RemovableHandle

        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:  # a leaf: its AccumulateGrad node calls the hooks
            node = _accumulator(self)
            if node.tensor_hooks is None:
                node.tensor_hooks = {}
            by_output = node.tensor_hooks
        else:  # made by an op: the node that made it calls them, for this output
            by_output = self.grad_fn.__dict__.setdefault("_tensor_hooks", {})
        hooks = by_output.setdefault(self._output_nr, {})
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    @property
    def retains_grad(self) -> bool:
        node = self.grad_fn
        return node is not None and self._output_nr in getattr(node, "_retained", {})

    @property
    def output_nr(self) -> int:
        return self._output_nr

    def detach(self) -> Tensor:
        """A tensor sharing this one's storage (and version counter) but cut out of the graph."""
        if self._version_counter is None:
            self._version_counter = [0]
        out = _wrap(self._data, self._get_storage())
        out._version_counter = self._version_counter
        return out

    @property
    def data(self) -> Tensor:
        """The values without the graph, the old way: a tensor sharing this one's memory, with
        ``requires_grad=False`` -- and, unlike ``detach()``, a version counter of its own.

        So an in-place change made through ``.data`` is invisible to autograd: a gradient that
        needs the old values is then silently wrong (``detach()`` makes backward raise instead).
        That is why torch now recommends ``detach()`` and ``no_grad()``; ``.data`` remains in
        much older code (chapter 4).
        """
        return _wrap(self._data, self._get_storage())

    @data.setter
    def data(self, value) -> None:
        """``t.data = other``: ``t`` now holds ``other``'s memory (its shape, dtype and device too),
        keeping its own place in the graph -- a swap autograd does not see either."""
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(value).__name__}")
        self._data, self._storage = value._data, value._get_storage()
        self.dtype, self.device = value.dtype, value.device

    def detach_(self) -> Tensor:
        """Cut this tensor out of the graph, in place: it becomes a leaf."""
        self.grad_fn = None
        self.requires_grad = False
        return self

    @property
    def _version(self) -> int:
        """How many in-place writes this tensor's memory has had (shared by views)."""
        counter = self._version_counter
        return counter[0] if counter else 0

    def _version_now(self) -> int:
        counter = self._version_counter
        return counter[0] if counter else 0

    def _bump_version(self) -> None:
        """Record an in-place write, so saved copies of this memory are known to be stale."""
        if self._version_counter is None:
            self._version_counter = [1]
        else:
            self._version_counter[0] += 1

    def to(self, *args, dtype=None, device=None, copy=False, non_blocking=False, memory_format=None) -> Tensor:
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(other_tensor)``.

        Returns ``self`` when nothing changes (unless ``copy=True``), as torch does.
        """
        for arg in args:
            if isinstance(arg, Tensor):
                dtype, device = arg.dtype, arg.device
            elif isinstance(arg, dtypes.dtype):
                dtype = arg
            elif arg is None:
                continue
            else:
                try:
                    device = as_device(arg)
                except TypeError:
                    dtype = dtypes.as_dtype(arg)
        target = self.device if device is None else as_device(device)  # unknown devices raise a clear error
        same_dtype = dtype is None or dtypes.as_dtype(dtype) is self.dtype
        same_device = target is self.device
        if same_dtype and same_device and not copy:
            return self
        np_dtype = self._data.dtype if same_dtype else dtypes.as_dtype(dtype).numpy_dtype
        if not same_device:
            from .copy_ops import check_dtype_on_device

            check_dtype_on_device(dtypes.FROM_NUMPY[np.dtype(np_dtype)], target)
        if self.requires_grad:  # recorded (ToCopyBackward0); see copy_ops.py
            from .copy_ops import ToCopy

            return ToCopy.apply(self, np_dtype, None if same_device else target)
        from .creation import copy_preserving_layout  # the copy keeps the memory order, as torch's does

        if same_device:
            return _wrap(copy_preserving_layout(self._data, np_dtype))
        from .copy_ops import copy_to_device

        return _wrap(copy_to_device(self._data, np_dtype, target))

    def type(self, dtype=None):
        """Without an argument, torch's type string (``'torch.FloatTensor'``); else a cast."""
        if dtype is None:
            return _TYPE_NAMES[self.dtype]
        return self.to(dtype)

    def type_as(self, other) -> Tensor:
        return self.to(other.dtype)

    def float(self) -> Tensor:
        return self.to(dtypes.float32)

    def double(self) -> Tensor:
        return self.to(dtypes.float64)

    def half(self) -> Tensor:
        return self.to(dtypes.float16)

    def bfloat16(self) -> Tensor:
        return self.to(dtypes.bfloat16)

    def long(self) -> Tensor:
        return self.to(dtypes.int64)

    def int(self) -> Tensor:
        return self.to(dtypes.int32)

    def short(self) -> Tensor:
        return self.to(dtypes.int16)

    def char(self) -> Tensor:
        return self.to(dtypes.int8)

    def byte(self) -> Tensor:
        return self.to(dtypes.uint8)

    def bool(self) -> Tensor:
        return self.to(dtypes.bool)

    def cpu(self) -> Tensor:
        """This tensor in CPU memory (itself if it is there already; else a copy from the GPU)."""
        return self.to(CPU)

    def cuda(self, device=None, non_blocking=False) -> Tensor:
        """This tensor in GPU memory (itself if it is there already; else a copy to the GPU)."""
        return self.to("cuda" if device is None else device if not isinstance(device, int) else f"cuda:{device}")

    def get_device(self) -> int:
        """The GPU index of a CUDA tensor; -1 for a CPU tensor (torch's convention)."""
        return -1 if self.device.type == "cpu" else self.device.index

    # ------------------------------------------------------------------ softmax (the math: nn.functional)
    def softmax(self, dim=..., dtype=None) -> Tensor:
        """Probabilities along ``dim`` (required, unlike ``F.softmax``): ``tl.softmax(self, dim)``."""
        from .math_ops import checked_softmax

        return checked_softmax("softmax", self, dim, dtype, 1)

    def log_softmax(self, dim=..., dtype=None) -> Tensor:
        """Log-probabilities along ``dim`` (required, unlike ``F.log_softmax``): ``tl.log_softmax(self, dim)``."""
        from .math_ops import checked_softmax

        return checked_softmax("log_softmax", self, dim, dtype, 1)

    # ------------------------------------------------------------------ new_* factories
    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
        from .creation import tensor

        return tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        from .creation import zeros

        return zeros(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        from .creation import ones

        return ones(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        from .creation import empty

        return empty(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        from .creation import full

        return full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                    requires_grad=requires_grad)


_TYPE_NAMES = {
    dtypes.float16: "torch.HalfTensor", dtypes.bfloat16: "torch.BFloat16Tensor",
    dtypes.float32: "torch.FloatTensor", dtypes.float64: "torch.DoubleTensor",
    dtypes.uint8: "torch.ByteTensor", dtypes.int8: "torch.CharTensor", dtypes.int16: "torch.ShortTensor",
    dtypes.int32: "torch.IntTensor", dtypes.int64: "torch.LongTensor", dtypes.bool: "torch.BoolTensor",
}


# ---------------------------------------------------------------------- helpers used by every op
def _init_from_array(t, data, storage, requires_grad):
    t._data = data
    t._storage = storage
    t.dtype = FROM_NUMPY[data.dtype]
    t.device = CPU if type(data) is np.ndarray else device_of(data)
    t.requires_grad = requires_grad
    t.grad = None
    t.grad_fn = None
    t._version_counter = None
    t._output_nr = 0
    t._grad_accumulator = None


def _wrap(data, storage=None, requires_grad=False) -> Tensor:
    """Make a Tensor around an array (``storage`` given when it is a view).

    The array's type says the device: a NumPy array is CPU memory, a CuPy array (or the
    simulated GPU's ``SimulatedCudaArray``) GPU memory.
    """
    t = _new(Tensor)
    t._data = data
    t._storage = storage
    t.dtype = FROM_NUMPY[data.dtype]
    t.device = CPU if type(data) is np.ndarray else device_of(data)
    t.requires_grad = requires_grad
    t.grad = None
    t.grad_fn = None
    t._version_counter = None
    t._output_nr = 0
    t._grad_accumulator = None
    return t


def _rebuild(data, requires_grad, device="cpu"):
    if device != "cpu":
        data = to_device(data, as_device(device))
    return _wrap(data, requires_grad=requires_grad)


def _wrap_dim(dim, ndim: int) -> int:
    """A dimension index made non-negative, with torch's error when it is out of range."""
    try:
        dim = dim.__index__()
    except AttributeError:
        raise TypeError(f"argument 'dim' must be int, not {type(dim).__name__}") from None
    lo, hi = (-ndim, ndim - 1) if ndim else (-1, 0)
    if not lo <= dim <= hi:
        raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")
    return dim + (ndim or 1) if dim < 0 else dim  # a 0-d tensor's dim -1 is dim 0


# contiguous_strides is re-exported for the modules that build views
contiguous_strides = contiguous_strides
