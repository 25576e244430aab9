"""``tl.utils``: helpers around the library (``utils.benchmark`` for honest timings,
``utils.device_work`` to count a GPU's kernel launches and waits on the simulated device)."""

from . import benchmark, device_work

__all__ = ["benchmark", "device_work"]
