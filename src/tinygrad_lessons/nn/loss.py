"""Loss modules: a score of how wrong the predictions are, the number ``backward()`` starts from.

* ``CrossEntropyLoss`` for classification: takes raw scores (logits) and class indices.
  It applies log-softmax itself, so do *not* put a ``Softmax`` layer before it.
* ``NLLLoss`` for models that already output log-probabilities (``LogSoftmax``).
* ``MSELoss`` for regression: mean squared difference.
* ``BCEWithLogitsLoss`` for yes/no targets (binary or multi-label): takes raw scores and
  targets in [0, 1] of the same shape; ``BCELoss`` takes probabilities (after ``Sigmoid``),
  and is less stable: prefer the first.

``reduction`` says how the per-example losses are combined: ``'mean'`` (default),
``'sum'`` or ``'none'`` (one loss per example).
"""

from __future__ import annotations

from . import functional as F
from .module import Module

__all__ = ["CrossEntropyLoss", "NLLLoss", "MSELoss", "BCEWithLogitsLoss", "BCELoss"]


class _Loss(Module):
    """Holds ``reduction`` (torch's legacy ``size_average``/``reduce`` flags are translated to it)."""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__()
        if size_average is not None or reduce is not None:
            reduction = F._check_reduction(size_average, reduce, reduction)
        self.reduction = reduction


class _WeightedLoss(_Loss):
    """A loss with per-class weights, kept as a buffer so ``state_dict`` and ``to()`` include it."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class CrossEntropyLoss(_WeightedLoss):
    """``F.cross_entropy(input, target)`` as a module."""

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):  # noqa: A002 - torch's name
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """``F.nll_loss(input, target)`` as a module (``input`` holds log-probabilities)."""

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):  # noqa: A002 - torch's name
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class MSELoss(_Loss):
    """``F.mse_loss(input, target)`` as a module."""

    def forward(self, input, target):  # noqa: A002 - torch's name
        return F.mse_loss(input, target, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """``F.binary_cross_entropy_with_logits(input, target)`` as a module; ``weight`` and ``pos_weight`` are
    buffers (in ``state_dict``, moved by ``to()``)."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean", pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):  # noqa: A002 - torch's name
        return F.binary_cross_entropy_with_logits(input, target, self.weight, pos_weight=self.pos_weight,
                                                  reduction=self.reduction)


class BCELoss(_WeightedLoss):
    """``F.binary_cross_entropy(input, target)`` as a module (``input`` holds probabilities)."""

    def forward(self, input, target):  # noqa: A002 - torch's name
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)
