"""Tests for harness.engine.drivers (a package: its module names cannot clash)."""
