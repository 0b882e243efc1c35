"""A minimal HTTP/1.1 keep-alive client over asyncio streams, the bench's load generator.

The server under test and the client share this machine's cores, so the client must cost little: httpx spent
~4 ms of CPU per request (measured), as much as the server spends on a small page, which the server's figures
then lost. Here each request is bytes built once (`Request.raw`), written as is, and the answer is read by its
Content-Length (or chunked transfer coding); nothing else is parsed. Only what the bench needs: one host, no TLS,
no redirects, no cookies."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def raw(self, host: str) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}", *(f"{k}: {v}" for k, v in self.headers)]
        if self.body or self.method not in ("GET", "HEAD"):
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


def json_request(path: str, document: Any) -> Request:
    body = json.dumps(document, separators=(",", ":")).encode("utf-8")
    return Request("POST", path, (("Content-Type", "application/json"),), body)


@dataclass
class Response:
    status_code: int
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names; a repeated header keeps its last value
    content: bytes = b""

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.content)


class ProtocolError(Exception):
    """The server's answer was not HTTP/1.1 as this client reads it."""


class Connection:
    """One keep-alive connection; requests on it go one after the other."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str) -> None:
        self._reader, self._writer, self.host = reader, writer, host

    @classmethod
    async def open(cls, base_url: str) -> Connection:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or parts.hostname is None:
            raise ValueError(f"only plain http://host:port is supported, not {base_url!r}")
        port = parts.port or 80
        reader, writer = await asyncio.open_connection(parts.hostname, port, limit=2**24)
        return cls(reader, writer, f"{parts.hostname}:{port}")

    async def send(self, raw: bytes) -> Response:
        self._writer.write(raw)
        head = await self._reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head[:-4].decode("latin-1").split("\r\n")
        try:
            status = int(status_line.split(" ", 2)[1])
        except (IndexError, ValueError) as exc:
            raise ProtocolError(f"not an HTTP status line: {status_line[:80]!r}") from exc
        headers: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            content = await self._reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            content = await self._chunked()
        elif status in (204, 304) or 100 <= status < 200:
            content = b""
        else:
            raise ProtocolError("a response without Content-Length or chunked coding cannot be kept alive")
        return Response(status, headers, content)

    async def _chunked(self) -> bytes:
        chunks = []
        while True:
            size = int((await self._reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
            if size == 0:
                await self._reader.readuntil(b"\r\n")  # the end of the (empty) trailer
                return b"".join(chunks)
            chunks.append(await self._reader.readexactly(size))
            await self._reader.readexactly(2)

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(ConnectionError):
            await self._writer.wait_closed()
