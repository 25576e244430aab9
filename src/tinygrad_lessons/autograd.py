"""``tl.autograd``: the names torch keeps under ``torch.autograd``.

The pieces live in modules of their own — ``function`` (Function, the graph node),
``engine`` (backward, grad), ``grad_mode`` (no_grad...), ``gradcheck`` — and this
module gathers them under the name a PyTorch user looks for.
"""

from .engine import backward, grad
from .function import Function
from .grad_mode import enable_grad, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck

__all__ = ["Function", "backward", "grad", "gradcheck", "GradcheckError", "no_grad", "enable_grad",
           "set_grad_enabled"]
