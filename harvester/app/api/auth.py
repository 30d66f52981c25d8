"""Bearer tokens and scopes: no token, no data (401); a token without the scope, 403; too fast, 429."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from harvester.store.db import Store
from harvester.store.tokens import TokenInfo, authenticate

bearer = HTTPBearer(auto_error=False, description="an API token from `harvester tokens create`")
READ_SCOPES = ("read", "read-full")


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking: the token, and whether personal data goes out unmasked (scope read-full)."""

    token: TokenInfo

    @property
    def actor(self) -> str:
        """The name replies and audit entries record for this caller."""
        return self.token.name

    @property
    def full(self) -> bool:
        return "read-full" in self.token.scopes


def store_of(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def caller(request: Request,
           credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller:
    """The authenticated caller; 401 without a live token."""
    secret = credentials.credentials if credentials else None  # never from the URL: URLs end up in logs
    if not secret:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "an API token is required (Authorization: Bearer …)",
                            headers={"WWW-Authenticate": "Bearer"})
    with store_of(request).transaction() as repo:
        token = authenticate(repo, secret)
    if token is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown or revoked token",
                            headers={"WWW-Authenticate": "Bearer"})
    wait = request.app.state.limiter.take(token.id)
    if wait:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, "rate limit of this token exceeded",
                            headers={"Retry-After": str(math.ceil(wait))})
    return Caller(token)


def require(*scopes: str) -> Callable[[Caller], Caller]:
    """A dependency passing callers that hold any of `scopes` (admin holds them all); 403 otherwise."""

    def check(who: Annotated[Caller, Depends(caller)]) -> Caller:
        if not set(scopes) & set(who.token.scopes) and "admin" not in who.token.scopes:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"this needs a token with scope {' or '.join(scopes)}")
        return who

    return check


Reader = Annotated[Caller, Depends(require(*READ_SCOPES))]
Drafter = Annotated[Caller, Depends(require("replies:draft"))]
Approver = Annotated[Caller, Depends(require("replies:approve"))]
ReplyReader = Annotated[Caller, Depends(require("replies:draft", "replies:approve", *READ_SCOPES))]
