"""Replay benchmarks for harness: ``python -m bench [--n N] [--quick]``.

Generates synthetic suites in a temp dir (scenarios, recordings in harness's format, the same
suite as pytest-recording/vcrpy tests and cassettes, an empty parametrized test) and measures
them side by side against the floor set by the openai SDK itself. See ``bench/README.md``.
"""
