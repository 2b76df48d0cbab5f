"""Dependencies routes declare with `Annotated` aliases: the ledger, the settings and the caller.

Authentication (who is calling) happens here; authorisation (what they may do or see) happens in the
use cases (ledger/usecases/), so the CLI and the API share one policy.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.settings import Settings
from ledger.log import Ledger
from ledger.usecases import callers
from ledger.usecases.access import ANONYMOUS, Caller, Unauthenticated

bearer = HTTPBearer(
    auto_error=False,
    description="An organisation's API token (from POST /v1/orgs) or the platform admin token.",
)


# Dependencies are `async def` although they do not await: FastAPI runs a plain `def` dependency in the
# thread pool, and those hand-offs between threads cost more than the whole ledger append of a request.
# None of them blocks for long (authenticate reads the database only for a token it has not seen lately).


async def get_ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


LedgerDep = Annotated[Ledger, Depends(get_ledger)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def _identify(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Caller:
    """The caller a bearer token names, or the anonymous caller when there is no Authorization header.
    (The ledger and settings come from the app here rather than as declared dependencies: every request
    solves this, and each level of dependencies costs FastAPI a little on every request.)"""
    if credentials is None:
        if "authorization" in request.headers:
            raise Unauthenticated("the Authorization header must be 'Bearer <token>'", code="invalid_token")
        return ANONYMOUS
    state = request.app.state
    return callers.authenticate(state.ledger, credentials.credentials, admin_token=state.settings.admin_token)


async def optional_caller(request: Request, credentials: Credentials) -> Caller:
    """The caller, or the anonymous caller."""
    return _identify(request, credentials)


async def current_caller(request: Request, credentials: Credentials) -> Caller:
    """An authenticated caller: an organisation or the admin token; 401 otherwise."""
    caller = _identify(request, credentials)
    if not caller.authenticated:
        raise Unauthenticated("this request needs a bearer token: 'Authorization: Bearer <token>'")
    return caller


OptionalOrg = Annotated[Caller, Depends(optional_caller)]
CurrentOrg = Annotated[Caller, Depends(current_caller)]
