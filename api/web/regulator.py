"""The regulator's workspace: overview, pack search and record, recall trace, compliance, recovery and
organisation statistics, each with its CSV. Every page asks the service layer, which lets only a
regulator through (`Caller.is_regulator`: not the platform administrator): others get 403, and nobody
logged in goes to the login page.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel

from api.cosigner import witness_states
from api.peerfetch import fetch_json_briefly
from api.web import figures
from api.web.csvpage import page_csv
from api.web.regionform import region_form, region_of
from api.web.render import Web, WebDep
from events.catalogue import CHEMISTRIES
from events.errors import InputError
from events.packfilters import PACK_FLAGS
from ledger.store.packrows import PackFilter
from ledger.usecases import packreads, workspace
from ledger.usecases.access import require_regulator
from ledger.usecases.makers import maker_choices
from ledger.usecases.reports.compliance import LateEntry, OrgLateness, RuleLateness, UnaccountedPack, compliance
from ledger.usecases.reports.lots import recovery_with_lots
from ledger.usecases.reports.organisations import OrgStats, organisations
from ledger.usecases.reports.recall import RecallFilter, RecallPack, recall
from ledger.usecases.reports.recovery import RecoveryRow, recovery
from ledger.usecases.views import PackPage
from ledger.usecases.workspace import SearchResult

router = APIRouter(prefix="/regulator", tags=["web"], include_in_schema=False)

LATE_SHOWN = 200
RECALL_FIELDS = ("manufacturer", "produced_from", "produced_to", "chemistry", "spec", "region", "component")
PACK_FILTER_FIELDS = ("manufacturer", "flag", "batch")


def _csv(web: Web, name: str, model: type[BaseModel], rows: Sequence[BaseModel]) -> Response:
    return Response(
        page_csv(model, rows, web.words),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"', "Cache-Control": "no-store"},
    )


@router.get("")
def overview_page(web: WebDep) -> Response:
    def build() -> Response:
        overview = workspace.overview(web.ledger, web.caller, region=region_of(web))
        t = web.words
        return web.page(
            "regulator/overview.html",
            **region_form(web, overview.region),
            overview=overview,
            status_chart=figures.status_chart(overview, t),
            per_day_chart=figures.per_day_chart(overview, t),
            timeliness_chart=figures.timeliness_chart(overview.timeliness, t),
            recovery_chart=figures.recovery_chart(overview.recovery, t),
            witnesses=witness_states(web.request.app),
        )

    return web.respond(build)


def _pack_filter(web: Web) -> PackFilter | None:
    """The packs page's filter form (maker, flag, batch); None when it is empty."""
    given = {name: web.request.query_params.get(name, "").strip() for name in PACK_FILTER_FIELDS}
    if not any(given.values()):
        return None
    return PackFilter(
        manufacturer=given["manufacturer"] or None, flag=given["flag"] or None, batch=given["batch"] or None
    )


@router.get("/packs")
def search_page(web: WebDep, q: str = "") -> Response:
    def build() -> Response:
        require_regulator(web.caller, "search packs")
        form = {name: web.request.query_params.get(name, "") for name in PACK_FILTER_FIELDS}
        makers = maker_choices(web.ledger)

        def show(*, found: SearchResult | None = None, listed: PackPage | None = None, error: str | None = None,
                 status_code: int = 200) -> Response:  # fmt: skip
            return web.page("regulator/packs.html", q=q, form=form, flags=PACK_FLAGS, makers=makers, found=found,
                            listed=listed, error=error, status_code=status_code)  # fmt: skip

        where = _pack_filter(web)
        if where is not None:
            try:
                return show(listed=packreads.list_packs(web.ledger, web.caller, where, limit=workspace.SEARCH_LIMIT))
            except InputError as exc:
                return show(error=web.say(exc), status_code=422)
        if not q.strip():
            return show()
        found = workspace.search_packs(web.ledger, web.caller, q)
        if found.kind == "code" and len(found.packs) == 1:
            return web.redirect(f"/regulator/packs/{found.packs[0].code}")
        return show(found=found)

    return web.respond(build)


@router.get("/packs/{code}")
def pack_page(web: WebDep, code: str, before: str | None = None) -> Response:
    """A pack's dossier: the latest entries (workspace.DOSSIER_SHOWN of them), `before` an entry's seq for
    older ones."""
    policy, peers = web.settings.policy, web.settings.peer_platforms

    def build() -> Response:
        dossier = workspace.pack_dossier(
            web.ledger,
            web.caller,
            code,
            before=before,
            policy=policy,
            peers=peers,
            fetch=fetch_json_briefly,
            now=int(time.time()),
        )
        return web.page("regulator/pack.html", d=dossier)

    return web.respond(build)


@router.get("/entries/{index}")
def entry_page(web: WebDep, index: Annotated[int, Path(ge=0, le=2**62)]) -> Response:
    """An entry of a pack's chain (a correction a report names): its place in the pack's dossier."""

    def build() -> Response:
        place = workspace.entry_place(web.ledger, web.caller, index)
        page = f"/regulator/packs/{place.pack}" + ("" if place.before is None else f"?before={place.before}")
        return web.redirect(f"{page}#e{place.index}")

    return web.respond(build)


def _recall_filter(web: Web) -> RecallFilter | None:
    """The recall form's filter; None when the form is empty (the page shows just the form)."""
    given = {name: web.request.query_params.get(name, "").strip() for name in RECALL_FIELDS}
    if not any(given.values()):
        return None
    return RecallFilter(
        manufacturer=given["manufacturer"] or None,
        produced_from=_date("produced_from", given["produced_from"]),
        produced_to=_date("produced_to", given["produced_to"]),
        chemistry=given["chemistry"] or None,
        spec=given["spec"].upper() or None,
        region=given["region"] or None,
        component=given["component"].upper() or None,
    )


def _date(name: str, text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{name}: {text!r} is not a date (YYYY-MM-DD)", code="invalid_filter") from None


@router.get("/recall")
def recall_page(web: WebDep) -> Response:
    def build() -> Response:
        require_regulator(web.caller, "run a recall trace")
        form = {name: web.request.query_params.get(name, "") for name in RECALL_FIELDS}
        try:
            where = _recall_filter(web)
            report = recall(web.ledger, web.caller, where) if where is not None else None
        except InputError as exc:
            return web.page("regulator/recall.html", form=form, report=None, error=web.say(exc), csv_url="",
                            chemistries=sorted(CHEMISTRIES), makers=maker_choices(web.ledger),
                            status_code=422)  # fmt: skip
        csv_url = "/regulator/recall.csv?" + urlencode({k: v for k, v in form.items() if v})
        return web.page(
            "regulator/recall.html",
            form=form,
            report=report,
            error=None,
            csv_url=csv_url,
            chemistries=sorted(CHEMISTRIES),
            makers=maker_choices(web.ledger),
        )

    return web.respond(build)


@router.get("/recall.csv")
def recall_csv(web: WebDep) -> Response:
    def build() -> Response:
        require_regulator(web.caller, "run a recall trace")
        where = _recall_filter(web) or RecallFilter()
        return _csv(web, "recall", RecallPack, recall(web.ledger, web.caller, where).packs)

    return web.respond(build)


@router.get("/compliance")
def compliance_page(web: WebDep, org: str | None = None, rules: str | None = None) -> Response:
    def build() -> Response:
        report = compliance(web.ledger, web.caller, org=org or None, region=region_of(web), rules=rules or None)
        return web.page(
            "regulator/compliance.html",
            **region_form(web, report.region, org=org or ""),
            report=report,
            rules=[rule.rule for rule in report.by_rule],
            late_shown=report.late[:LATE_SHOWN],
            org=org or "",
            timeliness_chart=figures.timeliness_chart(report.by_org, web.words),
        )

    return web.respond(build)


COMPLIANCE_SECTIONS: dict[str, type[BaseModel]] = {
    "late": LateEntry,
    "unaccounted": UnaccountedPack,
    "by_org": OrgLateness,
    "by_rule": RuleLateness,
}


@router.get("/compliance.csv")
def compliance_csv(web: WebDep, section: str = "late", org: str | None = None, rules: str | None = None) -> Response:
    def build() -> Response:
        if section not in COMPLIANCE_SECTIONS:
            raise InputError(f"section must be one of {', '.join(COMPLIANCE_SECTIONS)}", code="invalid_filter")
        report = compliance(web.ledger, web.caller, org=org or None, region=region_of(web), rules=rules or None)
        return _csv(web, f"compliance-{section}", COMPLIANCE_SECTIONS[section], getattr(report, section))

    return web.respond(build)


@router.get("/recovery")
def recovery_page(web: WebDep) -> Response:
    def build() -> Response:
        both = recovery_with_lots(web.ledger, web.caller, region=region_of(web))
        report = both.recovery
        return web.page(
            "regulator/recovery.html",
            **region_form(web, report.region),
            report=report,
            lots=both.lots,
            chart=figures.recovery_chart(report.rows, web.words, by_recycler=True),
        )

    return web.respond(build)


@router.get("/recovery.csv")
def recovery_csv(web: WebDep) -> Response:
    return web.respond(
        lambda: _csv(web, "recovery", RecoveryRow, recovery(web.ledger, web.caller, region=region_of(web)).rows)
    )


@router.get("/organisations")
def organisations_page(web: WebDep) -> Response:
    def build() -> Response:
        report = organisations(web.ledger, web.caller, region=region_of(web))
        return web.page("regulator/organisations.html", **region_form(web, report.region), report=report)

    return web.respond(build)


@router.get("/organisations.csv")
def organisations_csv(web: WebDep) -> Response:
    return web.respond(
        lambda: _csv(web, "organisations", OrgStats, organisations(web.ledger, web.caller, region=region_of(web)).orgs)
    )
