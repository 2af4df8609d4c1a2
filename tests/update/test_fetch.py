"""Bundle downloads over real HTTPS on 127.0.0.1: conditional, resumable, capped, HTTPS only."""

import base64
import hashlib
import json
import logging
import os
import re
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from courier.update.fetch import FetchError, FetchResult, fetch_bundle
from tests.internet.conftest import make_tls

SIZE = 3 * 1024 * 1024
MIB = 1024 * 1024
LAST_MODIFIED = "Wed, 01 Jan 2025 00:00:00 GMT"


@dataclass
class Behaviour:
    """What the test server serves at /bundle, and how it misbehaves."""

    body: bytes
    etag: str | None = '"v1"'
    last_modified: str | None = LAST_MODIFIED
    cut_after: int | None = None  # body bytes sent before the connection is cut
    claim_length: int | None = None  # a Content-Length announced instead of the truth
    chunked: bool = False
    fail: int | None = None  # a status answered instead of the bundle
    redirect: str = ""  # where /redirect points
    content_range: str | None = None  # a Content-Range sent on 206 instead of the right one
    # After N bytes, wait until the client has written them to this file, then set the event.
    cancel_after: tuple[int, Path, threading.Event] | None = None
    log: list[dict[str, Any]] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 5
    server: "_Server"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        behaviour = self.server.behaviour
        record: dict[str, Any] = {"path": self.path, "headers": dict(self.headers), "status": 0,
                                  "sent": 0}
        behaviour.log.append(record)
        if self.path.startswith(("/redirect", "/hop/")):
            hops = int(self.path.removeprefix("/hop/")) if self.path.startswith("/hop/") else 0
            self._empty(record, 302, Location=f"/hop/{hops - 1}" if hops else behaviour.redirect)
        elif behaviour.fail:
            self._empty(record, behaviour.fail)
        elif behaviour.etag and self.headers.get("If-None-Match") == behaviour.etag:
            self._empty(record, 304, ETag=behaviour.etag)
        else:
            self._serve(record, behaviour)

    def _empty(self, record: dict[str, Any], status: int, **headers: str) -> None:
        record["status"] = status
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _serve(self, record: dict[str, Any], behaviour: Behaviour) -> None:
        body, start, status = behaviour.body, 0, 200
        wanted = self.headers.get("Range")
        if wanted and self.headers.get("If-Range") in (None, behaviour.etag,
                                                       behaviour.last_modified):
            start, status = int(wanted.removeprefix("bytes=").removesuffix("-")), 206
            if start >= len(body):
                self._empty(record, 416, **{"Content-Range": f"bytes */{len(body)}"})
                return
        payload = body[start:]
        record["status"] = status
        self.send_response(status)
        if behaviour.etag:
            self.send_header("ETag", behaviour.etag)
        if behaviour.last_modified:
            self.send_header("Last-Modified", behaviour.last_modified)
        if status == 206:
            self.send_header("Content-Range", behaviour.content_range
                             or f"bytes {start}-{len(body) - 1}/{len(body)}")
        claimed = behaviour.claim_length or len(payload)
        lie = re.match(r"bytes (\d+)-(\d+)/", behaviour.content_range or "")
        if status == 206 and lie:  # a consistent lie: the length of the range it names
            claimed = int(lie[2]) - int(lie[1]) + 1
        if behaviour.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(claimed))
        self.end_headers()
        limit = min(claimed, len(payload)) if behaviour.cut_after is None else behaviour.cut_after
        try:
            for at in range(0, limit, 64 * 1024):
                piece = payload[at:min(at + 64 * 1024, limit)]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if behaviour.chunked
                                 else piece)
                record["sent"] += len(piece)
                if behaviour.cancel_after and record["sent"] == behaviour.cancel_after[0]:
                    self._cancel_once_written(*behaviour.cancel_after)
            if behaviour.chunked and behaviour.cut_after is None:
                self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:  # the client hung up (ssl.SSLError is an OSError)
            pass
        self.close_connection = True


    def _cancel_once_written(self, size: int, path: Path, cancel: threading.Event) -> None:
        self.wfile.flush()
        give_up = time.monotonic() + 5
        while time.monotonic() < give_up and (not path.exists() or path.stat().st_size < size):
            time.sleep(0.005)
        cancel.set()  # the client is waiting for the next bytes: it stops after them


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins every handler thread
    block_on_close = True

    def __init__(self, context: ssl.SSLContext, behaviour: Behaviour) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        # The handshake happens in the handler's thread, at its first read.
        self.socket = context.wrap_socket(self.socket, server_side=True,
                                          do_handshake_on_connect=False)
        self.behaviour = behaviour

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # refused handshakes and hung-up clients are what several tests are about


@dataclass
class Site:
    """A running HTTPS server and the trust a client needs for it."""

    behaviour: Behaviour
    port: int
    ca_file: str
    other_ca_file: str

    def url(self, path: str = "/bundle") -> str:
        return f"https://127.0.0.1:{self.port}{path}"


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    ca, key, cert = make_tls(folder, name="updates.example")
    other_ca, _, _ = make_tls(folder, name="updates.example", ca_name="Someone else")
    return ca, key, cert, other_ca


@pytest.fixture
def site(tls: tuple[Path, Path, Path, Path]) -> Iterator[Site]:
    ca, key, cert, other_ca = tls
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    behaviour = Behaviour(os.urandom(SIZE))
    server = _Server(context, behaviour)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01},
                              name="test-fetch-server")
    thread.start()
    try:
        yield Site(behaviour, server.server_address[1], str(ca), str(other_ca))
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _fetch(site: Site, spool: Path, url: str = "", **options: Any) -> FetchResult:
    options = {"ca_file": site.ca_file, "max_bytes": 16 * MIB,
               "deadline": time.monotonic() + 30, **options}
    return fetch_bundle(url or site.url(), spool, **options)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_full_download_lands_whole_with_its_description(site: Site, tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    result = _fetch(site, spool)
    assert result == FetchResult("new", spool / "bundle.raucb", SIZE, _sha(site.behaviour.body),
                                 SIZE)
    assert (spool / "bundle.raucb").read_bytes() == site.behaviour.body
    meta = json.loads((spool / "bundle.json").read_text())
    assert {k: meta[k] for k in ("url", "etag", "last_modified", "size", "sha256")} == {
        "url": site.url(), "etag": '"v1"', "last_modified": LAST_MODIFIED, "size": SIZE,
        "sha256": _sha(site.behaviour.body)}
    assert meta["fetched_at"].endswith("+00:00")
    assert sorted(p.name for p in spool.iterdir()) == ["bundle.json", "bundle.raucb"]
    assert spool.stat().st_mode & 0o777 == 0o700


def test_an_unchanged_bundle_is_not_sent_again(site: Site, tmp_path: Path) -> None:
    first = _fetch(site, tmp_path)
    again = _fetch(site, tmp_path)
    assert again == FetchResult("unchanged", tmp_path / "bundle.raucb", SIZE, first.sha256, 0)
    last = site.behaviour.log[-1]
    assert last["headers"]["If-None-Match"] == '"v1"'
    assert last["headers"]["If-Modified-Since"] == LAST_MODIFIED
    assert (last["status"], last["sent"]) == (304, 0)


@pytest.mark.parametrize("etag", ['"v1"', None], ids=["etag", "last-modified"])
def test_a_cut_download_resumes_with_only_the_rest(
        site: Site, tmp_path: Path, etag: str | None) -> None:
    site.behaviour.etag, site.behaviour.cut_after = etag, MIB
    cut = _fetch(site, tmp_path)
    assert cut == FetchResult("partial", None, MIB, "", MIB)
    assert not (tmp_path / "bundle.raucb").exists()
    assert (tmp_path / "bundle.raucb.part").stat().st_size == MIB
    assert json.loads((tmp_path / "bundle.part.json").read_text())["bytes"] == MIB
    site.behaviour.cut_after = None
    done = _fetch(site, tmp_path)
    assert done == FetchResult("new", tmp_path / "bundle.raucb", SIZE, _sha(site.behaviour.body),
                               SIZE - MIB)
    last = site.behaviour.log[-1]
    assert last["headers"]["Range"] == f"bytes={MIB}-"
    assert last["headers"]["If-Range"] == (etag or LAST_MODIFIED)
    assert (last["status"], last["sent"]) == (206, SIZE - MIB)
    assert (tmp_path / "bundle.raucb").read_bytes() == site.behaviour.body
    assert not (tmp_path / "bundle.raucb.part").exists()
    assert not (tmp_path / "bundle.part.json").exists()


def test_a_body_shorter_than_announced_is_kept_then_finished_without_refetching(
        site: Site, tmp_path: Path) -> None:
    site.behaviour.claim_length = SIZE + 1000  # then the server closes: the client cannot know
    assert _fetch(site, tmp_path).outcome == "partial"
    site.behaviour.claim_length = None
    done = _fetch(site, tmp_path)  # the part is whole: the server says 416 "bytes */SIZE"
    assert (done.outcome, done.received, done.sha256) == ("new", 0, _sha(site.behaviour.body))
    assert site.behaviour.log[-1]["status"] == 416


def test_a_changed_bundle_starts_over_instead_of_mixing(site: Site, tmp_path: Path) -> None:
    site.behaviour.cut_after = MIB
    assert _fetch(site, tmp_path).outcome == "partial"
    site.behaviour.body, site.behaviour.etag = os.urandom(SIZE), '"v2"'
    site.behaviour.last_modified, site.behaviour.cut_after = "Thu, 02 Jan 2025 00:00:00 GMT", None
    done = _fetch(site, tmp_path)
    assert (done.outcome, done.received) == ("new", SIZE)
    assert done.sha256 == _sha(site.behaviour.body)
    assert site.behaviour.log[-1]["headers"]["If-Range"] == '"v1"'
    assert site.behaviour.log[-1]["status"] == 200
    assert json.loads((tmp_path / "bundle.json").read_text())["etag"] == '"v2"'


def test_a_weak_etag_alone_is_not_resumed(site: Site, tmp_path: Path) -> None:
    site.behaviour.etag, site.behaviour.last_modified = 'W/"v1"', None
    site.behaviour.cut_after = MIB
    assert _fetch(site, tmp_path).outcome == "partial"
    site.behaviour.cut_after = None
    assert _fetch(site, tmp_path).received == SIZE
    assert "Range" not in site.behaviour.log[-1]["headers"]


@pytest.mark.parametrize("content_range", [
    "garbage", f"bytes 5-{SIZE - 1}/{SIZE}", f"bytes {MIB}-{SIZE - 2}/{SIZE}",
    f"bytes {MIB}-{SIZE - 1}/{SIZE + 1}",
], ids=["garbage", "other-start", "short-end", "other-total"])
def test_a_bad_content_range_starts_over(site: Site, tmp_path: Path, content_range: str) -> None:
    site.behaviour.cut_after = MIB
    assert _fetch(site, tmp_path).outcome == "partial"
    site.behaviour.cut_after, site.behaviour.content_range = None, content_range
    done = _fetch(site, tmp_path)
    assert (done.outcome, done.sha256) == ("new", _sha(site.behaviour.body))
    assert [r["status"] for r in site.behaviour.log[-2:]] == [206, 200]
    assert (tmp_path / "bundle.raucb").read_bytes() == site.behaviour.body


def test_a_content_length_over_the_limit_is_refused_unread(site: Site, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match=f"is {SIZE} bytes, over the limit of {MIB}: refused"):
        _fetch(site, tmp_path, max_bytes=MIB)
    assert list(tmp_path.iterdir()) == []


def test_a_body_growing_over_the_limit_is_stopped_and_dropped(site: Site, tmp_path: Path) -> None:
    site.behaviour.chunked = True  # no length announced
    with pytest.raises(FetchError, match=f"grew over the limit of {MIB} bytes"):
        _fetch(site, tmp_path, max_bytes=MIB)
    assert list(tmp_path.iterdir()) == []


def test_a_chunked_body_is_accepted(site: Site, tmp_path: Path) -> None:
    site.behaviour.chunked = True
    assert _fetch(site, tmp_path).sha256 == _sha(site.behaviour.body)


def test_only_https_addresses_are_fetched(site: Site, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="https://"):
        _fetch(site, tmp_path, url=f"http://127.0.0.1:{site.port}/bundle")
    assert site.behaviour.log == []


def test_a_redirect_to_http_is_refused(site: Site, tmp_path: Path) -> None:
    site.behaviour.redirect = f"http://127.0.0.1:{site.port}/bundle"
    with pytest.raises(FetchError, match=r"127\.0\.0\.1 redirected to an address that is not"):
        _fetch(site, tmp_path, url=site.url("/redirect"))
    assert [r["path"] for r in site.behaviour.log] == ["/redirect"]


def test_a_redirect_to_https_is_followed_without_the_credentials(
        site: Site, tmp_path: Path) -> None:
    site.behaviour.redirect = site.url()
    url = f"https://user:pa%20ss@127.0.0.1:{site.port}/redirect"
    assert _fetch(site, tmp_path, url=url).sha256 == _sha(site.behaviour.body)
    first, second = site.behaviour.log
    assert first["headers"]["Authorization"] == "Basic " + base64.b64encode(b"user:pa ss").decode()
    assert "Authorization" not in second["headers"]


def test_at_most_five_redirects_are_followed(site: Site, tmp_path: Path) -> None:
    site.behaviour.redirect = "/bundle"
    assert _fetch(site, tmp_path, url=site.url("/hop/4")).outcome == "new"
    with pytest.raises(FetchError, match="redirected too many times"):
        _fetch(site, tmp_path / "other", url=site.url("/hop/5"))


@pytest.mark.parametrize("trust", ["other", "system"])
def test_an_untrusted_certificate_is_refused(site: Site, tmp_path: Path, trust: str) -> None:
    ca_file = site.other_ca_file if trust == "other" else ""
    with pytest.raises(FetchError, match=r"TLS with 127\.0\.0\.1 failed: certificate not trusted"):
        _fetch(site, tmp_path, ca_file=ca_file)
    assert site.behaviour.log == []


def test_the_certificate_must_name_the_host(site: Site, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="TLS with localhost failed"):
        _fetch(site, tmp_path, url=f"https://localhost:{site.port}/bundle")


def test_an_unreadable_ca_file_is_said(site: Site, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="cannot use the update CA file"):
        _fetch(site, tmp_path, ca_file=str(tmp_path / "absent.pem"))


def test_a_server_error_names_the_host_and_no_secret(
        site: Site, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    site.behaviour.fail = 500
    url = f"https://user:s3cret@127.0.0.1:{site.port}/bundle?token=s3cret"
    with pytest.raises(FetchError) as caught:
        _fetch(site, tmp_path, url=url)
    assert str(caught.value) == "127.0.0.1 answered HTTP 500 Internal Server Error"
    site.behaviour.fail, site.behaviour.cut_after = None, MIB
    assert _fetch(site, tmp_path, url=url).outcome == "partial"
    assert "127.0.0.1" in caplog.text
    assert "s3cret" not in caplog.text
    assert "token" not in caplog.text


def test_a_passed_deadline_keeps_the_part(site: Site, tmp_path: Path) -> None:
    site.behaviour.cut_after = MIB
    _fetch(site, tmp_path)
    late = _fetch(site, tmp_path, deadline=time.monotonic() - 1)
    assert late == FetchResult("partial", None, MIB, "", 0)
    assert len(site.behaviour.log) == 1
    assert (tmp_path / "bundle.raucb.part").stat().st_size == MIB


def test_cancel_between_chunks_keeps_the_part_for_the_next_call(
        site: Site, tmp_path: Path) -> None:
    cancel = threading.Event()
    site.behaviour.cancel_after = (MIB, tmp_path / "bundle.raucb.part", cancel)
    stopped = _fetch(site, tmp_path, cancel=cancel)
    assert stopped.outcome == "partial"
    assert MIB < stopped.size <= MIB + 256 * 1024
    assert (tmp_path / "bundle.raucb.part").stat().st_size == stopped.size
    site.behaviour.cancel_after = None
    done = _fetch(site, tmp_path, cancel=threading.Event())
    assert (done.outcome, done.received) == ("new", SIZE - stopped.size)
    assert (tmp_path / "bundle.raucb").read_bytes() == site.behaviour.body
