"""``python -m bench``: build synthetic suites in a temp dir, measure them, print and save a table.

    python -m bench                  # N=1000 suite, 10k collection/RSS, 100k-recordings start-up
    python -m bench --quick          # tiny sizes, seconds: proves the benchmark runs (CI)
    python -m bench --profile        # also profiles (py-spy) of floor, replay, suite, collection
    python -m bench --harness-rev HEAD   # measure a committed harness (git archive), not the tree

See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from .startup import measure_startup, startup_lines

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
_REEXEC = "HARNESS_BENCH_SRC"
_ARGV = "HARNESS_BENCH_ARGV"


# --- running things ---------------------------------------------------------------------------


@dataclass
class Run:
    wall: float
    cpu: float  # user + system seconds of the process and its children (xdist workers)
    rss_mb: float
    code: int
    log: Path


def clean_env(src: Path | None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HARNESS_", "PYTEST_XDIST", "PYTEST_ADDOPTS"))
        and k not in ("CI", "PYTEST_PLUGINS", "PYTHONPATH")
    }
    paths = [str(src)] if src else []
    paths.append(str(REPO))  # `bench` itself, after the harness under test
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["PYTHONHASHSEED"] = "0"
    env.pop(_REEXEC, None)
    env.pop(_ARGV, None)
    return env


class Runner:
    def __init__(self, workdir: Path, src: Path | None, verbose: bool) -> None:
        self.logs = workdir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.env = clean_env(src)
        self.verbose = verbose
        self.count = 0

    def run(self, name: str, cmd: list[str], cwd: Path, *, expect: str | None = None) -> Run:
        """Run ``cmd``; wall time, CPU time and the peak RSS of that process.

        The command is started by a small launcher (``python -S``) that forks it and reports
        its ``wait4`` figures: a process forked straight from this one would count this
        process's own memory in its peak RSS (Linux keeps the pre-exec high-water mark).
        """
        self.count += 1
        log = self.logs / f"{self.count:03d}-{name}.log"
        figures = self.logs / f"{self.count:03d}-{name}.rusage"
        with open(log, "wb") as out:
            started = time.perf_counter()
            process = subprocess.Popen(
                [sys.executable, "-S", "-c", _LAUNCHER, str(figures), *cmd],
                cwd=cwd,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            process.wait()
            wall = time.perf_counter() - started
        maxrss_kb, cpu, code = json.loads(figures.read_text())
        usage = argparse.Namespace(ru_maxrss=maxrss_kb, ru_utime=cpu, ru_stime=0.0)
        text = log.read_text(encoding="utf-8", errors="replace")
        if code != 0 or (expect is not None and not re.search(expect, text)):
            tail = "\n".join(text.splitlines()[-30:])
            raise SystemExit(
                f"bench: {name} failed (exit {code}; expected {expect!r}); "
                f"{' '.join(cmd)} in {cwd}\n{tail}"
            )
        if self.verbose:
            print(f"    {name}: {wall:.2f} s, {usage.ru_maxrss / 1024:.0f} MB", flush=True)
        return Run(
            wall=wall,
            cpu=usage.ru_utime + usage.ru_stime,
            rss_mb=usage.ru_maxrss / 1024,
            code=code,
            log=log,
        )


# Forks the command, waits for it, writes [peak RSS KB, CPU s, exit code] to argv[1].
_LAUNCHER = """import json, os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
code = os.waitstatus_to_exitcode(status)
with open(sys.argv[1], "w") as out:
    json.dump([usage.ru_maxrss, usage.ru_utime + usage.ru_stime, code], out)
"""

PYTEST = [sys.executable, "-m", "pytest", "-q"]
HARNESS_ARGS = ["-p", "no:recording"]  # pytest-recording's autouse fixtures stay out
VCR_ARGS = ["-p", "no:harness", "-p", "no:syrupy"]
EMPTY_ARGS = ["-p", "no:harness", "-p", "no:syrupy", "-p", "no:recording"]


def passed(count: int) -> str:
    return rf"\b{count} passed\b"


# --- machine ----------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for name in (
        "openai",
        "httpx2",
        "pydantic",
        "pytest",
        "pytest-xdist",
        "syrupy",
        "vcrpy",
        "pytest-recording",
        "PyYAML",
    ):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "-"
    return {
        "nproc": str(len(os.sched_getaffinity(0))),
        "cpu": model,
        "python": platform.python_version(),
        "versions": ", ".join(f"{k} {v}" for k, v in versions.items()),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def harness_rev(src: Path | None, rev: str | None) -> str:
    if rev:
        return rev
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "harness"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"
    where = f" ({src})" if src else ""
    return f"{head}{' + uncommitted changes in harness/' if dirty and not src else ''}{where}"


# --- the benchmark ----------------------------------------------------------------------------


@dataclass
class Results:
    samples: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    rss: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    cpu: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    inproc: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    profiles: list[dict[str, Any]] = field(default_factory=list)

    def add(self, name: str, run: Run) -> None:
        self.samples[name].append(run.wall)
        self.rss[name].append(run.rss_mb)
        self.cpu[name].append(run.cpu)

    def t(self, name: str) -> float:
        return statistics.median(self.samples[name])

    def m(self, name: str) -> float:
        return statistics.median(self.rss[name])

    def c(self, name: str) -> float:
        return statistics.median(self.cpu[name])


def build(args: argparse.Namespace, wd: Path) -> dict[str, Path]:
    from bench import synth

    per = args.per_file
    big_run = not args.skip_big_run
    started = time.perf_counter()
    synth.check_store_format(wd / "format-check", per)
    rec = wd / "rec"
    made = synth.write_recordings(rec, max(args.n, args.big if big_run else 0), per_file=per)
    projects = {
        "plain": synth.write_harness_project(
            wd / "plain", args.n, per_file=per, snapshot=False, recordings=rec
        ),
        "snap": synth.write_harness_project(
            wd / "snap", args.n, per_file=per, snapshot=True, recordings=rec
        ),
        "big": synth.write_harness_project(
            wd / "big", args.big, per_file=per, snapshot=False, recordings=rec
        ),
        "vcr": synth.write_vcr_project(wd / "vcr", args.n, per_file=per),
        "empty": synth.write_empty_project(wd / "empty", args.n, per_file=per),
        "empty-small": synth.write_empty_project(wd / "empty-small", per, per_file=per),
        "empty-big": synth.write_empty_project(wd / "empty-big", args.big, per_file=per),
    }
    for name in ("few", "many"):
        project = synth.write_harness_project(
            wd / f"startup-{name}", per, per_file=per, snapshot=False, recordings=None
        )
        synth.write_recordings(project / "recordings", per, per_file=per)
        projects[f"startup-{name}"] = project
    real = sorted((projects["startup-many"] / "recordings" / "openai").glob("*.json"))
    synth.write_fake_recordings(
        projects["startup-many"] / "recordings" / "openai", args.fake, templates=real
    )
    print(
        f"  built in {time.perf_counter() - started:.1f} s: {made} recordings, "
        f"{args.fake} extra recording files, projects in {wd}",
        flush=True,
    )
    return projects


def measure(
    args: argparse.Namespace, wd: Path, projects: dict[str, Path], runner: Runner
) -> Results:
    res = Results()
    n, per = args.n, args.per_file
    items = 2 * n
    P = projects

    print("  snapshots: --snapshot-update once", flush=True)
    runner.run(
        "snap-update",
        [*PYTEST, *HARNESS_ARGS, "scenarios", "-n", "0", "--snapshot-update"],
        P["snap"],
        expect=passed(items),
    )

    print("  warm-up runs (page cache, .pyc)", flush=True)
    runner.run(
        "warm-plain",
        [*PYTEST, *HARNESS_ARGS, "scenarios", "-n", "0"],
        P["plain"],
        expect=passed(items),
    )
    runner.run("warm-vcr", [*PYTEST, *VCR_ARGS, "-n", "0"], P["vcr"], expect=passed(items))
    runner.run("warm-empty", [*PYTEST, *EMPTY_ARGS, "-n", "0"], P["empty"], expect=passed(items))
    runner.run(
        "warm-empty-small",
        [*PYTEST, *EMPTY_ARGS, "-n", "0"],
        P["empty-small"],
        expect=passed(2 * per),
    )

    print(f"  in-process per turn: floor vs Runner.run ({args.inproc_items} items)", flush=True)
    inproc = runner.run(
        "inproc",
        [
            sys.executable,
            "-m",
            "bench.inproc",
            str(P["plain"]),
            "--items",
            str(args.inproc_items),
            "--reps",
            str(args.inproc_reps),
        ],
        wd,
    )
    res.inproc = json.loads(inproc.log.read_text().strip().splitlines()[-1])

    suites = {
        "harness-n0": ([*PYTEST, *HARNESS_ARGS, "scenarios", "-n", "0"], "plain"),
        "harness-snap-n0": ([*PYTEST, *HARNESS_ARGS, "scenarios", "-n", "0"], "snap"),
        "harness-n2": ([*PYTEST, *HARNESS_ARGS, "scenarios", "-n", "2"], "plain"),
        "harness-snap-n2": ([*PYTEST, *HARNESS_ARGS, "scenarios", "-n", "2"], "snap"),
        "vcr-n0": ([*PYTEST, *VCR_ARGS, "-n", "0"], "vcr"),
        "vcr-n2": ([*PYTEST, *VCR_ARGS, "-n", "2"], "vcr"),
        "empty-n0": ([*PYTEST, *EMPTY_ARGS, "-n", "0"], "empty"),
        "empty-n2": ([*PYTEST, *EMPTY_ARGS, "-n", "2"], "empty"),
        "empty-small-n0": ([*PYTEST, *EMPTY_ARGS, "-n", "0"], "empty-small"),
    }
    collect = {
        "collect-n": ([*PYTEST, *HARNESS_ARGS, "--collect-only", "scenarios"], "plain"),
        "collect-big": ([*PYTEST, *HARNESS_ARGS, "--collect-only", "scenarios"], "big"),
        "collect-empty-big": ([*PYTEST, *EMPTY_ARGS, "--collect-only"], "empty-big"),
    }
    one = "scenarios/f0000.yaml::s00000[txt=openai/gpt-4o]"
    startup = {
        "startup-few-nodeid": ([*PYTEST, *HARNESS_ARGS, one], "startup-few"),
        "startup-many-nodeid": ([*PYTEST, *HARNESS_ARGS, one], "startup-many"),
        "startup-few-k": ([*PYTEST, *HARNESS_ARGS, "-k", "s00000 and openai"], "startup-few"),
        "startup-many-k": ([*PYTEST, *HARNESS_ARGS, "-k", "s00000 and openai"], "startup-many"),
    }
    expected = {
        "empty-small-n0": passed(2 * per),
        "collect-n": rf"\b{items} tests? collected",
        "collect-big": rf"\b{2 * args.big} tests? collected",
        "collect-empty-big": rf"\b{2 * args.big} tests? collected",
    }
    for rep in range(args.reps):
        print(f"  round {rep + 1}/{args.reps}: suites, collection, start-up", flush=True)
        for table in (suites, collect, startup):
            for name, (cmd, project) in table.items():
                expect = expected.get(
                    name, passed(1) if name.startswith("startup") else passed(items)
                )
                res.add(name, runner.run(f"{name}-r{rep}", cmd, P[project], expect=expect))

    if not args.skip_big_run:
        print(f"  the {args.big}-scenario suite, once (-n 0): time and peak RSS", flush=True)
        res.add(
            "harness-big-n0",
            runner.run(
                "harness-big-n0",
                [*PYTEST, *HARNESS_ARGS, "scenarios", "-n", "0"],
                P["big"],
                expect=passed(2 * args.big),
            ),
        )

    if args.profile:
        out = args.profile_dir or (wd / "profiles")
        print(f"  profiles -> {out}", flush=True)
        loops = ["--items", str(args.inproc_items), "--loops", "3"]
        jobs = [
            ("floor", "floor", [str(P["plain"]), *loops]),
            ("replay", "replay", [str(P["plain"]), *loops]),
            ("suite", f"suite-snapshots-{n}", [str(P["snap"]), "--", "scenarios"]),
            ("collect", f"collect-{args.big}", [str(P["big"]), "--", "scenarios"]),
        ]
        for target, name, rest in jobs:
            run = runner.run(
                f"profile-{name}",
                [
                    sys.executable,
                    "-m",
                    "bench.profile",
                    target,
                    "--out",
                    str(out),
                    "--name",
                    name,
                    *rest,
                ],
                wd,
            )
            print(run.log.read_text(), flush=True)
            res.profiles.append(json.loads((out / f"{name}.json").read_text()))
    return res


# --- the table --------------------------------------------------------------------------------


def verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("yes" if ok else "**no**")


def tables(
    args: argparse.Namespace, res: Results, info: dict[str, str], rev: str
) -> tuple[str, str]:
    n, big = args.n, args.big
    items, turns = 2 * n, 6 * n
    ip = res.inproc
    floor_turn = ip["floor_ms_per_turn"]
    harness_turn = ip["harness_ms_per_turn"]
    floor_suite = floor_turn * turns / 1e3
    t = res.t
    judge = not args.quick

    per_test = (t("empty-n0") - t("empty-small-n0")) / (items - 2 * args.per_file) * 1e3
    budget = floor_suite + t("empty-n0")
    rows_ratio: list[tuple[str, str, str, bool | None]] = []

    def ratio(name: str, value: str, target: str, ok: bool) -> None:
        rows_ratio.append((name, value, target, ok if judge else None))

    r_turn = statistics.median(ip["harness_over_floor_per_round"])
    r_turn_cpu = ip["harness_cpu_ms_per_turn"] / ip["floor_cpu_ms_per_turn"]
    ratio(
        "harness / floor, per turn (in-process `Runner.run` vs SDK on MockTransport)",
        f"{r_turn:.3f}x ({harness_turn:.2f} vs {floor_turn:.2f} ms; CPU {r_turn_cpu:.3f}x)",
        "<= 1.05x",
        r_turn <= 1.05,
    )
    r_snap = t("harness-snap-n0") / budget
    ratio(
        f"suite with snapshots / (floor + pytest's own cost), {n} scenarios, -n 0",
        f"{r_snap:.2f}x ({t('harness-snap-n0'):.1f} vs {floor_suite:.1f} + {t('empty-n0'):.1f} s)",
        "<= 1.00x",
        r_snap <= 1.0,
    )
    r_plain = t("harness-n0") / budget
    ratio(
        f"suite without snapshots / (floor + pytest's own cost), {n} scenarios, -n 0",
        f"{r_plain:.2f}x ({t('harness-n0'):.1f} s)",
        "(info)",
        r_plain <= 1.0,
    )
    speed_vcr = t("vcr-n0") / t("harness-n0")
    ratio(
        "pytest-recording / harness, per suite (-n 0; harness without snapshots)",
        f"{speed_vcr:.2f}x faster ({t('vcr-n0'):.1f} vs {t('harness-n0'):.1f} s; CPU "
        f"{res.c('vcr-n0') / res.c('harness-n0'):.2f}x)",
        ">= 1.3x faster",
        speed_vcr >= 1.3,
    )
    speed_vcr_snap = t("vcr-n0") / t("harness-snap-n0")
    ratio(
        "pytest-recording / harness with snapshots, per suite (-n 0)",
        f"{speed_vcr_snap:.2f}x (CPU {res.c('vcr-n0') / res.c('harness-snap-n0'):.2f}x)",
        "(info)",
        speed_vcr_snap >= 1.3,
    )
    sp = t("harness-n0") / t("harness-n2")
    ratio(
        f"-n 2 speedup, {n} scenarios (harness without snapshots)",
        f"{sp:.2f}x ({t('harness-n0'):.1f} -> {t('harness-n2'):.1f} s)",
        ">= 1.7x",
        sp >= 1.7,
    )
    sp_snap = t("harness-snap-n0") / t("harness-snap-n2")
    ratio(
        f"-n 2 speedup, {n} scenarios (with snapshots)",
        f"{sp_snap:.2f}x",
        ">= 1.7x",
        sp_snap >= 1.7,
    )
    sp_empty = t("empty-n0") / t("empty-n2")
    ratio(
        "-n 2 speedup of the empty suite (pytest + xdist alone, for reference)",
        f"{sp_empty:.2f}x",
        "(info)",
        sp_empty >= 1.7,
    )
    cb = t("collect-big")
    ratio(
        f"collection of {big} scenarios ({2 * big} items), --collect-only",
        f"{cb:.2f} s ({cb / big * 1e3:.3f} ms/scenario; {n}: "
        f"{t('collect-n') / n * 1e3:.3f} ms/scenario; empty tests of the same shape "
        f"{t('collect-empty-big'):.2f} s)",
        "<= 2 s",
        cb <= 2.0,
    )
    few, many = t("startup-few-nodeid"), t("startup-many-nodeid")
    ratio(
        f"start-up, one item by node id: {args.fake} recordings present vs {6 * args.per_file}",
        f"{many:.2f} vs {few:.2f} s ({many / few:.2f}x)",
        "unaffected (<= +10%)",
        many <= few * 1.10,
    )
    fk, mk = t("startup-few-k"), t("startup-many-k")
    ratio(
        f"start-up, one item by -k (pytest walks the rootdir): {args.fake} recordings vs few",
        f"{mk:.2f} vs {fk:.2f} s ({mk / fk:.2f}x)",
        "unaffected (<= +10%)",
        mk <= fk * 1.10,
    )
    base = res.m("startup-few-nodeid")

    def growth(small: float, large: float) -> str:
        if small - base < 1.0:
            return f"{small:.0f} -> {large:.0f} MB (start-up {base:.0f} MB)"
        return (
            f"{small:.0f} -> {large:.0f} MB: +{small - base:.0f} -> +{large - base:.0f} MB "
            f"above start-up ({base:.0f} MB), x{(large - base) / (small - base):.1f} "
            f"for x{big / n:.0f} scenarios"
        )

    cn, cbm = res.m("collect-n"), res.m("collect-big")
    ratio(
        f"peak RSS, --collect-only: {n} -> {big} scenarios",
        growth(cn, cbm),
        "sublinear",
        (cbm - base) < (big / n) * max(cn - base, 1.0),
    )
    if "harness-big-n0" in res.samples:
        rn, rb = res.m("harness-n0"), res.m("harness-big-n0")
        ratio(
            f"peak RSS, collection + run (-n 0): {n} -> {big} scenarios",
            growth(rn, rb),
            "sublinear",
            (rb - base) < (big / n) * max(rn - base, 1.0),
        )
        per_item_n = t("harness-n0") / items * 1e3
        per_item_big = t("harness-big-n0") / (2 * big) * 1e3
        ratio(
            f"wall per item, {n} vs {big} scenarios (-n 0): nothing grows with size",
            f"{per_item_n:.2f} vs {per_item_big:.2f} ms",
            "(info)",
            per_item_big <= per_item_n * 1.10,
        )

    detail: list[tuple[str, str, str, str, str]] = []

    def row(name: str, key: str, count: int | None = None, unit: str = "item") -> None:
        if key not in res.samples:
            return
        wall = t(key)
        per = f"{wall / count * 1e3:.2f} ms/{unit}" if count else ""
        detail.append((name, f"{wall:.2f} s", f"{res.c(key):.2f} s", per, f"{res.m(key):.0f} MB"))

    detail.append(
        (
            "floor: SDK on MockTransport, pre-built bytes (in-process, extrapolated)",
            f"{floor_suite:.2f} s",
            f"{ip['floor_cpu_ms_per_turn'] * turns / 1e3:.2f} s",
            f"{floor_turn:.2f} ms/turn",
            "",
        )
    )
    detail.append(
        (
            "harness Runner.run (in-process, extrapolated)",
            f"{harness_turn * turns / 1e3:.2f} s",
            f"{ip['harness_cpu_ms_per_turn'] * turns / 1e3:.2f} s",
            f"{harness_turn:.2f} ms/turn",
            "",
        )
    )
    detail.append(
        (
            "  + snapshot text (render + secret scan), per item",
            "",
            "",
            f"{ip['snapshot_ms_per_item']:.2f} ms/item",
            "",
        )
    )
    detail.append(
        (
            "  + report record (build_record), per item",
            "",
            "",
            f"{ip['record_ms_per_item']:.2f} ms/item",
            "",
        )
    )
    row(
        "pytest, empty parametrized tests (same files/items; SDK imported), -n 0", "empty-n0", items
    )
    detail.append(
        (
            "pytest's own per-test cost (slope of the empty suite)",
            "",
            "",
            f"{per_test:.2f} ms/item",
            "",
        )
    )
    row("pytest, empty, -n 2", "empty-n2", items)
    row("harness replay, -n 0", "harness-n0", items)
    row("harness replay + snapshots, -n 0", "harness-snap-n0", items)
    row("harness replay, -n 2", "harness-n2", items)
    row("harness replay + snapshots, -n 2", "harness-snap-n2", items)
    row("pytest-recording/vcrpy, -n 0", "vcr-n0", items)
    row("pytest-recording/vcrpy, -n 2", "vcr-n2", items)
    row(f"--collect-only, {n} scenarios", "collect-n", n, "scenario")
    row(f"--collect-only, {big} scenarios", "collect-big", big, "scenario")
    row(
        f"--collect-only, empty tests of the same shape, {big}",
        "collect-empty-big",
        big,
        "scenario",
    )
    row(f"start-up: one item by node id, {6 * args.per_file} recordings", "startup-few-nodeid")
    row(f"start-up: one item by node id, +{args.fake} recordings", "startup-many-nodeid")
    row(f"start-up: one item by -k, {6 * args.per_file} recordings", "startup-few-k")
    row(f"start-up: one item by -k, +{args.fake} recordings", "startup-many-k")
    row(f"harness replay, {big} scenarios, -n 0 (once)", "harness-big-n0", 2 * big)

    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    head = [
        f"harness replay benchmark — {when}",
        f"command: python -m bench {' '.join(args.argv)}".rstrip(),
        f"machine: nproc {info['nproc']}, {info['cpu']}, Python {info['python']}; "
        f"load average at start {info['load']}, at end "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        f"versions: {info['versions']}",
        f"harness: {rev}",
        f"suite: {n} scenarios x 3 turns x 2 columns = {items} items, {turns} turns; "
        f"{ip['streamed_turns']}/{ip['turns']} sampled turns streamed, "
        f"{ip['mean_chunks']:.1f} chunks per stream on average; "
        f"medians of {args.reps} rounds (in-process: {args.inproc_reps} rounds over "
        f"{ip['items']} items)",
    ]
    if args.quick:
        head.append(
            "QUICK MODE: tiny sizes, one round — proves the benchmark runs; "
            "the numbers mean nothing and no target is judged."
        )

    def md_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
        out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        out += ["| " + " | ".join(r) + " |" for r in rows]
        return out

    ratio_rows = [(a, b, c, verdict(d)) for a, b, c, d in rows_ratio]
    md = ["# harness replay benchmark", ""] + [f"- {h}" for h in head] + [""]
    md += ["## Ratios and targets", ""]
    md += md_table(("measure", "value", "target", "met"), ratio_rows)
    md += ["", "## Measurements", ""]
    md += md_table(("what", "wall (median)", "CPU (median)", "per unit (wall)", "peak RSS"), detail)
    for profile in res.profiles:
        total = profile["total_s"]
        md += [
            "",
            f"## Profile: {profile['name']} ({total:.2f} s sampled, {profile['engine']})",
            "",
            "time by owner: "
            + ", ".join(
                f"{who} {sec / total:.1%}"
                for who, sec in sorted(profile["by_owner"].items(), key=lambda kv: -kv[1])
            ),
            "",
        ]
        md += md_table(
            ("harness function (self + non-SDK callees)", "s", "share"),
            [
                (f"`{fn}`", f"{sec:.3f}", f"{sec / total:.1%}")
                for fn, sec in profile["top_harness"][:12]
            ],
        )
    md_text = "\n".join(md) + "\n"

    def plain_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
        widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
        widths[0] = min(widths[0], 78)
        fmt = "  ".join(f"{{:{w}}}" for w in widths)
        return [fmt.format(*header), fmt.format(*("-" * w for w in widths))] + [
            fmt.format(*r) for r in rows
        ]

    ratios_plain = [(a, b, c, d.replace("**", "")) for a, b, c, d in ratio_rows]
    text = "\n".join(
        [
            *head,
            "",
            *plain_table(("measure", "value", "target", "met"), ratios_plain),
            "",
            *plain_table(("what", "wall", "CPU", "per unit", "peak RSS"), detail),
        ]
    )
    return text, md_text


# --- entry point ------------------------------------------------------------------------------


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--n", type=int, default=1000, help="scenarios in the timed suite")
    parser.add_argument(
        "--big", type=int, default=10000, help="scenarios for the collection and RSS measurements"
    )
    parser.add_argument(
        "--fake",
        type=int,
        default=100_000,
        help="extra recording files for the start-up measurement",
    )
    parser.add_argument("--per-file", type=int, default=20, help="scenarios per file")
    parser.add_argument("--reps", type=int, default=3, help="rounds of subprocess runs")
    parser.add_argument("--inproc-items", type=int, default=400)
    parser.add_argument("--inproc-reps", type=int, default=7)
    parser.add_argument(
        "--skip-big-run", action="store_true", help="do not run the --big suite (only collect it)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes, one round: proves it runs (seconds)"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also profile replay, the suite with snapshots, and collection",
    )
    parser.add_argument("--profile-dir", type=Path, default=None)
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="Markdown results (default bench/results.md; --quick: in workdir)",
    )
    parser.add_argument("--workdir", type=Path, default=None, help="default: a new temp dir")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    parser.add_argument(
        "--harness-src",
        type=Path,
        default=None,
        help="measure the harness package found in this folder",
    )
    parser.add_argument(
        "--harness-rev", default=None, help="measure harness/ as committed at this git revision"
    )
    parser.add_argument(
        "--harness-patch",
        type=Path,
        default=None,
        help="apply this diff (git apply) to the exported harness first",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="print every run")
    parser.add_argument("--rev-label", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--cleanup", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.argv = json.loads(os.environ.get(_ARGV, "null")) or argv
    if args.quick:
        args.n, args.big, args.fake, args.per_file = 10, 40, 2000, 5
        args.reps, args.inproc_items, args.inproc_reps = 1, 20, 1
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    owned = args.workdir is None
    wd = (args.workdir or Path(tempfile.mkdtemp(prefix="harness-bench-"))).resolve()
    wd.mkdir(parents=True, exist_ok=True)
    src = args.harness_src.resolve() if args.harness_src else None
    if args.harness_rev:
        src = wd / "harness-src"
        shutil.rmtree(src, ignore_errors=True)
        src.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", args.harness_rev, "harness"],
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
        if args.harness_patch:
            subprocess.run(["git", "apply", str(args.harness_patch.resolve())], cwd=src, check=True)
    if src is not None and os.environ.get(_REEXEC) != str(src):
        # Re-run from the workdir so that `import harness` finds `src` first (not ./harness).
        env = clean_env(src)
        env[_REEXEC] = str(src)
        env[_ARGV] = json.dumps(argv)
        rest = list(argv)
        for option in ("--harness-rev", "--harness-patch"):
            if option in rest:
                i = rest.index(option)
                del rest[i : i + 2]
        rest += ["--harness-src", str(src), "--workdir", str(wd)]
        if args.harness_rev:
            label = subprocess.run(
                ["git", "-C", str(REPO), "rev-parse", "--short", args.harness_rev],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            label = f"{label} ({args.harness_rev}, exported with git archive)"
            if args.harness_patch:
                label += f" + {args.harness_patch}"
            rest += ["--rev-label", label]
        if owned and not args.keep:
            rest.append("--cleanup")
        if args.out is None and not args.quick:
            rest += ["--out", str(BENCH_DIR / "results.md")]
        return subprocess.call([sys.executable, "-m", "bench", *rest], cwd=wd, env=env)

    import harness

    print(f"harness from {Path(harness.__file__).parent}", flush=True)
    info = machine()
    rev = harness_rev(src, args.rev_label)
    print(
        f"machine: nproc {info['nproc']}, {info['cpu']}, Python {info['python']}, "
        f"load {info['load']}",
        flush=True,
    )
    started = time.perf_counter()
    try:
        projects = build(args, wd)
        runner = Runner(wd, src, args.verbose)
        res = measure(args, wd, projects, runner)
        text, md = tables(args, res, info, rev)
        startup = "\n".join(
            startup_lines(measure_startup(reps=3 if args.quick else 15, env=clean_env(src)))
        )
        text, md = f"{text}\n\n{startup}", f"{md}\n{startup}\n"
        print()
        print(text)
        out = args.out or (wd / "results-quick.md" if args.quick else BENCH_DIR / "results.md")
        out.write_text(md, encoding="utf-8")
        removed = (owned or args.cleanup) and not args.keep and out.is_relative_to(wd)
        print(
            f"\nMarkdown: {out}{' (removed with the workdir)' if removed else ''}  "
            f"(total {time.perf_counter() - started:.0f} s)"
        )
    finally:
        if (owned or args.cleanup) and not args.keep:
            shutil.rmtree(wd, ignore_errors=True)
        else:
            print(f"workdir kept: {wd}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
