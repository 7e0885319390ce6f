"""Tests for harness.drivers (a package so its module names cannot clash with other folders)."""
