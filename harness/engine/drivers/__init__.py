"""Drivers: one per API a scenario can drive (chat completions for now)."""
