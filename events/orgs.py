"""Organisations and the roles they play in a pack's life (DESIGN §2.2)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from events.errors import InputError
from events.text import ORG_NAME_MAX, check_text


class Role(StrEnum):
    MANUFACTURER = "manufacturer"
    AUTOMAKER = "automaker"
    IMPORTER = "importer"
    DEALER = "dealer"
    SERVICE = "service"
    SWAP_OPERATOR = "swap_operator"
    LESSOR = "lessor"
    COLLECTOR = "collector"
    VEHICLE_DISMANTLER = "vehicle_dismantler"
    SECOND_LIFE = "second_life"
    RECYCLER = "recycler"
    REGULATOR = "regulator"
    ADMIN = "admin"


ROLE_NAMES_ZH: dict[Role, str] = {
    Role.MANUFACTURER: "电池生产企业",
    Role.AUTOMAKER: "汽车生产企业",
    Role.IMPORTER: "进口商",
    Role.DEALER: "汽车销售商",
    Role.SERVICE: "维修企业",
    Role.SWAP_OPERATOR: "换电运营企业",
    Role.LESSOR: "电池租赁企业（车电分离）",
    Role.COLLECTOR: "回收服务网点",
    Role.VEHICLE_DISMANTLER: "报废机动车回收拆解企业",
    Role.SECOND_LIFE: "梯次利用企业",
    Role.RECYCLER: "再生利用企业",
    Role.REGULATOR: "监管部门",
    Role.ADMIN: "平台管理员",
}

ORG_ID = re.compile(r"[a-z0-9][a-z0-9-]{1,62}")
MANUFACTURER_CODE = re.compile(r"[A-Z0-9]{3}")
# the same rules as JSON Schema (ECMA-262) patterns, for the OpenAPI document
ORG_ID_PATTERN = f"^{ORG_ID.pattern}$"
MANUFACTURER_CODE_PATTERN = f"^{MANUFACTURER_CODE.pattern}$"


def validate_org_id(text: str) -> str:
    """Return the id if it is a slug of 2-63 characters, else raise InputError."""
    if not isinstance(text, str) or not ORG_ID.fullmatch(text):
        raise InputError(
            f"organisation id {text!r} must be 2-63 characters of lower-case letters, digits and '-', "
            "starting with a letter or digit"
        )
    return text


def check_org_name(org_id: str, name: str) -> str:
    """A new organisation's name: no control characters, at most ORG_NAME_MAX characters. (Not checked in
    `Org` itself, which also reads organisations recorded before the limit.)"""
    return check_text(name, f"the name of organisation {org_id!r}", max_length=ORG_NAME_MAX)


def check_org_filter(name: str, value: str | None) -> str | None:
    """A filter naming an organisation (`custodian`, `org`): None, or an organisation id."""
    if value is not None and not (isinstance(value, str) and ORG_ID.fullmatch(value)):
        raise InputError(f"{name} {value!r} is not an organisation id", code="invalid_filter")
    return value


def parse_roles(names: Iterable[str]) -> frozenset[Role]:
    roles: set[Role] = set()
    for name in names:
        try:
            roles.add(Role(name))
        except ValueError:
            raise InputError(f"unknown role {name!r}; roles are: {', '.join(sorted(Role))}") from None
    return frozenset(roles)


@dataclass(frozen=True)
class Org:
    id: str
    name: str
    roles: frozenset[Role]
    manufacturer_codes: frozenset[str] = frozenset()
    whitelisted: bool = False  # a recycler on MIIT's 规范条件 list
    region: str | None = None  # the administrative division it is in (GB/T 2260 code), when known

    def __post_init__(self) -> None:
        validate_org_id(self.id)
        if not self.name.strip():
            raise InputError(f"organisation {self.id!r} needs a name")
        roles = parse_roles(self.roles)
        if not roles:
            raise InputError(f"organisation {self.id!r} needs at least one role")
        for code in self.manufacturer_codes:
            if not MANUFACTURER_CODE.fullmatch(code):
                raise InputError(f"manufacturer code {code!r} of {self.id!r} must be 3 upper-case letters or digits")
        # accept plain strings and any iterable from callers; store exactly the documented types
        object.__setattr__(self, "roles", roles)
        object.__setattr__(self, "manufacturer_codes", frozenset(self.manufacturer_codes))

    def has(self, role: Role | str) -> bool:
        return role in self.roles

    def describe(self) -> str:
        """`org 'gem' (collector, recycler)`: how messages name an organisation."""
        return f"org {self.id!r} ({', '.join(sorted(self.roles))})"
