"""Tests for harness.engine.assemble (a package: its module names cannot clash)."""
