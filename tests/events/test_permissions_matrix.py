"""Who may post what: every event type × every role × holding or not holding the pack.

"Holding" is the relation the design's "who may post" column names for that event: custody for most,
owning the code's maker prefix for `produced`, being the receiver named in `shipped.to` for `received`,
being the pack's manufacturer for `recalled`, having authored an entry of the pack for `corrected`.
The expectations are written from DESIGN §2.3's prose, not read from events.permissions.
"""

from __future__ import annotations

from datetime import date

import pytest

from events.catalogue import EventType
from events.codes import parse_code
from events.errors import AuthorisationError
from events.orgs import Org, Role
from events.permissions import check_correction_author, check_permission, permission_denial
from events.state import PackState
from tests.events.events_world import module_code, pack_code, second_life_code

CODE = parse_code(pack_code(1))
OTHER = "someone-else"

# the status each event type is tried in: one where the lifecycle allows it
STATUS_FOR = {
    "produced": None, "shipped": "in_stock", "received": "in_transit", "installed": "in_stock",
    "removed": "in_vehicle", "serviced": "in_stock", "retired": "in_stock", "inspected": "in_stock",
    "repurposed": "retired", "dismantled": "retired", "recycled": "dismantled", "incident": "in_stock",
    "recalled": "in_stock", "corrected": "in_stock", "lost": "in_stock", "exported": "in_stock", "found": "lost",
    "swapped": "in_stock",  # the incoming half; the outgoing half (in a vehicle) has a test of its own
    "lotted": "retired",  # into a recycler lot (docs/recycling-lots.md)
    "passport": "in_vehicle",  # the battery passport's claim (docs/passport.md): "holding" is custody here
    "transferred": "in_stock", "arrived": None,  # between platforms (docs/federation.md)
}  # fmt: skip
# ownership and leases (车电分离): "holding" is being the pack's owner; another organisation has custody
OWNERSHIP_EVENTS = {"ownership_transferred", "leased", "lease_ended"}
STATUS_FOR |= dict.fromkeys(OWNERSHIP_EVENTS, "in_vehicle")
VEHICLE_INSTALLERS = {"automaker", "lessor", "service", "swap_operator"}
WORKSHOPS = {"service", "swap_operator", "vehicle_dismantler"}  # may take a pack out of a vehicle they hold


def expected(event: str, role: str, holds: bool) -> bool:
    if role == "admin":
        return False  # the platform administrator posts no events
    regulator = role == "regulator"
    match event:
        case "produced":  # a regular code: a manufacturer owning the maker prefix
            return holds and role == "manufacturer"
        case "shipped" | "serviced" | "retired":  # the current custodian, whatever its role
            return holds
        case "received":  # only the org named in shipped.to
            return holds
        case "installed":  # into a vehicle: custodian automaker, service, swap_operator, lessor
            return holds and role in VEHICLE_INSTALLERS
        case "removed":  # the custodian, or the workshop holding the vehicle
            return holds or role in WORKSHOPS
        case "inspected":
            return holds and role in {"collector", "second_life", "recycler"}
        case "repurposed":
            return holds and role == "second_life"
        case "dismantled":  # whitelisted recycler or vehicle dismantler, with custody
            return holds and role in {"recycler", "vehicle_dismantler"}
        case "recycled":  # whitelisted recycler
            return role == "recycler"
        case "incident" | "lost" | "exported":  # custodian or regulator
            return holds or regulator
        case "recalled":  # the pack's manufacturer or a regulator
            return holds or regulator
        case "corrected":  # an author or a regulator
            return holds or regulator
        case "found":  # a regulator only
            return regulator
        case "swapped":  # into a vehicle: a swap operator's own pack, in custody
            return holds and role == "swap_operator"
        case "ownership_transferred" | "lease_ended":  # the owner, whatever its role
            return holds
        case "leased":  # the owner, a lessor
            return holds and role == "lessor"
        case "lotted":  # a whitelisted recycler, with custody, into a lot of its own
            return holds and role == "recycler"
        case "passport":  # the custodian, whatever its role (or the pack's maker: a test of its own)
            return holds
        case "transferred":  # the custodian hands the pack over to another platform
            return holds
        case "arrived":  # any organisation that holds packs receives one from another platform
            return not regulator
    raise AssertionError(f"no expectation for {event}")


def make_org(role: Role, *, owns_prefix: bool = False, whitelisted: bool = True) -> Org:
    org_id = role.replace("_", "-") + "-org"
    codes = frozenset({CODE.manufacturer}) if owns_prefix else frozenset({"XYZ"})
    return Org(org_id, org_id, frozenset({role}), codes, whitelisted=whitelisted and role == Role.RECYCLER)


def make_state(event: str, actor: Org, holds: bool) -> PackState | None:
    status = STATUS_FOR[event]
    if status is None:
        return None
    state = PackState(
        code=CODE.code, status=status, custodian=actor.id if holds else OTHER, manufacturer="some-maker",
        maker_code=CODE.manufacturer, chemistry="LFP", production_date=date(2026, 3, 1), rated_capacity_kwh=60.0,
        extra={"authors": ["some-maker"]},
    )  # fmt: skip
    if event == "received":
        return state.evolve(custodian="sender-org", sender="sender-org", receiver=actor.id if holds else OTHER)
    if event == "recalled":
        return state.evolve(custodian=OTHER, manufacturer=actor.id if holds else "some-maker")
    if event == "corrected":
        return state.evolve(custodian=OTHER, extra={"authors": sorted({"some-maker", actor.id if holds else OTHER})})
    if event in OWNERSHIP_EVENTS:
        return state.evolve(custodian=OTHER, extra={"authors": ["some-maker"], "owner": actor.id if holds else OTHER})
    return state


CASES = [(event, role, holds) for event in EventType for role in Role for holds in (True, False)]


@pytest.mark.parametrize(
    ("event", "role", "holds"), CASES, ids=[f"{e}-{r}-{'holds' if h else 'not'}" for e, r, h in CASES]
)
def test_matrix(event: EventType, role: Role, holds: bool) -> None:
    actor = make_org(role, owns_prefix=holds and event == "produced")
    state = make_state(event, actor, holds)
    data = {"vin": "LSJA24U64MS000001"} if event == "installed" else {}
    if expected(event, role, holds):
        check_permission(event, actor, state, CODE, data)
    else:
        with pytest.raises(AuthorisationError) as caught:
            check_permission(event, actor, state, CODE, data)
        assert caught.value.message.startswith(f"org '{actor.id}' ({role}) may not post '{event}': ")
        assert caught.value.code == "forbidden"


def test_the_matrix_covers_every_event_and_role() -> None:
    assert len(CASES) == len(EventType) * len(Role) * 2 == 650


def test_the_packs_maker_posts_a_passport_claim_without_custody() -> None:
    maker = make_org(Role.MANUFACTURER)
    state = make_state("passport", maker, holds=False)
    assert state is not None
    check_permission("passport", maker, state.evolve(manufacturer=maker.id), CODE, {})
    with pytest.raises(AuthorisationError) as caught:
        check_permission("passport", maker, state, CODE, {})
    assert caught.value.message == (
        "org 'manufacturer-org' (manufacturer) may not post 'passport': requires being the pack's manufacturer "
        "('some-maker'), or custody; the custodian is 'someone-else'"
    )


def test_a_recycler_off_the_whitelist_may_not_put_a_pack_into_a_lot() -> None:
    actor = make_org(Role.RECYCLER, whitelisted=False)
    state = make_state("lotted", actor, holds=True)
    with pytest.raises(AuthorisationError) as caught:
        check_permission("lotted", actor, state, CODE, {})
    assert caught.value.message == (
        "org 'recycler-org' (recycler) may not post 'lotted': requires custody and the recycler role (whitelisted "
        "under 规范条件); 'recycler-org' is not on the 规范条件 whitelist"
    )


def test_the_message_of_the_brief() -> None:
    recycler = Org("acme-recycling", "Acme", frozenset({Role.RECYCLER}), whitelisted=True)
    state = make_state("installed", recycler, holds=True)
    with pytest.raises(AuthorisationError) as caught:
        check_permission("installed", recycler, state, CODE, {"vin": "LSJA24U64MS000001"})
    assert caught.value.message == (
        "org 'acme-recycling' (recycler) may not post 'installed': requires custody and one of automaker, lessor, "
        "service, swap_operator"
    )


@pytest.mark.parametrize(
    ("event", "role", "holds", "why"),
    [
        ("shipped", Role.DEALER, False, "requires custody; the custodian is 'someone-else'"),
        ("received", Role.COLLECTOR, False, "requires being the receiver named in 'shipped.to' ('someone-else')"),
        ("produced", Role.MANUFACTURER, False,
         "requires the manufacturer role and ownership of the maker prefix '0RJ'"),
        ("removed", Role.DEALER, False,
         "requires custody, or one of service, swap_operator, vehicle_dismantler; the custodian is 'someone-else'"),
        ("inspected", Role.SERVICE, True, "requires custody and one of collector, recycler, second_life"),
        ("repurposed", Role.RECYCLER, True, "requires custody and the second_life role"),
        ("dismantled", Role.COLLECTOR, True,
         "requires custody and the recycler role (whitelisted under 规范条件), or custody and the "
         "vehicle_dismantler role"),
        ("recycled", Role.VEHICLE_DISMANTLER, True, "requires the recycler role (whitelisted under 规范条件)"),
        ("incident", Role.DEALER, False, "requires custody, or the regulator role; the custodian is 'someone-else'"),
        ("recalled", Role.AUTOMAKER, False,
         "requires being the pack's manufacturer ('some-maker'), or the regulator role"),
        ("corrected", Role.SERVICE, False, "requires authorship of an entry of this pack, or the regulator role"),
        ("found", Role.COLLECTOR, True, "requires the regulator role"),
        ("swapped", Role.SERVICE, True, "requires custody and the swap_operator role"),
        ("swapped", Role.SWAP_OPERATOR, False, "requires custody and the swap_operator role; the custodian is "
         "'someone-else'"),
        ("ownership_transferred", Role.AUTOMAKER, False, "requires being the pack's owner ('someone-else')"),
        ("leased", Role.AUTOMAKER, True, "requires the lessor role and being the pack's owner ('automaker-org')"),
        ("leased", Role.LESSOR, False, "requires the lessor role and being the pack's owner ('someone-else')"),
        ("lease_ended", Role.SWAP_OPERATOR, False, "requires being the pack's owner ('someone-else')"),
    ],
)  # fmt: skip
def test_refusals_say_why(event: str, role: Role, holds: bool, why: str) -> None:
    actor = make_org(role, owns_prefix=False)
    with pytest.raises(AuthorisationError) as caught:
        check_permission(event, actor, make_state(event, actor, holds), CODE, {"vin": "LSJA24U64MS000001"})
    assert caught.value.message == f"org '{actor.id}' ({role}) may not post '{event}': {why}"


def test_admin_posts_nothing_even_with_custody() -> None:
    admin = make_org(Role.ADMIN)
    with pytest.raises(AuthorisationError) as caught:
        check_permission("shipped", admin, make_state("shipped", admin, True), CODE, {})
    assert caught.value.message == "org 'admin-org' (admin) may not post 'shipped': the admin role posts no events"


def test_a_second_life_code_is_produced_by_the_second_life_company_owning_its_prefix() -> None:
    code = parse_code(second_life_code(1))
    owner = Org("s2l-energy", "S2L", frozenset({Role.SECOND_LIFE}), frozenset({"S2L"}))
    stranger = Org("other-s2l", "S2L", frozenset({Role.SECOND_LIFE}), frozenset({"S3L"}))
    maker = Org("catl", "CATL", frozenset({Role.MANUFACTURER}), frozenset({"S2L"}))
    check_permission("produced", owner, None, code, {})
    assert permission_denial("produced", stranger, None, code) == (
        "org 'other-s2l' (second_life) may not post 'produced': requires the second_life role and ownership of "
        "the maker prefix 'S2L'"
    )
    assert permission_denial("produced", maker, None, code) == (
        "org 'catl' (manufacturer) may not post 'produced': requires the second_life role and ownership of the "
        "maker prefix 'S2L'"
    )
    # and a second-life company cannot produce a regular code, even with the prefix
    regular = parse_code(pack_code(1, maker="S2L"))
    assert permission_denial("produced", owner, None, regular) is not None


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("holds", [True, False])
def test_installing_at_a_storage_site_is_for_the_second_life_custodian(role: Role, holds: bool) -> None:
    actor = make_org(role)
    allowed = permission_denial("installed", actor, make_state("installed", actor, holds), CODE, install_target="site")
    assert (allowed is None) == (holds and role == Role.SECOND_LIFE)
    if allowed is not None and role != Role.ADMIN:
        assert allowed.endswith("'installed': requires custody and the second_life role" + (
            "" if holds else "; the custodian is 'someone-else'"
        ))  # fmt: skip


@pytest.mark.parametrize("role", sorted(WORKSHOPS))
def test_workshops_remove_without_custody_only_from_vehicles(role: str) -> None:
    actor = make_org(Role(role))
    in_storage = make_state("removed", actor, holds=False)
    assert in_storage is not None
    in_storage = in_storage.evolve(status="in_storage_system")
    assert permission_denial("removed", actor, in_storage, CODE) == (
        f"org '{actor.id}' ({role}) may not post 'removed': requires custody; the custodian is 'someone-else'"
    )


def test_a_recycler_off_the_whitelist_may_neither_dismantle_nor_recycle() -> None:
    recycler = make_org(Role.RECYCLER, whitelisted=False)
    dismantle = permission_denial("dismantled", recycler, make_state("dismantled", recycler, True), CODE)
    assert dismantle == (
        "org 'recycler-org' (recycler) may not post 'dismantled': requires custody and the recycler role "
        "(whitelisted under 规范条件), or custody and the vehicle_dismantler role; "
        "'recycler-org' is not on the 规范条件 whitelist"
    )
    recycle = permission_denial("recycled", recycler, make_state("recycled", recycler, True), CODE)
    assert recycle == (
        "org 'recycler-org' (recycler) may not post 'recycled': requires the recycler role "
        "(whitelisted under 规范条件); 'recycler-org' is not on the 规范条件 whitelist"
    )


def test_any_of_several_roles_is_enough() -> None:
    byd = Org("byd", "BYD", frozenset({Role.MANUFACTURER, Role.AUTOMAKER}), frozenset({"0RJ"}))
    check_permission("produced", byd, None, CODE, {})
    check_permission("installed", byd, make_state("installed", byd, True), CODE, {"vin": "LSJA24U64MS000001"})
    mixed_admin = Org("ops", "Ops", frozenset({Role.ADMIN, Role.REGULATOR}))
    check_permission("found", mixed_admin, make_state("found", mixed_admin, False), CODE, {})


def test_correction_author_is_checked_by_the_ledger_half() -> None:
    author = make_org(Role.SERVICE)
    check_correction_author(author, "service-org", "ab" * 32)
    check_correction_author(make_org(Role.REGULATOR), "service-org", "ab" * 32)
    with pytest.raises(AuthorisationError) as caught:
        check_correction_author(make_org(Role.DEALER), "service-org", "ab" * 32)
    assert caught.value.message == (
        f"org 'dealer-org' (dealer) may not correct entry {'ab' * 32}: it was posted by 'service-org'; "
        "only its author or a regulator may correct it"
    )


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("holds", [True, False])
def test_a_swap_operator_swaps_a_pack_out_of_any_vehicle(role: Role, holds: bool) -> None:
    actor = make_org(role)
    state = make_state("removed", actor, holds)  # in a vehicle
    denial = permission_denial("swapped", actor, state, CODE)
    assert (denial is None) == (role == Role.SWAP_OPERATOR)
    if denial is not None and role != Role.ADMIN:
        assert denial == f"org '{actor.id}' ({role}) may not post 'swapped': requires the swap_operator role"


# Importers (进口商): `produced` with `data.imported`, every role × owning the code's maker prefix or not
IMPORTED = {"imported": {"foreign_manufacturer": {"name": "LG Energy Solution", "country": "KR"},
                         "customs_declaration": "531320261000012345", "import_date": "2026-03-05"}}  # fmt: skip
IMPORT_CASES = [(role, holds) for role in Role for holds in (True, False)]


@pytest.mark.parametrize(("role", "holds"), IMPORT_CASES, ids=[f"imported-{r}-{h}" for r, h in IMPORT_CASES])
def test_matrix_imported(role: Role, holds: bool) -> None:
    actor = make_org(role, owns_prefix=holds)
    if holds and role in {Role.MANUFACTURER, Role.IMPORTER}:  # a maker prefix of its own; a maker may import too
        check_permission("produced", actor, None, CODE, IMPORTED)
    else:
        with pytest.raises(AuthorisationError) as caught:
            check_permission("produced", actor, None, CODE, IMPORTED)
        assert caught.value.message.startswith(f"org '{actor.id}' ({role}) may not post 'produced': ")


def test_an_importer_without_an_import_or_a_prefix() -> None:
    importer = make_org(Role.IMPORTER, owns_prefix=True)
    with pytest.raises(AuthorisationError) as caught:
        check_permission("produced", importer, None, CODE, {})
    assert caught.value.message == (
        "org 'importer-org' (importer) may not post 'produced': requires the manufacturer role and ownership of the "
        "maker prefix '0RJ'"
    )
    stranger = make_org(Role.IMPORTER)
    with pytest.raises(AuthorisationError) as caught:
        check_permission("produced", stranger, None, CODE, IMPORTED)
    assert caught.value.message == (
        "org 'importer-org' (importer) may not post 'produced': requires the manufacturer role and ownership of the "
        "maker prefix '0RJ', or the importer role and ownership of the maker prefix '0RJ'"
    )


@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize("holds", [True, False], ids=["holds", "not"])
def test_one_to_many_repurposing_asks_what_one_product_asks(role: Role, holds: bool) -> None:
    """`repurposed` into a list of products (one-to-many) is granted exactly as into one code."""
    actor = make_org(role)
    state = make_state("repurposed", actor, holds)
    data = {"into": ["S2LPBA1G310000001RP", "S2LPBA1G310000002RP"]}
    if expected("repurposed", role, holds):
        check_permission("repurposed", actor, state, CODE, data)
    else:
        with pytest.raises(AuthorisationError) as caught:
            check_permission("repurposed", actor, state, CODE, data)
        why = "requires custody and the second_life role" + ("" if holds else "; the custodian is 'someone-else'")
        if role == Role.ADMIN:
            why = "the admin role posts no events"
        assert caught.value.message == f"org '{actor.id}' ({role}) may not post 'repurposed': {why}"


# A module recovered whole from a dismantled pack (docs/modules.md): `produced` on a module code with
# `data.recovered_from`, by those who may dismantle: a whitelisted recycler or a vehicle dismantler. (That it
# holds the dismantled pack is the effect's check: tests/events/test_module_rules.py.) Every role × whitelisted
# or not, on a module code and on a pack code.
MODULE = parse_code(module_code(1))
RECOVERED = {"recovered_from": pack_code(2)}
RECOVERY_CASES = [(role, listed) for role in Role for listed in (True, False)]


@pytest.mark.parametrize(("role", "listed"), RECOVERY_CASES, ids=[f"recovered-{r}-{w}" for r, w in RECOVERY_CASES])
def test_matrix_recovered(role: Role, listed: bool) -> None:
    actor = make_org(role, whitelisted=listed)
    allowed = role == Role.VEHICLE_DISMANTLER or (role == Role.RECYCLER and listed)
    if allowed:
        check_permission("produced", actor, None, MODULE, RECOVERED)
    else:
        with pytest.raises(AuthorisationError) as caught:
            check_permission("produced", actor, None, MODULE, RECOVERED)
        assert caught.value.message.startswith(f"org '{actor.id}' ({role}) may not post 'produced': ")
    # a pack code is never recovered this way: only a maker owning the prefix may produce it
    pack_denial = permission_denial("produced", actor, None, CODE, recovered=True)
    assert pack_denial is not None


def test_a_recycler_off_the_whitelist_may_not_recover_a_module() -> None:
    grey = make_org(Role.RECYCLER, whitelisted=False)
    with pytest.raises(AuthorisationError) as caught:
        check_permission("produced", grey, None, MODULE, RECOVERED)
    assert caught.value.message == (
        "org 'recycler-org' (recycler) may not post 'produced': requires the manufacturer role and ownership of the "
        "maker prefix '0RJ', or the recycler role (whitelisted under 规范条件), or the vehicle_dismantler role; "
        "'recycler-org' is not on the 规范条件 whitelist"
    )
