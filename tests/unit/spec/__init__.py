"""Tests for harness.spec."""
