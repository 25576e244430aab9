"""The release tooling on a small made-up course: scripts/release.py, scripts/sync_setup_cell.py, nbgrader_config.py.

These tests need no chapter: they build a two-chapter course in a temporary folder (with the real
nbgrader_config.py) and prove that the learner notebooks come out stripped, normalized and
byte-stable, that ``--check`` notices staleness, that the setup cell installs only in Colab, and
that the nbgrader configuration grades the way the course needs (hidden tests not in feedback,
deleted test cells restored, warnings not scored as errors).
"""

from __future__ import annotations

import contextlib
import html
import importlib.util
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course_tools import COURSE, notebook_env, release, sync_setup_cell

nbformat = pytest.importorskip("nbformat")  # the dev extra installs it; this keeps the reason readable

REAL_FIND_SPEC = importlib.util.find_spec
SOLUTION_META = {"grade": False, "solution": True, "locked": False, "grade_id": "double", "schema_version": 3,
                 "task": False}
TEST_META = {"grade": True, "solution": False, "locked": True, "grade_id": "check_double", "points": 2,
             "schema_version": 3, "task": False}


def make_chapter(course: Path, folder: str, name: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(f"# {name}\n\nProse that teaches."),
        nbformat.v4.new_code_cell("def double(x):\n    \"\"\"Twice x.\"\"\"\n    ### BEGIN SOLUTION\n"
                                  "    twice_the_value = x * 2\n    return twice_the_value\n    ### END SOLUTION",
                                  metadata={"nbgrader": SOLUTION_META}),
        nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(1 + 1)",
                                  outputs=[nbformat.v4.new_output("stream", name="stdout", text="2\n")],
                                  execution_count=3),
        nbformat.v4.new_code_cell("assert double(2) == 4\n### BEGIN HIDDEN TESTS\nassert double(21) == 42\n"
                                  "### END HIDDEN TESTS", metadata={"nbgrader": TEST_META}),
    ]
    nb.metadata = {"kernelspec": release.KERNELSPEC, "language_info": {"name": "python", "version": "3.11.7"}}
    path = course / "source" / folder / f"{name}.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nb, path)
    return path


@pytest.fixture
def course(tmp_path):
    course = tmp_path / "autograder"
    course.mkdir()
    shutil.copy2(COURSE / "nbgrader_config.py", course)
    make_chapter(course, "ch01_demo", "01_demo")
    make_chapter(course, "ch02_more", "02_more")
    return course


def run_release(course: Path, notebooks: Path, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = release.main(["--course", str(course), "--notebooks", str(notebooks), *args])
    return code, out.getvalue()


def test_release_strips_solutions_and_outputs_and_is_byte_stable(course, tmp_path):
    notebooks = tmp_path / "notebooks"
    assert run_release(course, notebooks)[0] == 0
    first = {p.name: p.read_bytes() for p in notebooks.iterdir()}
    assert sorted(first) == ["01_demo.ipynb", "02_more.ipynb"]

    text = first["01_demo.ipynb"].decode()
    for secret in ("BEGIN SOLUTION", "twice_the_value", "HIDDEN TESTS", "double(21)", "NBVAL_CHECK_OUTPUT"):
        assert secret not in text
    nb = nbformat.reads(text, as_version=4)
    assert all(c.outputs == [] and c.execution_count is None for c in nb.cells if c.cell_type == "code")
    assert nb.metadata == {"kernelspec": release.KERNELSPEC, "language_info": {"name": "python"}}
    stub = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "double")
    assert "raise NotImplementedError()" in stub.source and '"""Twice x."""' in stub.source
    test = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "check_double")
    assert test.source == "assert double(2) == 4" and test.metadata["nbgrader"]["checksum"]

    # A second build (sources already synced) writes nothing and gives the same bytes.
    code, printed = run_release(course, notebooks)
    assert code == 0 and "wrote" not in printed
    assert {p.name: p.read_bytes() for p in notebooks.iterdir()} == first
    shutil.rmtree(notebooks)
    run_release(course, notebooks)
    assert {p.name: p.read_bytes() for p in notebooks.iterdir()} == first


def test_check_reports_stale_missing_and_orphaned_notebooks(course, tmp_path):
    notebooks = tmp_path / "notebooks"
    code, printed = run_release(course, notebooks, "--check")
    assert code == 1 and "setup/badge cells out of sync" in printed and "missing:" in printed
    run_release(course, notebooks)
    assert run_release(course, notebooks, "--check") == (0, "notebooks/ is up to date (2 notebooks)\n")

    first = notebooks / "01_demo.ipynb"
    first.write_text(first.read_text().replace("Prose that", "Prose, that"))
    (notebooks / "07_gone.ipynb").write_text("{}")
    source = course / "source" / "ch02_more" / "02_more.ipynb"
    nb = nbformat.read(source, as_version=4)
    nb.cells[1].source = nb.cells[1].source.replace("Prose", "Better prose")
    nbformat.write(nb, source)
    code, printed = run_release(course, notebooks, "--check")
    assert code == 1
    assert "stale:" in printed and "01_demo.ipynb" in printed and "02_more.ipynb" in printed
    assert "no source for:" in printed and "07_gone.ipynb" in printed
    # One chapter, by number: only it is looked at.
    (notebooks / "07_gone.ipynb").unlink()
    run_release(course, notebooks, "2")
    code, printed = run_release(course, notebooks, "--check", "02")
    assert code == 0, printed


def test_sync_puts_badge_first_and_setup_before_the_first_code_cell(course):
    path = course / "source" / "ch01_demo" / "01_demo.ipynb"
    assert sync_setup_cell.sync_file(path) is True
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source == sync_setup_cell.badge_source(path.name)
    assert "https://colab.research.google.com/github/" in nb.cells[0].source
    assert nb.cells[0].source.endswith("/blob/main/notebooks/01_demo.ipynb)")
    assert nb.cells[1].source.startswith("# 01_demo")  # the title stays above the setup cell
    assert nb.cells[2].cell_type == "code" and nb.cells[2].source == sync_setup_cell.setup_source()
    assert nb.cells[2].metadata["nbgrader"]["locked"] is True and nb.cells[2].id == sync_setup_cell.SETUP_ID
    assert sync_setup_cell.sync_file(path) is False  # idempotent
    before = path.read_bytes()

    # An edited (or outdated) setup cell is put back; nothing else moves.
    nb.cells[2].source = "print('my own setup')"
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="x\n")]
    nbformat.write(nb, path)
    assert sync_setup_cell.sync_file(path, check=True) is True
    assert sync_setup_cell.main(["--check", "--source", str(course / "source")]) == 1
    assert sync_setup_cell.main(["--source", str(course / "source")]) == 0
    assert path.read_bytes() == before
    assert sync_setup_cell.main(["--check", "--source", str(course / "source")]) == 0


def test_one_place_names_the_repository():
    repo = sync_setup_cell.github_repo()
    assert repo.count("/") == 1
    assert 'f"tinygrad_lessons @ git+{REPOSITORY}@main"' in sync_setup_cell.setup_source()
    assert f'REPOSITORY = "https://github.com/{repo}"' in sync_setup_cell.setup_source()
    assert sync_setup_cell.colab_url("01_tensors.ipynb") in sync_setup_cell.badge_source("01_tensors.ipynb")


def run_setup(monkeypatch, source: str | None = None, installed: bool = True, **env: str) -> tuple[str, list, dict]:
    """Run the setup cell here, with subprocess.run recorded instead of run."""
    for name in ("COLAB_RELEASE_TAG", "NBGRADER_EXECUTION"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    calls = []

    def fake_run(args, **kwargs):
        calls.append(args)
        return subprocess.CompletedProcess(args, 0, "", "")

    monkeypatch.setattr(subprocess, "run", fake_run)
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "tinygrad_lessons" and not installed
                        else REAL_FIND_SPEC(name, *a))
    out = io.StringIO()
    namespace: dict = {}
    with contextlib.redirect_stdout(out):
        exec(compile(source or sync_setup_cell.setup_source(), "<setup cell>", "exec"), namespace)
    return out.getvalue(), calls, namespace


def test_setup_cell_installs_only_in_colab(monkeypatch):
    printed, calls, ns = run_setup(monkeypatch, installed=False)
    assert calls == []  # JupyterLab, CI: never installs
    assert ns["device"] in ("cpu", "cuda") and "device = " in printed
    assert "tinygrad_lessons " in printed and "Python " in printed and "NumPy " in printed
    assert "GPU" in printed

    printed, calls, _ = run_setup(monkeypatch, installed=False, COLAB_RELEASE_TAG="release-colab_2026")
    assert len(calls) == 1 and calls[0][1:4] == ["-m", "pip", "install"]
    assert calls[0][-1] == f"tinygrad_lessons @ git+https://github.com/{sync_setup_cell.github_repo()}@main"

    _, calls, _ = run_setup(monkeypatch, installed=True, COLAB_RELEASE_TAG="x")  # already there: rerun is quick
    assert calls == []
    _, calls, _ = run_setup(monkeypatch, installed=False, COLAB_RELEASE_TAG="x", NBGRADER_EXECUTION="autograde")
    assert calls == []


def test_setup_cell_picks_cuda_when_the_library_says_so(monkeypatch):
    import tinygrad_lessons as tl

    class FakeCuda:
        is_available = staticmethod(lambda: True)
        get_device_name = staticmethod(lambda i=0: "Test GPU")

    monkeypatch.setattr(tl, "cuda", FakeCuda, raising=False)
    printed, _, ns = run_setup(monkeypatch)
    assert ns["device"] == "cuda" and "GPU: Test GPU" in printed
    monkeypatch.delattr(tl, "cuda", raising=False)  # before tl.cuda existed: the CPU
    printed, _, ns = run_setup(monkeypatch)
    assert ns["device"] == "cpu" and "no GPU" in printed


def test_setup_cell_warns_on_unsupported_versions(monkeypatch):
    import numpy as np

    printed, _, _ = run_setup(monkeypatch)
    assert "⚠" not in printed
    monkeypatch.setattr(np, "__version__", "1.21.6")
    printed, _, _ = run_setup(monkeypatch)
    assert "⚠ This course is tested with NumPy >=1.26, <2.6; you have NumPy 1.21.6" in printed
    monkeypatch.setattr(np, "__version__", "2.6.0rc1")
    assert "⚠" in run_setup(monkeypatch)[0]
    future = sync_setup_cell.setup_source().replace("sys.version_info[:2] < (3, 10)", "sys.version_info[:2] < (99, 0)")
    assert "⚠ This course needs Python ≥ 3.10" in run_setup(monkeypatch, future)[0]


def test_nbgrader_config():
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(COURSE)).load_config()
    assert config.CourseDirectory.course_id == "tinygrad_lessons"
    assert config.CourseDirectory.db_url == f"sqlite:///{COURSE / 'gradebook.db'}"
    assert config.OverwriteCells.add_missing_cells is True
    assert "ClearHiddenTests" in [p.__name__ for p in config.GenerateFeedback.preprocessors]
    ignored = (COURSE / ".gitignore").read_text().split()
    for runtime in ("/release/", "/submitted/", "/autograded/", "/feedback/", "/gradebook.db"):
        assert runtime in ignored


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args, "--log-level=WARN"], cwd=course,
                            env=notebook_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_autograde_and_feedback_with_the_course_config(course):
    """The instructor's round trip: hidden tests count but never show; deleted tests come back; warnings don't cost."""
    nbgrader(course, "generate_assignment", "ch01_demo", "--force")
    released = nbformat.read(course / "release" / "ch01_demo" / "01_demo.ipynb", as_version=4)

    def submit(student: str, body: str | None, drop_test: bool = False) -> None:
        nb = nbformat.from_dict(json.loads(json.dumps(released)))
        solution = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "double")
        if body is not None:
            solution.source = "def double(x):\n" + body
        if drop_test:
            nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "check_double"]
        path = course / "submitted" / student / "ch01_demo" / "01_demo.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)

    submit("alice", "    return 4 if x == 2 else 0")                       # passes the visible test only
    submit("bob", "    return 4 if x == 2 else 0", drop_test=True)         # ... and deletes the test cell
    submit("carol", "    import warnings\n    warnings.warn('noisy', UserWarning)\n    return 2 * x")  # right
    nbgrader(course, "autograde", "ch01_demo", "--force")
    nbgrader(course, "generate_feedback", "ch01_demo", "--force")

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        scores = {s: gb.find_submission("ch01_demo", s).score for s in ("alice", "bob", "carol")}
    assert scores == {"alice": 0, "bob": 0, "carol": 2}
    bob = nbformat.read(course / "autograded" / "bob" / "ch01_demo" / "01_demo.ipynb", as_version=4)
    assert any(c.metadata.get("nbgrader", {}).get("grade_id") == "check_double" for c in bob.cells)
    for student in ("alice", "carol"):
        page = (course / "feedback" / student / "ch01_demo" / "01_demo.html").read_text()
        shown = html.unescape(re.sub(r"<[^>]+>", "", page))
        assert "assert double(2) == 4" in shown
        assert "double(21)" not in shown and "HIDDEN TESTS" not in shown


def test_sync_adopts_an_authors_setup_placeholder(course):
    path = course / "source" / "ch01_demo" / "01_demo.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell("# SETUP\nimport tinygrad_lessons as tl"))
    nbformat.write(nb, path)
    sync_setup_cell.sync_file(path)
    nb = nbformat.read(path, as_version=4)
    setups = [c for c in nb.cells if c.cell_type == "code" and "import tinygrad_lessons as tl" in c.source]
    assert len(setups) == 1 and setups[0].source == sync_setup_cell.setup_source()
    assert [c.cell_type for c in nb.cells[:3]] == ["markdown", "code", "markdown"]  # badge, setup (kept in place)
