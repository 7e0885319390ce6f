"""Tests for harness.plugin."""
