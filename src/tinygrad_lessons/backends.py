"""``tl.backends``: which hardware back ends exist, as ``torch.backends`` reports them.

There is no Apple Metal (``mps``) back end in tinygrad_lessons: tensors live on the
CPU (NumPy) or an NVIDIA GPU (CuPy). ``backends.mps.is_available()`` says so.
"""

from __future__ import annotations

import types

__all__ = ["mps", "cuda"]


def _mps_is_available() -> bool:
    """Always False: tinygrad_lessons has no Metal back end (use 'cpu', or 'cuda' on an NVIDIA GPU)."""
    return False


mps = types.SimpleNamespace(is_available=_mps_is_available, is_built=_mps_is_available)


def _cuda_is_built() -> bool:
    """True when CuPy is installed (torch: 'compiled with CUDA')."""
    from . import backend

    return backend.cupy is not None or backend.simulating()


cuda = types.SimpleNamespace(is_built=_cuda_is_built)
