"""Read whatever a learner submitted and get the code cells back.

Notebooks arrive damaged in ordinary ways: a file truncated by a failed upload, an empty
file, a stray character from a text editor, a notebook saved by an old tool (nbformat 3),
a Python script exported from Colab or jupytext instead of the notebook. Nothing here
raises on bad input: ``load()`` returns the cells it could read and one line per repair,
written for the learner (the lines go into their feedback).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Cell:
    index: int  # position in the submitted notebook (1-based, as a learner counts)
    cell_type: str  # "code", "markdown" or "raw"
    source: str
    nbgrader: dict | None = None  # metadata.nbgrader when present

    @property
    def grade_id(self) -> str | None:
        if self.nbgrader and isinstance(self.nbgrader.get("grade_id"), str):
            return self.nbgrader["grade_id"]
        return None


@dataclass
class Loaded:
    cells: list[Cell] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    fatal: str | None = None  # set when nothing could be read


def _source_text(value) -> str:
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    if isinstance(value, str):
        return value
    return ""


def _cells_from_json(data) -> list[Cell] | None:
    if not isinstance(data, dict):
        return None
    raw = data.get("cells")
    if raw is None and isinstance(data.get("worksheets"), list):  # nbformat 3
        raw = [c for ws in data["worksheets"] if isinstance(ws, dict) for c in ws.get("cells", [])]
    if not isinstance(raw, list):
        return None
    cells = []
    for i, c in enumerate(raw, start=1):
        if not isinstance(c, dict):
            continue
        ctype = c.get("cell_type") if isinstance(c.get("cell_type"), str) else "code"
        source = _source_text(c.get("source", c.get("input", "")))
        meta = c.get("metadata") if isinstance(c.get("metadata"), dict) else {}
        nbg = meta.get("nbgrader") if isinstance(meta.get("nbgrader"), dict) else None
        cells.append(Cell(index=i, cell_type=ctype, source=source, nbgrader=nbg))
    return cells


def _close_truncated(text: str) -> str | None:
    """Cut a truncated JSON document at its last complete value and close what is open."""
    stack: list[str] = []
    in_string = escape = False
    last_safe = None  # (position, stack snapshot) after a complete value inside a container
    for pos, ch in enumerate(text):
        if in_string:
            if escape:
                escape = False
            elif ch == "\\":
                escape = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in "[{":
            stack.append("]" if ch == "[" else "}")
        elif ch in "]}":
            if not stack:
                return None
            stack.pop()
            last_safe = (pos + 1, list(stack))
        elif ch == ",":
            last_safe = (pos, list(stack))
    if last_safe is None:
        return None
    cut, open_ = last_safe
    return text[:cut].rstrip().rstrip(",") + "".join(reversed(open_))


_SOURCE_KEY = re.compile(r'"(?:source|input)"\s*:\s*')
_TYPE_KEY = re.compile(r'"cell_type"\s*:\s*"(\w+)"')
_GRADE_ID = re.compile(r'"grade_id"\s*:\s*"([^"\\]{1,200})"')


def _scavenge(text: str) -> list[Cell]:
    """Last resort for broken JSON: every ``"source": ...`` value that still decodes."""
    decoder = json.JSONDecoder(strict=False)
    cells: list[Cell] = []
    prev_end = 0
    for m in _SOURCE_KEY.finditer(text):
        try:
            value, end = decoder.raw_decode(text, m.end())
        except ValueError:
            continue
        # The cell's other keys sit around its source: look between the previous source and
        # the next one for its type and grade_id.
        nxt = _SOURCE_KEY.search(text, end)
        window = text[prev_end : nxt.start() if nxt else len(text)]
        types = _TYPE_KEY.findall(text[prev_end:m.start()]) or _TYPE_KEY.findall(window)
        ids = _GRADE_ID.findall(window)
        ctype = types[-1] if types else "code"
        nbg = {"grade_id": ids[0]} if ids else None
        cells.append(Cell(index=len(cells) + 1, cell_type=ctype, source=_source_text(value), nbgrader=nbg))
        prev_end = end
    return cells


_PERCENT = re.compile(r"^# %%(.*)$", re.MULTILINE)


def _cells_from_script(text: str) -> list[Cell]:
    """A ``.py`` export (Colab's "Download .py", jupytext percent format)."""
    parts = _PERCENT.split(text)
    if len(parts) == 1:
        return [Cell(index=1, cell_type="code", source=text)]
    cells = []
    head = parts[0].strip()
    if head:
        cells.append(Cell(index=1, cell_type="code", source=parts[0]))
    for marker, body in zip(parts[1::2], parts[2::2]):
        ctype = "markdown" if "[markdown]" in marker else "code"
        cells.append(Cell(index=len(cells) + 1, cell_type=ctype, source=body.strip("\n")))
    return cells


def load(path: str | Path) -> Loaded:
    """The cells of a submitted notebook, repaired as far as possible."""
    out = Loaded()
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        out.fatal = f"the file could not be read ({exc.strerror or exc})"
        return out
    return loads(raw, out)


def loads(raw: bytes, out: Loaded | None = None) -> Loaded:
    out = out or Loaded()
    if not raw.strip():
        out.fatal = "the submitted file is empty"
        return out
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", errors="replace")
        out.notes.append("the file is not valid UTF-8; unreadable bytes were replaced")
    text = text.lstrip("\ufeff")
    data = None
    try:
        data = json.loads(text)
    except ValueError as exc:
        first_error = f"line {exc.lineno}, column {exc.colno}" if hasattr(exc, "lineno") else str(exc)
        for attempt, how in (
            (lambda: json.loads(text, strict=False), "control characters inside strings were accepted"),
            (lambda: json.JSONDecoder(strict=False).raw_decode(text.strip())[0], "text after the notebook was ignored"),
            (lambda: json.loads(_close_truncated(text) or ""), "the file was cut short; it was read up to the cut"),
        ):
            try:
                data = attempt()
            except ValueError:
                continue
            if _cells_from_json(data) is not None:
                out.notes.append(f"the notebook's JSON is damaged ({first_error}): {how}")
                break
            data = None
        if data is None:
            stripped = text.lstrip()
            if stripped.startswith("{"):
                cells = _scavenge(text)
                if cells:
                    out.cells = cells
                    out.notes.append(
                        f"the notebook's JSON is damaged ({first_error}): {len(cells)} cells were recovered from it; "
                        "their nbgrader metadata may be lost"
                    )
                    return out
                out.fatal = f"the notebook's JSON is damaged beyond repair ({first_error})"
                return out
            out.cells = _cells_from_script(text)
            out.notes.append("the file is not a notebook; it was read as a Python script")
            return out
    cells = _cells_from_json(data)
    if cells is None:
        out.fatal = "the file is JSON but not a notebook (no cells)"
        return out
    if not cells:
        out.fatal = "the notebook has no cells"
        return out
    out.cells = cells
    return out
