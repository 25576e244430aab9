"""Every chapter under autograder/source/: its committed release, its checks, and its execution under nbval.

For each chapter (an nbgrader assignment ``autograder/source/chNN_name/NN_name.ipynb``):

- ``notebooks/NN_name.ipynb`` is exactly what ``scripts/release.py`` (``nbgrader generate_assignment``)
  makes from the source, and holds no solution and no hidden test;
- the badge and setup cells are the shared ones (``scripts/sync_setup_cell.py``);
- run by nbgrader's ``Validator``, every graded check cell FAILS on the released stubs (with the
  check's AssertionError, not an import error) and PASSES on the source's solutions;
- the source executes under ``pytest --nbval-lax`` (outputs marked ``# NBVAL_CHECK_OUTPUT`` must
  match), once on the CPU and once on the simulated CUDA device.

Each notebook is executed once per kind of run, one test per (chapter, run): xdist spreads them.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from course_tools import (
    NOTEBOOKS,
    ROOT,
    built_release,
    chapters,
    is_test_cell,
    notebook_env,
    solution_lines,
    source_notebook,
    sync_setup_cell,
    text,
    validate,
)

nbformat = pytest.importorskip("nbformat")

CHAPTERS = chapters()
each_chapter = pytest.mark.parametrize(
    "chapter", CHAPTERS or [pytest.param(None, marks=pytest.mark.skip(reason="no chapter under autograder/source/"))]
)
RELEASE_HINT = "\nrun: python scripts/release.py   (then commit notebooks/)"


def released(chapter: str):
    path = NOTEBOOKS / source_notebook(chapter).name
    assert path.exists(), f"{path.relative_to(ROOT)} is missing" + RELEASE_HINT
    return path


@each_chapter
def test_release_is_what_nbgrader_makes_from_the_source(chapter):
    path = released(chapter)
    assert path.read_text(encoding="utf-8") == built_release()[path.name], \
        f"{path.relative_to(ROOT)} differs from its source" + RELEASE_HINT


def test_every_released_notebook_has_a_source():
    names = {source_notebook(c).name for c in CHAPTERS}
    orphans = [p.name for p in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")) if p.name not in names]
    assert not orphans, f"notebooks/ without a source in autograder/source/: {orphans}"


@each_chapter
def test_release_holds_no_solution_and_no_hidden_test(chapter):
    release_text = released(chapter).read_text(encoding="utf-8")
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "check_hidden"):
        assert marker not in release_text, f"the release contains {marker!r}"
    release_nb = nbformat.reads(release_text, as_version=4)
    release_lines = {line.strip() for cell in release_nb.cells for line in text(cell.source).split("\n")}
    leaked = solution_lines(nbformat.read(source_notebook(chapter), as_version=4)) & release_lines
    assert not leaked, f"solution or hidden-test lines in the release: {sorted(leaked)}"
    assert all(not c.get("outputs") for c in release_nb.cells), "the release has stored outputs"


@each_chapter
def test_badge_and_setup_cells_are_the_shared_ones(chapter):
    source = source_notebook(chapter)
    assert not sync_setup_cell.sync_file(source, check=True), \
        f"{source.relative_to(ROOT)}: badge/setup cells out of sync\nrun: python scripts/release.py"
    nb = nbformat.read(released(chapter), as_version=4)
    assert nb.cells[0].cell_type == "markdown"
    assert nb.cells[0].source == sync_setup_cell.badge_source(source.name)
    assert sync_setup_cell.colab_url(source.name) in nb.cells[0].source
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert first_code.source == sync_setup_cell.setup_source()
    assert first_code.metadata["nbgrader"]["locked"] is True


def _failures_by_cell(nb, results: dict) -> dict[str, str]:
    """{test cell's grade_id: the error Validator reported for it}."""
    failed = {f["source"]: f.get("raw_error", f.get("error", "")) for f in results.get("failed", [])}
    return {c.metadata.nbgrader.grade_id: failed[c.source.strip()] for c in nb.cells
            if is_test_cell(c) and c.source.strip() in failed}


@each_chapter
def test_every_check_fails_on_the_released_stub(chapter):
    nb, results = validate(released(chapter))
    assert "changed" not in results, f"locked cells edited in the release (checksums differ): {results['changed']}"
    tests = [c.metadata.nbgrader.grade_id for c in nb.cells if is_test_cell(c)]
    assert len(tests) >= 3, f"a chapter has at least three graded exercises; found test cells {tests}"
    failures = _failures_by_cell(nb, results)
    passing = [t for t in tests if t not in failures]
    assert not passing, f"graded cells that PASS on the untouched stub (a test that cannot fail): {passing}"
    not_the_check = {t: e for t, e in failures.items() if "AssertionError" not in e}
    assert not not_the_check, "graded cells that fail for another reason than the check's AssertionError:\n" + \
        "\n".join(f"--- {t}\n{e[-1500:]}" for t, e in not_the_check.items())


@each_chapter
def test_every_check_passes_on_the_source_solution(chapter):
    nb, results = validate(source_notebook(chapter))
    names = {c.source.strip(): c.metadata.nbgrader.grade_id for c in nb.cells if is_test_cell(c)}
    failed = [f"--- {names.get(f['source'], f['source'][:200])}\n{f.get('raw_error', '')[-1500:]}"
              for f in results.get("failed", [])]
    assert not failed, "graded cells that fail on the solution:\n" + "\n".join(failed)
    assert not results, results


def _simulated_cuda_works() -> bool:
    probe = "import tinygrad_lessons as tl; c = getattr(tl, 'cuda', None); print(bool(c and c.is_available()))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         env=notebook_env(TINYGRAD_LESSONS_SIMULATE_CUDA="1"))
    return out.stdout.strip() == "True"


@each_chapter
@pytest.mark.parametrize("device", ["cpu", "simulated-cuda"])
def test_source_runs_under_nbval(chapter, device):
    extra = {"TINYGRAD_LESSONS_SIMULATE_CUDA": "1"} if device == "simulated-cuda" else {}
    if extra and not _simulated_cuda_works():
        pytest.skip("the library has no simulated CUDA device yet (TINYGRAD_LESSONS_SIMULATE_CUDA)")
    path = source_notebook(chapter)
    command = [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "--nbval-cell-timeout=120",
               "-p", "no:cacheprovider", "-q", "--no-header", "-o", "addopts=", str(path)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=notebook_env(**extra), timeout=900)
    summary = result.stdout.strip().splitlines()[-1:] or [""]
    assert result.returncode == 0, f"nbval on {path.relative_to(ROOT)} ({device}) failed:\n" + \
        result.stdout[-6000:] + result.stderr[-2000:]
    assert re.search(r"\d+ passed", summary[0]), result.stdout[-2000:]
