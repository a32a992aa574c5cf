"""The bearer token as a FastAPI dependency: one definition for every router.

No ``from __future__ import annotations``: FastAPI reads the dependency's
annotations as objects.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.auth import Principal, TokenStore

# auto_error=False: a missing or non-bearer header reaches TokenStore.authenticate,
# which answers 401 with the house's error body rather than FastAPI's 403.
_scheme = HTTPBearer(
    auto_error=False,
    description="a token issued to one role, scoped to a district or a unit (see README)",
)


def bearer(
    tokens: TokenStore, allow: Callable[[Principal], None] | None = None
) -> Callable[..., Awaitable[Principal]]:
    """A dependency giving the caller's :class:`Principal`: 401 without a known token;
    with ``allow``, that check runs too (it raises ``Forbidden`` for a 403)."""

    # async: a sync dependency runs in a worker thread, on a copy of the context, and
    # the actor TokenStore.authenticate sets would never reach the endpoint's audit log.
    async def caller(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_scheme)],
    ) -> Principal:
        header = f"Bearer {credentials.credentials}" if credentials is not None else None
        principal = tokens.authenticate(header)
        if allow is not None:
            allow(principal)
        return principal

    return caller
