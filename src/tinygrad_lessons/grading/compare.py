"""Comparing two plain values: a list of the differences, each said the way a hint says it.

``compare(expected, got)`` returns ``[]`` when they agree, otherwise one short string per
difference, most basic first — the kind of value, then the shape, dtype, device, values,
strides, memory sharing and ``requires_grad`` of a tensor::

    >>> compare({"kind": "int", "value": 3}, {"kind": "float", "value": 3.0})
    ['expected an int (3), got a float (3.0)']

Options (an exercise's ``compare=`` dict) say what must match:

==================  =======  ===========================================================
``rtol``, ``atol``  1e-5,    floats agree when ``|got - expected| <= atol + rtol * |expected|``
                    1e-8     (NaN agrees with NaN, infinities must match exactly)
``strides``         False    compare strides (of tensors that hold at least one element)
``memory``          True     compare ``shares_input``: a view where a view is expected, new memory
                             where new memory is expected
``requires_grad``   True     compare ``requires_grad``
``device``          True     compare the device
``messages``        False    compare exception messages too (the type always counts)
==================  =======  ===========================================================
"""

from __future__ import annotations

import math

from .plain import decode_number, describe, shape_text

__all__ = ["DEFAULTS", "compare"]

DEFAULTS = {"rtol": 1e-5, "atol": 1e-8, "strides": False, "memory": True, "requires_grad": True, "device": True,
            "messages": False}

_MAX_SHOWN = 3  # differences listed for one value; the rest are counted


def compare(expected, got, options=None) -> list[str]:
    """The differences between two plain values (``[]``: they agree); see the module docstring."""
    opts = dict(DEFAULTS)
    opts.update(options or {})
    return _compare(expected, got, opts, "")


def _compare(expected, got, opts, where: str) -> list[str]:
    kind, got_kind = expected["kind"], got["kind"]
    if kind != got_kind:
        if {kind, got_kind} == {"tuple", "list"}:  # a list where a tuple is expected is fine
            return _compare_items(expected, got, opts, where)
        return [f"{where}expected {describe(expected)}, got {describe(got)}"]
    if kind in ("tensor", "array"):
        return _compare_tensors(expected, got, opts, where)
    if kind in ("tuple", "list"):
        return _compare_items(expected, got, opts, where)
    if kind == "error":
        if expected["type"] != got["type"]:
            return [f"{where}expected {describe(expected)}, got {describe(got)}"]
        if opts["messages"] and expected["message"] != got["message"]:
            return [f"{where}right error type, but the message should be {expected['message']!r}, "
                    f"got {got['message']!r}"]
        return []
    if kind == "float":
        if not _close(expected["value"], got["value"], opts):
            return [f"{where}expected {_show(expected['value'])}, got {_show(got['value'])}"]
        return []
    if kind == "object":
        # an unrecognised object proves nothing: never equal to anything, even another one
        return [f"{where}expected {describe(expected)}, got {describe(got)}"]
    if expected.get("value") != got.get("value"):
        return [f"{where}expected {describe(expected)}, got {describe(got)}"]
    return []


def _compare_items(expected, got, opts, where: str) -> list[str]:
    want, have = expected["items"], got["items"]
    if len(want) != len(have):
        return [f"{where}expected {len(want)} item{'' if len(want) == 1 else 's'}, got {len(have)}"]
    out = []
    for i, (e, g) in enumerate(zip(want, have)):
        out.extend(_compare(e, g, opts, f"{where}item {i}: "))
        if len(out) >= _MAX_SHOWN:
            break
    return out


def _compare_tensors(expected, got, opts, where: str) -> list[str]:
    out = []
    if expected["shape"] != got["shape"]:
        return [f"{where}shape: expected {shape_text(expected['shape'])}, got {shape_text(got['shape'])}"]
    if expected["dtype"] != got["dtype"]:
        prefix = "tl." if expected["kind"] == "tensor" else ""
        out.append(f"{where}dtype: expected {prefix}{expected['dtype']}, got {prefix}{got['dtype']}")
    if opts["device"] and expected["device"] != got["device"]:
        out.append(f"{where}device: expected {expected['device']}, got {got['device']}")
    values = _compare_values(expected, got, opts)
    if values:
        out.append(where + values)
    if opts["strides"] and 0 not in expected["shape"] and expected["strides"] != got["strides"]:
        out.append(f"{where}strides: expected {shape_text(expected['strides'])}, got {shape_text(got['strides'])}")
    if opts["memory"] and expected["shares_input"] != got["shares_input"]:
        if expected["shares_input"] is None:
            out.append(f"{where}memory: expected new memory, got a result that shares argument "
                       f"{got['shares_input']}'s memory (writing to one would change the other)")
        else:
            out.append(f"{where}memory: expected a view of argument {expected['shares_input']} (sharing its "
                       f"memory), got " + ("a copy" if got["shares_input"] is None
                                           else f"a view of argument {got['shares_input']}"))
    if opts["requires_grad"] and expected["requires_grad"] != got["requires_grad"]:
        out.append(f"{where}requires_grad: expected {expected['requires_grad']}, got {got['requires_grad']}")
    return out


def _flat(values, shape):
    """Nested lists -> a flat list, row by row."""
    if not shape:
        return [values]
    flat = values
    for _ in shape[1:]:
        flat = [x for row in flat for x in row]
    return flat


def _index(i: int, shape) -> list[int]:
    """The multi-dimensional index of the ``i``-th element in row-major order."""
    index = []
    for n in reversed(shape):
        index.append(i % n)
        i //= n
    return index[::-1]


def _close(e, g, opts) -> bool:
    e, g = decode_number(e), decode_number(g)
    if isinstance(e, bool) or isinstance(g, bool) or not (isinstance(e, float) or isinstance(g, float)):
        return e == g
    if math.isnan(e) or math.isnan(g):
        return math.isnan(e) and math.isnan(g)
    if math.isinf(e) or math.isinf(g):
        return e == g
    return abs(g - e) <= opts["atol"] + opts["rtol"] * abs(e)


def _compare_values(expected, got, opts) -> str:
    shape = expected["shape"]
    want, have = _flat(expected["values"], shape), _flat(got["values"], shape)
    bad = [i for i, (e, g) in enumerate(zip(want, have)) if not _close(e, g, opts)]
    if not bad:
        return ""
    first = bad[0]
    at = f" at {_index(first, shape)}" if shape else ""
    more = f" ({len(bad)} of {len(want)} elements differ)" if len(want) > 1 else ""
    return f"values: expected {_show(want[first])}{at}, got {_show(have[first])}{more}"


def _show(x) -> str:
    return repr(decode_number(x))
