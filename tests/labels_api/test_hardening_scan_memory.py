"""Issue 11 item 6: label photos must not take the server's memory. The real server (uvicorn in its own
process, on this test's database) is sent 16 high-resolution label photos at once; its peak resident set
(VmHWM) must stay under 1 GiB, and every photo is still read. Before the fix, 16 uploads of the attack's
40 MP RGBA PNG took it to 7,968 MiB."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from api.bootstrap import build_ledger
from api.settings import Settings
from events.orgs import Role
from ledger.usecases.custodial import load_or_create_sealing_key
from tests.api.parties import ADMIN_TOKEN, Party, make_party
from tests.api.scenario import PRODUCED, code
from tests.labels_api.images import high_resolution_photo
from tests.labels_api.world import PUBLIC_URL

ROOT = Path(__file__).resolve().parents[2]
GIB = 1024**3
UPLOADS = 16
KILL_AT = 3 * GIB  # a regression must fail this test, not take the machine's memory with it
SERVE = (
    "import sys, uvicorn\n"
    "from api.app import create_app\n"
    "from api.settings import Settings\n"
    "uvicorn.run(create_app(Settings()), fd=int(sys.argv[1]), log_level='warning')\n"
)


@dataclass
class Served:
    url: str
    process: subprocess.Popen[bytes]
    maker: Party
    recycler: Party

    def memory_kib(self, field: str) -> int:
        """VmRSS (now) or VmHWM (peak) of the server process, in KiB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
        raise AssertionError(f"{field} not in /proc/{self.process.pid}/status")


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[Served]:
    """uvicorn serving the app in a subprocess, on a socket this test bound to a free port of 127.0.0.1,
    over this test's database holding one produced pack, a maker and a recycler."""
    env = {
        **os.environ,
        "PACKTRACE_ENVIRONMENT": "development",
        "PACKTRACE_DATABASE_URL": database_url,
        "PACKTRACE_PUBLIC_URL": PUBLIC_URL,
        "PACKTRACE_LOG_KEY_FILE": str(tmp_path / "log.key"),
        "PACKTRACE_SEALING_KEY_FILE": str(tmp_path / "sealing.key"),
        "PACKTRACE_ADMIN_TOKEN": ADMIN_TOKEN,
    }
    load_or_create_sealing_key(tmp_path / "sealing.key")  # both keys exist before the log holds anything
    settings = Settings(
        database_url=database_url,
        public_url=PUBLIC_URL,
        log_key_file=tmp_path / "log.key",
        sealing_key_file=tmp_path / "sealing.key",
        admin_token=ADMIN_TOKEN,
        environment="development",
    )
    ledger = build_ledger(settings)
    try:
        maker, recycler = make_party(ledger, Role.MANUFACTURER), make_party(ledger, Role.RECYCLER)
        body = maker.claim(code(1), "produced", PRODUCED)
        ledger.append([(body["claim"], body["sig"])])
    finally:
        ledger.close()
        ledger.engine.dispose()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(sock.fileno())], cwd=ROOT, env=env, pass_fds=[sock.fileno()]
    )
    sock.close()
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"the server exited with {process.returncode}"
            assert time.monotonic() < deadline, "the server did not answer /healthz within 60 s"
            try:
                if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield Served(url, process, maker, recycler)
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def watch(served: Served, stop: threading.Event) -> None:
    """Kill the server once its resident set passes KILL_AT: the test then fails on the closed connections."""
    while not stop.wait(0.05) and served.process.poll() is None:
        if served.memory_kib("VmRSS") * 1024 > KILL_AT:
            served.process.kill()
            return


@pytest.mark.slow
def test_item6_sixteen_concurrent_photo_uploads_keep_the_server_under_1_gib(served: Served) -> None:
    label = httpx.get(f"{served.url}/v1/packs/{code(1)}/label.png", headers=served.maker.auth, timeout=60)
    assert label.status_code == 200, label.text
    photos = [  # the heaviest photos still accepted, alike in kind to the attack's 165 KiB, ~40 MP PNG
        ("photo.png", high_resolution_photo(label.content, "PNG", (4000, 4000)), "image/png"),  # 16 MP RGBA
        ("photo.jpg", high_resolution_photo(label.content, "JPEG", (8160, 6120)), "image/jpeg"),  # 50 MP
    ]
    assert all(len(photo) < 400 * 1024 for _, photo, _ in photos)  # small on the wire
    before = served.memory_kib("VmHWM")
    barrier = threading.Barrier(UPLOADS)
    answers: list[httpx.Response | BaseException] = [RuntimeError("not sent")] * UPLOADS

    def upload(i: int) -> None:
        files = {"image": photos[i % len(photos)]}
        barrier.wait()
        try:
            answers[i] = httpx.post(f"{served.url}/v1/scan", files=files, headers=served.recycler.auth, timeout=300)
        except httpx.TransportError as exc:
            answers[i] = exc

    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(served, stop), daemon=True)
    watcher.start()
    started = time.monotonic()
    senders = [threading.Thread(target=upload, args=(i,)) for i in range(UPLOADS)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    elapsed = time.monotonic() - started
    stop.set()
    watcher.join()
    assert served.process.poll() is None, f"the server was killed: its resident set passed {KILL_AT / GIB:g} GiB"
    peak = served.memory_kib("VmHWM") * 1024
    print(
        f"\nserver peak RSS {peak / 2**20:.0f} MiB (idle {before / 1024:.0f} MiB), {UPLOADS} uploads in {elapsed:.1f} s"
    )
    for answer in answers:
        assert isinstance(answer, httpx.Response), repr(answer)
        assert answer.status_code == 200, answer.text
        assert answer.json()["code"] == code(1)
    assert peak < GIB, f"peak RSS {peak / 2**20:.0f} MiB"
