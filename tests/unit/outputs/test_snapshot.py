"""Snapshot text is the same whichever YAML emitter (libyaml's or PyYAML's) writes it."""

from __future__ import annotations

import random
import string

import pytest
import yaml

from harness.outputs import snapshot

TRICKY = [
    "",
    " ",
    "null",
    "yes",
    "No",
    "~",
    "1",
    "1.0",
    "0x1F",
    "-",
    "- a",
    ": x",
    "a: b",
    "#c",
    "  lead",
    "trail  ",
    "a\n",
    "\n",
    "a\n\nb\n",
    "a\nb",
    " a\nb",
    "x\t\ny",
    "a\r\nb",
    "line \nnext",
    "'q'",
    '"q"',
    "a" * 300,
    "é ß 中文 \u00a0",
    "😀",
    "😀\nx",
    "\x85",
    "a\u2028b",
]


def _documents() -> list[dict[str, object]]:
    rng = random.Random(7)
    alphabet = string.printable + "éß中文😀\u00a0\u2028\u0085\x7f\x1b'\"#:-?{}[],&*!|>%@`"
    texts = TRICKY + [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(500)
    ]
    return [
        {
            "scenario": "s",
            "column": "p/m",
            "steps": [
                {
                    "step": 1,
                    "sent": [{"role": "user", "content": text}],
                    "reply": text,
                    "tool_calls": [{"name": "f", "arguments": {"k": text, "n": [1, 2.5, None]}}],
                    "finish_reason": "stop",
                }
            ],
        }
        for text in texts
    ]


@pytest.mark.skipif(snapshot._CDumper is None, reason="PyYAML built without libyaml")
def test_libyaml_and_python_emitters_write_the_same_text() -> None:
    fast_path = 0
    for document in _documents():
        python = yaml.dump(
            document, Dumper=snapshot._Dumper, sort_keys=False, allow_unicode=True, width=1 << 30
        )
        fast_path += not snapshot._python_only(document)
        assert snapshot.render_document(document) == python, document
    assert fast_path > 250  # most documents take libyaml's emitter
