"""The runner that executes one learner notebook's code inside the sandbox.

This file is copied into the sandbox's work directory and run there as
``python driver.py job.json``; it imports nothing from ``tinygrad_lessons_course`` (the
instructor's package is not visible inside the sandbox) and only the stdlib until its
resource limits are set.

Processes, all inside the sandbox:

``driver``  (this process) sets the resource limits, imports the library once, then forks a
            *child*. The driver never runs learner code: it only reads the child's progress
            lines from a pipe and enforces time limits, so it outlives whatever the learner's
            code does to its own process.
``child``   runs the learner's top-level statements one by one (each reported before and
            after it runs), then forks a *grandchild* per exercise.
``grandchild`` applies the exercise's ``forbid`` list, rebuilds each case's inputs from JSON,
            calls the learner's function and writes the output as plain JSON.

When the child hangs or dies, the driver kills its process group, records what was running
(the statement, or the case) as timed out or crashed, and starts a fresh child that skips
the statements that failed and resumes at the next exercise. The result is printed on the
driver's stdout, which no learner process can reach (children redirect their stdout and
stderr into log files and close every other descriptor, and the driver is not dumpable, so
its /proc entries are closed to them).

Pass/fail is not decided here: the parent compares the plain outputs with the reference
outside the sandbox.
"""

import json
import os
import resource
import selectors
import signal
import sys
import time
import traceback

PROTOCOL = 1


# ----------------------------------------------------------------------------- launcher
def launch(argv):
    """``--launch`` mode (the ``unshare`` isolation level): we are root in fresh mount, pid and
    network namespaces. Make the interpreter reachable for an unprivileged uid (it may live in a
    private home such as /root/.pyenv: that home is covered by an empty tmpfs and only the
    interpreter is mounted back), bind the library, cover the secret paths (the course) with
    empty mounts, drop to the sandbox's uid, then exec the driver proper."""
    import subprocess

    uid, hide, binds, expose, rest = -1, [], [], [], []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            rest = argv[i + 1:]
            break
        value = argv[i + 1] if i + 1 < len(argv) else ""
        if arg == "--uid":
            uid = int(value)
        elif arg == "--hide":
            hide.append(value)
        elif arg == "--bind":
            binds.append(value.split(":", 1))
        elif arg == "--expose":
            expose.append(value)
        i += 2

    def mount(*args):
        subprocess.run(["mount", *args], check=True)

    def under(path, folder):
        return path == folder or path.startswith(folder.rstrip("/") + "/")

    here = os.path.dirname(os.path.abspath(__file__))
    mount("--make-rprivate", "/")
    for host, target in binds:  # before anything is covered
        os.makedirs(target, exist_ok=True)
        mount("--bind", host, target)
        mount("-o", "remount,bind,ro", target)
    covers = [p for p in hide if os.path.isdir(p) and not under(here, p)]
    for path in expose:  # folders the sandbox's uid could not pass through (e.g. /root)
        parts = path.strip("/").split("/")
        for k in range(1, len(parts)):
            ancestor = "/" + "/".join(parts[:k])
            if not os.stat(ancestor).st_mode & 0o001:
                covers.append(ancestor)
                break
    covers = sorted({c for c in covers if not any(c != o and under(c, o) for o in covers)})
    staged = []
    for n, path in enumerate(expose):
        if any(under(path, c) for c in covers):
            stage = os.path.join(here, ".stage", str(n))
            os.makedirs(stage)
            mount("--bind", path, stage)
            staged.append((path, stage))
    for cover in covers:
        mount("-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", cover)
    for path, stage in staged:
        os.makedirs(path, exist_ok=True)
        mount("--bind", stage, path)
        mount("-o", "remount,bind,ro", path)
        subprocess.run(["umount", "-l", stage], check=False)
    for path in hide:
        if os.path.isfile(path):
            mount("--bind", "/dev/null", path)
    if uid >= 0:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    os.execv(sys.executable, [sys.executable, "-s", "-E", "-B", os.path.abspath(__file__), *rest])


# ----------------------------------------------------------------------------- limits
def set_limits(limits):
    pairs = [
        (resource.RLIMIT_AS, limits["memory_bytes"]),
        (resource.RLIMIT_CPU, limits["cpu_s"]),
        (resource.RLIMIT_NPROC, limits["nproc"]),
        (resource.RLIMIT_FSIZE, limits["fsize_bytes"]),
        (resource.RLIMIT_NOFILE, limits["nofile"]),
        (resource.RLIMIT_CORE, 0),
    ]
    applied = {}
    for res, value in pairs:
        value = int(value)
        try:
            _, hard = resource.getrlimit(res)
            if hard != resource.RLIM_INFINITY and hard < value:
                value = hard
            resource.setrlimit(res, (value, value))
            applied[res] = value
        except (ValueError, OSError):
            pass
    return len(applied)


def not_dumpable():
    """Close this process's /proc/<pid>/fd (and ptrace) to same-uid processes."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
        return True
    except Exception:
        return False


# ----------------------------------------------------------------------------- the library's API
class Api:
    """The grading library's entry points, taken before any learner code runs."""

    def __init__(self, names):
        from tinygrad_lessons.grading.cases import Case, run_case
        from tinygrad_lessons.grading.exercises import get_exercise

        self.Case = Case
        self.run_case = run_case
        self.exercises = {}
        self.missing = {}
        for name in names:
            try:
                self.exercises[name] = get_exercise(name)
            except Exception as exc:  # noqa: BLE001 - reported per exercise
                self.missing[name] = f"{type(exc).__name__}: {exc}"


def error_plain(exc):
    return {"kind": "error", "type": type(exc).__name__, "message": _short(str(exc), 500)}


def _short(text, limit):
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def snapshot_modules():
    """Shallow copies of every loaded module's namespace, taken before learner code runs."""
    return [(mod.__dict__, dict(mod.__dict__)) for mod in list(sys.modules.values())
            if mod is not None and isinstance(getattr(mod, "__dict__", None), dict)]


def restore_modules(snapshot):
    """Undo what the learner's top-level code did to loaded modules (the grading library, json,
    builtins, this runner...): a patched checker is unpatched before the cases run. Values are
    put back first and added names removed afterwards, so no namespace is ever empty."""
    for namespace, saved in snapshot:
        try:
            namespace.update(saved)
        except Exception:  # noqa: BLE001
            pass
    for namespace, saved in snapshot:
        try:
            for key in [k for k in namespace if k not in saved]:
                del namespace[key]
        except Exception:  # noqa: BLE001
            pass


# ----------------------------------------------------------------------------- child side
def send(fd, *item):
    """One progress line to the driver (a module-level function: restored with the module)."""
    data = (json.dumps(list(item), separators=(",", ":"), allow_nan=False) + "\n").encode()
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _fmt_exc(exc):
    tb = traceback.extract_tb(exc.__traceback__)
    where = ""
    for frame in reversed(tb):
        if frame.filename.startswith("<cell"):
            where = f" ({frame.filename[1:-1]}, line {frame.lineno})"
            break
    return f"{type(exc).__name__}: {_short(exc, 300)}{where}"


def child_main(job, api, chan, skip, first_exercise, workdir, snapshot):
    os.setpgid(0, 0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    out = os.open(os.path.join(workdir, "stdout.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    err = os.open(os.path.join(workdir, "stderr.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(out, 1)
    os.dup2(err, 2)
    keep = {0, 1, 2, chan}
    for fd in range(3, 1024):
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass
    sys.stdout = open(1, "w", buffering=1, closefd=False)
    sys.stderr = open(2, "w", buffering=1, closefd=False)
    import builtins

    namespace = {"__name__": "__main__", "__builtins__": builtins}
    for snippet in job.get("prelude", []):  # the course's own imports and helpers, each on its own
        try:
            exec(compile(snippet, "<course>", "exec"), namespace)
        except BaseException as exc:  # noqa: BLE001 - report anything
            send(chan, "P", _fmt_exc(exc))
    for unit in job["units"]:
        if unit["id"] in skip:
            continue
        send(chan, "U", unit["id"], "start")
        try:
            code = compile("\n" * (unit.get("line", 1) - 1) + unit["code"], f"<cell {unit['cell']}>", "exec")
            exec(code, namespace)
        except BaseException as exc:  # noqa: BLE001 - SystemExit / KeyboardInterrupt too
            send(chan, "U", unit["id"], "error", _fmt_exc(exc))
        else:
            send(chan, "U", unit["id"], "ok")
    restore_modules(snapshot)  # whatever the learner's code patched, this process's own code is intact again
    send(chan, "T")
    for index, ex in enumerate(job["exercises"]):
        if index < first_exercise:
            continue
        send(chan, "X", index, "start")
        try:
            pid = os.fork()
        except OSError as exc:
            send(chan, "X", index, "nofork", _fmt_exc(exc))
            continue
        if pid == 0:
            code = 0
            try:
                run_exercise(ex, index, api, chan, namespace, job, snapshot)
            except BaseException:  # noqa: BLE001
                code = 3
            os._exit(code)
        while True:
            try:
                _, status = os.waitpid(pid, 0)
                break
            except ChildProcessError:
                status = 0
                break
            except InterruptedError:
                continue
        send(chan, "W", index, _describe_status(status))
    send(chan, "A")


def _describe_status(status):
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = str(sig)
        return f"killed by {name}"
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else status
    return f"exit {code}"


def run_exercise(ex, index, api, chan, namespace, job, snapshot):
    restore_modules(snapshot)
    fn = namespace.get(ex["function"])
    if ex["name"] in api.missing:
        send(chan, "M", index, "grader: " + api.missing[ex["name"]])
        return
    if not callable(fn):
        send(chan, "M", index, "missing" if fn is None else f"not callable: {type(fn).__name__}")
        return
    exercise = api.exercises[ex["name"]]
    limit = int(job["limits"]["output_bytes"])
    for case in ex["cases"]:
        send(chan, "C", index, case["id"], "start")
        try:
            case_obj = api.Case.from_json(case["case"])
        except BaseException as exc:  # noqa: BLE001 - a grader bug, not the learner's
            send(chan, "C", index, case["id"], "builderror", _fmt_exc(exc))
            continue
        try:
            outcome = api.run_case(exercise, fn, case_obj)
            got = {"plain": outcome.plain, "calls": [str(c) for c in outcome.calls],
                   "side_effects": [str(s) for s in outcome.side_effects]}
        except BaseException as exc:  # noqa: BLE001 - SystemExit and friends from the learner's function
            plain = error_plain(exc)
            plain["where"] = _fmt_exc(exc)
            got = {"plain": plain, "calls": [], "side_effects": []}
        try:
            text = json.dumps(got, allow_nan=False)
        except (TypeError, ValueError) as exc:
            got = {"plain": {"kind": "object", "type": "unserialisable", "message": _short(exc, 200)},
                   "calls": [], "side_effects": []}
            text = json.dumps(got)
        if len(text) > limit:
            got = {"plain": {"kind": "object", "type": "too_large", "message": f"output of {len(text)} bytes"},
                   "calls": [], "side_effects": []}
        send(chan, "C", index, case["id"], "done", got)


# ----------------------------------------------------------------------------- driver side
class State:
    def __init__(self, job):
        self.job = job
        self.units = {u["id"]: {"status": "not run"} for u in job["units"]}
        self.exercises = [
            {"status": "not run", "cases": {c["id"]: {"status": "not run"} for c in ex["cases"]}, "notes": []}
            for ex in job["exercises"]
        ]
        self.skip = set()
        self.notes = []
        self.prelude_error = None
        self.malformed = 0


def kill_group(pid):
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
        except (ProcessLookupError, PermissionError, OSError):
            pass


def kill_everything_else():
    """SIGKILL every other process we may signal: in our own pid namespace, or as the
    sandbox's dedicated uid, that is only what the learner's code left running."""
    try:
        os.kill(-1, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        pass


def reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def supervise(job, api, state, workdir, deadline, snapshot):
    limits = job["limits"]
    statement_s = float(limits["statement_s"])
    exercise_s = float(limits["exercise_s"])
    first_exercise = 0
    max_runs = len(job["units"]) + len(job["exercises"]) + 3
    runs = 0
    may_kill_all = bool(job.get("may_kill_all"))
    while first_exercise <= len(job["exercises"]) and runs < max_runs:
        runs += 1
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            try:
                child_main(job, api, w, state.skip, first_exercise, workdir, snapshot)
            except BaseException:  # noqa: BLE001
                os._exit(4)
            os._exit(0)
        os.close(w)
        try:
            os.setpgid(pid, pid)
        except OSError:
            pass
        outcome = read_child(r, pid, job, state, statement_s, exercise_s, deadline)
        os.close(r)
        kill_group(pid)
        if may_kill_all:
            kill_everything_else()
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        reap()
        kind = outcome[0]
        if kind == "done":
            return
        if kind == "deadline":
            state.notes.append("the notebook's time limit was reached; what had not run yet is marked 'not run'")
            return
        if kind == "unit":  # a statement hung or killed the process: skip it next time
            state.skip.add(outcome[1])
            continue
        if kind == "exercise":
            first_exercise = outcome[1] + 1
            continue
        return  # "lost": nothing more we can do


def read_child(fd, pid, job, state, statement_s, exercise_s, deadline):
    """Follow one child's progress. Returns ("done",), ("deadline",), ("unit", id),
    ("exercise", index) or ("lost",)."""
    sel = selectors.DefaultSelector()
    sel.register(fd, selectors.EVENT_READ)
    buf = b""
    unit = None  # the statement now running
    exercise = None  # index of the exercise now running
    case = None  # id of the case now running
    phase_deadline = None
    top_done = False  # the top-level statements have all run
    last_done = -1  # index of the last exercise whose process has ended
    max_line = int(job["limits"]["output_bytes"]) * 2 + 4096

    def on_unit_fail(status, why):
        state.units[unit] = {"status": status, "error": why}

    def on_exercise_fail(status, why):
        ex = state.exercises[exercise]
        ex["status"] = status
        ex["notes"].append(why)
        if case is not None:
            ex["cases"][case] = {"status": status, "error": why}

    while True:
        now = time.monotonic()
        limit = deadline if phase_deadline is None else min(deadline, phase_deadline)
        if now >= limit:
            if now >= deadline:
                if unit is not None:
                    on_unit_fail("timeout", "the notebook's time limit ran out during this statement")
                if exercise is not None:
                    on_exercise_fail("timeout", "the notebook's time limit ran out during this exercise")
                return ("deadline",)
            if unit is not None:
                on_unit_fail("timeout", f"still running after {statement_s:g} s (an infinite loop?); skipped")
                return ("unit", unit)
            if exercise is not None:
                on_exercise_fail("timeout", f"the cases ran for more than {exercise_s:g} s (an infinite loop?)")
                return ("exercise", exercise)
        events = sel.select(timeout=max(0.0, limit - now))
        if not events:
            continue
        try:
            chunk = os.read(fd, 1 << 16)
        except OSError:
            chunk = b""
        if not chunk:  # the child is gone
            status = _wait_status(pid)
            if unit is not None:
                on_unit_fail("crashed", f"the process ended during this statement ({status}); skipped")
                return ("unit", unit)
            if exercise is not None:
                on_exercise_fail("crashed", f"the process ended during this exercise ({status})")
                return ("exercise", exercise)
            if top_done:  # it died between exercises: go on with the next one
                return ("exercise", last_done)
            return ("lost",)
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            try:
                msg = json.loads(line)
                if not isinstance(msg, list) or not msg:
                    raise ValueError
            except ValueError:
                state.malformed += 1
                continue
            tag = msg[0]
            if tag == "P":
                state.prelude_error = msg[1] if len(msg) > 1 else "error"
            elif tag == "U" and len(msg) >= 3 and msg[1] in state.units:
                if msg[2] == "start":
                    unit, phase_deadline = msg[1], time.monotonic() + statement_s
                elif msg[2] == "ok" and msg[1] == unit:
                    state.units[unit] = {"status": "ok"}
                    unit, phase_deadline = None, None
                elif msg[2] == "error" and msg[1] == unit:
                    state.units[unit] = {"status": "error", "error": str(msg[3]) if len(msg) > 3 else ""}
                    unit, phase_deadline = None, None
            elif tag == "T":
                unit, phase_deadline, top_done = None, None, True
            elif tag == "X" and len(msg) >= 3 and _valid_index(msg[1], state):
                if msg[2] == "start":
                    exercise, case = msg[1], None
                    phase_deadline = time.monotonic() + exercise_s
                    state.exercises[exercise]["status"] = "running"
                elif msg[2] == "nofork":
                    state.exercises[msg[1]]["status"] = "crashed"
                    state.exercises[msg[1]]["notes"].append("could not start a process: " + str(msg[3:]))
            elif tag == "M" and len(msg) >= 3 and _valid_index(msg[1], state):
                state.exercises[msg[1]]["status"] = "missing"
                state.exercises[msg[1]]["notes"].append(str(msg[2]))
            elif tag == "C" and len(msg) >= 4 and _valid_index(msg[1], state):
                cases = state.exercises[msg[1]]["cases"]
                if msg[2] not in cases:
                    state.malformed += 1
                    continue
                if msg[3] == "start":
                    case = msg[2]
                elif msg[3] == "done" and len(msg) >= 5:
                    cases[msg[2]] = {"status": "done", "got": msg[4]}
                    case = None
                elif msg[3] == "builderror":
                    cases[msg[2]] = {"status": "grader-error", "error": str(msg[4:])}
                    case = None
            elif tag == "W" and len(msg) >= 3 and _valid_index(msg[1], state):
                ex = state.exercises[msg[1]]
                if case is not None and msg[1] == exercise:
                    ex["cases"][case] = {"status": "crashed", "error": f"the process ended ({msg[2]})"}
                    ex["notes"].append(f"the process running this exercise ended ({msg[2]}); the cases after it "
                                       "were not run")
                    ex["status"] = "crashed"
                if ex["status"] == "running":
                    ex["status"] = "done"
                exercise, case, phase_deadline, last_done = None, None, None, msg[1]
            elif tag == "A":
                return ("done",)
            else:
                state.malformed += 1
        if len(buf) > max_line:
            state.malformed += 1
            buf = b""


def _valid_index(value, state):
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(state.exercises)


def _wait_status(pid):
    for _ in range(50):
        try:
            got, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return "ended"
        if got:
            return _describe_status(status)
        time.sleep(0.01)
    return "closed its pipe"


def tail(path, limit=4000):
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - limit))
            data = fh.read()
        return data.decode("utf-8", "replace"), size
    except OSError:
        return "", 0


def main(argv):
    if argv and argv[0] == "--launch":
        launch(argv[1:])
        return 0
    started = time.monotonic()
    job_path = argv[0]
    workdir = os.path.dirname(os.path.abspath(job_path))
    with open(job_path, encoding="utf-8") as fh:
        job = json.load(fh)
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    result = {"protocol": PROTOCOL, "ok": False}
    try:
        result["limits_set"] = set_limits(job["limits"])
        result["not_dumpable"] = not_dumpable()
        for path in job.get("sys_path", []):
            sys.path.insert(0, path)
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        api = Api([ex["name"] for ex in job["exercises"]])
        snapshot = snapshot_modules()
        deadline = started + float(job["limits"]["wall_s"]) - float(job.get("margin_s", 1.0))
        state = State(job)
        supervise(job, api, state, workdir, deadline, snapshot)
        result.update(
            ok=True,
            units=state.units,
            exercises=state.exercises,
            notes=state.notes,
            prelude_error=state.prelude_error,
            malformed_lines=state.malformed,
        )
    except BaseException as exc:  # noqa: BLE001 - the parent records it as an error to review
        result["error"] = "".join(traceback.format_exception(exc))[-4000:]
    result["stdout_tail"], result["stdout_bytes"] = tail(os.path.join(workdir, "stdout.log"))
    result["stderr_tail"], result["stderr_bytes"] = tail(os.path.join(workdir, "stderr.log"))
    result["wall_s"] = round(time.monotonic() - started, 3)
    out.write("\n" + json.dumps(result, allow_nan=False) + "\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
