"""The graded exercises' expected outputs: up to date, and what PyTorch computes.

``autograder/reference/chN.json`` (hidden cases) is regenerated into a temporary folder and
must match the committed files byte for byte; then every expected output — visible ones
computed live from the reference solutions, hidden ones read from the committed files — is
held against the exercise's ``torch_oracle`` run on the same inputs built for PyTorch.
"""

from __future__ import annotations

import importlib.util
import json
import warnings
from pathlib import Path

import pytest

from tinygrad_lessons.grading import compare, to_plain
from tinygrad_lessons.grading.exercises import all_exercises
from tinygrad_lessons.grading.guard import resolve
from tinygrad_lessons.grading.plain import ErrorResult

torch = pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "autograder" / "reference"


def _gen_module():
    spec = importlib.util.spec_from_file_location("gen_reference", ROOT / "scripts" / "gen_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reference_files_are_up_to_date(tmp_path):
    gen = _gen_module()
    assert gen.main(["--out", str(tmp_path)]) == 0
    written = sorted(p.name for p in tmp_path.glob("ch*.json"))
    assert written, "no chapter has exercises"
    for name in written:
        assert (REFERENCE / name).is_file(), f"{name} is missing: run python scripts/gen_reference.py"
        assert (tmp_path / name).read_text(encoding="utf-8") == (REFERENCE / name).read_text(encoding="utf-8"), \
            f"autograder/reference/{name} is stale: run python scripts/gen_reference.py"
    assert gen.main(["--check", "--out", str(tmp_path)]) == 0


def test_check_mode_reports_stale_files(tmp_path, capsys):
    gen = _gen_module()
    gen.main(["--out", str(tmp_path)])
    first = sorted(tmp_path.glob("ch*.json"))[0]
    first.write_text(first.read_text(encoding="utf-8").replace("float32", "float64", 1), encoding="utf-8")
    assert gen.main(["--check", "--out", str(tmp_path)]) == 1
    assert "stale" in capsys.readouterr().out


def _all_cases():
    params = []
    for ex in all_exercises():
        for i, case in enumerate(ex.visible):
            params.append(pytest.param(ex, case, None, id=f"{ex.name}-visible-{i}"))
        stored = json.loads((REFERENCE / f"ch{ex.chapter}.json").read_text(encoding="utf-8"))
        for i, entry in enumerate(stored["exercises"][ex.name]["cases"]):
            params.append(pytest.param(ex, entry["case"], entry["expected"], id=f"{ex.name}-hidden-{i}"))
    return params


def _torch_plain(ex, case):
    args, kwargs = case.build(torch=torch)
    default = torch.get_default_dtype()
    torch.set_default_dtype(getattr(torch, case.default_dtype or "float32"))
    try:
        if case.seed is not None:
            torch.manual_seed(case.seed.n)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                result = ex.torch_oracle(torch, *args, **kwargs)
            except Exception as error:
                result = ErrorResult(error)
    finally:
        torch.set_default_dtype(default)
    return to_plain(result, args)


@pytest.mark.parametrize(("exercise", "case", "expected"), _all_cases())
def test_expected_output_matches_torch(exercise, case, expected):
    from tinygrad_lessons.grading import Case

    if isinstance(case, dict):
        case = Case.from_json(case)
    if expected is None:
        expected = exercise.expected(case)
    got = _torch_plain(exercise, case)
    assert compare(expected, got, exercise.compare) == [], (expected, got)


@pytest.mark.parametrize("exercise", all_exercises(), ids=lambda ex: ex.name)
def test_exercise_is_complete(exercise):
    """A torch oracle, visible and hidden cases, distinct labels, and targets that exist in the library."""
    assert exercise.torch_oracle is not None
    assert exercise.visible and exercise.hidden
    labels = [c.title(exercise.function) for c in exercise.visible + exercise.hidden]
    assert len(labels) == len(set(labels))
    for target in exercise.forbid + ([exercise.plug_in] if exercise.plug_in else []):
        resolve(target)  # raises LookupError if the library renamed it
