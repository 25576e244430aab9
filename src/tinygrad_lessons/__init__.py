"""tinygrad_lessons: a small, torch-compatible tensor library you build to learn PyTorch.

Import it as ``import tinygrad_lessons as tl`` and use it as you would ``torch``:
``tl.tensor([1., 2.])``, ``tl.zeros(2, 3)``, ``x.view(3, 2)``, ``x.sum(dim=0)``.

Where things live (one concept per module, named after the topic):

=================  ==========================================================
``dtypes``         element types, default dtype, type promotion
``device``         ``tl.device``: where memory lives
``backend``        the array module of each device: NumPy, CuPy, or the simulated GPU
``cuda``           ``tl.cuda.is_available()``, ``synchronize()``, ``Event``: asking about the GPU
``backends``       ``tl.backends.mps.is_available()`` (False: no Metal back end)
``storage``        flat memory, strides and views
``layout``         strides of new memory: how torch lays out a result
``tensor``         the ``Tensor`` class: attributes, casts, NumPy interop
``creation``       ``tensor``, ``zeros``, ``arange``, ``eye``, ``*_like`` ...
``random``         ``manual_seed``, ``Generator``, ``rand``, ``randn``, ``randperm`` ...
``shape_ops``      ``view``, ``reshape``, ``permute``, ``cat``, ``stack`` ...
``indexing``       ``t[...]``, ``where``, ``gather``, ``scatter``, ``masked_fill`` ...
``math_ops``       ``+ - * /``, ``exp``, ``relu``, ``softmax``, comparisons, ``clamp``, in-place ops
``linalg``         ``matmul``, ``mm``, ``bmm``, ``dot``
``reductions``     ``sum``, ``mean``, ``max``, ``argmax``, ``std``, ``norm`` ...
``sorting``        ``sort``, ``argsort``, ``topk``, ``msort``
``printing``       ``repr(tensor)`` the way torch prints it
``function``       ``Function``: how every operation is written (forward + backward)
``grad_mode``      ``no_grad``, ``enable_grad``, ``set_grad_enabled``
``engine``         ``backward()`` and ``autograd.grad``: walking the graph
``gradcheck``      checking gradients by finite differences
``autograd``       the ``torch.autograd`` names, gathered
``nn``             ``Module``, ``Linear``, activations, losses, ``functional``, ``init``
``optim``          ``SGD``, ``Adam``, ``AdamW``
``utils``          ``utils.benchmark.Timer``: honest timings (it waits for the GPU)
``grading``        the course's exercise checks: ``check``, ``check_hidden``, ``use_mine``
=================  ==========================================================
"""

__version__ = "0.1.0"

from . import dtypes
from .dtypes import (
    bfloat16, bool, double, dtype, finfo, float, float16, float32, float64, get_default_dtype, half, iinfo,
    int, int8, int16, int32, int64, long, promote_types, result_type, set_default_dtype, short, uint8,
)
from .device import device, get_default_device, set_default_device
from . import backend, backends, cuda
from .size import Size
from .storage import UntypedStorage
from .tensor import Tensor
from .function import Function
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from . import autograd
from .creation import *
from .random import *
from .shape_ops import *
from .indexing import *
from .math_ops import *
from .linalg import *
from .reductions import *
from .sorting import *
from .printing import *
from . import nn, optim, utils
from . import grading


def __getattr__(name):  # only for names the package lacks: say when torch has them (beyond_the_course)
    from .beyond_the_course import missing
    from .torch_names import TORCH  # (read only here: an error is the one time the list is needed)

    raise missing("module 'tinygrad_lessons'", name, "torch", TORCH)
