"""Project-level pytest configuration.

The harness plugin itself loads through its ``pytest11`` entry point; nothing is needed here for
``pytest scenarios``. Our own test suite's shared fixtures live in ``tests/conftest.py``.
"""
