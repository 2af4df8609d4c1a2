"""Resumable HTTPS download of system-update bundles over a slow, flaky uplink (docs/updates.md).

In the spool: bundle.raucb is only ever a complete download, described by bundle.json (url, etag,
last_modified, size, sha256, fetched_at); bundle.json is removed before a new bundle is renamed
into place and written after it, so bundle.json present means bundle.raucb is what it says. A
download in progress is bundle.raucb.part with bundle.part.json (url, validators, bytes made
durable so far); a later call resumes it with Range and If-Range.
"""

import hashlib
import http.client
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from courier.atomic import fsync_dir, write_atomically
from courier.clock import system_now
from courier.update import fetch_http as web
from courier.update.fetch_http import FetchError

__all__ = ["FetchError", "FetchResult", "fetch_bundle"]

logger = logging.getLogger(__name__)

BUNDLE, META = "bundle.raucb", "bundle.json"
PART, PART_META = "bundle.raucb.part", "bundle.part.json"
CHUNK = 256 * 1024
CHECKPOINT = 8 * 1024 * 1024  # the part is fsynced and its length recorded this often


@dataclass(frozen=True)
class FetchResult:
    """What one call did: a new or unchanged complete bundle, or a partial download kept."""

    outcome: str  # "new" | "unchanged" | "partial"
    path: Path | None  # bundle.raucb when new or unchanged
    size: int  # of the bundle, or of the part so far
    sha256: str  # "" when partial
    received: int  # body bytes received in this call


def fetch_bundle(url: str, spool: Path, *, ca_file: str = "", max_bytes: int, deadline: float,
                 cancel: threading.Event | None = None, read_timeout: float = 20.0) -> FetchResult:
    """Bring spool/bundle.raucb up to date with `url` (blocking; deadline is time.monotonic())."""
    target = web.https_target(url)
    download = _Download(url, target, spool, max_bytes=max_bytes, deadline=deadline,
                         cancel=cancel, read_timeout=read_timeout)
    try:
        spool.mkdir(mode=0o700, parents=True, exist_ok=True)
        result = download.run(ca_file)
    except OSError as error:
        raise FetchError(f"cannot keep the bundle in {spool}: "
                         f"{error.strerror or type(error).__name__}") from None
    logger.info("update bundle from %s: %s, %d bytes, %d received in this call", target.host,
                result.outcome, result.size, result.received)
    return result


class _Download:
    """One call: the spool's state, the requests, the body into the part."""

    def __init__(self, url: str, target: web.Target, spool: Path, *, max_bytes: int,
                 deadline: float, cancel: threading.Event | None, read_timeout: float) -> None:
        self.url, self.target, self.spool, self.max_bytes = url, target, spool, max_bytes
        self.deadline, self.cancel, self.read_timeout = deadline, cancel, read_timeout
        self.part, self.part_meta = spool / PART, spool / PART_META
        self.received = 0

    def stopped(self) -> bool:
        """Tell whether the deadline has passed or the caller cancelled."""
        return time.monotonic() >= self.deadline or bool(self.cancel and self.cancel.is_set())

    def run(self, ca_file: str) -> FetchResult:
        """Ask conditionally, resume when possible, start over at most once."""
        host = self.target.host
        have = _read_json(self.spool / META, self.url)
        if have and (_size(self.spool / BUNDLE) != have.get("size")
                     or not isinstance(have.get("sha256"), str)):
            have = None  # not the bundle it describes: ask for the whole bundle
        part = _resumable(self.part, _read_json(self.part_meta, self.url))
        if self.stopped():
            return self.partial(part["bytes"] if part else 0)
        opener = web.https_opener(ca_file)
        for _ in range(2):  # a resume the server will not continue starts over, once
            timeout = max(0.1, min(self.read_timeout, self.deadline - time.monotonic()))
            request = web.bundle_request(self.target, have, part)
            answer = web.open_https(opener, request, timeout, host)
            body, length = answer.body, None
            if answer.status == 304 and have is not None:
                _remove(self.part, self.part_meta)  # of a version no longer offered
                return FetchResult("unchanged", self.spool / BUNDLE, int(have["size"]),
                                   str(have["sha256"]), self.received)
            if answer.status == 416 and part and web.unsatisfied_total(answer) == part["bytes"]:
                return self.finish(part)  # the part was already whole
            if answer.status == 206 and part is not None:
                length = web.continuation(answer, part)
            elif answer.status == 200 and body is not None:
                if body.length is None and not body.chunked:
                    body.close()
                    raise FetchError(f"{host} sent the bundle without a length, refused")
                part = {"url": self.url, "etag": answer.headers.get("ETag", ""),
                        "last_modified": answer.headers.get("Last-Modified", ""), "bytes": 0}
                return self.receive(body, part, body.length)
            elif answer.status not in (206, 416):
                _close(body)
                raise FetchError(f"{host} answered HTTP {answer.status}, not the bundle")
            if body is not None and part is not None and length is not None:
                return self.receive(body, part, length)
            _close(body)  # a resume refused or garbled: start over with the whole bundle
            logger.info("update bundle from %s: resume refused, starting over", host)
            _remove(self.part, self.part_meta)
            part = None
            if self.stopped():
                return self.partial(0)
        raise FetchError(f"{host} would not continue the download nor send it whole")

    def receive(self, body: http.client.HTTPResponse, part: dict[str, Any],
                length: int | None) -> FetchResult:
        """Write the body after the part's bytes: complete, or kept for the next call."""
        offset, got, ended = int(part["bytes"]), 0, False
        with body:
            if length is not None and offset + length > self.max_bytes:
                _remove(self.part, self.part_meta)
                raise FetchError(f"the bundle from {self.target.host} is {offset + length} "
                                 f"bytes, over the limit of {self.max_bytes}: refused")
            if offset == 0:
                _save_part_meta(self.part_meta, part, 0)
            fd = os.open(self.part, os.O_WRONLY | os.O_CREAT, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.truncate(offset)
                out.seek(offset)
                while not self.stopped() and (length is None or got < length):
                    try:
                        chunk = body.read1(CHUNK)
                    except (OSError, http.client.HTTPException):
                        break  # the connection was cut: what arrived is kept
                    if not chunk:
                        ended = length is None  # with a known length, an early end is a cut
                        break
                    if offset + got + len(chunk) > self.max_bytes:
                        out.close()
                        _remove(self.part, self.part_meta)
                        raise FetchError(f"the bundle from {self.target.host} grew over the "
                                         f"limit of {self.max_bytes} bytes: download stopped")
                    out.write(chunk)
                    got += len(chunk)
                    self.received += len(chunk)
                    if (offset + got) // CHECKPOINT != (offset + got - len(chunk)) // CHECKPOINT:
                        _sync(out)
                        _save_part_meta(self.part_meta, part, offset + got)
                _sync(out)
        _save_part_meta(self.part_meta, part, offset + got)
        if ended or got == length:
            return self.finish(part)
        return self.partial(offset + got)

    def partial(self, size: int) -> FetchResult:
        """Return the outcome of a call that keeps its part for the next one."""
        return FetchResult("partial", None, size, "", self.received)

    def finish(self, part: dict[str, Any]) -> FetchResult:
        """Make the whole part the bundle, durably, then describe it in bundle.json."""
        digest = hashlib.sha256()
        with self.part.open("rb") as whole:
            while block := whole.read(1024 * 1024):
                digest.update(block)
            os.fsync(whole.fileno())
            size = whole.tell()
        (self.spool / META).unlink(missing_ok=True)
        os.replace(self.part, self.spool / BUNDLE)
        fsync_dir(self.spool)
        meta = {"url": self.url, "etag": part.get("etag", ""),
                "last_modified": part.get("last_modified", ""), "size": size,
                "sha256": digest.hexdigest(), "fetched_at": system_now().isoformat()}
        write_atomically(self.spool / META, json.dumps(meta, indent=1).encode())
        _remove(self.part_meta)
        return FetchResult("new", self.spool / BUNDLE, size, digest.hexdigest(), self.received)


def _resumable(path: Path, part: dict[str, Any] | None) -> dict[str, Any] | None:
    """Return a resumable part's description, its file cut back to the bytes made durable."""
    if not part or not web.strong_validator(part) or not isinstance(part.get("bytes"), int):
        return None
    offset = min(part["bytes"], _size(path) or 0)
    if offset <= 0:
        return None
    if _size(path) != offset:
        os.truncate(path, offset)
    return {**part, "bytes": offset}


def _read_json(path: Path, url: str) -> dict[str, Any] | None:
    """Return a spool description made for `url`, or None."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("url") == url else None


def _save_part_meta(path: Path, part: dict[str, Any], durable: int) -> None:
    part["bytes"] = durable
    write_atomically(path, json.dumps(part).encode())


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return None


def _sync(out: IO[bytes]) -> None:
    out.flush()
    os.fsync(out.fileno())


def _close(body: http.client.HTTPResponse | None) -> None:
    if body is not None:
        body.close()


def _remove(*paths: Path) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
