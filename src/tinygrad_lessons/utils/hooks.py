"""``RemovableHandle``: what ``register_hook`` returns, to take the hook away again (``torch.utils.hooks``)."""

from __future__ import annotations

import itertools

__all__ = ["RemovableHandle"]

_ids = itertools.count()


class RemovableHandle:
    """Holds the place of one hook in the dict its owner calls hooks from; ``remove()`` empties it.

    Also a context manager: ``with t.register_hook(f): ...`` keeps the hook for the block only.
    """

    def __init__(self, hooks: dict):
        self.hooks_dict = hooks
        self.id = next(_ids)

    def remove(self) -> None:
        self.hooks_dict.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()
