"""HTTPS plumbing of bundle downloads: addresses, TLS trust, redirects, failures in words.

Messages name only the host: an address's query string or user:password may hold a token.
"""

import base64
import http
import http.client
import re
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import Message
from typing import IO, Any

MAX_REDIRECTS = 5
_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")
_UNSATISFIED = re.compile(r"bytes \*/(\d+)")


class FetchError(Exception):
    """A bundle download failed; the message is one log line naming only the host."""


@dataclass(frozen=True)
class Target:
    """An https:// address without its credentials, and what to call it in messages."""

    url: str
    host: str
    authorization: str  # "Basic ..." from the address's user:password, or ""


@dataclass(frozen=True)
class Answer:
    """A server's answer: status, headers and, for 200 and 206, the body still to read."""

    status: int
    headers: Message
    body: http.client.HTTPResponse | None


def host_of(url: str) -> str:
    """Return the host of an address (never its credentials, path or query), or 'the server'."""
    try:
        return urllib.parse.urlsplit(url).hostname or "the server"
    except ValueError:
        return "the server"


def https_target(url: str) -> Target:
    """Return the download target of an https:// address; refuse any other address."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        raise FetchError("the update address is not a valid https:// address") from None
    host = parts.hostname or ""
    if parts.scheme != "https" or not host:
        raise FetchError("the update address does not start with https://host, refused")
    if not url.isascii() or any(c <= " " or c == "\x7f" for c in url):
        raise FetchError(f"the update address for {host} has spaces or non-ASCII characters")
    netloc = f"[{host}]" if ":" in host else host
    netloc += "" if port is None else f":{port}"
    clean = urllib.parse.urlunsplit(("https", netloc, parts.path or "/", parts.query, ""))
    authorization = ""
    if parts.username is not None:
        unquote = urllib.parse.unquote
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        authorization = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
    return Target(clean, host, authorization)


class _HttpsOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow at most MAX_REDIRECTS redirects, and only to https:// without credentials."""

    max_redirections = MAX_REDIRECTS

    def redirect_request(  # noqa: PLR0917 - urllib's signature
            self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
            headers: Message, newurl: str) -> urllib.request.Request | None:
        """Refuse a redirect off HTTPS (urllib would follow one to http://)."""
        parts = urllib.parse.urlsplit(newurl)
        if parts.scheme != "https" or not parts.hostname or parts.username is not None:
            fp.close()
            raise FetchError(f"{host_of(req.full_url)} redirected to an address that is not "
                             "https://host, refused")
        # The Authorization header is added unredirected: it never follows a redirect.
        return super().redirect_request(req, fp, code, msg, headers, newurl)  # type: ignore[arg-type]


def https_opener(ca_file: str) -> urllib.request.OpenerDirector:
    """Return an opener verifying TLS and hostnames against ca_file, or the system's CAs."""
    try:
        context = ssl.create_default_context(cafile=ca_file or None)
    except OSError as error:  # ssl.SSLError too: a file without PEM certificates
        why = error.strerror or "no PEM certificates in it"
        raise FetchError(f"cannot use the update CA file {ca_file}: {why}") from None
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    # No proxies from the environment: the download goes where the configuration says.
    return urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                       urllib.request.HTTPSHandler(context=context),
                                       _HttpsOnlyRedirects())


def open_https(opener: urllib.request.OpenerDirector, request: urllib.request.Request,
               timeout: float, host: str) -> Answer:
    """Send the request; return its answer, 304 and 416 included, or raise FetchError."""
    try:
        response = opener.open(request, timeout=timeout)
    except urllib.error.HTTPError as error:
        headers = error.headers
        error.close()
        if error.code in (304, 416):
            return Answer(error.code, headers, None)
        if 300 <= error.code < 400:
            raise FetchError(f"{host} redirected too many times or to an address refused") \
                from None
        raise FetchError(f"{host_of(error.filename or '')} answered HTTP {error.code}"
                         f"{_phrase(error.code)}") from None
    except urllib.error.URLError as error:
        raise FetchError(failure_words(host, error.reason)) from None
    except (OSError, http.client.HTTPException) as error:
        raise FetchError(failure_words(host, error)) from None
    if not isinstance(response, http.client.HTTPResponse):
        response.close()
        raise FetchError(f"{host} did not answer in HTTP")
    return Answer(response.status, response.headers, response)


def _phrase(code: int) -> str:
    try:
        return f" {http.HTTPStatus(code).phrase}"
    except ValueError:
        return ""


def failure_words(host: str, reason: object) -> str:
    """Say why a connection failed, in words for a log line (no address beyond the host)."""
    if isinstance(reason, ssl.SSLCertVerificationError):
        return f"TLS with {host} failed: certificate not trusted ({reason.verify_message})"
    if isinstance(reason, ssl.SSLError):
        return f"TLS with {host} failed ({reason.reason or 'handshake'})"
    if isinstance(reason, socket.gaierror):
        return f"cannot find {host} in DNS"
    if isinstance(reason, ConnectionRefusedError):
        return f"{host} refused the connection"
    if isinstance(reason, TimeoutError):
        return f"{host} did not answer in time"
    if isinstance(reason, OSError):
        return f"cannot reach {host}: {reason.strerror or type(reason).__name__}"
    if isinstance(reason, http.client.HTTPException):
        return f"{host} gave a broken HTTP answer ({type(reason).__name__})"
    return f"cannot reach {host}"


def bundle_request(target: Target, have: dict[str, Any] | None,
                   part: dict[str, Any] | None) -> urllib.request.Request:
    """Return the GET: conditional on the bundle held, a range after the part kept."""
    request = urllib.request.Request(target.url, headers={  # noqa: S310 - https only
        "Accept-Encoding": "identity", "User-Agent": "awala-courier-update"})
    if target.authorization:
        request.add_unredirected_header("Authorization", target.authorization)
    if have is not None and have.get("etag"):
        request.add_header("If-None-Match", str(have["etag"]))
    if have is not None and have.get("last_modified"):
        request.add_header("If-Modified-Since", str(have["last_modified"]))
    if part is not None:
        request.add_header("Range", f"bytes={part['bytes']}-")
        request.add_header("If-Range", strong_validator(part))
    return request


def strong_validator(part: dict[str, Any]) -> str:
    """Return the part's ETag unless weak, else its Last-Modified, else ''."""
    etag = str(part.get("etag", ""))
    return etag if etag and not etag.startswith("W/") else str(part.get("last_modified", ""))


def continuation(answer: Answer, part: dict[str, Any]) -> int | None:
    """Return the length of a 206 body that continues the part exactly to the end, else None."""
    match = _RANGE.fullmatch(answer.headers.get("Content-Range", "").strip())
    if match is None or answer.body is None:
        return None
    start, end = int(match[1]), int(match[2])
    total = end + 1 if match[3] == "*" else int(match[3])
    etag, length = answer.headers.get("ETag"), answer.body.length
    if start != part["bytes"] or end < start or end + 1 != total \
            or (length is not None and length != end - start + 1) \
            or (etag and part.get("etag") and etag != part["etag"]):
        return None
    return end - start + 1


def unsatisfied_total(answer: Answer) -> int | None:
    """Return the total length a 416 answer gives ("bytes */N"), or None."""
    match = _UNSATISFIED.fullmatch(answer.headers.get("Content-Range", "").strip())
    return int(match[1]) if match else None
