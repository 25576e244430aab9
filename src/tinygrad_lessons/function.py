"""``Function``: one operation, its forward and its backward side by side.

Every differentiable operation of the library is a small class:

* ``forward(ctx, *args)`` computes the result on NumPy arrays (tensor arguments
  arrive as arrays, other arguments as given), so it reads like the NumPy you know;
  it keeps what backward will need with ``ctx.save_for_backward(...)``;
* ``backward(ctx, grad_output)`` returns one gradient per input — written with
  *tensor* operations, so that with ``create_graph=True`` the backward pass is
  itself recorded and can be differentiated again (higher-order gradients).

``Function.apply`` is the one place that turns tensors into arrays and back, and,
when grad mode is on and an input requires grad, records the graph: the instance
``ctx`` *is* the graph node, ``out.grad_fn``, named as torch names it
(``Mul`` -> ``MulBackward0``), with ``next_functions`` pointing at the nodes that
made its inputs. Operations whose result is a view set ``returns_view = True``:
their output shares the first input's storage and version counter.
"""

from __future__ import annotations

import re

from .grad_mode import STATE
from .tensor import Tensor, _wrap

__all__ = ["Function", "AccumulateGrad"]


class Function:
    """Base class of every operation (and, as an instance, of every graph node)."""

    returns_view = False
    #: torch's name for the node, when it is not the class name + "Backward0"
    node_name = None

    # Defaults for what a recorded node holds; forward and apply override them per node.
    num_outputs = 1
    _tensor_args = None
    _to_save = ()
    _non_differentiable = ()
    _saved = ()
    _saved_versions = ()
    _saved_output_nrs = ()

    # --------------------------------------------------------------- to override
    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise RuntimeError(f"{ctx.name()}: the Function {type(ctx).__name__} defines no backward")

    # --------------------------------------------------------------- ctx API (used in forward)
    def save_for_backward(self, *values):
        """Keep these (input arrays, or new arrays such as the output) for backward."""
        self._to_save = values

    def mark_non_differentiable(self, *values):
        self._non_differentiable = values

    @property
    def saved_tensors(self):
        """The saved values as tensors; torch's error if they were freed or modified in place."""
        saved = self._saved
        if saved is None:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved tensors after "
                "they have already been freed). Saved intermediate values of the graph are freed when you call "
                ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
                "graph a second time or if you need to access saved tensors after calling backward."
            )
        for tensor, version, output_nr in zip(saved, self._saved_versions, self._saved_output_nrs):
            if tensor is not None and tensor._version_now() != version:
                raise _modified_error(self, tensor, version, output_nr)
        return saved

    # --------------------------------------------------------------- graph node API
    def name(self) -> str:
        return self.node_name or type(self).__name__ + "Backward0"

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"

    # --------------------------------------------------------------- the dispatcher
    @classmethod
    def apply(cls, *args):
        """Run ``forward`` on the arrays behind the tensors; record the graph if needed."""
        arrays = []
        device = None
        record = False  # record the graph when grad mode is on and a tensor argument requires grad
        for a in args:  # every tensor argument must be on one device (0-d CPU tensors excepted, as in torch)
            if isinstance(a, Tensor):
                arrays.append(a._data)
                record = record or a.requires_grad
                if device is None:
                    device = a.device
                elif a.device is not device:
                    device = False  # (torch's error, or a 0-d CPU tensor moved: below)
            else:
                arrays.append(a)
        if device is False:
            arrays = same_device_arrays(args)
        record = record and STATE.enabled
        if not record:
            out = cls.forward(_NO_RECORD, *arrays)
            return _wrap_outputs(cls, args, out, None)
        ctx = cls.__new__(cls)
        out = cls.forward(ctx, *arrays)
        outputs = _wrap_outputs(cls, args, out, ctx)
        _record(ctx, args, arrays, outputs)
        return outputs


def same_device_arrays(args) -> list:
    """The arrays behind ``args`` when their tensors sit on different devices — or torch's error.

    The one exception torch makes: a 0-d CPU tensor (a number in tensor form, such as a
    loss scale) may join GPU tensors; its value is copied to their device.
    """
    from .backend import to_device

    tensors = [a for a in args if isinstance(a, Tensor)]
    main = [t.device for t in tensors if t.device.type != "cpu" or t._data.ndim]
    devices = list(dict.fromkeys(main or [t.device for t in tensors]))
    if len(devices) > 1:
        raise device_mismatch_error(devices[0], devices[1])
    target = devices[0]
    return [(a._data if a.device is target else to_device(a._data, target)) if isinstance(a, Tensor) else a
            for a in args]


def device_mismatch_error(first, second) -> RuntimeError:
    return RuntimeError(
        f"Expected all tensors to be on the same device, but found at least two devices, {first} and {second}!"
    )


class _NoRecord:
    """The ``ctx`` forward gets when nothing is recorded: saving is a no-op."""

    __slots__ = ()

    def save_for_backward(self, *values):
        pass

    def mark_non_differentiable(self, *values):
        pass

    def __setattr__(self, name, value):  # forward may stash attributes on ctx: ignore them
        pass


_NO_RECORD = _NoRecord()


def _wrap_outputs(cls, args, out, ctx):
    if cls.returns_view:
        base = args[0]
        storage = base._get_storage()
        if base._version_counter is None:
            base._version_counter = [0]  # views share their base's version counter
        version = base._version_counter
        if out.__class__ is tuple:
            return tuple(_wrap_view(o, storage, version) for o in out)
        return _wrap_view(out, storage, version)
    if out.__class__ is tuple:
        return tuple(_wrap(o) for o in out)
    return _wrap(out)


def _wrap_view(array, storage, version):
    t = _wrap(array, storage)
    t._version_counter = version
    return t


def _link(ctx, args):
    """Point ``ctx`` at the nodes that made its tensor arguments (``next_functions``)."""
    # torch lists one edge per *tensor* argument; backward returns one gradient per argument,
    # and `_tensor_args` says which of those to pass along those edges
    next_functions = []
    needs = []
    tensor_args = []
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            tensor_args.append(i)
            if a.requires_grad:
                node = a.grad_fn
                if node is None:
                    node = a._grad_accumulator or _accumulator(a)
                next_functions.append((node, a._output_nr))
                needs.append(True)
                continue
            next_functions.append((None, 0))
        needs.append(False)
    ctx.next_functions = tuple(next_functions)
    ctx.needs_input_grad = tuple(needs)  # one bool per argument of forward
    if len(tensor_args) != len(args):
        ctx._tensor_args = tuple(tensor_args)


def _record(ctx, args, arrays, outputs):
    """Make ``ctx`` the graph node of ``outputs``: link inputs, keep saved values."""
    _link(ctx, args)
    if outputs.__class__ is tuple:
        ctx.num_outputs = len(outputs)
        ctx.outputs_meta = tuple((o.shape, o.dtype) for o in outputs)  # to make zero grads for unused outputs
        outs = outputs
    else:
        outs = (outputs,)
    non_diff = ctx._non_differentiable
    for i, o in enumerate(outs):
        if not o.dtype.is_floating_point or (non_diff and any(o._data is nd for nd in non_diff)):
            continue
        o.requires_grad = True
        o.grad_fn = ctx
        o._output_nr = i
    # saved values: map arrays back to the tensors they belong to, so versions can be checked
    if ctx._to_save:
        saved, versions, output_nrs = [], [], []
        for value in ctx._to_save:
            tensor, output_nr = _tensor_for(value, args, arrays, outs)
            saved.append(tensor)
            versions.append(tensor._version_now() if tensor is not None else 0)
            output_nrs.append(output_nr)
        ctx._saved = tuple(saved)
        ctx._saved_versions = tuple(versions)
        ctx._saved_output_nrs = tuple(output_nrs)
        ctx._to_save = ()


def _tensor_for(value, args, arrays, outs):
    """The tensor holding a saved array: an input, an output, or a new one."""
    if value is None:
        return None, None
    if isinstance(value, Tensor):
        return value, None
    for a, arr in zip(args, arrays):
        if arr is value and isinstance(a, Tensor):
            return a, None
    for i, o in enumerate(outs):
        if o._data is value:
            return o, i
    return _wrap(value), None


def record_binary(cls, out, a, b, num_args, saved=()):
    """Record ``out`` as made by ``cls`` from ``a`` and ``b`` when a fast path computed it without ``forward``.

    For the commonest ops (``a + b`` on plain tensors), recording must cost little more than
    the op: this makes the node ``apply`` would make, for an op whose first two arguments are
    ``a`` and ``b`` (a tensor and a tensor or a number) and whose other ``num_args - 2``
    arguments are not tensors. The caller stashes on the node what ``forward`` would;
    ``saved``, if given, is ``(a or None, b or None)``: what backward reads as ``saved_tensors``.
    """
    ctx = cls.__new__(cls)
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):  # the commonest case, written out: two tensors
            needs = (a.requires_grad, b.requires_grad)
            edge_a = edge_b = _NO_EDGE
            if needs[0]:
                node = a.grad_fn
                edge_a = (node or a._grad_accumulator or _accumulator(a), a._output_nr)
            if needs[1]:
                node = b.grad_fn
                edge_b = (node or b._grad_accumulator or _accumulator(b), b._output_nr)
            ctx.next_functions = (edge_a, edge_b)
            if num_args != 2:
                ctx._tensor_args = _FIRST_TWO
        else:
            ctx.next_functions = (_edge(a),)
            needs = (a.requires_grad, False)
            ctx._tensor_args = _FIRST
    else:
        ctx.next_functions = (_edge(b),)
        needs = (False, b.requires_grad)
        ctx._tensor_args = _SECOND
    ctx.needs_input_grad = needs + (False,) * (num_args - 2) if num_args != 2 else needs
    if saved:
        saved_a, saved_b = saved
        ctx._saved = saved
        ctx._saved_versions = (saved_a._version_counter[0] if saved_a is not None and saved_a._version_counter else 0,
                               saved_b._version_counter[0] if saved_b is not None and saved_b._version_counter else 0)
        ctx._saved_output_nrs = _NO_OUTPUT_NRS
    out.requires_grad = True
    out.grad_fn = ctx
    return ctx


_FIRST_TWO, _FIRST, _SECOND = (0, 1), (0,), (1,)
_NO_OUTPUT_NRS = (None, None)  # saved inputs are no outputs of the node
_NO_EDGE = (None, 0)


def _edge(t):
    """The (node, output_nr) edge to what made ``t``; (None, 0) when it needs no gradient."""
    if not t.requires_grad:
        return _NO_EDGE
    node = t.grad_fn
    if node is None:
        node = t._grad_accumulator or _accumulator(t)
    return node, t._output_nr


def _modified_error(node, tensor, version, output_nr):
    kind = _TYPE_NAME.get(tensor.dtype.name, tensor.dtype.name)
    shape = ", ".join(map(str, tensor.shape))
    if output_nr is not None:  # the node's own output: torch names the node that saved it
        where = f"output {output_nr} of {_forward_name(node)}"
    elif tensor.grad_fn is not None:  # an input: named by the node that made it (now)
        where = f"output {tensor._output_nr} of {_forward_name(tensor.grad_fn)}"
    else:
        where = "a leaf or an input of " + _forward_name(node)
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace operation: "
        f"[torch.{kind} [{shape}]], which is {where}, is at version {tensor._version_now()}; expected version "
        f"{version} instead. Hint: enable anomaly detection to find the operation that failed to compute its "
        "gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False)."
    )


def _forward_name(node) -> str:
    """torch names the forward op in this message: ``ExpBackward0`` -> ``Exp``, ``PowBackward1`` -> ``Pow1``."""
    name = node.name()
    return re.sub(r"Backward(\d+)$", lambda m: "" if m.group(1) == "0" else m.group(1), name)


_TYPE_NAME = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
              "bfloat16": "BFloat16Tensor"}


class AccumulateGrad:
    """The graph's leaf node: adds the gradient that reaches it into ``variable.grad``."""

    __slots__ = ("variable", "next_functions", "tensor_hooks", "__weakref__")
    returns_view = False  # a leaf is no view: code walking a chain of view nodes stops here

    def __init__(self, variable):
        self.variable = variable
        self.next_functions = ()
        self.tensor_hooks = None  # {0: {handle id: hook}} once the leaf's register_hook is called

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def __repr__(self):
        return f"<AccumulateGrad object at {id(self):#x}>"


def _accumulator(leaf):
    """One AccumulateGrad node per leaf, made on first use (torch caches it the same way)."""
    node = leaf._grad_accumulator
    if node is None:
        node = leaf._grad_accumulator = AccumulateGrad(leaf)
    return node
