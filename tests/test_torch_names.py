"""A torch name the library leaves out says so (tl.beyond_the_course); other missing names keep Python's words.

The lists come from the pinned torch (scripts/gen_torch_names.py writes src/tinygrad_lessons/torch_names.py).
"""

import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional

import tinygrad_lessons as tl

ROOT = Path(__file__).resolve().parent.parent

NAMESPACES = [  # (ours, its name in Python's message, torch's, a torch name we lack)
    (tl, "tinygrad_lessons", torch, "kron"),
    (tl.nn, "tinygrad_lessons.nn", torch.nn, "Conv2d"),
    (tl.nn.functional, "tinygrad_lessons.nn.functional", torch.nn.functional, "conv2d"),
    (tl.optim, "tinygrad_lessons.optim", torch.optim, "Adagrad"),
    (tl.optim.lr_scheduler, "tinygrad_lessons.optim.lr_scheduler", torch.optim.lr_scheduler, "OneCycleLR"),
]


def test_the_torch_name_lists_are_up_to_date():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_torch_names.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr + "\nrun: python scripts/gen_torch_names.py"


@pytest.mark.parametrize("ours, module_name, theirs, name", NAMESPACES, ids=[n for _, n, _, _ in NAMESPACES])
def test_a_torch_name_we_lack_says_torch_has_it(ours, module_name, theirs, name):
    assert hasattr(theirs, name) and not hasattr(ours, name)
    with pytest.raises(AttributeError) as caught:
        getattr(ours, name)
    message = str(caught.value)
    assert message.startswith(f"module '{module_name}' has no attribute '{name}': ")
    assert f"{theirs.__name__}.{name} exists in torch, but not here" in message
    assert "six chapters" in message and "docs/api.md" in message


@pytest.mark.parametrize("ours, module_name", [(ns[0], ns[1]) for ns in NAMESPACES],
                         ids=[n for _, n, _, _ in NAMESPACES])
def test_any_other_missing_name_keeps_pythons_message(ours, module_name):
    with pytest.raises(AttributeError) as caught:
        ours.no_such_name  # noqa: B018 - the lookup is the test
    assert str(caught.value) == f"module '{module_name}' has no attribute 'no_such_name'"


def test_imports_and_hasattr_behave_as_ever():
    with pytest.raises(ImportError, match="cannot import name .kron."):
        from tinygrad_lessons import kron  # noqa: F401
    assert not hasattr(tl, "einsum") and hasattr(tl, "argmax") and not hasattr(tl.nn, "__wrapped__")


def test_tensor_attributes_take_pythons_fast_path():
    """No ``__getattr__`` on Tensor: it would slow every attribute access of every tensor (beyond_the_course)."""
    assert "__getattr__" not in vars(tl.Tensor)
    with pytest.raises(AttributeError, match="^.Tensor. object has no attribute .kron.$"):
        tl.ones(2).kron(tl.ones(2))
