"""Tests for harness.replay.seed_errors: llama-stack exception records turned into the HTTP error
response the provider sent."""

from __future__ import annotations

from typing import Any

import pytest

from harness.replay.seed_errors import UnreplayableError, native_response, sdk_error_for


def record(**data: Any) -> dict[str, Any]:
    return {"body": None, "is_exception": True, "exception_data": data}


def served(response: dict[str, Any]) -> Any:
    assert response["is_streaming"] is False
    return response["body"]["__data__"]


def test_the_body_the_old_sdk_message_quotes_is_served_exactly() -> None:
    # openai<2 put the whole parsed body in the message; this one has no "error" wrapper.
    response = native_response(
        record(
            type="NotFoundError",
            status_code=404,
            body={"detail": "Not Found", "ok": False, "n": None},
            message="Error code: 404 - {'detail': 'Not Found', 'ok': False, 'n': None}",
        )
    )
    assert response["status_code"] == 404
    assert served(response) == {"detail": "Not Found", "ok": False, "n": None}


def test_an_unwrapped_error_object_is_served_under_error() -> None:
    inner = {"message": "bad tool schema", "type": "invalid_request_error", "code": None}
    response = native_response(
        record(type="BadRequestError", status_code=400, body=inner, message="bad tool schema")
    )
    assert served(response) == {"error": inner}
    assert response["body"]["__type__"] == "error"


def test_a_message_quoting_another_body_is_not_trusted() -> None:
    inner = {"message": "x"}
    response = native_response(
        record(
            type="BadRequestError",
            status_code=400,
            body=inner,
            message="Error code: 400 - {'error': {'message': 'something else'}}",
        )
    )
    assert served(response) == {"error": inner}


def test_no_body_serves_the_message() -> None:
    response = native_response(
        record(type="InternalServerError", status_code=502, body=None, message="upstream died")
    )
    assert served(response) == {"error": {"message": "upstream died"}}


def test_a_text_body_is_served_as_text() -> None:
    response = native_response(
        record(type="APIStatusError", status_code=418, body="I'm a teapot", message="teapot")
    )
    assert served(response) == "I'm a teapot"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"type": "ValueError", "message": "m"}, "recorded ValueError has no HTTP error status"),
        ({"type": "X", "status_code": True}, "has no HTTP error status"),
        ({"type": "X", "status_code": 200}, "has no HTTP error status (status_code 200)"),
        ({"type": "X", "status_code": "400"}, "has no HTTP error status"),
        (
            {"type": "NotFoundError", "status_code": 400},
            "recorded NotFoundError with HTTP 400, but the openai SDK raises BadRequestError",
        ),
    ],
)
def test_what_cannot_be_replayed_says_why(data: dict[str, Any], reason: str) -> None:
    with pytest.raises(UnreplayableError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        native_response(record(**data))


def test_exception_data_must_be_an_object() -> None:
    with pytest.raises(UnreplayableError, match="exception_data is not an object"):
        native_response({"body": None, "is_exception": True, "exception_data": "boom"})


def test_sdk_error_names_follow_the_status() -> None:
    assert [sdk_error_for(s) for s in (400, 401, 403, 404, 409, 422, 429, 418, 500, 503)] == [
        "BadRequestError",
        "AuthenticationError",
        "PermissionDeniedError",
        "NotFoundError",
        "ConflictError",
        "UnprocessableEntityError",
        "RateLimitError",
        "APIStatusError",
        "InternalServerError",
        "InternalServerError",
    ]
