"""Start-up cost of the plugin and the command: ``python -m bench.startup [--reps N]``.

* ``pytest --co -q`` in an empty folder with the plugin loaded (its ``pytest11`` entry point)
  and with ``-p no:harness``: the plugin is in every pytest run of its environment, so a run
  that collects no scenario must cost under 10% more than pytest's own start-up;
* ``harness --help`` (the console script) against a bare ``python -c pass``: under 0.3 s.

Runs alternate (with, without, ...) so both see the same machine; medians and minimums of
``--reps`` rounds of wall time. ``python -m bench`` appends this table to its results.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

PLUGIN_OVERHEAD_MAX = 0.10
HELP_MAX_S = 0.3


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(
    cmd: list[str], *, cwd: Path, env: Mapping[str, str] | None, codes: set[int]
) -> tuple[float, float]:
    """(wall, cpu) seconds of one run of ``cmd``."""
    cpu, started = _cpu(), time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode not in codes:
        raise SystemExit(f"bench.startup: {cmd} exited {done.returncode}: {done.stderr[-400:]!r}")
    return wall, _cpu() - cpu


def measure_startup(
    *, reps: int, env: Mapping[str, str] | None = None
) -> dict[str, list[tuple[float, float]]]:
    """(wall, cpu) seconds, ``reps`` runs of each command, in alternating order."""
    harness_cmd = shutil.which("harness", path=str(Path(sys.executable).parent))
    harness = [harness_cmd] if harness_cmd else [sys.executable, "-m", "harness"]
    pytest_co = [sys.executable, "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider"]
    commands = {
        "pytest --co, plugin loaded": (pytest_co, {5}),
        "pytest --co, -p no:harness": ([*pytest_co, "-p", "no:harness"], {5}),
        "harness --help": ([*harness, "--help"], {0}),
        "python -c pass": ([sys.executable, "-c", "pass"], {0}),
    }
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory(prefix="harness-startup-") as empty:
        for cmd, codes in commands.values():  # warm the OS caches once
            _timed(cmd, cwd=Path(empty), env=env, codes=codes)
        for _ in range(reps):
            for name, (cmd, codes) in commands.items():
                times[name].append(_timed(cmd, cwd=Path(empty), env=env, codes=codes))
    return times


def startup_lines(times: dict[str, list[tuple[float, float]]]) -> list[str]:
    """A Markdown table of the figures and their targets (judged on medians of CPU time,
    the steadier figure on a shared machine; wall time is shown beside it)."""
    wall = {name: statistics.median(w for w, _ in runs) for name, runs in times.items()}
    low = {name: min(w for w, _ in runs) for name, runs in times.items()}
    cpu = {name: statistics.median(c for _, c in runs) for name, runs in times.items()}
    plugin, bare = "pytest --co, plugin loaded", "pytest --co, -p no:harness"
    overhead = {kind: fig[plugin] / fig[bare] - 1 for kind, fig in (("cpu", cpu), ("wall", wall))}
    helps = cpu["harness --help"]
    reps = len(next(iter(times.values())))
    return [
        f"### Start-up (empty folder; medians of {reps} alternating rounds)",
        "",
        "| command | CPU | wall | wall, min |",
        "|---|---|---|---|",
        *(
            f"| `{name}` | {cpu[name]:.3f} s | {wall[name]:.3f} s | {low[name]:.3f} s |"
            for name in times
        ),
        "",
        "| target | measured (CPU) | wall | |",
        "|---|---|---|---|",
        f"| plugin loaded, no scenario: <= {PLUGIN_OVERHEAD_MAX:.0%} over pytest's own "
        f"start-up | {overhead['cpu']:+.1%} | {overhead['wall']:+.1%} "
        f"| {'ok' if overhead['cpu'] <= PLUGIN_OVERHEAD_MAX else 'MISSED'} |",
        f"| `harness --help` < {HELP_MAX_S} s | {helps:.3f} s | {wall['harness --help']:.3f} s "
        f"| {'ok' if helps < HELP_MAX_S else 'MISSED'} |",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__)
    parser.add_argument("--reps", type=int, default=15, help="rounds of each command")
    args = parser.parse_args(argv)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS")}
    print("\n".join(startup_lines(measure_startup(reps=args.reps, env=env))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
