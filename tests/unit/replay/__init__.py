"""Tests for harness.replay."""
