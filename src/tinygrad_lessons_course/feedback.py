"""Feedback for learners: one self-contained HTML page per student and assignment.

It shows the score, every graded cell, and per exercise one line per case — ✓ or ✗ with
what differed and the hints — for the visible cases as the notebook's check prints them.
Hidden cases appear only as "hidden case N" with the *kind* of mistake (wrong shape, wrong
dtype, raised ValueError…) and the exercise's hints: never their inputs, their expected
outputs, the test cells' source, or the learner's printed output (which could echo hidden
inputs).
"""

from __future__ import annotations

import html
from pathlib import Path

from .grade import SubmissionResult

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#1b1b1b;line-height:1.45}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:1.8rem;border-bottom:1px solid #ddd}
.score{font-size:1.2rem;font-weight:600}.muted{color:#666;font-size:.9rem}
ul.cases{list-style:none;padding-left:.5rem}ul.cases li{margin:.25rem 0}
.ok{color:#1a7f37}.bad{color:#cf222e}.hint{color:#555;margin-left:1.6rem;font-size:.92rem}
.note{background:#fff8c5;border-left:4px solid #d4a72c;padding:.4rem .7rem;margin:.3rem 0}
.error{background:#ffebe9;border-left:4px solid #cf222e;padding:.5rem .8rem}
table{border-collapse:collapse}td,th{padding:.2rem .8rem;border-bottom:1px solid #eee;text-align:left}
code{background:#f3f3f3;padding:0 .2rem;border-radius:3px}
"""


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _fmt(x) -> str:
    return f"{x:g}" if isinstance(x, (int, float)) else "—"


def render(result: SubmissionResult) -> str:
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{_e(result.assignment)} — feedback for {_e(result.student)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{_e(result.assignment)}: {_e(result.notebook)}</h1>",
        f"<p class='muted'>student {_e(result.student)} · graded {_e(result.graded_at)}</p>",
    ]
    if result.status == "error":
        parts.append("<div class='error'><b>Your submission could not be graded automatically.</b> Your instructor "
                     "will look at it; nothing has been scored yet.</div>")
    else:
        parts.append(f"<p class='score'>Score: {_fmt(result.score)} / {_fmt(result.max_score)}</p>")
    if result.notes:
        parts.append("<h2>About your notebook</h2>")
        parts += [f"<div class='note'>{_e(n)}</div>" for n in result.notes]
    if result.statements:
        parts.append("<h2>Top-level code that did not run</h2><ul>")
        for st in result.statements:
            error = st.get("error") or st.get("status")
            parts.append(f"<li>{_e(st['where'])}: {_e(error)} <span class='muted'>(the rest was still graded)</span>"
                         "</li>")
        parts.append("</ul>")
    if result.cells:
        parts.append("<h2>Graded cells</h2><table><tr><th>cell</th><th>checks</th><th>points</th></tr>")
        for cell in result.cells:
            checks = ", ".join(f"{name} ({kind})" for name, kind in cell.checks)
            score = "needs review" if cell.score is None else f"{cell.score:g} / {cell.points:g}"
            parts.append(f"<tr><td><code>{_e(cell.grade_id)}</code></td><td>{_e(checks)}</td><td>{_e(score)}</td></tr>")
        parts.append("</table>")
    for ex in result.exercises:
        parts.append(f"<h2>{_e(ex.name)} — <code>{_e(ex.function)}</code></h2>")
        if ex.status != "graded":
            parts.append(f"<p class='bad'>{_e(ex.status)}</p>")
        parts += [f"<p>{_e(n)}</p>" for n in ex.notes]
        if not ex.cases or ex.status in ("not implemented", "missing"):
            continue
        visible = [c for c in ex.cases if not c.hidden]
        hidden = [c for c in ex.cases if c.hidden]
        for title, cases in (("visible cases (as in your notebook)", visible), ("hidden cases", hidden)):
            if not cases:
                continue
            passed = sum(c.passed for c in cases)
            parts.append(f"<p class='muted'>{title}: {passed}/{len(cases)} passed</p><ul class='cases'>")
            for case in cases:
                if case.passed:
                    parts.append(f"<li class='ok'>✓ {_e(case.label)}</li>")
                    continue
                text = "; ".join(case.feedback)
                parts.append(f"<li><span class='bad'>✗ {_e(case.label)}</span> — {_e(text)}")
                parts += [f"<div class='hint'>→ {_e(h)}</div>" for h in case.hints]
                parts.append("</li>")
            parts.append("</ul>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write(result: SubmissionResult, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(result), encoding="utf-8")
    return path
