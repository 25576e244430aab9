"""Devices: where a tensor's memory lives.

A ``device`` is a small value object, ``device(type='cpu')`` or
``device(type='cuda', index=0)`` as in torch. Tensors carry one of a few canonical
device objects (``CPU``, ``cuda_device(0)``...), so "are these on the same device?"
— asked by every operation — is a pointer comparison.

Which devices exist: the CPU always; ``cuda`` when CuPy sees an NVIDIA GPU, or when
the simulated GPU is switched on (see ``backend.py``); ``mps`` never (no Metal backend).
"""

from __future__ import annotations

__all__ = ["device", "set_default_device", "get_default_device"]


class device:
    """``tl.device('cpu')``, ``tl.device('cuda:0')`` or ``tl.device('cuda', 0)``."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):  # noqa: A002 - torch's name
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments - got ({type.__class__.__name__})")
        kind, _, number = type.partition(":")
        if number:
            if index is not None:
                raise RuntimeError(
                    f"type (string) must not include an index because index was passed explicitly: {type}"
                )
            if not number.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}'")
            index = int(number)
        if kind not in ("cpu", "cuda", "mps", "meta"):
            raise RuntimeError(
                "Expected one of cpu, cuda, mps, meta device type at start of device string: " + type
            )
        self.type, self.index = kind, index

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))


CPU = device("cpu")
_CUDA = {}


def cuda_device(index: int = 0) -> device:
    """The one ``device`` object for GPU ``index``: tensors share it, so comparing devices is cheap (``is``)."""
    d = _CUDA.get(index)
    if d is None:
        d = _CUDA[index] = device("cuda", index)
    return d


_default = [CPU]


def set_default_device(d) -> None:
    """Where factory functions (``zeros``, ``tensor``, ``randn``...) put tensors when ``device=`` is not given.

    ``tl.set_default_device('cuda')`` makes a whole script run on the GPU; ``from_numpy``
    still shares the array's CPU memory. ``None`` restores the CPU.
    """
    _default[0] = CPU if d is None else as_device(d)


def get_default_device() -> device:
    return _default[0]


def as_device(d) -> device:
    """Accept ``'cpu'``, ``'cuda'``, ``'cuda:0'``, ``0``, a ``device`` or ``None`` (the default device, normally the
    CPU) wherever torch takes ``device=``; return the canonical device a tensor will carry, or say clearly why it
    cannot exist here."""
    if d is None:
        return _default[0]
    if d is CPU:
        return CPU
    if d.__class__ is not device:
        if isinstance(d, int) and not isinstance(d, bool):  # torch reads a bare int as a CUDA index
            d = device("cuda", d)
        else:
            d = device(d)
    if d.type == "cpu":
        return CPU
    if d.type == "cuda":
        from . import cuda  # the availability rules live with the rest of the CUDA API

        index = 0 if d.index is None else d.index
        if not cuda.is_available():
            from .backend import cuda_unavailable_error

            raise cuda_unavailable_error()
        if index >= cuda.device_count():
            raise RuntimeError(
                f"CUDA error: invalid device ordinal: cuda:{index} was asked for, but there "
                f"{'is 1 GPU' if cuda.device_count() == 1 else f'are {cuda.device_count()} GPUs'} (cuda:0"
                f"{'' if cuda.device_count() == 1 else f' to cuda:{cuda.device_count() - 1}'})."
            )
        return cuda_device(index)
    if d.type == "mps":
        raise RuntimeError(
            "tinygrad_lessons has no Metal (mps) backend, so tl.backends.mps.is_available() is False: its tensors "
            "live on the CPU (NumPy) or on an NVIDIA GPU (CuPy). Use device='cpu' here (or 'cuda' on an NVIDIA GPU)."
        )
    raise RuntimeError(f"tinygrad_lessons has no '{d.type}' device: use device='cpu' (or 'cuda' on an NVIDIA GPU).")
