"""The pytest adapter: the only modules that import pytest or syrupy."""
