"""``tl.nn``: building blocks for neural networks, as in ``torch.nn``.

==================  ==========================================================
``parameter``       ``Parameter``: a tensor a module learns
``module``          ``Module``: the base class (parameters, children, state_dict)
``linear``          ``Linear``, ``Identity``
``activation``      ``ReLU``, ``Sigmoid``, ``Tanh``, ``Softmax``, ``LogSoftmax``
``container``       ``Sequential``, ``ModuleList``
``flatten``         ``Flatten``
``dropout``         ``Dropout``
``loss``            ``CrossEntropyLoss``, ``NLLLoss``, ``MSELoss``
``functional``      the math behind the layers, with their backward (``F.relu``...)
``init``            weight initialization (``kaiming_uniform_``, ``xavier_normal_``...)
==================  ==========================================================
"""

from . import functional, init
from .activation import LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .container import ModuleList, Sequential
from .dropout import Dropout
from .flatten import Flatten
from .linear import Identity, Linear
from .loss import CrossEntropyLoss, MSELoss, NLLLoss
from .module import Module
from .parameter import Parameter

__all__ = [
    "functional", "init", "Parameter", "Module", "Linear", "Identity", "ReLU", "Sigmoid", "Tanh", "Softmax",
    "LogSoftmax", "Sequential", "ModuleList", "Flatten", "Dropout", "CrossEntropyLoss", "NLLLoss", "MSELoss",
]


def __getattr__(name):  # only for names tl.nn lacks: say when torch.nn has them (tl.beyond_the_course)
    from ..beyond_the_course import missing
    from ..torch_names import NN

    raise missing("module 'tinygrad_lessons.nn'", name, "torch.nn", NN)
