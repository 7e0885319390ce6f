"""Tests for harness.engine."""
