"""A failed expectation names the file and line, the step, the expectation and the reply."""

from __future__ import annotations

from support.project import Project


def test_failure_report(project: Project) -> None:
    project.with_seed_example()
    path = project.path / "scenarios" / "seeds.yaml"
    path.write_text(path.read_text().replace("- icontains: earth", "- icontains: mars"))
    lines = path.read_text().splitlines()
    step_line = next(
        i for i, text in enumerate(lines, 1) if "What is the name of the planet" in text
    )
    expect_line = next(i for i, text in enumerate(lines, 1) if "icontains: mars" in text)
    result = project.pytester.runpytest("-k", "earth")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"scenarios/seeds.yaml:{step_line}: scenario 'earth-follow-up' [txt=openai/gpt-4o], "
            "step 1: the reply does not contain 'mars' (ignoring case)",
            f"  expectation (scenarios/seeds.yaml:{expect_line}): icontains: 'mars'",
            "  reply (finish_reason=stop): 'The name of the planet where humans live, as mentioned "
            "in the previous response, is Earth.'",
        ]
    )
    assert "Traceback" not in result.stdout.str()
