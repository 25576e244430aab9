"""``tl.utils``: helpers around the library (``utils.benchmark`` for honest timings,
``utils.device_work`` to count a GPU's kernel launches and waits on the simulated device,
``utils.hooks`` for the handle ``register_hook`` returns)."""

from . import benchmark, device_work, hooks

__all__ = ["benchmark", "device_work", "hooks"]
