"""Helpers shared by the LangChain skin's integration tests (a uniquely named module, so
test files can import it; ``conftest`` is not importable by name across directories)."""

from __future__ import annotations

import base64
import struct
import types
import zlib
from typing import Any

from zzz_testing import GatewaySimulator

KEY = "sk-zk-SECRET-lc-e2e-9e1d7c3b5a"


def _png(width: int = 2, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\x20\x80\xe0" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


PNG = _png()
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
PNG_B64 = base64.b64encode(PNG).decode()


def fake_get(url: str, **_: Any) -> Any:
    """Stand-in for ``httpx.get`` in langchain-tests: the files it would download."""
    return types.SimpleNamespace(content=PDF if url.endswith(".pdf") else PNG, status_code=200)


def sim_params(sim: GatewaySimulator, **extra: Any) -> dict[str, Any]:
    """Constructor arguments pointing a langchain_zzz class at ``sim``."""
    return {"api_key": KEY, "base_url": sim.base_url, "mirrors": [], **extra}
