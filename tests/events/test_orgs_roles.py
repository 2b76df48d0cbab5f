"""Organisations and roles."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from events.errors import InputError
from events.orgs import ROLE_NAMES_ZH, Org, Role, validate_org_id


def test_the_roles_are_exactly_those_of_the_design() -> None:
    assert [str(role) for role in Role] == [
        "manufacturer", "automaker", "importer", "dealer", "service", "swap_operator", "lessor", "collector",
        "vehicle_dismantler", "second_life", "recycler", "regulator", "admin",
    ]  # fmt: skip


def test_every_role_has_a_chinese_name() -> None:
    assert set(ROLE_NAMES_ZH) == set(Role)
    assert ROLE_NAMES_ZH[Role.SECOND_LIFE] == "梯次利用企业"
    assert ROLE_NAMES_ZH[Role.RECYCLER] == "再生利用企业"
    assert ROLE_NAMES_ZH[Role.COLLECTOR] == "回收服务网点"


@pytest.mark.parametrize("good", ["catl", "ab", "0rj-maker", "a" * 63, "9-9"])
def test_slug_ids_are_accepted(good: str) -> None:
    assert validate_org_id(good) == good


@pytest.mark.parametrize("bad", ["a", "-catl", "CATL", "cat_l", "catl ", "a" * 64, "宁德", ""])
def test_other_ids_are_refused(bad: str) -> None:
    with pytest.raises(InputError) as caught:
        validate_org_id(bad)
    assert caught.value.message == (
        f"organisation id {bad!r} must be 2-63 characters of lower-case letters, digits and '-', "
        "starting with a letter or digit"
    )


def test_org_accepts_role_names_and_answers_has() -> None:
    org = Org("byd", "比亚迪", frozenset({"automaker", "manufacturer"}), frozenset({"001"}))  # type: ignore[arg-type]
    assert org.roles == frozenset({Role.AUTOMAKER, Role.MANUFACTURER})
    assert org.has(Role.AUTOMAKER) and org.has("manufacturer") and not org.has(Role.RECYCLER)
    assert org.describe() == "org 'byd' (automaker, manufacturer)"
    assert org.whitelisted is False


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Org("x", "X", frozenset({Role.DEALER})), "organisation id 'x' must be 2-63 characters"),
        (lambda: Org("acme", " ", frozenset({Role.DEALER})), "organisation 'acme' needs a name"),
        (lambda: Org("acme", "Acme", frozenset()), "organisation 'acme' needs at least one role"),
        (lambda: Org("acme", "Acme", frozenset({"baker"})), "unknown role 'baker'; roles are: admin, automaker,"),
        (lambda: Org("acme", "Acme", frozenset({Role.MANUFACTURER}), frozenset({"0rj"})),
         "manufacturer code '0rj' of 'acme' must be 3 upper-case letters or digits"),
    ],
)  # fmt: skip
def test_invalid_orgs_are_refused(make: Callable[[], Org], message: str) -> None:
    with pytest.raises(InputError) as caught:
        make()
    assert caught.value.message.startswith(message)
