"""The scan page for collection points, recyclers and everyone else on a phone: photograph a label (or
type its code), see the pack and its history, and post what happens next with one tap, signed with the
organisation's platform-held key (ledger.usecases.custodial).

The server needs the platform's sealing secret at `app.state.sealing_key` to sign; without it the page
still scans and shows, and says that posting is not set up.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api import labelling
from api.errors import status_of
from api.web import actions, session
from api.web.render import Web, WebDep
from events.errors import InputError, NotFoundError, PacktraceError, UnavailableError
from ledger.usecases import directory, packhistory, pages
from ledger.usecases.access import Unauthenticated, require_authenticated
from ledger.usecases.labelling import ScanResult

router = APIRouter(tags=["web"], include_in_schema=False)

MAX_FORM_FIELDS = 40
SCAN_HISTORY_SHOWN = 50  # the latest entries of the pack's history shown on the scan page


class NotConfigured(PacktraceError):
    """The server has no sealing secret, so it cannot sign with platform-held keys."""

    code = "platform_keys_not_configured"


def sealing_key(web: Web) -> bytes:
    key = getattr(web.request.app.state, "sealing_key", None)
    if not isinstance(key, bytes):
        raise NotConfigured("this server has no sealing secret: it cannot sign with platform-held keys")
    return key


def _result_page(
    web: Web,
    result: ScanResult | None,
    *,
    done: str | None = None,
    error: str | None = None,
    status: int = 200,
    typed: str = "",
) -> Response:
    caller = web.caller
    history = (
        packhistory.latest_pack_history(web.ledger, caller, result.code, limit=SCAN_HISTORY_SHOWN).events
        if result is not None
        else None
    )
    peers = web.settings.peer_platforms
    offered = (
        actions.forms_for(result.next_actions, result.pack.status, peers=bool(peers))
        if result is not None and caller.org is not None
        else []
    )
    receivers = directory.receivers(web.ledger, caller) if any(a in actions.ORG_PICKS for a, _ in offered) else []
    return web.page(
        "scan.html",
        status_code=status,
        result=result,
        history=history,
        actions=offered,
        done=done if done in actions.FORMS else None,
        error=error,
        typed=typed,
        needs_org=caller.org is None,
        pool=pages.scan_pool(web.ledger, caller),
        receivers=receivers,
        peers=peers,
    )


def typed_code(text: str) -> str:
    """A typed or scanned code in any case: battery codes are upper-case (GB/T 34014), so a bare code is read
    in capitals; a label URL is left as it is."""
    text = text.strip()
    return text if "://" in text else text.upper()


def _scan_or_say_why(web: Web, scan: Callable[[], ScanResult], *, typed: str = "", done: str | None = None) -> Response:
    """Run a scan; a photo without a code, a foreign or unknown code is said on the scan page itself."""
    try:
        result = scan()
    except (InputError, NotFoundError) as exc:
        return _result_page(web, None, error=web.say(exc), status=status_of(exc), typed=typed)
    except UnavailableError as exc:  # the photo decoder is busy: try again shortly
        page = _result_page(web, None, error=web.say(exc), status=status_of(exc), typed=typed)
        if exc.retry_after is not None:
            page.headers["Retry-After"] = str(exc.retry_after)
        return page
    if web.request.method == "POST":  # POST-redirect-GET: Back and reload never post the form again
        return web.redirect("/scan?" + urlencode({"code": result.code}))
    return _result_page(web, result, done=done)


@router.get("/scan")
def scan_page(web: WebDep, code: str | None = None, done: str | None = None) -> Response:
    """The scan form; with `code`, that pack as the logged-in organisation sees it."""

    def build() -> Response:
        require_authenticated(web.caller, "scanning a label")
        if not code:
            return _result_page(web, None)
        public_url = web.settings.public_url
        return _scan_or_say_why(
            web,
            lambda: labelling.scan_text(web.ledger, web.caller, typed_code(code), public_url=public_url),
            done=done,
        )

    return web.respond(build)


@router.post("/scan")
async def scan_post(request: Request, web: WebDep) -> Response:
    """A label photo (`image`) or typed code (`text`) from the scan form."""
    image, text = b"", ""
    form = await request.form(max_files=1, max_fields=MAX_FORM_FIELDS)
    try:
        upload = form.get("image")
        if isinstance(upload, UploadFile):
            image = await upload.read()
        text = str(form.get("text") or "").strip()
    finally:
        await form.close()

    def build() -> Response:
        session.check_same_origin(request)
        require_authenticated(web.caller, "scanning a label")
        public_url = web.settings.public_url
        if image:
            return _scan_or_say_why(
                web, lambda: labelling.scan_image(web.ledger, web.caller, image, public_url=public_url)
            )
        if text:
            return _scan_or_say_why(
                web,
                lambda: labelling.scan_text(web.ledger, web.caller, typed_code(text), public_url=public_url),
                typed=text,
            )
        return _result_page(web, None, error=web.words("scan_intro"), status=422)

    return await run_in_threadpool(web.respond, build)


@router.post("/scan/act")
async def scan_act(request: Request, web: WebDep) -> Response:
    """One tapped action: post the event as the logged-in organisation, then show the pack again."""
    form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    fields = {name: value for name, value in form.items() if isinstance(value, str)}
    await form.close()
    code, action = fields.get("code", ""), fields.get("action", "")

    def build() -> Response:
        session.check_same_origin(request)
        require_authenticated(web.caller, "posting events")
        try:
            data = actions.payload(action, fields)
            pages.post_action(
                web.ledger,
                web.caller,
                code=code,
                event_type=action,
                data=data,
                prev=fields.get("prev") or None,
                sealing_key=sealing_key(web),
                peers=web.settings.peer_platforms,
            )
        except Unauthenticated:
            raise
        except NotConfigured as exc:
            return web.page(
                "error.html", status_code=503, title=web.words("error_title"), detail=web.say(exc), status=503
            )
        except PacktraceError as exc:
            result = labelling.scan_text(web.ledger, web.caller, code, public_url=web.settings.public_url)
            return _result_page(web, result, error=web.say(exc), status=status_of(exc))
        return web.redirect("/scan?" + urlencode({"code": code, "done": action}))

    return await run_in_threadpool(web.respond, build)
