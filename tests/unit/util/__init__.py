"""Tests for harness.util."""
