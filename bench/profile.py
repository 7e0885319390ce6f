"""Profile harness and say who spends the time.

    python -m bench.profile replay  PROJECT [--items K]   Runner.run over K items, in-process
    python -m bench.profile floor   PROJECT [--items K]   the same requests, SDK + MockTransport
    python -m bench.profile suite   PROJECT [-- ARGS]     a whole pytest run (-n 0)
    python -m bench.profile collect PROJECT [-- ARGS]     pytest --collect-only

``--engine py-spy`` (the default when py-spy is installed) samples only while the process is on
a CPU, so other jobs on a loaded machine do not blur the picture; ``--engine pyinstrument``
samples wall-clock time. Only the measured region counts (not imports or the warm-up pass).

It prints, and writes to ``--out DIR`` (``NAME.json``, plus the raw stacks or the tree):

* time by owner: each sample goes to the innermost frame that belongs to a known owner —
  ``harness`` (harness/, and the scenario functions, whose code points at the YAML file),
  ``sdk`` (openai, httpx2: the floor), ``pytest`` (_pytest, pluggy), ``syrupy``, ``xdist`` —
  while stdlib, pydantic, yaml, json... are charged to whoever called them;
* the harness functions: for each innermost harness frame, the time in it and in what it called
  outside the SDK and pytest (``json.loads`` under ``RecordingStore.read`` counts for
  ``RecordingStore.read``);
* the hottest leaf functions overall (self time), for context.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

_MARK = "_profiled_region"
_CHILD = "HARNESS_BENCH_PYSPY_CHILD"
_OWNERS = (
    ("sdk", ("openai/", "httpx2/", "httpcore2/", "httpx/", "httpcore/", "h11/", "anyio/")),
    ("pytest", ("_pytest/", "pytest/", "pluggy/", "iniconfig/")),
    ("syrupy", ("syrupy/",)),
    ("xdist", ("xdist/", "execnet/")),
    ("vcr", ("vcr/", "pytest_recording/")),
)


def _harness_dir() -> str:
    import harness

    return str(Path(harness.__file__).resolve().parent) + os.sep


def owner(path: str, harness_dir: str) -> str | None:
    """Who a frame's file belongs to; None for stdlib and shared libraries (inherit)."""
    if path.startswith((harness_dir, "harness/")) or path.endswith((".yaml", ".yml")):
        return "harness"
    for name, needles in _OWNERS:
        for needle in needles:
            if path.startswith(needle) or f"/{needle}" in path:
                return name
    return None


def short_harness(path: str, harness_dir: str) -> str:
    if path.startswith(harness_dir):
        return "harness/" + path[len(harness_dir) :]
    if path.endswith((".yaml", ".yml")):
        return "(scenario function: YAML file)"
    return path


class Tally:
    """Seconds by owner, by innermost harness function, and by leaf function."""

    def __init__(self) -> None:
        self.by_owner: dict[str, float] = defaultdict(float)
        self.by_function: dict[str, float] = defaultdict(float)
        self.by_leaf: dict[str, float] = defaultdict(float)
        self.total = 0.0

    def add(self, frames: Iterable[tuple[str, str]], seconds: float, harness_dir: str) -> None:
        """``frames``: (function, file) from the outermost to the innermost."""
        current, function, leaf = "other", "", ""
        for name, path in frames:
            who = owner(path, harness_dir)
            if who is not None:
                current = who
                if who == "harness":
                    function = f"{name}  {short_harness(path, harness_dir)}"
            leaf = f"{name}  {path}"
        self.by_owner[current] += seconds
        if current == "harness":
            self.by_function[function] += seconds
        self.by_leaf[leaf] += seconds
        self.total += seconds

    def summary(self, name: str, engine: str, top: int) -> dict[str, Any]:
        return {
            "name": name,
            "engine": engine,
            "total_s": self.total,
            "by_owner": dict(self.by_owner),
            "top_harness": sorted(self.by_function.items(), key=lambda kv: -kv[1])[:top],
            "top_leaf": sorted(self.by_leaf.items(), key=lambda kv: -kv[1])[:top],
        }


def print_summary(summary: dict[str, Any], where: str) -> None:
    total = summary["total_s"] or 1e-9
    print(
        f"== {summary['name']}: {summary['total_s']:.2f} s sampled on CPU "
        f"({summary['engine']}; {where})"
        if summary["engine"] == "py-spy"
        else f"== {summary['name']}: {summary['total_s']:.2f} s sampled, wall clock "
        f"({summary['engine']}; {where})"
    )
    print("   time by owner:")
    for who, seconds in sorted(summary["by_owner"].items(), key=lambda kv: -kv[1]):
        print(f"   {seconds:8.3f} s {seconds / total:6.1%}  {who}")
    print("   harness functions (self + non-SDK/pytest callees):")
    for function, seconds in summary["top_harness"]:
        print(f"   {seconds:8.3f} s {seconds / total:6.1%}  {function}")
    print("   hottest leaf functions (self time):")
    for function, seconds in summary["top_leaf"][:10]:
        print(f"   {seconds:8.3f} s {seconds / total:6.1%}  {function}")


# --- engines ----------------------------------------------------------------------------------

_FRAME = re.compile(r"^(.*) \((.*?)(?::(\d+))?\)$")


def parse_pyspy_raw(path: Path, rate: int, harness_dir: str) -> Tally:
    tally = Tally()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or _MARK not in stack:
            continue
        frames = []
        inside = False
        for raw in stack.split(";"):
            match = _FRAME.match(raw)
            name, file = (match.group(1), match.group(2)) if match else (raw, "")
            if name.endswith(_MARK):
                inside = True
                continue
            if inside:
                frames.append((name, file))
        tally.add(frames, int(count) / rate, harness_dir)
    return tally


def tally_pyinstrument(root: Any, harness_dir: str) -> Tally:
    tally = Tally()
    inside: list[Any] = []

    def find(frame: Any) -> None:
        if frame.function == _MARK:
            inside.append(frame)
            return
        for child in frame.children:
            find(child)

    find(root)

    def walk(frame: Any, path: list[tuple[str, str]]) -> None:
        here = [*path, (frame.function, frame.file_path or "")]
        if frame.total_self_time:
            tally.add(here, frame.total_self_time, harness_dir)
        for child in frame.children:
            if not child.is_synthetic:
                walk(child, here)

    for start in inside:
        for child in start.children:
            if not child.is_synthetic:
                walk(child, [])
    return tally


def _profiled_region(fn: Callable[[], Any]) -> Any:
    return fn()


# --- workloads --------------------------------------------------------------------------------


def workload(args: argparse.Namespace, project: Path) -> tuple[Callable[[], Any], str]:
    """The function to profile (warm-up already done) and a description."""
    if args.target in ("replay", "floor"):
        from bench.inproc import capture_responses, floor_clients, floor_pass, load_cases
        from harness.engine.runner import Runner
        from harness.spec.settings import Settings
        from harness.util.httplib import httpx

        cases = load_cases(project, args.items)
        if args.target == "floor":
            captured = capture_responses(project, cases)
            feed = iter(captured)

            def serve(request: Any) -> Any:
                status, headers, content = next(feed)
                return httpx.Response(status, headers=headers, content=content)

            clients = floor_clients(cases, serve)

            def run_floor() -> None:
                nonlocal feed
                for _ in range(args.loops):
                    feed = iter(captured)
                    floor_pass(cases, clients)

            run_floor()
            return run_floor, f"floor, {len(cases)} items x {args.loops}"
        runner = Runner(settings=Settings(recordings_dir=project / "recordings"), env={})

        def run_replay() -> None:
            for _ in range(args.loops):
                for test_id, case in cases:
                    transcript = runner.run(case, test_id=test_id)
                    assert transcript.failure is None, transcript.failure

        run_replay()
        return run_replay, f"Runner.run, {len(cases)} items x {args.loops}"

    import pytest

    os.chdir(project)
    pytest_args = ["-q", "-p", "no:recording", "-n", "0", *args.pytest_args]
    if args.target == "collect":
        pytest_args.insert(0, "--collect-only")
    log = args.out / f"{args.name}.pytest.log"

    def run_pytest() -> None:
        saved = sys.stdout
        with open(log, "w", encoding="utf-8") as out:
            sys.stdout = out  # 20k result lines are not what we profile
            try:
                code = pytest.main(pytest_args)
            finally:
                sys.stdout = saved
        if int(code) != 0:
            raise SystemExit(f"pytest {' '.join(pytest_args)} exited {int(code)}; see {log}")

    return run_pytest, f"pytest {' '.join(pytest_args)} in {project}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("target", choices=["replay", "floor", "suite", "collect"])
    parser.add_argument("project", type=Path)
    parser.add_argument("--items", type=int, default=400)
    parser.add_argument("--loops", type=int, default=1)
    parser.add_argument("--engine", choices=["py-spy", "pyinstrument", "child"], default=None)
    parser.add_argument("--rate", type=int, default=400, help="py-spy samples per second")
    parser.add_argument("--interval", type=float, default=0.001, help="pyinstrument interval")
    parser.add_argument("--out", type=Path, default=Path("profiles"))
    parser.add_argument("--name", default=None)
    parser.add_argument("--top", type=int, default=15)
    argv = sys.argv[1:] if argv is None else argv
    own, pytest_args = (
        (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    )
    args = parser.parse_args(own)
    args.pytest_args = pytest_args
    project = args.project.resolve()
    args.out = args.out.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    args.name = args.name or args.target
    pyspy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    engine = args.engine or ("py-spy" if Path(pyspy).exists() else "pyinstrument")
    harness_dir = _harness_dir()

    if engine == "py-spy":
        raw = args.out / f"{args.name}.pyspy.txt"
        cmd = [
            pyspy,
            "record",
            "-r",
            str(args.rate),
            "-f",
            "raw",
            "-o",
            str(raw),
            "--",
            sys.executable,
            "-m",
            "bench.profile",
            "--engine",
            "child",
            *argv,
        ]
        started = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            sys.stderr.write(done.stdout + done.stderr)
            return done.returncode
        summary = parse_pyspy_raw(raw, args.rate, harness_dir).summary(args.name, engine, args.top)
        summary["wall_s"] = time.perf_counter() - started
        where = f"raw stacks: {raw}"
    else:
        fn, _description = workload(args, project)
        if engine == "child":
            _profiled_region(fn)
            return 0
        from pyinstrument import Profiler

        profiler = Profiler(interval=args.interval)
        profiler.start()
        try:
            _profiled_region(fn)
        finally:
            profiler.stop()
        tree = args.out / f"{args.name}.tree.txt"
        tree.write_text(profiler.output_text(unicode=False, color=False), encoding="utf-8")
        root = profiler.last_session.root_frame()
        summary = tally_pyinstrument(root, harness_dir).summary(args.name, engine, args.top)
        where = f"tree: {tree}"
    summary["target"] = args.target
    (args.out / f"{args.name}.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    print_summary(summary, where)
    return 0


if __name__ == "__main__":
    sys.exit(main())
