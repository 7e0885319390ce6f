"""The llm fixture's clients are closed when their test ends; the shared pool is not."""

from __future__ import annotations

import pytest

from support.fake_openai import serve
from support.project import Project

KEEPING = """
import asyncio

KEPT = []


def ask(client, model, text):
    reply = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": text}]
    )
    return reply.choices[0].message.content


def test_keeps_its_clients(llm):
    KEPT.extend([llm.client, llm.async_client])
    assert ask(llm.client, llm.model, "one") == "echo: one"


def test_the_next_test_sends_through_the_same_pool(llm):
    assert KEPT and all(client.is_closed() for client in KEPT)
    assert ask(llm.client, llm.model, "two") == "echo: two"
"""


@pytest.mark.parametrize("mode", ["rewrite", "live"])
def test_llm_clients_are_closed_after_their_test(
    project: Project, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.setenv("FAKE_KEY", "k")
    with serve() as server:
        project.providers(server.providers_yaml())
        project.write("tests/test_keep.py", KEEPING)
        result = project.pytester.runpytest(f"--harness-record-mode={mode}")
        result.assert_outcomes(passed=2)
        assert len(server.requests) == 2
