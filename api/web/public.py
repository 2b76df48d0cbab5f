"""The public side of the web: the pack page the QR code opens, the stylesheet, logging in and out."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from api.deps import LedgerDep, OptionalOrg
from api.responses import OPTIONAL_BEARER, problems
from api.schemas import CodePath
from api.web import session
from api.web.render import STATIC_DIR, WebDep, home_of, local_path
from ledger.usecases import packreads, pages
from ledger.usecases.access import ANONYMOUS, Unauthenticated
from ledger.usecases.views import PackView

router = APIRouter(tags=["web"])

HTML_CONTENT: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {"schema": {"type": "string"}}}, "description": "The pack page, or its JSON view"}
}
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}
_STATIC_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*\.(css|js|svg)")


def wants_html(request: Request) -> bool:
    """A browser (what a phone camera opens the QR code in) asks for HTML; everything else gets JSON."""
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept


@router.get(
    "/p/{code}",
    response_model=PackView,
    responses={**HTML_CONTENT, **problems(401, 404, 422)},
    openapi_extra=OPTIONAL_BEARER,
)
def pack_page(
    code: CodePath, request: Request, ledger: LedgerDep, caller: OptionalOrg, web: WebDep
) -> PackView | Response:
    """The QR code's target: for a browser the pack's public page, for `Accept: application/json` the caller's view."""
    if not wants_html(request):
        return packreads.get_pack_view(ledger, caller, code)
    return web.respond(lambda: web.page("pack.html", public=pages.public_pack(ledger, ANONYMOUS, code)))


@router.get("/static/{name}", include_in_schema=False)
def static_file(name: str) -> Response:
    path = STATIC_DIR / name
    if not _STATIC_NAME.fullmatch(name) or not path.is_file():
        return Response("not found", status_code=404, media_type="text/plain")
    return Response(
        path.read_bytes(),
        media_type=STATIC_TYPES[path.suffix],
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/", include_in_schema=False)
def home(web: WebDep) -> Response:
    return web.redirect(home_of(web.caller))


@router.get("/login", include_in_schema=False)
def login_page(web: WebDep, next: str | None = None) -> Response:
    return web.page("login.html", next=local_path(next, ""), failed=False)


@router.post("/login", include_in_schema=False)
def login(web: WebDep, token: Annotated[str, Form(max_length=512)], next: Annotated[str, Form()] = "") -> Response:
    """Check the token, open a web session (its secret in the cookie), and go where the person was going."""

    def build() -> Response:
        session.check_same_origin(web.request)
        try:
            done = session.login(web.request, web.ledger, web.settings, token)
        except Unauthenticated:
            return web.page("login.html", status_code=401, next=local_path(next, ""), failed=True)
        except session.LoginThrottled as exc:
            page = web.page(
                "login.html", status_code=429, next=local_path(next, ""), failed=False, throttled=exc.retry_after
            )
            page.headers["Retry-After"] = str(exc.retry_after)
            return page
        response = web.redirect(local_path(next, home_of(done.caller)))
        session.set_session(response, done.secret, web.settings)
        return response

    return web.respond(build)


@router.post("/logout", include_in_schema=False)
def logout(web: WebDep) -> Response:
    def build() -> Response:
        session.check_same_origin(web.request)
        session.logout(web.request, web.ledger)
        response = RedirectResponse("/login", status_code=303)
        session.clear_session(response)
        return response

    return web.respond(build)
