"""Deterministic, meaningful embedding vectors (feature hashing, no model).

Features: lowercased word tokens (stopwords dropped), character trigrams of those
words, and for Chinese each character and each bigram.  Each feature is hashed (CRC-32,
stable across processes) to a signed position of the vector, which is then
L2-normalised.  Texts sharing words get a high cosine similarity, unrelated texts a
value near zero.
"""

from __future__ import annotations

import base64
import json
import math
import re
import struct
import zlib
from functools import lru_cache

from .answers import STOPWORDS

__all__ = ["cosine", "coverage", "embed", "encode_base64", "default_dimensions", "mangled_answer"]

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN_RE = re.compile(rf"[{_CJK}]+|[^\W_]+", re.UNICODE)
_CJK_RUN = re.compile(rf"[{_CJK}]+")


def default_dimensions(model: str) -> int:
    """3072 for ``*3-large*`` models, else 1536 (OpenAI's sizes)."""
    return 3072 if "3-large" in model else 1536


def _features(text: str) -> list[tuple[str, float]]:
    feats: list[tuple[str, float]] = []
    for token in _TOKEN_RE.findall(text.lower()):
        if _CJK_RUN.fullmatch(token):
            for i, ch in enumerate(token):
                if ch not in STOPWORDS:
                    feats.append(("c:" + ch, 0.6))
                if i + 1 < len(token):
                    feats.append(("b:" + token[i : i + 2], 1.0))
            continue
        if token in STOPWORDS:
            continue
        feats.append(("w:" + token, 1.0))
        padded = f"<{token}>"
        for i in range(len(padded) - 2):
            feats.append(("t:" + padded[i : i + 3], 0.35))
    if not feats:
        feats.append(("raw:" + text, 1.0))
    return feats


@lru_cache(maxsize=4096)
def _embed_cached(text: str, dimensions: int) -> tuple[float, ...]:
    vec = [0.0] * dimensions
    for feat, weight in _features(text):
        h = zlib.crc32(feat.encode("utf-8"))
        vec[h % dimensions] += weight if (h >> 31) & 1 else -weight
    norm = math.sqrt(sum(v * v for v in vec)) or 1.0
    return tuple(round(v / norm, 8) for v in vec)


@lru_cache(maxsize=4096)
def _hashed_weights(text: str, dimensions: int) -> dict[int, float]:
    weights: dict[int, float] = {}
    for feat, weight in _features(text):
        slot = zlib.crc32(feat.encode("utf-8")) % dimensions
        weights[slot] = weights.get(slot, 0.0) + weight
    return weights


def coverage(query: str, text: str, dimensions: int = 1536) -> float:
    """How much of ``query``'s hashed feature weight ``text`` also has, in [0, 1].

    Unlike :func:`cosine`, it is not diluted by what else ``text`` says: a long passage
    that contains the query's terms covers them fully.  The simulator's rerank scores
    pairs with it, the way a cross-encoder reads the query against the whole passage.
    """
    q = _hashed_weights(query, dimensions)
    d = _hashed_weights(text, dimensions)
    total = sum(q.values())
    return sum(min(w, d.get(slot, 0.0)) for slot, w in q.items()) / total if total else 0.0


def embed(text: str, dimensions: int = 1536) -> list[float]:
    """The unit vector of ``text`` in ``dimensions`` dimensions."""
    if dimensions < 1:
        raise ValueError("dimensions must be positive")
    return list(_embed_cached(text, dimensions))


def encode_base64(vector: list[float]) -> str:
    """OpenAI's ``encoding_format="base64"``: little-endian float32, base64."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")


def cosine(a: list[float], b: list[float]) -> float:
    """Cosine similarity of two vectors."""
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0


def mangled_answer(raw: bytes, style: str) -> bytes:
    """An embeddings answer spoiled as ``zzz_testing.faults.MANGLED_STYLES`` describes
    (``Fault.mangled_embeddings``): ``short``, ``nan`` or ``empty``."""
    obj = json.loads(raw)
    data = obj.get("data") or []
    if style == "short":
        del data[-1:]
    elif style == "empty":
        data.clear()
    elif data:  # "nan"
        vector = data[0]["embedding"]
        if isinstance(vector, list):
            vector[0] = float("nan")  # json.dumps writes NaN, which is not JSON
        else:  # base64 asked: a string that is not base64
            data[0]["embedding"] = "not*base64"
    return json.dumps(obj).encode()
