"""What every driver is to the runner: something that runs a case's steps, one result each."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol

from harness.engine.transcript import StepResult


class Driver(Protocol):
    """Runs one case's steps (chat, responses, or an application named as ``target``)."""

    def steps(self, *, on_step: Callable[[int], None] | None = None) -> Iterator[StepResult]:
        """Run the steps in order, yielding each result as soon as it is known; ``on_step``
        hears each step's index before it starts."""
        ...
