"""Tests for harness.outputs."""
