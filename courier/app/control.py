"""The daemon's local control socket: `courier sync-internet` asks the store's one owner.

One JSON object a line. Request: {"command": "sync-internet", "gateways": {address: "host:port"},
"ca_pem": str | null, "reply_wait": float | null, "timeout": float | null, "dns": "host:port" |
null}. Answers: {"progress": {...}} lines while the sync runs, then {"report": [...]} or
{"error": "..."}. The socket is <data dir>/control.sock, mode 0600 (the daemon's user; root).
"""

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

LOG = logging.getLogger(__name__)
SOCKET_NAME = "control.sock"
MAX_REQUEST = 1024 * 1024  # a CA bundle fits; anything bigger is not ours
Emit = Callable[[dict[str, Any]], None]
Handler = Callable[[dict[str, Any], Emit], Awaitable[dict[str, Any]]]


def socket_path(data_dir: Path) -> Path:
    """Return where the daemon listens."""
    return Path(data_dir) / SOCKET_NAME


async def serve(path: Path, handler: Handler, umask: int = 0o177) -> asyncio.Server:
    """Listen on `path` (replacing a stale socket) and answer each request with `handler`."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def emit(message: dict[str, Any]) -> None:
            if not writer.is_closing():
                writer.write(json.dumps(message).encode() + b"\n")
        try:
            line = await reader.readline()
            request = _object(json.loads(line))
            emit(await handler(request, emit))
            await writer.drain()
        except (ValueError, TypeError, UnicodeDecodeError) as error:
            with contextlib.suppress(OSError, ConnectionError):
                emit({"error": f"malformed request: {type(error).__name__}"})
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the caller went away; the work it asked for carries on
        finally:
            writer.close()
            with contextlib.suppress(OSError, ConnectionError):
                await writer.wait_closed()

    old_umask = os.umask(umask | 0o007)  # never world-connectable, not even for an instant
    try:
        server = await asyncio.start_unix_server(client, path=str(path), limit=MAX_REQUEST)
    finally:
        os.umask(old_umask)
    return server


def _object(value: object) -> dict[str, Any]:
    """Return a decoded request, which must be a JSON object."""
    if not isinstance(value, dict):
        raise TypeError("not an object")
    return value


async def ask(path: Path, request: dict[str, Any],
              on_progress: Callable[[dict[str, Any]], None]) -> dict[str, Any] | None:
    """Send a request to the daemon and return its final answer; None if no daemon listens."""
    try:
        reader, writer = await asyncio.open_unix_connection(str(path), limit=MAX_REQUEST)
    except (FileNotFoundError, ConnectionRefusedError):
        return None
    try:
        writer.write(json.dumps(request).encode() + b"\n")
        await writer.drain()
        while line := await reader.readline():
            message = json.loads(line)
            if "progress" in message:
                on_progress(message["progress"])
            else:
                return dict(message)
        return {"error": "the daemon closed the connection without an answer"}
    finally:
        writer.close()
        with contextlib.suppress(OSError, ConnectionError):
            await writer.wait_closed()
