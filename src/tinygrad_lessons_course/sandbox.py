"""Run one submission's runner in the strongest isolation this machine offers.

A learner's notebook is untrusted code. It runs in a fresh process tree that

* cannot see the course directory, the gradebook, the reference outputs or the sources
  (only a private work directory holding the runner is writable, the interpreter and the
  library are mounted read-only),
* has no network (its own network namespace),
* runs as an unprivileged user of its own (one uid per worker slot, so one submission's
  fork bomb does not eat another's process quota),
* lives under resource limits (RLIMIT_AS memory, RLIMIT_CPU, RLIMIT_NPROC, RLIMIT_FSIZE,
  RLIMIT_NOFILE — set by the runner itself before any learner code runs, and they can only
  be lowered afterwards), and
* is killed, process group and all (SIGTERM, then SIGKILL), when the whole notebook runs
  past its wall-clock limit.

Isolation levels, strongest first; ``detect_isolation()`` picks the first that works and
every result records the one used:

``bwrap``    bubblewrap: new user, pid, network, ipc, uts, cgroup and mount namespaces, a
             minimal read-only root; uid drop with ``setpriv`` first when we are root.
``unshare``  util-linux ``unshare`` (root only): new pid, network, ipc, uts and mount
             namespaces; the course directory and other secret paths are covered with empty
             tmpfs mounts, then the runner drops to the slot's uid.
``setuid``   root without namespaces: uid drop only; files are protected by Unix
             permissions alone and the network is reachable.
``rlimits``  nothing but resource limits and process-group kill: the submission runs as the
             grader's own user and could read anything that user can. Say so to whoever
             reads the grades.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

LEVELS = ("bwrap", "unshare", "setuid", "rlimits")

#: What each level protects, for results and feedback.
LEVEL_DESCRIPTION = {
    "bwrap": "bubblewrap sandbox: own user/pid/network/mount namespaces, read-only minimal root, "
    "course files invisible, unprivileged uid, resource limits",
    "unshare": "unshare namespaces (pid, network, mount, ipc, uts), course files hidden under empty mounts, "
    "unprivileged uid, resource limits",
    "setuid": "unprivileged uid and resource limits only (no namespaces: network reachable, files protected "
    "by Unix permissions only)",
    "rlimits": "resource limits only: the submission ran as the grader's own user (it could read the grader's files)",
}

# Where things appear inside a bwrap sandbox.
SANDBOX_WORKDIR = "/sandbox"


@dataclass
class Limits:
    """Resource limits for one submission (seconds, bytes, counts)."""

    wall_s: float = 300.0  # the whole notebook (all statements and all cases)
    statement_s: float = 30.0  # one top-level statement of the learner's code
    exercise_s: float = 30.0  # all cases of one exercise
    cpu_s: int = 300  # RLIMIT_CPU per process
    memory_bytes: int = 2 * 1024**3  # RLIMIT_AS
    nproc: int = 64  # RLIMIT_NPROC (processes of the sandbox's uid)
    fsize_bytes: int = 64 * 1024**2  # RLIMIT_FSIZE: largest file it may write
    nofile: int = 256  # RLIMIT_NOFILE
    output_bytes: int = 2 * 1024**2  # largest plain output of one case

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Isolation:
    level: str
    uid_drop: bool
    detail: str = ""

    @property
    def description(self) -> str:
        return LEVEL_DESCRIPTION[self.level]

    @property
    def own_pid_namespace(self) -> bool:
        return self.level in ("bwrap", "unshare")

    def to_json(self) -> dict:
        return {"level": self.level, "uid_drop": self.uid_drop, "description": self.description, "detail": self.detail}


@dataclass
class SandboxResult:
    returncode: int | None
    stdout: bytes
    stderr: bytes
    timed_out: bool
    wall_s: float
    isolation: Isolation
    notes: list[str] = field(default_factory=list)


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _run_quiet(argv: list[str], timeout: float = 20.0, cwd: str | None = None) -> bool:
    try:
        res = subprocess.run(argv, capture_output=True, timeout=timeout, cwd=cwd)
    except (OSError, subprocess.SubprocessError):
        return False
    return res.returncode == 0


def _probe_uid() -> int:
    return 2_000_000 - 1


def _bwrap_prefix(uid: int | None) -> list[str]:
    """bwrap and its namespace options.

    As root: no user namespace (it would map the sandbox's uid to root outside); bwrap keeps
    only CAP_SETUID/CAP_SETGID so that ``setpriv`` inside can drop to the slot's uid, with no
    capabilities left and an empty bounding set. As anyone else: every namespace, the user
    namespace included, and the caller's own uid.
    """
    bwrap = shutil.which("bwrap") or "bwrap"
    common = ["--die-with-parent", "--new-session"]
    if uid is None:
        return [bwrap, "--unshare-all", *common]
    return [bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
            *common, "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]


def _drop_inside(uid: int | None) -> list[str]:
    if uid is None:
        return []
    setpriv = shutil.which("setpriv") or "/usr/bin/setpriv"
    return [setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--bounding-set=-all", "--inh-caps=-all"]


@functools.cache
def _bwrap_works() -> bool:
    if not shutil.which("bwrap") or (is_root() and not shutil.which("setpriv")):
        return False
    uid = _probe_uid() if is_root() else None
    probe = [*_bwrap_prefix(uid), *_root_binds(), "--proc", "/proc", "--dev", "/dev", *_drop_inside(uid),
             sys.executable, "-c", "import numpy"]
    return _run_quiet(probe, cwd="/")


@functools.cache
def _unshare_works() -> bool:
    unshare = shutil.which("unshare")
    if not unshare or not is_root():
        return False
    return _run_quiet([unshare, "--pid", "--fork", "--kill-child", "--mount", "--net", "--ipc", "--uts",
                       sys.executable, "-c", "pass"], cwd="/")


@functools.cache
def _setpriv_works() -> bool:
    setpriv = shutil.which("setpriv")
    if not setpriv or not is_root():
        return False
    uid = _probe_uid()
    return _run_quiet([setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", sys.executable, "-c",
                       "import numpy"], cwd="/")


_CHECKS = {"bwrap": _bwrap_works, "unshare": _unshare_works, "setuid": _setpriv_works, "rlimits": lambda: True}


def available_levels() -> list[str]:
    """Every isolation level that works here, strongest first."""
    return [level for level in LEVELS if _CHECKS[level]()]


def detect_isolation(requested: str = "auto") -> Isolation:
    """The strongest working level (``requested="auto"``), or the requested one if it works.

    A requested level that does not work here raises ``RuntimeError`` (asking for ``bwrap``
    and silently getting less would be worse than stopping).
    """
    if requested == "auto":
        level = next(name for name in LEVELS if _CHECKS[name]())
    elif requested in _CHECKS and _CHECKS[requested]():
        level = requested
    else:
        levels = available_levels()
        raise RuntimeError(f"isolation level {requested!r} is not available here (available: {', '.join(levels)})")
    uid_drop = is_root() and level != "rlimits"
    missing = [name for name in LEVELS[: LEVELS.index(level)] if not _CHECKS[name]()]
    detail = f"stronger levels unavailable here: {', '.join(missing)}" if missing else ""
    return Isolation(level=level, uid_drop=uid_drop, detail=detail)


def _interpreter_dirs() -> list[str]:
    """Directories outside /usr that the interpreter needs (read-only): its prefixes, the library."""
    found: list[str] = []
    candidates = [sys.base_prefix, sys.prefix, os.path.dirname(os.path.realpath(sys.executable)),
                  os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix)]
    # numpy and friends may live in a site-packages outside the prefix (e.g. --user installs).
    import numpy

    candidates.append(os.path.dirname(os.path.dirname(os.path.realpath(numpy.__file__))))
    for path in candidates:
        if path in ("/", "/usr") or path.startswith("/usr/"):
            continue
        if any(path == f or path.startswith(f + "/") for f in found):
            continue
        found = [f for f in found if not f.startswith(path + "/")]
        found.append(path)
    return sorted(found)


def _root_binds(extra_targets: list[str] = ()) -> list[str]:
    """bwrap arguments for a minimal read-only root: /usr and its usual symlinks, the interpreter.

    Folders above the mounted ones are created world-traversable (``--perms 0755``): the
    interpreter may live under a private home such as /root/.pyenv, which the sandbox's
    unprivileged uid could not otherwise reach (nothing else of that home is mounted).
    """
    args: list[str] = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/" + name)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    # ld.so.cache speeds up library loading; nothing else from /etc is needed.
    if Path("/etc/ld.so.cache").exists():
        args += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    dirs = _interpreter_dirs()
    made: set[str] = set()
    for target in [*dirs, *extra_targets]:
        parts = Path(target).parts[1:-1]
        for i in range(1, len(parts) + 1):
            parent = "/" + "/".join(parts[:i])
            if parent not in made and parent not in ("/usr",) and not parent.startswith("/usr/"):
                made.add(parent)
                args += ["--perms", "0755", "--dir", parent]
    for path in dirs:
        args += ["--ro-bind", path, path]
    return args


def interpreter_paths() -> list[str]:
    """Directories the sandboxed interpreter needs (read-only): its prefix and site-packages."""
    paths = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix), sys.prefix, sys.base_prefix}
    return sorted(paths)


def slot_uid(slot: int, base: int | None = None) -> int:
    """A dedicated uid for worker ``slot`` of this grading process.

    Each grading process takes its own range (derived from its pid) so that two batches
    running at once (e.g. parallel test workers) never share a process quota.
    """
    if base is None:
        base = int(os.environ.get("TL_COURSE_UID_BASE", "0")) or (2_000_000 + (os.getpid() % 8192) * 128)
    return base + slot


def make_workdir(parent: str | os.PathLike | None, uid: int | None) -> Path:
    """A fresh private directory for one submission, owned by the sandbox's uid."""
    path = Path(tempfile.mkdtemp(prefix="tl-sbx-", dir=parent))
    (path / "home").mkdir()
    if uid is not None:
        for p in (path, path / "home"):
            os.chown(p, uid, uid)
        os.chmod(path, 0o700)
    return path


def give_to(path: Path, uid: int | None) -> None:
    if uid is not None:
        os.chown(path, uid, uid)


def _env(home: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "PYTHONIOENCODING": "utf-8",
        # One thread each: workers already use every core, and BLAS thread pools reserve
        # address space that would count against RLIMIT_AS.
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": home + "/.mpl",
        "TMPDIR": "/tmp",
    }
    if extra:
        env.update(extra)
    return env


def build_command(
    isolation: Isolation,
    workdir: Path,
    driver_args: list[str],
    *,
    uid: int | None,
    ro_binds: list[tuple[str, str]],
    hide: list[str],
) -> tuple[list[str], dict[str, str], str]:
    """(argv, env, cwd) that run ``python driver.py <driver_args>`` under ``isolation``.

    ``ro_binds`` are (host path, sandbox path) pairs mounted read-only (the library);
    ``hide`` are host paths that the ``unshare`` level covers with empty mounts (the
    course directory, the gradebook's folder). ``driver_args`` use ``{workdir}`` for the
    work directory as the sandbox sees it.
    """
    python = sys.executable
    setpriv = shutil.which("setpriv") or "setpriv"
    drop = [setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups"] if isolation.uid_drop else []
    if isolation.level == "bwrap":
        inside = SANDBOX_WORKDIR
        env = _env(inside + "/home")
        dropped = uid if isolation.uid_drop else None
        # a fresh /tmp first: the interpreter (a venv in a checkout under /tmp, as in CI) is mounted on top of it
        argv = [*_bwrap_prefix(dropped), "--tmpfs", "/tmp", *_root_binds([t for _, t in ro_binds])]
        for host, target in ro_binds:
            argv += ["--ro-bind", host, target]
        argv += ["--proc", "/proc", "--dev", "/dev", "--bind", str(workdir), inside,
                 "--chdir", inside, "--clearenv"]
        for key, value in env.items():
            argv += ["--setenv", key, value]
        argv += [*_drop_inside(dropped), python, "-s", "-E", "-B", inside + "/driver.py",
                 *[a.format(workdir=inside) for a in driver_args]]
        return argv, env, "/"
    inside = str(workdir)
    env = _env(inside + "/home")
    args = [a.format(workdir=inside) for a in driver_args]
    if isolation.level == "unshare":
        unshare = shutil.which("unshare") or "unshare"
        launcher = [python, "-s", "-E", "-B", inside + "/driver.py", "--launch",
                    "--uid", str(uid if isolation.uid_drop else -1)]
        for path in hide:
            launcher += ["--hide", path]
        for host, target in ro_binds:
            launcher += ["--bind", f"{host}:{target}"]
        for path in _interpreter_dirs():
            launcher += ["--expose", path]
        argv = [unshare, "--pid", "--fork", "--kill-child", "--mount", "--mount-proc", "--net", "--ipc", "--uts",
                *launcher, "--", *args]
        return argv, env, inside
    # setuid / rlimits: same file system; the library is reached at its host path.
    argv = [*drop, python, "-s", "-E", "-B", inside + "/driver.py", *args]
    return argv, env, inside


def _kill_uid(uid: int) -> None:
    """SIGKILL every process owned by ``uid`` (only used for a dedicated sandbox uid)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.stat(f"/proc/{entry}").st_uid == uid:
                os.kill(int(entry), signal.SIGKILL)
        except (OSError, ProcessLookupError):
            pass


def _kill_tree(proc: subprocess.Popen, grace_s: float = 1.0) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(timeout=grace_s)
            return
        except subprocess.TimeoutExpired:
            continue


def run(
    isolation: Isolation,
    workdir: Path,
    driver_args: list[str],
    *,
    limits: Limits,
    uid: int | None,
    ro_binds: list[tuple[str, str]],
    hide: list[str],
) -> SandboxResult:
    """Run the driver in ``workdir`` under ``isolation`` with a wall-clock limit."""
    argv, env, cwd = build_command(isolation, workdir, driver_args, uid=uid, ro_binds=ro_binds, hide=hide)
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, cwd=cwd, start_new_session=True)
    notes: list[str] = []
    timed_out = False
    try:
        out, err = proc.communicate(timeout=limits.wall_s)
    except subprocess.TimeoutExpired:
        timed_out = True
        notes.append(f"the whole notebook ran past its {limits.wall_s:g} s wall-clock limit and was killed")
        _kill_tree(proc)
        try:
            out, err = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:  # a process that escaped holds the pipes open
            out, err = b"", b""
    finally:
        if isolation.uid_drop and not isolation.own_pid_namespace and uid is not None:
            _kill_uid(uid)  # no pid namespace to take everything down with it
        if proc.poll() is None:
            _kill_tree(proc)
    return SandboxResult(returncode=proc.returncode, stdout=out or b"", stderr=err or b"", timed_out=timed_out,
                         wall_s=time.monotonic() - start, isolation=isolation, notes=notes)
