"""Grade collected submissions: recover, run in a sandbox, compare outside it, score.

For each submission (in parallel, one worker thread per core by default — the work itself
happens in sandboxed processes):

1. ``recover.load`` reads the notebook, repairing what it can;
2. ``program.build_program`` picks the learner's solution code (never their test cells);
3. ``sandbox.run`` executes it with the runner (``driver.py``), which calls each exercise's
   function on the visible and hidden cases rebuilt from JSON and prints plain outputs;
4. here, outside the sandbox, the plain outputs are compared with the expected ones (the
   reference function for visible cases, ``reference/chN.json`` for hidden ones) exactly as
   the notebook's ``check`` compares them, and each graded cell of the source notebook gets
   its nbgrader points when every case it checks passes (nbgrader's all-or-nothing per cell).

Nothing a submission does can stop the batch: any failure to grade becomes a result with
``status="error"`` (to review; never a silent 0), and only this process writes results and
the gradebook.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import tempfile
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from . import recover, sandbox
from .course import Course
from .program import SourceNotebook, build_program

DRIVER = Path(__file__).with_name("driver.py")
RESULTS_VERSION = 1

NOT_IMPLEMENTED = "not implemented yet: replace `raise NotImplementedError()` with your code"

# Constructs worth a human look (they do not change the score).
SUSPICIOUS = [
    (re.compile(r"\bsys\._getframe|\binspect\.(currentframe|stack|getouterframes)|\bf_locals\b|\bf_back\b|"
                r"\bgi_frame\b|\bgc\.get_"), "walks the interpreter's frames or objects"),
    (re.compile(r"tinygrad_lessons\.grading|from\s+tinygrad_lessons\s+import\s+[^\n]*\bgrading\b|"
                r"\bgrading\.(guard|cases|compare|plain|exercises)"), "touches the grading library"),
    (re.compile(r"\bctypes\b|\bos\.(kill|killpg|fork|forkpty|_exit|system|exec\w*|setsid|setpgid)\b|"
                r"\bsubprocess\b|\bsignal\.signal\b"), "manipulates processes or signals"),
    (re.compile(r"\bsocket\b|\burllib\b|\brequests\b|\bhttp\.client\b"), "tries to use the network"),
    (re.compile(r"gradebook|nbgrader|reference/ch|/proc/|\.\./"), "looks for course files"),
    (re.compile(r"__builtins__|\bbuiltins\.\w+\s*="), "patches builtins"),
]


@dataclass
class GradeOptions:
    limits: sandbox.Limits = field(default_factory=sandbox.Limits)
    isolation: str = "auto"
    workers: int = 0  # 0: one per core
    tmp_dir: str | None = None
    keep_workdirs: bool = False


@dataclass
class CaseVerdict:
    id: str
    label: str  # visible: the case's title; hidden: "hidden case N"
    hidden: bool
    status: str  # done | timeout | crashed | not run | grader-error
    passed: bool
    problems: list[str] = field(default_factory=list)  # full text (instructor)
    feedback: list[str] = field(default_factory=list)  # what the learner may see
    hints: list[str] = field(default_factory=list)


@dataclass
class ExerciseResult:
    name: str
    function: str
    status: str  # graded | not implemented | missing | timeout | crashed | grader-error
    visible_passed: bool = False
    hidden_passed: bool = False
    cases: list[CaseVerdict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class CellScore:
    grade_id: str
    points: float
    score: float | None
    checks: list[list[str]]


@dataclass
class SubmissionResult:
    student: str
    assignment: str
    notebook: str
    file: str
    status: str  # graded | error
    score: float | None = None
    max_score: float = 0.0
    error: str | None = None
    cells: list[CellScore] = field(default_factory=list)
    exercises: list[ExerciseResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # recovery and run notes, learner-facing
    review: list[str] = field(default_factory=list)  # flags for the instructor
    isolation: dict = field(default_factory=dict)
    statements: list[dict] = field(default_factory=list)  # top-level statements that failed
    stderr_bytes: int = 0
    stdout_tail: str = ""
    wall_s: float = 0.0
    graded_at: str = ""
    version: int = RESULTS_VERSION

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> SubmissionResult:
        data = dict(data)
        data["cells"] = [CellScore(**c) for c in data.get("cells", [])]
        data["exercises"] = [
            ExerciseResult(**{**e, "cases": [CaseVerdict(**c) for c in e.get("cases", [])]})
            for e in data.get("exercises", [])
        ]
        return cls(**data)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=1, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)


def load_result(path: Path) -> SubmissionResult | None:
    try:
        return SubmissionResult.from_json(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, KeyError):
        return None


# ----------------------------------------------------------------------------- expected outputs
@dataclass
class ExerciseSpec:
    """One exercise as the grader needs it: the Exercise object and every case with its expected output."""

    name: str
    exercise: object | None
    function: str
    cases: list[dict]  # {"id", "hidden", "label", "case" (JSON), "expected" (plain), "case_obj"}
    error: str | None = None


def _hidden_pairs(course: Course, exercise) -> tuple[list[tuple[dict, dict]], str | None]:
    """(case JSON, expected plain) for the hidden cases, from reference/chN.json."""
    path = course.reference_dir / f"ch{exercise.chapter}.json"
    note = None
    if path.is_file():
        data = json.loads(path.read_text(encoding="utf-8"))
        entry = data.get("exercises", {}).get(exercise.name)
        if entry is not None:
            return [(e["case"], e["expected"]) for e in entry["cases"]], None
        note = f"{path.name} has no entry for {exercise.name}"
    else:
        note = f"{path} is missing"
    from tinygrad_lessons.grading.exercises import hidden_expected

    return [(e["case"], e["expected"]) for e in hidden_expected(exercise)], \
        note + ": hidden expected outputs computed from the reference solution"


def exercise_specs(course: Course, source: SourceNotebook, warnings: list[str]) -> dict[str, ExerciseSpec]:
    from tinygrad_lessons.grading import get_exercise
    from tinygrad_lessons.grading.cases import Case

    specs = {}
    for name in source.exercises:
        try:
            ex = get_exercise(name)
        except Exception as exc:  # noqa: BLE001 - a course problem: every submission's cell is an error
            specs[name] = ExerciseSpec(name, None, name.split(".")[-1], [], error=f"{type(exc).__name__}: {exc}")
            continue
        cases = []
        for i, case in enumerate(ex.visible):
            cases.append({"id": f"v{i}", "hidden": False, "label": case.title(ex.function), "case": case.to_json(),
                          "expected": ex.expected(case), "case_obj": case})
        pairs, note = _hidden_pairs(course, ex)
        if note:
            warnings.append(note)
        for i, (case_json, expected) in enumerate(pairs):
            cases.append({"id": f"h{i}", "hidden": True, "label": f"hidden case {i + 1}", "case": case_json,
                          "expected": expected, "case_obj": Case.from_json(case_json)})
        specs[name] = ExerciseSpec(name, ex, ex.function, cases)
    return specs


# ----------------------------------------------------------------------------- judging plain outputs
_PREFIXES = {"shape": "wrong shape", "dtype": "wrong dtype", "device": "wrong device", "strides": "wrong strides",
             "values": "wrong values"}


def learner_safe(problem: str, got_plain: dict | None) -> str:
    """A hidden case's difference without the expected value (which would reveal the hidden input)."""
    m = re.match(r"((?:item \d+: )*)(.*)", problem, re.DOTALL)
    where, rest = m.group(1), m.group(2)
    for key, text in _PREFIXES.items():
        if rest.startswith(key):
            return where + text
    if rest.startswith(("memory:", "requires_grad:", "this exercise asks", "your function")):
        return where + rest
    if got_plain is not None and got_plain.get("kind") == "error":
        return where + f"raised {got_plain.get('type')}"
    if rest.startswith("expected "):
        return where + "wrong kind of result"
    return where + "wrong result"


def _hints(exercise, case_obj, expected, got) -> list[str]:
    found: list[str] = []
    for hint in getattr(exercise, "hints", []):
        try:
            applies = hint.when(case_obj, expected, got)
        except Exception:  # noqa: BLE001 - a hint that cannot judge this case stays silent
            applies = False
        if applies and hint.text not in found:
            found.append(hint.text)
    return found


def judge_case(spec: ExerciseSpec, case: dict, run: dict) -> CaseVerdict:
    """The verdict on one case, decided as ``tinygrad_lessons.grading.evaluate`` decides it."""
    from tinygrad_lessons.grading import compare

    status = run.get("status", "not run")
    hidden = case["hidden"]
    verdict = CaseVerdict(id=case["id"], label=case["label"], hidden=hidden, status=status, passed=False)
    if status != "done":
        reason = {"timeout": "timed out", "crashed": "crashed", "not run": "not run",
                  "grader-error": "could not be run (grader problem)"}.get(status, status)
        detail = run.get("error") or ""
        verdict.problems = [f"{reason}{': ' + detail if detail else ''}"]
        verdict.feedback = [f"{reason}{': ' + detail if detail and not hidden else ''}"]
        return verdict
    got = run.get("got") or {}
    plain = got.get("plain") if isinstance(got.get("plain"), dict) else {"kind": "object", "type": "malformed"}
    calls = [str(c) for c in got.get("calls", []) if isinstance(c, str)]
    side_effects = [str(s) for s in got.get("side_effects", []) if isinstance(s, str)]
    ex = spec.exercise
    expected = case["expected"]
    try:
        if calls:
            called = ", ".join(dict.fromkeys(calls))
            problems = [f"this exercise asks you to write {ex.function} yourself; don't call {called}"]
        else:
            problems = compare(expected, plain, ex.compare)
    except Exception as exc:  # noqa: BLE001 - malformed plain data from the sandbox
        problems = [f"the result could not be compared ({type(exc).__name__})"]
    problems += side_effects
    verdict.passed = not problems
    verdict.problems = problems
    verdict.hints = _hints(ex, case["case_obj"], expected, plain) if problems and not calls else []
    verdict.feedback = [learner_safe(p, plain) for p in problems] if hidden else list(problems)
    return verdict


def judge_exercise(spec: ExerciseSpec, run: dict | None) -> ExerciseResult:
    res = ExerciseResult(name=spec.name, function=spec.function, status="graded")
    if spec.error:
        res.status = "grader-error"
        res.notes.append(spec.error)
        return res
    run = run or {"status": "not run", "cases": {}, "notes": []}
    res.notes = [str(n) for n in run.get("notes", [])]
    if run.get("status") == "missing":
        res.status = "missing"
        detail = " ".join(res.notes)
        if detail.startswith("grader:"):
            res.status = "grader-error"
        else:
            res.notes = [f"no function named `{spec.function}` was found in your notebook"
                         if "missing" in detail else f"`{spec.function}` is {detail}"]
        return res
    cases_run = run.get("cases", {})
    verdicts = [judge_case(spec, case, cases_run.get(case["id"], {"status": "not run"})) for case in spec.cases]
    res.cases = verdicts
    if any(v.status == "grader-error" for v in verdicts):
        res.status = "grader-error"
    elif run.get("status") in ("timeout", "crashed"):
        res.status = run["status"]
    # The untouched stub: every case raised NotImplementedError (unless expected to).
    done = [(case, v) for case, v in zip(spec.cases, verdicts) if v.status == "done"]
    stubbed = [
        1 for case, _ in done
        if ((cases_run[case["id"]].get("got") or {}).get("plain") or {}).get("type") == "NotImplementedError"
        and not (case["expected"].get("kind") == "error" and case["expected"].get("type") == "NotImplementedError")
    ]
    if spec.cases and len(stubbed) == len(spec.cases):
        res.status = "not implemented"
        res.notes.insert(0, NOT_IMPLEMENTED)
    visible = [v for v in verdicts if not v.hidden]
    hidden = [v for v in verdicts if v.hidden]
    res.visible_passed = bool(visible) and all(v.passed for v in visible)
    res.hidden_passed = all(v.passed for v in hidden)  # no hidden cases: nothing to fail
    return res


# ----------------------------------------------------------------------------- one submission
def pick_notebook(folder: Path, source: SourceNotebook) -> tuple[Path | None, list[str]]:
    expected = folder / f"{source.notebook}.ipynb"
    if expected.is_file():
        return expected, []
    files = sorted((p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")),
                   key=lambda p: p.stat().st_mtime)
    candidates = [p for p in files if p.suffix == ".ipynb"] or files
    if not candidates:
        return None, []
    return candidates[-1], [f"graded the file {candidates[-1].name!r} (the notebook was renamed)"]


class Grader:
    """Grades submissions of one course with shared expected outputs and a pool of sandbox slots."""

    def __init__(self, course: Course, options: GradeOptions | None = None):
        self.course = course
        self.options = options or GradeOptions()
        self.isolation = sandbox.detect_isolation(self.options.isolation)
        self.workers = self.options.workers or os.cpu_count() or 1
        self.warnings: list[str] = []
        self._specs: dict[str, dict[str, ExerciseSpec]] = {}
        self._slots: queue.Queue[int] = queue.Queue()
        for slot in range(self.workers):
            self._slots.put(slot)
        self._lib_dir = self._library_dir()
        self._lock = threading.Lock()

    # -- setup
    @staticmethod
    def _library_dir() -> Path:
        import tinygrad_lessons

        return Path(tinygrad_lessons.__file__).resolve().parent

    def specs(self, assignment: str) -> dict[str, ExerciseSpec]:
        with self._lock:
            if assignment not in self._specs:
                source = self.course.source(assignment)
                self._specs[assignment] = exercise_specs(self.course, source, self.warnings)
                for cell in source.tests.values():
                    if cell.derived:
                        names = ", ".join(dict.fromkeys(n for n, _ in cell.checks))
                        self.warnings.append(
                            f"{assignment}: the graded cell {cell.grade_id} runs free-form test code; it is scored "
                            f"from the visible checks of the exercises it names ({names}), not by running it")
            return self._specs[assignment]

    def _binds_and_paths(self) -> tuple[list[tuple[str, str]], list[str], list[str]]:
        """(read-only binds, sys.path inside, paths to hide) for the sandbox."""
        lib = self._lib_dir
        if self.isolation.level == "bwrap":
            return [(str(lib), "/opt/tl/tinygrad_lessons")], ["/opt/tl"], []
        if self.isolation.level == "unshare":
            # The course, the repository around it, the gradebook's folder and home folders are
            # covered with empty mounts; the interpreter is mounted back where it lives.
            hide = {str(self.course.root), str(self.course.repo_root), "/root", "/home"}
            if "site-packages" not in lib.parts:  # an editable install: its repository holds a course too
                hide.add(str(lib.parent.parent))
            gb = self.course.gradebook_path
            if gb is not None:
                hide.add(str(gb.parent))
            # The library is bound into the work directory before the course is covered up.
            return [(str(lib), "{workdir}/lib/tinygrad_lessons")], ["{workdir}/lib"], sorted(hide)
        return [], [str(lib.parent)], []

    # -- grading
    def grade_one(self, student: str, assignment: str, folder: Path) -> SubmissionResult:
        source = self.course.source(assignment)
        result = SubmissionResult(student=student, assignment=assignment, notebook=source.notebook, file="",
                                  status="graded", max_score=source.max_score,
                                  graded_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                                  isolation=self.isolation.to_json())
        try:
            self._grade_into(result, source, folder)
        except Exception:  # noqa: BLE001 - never abort the batch
            result.status = "error"
            result.score = None
            result.error = "the grader failed on this submission:\n" + traceback.format_exc(limit=8)
        if result.status == "error":
            result.score = None
            result.review.insert(0, "grading error: " + (result.error or "").splitlines()[0])
        return result

    def _grade_into(self, result: SubmissionResult, source: SourceNotebook, folder: Path) -> None:
        specs = self.specs(source.assignment)
        path, picked = pick_notebook(folder, source)
        result.notes += picked
        if path is None:
            result.status, result.error = "error", "no notebook in the submission folder"
            return
        result.file = path.name
        loaded = recover.load(path)
        result.notes += loaded.notes
        if loaded.fatal:
            result.status, result.error = "error", f"nothing to grade: {loaded.fatal}"
            return
        functions = {name: spec.function for name, spec in specs.items()}
        program = build_program(loaded, source, functions)
        result.notes += [n for n in program.notes if n not in result.notes]
        code = "\n".join(u.code for u in program.units)
        for pattern, why in SUSPICIOUS:
            if pattern.search(code):
                result.review.append(f"code that {why} (score not affected; worth a look)")
        run = self._run(program, specs, source)
        result.wall_s = round(run.get("wall_s", 0.0), 3)
        if not run.get("ok"):
            result.status = "error"
            result.error = run.get("error") or "the runner returned nothing"
            return
        result.stderr_bytes = int(run.get("stderr_bytes", 0) or 0)
        result.stdout_tail = str(run.get("stdout_tail", ""))[-2000:]
        if result.stderr_bytes:
            result.notes.append("your code wrote to stderr (warnings?); that costs nothing")
        units = {u.id: u for u in program.units}
        for uid, info in sorted(run.get("units", {}).items(), key=lambda kv: int(kv[0])):
            if info.get("status") in ("error", "timeout", "crashed"):
                unit = units.get(int(uid))
                where = f"cell {unit.cell}, line {unit.line}" if unit else f"statement {uid}"
                result.statements.append({"where": where, "status": info["status"], "error": info.get("error", "")})
                if info["status"] in ("timeout", "crashed"):
                    result.review.append(f"top-level code {info['status']} at {where}")
        for note in run.get("notes", []):
            result.notes.append(str(note))
        if run.get("prelude_error"):
            result.review.append(f"the course's setup imports failed in the sandbox: {run['prelude_error']}")
        ex_runs = {e["name"]: e for e in run.get("exercises", [])}
        for name, spec in specs.items():
            ex_result = judge_exercise(spec, ex_runs.get(name))
            result.exercises.append(ex_result)
            if ex_result.status in ("timeout", "crashed"):
                result.review.append(f"{name}: {ex_result.status}")
        by_name = {e.name: e for e in result.exercises}
        total = 0.0
        errors = []
        for cell in source.tests.values():
            score: float | None = cell.points
            for name, kind in cell.checks:
                ex_result = by_name.get(name)
                if ex_result is None or ex_result.status == "grader-error":
                    score = None
                    errors.append(f"{cell.grade_id}: exercise {name} could not be graded "
                                  f"({'; '.join(ex_result.notes) if ex_result else 'unknown'})")
                    break
                ok = ex_result.visible_passed if kind == "visible" else ex_result.hidden_passed
                if not ok:
                    score = 0.0 if score is not None else None
            if not cell.checks:  # a graded cell that checks nothing we know: nbgrader would run it
                score = None
                errors.append(f"{cell.grade_id}: the test cell calls no check()/check_hidden() the grader knows")
            result.cells.append(CellScore(grade_id=cell.grade_id, points=cell.points, score=score,
                                          checks=[list(c) for c in cell.checks]))
            total += score or 0.0
        if errors:
            result.status = "error"
            result.error = "; ".join(errors)
        else:
            result.score = total

    def _run(self, program, specs: dict[str, ExerciseSpec], source: SourceNotebook) -> dict:
        limits = self.options.limits
        binds, sys_path, hide = self._binds_and_paths()
        job = {
            "limits": limits.to_json(),
            "sys_path": sys_path,
            "prelude": ["import numpy as np", "import tinygrad_lessons as tl", *program.prelude],
            "units": [u.to_json() for u in program.units],
            "exercises": [
                {"name": name, "function": spec.function,
                 "cases": [{"id": c["id"], "case": c["case"]} for c in spec.cases]}
                for name, spec in specs.items() if not spec.error
            ],
            "may_kill_all": self.isolation.own_pid_namespace or self.isolation.uid_drop,
            "margin_s": 1.0,
        }
        slot = self._slots.get()
        workdir = None
        try:
            uid = sandbox.slot_uid(slot) if self.isolation.uid_drop else None
            workdir = sandbox.make_workdir(self.options.tmp_dir, uid)
            inside = sandbox.SANDBOX_WORKDIR if self.isolation.level == "bwrap" else str(workdir)
            job["sys_path"] = [p.format(workdir=inside) for p in sys_path]
            shutil.copyfile(DRIVER, workdir / "driver.py")
            (workdir / "job.json").write_text(json.dumps(job), encoding="utf-8")
            for name in ("driver.py", "job.json"):
                os.chmod(workdir / name, 0o444)
            binds = [(h, t.format(workdir=str(workdir))) for h, t in binds]
            if self.isolation.level == "unshare":
                (workdir / "lib" / "tinygrad_lessons").mkdir(parents=True)
                sandbox.give_to(workdir / "lib", uid)
            # The sandbox gets the whole-notebook limit plus time to start and to report.
            wall = sandbox.Limits(**{**limits.to_json(), "wall_s": limits.wall_s + 10.0})
            res = sandbox.run(self.isolation, workdir, ["{workdir}/job.json"], limits=wall, uid=uid,
                              ro_binds=binds, hide=hide)
        finally:
            self._slots.put(slot)
            if workdir is not None and not self.options.keep_workdirs:
                shutil.rmtree(workdir, ignore_errors=True)
        return parse_run(res, job)

    def grade_many(self, items: list[tuple[str, str, Path]], on_result=None) -> list[SubmissionResult]:
        """Grade (student, assignment, folder) items in parallel; ``on_result`` is called in this thread
        for each result as it arrives (e.g. to write the gradebook)."""
        for assignment in sorted({a for _, a, _ in items}):
            self.specs(assignment)  # expected outputs once, before the workers start
        results = []
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            futures = {pool.submit(self.grade_one, *item): item for item in items}
            for future in as_completed(futures):
                student, assignment, _ = futures[future]
                try:
                    res = future.result()
                except Exception:  # noqa: BLE001 - grade_one already catches; belt and braces
                    res = SubmissionResult(student=student, assignment=assignment, notebook="", file="",
                                           status="error", error=traceback.format_exc(limit=5))
                results.append(res)
                if on_result is not None:
                    on_result(res)
        return results


def parse_run(res: sandbox.SandboxResult, job: dict) -> dict:
    """The runner's report as a dict with ``ok``; anything malformed becomes ``ok: False`` + ``error``."""
    text = res.stdout.decode("utf-8", "replace").strip()
    last = text.rsplit("\n", 1)[-1] if text else ""
    try:
        data = json.loads(last) if last else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        why = "the runner was killed by the wall-clock limit" if res.timed_out else \
            f"the runner ended without a report (exit {res.returncode})"
        err = res.stderr.decode("utf-8", "replace")[-1500:]
        return {"ok": False, "error": f"{why}{': ' + err if err.strip() else ''}", "wall_s": res.wall_s}
    data["wall_s"] = res.wall_s
    if not data.get("ok"):
        data["error"] = "the runner failed: " + str(data.get("error", "unknown"))[-1500:]
        return data
    # Index exercises by name for the judge.
    exercises = data.get("exercises") or []
    named = []
    for spec, ex in zip(job["exercises"], exercises):
        if isinstance(ex, dict):
            named.append({**ex, "name": spec["name"]})
    data["exercises"] = named
    return data


def default_tmp() -> str:
    return tempfile.gettempdir()


def now() -> float:
    return time.time()
