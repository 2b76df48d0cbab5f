"""Server-rendered pages: the Jinja2 templates, one `Web` context per request (who is logged in, which
language), the page response with its security headers, and how errors become pages.

Routes build a page inside `Web.respond`, which turns the error family into pages: no session → the
login page (then back), not allowed → 403, anything else → its status with the error's own words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache, cached_property
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from api.deps import LedgerDep, SettingsDep
from api.errors import status_of
from api.settings import Settings
from api.web import fields
from api.web.i18n import LANG_COOKIE, Words, pick_lang
from api.web.session import session_caller
from events import regions
from events.errors import NotFoundError, PacktraceError
from events.timestamps import CHINA_TZ, from_rfc3339
from ledger.log import Ledger
from ledger.usecases import directory
from ledger.usecases.access import Caller, Unauthenticated

TEMPLATE_DIR = Path(__file__).with_name("templates")
STATIC_DIR = Path(__file__).with_name("static")

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _when(text: str | datetime | None) -> str:
    """An instant as China time, to the minute: `2026-03-02 09:00`."""
    if text is None:
        return ""
    moment = from_rfc3339(text) if isinstance(text, str) else text
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")


def _num(value: float | int | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["num"] = _num
    env.filters["short"] = lambda digest: digest[:12] if digest else ""
    env.filters["region_name"] = regions.name
    return env


def local_path(target: str | None, default: str) -> str:
    """`target` if it is a path on this site (no scheme, no host, not `//…`), else `default`."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def home_of(caller: Caller) -> str:
    """Where a person lands and the way home from any page: the workspace for a regulator, the scan page
    for anyone else logged in (the administrator too: it is no regulator), else the login page."""
    if caller.is_regulator:
        return "/regulator"
    return "/scan" if caller.authenticated else "/login"


@dataclass
class Web:
    """One page request: the ledger, the settings, the logged-in caller and the language."""

    request: Request
    ledger: Ledger
    settings: Settings

    @cached_property
    def caller(self) -> Caller:
        return session_caller(self.request, self.ledger, self.settings)

    @cached_property
    def words(self) -> Words:
        return Words(pick_lang(self.request))

    @cached_property
    def org_names(self) -> dict[str, str]:
        return directory.org_names(self.ledger)

    def org_name(self, org_id: str | None) -> str:
        """An organisation's name for a page (its id when it is not registered; "–" for none)."""
        if not org_id:
            return "–"
        return self.org_names.get(org_id, org_id)

    def say(self, exc: PacktraceError) -> str:
        """An error's words for a person, in the page's language (api/web/i18n_ui.py)."""
        localized = getattr(exc, "localized", None)
        if isinstance(localized, tuple) and self.words.lang == "zh":
            return str(localized[0])
        return self.words.error(exc.code, exc.message, status_of(exc))

    @property
    def here(self) -> str:
        query = self.request.url.query
        return self.request.url.path + (f"?{query}" if query else "")

    def lang_url(self) -> str:
        params = [(k, v) for k, v in self.request.query_params.multi_items() if k != "lang"]
        return self.request.url.path + "?" + urlencode([*params, ("lang", self.words.other)])

    def page(self, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
        html = (
            environment()
            .get_template(template)
            .render(
                t=self.words,
                caller=self.caller,
                home=home_of(self.caller),
                here=self.here,
                lang_url=self.lang_url(),
                path=self.request.url.path,
                orgname=self.org_name,
                fields=lambda data: fields.shown(data, self.words, self.org_name),
                **context,
            )
        )
        response = HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)
        self._keep_lang(response)
        return response

    def redirect(self, url: str) -> RedirectResponse:
        response = RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})
        self._keep_lang(response)
        return response

    def _keep_lang(self, response: Response) -> None:
        chosen = self.request.query_params.get("lang")
        if chosen == self.words.lang:
            response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 86400, path="/", samesite="lax")

    def respond(self, build: Callable[[], Response]) -> Response:
        """Build the page; errors of the family become the login redirect or an error page."""
        try:
            return build()
        except Unauthenticated:
            return self.redirect(f"/login?next={quote(self.here, safe='')}")
        except PacktraceError as exc:
            return self.error(exc)

    def error(self, exc: PacktraceError) -> HTMLResponse:
        status = status_of(exc)
        title = {403: "forbidden_title", 404: "not_found_title"}.get(status, "error_title")
        return self.page(
            "error.html",
            status_code=status,
            title=self.words(title),
            detail=self.say(exc),
            status=status,
            code=exc.code,
        )


def web_context(request: Request, ledger: LedgerDep, settings: SettingsDep) -> Web:
    return Web(request, ledger, settings)


WebDep = Annotated[Web, Depends(web_context)]


def not_found_page(request: Request) -> HTMLResponse:
    """The 404 page of an address nothing answers, in the visitor's language."""
    web = Web(request, request.app.state.ledger, request.app.state.settings)
    return web.error(NotFoundError(f"no page at {request.url.path}", code="not_found"))
