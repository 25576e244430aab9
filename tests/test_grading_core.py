"""The checking library itself: plain data, comparison, reports, the guard, and saved implementations."""

from __future__ import annotations

import json
import math
import sys
import types
import warnings
from pathlib import Path

import numpy as np
import pytest

import tinygrad_lessons as tl
from tinygrad_lessons import creation
from tinygrad_lessons.grading import (
    A,
    Case,
    Exercise,
    ForbiddenCall,
    Hint,
    Seed,
    T,
    check,
    check_hidden,
    compare,
    evaluate,
    forbid,
    to_plain,
    use_mine,
    use_reference,
)
from tinygrad_lessons.grading import mine as mine_module
from tinygrad_lessons.grading.cases import run_case
from tinygrad_lessons.grading.exercises import get_exercise, reference_file
from tinygrad_lessons.grading.plain import ErrorResult
from tinygrad_lessons.grading.report import CaseResult, print_report

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _course_env(monkeypatch, tmp_path):
    monkeypatch.setenv("TL_MINE_DIR", str(tmp_path / "mine"))
    monkeypatch.setenv("TL_REFERENCE_DIR", str(ROOT / "autograder" / "reference"))
    yield
    use_reference(quiet=True)


# ====================================================================== plain
def test_plain_tensor_describes_everything():
    base = tl.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    plain = to_plain(base.T, inputs=[base])
    assert plain == {"kind": "tensor", "shape": [3, 2], "dtype": "float32", "device": "cpu", "strides": [1, 3],
                     "values": [[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]], "requires_grad": False, "shares_input": 0}
    assert to_plain(base.clone(), inputs=[base])["shares_input"] is None
    assert to_plain(base[1], inputs=[tl.tensor([0.0]), base])["shares_input"] == 1
    json.dumps(plain)


def test_plain_nan_and_inf_are_json_strings():
    plain = to_plain(tl.tensor([math.nan, math.inf, -math.inf, 1.5]))
    assert plain["values"] == ["nan", "inf", "-inf", 1.5]
    assert to_plain(math.nan) == {"kind": "float", "value": "nan"}
    json.dumps(plain, allow_nan=False)


def test_plain_scalars_errors_containers_and_dtypes():
    assert to_plain(True) == {"kind": "bool", "value": True}
    assert to_plain(np.int32(3)) == {"kind": "int", "value": 3}
    assert to_plain(np.float32(0.5)) == {"kind": "float", "value": 0.5}
    assert to_plain(None) == {"kind": "none"}
    assert to_plain(tl.int64) == {"kind": "dtype", "value": "int64"}
    assert to_plain(np.dtype("int64")) == {"kind": "numpy_dtype", "value": "int64"}
    assert to_plain(ErrorResult(ValueError("bad"))) == {"kind": "error", "type": "ValueError", "message": "bad"}
    one, two = {"kind": "int", "value": 1}, {"kind": "int", "value": 2}
    assert to_plain([1, (2,)]) == {"kind": "list", "items": [one, {"kind": "tuple", "items": [two]}]}
    array = to_plain(np.arange(6, dtype=np.int32).reshape(2, 3)[:, ::2])
    assert array["kind"] == "array" and array["strides"] == [3, 2] and array["values"] == [[0, 2], [3, 5]]


def test_plain_torch_tensor_by_duck_typing():
    torch = pytest.importorskip("torch")
    base = torch.tensor([[1, 2], [3, 4]])
    plain = to_plain(base.t(), inputs=[base])
    assert plain == {"kind": "tensor", "shape": [2, 2], "dtype": "int64", "device": "cpu", "strides": [1, 2],
                     "values": [[1, 3], [2, 4]], "requires_grad": False, "shares_input": 0}
    assert to_plain(torch.float16) == {"kind": "dtype", "value": "float16"}


class AlwaysEqual:
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


class LyingInt(int):
    def __eq__(self, other):
        return True

    __hash__ = int.__hash__


def test_an_always_equal_object_never_passes():
    expected = to_plain(tl.tensor([1.0, 2.0]))
    got = to_plain(AlwaysEqual())
    assert got == {"kind": "object", "type": "AlwaysEqual"}
    assert compare(expected, got)
    assert compare(got, got)  # not even against itself
    assert compare(to_plain(3), to_plain(LyingInt(4))) == ["expected an int (3), got an int (4)"]


# ====================================================================== compare
def _t(values, dtype="float32"):
    return to_plain(tl.tensor(values, dtype=getattr(tl, dtype)))


def test_compare_says_shape_dtype_and_first_differing_value():
    assert compare(_t([1.0, 2.0]), _t([[1.0, 2.0]])) == ["shape: expected (2,), got (1, 2)"]
    assert compare(_t([1, 2], "int64"), _t([1, 2], "int32")) == ["dtype: expected tl.int64, got tl.int32"]
    assert compare(_t([[1.0, 2.0], [3.0, 4.0]]), _t([[1.0, 2.0], [3.5, 4.5]])) == [
        "values: expected 3.0 at [1, 0], got 3.5 (2 of 4 elements differ)"]
    assert compare(_t(2.0), _t(3.0)) == ["values: expected 2.0, got 3.0"]


def test_compare_tolerance_and_nan():
    assert compare(_t([1.0]), _t([1.0 + 1e-7])) == []
    assert compare(_t([1.0]), _t([1.001])) != []
    assert compare(_t([1.0]), _t([1.001]), {"rtol": 1e-2}) == []
    assert compare(_t([math.nan, 1.0]), _t([math.nan, 1.0])) == []
    assert compare(_t([math.nan]), _t([0.0])) == ["values: expected nan at [0], got 0.0"]
    assert compare(_t([math.inf]), _t([1e38])) != []
    assert compare(to_plain(math.nan), to_plain(math.nan)) == []


def test_compare_strides_memory_requires_grad_device():
    base = tl.tensor([[1.0, 2.0], [3.0, 4.0]])
    view, copy = to_plain(base.T, [base]), to_plain(base.T.contiguous(), [base])
    assert compare(view, copy, {"memory": False}) == []
    assert compare(view, copy, {"memory": False, "strides": True}) == ["strides: expected (1, 2), got (2, 1)"]
    assert compare(view, copy) == ["memory: expected a view of argument 0 (sharing its memory), got a copy"]
    assert compare(copy, view, {"memory": True})[0].startswith("memory: expected new memory, got a result that shares")
    grad = to_plain(tl.tensor([1.0], requires_grad=True))
    assert compare(_t([1.0]), grad) == ["requires_grad: expected False, got True"]
    assert compare(_t([1.0]), grad, {"requires_grad": False}) == []
    elsewhere = dict(_t([1.0]), device="cuda:0")
    assert compare(_t([1.0]), elsewhere) == ["device: expected cpu, got cuda:0"]
    empty = to_plain(tl.zeros(0, 3))
    assert compare(empty, dict(empty, strides=[0, 0]), {"strides": True}) == []  # strides of nothing


def test_compare_errors_kinds_and_items():
    err = to_plain(ErrorResult(ValueError("expected sequence of length 2 at dim 1 (got 1)")))
    assert compare(err, to_plain(ErrorResult(ValueError("other words")))) == []
    assert compare(err, to_plain(ErrorResult(ValueError("other words"))), {"messages": True}) == [
        "right error type, but the message should be 'expected sequence of length 2 at dim 1 (got 1)', "
        "got 'other words'"]
    assert compare(err, to_plain(ErrorResult(TypeError("x")))) == [
        "expected ValueError: expected sequence of length 2 at dim 1 (got 1), got TypeError: x"]
    assert compare(to_plain(1.0), to_plain(1)) == ["expected a float (1.0), got an int (1)"]
    assert compare(to_plain(True), to_plain(1)) == ["expected a bool (True), got an int (1)"]
    assert compare(to_plain((1, 2)), to_plain([1, 2])) == []
    assert compare(to_plain((1, 2)), to_plain((1,))) == ["expected 2 items, got 1"]
    assert compare(to_plain((1, 2.0)), to_plain((1, 3.0))) == ["item 1: expected 2.0, got 3.0"]
    assert compare(to_plain(tl.float32), to_plain("float32")) == ["expected tl.float32, got the string 'float32'"]


# ====================================================================== report
def test_report_lines_summary_and_assertion(capsys):
    results = [CaseResult("first"), CaseResult("second", ["values: expected 1, got 2"], ["a hint"])]
    with pytest.raises(AssertionError, match=r"ch9.demo: 1 of 2 cases failed — see the ✗ lines above"):
        print_report("ch9.demo", results, 2)
    out, err = capsys.readouterr()
    assert out == ("ch9.demo — 2 cases\n  ✓ first\n  ✗ second — values: expected 1, got 2\n    → a hint\n"
                   "1/2 passed\n")
    assert err == ""
    assert print_report("ch9.demo", results, 2, quiet=True) is False
    assert capsys.readouterr().out == ""


def test_report_of_the_stub(capsys):
    with pytest.raises(AssertionError, match="not implemented yet"):
        print_report("ch9.demo", None, 3)
    assert capsys.readouterr().out == ("ch9.demo — 3 cases\n  ✗ not implemented yet: replace "
                                       "`raise NotImplementedError()` with your code\n0/3 passed\n")


# ====================================================================== guard
def test_forbid_covers_every_name_and_restores():
    original = creation.full_like
    t = tl.zeros(2)
    with forbid("tinygrad_lessons.creation.full_like", what="full_like") as guard:
        for call in (lambda: tl.full_like(t, 1.0), lambda: creation.full_like(t, 1.0)):
            with pytest.raises(ForbiddenCall, match="write full_like yourself; don't call tl.full_like"):
                call()
    assert guard.calls == ["tl.full_like", "tl.full_like"]
    assert tl.full_like is original and creation.full_like is original
    assert tl.full_like(t, 1.0).tolist() == [1.0, 1.0]


def test_forbid_covers_tensor_methods():
    original = tl.Tensor.split
    with forbid("tinygrad_lessons.shape_ops.split", what="batches") as guard:
        with pytest.raises(ForbiddenCall, match="don't call tl.split / Tensor.split"):
            tl.arange(4).split(2)
        with pytest.raises(ForbiddenCall):
            tl.split(tl.arange(4), 2)
    assert len(guard.calls) == 2
    assert tl.Tensor.split is original and tl.split is original


def test_forbid_restores_when_the_body_raises():
    original = tl.Tensor.new_full
    with pytest.raises(ZeroDivisionError), forbid("tinygrad_lessons.Tensor.new_full"):
        assert tl.Tensor.new_full is not original
        raise ZeroDivisionError
    assert tl.Tensor.new_full is original


def test_forbid_catches_names_imported_into_the_learner_namespace():
    original = tl.full_like
    namespace = {"full_like": original, "unrelated": tl.zeros}
    with forbid("tinygrad_lessons.creation.full_like", namespaces=[namespace]):
        assert namespace["full_like"] is not original
        with pytest.raises(ForbiddenCall):
            namespace["full_like"](tl.zeros(1), 1.0)
        assert namespace["unrelated"] is tl.zeros
    assert namespace["full_like"] is original


def test_forbid_skips_targets_the_library_no_longer_has():
    with forbid("tinygrad_lessons.creation.no_such_function") as guard:
        pass
    assert guard.calls == []


def test_a_swallowed_forbidden_call_still_fails():
    def sneaky(t, value, dtype=None):
        try:
            return tl.full_like(t, value, dtype=dtype)
        except Exception:
            return tl.tensor(np.full(tuple(t.shape), value), dtype=dtype or t.dtype)

    ex = get_exercise("ch1.full_like")
    results = evaluate(ex, sneaky, [(c, ex.expected(c)) for c in ex.visible])
    assert all("don't call tl.full_like" in r.problems[0] for r in results)


def test_the_reference_solution_itself_is_forbidden():
    ex = get_exercise("ch1.infer_dtype")
    namespace_fn = eval("lambda data: ref(data)", {"ref": ex.reference})  # as if imported into a notebook
    results = evaluate(ex, namespace_fn, [(c, ex.expected(c)) for c in ex.visible])
    assert all("don't call the course's reference solution" in r.problems[0] for r in results)


# ====================================================================== cases
def test_cases_round_trip_through_json():
    case = Case((T([[1, 2], [3, 4]], "int64", permute=(1, 0)), A([1.5, math.nan], "float32"), (1, [2.0]),
                 tl.int32, Seed(3), math.inf), {"flag": True}, label="demo", default_dtype="float64")
    again = Case.from_json(json.loads(json.dumps(case.to_json(), allow_nan=False)))
    assert again.to_json() == case.to_json()
    args, kwargs = again.build()
    assert to_plain(args[0])["strides"] == [1, 2] and args[0].dtype is tl.int64
    assert args[1].dtype == np.float32 and math.isnan(args[1][1])
    assert args[2] == (1, [2.0]) and args[3] is tl.int32 and args[4] == 3 and args[5] == math.inf
    assert kwargs == {"flag": True} and again.seed.n == 3 and again.default_dtype == "float64"


def test_cases_build_fresh_inputs_and_torch_counterparts():
    case = Case((T([1.0, 2.0, 3.0, 4.0], shape=(2, 2), slice=[[None, None, 1], [1, None, None]], requires_grad=True),))
    (first,), _ = case.build()
    (second,), _ = case.build()
    assert first is not second and not np.shares_memory(first._data, second._data)
    assert first.shape == (2, 1) and first.requires_grad
    torch = pytest.importorskip("torch")
    (theirs,), _ = case.build(torch=torch)
    assert isinstance(theirs, torch.Tensor) and theirs.stride() == first.stride() == (2, 1)


def test_run_case_fixes_defaults_and_restores_the_notebooks():
    ex = get_exercise("ch1.infer_dtype")
    tl.set_default_dtype(tl.float64)
    try:
        assert run_case(ex, ex.reference, Case(([1.5],)), guarded=False).plain == {"kind": "dtype", "value": "float32"}
        assert tl.get_default_dtype() is tl.float64
    finally:
        tl.set_default_dtype(tl.float32)


# ====================================================================== nothing on stderr
def test_checks_write_nothing_to_stderr(capfd):
    def noisy(data):
        warnings.warn("a warning inside a check", UserWarning, stacklevel=1)
        print("learner's debug output", file=sys.stderr)
        np.float32(1.0) / np.float32(0.0)  # a NumPy RuntimeWarning
        return tl.get_default_dtype()

    with pytest.raises(AssertionError):
        check("ch1.infer_dtype", noisy)
    with pytest.raises(AssertionError):
        check_hidden("ch1.infer_dtype", noisy)
    out, err = capfd.readouterr()
    assert err == ""
    assert "learner's debug output" in out and "✗" in out


def test_check_hidden_finds_the_course_directory(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("TL_REFERENCE_DIR")
    course = tmp_path / "course"
    (course / "reference").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text("c = get_config()\n")
    (course / "reference" / "ch1.json").write_text((ROOT / "autograder/reference/ch1.json").read_text())
    notebook_dir = course / "autograded" / "student" / "ch01_tensors"
    notebook_dir.mkdir(parents=True)
    monkeypatch.chdir(notebook_dir)
    assert reference_file(1) == course / "reference" / "ch1.json"
    ref = get_exercise("ch1.float_limits").reference
    solution = types.FunctionType(ref.__code__, ref.__globals__, "float_limits")  # the reference itself is forbidden
    check_hidden("ch1.float_limits", solution)
    assert "no reference file" not in capsys.readouterr().out
    monkeypatch.chdir(tmp_path)
    assert reference_file(1) is None
    check_hidden("ch1.float_limits", solution)
    assert "(no reference file found: expected outputs computed from the reference solution)" in \
        capsys.readouterr().out


# ====================================================================== mine
def test_a_saved_function_that_needs_notebook_helpers_is_not_used(tmp_path, capsys):
    mine_source = (
        "def infer_dtype(data):\n"
        "    SPY.append(data)\n"
        "    return REF(data)\n"
    )
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "ch1.infer_dtype.py").write_text(mine_source)
    ex = get_exercise("ch1.infer_dtype")
    fn, why = mine_module.load(ex)
    assert fn is not None and why == ""
    # the saved function needs helpers its file doesn't have: it fails its re-check, the reference stays
    assert use_mine(1) == {"ch1.infer_dtype": False}
    assert "using the reference infer_dtype (tl.creation.infer_dtype): yours fails case" in capsys.readouterr().out
    assert "SPY" not in creation.infer_dtype.__code__.co_names


def test_check_saves_then_use_mine_plugs_in_then_use_reference_restores(tmp_path, capsys):
    original = creation.infer_dtype
    check("ch1.infer_dtype", my_infer_dtype_standalone)
    saved = tmp_path / "mine" / "ch1.infer_dtype.py"
    assert saved.is_file() and "def my_infer_dtype_standalone" in saved.read_text()
    saved.write_text(saved.read_text().replace("def my_infer_dtype_standalone", "def infer_dtype"))
    assert use_mine(1) == {"ch1.infer_dtype": True}
    assert "using your infer_dtype (ch1.infer_dtype) as tl.creation.infer_dtype" in capsys.readouterr().out
    assert creation.infer_dtype is not original
    assert tl.tensor([1, 2.5]).dtype is tl.float32 and tl.tensor([True]).dtype is tl.bool
    assert tl.tensor([np.float64(1.0)]).dtype is tl.float64  # NumPy scalars still go to the library's
    with pytest.raises(ValueError, match=r"expected sequence of length 2 at dim 1 \(got 1\)"):
        tl.tensor([[1, 2], [3]])
    use_reference()
    assert creation.infer_dtype is original
    assert "using the reference implementations" in capsys.readouterr().out


def my_infer_dtype_standalone(data):
    shape = []
    probe = data
    while isinstance(probe, (list, tuple)):
        shape.append(len(probe))
        if not probe:
            break
        probe = probe[0]
    seen = set()

    def visit(x, dim):
        if dim == len(shape):
            seen.add(type(x))
            return
        if len(x) != shape[dim]:
            raise ValueError(f"expected sequence of length {shape[dim]} at dim {dim} (got {len(x)})")
        for item in x:
            visit(item, dim + 1)

    visit(data, 0)
    if not seen or float in seen:
        return tl.get_default_dtype()
    return tl.int64 if int in seen else tl.bool


def test_use_mine_without_a_saved_function_keeps_the_reference(capsys):
    original = creation.infer_dtype
    assert use_mine(1) == {"ch1.infer_dtype": False}
    assert capsys.readouterr().out == ("using the reference infer_dtype (tl.creation.infer_dtype): no saved "
                                       "implementation of yours (it is saved when its check passes)\n")
    assert creation.infer_dtype is original


def test_saving_can_be_switched_off(monkeypatch, tmp_path):
    monkeypatch.setenv("TL_MINE_DIR", "off")
    assert mine_module.save(get_exercise("ch1.infer_dtype"), my_infer_dtype_standalone) is None
    assert mine_module.mine_dir() is None


def test_hints_only_when_their_predicate_holds_and_a_broken_one_stays_silent():
    ex = Exercise(name="ch9.double", function="double", reference=lambda x: 2 * x, visible=[Case((2,)), Case((3,))],
                  hints=[Hint(lambda case, e, g: g["value"] == e["value"] + 1, "off by one"),
                         Hint(lambda case, e, g: 1 / 0, "never shown")])
    results = evaluate(ex, lambda x: 2 * x + (x == 3), [(c, ex.expected(c)) for c in ex.visible])
    assert [r.passed for r in results] == [True, False]
    assert results[1].hints == ["off by one"] and results[1].label == "double(3)"


def test_the_library_function_itself_or_hidden_in_defaults_and_closures_fails():
    ex = get_exercise("ch1.full_like")
    pairs = [(c, ex.expected(c)) for c in ex.visible]

    def with_default(t, value, dtype=None, _fill=tl.full_like):
        return _fill(t, value, dtype=dtype)

    def make_closure():
        fill = tl.full_like

        def full_like(t, value, dtype=None):
            return fill(t, value, dtype=dtype)
        return full_like

    for fn in (tl.full_like, with_default, make_closure()):
        results = evaluate(ex, fn, pairs)
        assert all("don't call tl.full_like" in r.problems[0] for r in results), fn
    assert with_default.__defaults__[1] is tl.full_like  # put back
    assert make_closure().__closure__[0].cell_contents is tl.full_like
