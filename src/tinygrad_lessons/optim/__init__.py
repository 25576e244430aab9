"""``tl.optim``: optimizers, as in ``torch.optim``.

=================  ==========================================================
``optimizer``      ``Optimizer``: param groups, state, zero_grad, state_dict
``sgd``            ``SGD`` (momentum, Nesterov, weight decay)
``adam``           ``Adam``, ``AdamW``
=================  ==========================================================
"""

from .adam import Adam, AdamW
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW"]
