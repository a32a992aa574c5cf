"""The error responses every route may give, declared once for OpenAPI.

The handlers in :mod:`shared.web` turn :mod:`shared.errors` into these statuses; routes
name the ones they can give (``responses=errors(404, 409)``) so the document promises
no more and no less than the API does, which the schemathesis fuzz tests check.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class ValidationIssue(BaseModel):
    """One problem FastAPI found while reading the request (it may add ``input``, ``ctx``)."""

    model_config = ConfigDict(extra="allow")

    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(BaseModel):
    """A refusal: a sentence naming what is wrong, or (when the request could not even be
    read into its declared shape) FastAPI's list of issues, each naming its field."""

    detail: str | list[ValidationIssue]


def _inlined(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with its ``$defs`` written in place: the same schema then
    holds under any route, whatever media type the route itself answers in."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    inlined: dict[str, Any] = resolve(schema)
    return inlined


_DESCRIPTIONS: dict[int, str] = {
    401: "no bearer token, or one nobody issued",
    403: "the token's role (or district, or unit) may not do this",
    404: "nothing by that id or code",
    409: "contradicts what is already recorded",
    412: "If-Match names a version that is no longer current: read the thing again",
    413: "the request body is larger than AIRWARN_MAX_BODY_BYTES",
    415: "the request body is in a media type this route does not take",
    422: "the request breaks a rule of the plan or of the contract; the detail names it",
}
# Errors are JSON even on routes that answer HTML, PNG or XML, so the content is spelled
# out rather than given as ``model`` (which FastAPI files under the route's media type).
_CONTENT = {"application/json": {"schema": _inlined(ErrorBody)}}

ERRORS: dict[int, dict[str, Any]] = {
    status: {"description": description, "content": _CONTENT}
    for status, description in _DESCRIPTIONS.items()
}
ERRORS[401]["headers"] = {
    "WWW-Authenticate": {"description": "always Bearer", "schema": {"type": "string"}}
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entry for a route (or router) that may answer with ``statuses``."""
    unknown = [s for s in statuses if s not in ERRORS]
    if unknown:
        raise ValueError(f"no error response declared for status {unknown}")
    return {status: ERRORS[status] for status in statuses}
