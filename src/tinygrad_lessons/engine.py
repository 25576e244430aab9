"""The backward engine: walk the recorded graph from the output back to the leaves.

``loss.backward()`` starts at ``loss.grad_fn`` with gradient 1 and visits every node
*after* all the nodes that feed gradient into it (a topological order, found by
counting each node's incoming edges first). Each node turns the gradient of its
outputs into gradients of its inputs (its ``backward``), and the gradients that
reach a leaf are added into ``leaf.grad`` by its ``AccumulateGrad`` node.

Unless ``retain_graph=True``, each node frees what it saved once it has run, so a
second ``backward()`` through the same graph fails with torch's message.
"""

from __future__ import annotations

from .creation import ones_like, zeros
from .function import AccumulateGrad, _accumulator
from .grad_mode import STATE
from .tensor import Tensor

__all__ = ["backward", "grad"]


def _root_gradients(outputs, grad_outputs):
    """Pair each output with the gradient that starts the pass (1 for a scalar)."""
    roots = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not out.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        if g is None:
            if out.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = ones_like(out)
        elif not isinstance(g, Tensor):
            raise TypeError(f"gradient must be a Tensor or None, not {type(g).__name__}")
        else:
            g = g.detach().clone() if not g.requires_grad else g  # the caller keeps theirs
        if tuple(g.shape) != tuple(out.shape):
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {_size(g.shape)} and output[{i}] has a "
                f"shape of {_size(out.shape)}."
            )
        if g.device is not out.device:
            raise RuntimeError(f"invalid gradient at index {i} - expected device {out.device} but got {g.device}")
        node = out.grad_fn if out.grad_fn is not None else _leaf_node(out)
        roots.append((node, out._output_nr, g))
    return roots


def _size(shape):
    return f"torch.Size([{', '.join(map(str, shape))}])"


def _leaf_node(t):
    return _accumulator(t)


def _dependencies(roots):
    """How many edges lead into each node reachable from the roots."""
    deps = {}
    seen = set()
    stack = list(dict.fromkeys(node for node, _, _ in roots))  # two outputs of one node: walk it once
    for node in stack:
        seen.add(node)
    while stack:
        node = stack.pop()
        for nxt, _ in node.next_functions:
            if nxt is None:
                continue
            deps[nxt] = deps.get(nxt, 0) + 1
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return deps


def _run(roots, *, retain_graph, create_graph, capture=None, accumulate=True):
    """Execute the backward pass; return the gradients asked for by ``capture``.

    ``capture`` maps ``(node, output_nr)`` to a slot index: used by ``grad()`` to read a
    gradient where it flows instead of accumulating it into ``.grad``.
    """
    deps = _dependencies(roots)
    buffers = {}
    for node, nr, g in roots:
        buf = buffers.setdefault(node, {})
        buf[nr] = g if nr not in buf else buf[nr] + g
    ready = [node for node in buffers if deps.get(node, 0) == 0]
    captured = {}
    previous_mode = STATE.enabled
    STATE.enabled = create_graph
    try:
        while ready:
            node = ready.pop()
            grads = buffers.pop(node)
            hooks = node.tensor_hooks if node.__class__ is AccumulateGrad else node.__dict__.get("_tensor_hooks")
            if hooks:  # register_hook: each may replace the gradient of its tensor, before anything uses it
                _run_tensor_hooks(hooks, grads)
            if capture:
                for nr, g in grads.items():
                    slot = capture.get((node, nr))
                    if slot is not None:
                        captured[slot] = g
            if node.__class__ is AccumulateGrad:
                if accumulate:
                    _accumulate(node.variable, grads[0], create_graph)
                continue
            retained = node.__dict__.get("_retained")  # set by retain_grad() on an output
            if retained:
                for nr, ref in retained.items():
                    t = ref()
                    if t is not None and nr in grads:
                        _accumulate(t, grads[nr].clone() if not create_graph else grads[nr], create_graph)
            if node.num_outputs == 1:  # the common case: one output, and a gradient reached it
                grad_inputs = node.backward(node, grads[0])
            else:
                grad_inputs = node.backward(node, *_gradients_of_outputs(node, grads))
            if not isinstance(grad_inputs, tuple):
                grad_inputs = (grad_inputs,)
            positions = node._tensor_args
            expected = len(node.needs_input_grad)
            if len(grad_inputs) != expected:
                raise RuntimeError(
                    f"function {node.name()} returned an incorrect number of gradients "
                    f"(expected {expected}, got {len(grad_inputs)})"
                )
            if positions is not None:  # keep the gradients of tensor arguments only
                grad_inputs = tuple(grad_inputs[i] for i in positions)
            if len(grad_inputs) > 1:
                grad_inputs = _unshared(grad_inputs)
            if not retain_graph:
                node._saved = None
            for (nxt, nr), g in zip(node.next_functions, grad_inputs):
                if nxt is None:
                    continue
                if g is not None:
                    buf = buffers.setdefault(nxt, {})
                    buf[nr] = g if nr not in buf else buf[nr] + g
                deps[nxt] -= 1
                if deps[nxt] == 0:
                    if nxt in buffers:
                        ready.append(nxt)
                    else:  # no gradient reached it: still release what depends on it
                        _release(nxt, deps, buffers, ready)
    finally:
        STATE.enabled = previous_mode
    return captured


def _run_tensor_hooks(hooks: dict, grads: dict) -> None:
    """Call the hooks registered on a node's outputs (``{output_nr: {handle id: hook}}``) with
    their gradients, in the order they were registered; a returned tensor replaces the gradient."""
    for nr, by_id in hooks.items():
        if nr not in grads:
            continue
        grad = grads[nr]
        for hook in list(by_id.values()):
            out = hook(grad)
            if out is None:
                continue
            if not isinstance(out, Tensor):
                raise TypeError(f"expected Variable, but hook returned '{type(out).__name__}'")
            if tuple(out.shape) != tuple(grad.shape):
                raise RuntimeError(f"hook '{getattr(hook, '__name__', hook)}' has changed the size of value")
            grad = out
        grads[nr] = grad


def _gradients_of_outputs(node, grads: dict) -> list:
    """One gradient per output of a multi-output node: zeros for an output no gradient reached
    (on the device of the gradients that did arrive)."""
    grad_outputs = [grads.get(i) for i in range(node.num_outputs)]
    for i, g in enumerate(grad_outputs):
        if g is None:
            shape, dtype = node.outputs_meta[i]
            grad_outputs[i] = _zeros(shape, dtype, next(iter(grads.values())).device)
    return grad_outputs


def _release(node, deps, buffers, ready):
    """A node that got no gradient passes nothing on, but its successors' counts still drop."""
    stack = [node]
    while stack:
        n = stack.pop()
        for nxt, _ in n.next_functions:
            if nxt is None:
                continue
            deps[nxt] -= 1
            if deps[nxt] == 0:
                if nxt in buffers:
                    ready.append(nxt)
                else:
                    stack.append(nxt)


def _zeros(shape, dtype, device):
    return zeros(shape, dtype=dtype, device=device)


def _accumulate(t, g, create_graph):
    """``t.grad += g``, in place when possible (torch keeps the same .grad tensor).

    The first gradient becomes ``.grad`` without a copy when it is a fresh tensor that
    nothing else refers to (the engine makes sure of that, see ``_unshared``); a view
    or a tensor in a graph is copied first.
    """
    if t.grad is None:
        if not create_graph and (g._storage is not None or g.requires_grad):
            g = g.detach().clone()
        t.grad = g
    elif create_graph or t.grad.requires_grad or g.requires_grad:
        t.grad = t.grad + g
    else:
        t.grad._data += g._data
        t.grad._bump_version()


def _unshared(grads):
    """A node may hand the same tensor to two inputs (``AddBackward0`` does): copy repeats,
    so that accumulating into one ``.grad`` never changes another."""
    seen = set()
    out = []
    for g in grads:
        if g is not None:
            if id(g) in seen:
                g = g.clone()
            seen.add(id(g))
        out.append(g)
    return tuple(out)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate into ``.grad`` of the leaves the gradients of ``tensors``."""
    tensors = (tensors,) if isinstance(tensors, Tensor) else tuple(tensors)
    if grad_tensors is None:
        grad_tensors = (None,) * len(tensors)
    elif isinstance(grad_tensors, Tensor):
        grad_tensors = (grad_tensors,)
    retain_graph = create_graph if retain_graph is None else retain_graph
    roots = _root_gradients(tensors, tuple(grad_tensors))
    _run(roots, retain_graph=retain_graph, create_graph=create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=None,
         materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs``, returned (``.grad`` is untouched)."""
    outputs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
    single_input = isinstance(inputs, Tensor)
    inputs = (inputs,) if single_input else tuple(inputs)
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = (grad_outputs,)
    retain_graph = create_graph if retain_graph is None else retain_graph
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    capture = {}
    for i, t in enumerate(inputs):
        node = t.grad_fn if t.grad_fn is not None else _leaf_node(t)
        capture[(node, t._output_nr)] = i
    roots = _root_gradients(outputs, tuple(grad_outputs))
    captured = _run(roots, retain_graph=retain_graph, create_graph=create_graph, capture=capture,
                    accumulate=False)
    result = []
    for i, t in enumerate(inputs):
        g = captured.get(i)
        if g is None:
            if materialize_grads:
                g = _zeros(t.shape, t.dtype, t.device)
            elif not allow_unused:
                raise RuntimeError(
                    "One of the differentiated Tensors appears to not have been used in the graph. "
                    "Set allow_unused=True if this is the desired behavior."
                )
        elif not create_graph:
            g = g.detach()
        result.append(g)
    return tuple(result)
