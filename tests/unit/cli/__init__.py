"""Tests for harness.cli."""
