"""Who is calling and what they may do: the caller and the access tiers of DESIGN §5.

Tiers follow the EU battery passport's:
    public               anyone, no token: the pack's identity and coarse status
    legitimate_interest  any authenticated organisation of the chain's roles: also technical data,
                         grades and the history without personal data or counterparties
    authority            a regulator or the platform administrator: everything, VINs and counterparties

A regulator organisation registered in a region is scoped to it (events.regions): its jurisdiction. It
sees reports and packs of its region only (ledger.usecases.places says what "touches" a region), and for a
pack outside its region it is an ordinary organisation: `Caller.outside` marks such a per-pack caller.

The tier says what a caller sees of a pack. The regulator's reports and web workspace (DESIGN §5, §7) are
another matter, decided by `Caller.is_regulator` alone: an organisation with the regulator role. The
platform administrator runs the registry (organisations, keys, tokens) and is not a regulator; it sees
packs at the authority tier but not the regulator's pages.

Every check here raises from the one error family; `Unauthenticated` is the authorisation error that
the API answers with 401 instead of 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from events import regions
from events.errors import AuthorisationError
from events.orgs import Org, Role
from events.regions import OutOfJurisdiction


class Tier(StrEnum):
    PUBLIC = "public"
    LEGITIMATE_INTEREST = "legitimate_interest"
    AUTHORITY = "authority"


class Unauthenticated(AuthorisationError):
    """No bearer token, or one that names nobody (HTTP 401)."""

    code = "unauthenticated"


@dataclass(frozen=True)
class Caller:
    """The party behind a request: an organisation, the admin token, or nobody (`org is None`)."""

    org: Org | None = None
    admin_token: bool = False
    outside: bool = False  # a region-scoped regulator reading a pack outside its jurisdiction

    @property
    def jurisdiction(self) -> str | None:
        """The region a regulator organisation is scoped to: its registered region, at any level (a province,
        a city, a county). None: not a regulator, or a regulator registered without a region, the
        platform's own, which sees everything the platform holds."""
        org = self.org
        if org is not None and org.has(Role.REGULATOR):
            return org.region
        return None

    @property
    def authenticated(self) -> bool:
        return self.admin_token or self.org is not None

    @property
    def org_id(self) -> str | None:
        return self.org.id if self.org is not None else None

    @property
    def is_admin(self) -> bool:
        return self.admin_token or (self.org is not None and self.org.has(Role.ADMIN))

    @property
    def is_authority(self) -> bool:
        return self.is_admin or (not self.outside and self.org is not None and self.org.has(Role.REGULATOR))

    @property
    def is_regulator(self) -> bool:
        """May use the regulator's reports and workspace: an organisation with the regulator role, never
        the admin token nor an organisation with the admin role only."""
        return not self.outside and self.org is not None and self.org.has(Role.REGULATOR)

    @property
    def tier(self) -> Tier:
        if self.is_authority:
            return Tier.AUTHORITY
        return Tier.LEGITIMATE_INTEREST if self.authenticated else Tier.PUBLIC

    def describe(self) -> str:
        if self.org is not None:
            return self.org.describe()
        return "the admin token" if self.admin_token else "an anonymous caller"


ANONYMOUS = Caller()
ADMIN = Caller(admin_token=True)


def require_authenticated(caller: Caller, action: str) -> None:
    if not caller.authenticated:
        raise Unauthenticated(f"{action} needs a bearer token")


def require_admin(caller: Caller, action: str) -> None:
    require_authenticated(caller, action)
    if not caller.is_admin:
        raise AuthorisationError(f"only the platform administrator may {action}; you are {caller.describe()}")


def require_authority(caller: Caller, action: str) -> None:
    require_authenticated(caller, action)
    if not caller.is_authority:
        raise AuthorisationError(f"only a regulator may {action}; you are {caller.describe()}")


def require_whole_platform(caller: Caller, action: str) -> None:
    """The log's entries in bulk: an authority not scoped below a province (a regulator registered without a
    region or at province level, or the administrator). A city's or county's regulator reads the packs of
    its region, with their bundles and proofs, instead."""
    require_authority(caller, action)
    where = caller.jurisdiction
    if where is not None and regions.level(where) != "province":
        raise OutOfJurisdiction(
            f"only a regulator of a whole province may {action}; your jurisdiction is "
            f"{where} ({regions.name(where, 'en')}): read its packs, reports and bundles instead"
        )


def require_regulator(caller: Caller, action: str) -> None:
    """The regulator's reports and workspace (DESIGN §5, §7): `Caller.is_regulator`, so not the platform
    administrator, whose business is running the platform rather than supervising it."""
    require_authenticated(caller, action)
    if not caller.is_regulator:
        raise AuthorisationError(f"only a regulator may {action}; you are {caller.describe()}")


def require_org(caller: Caller, action: str) -> Org:
    """The caller's organisation; the admin token is not one."""
    require_authenticated(caller, action)
    if caller.org is None:
        raise AuthorisationError(
            f"{action} needs an organisation's token, not the admin token", code="not_an_organisation"
        )
    return caller.org


def require_self_or_admin(caller: Caller, org_id: str, action: str) -> None:
    require_authenticated(caller, action)
    if not caller.is_admin and caller.org_id != org_id:
        raise AuthorisationError(
            f"only {org_id!r} itself or the platform administrator may {action}; you are {caller.describe()}"
        )
