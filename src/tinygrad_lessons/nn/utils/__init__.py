"""``tl.nn.utils``: helpers used around a training step, as in ``torch.nn.utils``.

======================  =====================================================================
``clip_grad``           ``clip_grad_norm_``, ``clip_grad_value_`` (and their two halves,
                        ``get_total_norm``, ``clip_grads_with_norm_``)
``convert_parameters``  ``parameters_to_vector``, ``vector_to_parameters``
======================  =====================================================================
"""

from . import clip_grad, convert_parameters
from .clip_grad import clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm
from .convert_parameters import parameters_to_vector, vector_to_parameters

__all__ = [
    "clip_grad", "convert_parameters", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_",
    "get_total_norm", "parameters_to_vector", "vector_to_parameters",
]
