"""``harness list``, ``harness validate`` and ``harness schema``: scenario files without pytest."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.cli.settings import ScenarioSettings, cli_settings, help_for, scenario_settings
from harness.errors import LocatedError
from harness.util.paths import skipped_by_pytest, yaml_files

# `harness --help` builds this module's parsers: the models (pydantic, the SDK) load in the
# commands, not here.
if TYPE_CHECKING:
    from harness.engine.matrix import Column
    from harness.spec.scenario import Scenario

# How a command names another providers file (a pytest run's option is --harness-providers).
PROVIDERS_OPTION = "--providers"


def add_inspect_commands(subparsers: Any) -> None:
    """Add ``list``, ``validate`` and ``schema`` to the ``harness`` command."""
    listing = subparsers.add_parser("list", help="scenarios x columns, with skip reasons")
    _common(listing)
    listing.set_defaults(handler=_cmd_list)
    validate = subparsers.add_parser("validate", help="check scenario and provider files")
    _common(validate)
    validate.add_argument("--format", choices=["text", "json"], default="text")
    validate.set_defaults(handler=_cmd_validate)
    schema = subparsers.add_parser("schema", help="print the JSON Schema of scenario files")
    schema.set_defaults(handler=_cmd_schema)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        default=[],
        help="files or folders (default: harness_scenario_dirs in pytest's ini file, then "
        "scenarios)",
    )
    parser.add_argument("--providers", help=help_for("providers", "providers file"))
    parser.add_argument("--models", help=help_for("models", "comma-separated column globs"))


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files, from the models that validate them."""
    from harness.spec.load import _INTERNAL
    from harness.spec.scenario import ScenarioFile

    schema = ScenarioFile.model_json_schema(by_alias=True)
    for definition in schema.get("$defs", {}).values():
        for name in _INTERNAL:
            definition.get("properties", {}).pop(name, None)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "harness scenario file"
    return schema


def scenario_files(paths: list[str]) -> Iterator[Path]:
    """YAML files named, or found under named folders (snapshots excluded)."""
    for name in paths:
        path = Path(name)
        if path.is_dir():
            yield from yaml_files(path)
        else:
            yield path


def _matrix(args: argparse.Namespace) -> list[Column]:
    from harness.engine.matrix import columns, select_columns
    from harness.engine.narrowing import check_filter
    from harness.spec.providers import load_providers_file

    settings = cli_settings(args)
    patterns = list(settings.models)
    all_columns = columns(
        load_providers_file(settings.providers_path, how_to_set=PROVIDERS_OPTION).providers
    )
    check_filter(all_columns, patterns, source="--models")
    return select_columns(all_columns, patterns)


def uncollected_notes(paths: list[str], *, norecursedirs: tuple[str, ...]) -> Iterator[str]:
    """A warning per scenario file pytest will not collect (in a ``norecursedirs`` folder)."""
    for name in paths:
        if Path(name).is_dir():
            for path in yaml_files(Path(name)):
                folder = skipped_by_pytest(path, Path(name), norecursedirs)
                if folder:
                    yield (
                        f"{path}:1:1: warning: pytest does not collect this file ({folder} "
                        "matches its norecursedirs); move it or change norecursedirs"
                    )


def _paths(args: argparse.Namespace, found: ScenarioSettings) -> list[str]:
    """The paths given, or the scenario folders a pytest run here collects."""
    return list(args.paths) or [str(folder) for folder in found.dirs]


def _cmd_list(args: argparse.Namespace) -> int:
    from harness.spec.load import load_scenarios

    found = scenario_settings()
    paths = _paths(args, found)
    matrix = _matrix(args)
    for path in scenario_files(paths):
        # As collection loads them: images under the rootdir unless the ini says otherwise.
        for scenario in load_scenarios(
            path, image_root=Path.cwd(), images_anywhere=found.images_anywhere
        ):
            for line in _case_lines(path, scenario, matrix):
                print(line)
    for note in uncollected_notes(paths, norecursedirs=found.norecursedirs):
        print(note)
    return 0


def _case_lines(path: Path, scenario: Scenario, matrix: list[Column]) -> Iterator[str]:
    from harness.engine.matrix import cases_for

    cases = cases_for(scenario, matrix)
    if not cases:
        yield f"{path}::{scenario.id}  (no matrix column matches)"
    for case in cases:
        note = f"  (skip: {case.skip_reason})" if case.skip_reason else ""
        note += f"  (xfail: {case.xfail_reason})" if case.xfail_reason else ""
        yield f"{path}::{scenario.id}[{case.id}]{note}"


def _cmd_validate(args: argparse.Namespace) -> int:
    """Every problem of every file, in file order; images must lie under the working folder."""
    from harness.engine.crosscheck import cross_check
    from harness.engine.matrix import columns
    from harness.spec.load import read_scenarios
    from harness.spec.providers import read_providers_file

    found = scenario_settings()
    paths = _paths(args, found)
    files = list(scenario_files(paths))
    warnings = list(uncollected_notes(paths, norecursedirs=found.norecursedirs))
    path = cli_settings(args).providers_path
    loaded, problems = read_providers_file(path, how_to_set=PROVIDERS_OPTION)
    matrix = None if loaded is None else columns(loaded.providers)
    for path in files:
        scenarios, located = read_scenarios(
            path, image_root=Path.cwd(), images_anywhere=found.images_anywhere
        )
        if not scenarios and not located:
            warnings.append(f"{path}:1:1: warning: no scenarios in this file")
        located += cross_check(scenarios, matrix)
        problems.extend(sorted(located, key=lambda p: (p.line, p.col)))
    checked = len(files) + 1
    if args.format == "json":
        print(json.dumps([_problem(p) for p in problems], indent=2))
    else:
        for line in [*map(str, problems), *warnings]:
            print(line)
        print(f"checked {checked} file(s): {len(problems)} problem(s)")
    return 1 if problems else 0


def _problem(error: LocatedError) -> dict[str, Any]:
    return {"path": error.path, "line": error.line, "col": error.col, "cause": error.cause}


def _cmd_schema(args: argparse.Namespace) -> int:
    print(json.dumps(scenario_schema(), indent=2))
    return 0
