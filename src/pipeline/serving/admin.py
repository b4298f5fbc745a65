"""Endpoints that change what is served (`POST /reload`) need the admin token.

The token comes from $PIPELINE_ADMIN_TOKEN or the same key in conf/local/secrets.yaml. With
none configured those endpoints are off: never open to whoever reaches the port.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from fastapi import HTTPException, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from pipeline.secrets import secret

TOKEN_NAME = "PIPELINE_ADMIN_TOKEN"

# auto_error=False: a missing header gets our message, not FastAPI's bare "Not authenticated".
_bearer = HTTPBearer(auto_error=False, description=f"The value of {TOKEN_NAME}")
_BEARER = Security(_bearer)


def admin_token() -> str | None:
    return secret(TOKEN_NAME)


def require_admin(token: str | None) -> Callable[..., None]:
    """A FastAPI dependency that lets a request through only with `Authorization: Bearer
    <token>`; compared in constant time, so the answer's timing does not leak the token."""

    def check(credentials: HTTPAuthorizationCredentials | None = _BEARER) -> None:
        if token is None:
            raise HTTPException(
                403,
                f"admin endpoints are off: set {TOKEN_NAME} (in the environment or "
                "conf/local/secrets.yaml), restart the server, and send "
                f"`Authorization: Bearer <{TOKEN_NAME}>`",
            )
        if credentials is None:
            raise HTTPException(403, "this endpoint needs `Authorization: Bearer <token>`")
        if not hmac.compare_digest(credentials.credentials.encode(), token.encode()):
            raise HTTPException(403, "wrong admin token")

    return check
