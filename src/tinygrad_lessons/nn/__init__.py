"""``tl.nn``: building blocks for neural networks, as in ``torch.nn``.

==================  ==========================================================
``parameter``       ``Parameter``: a tensor a module learns
``module``          ``Module``: the base class (parameters, children, state_dict)
``linear``          ``Linear``, ``Identity``
``activation``      ``ReLU``, ``Sigmoid``, ``Tanh``, ``Softmax``, ``LogSoftmax``, ``GELU``, ``SiLU``
``container``       ``Sequential``, ``ModuleList``
``flatten``         ``Flatten``
``dropout``         ``Dropout``
``sparse``          ``Embedding``
``normalization``   ``LayerNorm``
``loss``            ``CrossEntropyLoss``, ``NLLLoss``, ``MSELoss``, ``BCEWithLogitsLoss``, ``BCELoss``
``functional``      the math behind the layers, with their backward (``F.relu``...)
``init``            weight initialization (``kaiming_uniform_``, ``xavier_normal_``...)
``utils``           ``clip_grad_norm_``, ``clip_grad_value_``, ``parameters_to_vector``...
==================  ==========================================================
"""

from . import functional, init, utils
from .activation import GELU, LogSoftmax, ReLU, Sigmoid, SiLU, Softmax, Tanh
from .container import ModuleList, Sequential
from .dropout import Dropout
from .flatten import Flatten
from .linear import Identity, Linear
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .module import Module
from .normalization import LayerNorm
from .parameter import Parameter
from .sparse import Embedding

__all__ = [
    "functional", "init", "utils", "Parameter", "Module", "Linear", "Identity", "ReLU", "Sigmoid", "Tanh", "Softmax",
    "LogSoftmax", "Sequential", "ModuleList", "Flatten", "Dropout", "CrossEntropyLoss", "NLLLoss", "MSELoss",
    "Embedding", "LayerNorm",
]
__all__ += ["GELU", "SiLU", "BCEWithLogitsLoss", "BCELoss"]


def __getattr__(name):  # only for names tl.nn lacks: say when torch.nn has them (tl.beyond_the_course)
    from ..beyond_the_course import missing
    from ..torch_names import NN

    raise missing("module 'tinygrad_lessons.nn'", name, "torch.nn", NN)
