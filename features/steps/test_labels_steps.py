"""Steps of features/labels.feature: over the HTTP API, with the recycler's platform-held key."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from pytest_bdd import given, parsers, scenarios, then, when

from events.orgs import Role
from ledger.log import Ledger
from ledger.usecases import custodial
from tests.api.inprocess import in_process_client
from tests.api.parties import Party, make_party
from tests.api.scenario import PRODUCED, code, post, produced
from tests.labels_api.images import pdf_pages, photo_of, read_qr
from tests.labels_api.world import SEALING_KEY, labels_app, url_of

scenarios("labels.feature")


@dataclass
class Story:
    """What the steps of one scenario learn and pass on."""

    parties: dict[Role, Party] = field(default_factory=dict)
    pack: str = ""
    batch: list[str] = field(default_factory=list)
    response: httpx.Response | None = None
    scanned: dict[str, Any] = field(default_factory=dict)
    platform_key: str = ""

    def party(self, name: str) -> Party:
        return self.parties[{"maker": Role.MANUFACTURER, "recycler": Role.RECYCLER}[name]]


@pytest.fixture
def story() -> Story:
    return Story()


@pytest.fixture
def client(ledger: Ledger, tmp_path: Path, database_url: str) -> Iterator[httpx.Client]:
    """The API over the scenario's ledger (features/conftest.py), with the label tests' public URL."""
    with in_process_client(labels_app(ledger, tmp_path, database_url)) as http:
        yield http


@given("a battery maker and a recycler on the platform")
def _orgs(ledger: Ledger, story: Story) -> None:
    story.parties = {role: make_party(ledger, role) for role in (Role.MANUFACTURER, Role.RECYCLER)}


@given("the maker has produced a pack and shipped it to the recycler")
def _shipped(client: httpx.Client, story: Story) -> None:
    maker, recycler = story.party("maker"), story.party("recycler")
    story.pack = code(1)
    produced(client, story.parties, 1)
    post(client, maker, maker.claim(story.pack, "shipped", {"to": recycler.id}))


@given("the recycler lets the platform hold its signing key")
def _platform_key(ledger: Ledger, story: Story) -> None:
    record = custodial.create_platform_key(ledger, story.party("recycler").id, sealing_key=SEALING_KEY)
    story.platform_key = record.key_id


@given(parsers.parse("the maker has produced a batch of {count:d} packs"))
def _batch(client: httpx.Client, story: Story, count: int) -> None:
    maker = story.party("maker")
    story.batch = [code(serial) for serial in range(1, count + 1)]
    events = [maker.claim(pack, "produced", PRODUCED) for pack in story.batch]
    assert client.post("/v1/events/batch", json={"events": events}, headers=maker.auth).status_code == 201


@when("the recycler posts a photo of the pack's label to the scanner")
def _scan_label(client: httpx.Client, story: Story) -> None:
    label = client.get(f"/v1/packs/{story.pack}/label.png", headers=story.party("maker").auth)
    assert label.status_code == 200, label.text
    photo = photo_of(label.content, angle=-21, blur=1.2)
    story.response = client.post(
        "/v1/scan", files={"image": ("IMG_0001.jpg", photo, "image/jpeg")}, headers=story.party("recycler").auth
    )
    assert story.response.status_code == 200, story.response.text
    story.scanned = story.response.json()


@when("the recycler posts a photo of an empty bench to the scanner")
def _scan_nothing(client: httpx.Client, story: Story) -> None:
    out = io.BytesIO()
    Image.new("RGB", (1600, 1200), (180, 176, 170)).save(out, format="JPEG")
    photo = {"image": ("IMG_0002.jpg", out.getvalue(), "image/jpeg")}
    story.response = client.post("/v1/scan", files=photo, headers=story.party("recycler").auth)


@when(parsers.parse('the recycler posts "{event_type}" signed with its platform-held key'))
def _post_as(ledger: Ledger, story: Story, event_type: str) -> None:
    appended = custodial.post_as(
        ledger,
        "recycler",
        pack=story.pack,
        type=event_type,
        data={"from": story.party("maker").id},
        sealing_key=SEALING_KEY,
    )
    assert appended.created and appended.entry["claim"]["key"] == story.platform_key


@when("the maker asks for a label sheet of the batch")
def _sheet(client: httpx.Client, story: Story) -> None:
    story.response = client.post("/v1/labels", json={"codes": story.batch}, headers=story.party("maker").auth)
    assert story.response.status_code == 200, story.response.text
    assert story.response.headers["content-type"] == "application/pdf"


@then("the scan answers the pack's code")
def _scanned_code(story: Story) -> None:
    assert story.scanned["code"] == story.pack
    assert story.scanned["pack"]["code"] == story.pack


@then(parsers.parse('the recycler may post "{event_type}" and nothing else'))
def _next_actions(story: Story, event_type: str) -> None:
    assert story.scanned["next_actions"] == [event_type]


@then(parsers.parse('the scan is refused with "{error_code}"'))
def _refused(story: Story, error_code: str) -> None:
    assert story.response is not None
    assert story.response.status_code == 422
    assert story.response.json()["code"] == error_code


@then(parsers.parse('the pack is "{status}" in the custody of the recycler'))
def _custody(client: httpx.Client, story: Story, status: str) -> None:
    recycler = story.party("recycler")
    view = client.get(f"/v1/packs/{story.pack}", headers=recycler.auth).json()
    assert (view["status"], view["custodian"]) == (status, recycler.id)


@then("the pack's bundle marks the recycler's key as platform-held")
def _bundle(client: httpx.Client, story: Story) -> None:
    bundle = client.get(f"/v1/packs/{story.pack}/bundle", headers=story.party("recycler").auth).json()
    held = {key["key_id"]: key["platform_held"] for key in bundle["keys"]}
    assert held == {story.party("maker").key_id: False, story.platform_key: True}


@then(parsers.parse("the sheet has {pages:d} page(s)"))
def _pages(story: Story, pages: int) -> None:
    assert story.response is not None
    assert len(pdf_pages(story.response.content)) == pages


@then("every label on the sheet decodes to its own pack's URL, in batch order")
def _decoded(story: Story) -> None:
    assert story.response is not None
    for number, page in enumerate(pdf_pages(story.response.content)):
        expected = story.batch[24 * number : 24 * (number + 1)]  # 24 labels of 50×30 mm to an A4 page
        assert sorted(read_qr(page)) == sorted(url_of(pack) for pack in expected), f"page {number + 1}"
