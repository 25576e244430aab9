"""``Size``: the shape of a tensor, a tuple that prints like torch's."""


class Size(tuple):
    """A tuple of ints, ``tl.Size([2, 3])``; ``numel()`` multiplies them."""

    __slots__ = ()

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self):
        return f"tl.Size([{', '.join(map(str, self))}])"

    def __getitem__(self, item):
        out = tuple.__getitem__(self, item)
        return Size(out) if isinstance(item, slice) else out

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))
