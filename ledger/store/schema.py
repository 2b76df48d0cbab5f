"""Storage tables. Entries are immutable rows holding their exact canonical bytes; everything else about
a pack (state, custody, bindings) is a projection rebuildable from the log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, LargeBinary, Table, UniqueConstraint
from sqlmodel import Field, SQLModel

# A 64-bit integer key. On SQLite it is declared INTEGER so that it becomes the table's rowid: a BIGINT
# primary key would be a second B-tree beside the rowid one, written on every insert.
ROWID_KEY = BigInteger().with_variant(Integer(), "sqlite")


class Entry(SQLModel, table=True):
    __tablename__ = "entry"
    __table_args__ = (
        UniqueConstraint("pack", "seq", name="uq_entry_pack_seq"),
        UniqueConstraint("actor", "claim_id", name="uq_entry_actor_claim"),
        Index("ix_entry_type_at", "type", "at"),
    )

    idx: int = Field(sa_column=Column(ROWID_KEY, primary_key=True, autoincrement=False))
    pack: str = Field(max_length=80)  # a pack's code, or a registry entry's subject (`org:<id>`, `log`)
    seq: int
    hash: str = Field(max_length=64)  # no index: looked up only within a pack (store.appending.target_entry)
    actor: str = Field(max_length=64)  # uq_entry_actor_claim serves lookups by actor
    claim_id: str = Field(max_length=64)
    type: str = Field(max_length=32)
    at: str = Field(max_length=20)  # the claim's `at`, RFC 3339 (fixed width, so text order is time order)
    recorded_at: str = Field(max_length=27)  # the entry's `recorded_at`
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


NODE_LEVEL_SHIFT = 48


def node_id(level: int, idx: int) -> int:
    """One integer key for the node at (level, idx), so a proof's nodes come from one primary-key IN."""
    return (level << NODE_LEVEL_SHIFT) | idx


def node_key(node: int) -> tuple[int, int]:
    return node >> NODE_LEVEL_SHIFT, node & ((1 << NODE_LEVEL_SHIFT) - 1)


class MerkleNode(SQLModel, table=True):
    """Hash of the complete subtree at (level, idx): leaves [idx·2^level, (idx+1)·2^level)."""

    __tablename__ = "merkle_node"

    id: int = Field(sa_column=Column(ROWID_KEY, primary_key=True, autoincrement=False))  # node_id(level, idx)
    hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class Checkpoint(SQLModel, table=True):
    __tablename__ = "checkpoint"

    size: int = Field(sa_column=Column(ROWID_KEY, primary_key=True, autoincrement=False))
    root: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    note: str
    signed_at: datetime


class HeadLeaf(SQLModel, table=True):
    """Where each chain's head sits in a head commitment's tree (ledger.format.heads): kept for the latest
    commitments only (ledger.store.heads.KEPT), so that a bundle can prove its pack's head."""

    __tablename__ = "head_leaf"

    commitment: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))  # its entry index
    subject: str = Field(primary_key=True, max_length=80)
    position: int = Field(sa_column=Column(BigInteger, nullable=False))
    idx: int = Field(sa_column=Column(BigInteger, nullable=False))  # the head entry's index
    seq: int
    hash: str = Field(max_length=64)


class HeadNode(SQLModel, table=True):
    """A complete-subtree hash of a head commitment's tree, keyed like `merkle_node` (node_id)."""

    __tablename__ = "head_node"

    commitment: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class WitnessCosignature(SQLModel, table=True):
    """A witness's C2SP tlog-cosignature line(s) on the checkpoint of `size`, verified before being stored
    (ledger.usecases.cosigning); appended to that checkpoint's note wherever the log serves it."""

    __tablename__ = "witness_cosignature"

    size: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    witness: str = Field(primary_key=True, max_length=512)  # the witness's verifier key
    lines: str  # each `— <name> <base64>` and a newline
    cosigned_at: datetime  # the cosignature's own timestamp


class WitnessHead(SQLModel, table=True):
    """Per witness: the size of the latest checkpoint it cosigned for this log, the `old` line of the next
    submission (so a restarted log resumes where it left off)."""

    __tablename__ = "witness_head"

    witness: str = Field(primary_key=True, max_length=512)  # the witness's verifier key
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    cosigned_at: datetime


class PublishedCheckpoint(SQLModel, table=True):
    """One row: the size of the checkpoint the last gathering round published with its cosignatures, the
    one `GET /v1/log/checkpoint` serves while witnesses are configured."""

    __tablename__ = "published_checkpoint"

    id: int = Field(default=1, primary_key=True)
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    published_at: datetime


class LogHead(SQLModel, table=True):
    """One row: the committed size of the log. Appends lock it, so they serialise.

    It also records the keys the log is bound to (ledger.usecases.keybinding): the verifier key of the key that
    signs its checkpoints, and the fingerprint of the secret that seals its platform-held keys (never the
    secret). Both are NULL until the first start that records them."""

    __tablename__ = "log_head"

    id: int = Field(default=1, primary_key=True)
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    origin: str
    log_verifier_key: str | None = None
    sealing_key_id: str | None = Field(default=None, max_length=64)


class Org(SQLModel, table=True):
    """Projection of the registry entries about organisations (events.registry), written in the same
    transaction as the entry; the API token's hash is the one column that is not in the log."""

    __tablename__ = "org"

    id: str = Field(primary_key=True, max_length=64)
    name: str
    roles: list[str] = Field(sa_column=Column(JSON, nullable=False))
    manufacturer_codes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    whitelisted: bool = False  # its 规范条件 status when registered; `whitelist` holds the changes since
    region: str | None = Field(default=None, max_length=6)
    whitelist: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    token_hash: str | None = Field(default=None, max_length=64, index=True)
    created_at: datetime


class OrgKey(SQLModel, table=True):
    """Projection of the `key_added`/`key_revoked` registry entries; the sealed private half of a
    platform-held key is the one column that is not in the log."""

    __tablename__ = "org_key"

    key_id: str = Field(primary_key=True, max_length=128)
    org: str = Field(foreign_key="org.id", index=True, max_length=64)
    public_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    valid_from: datetime
    revoked_at: datetime | None = None
    platform_held: bool = False
    sealed_private_key: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))


class WebSession(SQLModel, table=True):
    """A logged-in browser (api/web/session.py): the cookie holds a random secret, stored here hashed, bound
    to the hash of the API token it was opened with. Logging out deletes it; rotating the token ends it."""

    __tablename__ = "web_session"

    secret_hash: str = Field(primary_key=True, max_length=64)  # SHA-256 of the cookie's secret
    org: str | None = Field(default=None, max_length=64, index=True)  # None: the platform admin token
    token_hash: str = Field(max_length=64)  # SHA-256 of the token logged in with
    created_at: datetime
    expires_at: datetime


class Pack(SQLModel, table=True):
    """Projection: a pack's current state, updated in the append transaction."""

    __tablename__ = "pack"
    __table_args__ = (
        Index("ix_pack_maker_date", "maker_code", "production_date"),
        Index("ix_pack_status_code", "status", "code"),
        # reports: a recall by the producer's org id, and code-prefix search on PostgreSQL (whose default
        # collation keeps the primary key from serving LIKE 'prefix%')
        Index("ix_pack_manufacturer_date", "manufacturer", "production_date"),
        Index("ix_pack_code_pattern", "code", postgresql_ops={"code": "varchar_pattern_ops"}).ddl_if(
            dialect="postgresql"
        ),
    )

    code: str = Field(primary_key=True, max_length=32)
    status: str = Field(max_length=32)
    custodian: str = Field(max_length=64, index=True)
    manufacturer: str = Field(max_length=64)  # ix_pack_manufacturer_date serves lookups by manufacturer
    maker_code: str = Field(max_length=3)
    chemistry: str = Field(max_length=16, index=True)
    production_date: date | None = None
    vin: str | None = Field(default=None, max_length=17, index=True)
    head: str = Field(max_length=64)
    seq: int
    last_index: int = Field(sa_column=Column(BigInteger, nullable=False))
    state: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class ReportCursor(SQLModel, table=True):
    """Report tables (ledger.usecases.report_index): how far they have read the log under one `basis` (the rule
    versions they were computed with). Entries [0, position) are counted in them."""

    __tablename__ = "report_cursor"

    basis: str = Field(primary_key=True, max_length=64)
    position: int = Field(sa_column=Column(BigInteger, nullable=False))


class ReportLate(SQLModel, table=True):
    """One entry recorded after its reporting deadline."""

    __tablename__ = "report_late"
    __table_args__ = (Index("ix_report_late_actor", "basis", "actor"), Index("ix_report_late_pack", "basis", "pack"))

    basis: str = Field(primary_key=True, max_length=64)
    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    actor: str = Field(max_length=64)
    pack: str = Field(max_length=32)
    type: str = Field(max_length=32)
    rule: str = Field(max_length=64)
    at: str = Field(max_length=20)
    recorded_at: str = Field(max_length=27)
    due: date
    working_days_late: int


class ReportActor(SQLModel, table=True):
    """Per organisation: entries posted, entries a deadline rule applies to, and late ones."""

    __tablename__ = "report_actor"

    basis: str = Field(primary_key=True, max_length=64)
    actor: str = Field(primary_key=True, max_length=64)
    entries: int = Field(sa_column=Column(BigInteger, nullable=False))
    timed: int = Field(sa_column=Column(BigInteger, nullable=False))
    late: int = Field(sa_column=Column(BigInteger, nullable=False))


class ReportDay(SQLModel, table=True):
    """Per day the events happened (China time) and organisation: entries, and of them the late ones."""

    __tablename__ = "report_day"

    basis: str = Field(primary_key=True, max_length=64)
    day: date = Field(primary_key=True)
    actor: str = Field(primary_key=True, max_length=64)
    entries: int = Field(sa_column=Column(BigInteger, nullable=False))
    late: int = Field(sa_column=Column(BigInteger, nullable=False))


class ReportRecovery(SQLModel, table=True):
    """One element of one `recycled` entry, with its rate judged against the basis' thresholds."""

    __tablename__ = "report_recovery"

    basis: str = Field(primary_key=True, max_length=64)
    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    element: str = Field(primary_key=True, max_length=32)
    actor: str = Field(max_length=64)
    pack: str = Field(max_length=32)
    content_kg: float
    recovered_kg: float
    below: bool


class RecallCampaign(SQLModel, table=True):
    """A recall campaign's definition (events.recalls), written with the request that posts its `recalled`
    entries; which packs were recalled, and when, is read from those entries."""

    __tablename__ = "recall_campaign"

    id: str = Field(primary_key=True, max_length=64)
    reason: str
    scope: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    due: date | None = None
    created_by: str = Field(max_length=64)
    created_at: datetime
    excluded: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class RecallPackRow(SQLModel, table=True):
    """A pack in a campaign's scope when it was created (one `recalled` entry each)."""

    __tablename__ = "recall_pack"

    campaign: str = Field(primary_key=True, max_length=64)
    code: str = Field(primary_key=True, max_length=32)


class CorrectionRow(SQLModel, table=True):
    """Projection of the `corrected` entries that change their target (events.corrections), one row per such
    correction, written in the append transaction: the target's values after it (its whole payload, as
    JSON bytes like `entry.body`), and whether it is the target's latest (`current`), whose values reports
    and projections read instead of the target's own."""

    __tablename__ = "correction"
    __table_args__ = (Index("ix_correction_pack", "pack", "current"), Index("ix_correction_target", "target"))

    idx: int = Field(sa_column=Column(ROWID_KEY, primary_key=True, autoincrement=False))  # the correcting entry
    target: int = Field(sa_column=Column(BigInteger, nullable=False))  # the corrected entry's index
    pack: str = Field(max_length=32)
    type: str = Field(max_length=32)  # the corrected entry's event type
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # the corrected entry's values after it
    members: list[str] = Field(sa_column=Column(JSON, nullable=False))  # the members this correction changed
    current: bool


class ComponentLink(SQLModel, table=True):
    """Projection of what held what (events.components): a module in a pack, a cell in a module or a pack,
    from the entry that put it there (`start_idx`) to the one that took it out (`end_idx`, NULL while it is
    there). Written in the append transaction; rebuilt from the log (ledger.usecases.components)."""

    __tablename__ = "component_link"
    __table_args__ = (Index("ix_component_link_parent", "parent"),)

    child: str = Field(max_length=32, primary_key=True)
    start_idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    parent: str = Field(max_length=32)
    kind: str = Field(max_length=8)  # the child's: module or cell
    start_at: str = Field(max_length=20)  # RFC 3339, like entry.at
    end_idx: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    end_at: str | None = Field(default=None, max_length=20)


class HandoverBundle(SQLModel, table=True):
    """The origin platform's bundle of a pack handed over to this one (docs/federation.md), verified when it
    arrived; bound to the log by the `arrived` entry's `bundle_sha256` (SHA-256 of `body`). Rows are only
    added, keyed by code and hash: an arrival refused after its bundle was kept never replaces the one the
    log names."""

    __tablename__ = "handover_bundle"

    code: str = Field(max_length=32, primary_key=True)
    platform: str = Field(max_length=200)  # the origin's log origin
    bundle_sha256: str = Field(max_length=64, primary_key=True)
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # the bundle's canonical bytes


REPORT_TABLES = (ReportCursor, ReportLate, ReportActor, ReportDay, ReportRecovery)

# The tables as SQLAlchemy Core sees them, named once here for every statement of the store.
ENTRY: Table = Entry.__table__  # type: ignore[attr-defined]
NODE: Table = MerkleNode.__table__  # type: ignore[attr-defined]
CHECKPOINT: Table = Checkpoint.__table__  # type: ignore[attr-defined]
HEAD: Table = LogHead.__table__  # type: ignore[attr-defined]
ORG: Table = Org.__table__  # type: ignore[attr-defined]
ORG_KEY: Table = OrgKey.__table__  # type: ignore[attr-defined]
WEB_SESSION: Table = WebSession.__table__  # type: ignore[attr-defined]
PACK: Table = Pack.__table__  # type: ignore[attr-defined]
HEAD_LEAF: Table = HeadLeaf.__table__  # type: ignore[attr-defined]
HEAD_NODE: Table = HeadNode.__table__  # type: ignore[attr-defined]
REPORT_CURSOR: Table = ReportCursor.__table__  # type: ignore[attr-defined]
REPORT_LATE: Table = ReportLate.__table__  # type: ignore[attr-defined]
REPORT_ACTOR: Table = ReportActor.__table__  # type: ignore[attr-defined]
REPORT_DAY: Table = ReportDay.__table__  # type: ignore[attr-defined]
REPORT_RECOVERY: Table = ReportRecovery.__table__  # type: ignore[attr-defined]
COSIGNATURE: Table = WitnessCosignature.__table__  # type: ignore[attr-defined]
WITNESS_HEAD: Table = WitnessHead.__table__  # type: ignore[attr-defined]
PUBLISHED: Table = PublishedCheckpoint.__table__  # type: ignore[attr-defined]
RECALL_CAMPAIGN: Table = RecallCampaign.__table__  # type: ignore[attr-defined]
RECALL_PACK: Table = RecallPackRow.__table__  # type: ignore[attr-defined]
CORRECTION: Table = CorrectionRow.__table__  # type: ignore[attr-defined]
COMPONENT_LINK: Table = ComponentLink.__table__  # type: ignore[attr-defined]
HANDOVER_BUNDLE: Table = HandoverBundle.__table__  # type: ignore[attr-defined]

TABLES = [ENTRY, NODE, CHECKPOINT, HEAD, ORG, ORG_KEY, WEB_SESSION, PACK]
TABLES += [REPORT_CURSOR, REPORT_LATE, REPORT_ACTOR, REPORT_DAY, REPORT_RECOVERY, HEAD_LEAF, HEAD_NODE]
TABLES += [COSIGNATURE, WITNESS_HEAD, PUBLISHED]
TABLES += [RECALL_CAMPAIGN, RECALL_PACK]
TABLES += [CORRECTION]
TABLES += [COMPONENT_LINK]
TABLES += [HANDOVER_BUNDLE]
