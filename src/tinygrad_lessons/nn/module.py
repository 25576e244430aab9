"""``Module``: the base class of every layer and every model.

A module is a Python object that *owns* tensors and other modules. Three kinds of
attributes are special, and ``__setattr__`` sorts them as they are assigned:

* a ``Parameter`` goes into ``self._parameters`` (learned: the optimizer updates it);
* a ``Module`` goes into ``self._modules`` (a child: its parameters are ours too);
* a tensor passed to ``register_buffer`` goes into ``self._buffers`` (state that is
  saved but not learned, like BatchNorm's running mean).

Everything else is a plain attribute. Because the three dictionaries keep the order
of assignment, ``named_parameters()`` walks the tree in a fixed order and builds the
dotted names (``"0.weight"``, ``"encoder.1.bias"``) that ``state_dict()`` uses as keys.

Calling a module (``model(x)``) runs its ``forward``. ``train()`` / ``eval()`` set the
``training`` flag on the whole tree; layers such as ``Dropout`` read it.

``model.to("cuda")`` (or ``.cuda()``, ``.cpu()``, ``.to(dtype)``) converts the parameters
*in place*, as torch does: each ``Parameter`` object stays the same object and only its
memory moves (its ``.grad`` too), so an optimizer built before the move keeps working.
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple

from .. import dtypes
from ..backend import to_device
from ..device import CPU, as_device
from ..dtypes import FROM_NUMPY
from ..tensor import Tensor
from .parameter import Parameter

__all__ = ["Module"]


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict(strict=False)`` returns: the keys that did not line up."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _addindent(text: str, spaces: int) -> str:
    """Indent every line but the first (how a child's repr nests inside its parent's)."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    first = lines.pop(0)
    lines = [(spaces * " ") + line if line.strip() else "" for line in lines]
    return first + "\n" + "\n".join(lines)


def _typename(value) -> str:
    """torch's name for a value's type in error messages (``torch.FloatTensor``, ``int``)."""
    if isinstance(value, Tensor):
        return value.type()
    cls = type(value)
    return cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


class Module:
    """Base class for all neural network modules: subclass it and write ``forward``."""

    def __init__(self, *args, **kwargs):
        name = type(self).__name__
        if kwargs:
            raise TypeError(f"{name}.__init__() got an unexpected keyword argument '{next(iter(kwargs))}'")
        if args:
            raise TypeError(f"{name}.__init__() takes 1 positional argument but {len(args) + 1} were given")
        # object.__setattr__: these are the bookkeeping dicts themselves, not parameters or children
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "_modules", {})

    # ------------------------------------------------------------------ calling
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------ registration
    def register_parameter(self, name: str, param) -> None:
        """Add a parameter (or ``None``: a declared but absent one, like ``bias=False``)."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        _check_name("parameter", name)
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{_typename(param)}' object to parameter '{name}' "
                            "(torch.nn.Parameter or None required)")
        if param is not None and param.grad_fn is not None:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be created explicitly. "
                f"To express '{name}' as a function of another Tensor, compute the value in the forward() method."
            )
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        """Add a tensor that is part of the state (``state_dict``) but is not learned."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        _check_name("buffer", name)
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{_typename(tensor)}' object to buffer '{name}' "
                            "(torch Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module) -> None:
        """Add a child module (what ``self.name = module`` does)."""
        if not isinstance(module, Module) and module is not None:
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {_typename(name)}")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if "." in name:
            raise KeyError(f"module name can't contain \".\", got: {name}")
        if name == "":
            raise KeyError('module name can\'t be empty string ""')
        self._modules[name] = module

    register_module = add_module

    def __setattr__(self, name, value):
        """Sort the assigned value into parameters, children, buffers or plain attributes."""
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            _remove_from(name, self.__dict__, self._buffers, self._modules, self._non_persistent_buffers_set)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as parameter '{name}' "
                                "(torch.nn.Parameter or None expected)")
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            modules = self.__dict__.get("_modules")
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            _remove_from(name, self.__dict__, self._parameters, self._buffers, self._non_persistent_buffers_set)
            modules[name] = value
        elif name in self.__dict__.get("_modules", ()):
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as child module '{name}' "
                                "(torch.nn.Module or None expected)")
            self._modules[name] = value
        elif name in self.__dict__.get("_buffers", ()):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{_typename(value)}' as buffer '{name}' "
                                "(torch.nn.Buffer, torch.Tensor or None expected)")
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        """Called only when normal lookup fails: look in the three registries."""
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            found = d.get(registry)
            if found is not None and name in found:
                return found[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        if name in self._parameters:
            del self._parameters[name]
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent_buffers_set.discard(name)
        elif name in self._modules:
            del self._modules[name]
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        keys = list(dir(type(self))) + list(self.__dict__) + list(self._parameters) + list(self._modules)
        keys += list(self._buffers)
        return sorted(k for k in keys if not k[0].isdigit())

    # ------------------------------------------------------------------ walking the tree
    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
        """This module and all below it, depth first, with dotted names (``''`` for the root)."""
        if memo is None:
            memo = set()
        if self in memo:
            return
        if remove_duplicate:
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            yield from module.named_modules(memo, prefix + ("." if prefix else "") + name, remove_duplicate)

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        """The direct children, each once."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and module not in seen:
                seen.add(module)
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry: str, prefix: str, recurse: bool, remove_duplicate: bool = True):
        """(dotted name, tensor) for one registry over the tree; a tensor shared twice appears once."""
        seen = set()
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or value in seen:
                    continue
                if remove_duplicate:
                    seen.add(value)
                yield module_prefix + ("." if module_prefix else "") + name, value

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        """``("0.weight", Parameter)`` pairs, in registration order."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True):
        """Every parameter of the tree (what you hand to an optimizer)."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True):
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    def get_submodule(self, target: str) -> Module:
        """The module at a dotted path, ``model.get_submodule("0.1")``."""
        if target == "":
            return self
        module = self
        for item in target.split("."):
            if not hasattr(module, item):
                raise AttributeError(module._get_name() + " has no attribute `" + item + "`")
            module = getattr(module, item)
            if not isinstance(module, Module):
                raise AttributeError("`" + item + "` is not an nn.Module")
        return module

    def apply(self, fn) -> Module:
        """Call ``fn`` on every child (recursively), then on ``self``: handy for custom init."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ modes and gradients
    def train(self, mode: bool = True) -> Module:
        """Set ``training`` on this module and all below it (Dropout reads it)."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self) -> Module:
        """``train(False)``: evaluation mode (it does *not* turn off autograd: use ``no_grad``)."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (``False``) or unfreeze every parameter."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: ``None`` (default), or zeros when ``set_to_none=False``."""
        for p in self.parameters():
            if p.grad is not None:
                if set_to_none:
                    p.grad = None
                else:
                    _zero_grad_in_place(p)

    # ------------------------------------------------------------------ dtype and device
    def to(self, *args, **kwargs) -> Module:
        """``to(device)`` moves parameters and buffers, ``to(dtype)`` casts the floating ones; returns ``self``.

        Parameters (and their gradients) are converted in place: the same ``Parameter``
        objects, with new memory, so optimizers that hold them keep working. Buffers are
        replaced by converted copies, as in torch.
        """
        device, dtype = _parse_to(args, kwargs)
        if device is not None:
            device = as_device(device)  # a clear error for a device that doesn't exist here
        if dtype is not None and not dtype.is_floating_point:
            raise TypeError(
                f"nn.Module.to only accepts floating point or complex dtypes, but got desired dtype={dtype}"
            )

        def new_dtype(t):
            return dtype if dtype is not None and t.is_floating_point() else t.dtype

        modules = list(self.modules())
        if device is not CPU:  # refuse what can't be (bfloat16 on a GPU) before changing anything
            from ..copy_ops import check_dtype_on_device

            for module in modules:
                for t in (*module._parameters.values(), *module._buffers.values()):
                    if t is not None:
                        check_dtype_on_device(new_dtype(t), t.device if device is None else device)
        for module in modules:
            for param in module._parameters.values():
                if param is not None:
                    _convert_in_place(param, device, new_dtype(param))
                    if param.grad is not None:
                        _convert_in_place(param.grad, device, new_dtype(param.grad))
            for name, buf in module._buffers.items():
                if buf is not None:
                    module._buffers[name] = buf.to(device=device, dtype=new_dtype(buf))
        return self

    def float(self) -> Module:
        return self.to(dtypes.float32)

    def double(self) -> Module:
        return self.to(dtypes.float64)

    def half(self) -> Module:
        return self.to(dtypes.float16)

    def bfloat16(self) -> Module:
        return self.to(dtypes.bfloat16)

    def cpu(self) -> Module:
        """Move every parameter and buffer to the CPU (in place; see ``to``)."""
        return self.to(CPU)

    def cuda(self, device=None) -> Module:
        """Move every parameter and buffer to the GPU (``device``: an index or ``'cuda:N'``; in place)."""
        return self.to(device=as_device("cuda" if device is None else device))

    # ------------------------------------------------------------------ saving and loading
    def state_dict(self, *, destination=None, prefix: str = "", keep_vars: bool = False):
        """Parameters and persistent buffers by dotted name, detached (they share memory with the model)."""
        if destination is None:
            destination = OrderedDict()
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars else buf.detach()
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        return destination

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy the values of ``state_dict`` into the parameters and buffers, in place.

        With ``strict=True`` the keys must match ``self.state_dict()`` exactly. Shapes must
        always match. All problems are collected and reported in one ``RuntimeError``.
        """
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing, unexpected, errors = [], [], []
        for prefix, module in self.named_modules():
            prefix = prefix + "." if prefix else ""
            module._load_own_state(state_dict, prefix, assign, missing, unexpected, errors)
        if strict:
            if unexpected:
                errors.insert(0, f"Unexpected key(s) in state_dict: {_quoted(unexpected)}. ")
            if missing:
                errors.insert(0, f"Missing key(s) in state_dict: {_quoted(missing)}. ")
        if errors:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(self._get_name(),
                                                                                   "\n\t".join(errors)))
        return _IncompatibleKeys(missing, unexpected)

    def _load_own_state(self, state_dict, prefix, assign, missing, unexpected, errors):
        """Load this module's own parameters and persistent buffers; note the keys that fit nowhere."""
        own = [(n, p, True) for n, p in self._parameters.items() if p is not None]
        own += [(n, b, False) for n, b in self._buffers.items()
                if b is not None and n not in self._non_persistent_buffers_set]
        for name, current, is_param in own:
            key = prefix + name
            if key not in state_dict:
                missing.append(key)
                continue
            value = state_dict[key]
            if not isinstance(value, Tensor):
                errors.append(f'While copying the parameter named "{key}", expected torch.Tensor or Tensor-like '
                              f"object from checkpoint but received {type(value)}")
                continue
            if current.ndim == 0 and value.ndim == 1 and value.shape[0] == 1:
                value = value.reshape(())
            if value.shape != current.shape:
                errors.append(f"size mismatch for {key}: copying a param with shape {value.shape} from checkpoint, "
                              f"the shape in current model is {current.shape}.")
                continue
            if assign:
                if is_param:
                    setattr(self, name, Parameter(value.detach(), current.requires_grad))
                else:
                    self._buffers[name] = value
            else:  # copy the values into the current memory, across devices if need be (a CPU checkpoint)
                source = value._data.astype(current._data.dtype, copy=False)
                if value.device is not current.device:
                    source = to_device(source, current.device)
                current._data[...] = source
                current._bump_version()
        own_names = {name for name, _, _ in own}
        for key in state_dict:
            if key.startswith(prefix):
                first, dot, _ = key[len(prefix):].partition(".")
                if (first not in self._modules) if dot else (first not in own_names):
                    unexpected.append(key)

    # ------------------------------------------------------------------ printing
    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """The text inside the parentheses (``in_features=3, ...``); override it in your layers."""
        return ""

    def __repr__(self):
        extra_lines = self.extra_repr().split("\n") if self.extra_repr() else []
        child_lines = [f"({key}): " + _addindent(repr(module), 2) for key, module in self._modules.items()]
        lines = extra_lines + child_lines
        main = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main += extra_lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"


# ---------------------------------------------------------------------- helpers
def _quoted(keys) -> str:
    return ", ".join(f'"{k}"' for k in keys)


def _check_name(kind: str, name) -> None:
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string. Got {_typename(name)}")
    if "." in name:
        raise KeyError(f"{kind} name can't contain \".\"")
    if name == "":
        raise KeyError(f'{kind} name can\'t be empty string ""')


def _remove_from(name, *registries) -> None:
    for registry in registries:
        if name in registry:
            if isinstance(registry, dict):
                del registry[name]
            else:
                registry.discard(name)


def _zero_grad_in_place(p) -> None:
    """``zero_grad(set_to_none=False)`` for one parameter (Module's and Optimizer's): zeros, cut from any graph."""
    grad = p.grad
    if grad.grad_fn is not None:
        grad.detach_()
    else:
        grad.requires_grad = False
    grad._data[...] = 0
    grad._bump_version()


def _convert_in_place(t, device, dtype) -> None:
    """Give tensor ``t`` new memory on ``device`` (None: where it is) holding its values as ``dtype``.

    The tensor object stays the same (optimizers hold parameters, and torch keeps them too);
    the memory order is kept. Nothing happens when nothing changes.
    """
    move = device is not None and device is not t.device
    if not move and dtype is t.dtype:
        return
    np_dtype = None if dtype is t.dtype else dtype.numpy_dtype
    if move:
        from ..copy_ops import copy_to_device

        data = copy_to_device(t._data, np_dtype, device)
    else:
        from ..creation import copy_preserving_layout

        data = copy_preserving_layout(t._data, np_dtype)
    t._data = data
    t._storage = None
    t.dtype = FROM_NUMPY[data.dtype]
    if move:
        t.device = device


def _parse_to(args, kwargs):
    """``(device, dtype)`` from the ways torch lets you call ``Module.to``."""
    device = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() received an invalid combination of arguments - got unexpected {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, Tensor):
            device, dtype = arg.device, arg.dtype
        elif isinstance(arg, dtypes.dtype):
            dtype = arg
        elif isinstance(arg, bool) or arg is None:
            continue
        else:
            try:
                device = as_device(arg)
            except TypeError:
                dtype = dtypes.as_dtype(arg)
    return device, (dtypes.as_dtype(dtype) if dtype is not None else None)
