"""``Size``: the shape of a tensor, a tuple that prints like torch's; and how two shapes broadcast."""


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


def infer_size(shape_a, shape_b) -> tuple:
    """The shape two shapes broadcast to, with torch's error (torch's ``infer_size``).

    Shapes are lined up from the last dimension; a missing leading dimension counts as
    size 1, and a size-1 dimension stretches to the other's size. Sizes that differ
    otherwise can't broadcast: torch compares from the *last* dimension, so its error
    names the last dimension that doesn't fit (``(2, 3)`` and ``(4, 5)``: dimension 1).
    """
    if shape_a == shape_b:
        return shape_a
    ndim = max(len(shape_a), len(shape_b))
    out = [0] * ndim
    for i in range(ndim - 1, -1, -1):
        offset = ndim - 1 - i
        dim_a, dim_b = len(shape_a) - 1 - offset, len(shape_b) - 1 - offset
        size_a = shape_a[dim_a] if dim_a >= 0 else 1
        size_b = shape_b[dim_b] if dim_b >= 0 else 1
        if size_a != size_b and size_a != 1 and size_b != 1:
            raise RuntimeError(f"The size of tensor a ({size_a}) must match the size of tensor b ({size_b}) "
                               f"at non-singleton dimension {i}")
        out[i] = size_b if size_a == 1 else size_a
    return tuple(out)
