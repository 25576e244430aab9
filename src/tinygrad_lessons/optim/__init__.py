"""``tl.optim``: optimizers, as in ``torch.optim``.

=================  ==========================================================
``optimizer``      ``Optimizer``: param groups, state, zero_grad, state_dict
``sgd``            ``SGD`` (momentum, Nesterov, weight decay)
``adam``           ``Adam``, ``AdamW``
=================  ==========================================================
"""

from . import lr_scheduler as lr_scheduler  # a submodule, as torch.optim.lr_scheduler
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW"]


def __getattr__(name):  # only for names tl.optim lacks: say when torch.optim has them (tl.beyond_the_course)
    from ..beyond_the_course import missing
    from ..torch_names import OPTIM

    raise missing("module 'tinygrad_lessons.optim'", name, "torch.optim", OPTIM)
