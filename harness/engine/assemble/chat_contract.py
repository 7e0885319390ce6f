"""The chat stream contract: what :class:`~harness.engine.assemble.chat.ChatAssembler` checks.

Stream contract (checked unless ``check=False``; each failure is a
:class:`~harness.errors.StreamContractError` naming the chunk index and a one-line cause):

* the stream has at least one chunk (else chunk index 0) and at least one choice (else the
  index one past the last chunk);
* every choice gets exactly one ``finish_reason``: a second one fails at the chunk that carries
  it, a missing one fails at the end, with the index one past the last chunk;
* a choice carries no output after its ``finish_reason``: non-empty ``content``, ``refusal``,
  ``tool_calls``, ``function_call``, or audio ``data``/``transcript``. Output in the same chunk
  as the ``finish_reason`` is fine (several providers send it so), and so are deltas with no
  output (role only, ``content: ""``, audio ``expires_at`` only) and usage-only chunks
  (``choices: []``);
* ``id`` and ``model`` do not change mid-stream. Missing or empty values are not compared:
  Azure opens its streams with a ``prompt_filter_results`` chunk whose ``id`` and ``model`` are
  ``""``;
* when a choice finishes, the arguments of each of its tool calls (and of a legacy
  ``function_call``) parse with ``json.loads``. An empty arguments string is invalid: OpenAI sends
  ``"{}"`` for a call without arguments, and a caller doing ``json.loads(arguments)`` would fail.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from harness.errors import StreamContractError

if TYPE_CHECKING:
    from harness.engine.assemble.chat_choices import ChoiceState

# Longest piece of bad tool-call arguments quoted in an error message.
_QUOTE_MAX = 60


def after_finish(index: int, what: str, chunk_index: int) -> StreamContractError:
    return StreamContractError(
        f"choice {index}: {what} after its finish_reason", chunk_index=chunk_index
    )


def check_arguments(state: ChoiceState, index: int, chunk_index: int) -> None:
    for call_index in sorted(state.tool_calls):
        call = state.tool_calls[call_index]
        what = f"tool call {call_index} ({call.name or call.id or 'unnamed'})"
        _check_json(what, "".join(call.arguments), index, chunk_index)
    if state.has_function_call:
        what = f"function_call ({state.function_name or 'unnamed'})"
        _check_json(what, "".join(state.function_args), index, chunk_index)


def _check_json(what: str, arguments: str, index: int, chunk_index: int) -> None:
    if not arguments:
        raise StreamContractError(
            f'choice {index}: {what} has empty arguments (not JSON; no arguments is "{{}}")',
            chunk_index=chunk_index,
        )
    try:
        json.loads(arguments)
    except json.JSONDecodeError as exc:
        quoted = arguments if len(arguments) <= _QUOTE_MAX else arguments[:_QUOTE_MAX] + "..."
        # repr() keeps the cause on one line whatever the arguments hold.
        raise StreamContractError(
            f"choice {index}: {what} arguments are not valid JSON ({exc.msg}): {quoted!r}",
            chunk_index=chunk_index,
        ) from None
