"""Devices: where a tensor's memory lives.

Only the CPU exists in this module's first version; the GPU chapter adds CUDA.
A ``device`` is a small value object, ``device(type='cpu')`` as in torch.
"""

from __future__ import annotations

__all__ = ["device"]


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


def as_device(d) -> device:
    """Accept ``'cpu'``, ``device('cpu')`` or ``None`` (the CPU) wherever torch takes ``device=``."""
    if d is None or d is CPU:
        return CPU
    d = device(d) if not isinstance(d, device) else d
    if d.type == "cpu":
        return CPU
    if d.type == "mps":
        raise RuntimeError(
            "tinygrad_lessons has no Metal (mps) backend: its tensors live on the CPU (NumPy) "
            "or on an NVIDIA GPU (CuPy). Use device='cpu' here."
        )
    raise RuntimeError(
        f"device '{d}' is not available in tinygrad_lessons yet: only 'cpu' is supported."
    )
