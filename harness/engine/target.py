"""YAML targets: a scenario that names the application (``target: module:attr``) instead of a
raw request. Each step's user message goes in, the application's reply comes out and is
checked; every request the application made in the step is kept for ``called``/``calls``.

A target is a class, instantiated once per case, whose instances answer through ``answer``
(or ``__call__``), or a function called once per step. Either may be async. It receives, by
keyword, whichever of ``client`` (``OpenAI``; ``AsyncOpenAI`` when annotated so),
``async_client`` (``AsyncOpenAI``) and ``model`` its signature names.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import sys
import traceback
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from openai.types.chat import ChatCompletion

from harness.engine.transcript import Exchange, StepResult
from harness.errors import HarnessError, RecordingMissError, ScenarioError
from harness.spec.expect import TARGET_REPLY_ID

if TYPE_CHECKING:
    from harness.engine.attempt import CaseClients
    from harness.engine.matrix import Case
    from harness.replay.calls import Call

_OFFERED = ("client", "async_client", "model")


class TargetError(HarnessError):
    """The application under test raised: its traceback is the user's code, so it is shown."""


def load_target(spec: str, *, base_dir: str, path: str, line: int) -> Any:
    """The object ``module:attr`` names (the scenario file's folder is importable)."""
    module_name, _, attr = spec.partition(":")
    if base_dir and base_dir not in sys.path:
        sys.path.insert(0, base_dir)
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise ScenarioError(
            f"target {spec!r} cannot be loaded ({type(exc).__name__}: {exc})",
            path=path,
            line=line,
            col=1,
        ) from None
    if not callable(obj):
        raise ScenarioError(
            f"target {spec!r} is neither a class nor a function",
            path=path,
            line=line,
            col=1,
        )
    return obj


class TargetDriver:
    """Runs a case's steps through the application named by its scenario's ``target``."""

    def __init__(self, *, case: Case, clients: CaseClients) -> None:
        self.case = case
        self.clients = clients
        self.log = clients.log  # what the application's calls did, read after each step
        self.saved: dict[str, Any] = {}

    def steps(self, *, on_step: Callable[[int], None] | None = None) -> Iterator[StepResult]:
        """Each step's result: the inner calls' exchanges, then the application's reply."""
        scenario = self.case.scenario
        target = load_target(
            str(scenario.target), base_dir=scenario.base_dir, path=scenario.path, line=scenario.line
        )
        loop = asyncio.new_event_loop()
        try:
            answer = self._answerer(target, loop)
            for index, step in enumerate(scenario.steps):
                if on_step is not None:
                    on_step(index)
                before = len(self.log.calls)
                message = step.user if isinstance(step.user, str) else ""
                reply = self._call(lambda m=message: answer(m), loop, index)  # type: ignore[misc]
                if self.log.misses:
                    raise RecordingMissError(self.log.misses[0])
                inner = self.log.calls[before:]
                yield StepResult(
                    index=index, exchanges=(*map(_exchange, inner), _final(message, reply))
                )
        finally:
            loop.close()

    def _answerer(self, target: Any, loop: asyncio.AbstractEventLoop) -> Callable[[str], Any]:
        kwargs = self._kwargs(target)
        if inspect.isclass(target):
            instance = self._call(lambda: target(**kwargs), loop, None)
            method = getattr(instance, "answer", None)
            return method if callable(method) else instance  # type: ignore[no-any-return]
        return lambda message: target(message, **kwargs)

    def _kwargs(self, target: Any) -> dict[str, Any]:
        try:
            parameters = inspect.signature(target).parameters
        except (TypeError, ValueError):
            parameters = {}  # type: ignore[assignment]
        wanted = set(parameters) & set(_OFFERED)
        kwargs: dict[str, Any] = {}
        if "client" in wanted and "Async" in str(parameters["client"].annotation):
            kwargs["client"] = self.clients.asynchronous()
        elif "client" in wanted:
            kwargs["client"] = self.clients.sync()
        if "async_client" in wanted:
            kwargs["async_client"] = self.clients.asynchronous()
        if "model" in wanted:
            kwargs["model"] = self.case.column.api_model
        return kwargs

    def _call(
        self, thunk: Callable[[], Any], loop: asyncio.AbstractEventLoop, index: int | None
    ) -> Any:
        scenario = self.case.scenario
        try:
            value = thunk()
            if inspect.isawaitable(value):
                value = loop.run_until_complete(value)
            return value
        except HarnessError:
            raise
        except Exception as exc:
            if self.log.misses:  # the application failed for want of a recording
                raise RecordingMissError(self.log.misses[0]) from None
            step = f", step {index + 1}" if index is not None else ""
            line = scenario.step_line(index) if index is not None else scenario.line
            tb = exc.__traceback__
            while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
                tb = tb.tb_next  # harness's own frames: the application's start the story
            frames = traceback.format_exception(type(exc), exc, tb)
            raise TargetError(
                f"{scenario.path}:{line}: scenario {scenario.id!r} [{self.case.id}]{step}: "
                f"the target {scenario.target} raised:\n" + "".join(frames).rstrip()
            ) from None


def _exchange(call: Call) -> Exchange:
    """An inner call as an exchange (its reply parsed when it is a chat completion)."""
    request = call.request if isinstance(call.request, dict) else {}
    messages = request.get("messages")
    sent = tuple(m for m in messages if isinstance(m, dict)) if isinstance(messages, list) else ()
    reply = None
    if not call.streamed and isinstance(call.response, dict) and "choices" in call.response:
        try:
            reply = ChatCompletion.model_validate(call.response)
        except ValueError:
            reply = None
    return Exchange(sent=sent, streamed=call.streamed, reply=reply, request=request)


def _final(message: str, reply: Any) -> Exchange:
    """The application's reply, shaped as the step's final chat completion."""
    text = reply if isinstance(reply, str) else ("" if reply is None else str(reply))
    completion = ChatCompletion.model_validate(
        {
            "id": TARGET_REPLY_ID,
            "object": "chat.completion",
            "created": 0,
            "model": "target",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": text},
                }
            ],
        }
    )
    return Exchange(sent=({"role": "user", "content": message},), streamed=None, reply=completion)
