"""What a learner meets on reaching for a torch name this library leaves out.

tinygrad_lessons implements what its six chapters teach -- tensors, reshaping, indexing and
math, autograd, devices, a training loop -- not all of torch. ``tl.kron``, ``tl.einsum`` or
``tl.nn.Conv2d`` are real torch names a learner will try, and a bare "has no attribute" reads
like a typo. So the AttributeError of ``tl``, ``tl.nn``, ``tl.nn.functional`` and ``tl.optim``
(a module ``__getattr__``, which Python calls only when a name is missing) says that torch has
the name, that this library does not, and what to do instead. Which names torch has comes from
torch itself (``torch_names``, generated from the pinned torch by ``scripts/gen_torch_names.py``);
any other name gets Python's usual message, word for word.

Tensor methods (``t.kron(u)``) keep Python's plain message: a ``__getattr__`` on ``Tensor`` makes
Python take a slower path for *every* attribute of every tensor, found or not (+7% instructions
per training step, measured), a price no error message is worth.
"""

from __future__ import annotations

ADVICE = ("tinygrad_lessons implements what its six chapters teach, not all of torch (docs/api.md lists what "
          "it has). Beyond the course, use PyTorch itself, or NumPy on the values (t.numpy()).")


def missing(owner: str, name: str, torch_namespace: str, torch_has: frozenset) -> AttributeError:
    """The AttributeError for ``owner`` (in Python's words: ``module 'tinygrad_lessons'``,
    ``'Tensor' object``) lacking ``name``, which ``torch_namespace`` may have."""
    message = f"{owner} has no attribute '{name}'"
    if name in torch_has:
        message += f": {torch_namespace}.{name} exists in torch, but not here. {ADVICE}"
    return AttributeError(message)
