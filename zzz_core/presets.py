"""Gateway presets, as data.

A preset names a gateway's hosts, its error dialect, how its balance is read
and what its keys look like.  ``ZZZConfig(gateway="4z")`` picks one; a custom
``base_url`` works for any other OpenAI-compatible relay (dialect ``"generic"``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .urls import host_of


__all__ = ["DEFAULT_GATEWAY", "PRESETS", "GatewayPreset", "get_preset", "preset_for_url"]


@dataclass(frozen=True, slots=True)
class GatewayPreset:
    name: str
    base_url: str
    mirrors: tuple[str, ...] = ()
    dialect: str = "generic"
    """``"zhizengzeng"`` (``code``/``msg`` envelope), ``"newapi"`` (new-api/one-api), or ``"generic"``."""
    balance_api: str | None = None
    """``"credit_grants"`` (智增增) or ``"subscription"`` (new-api), ``None`` if unknown."""
    key_prefixes: tuple[str, ...] = ()
    """Key shapes this gateway issues, for hints; never used to refuse a key."""
    refused_key_prefixes: tuple[tuple[str, str], ...] = ()
    """(prefix, why) pairs for keys that can never work from code on this gateway."""
    aliases: tuple[str, ...] = ()
    docs: str = ""
    rerank_max_documents: int | None = None
    """Documents one ``/v1/rerank`` request may carry on this gateway (``None``: no known limit);
    ``Gateway.rerank`` sends longer lists in batches.  The model's profile may set a smaller one."""


_ZP_WHY = (
    "智增增 personal-plan keys (zp-…) only work in its chat plug-ins, not from code "
    "(no API access, no concurrency). Create an API key (zk-…/sk-zk…) in the 智增增 console."
)

PRESETS: dict[str, GatewayPreset] = {}


def _register(preset: GatewayPreset) -> None:
    for name in (preset.name, *preset.aliases):
        PRESETS[name] = preset


_register(
    GatewayPreset(
        name="zhizengzeng",
        base_url="https://api.zhizengzeng.com/v1",
        mirrors=("https://flag.smarttrot.com/v1",),
        dialect="zhizengzeng",
        balance_api="credit_grants",
        key_prefixes=("zk-", "sk-zk"),
        refused_key_prefixes=(("zp-", _ZP_WHY),),
        aliases=("zzz", "智增增"),
        docs="https://github.com/xing61/zzz-api",
    )
)
_register(
    GatewayPreset(
        name="4z",
        base_url="https://zzzzapi.com/v1",
        dialect="newapi",
        balance_api="subscription",
        key_prefixes=("sk-",),
        aliases=("zzzzapi", "4z-api"),
        docs="https://zzzzapi.com",
    )
)
_register(
    GatewayPreset(
        name="ztoken",
        base_url="https://api.ztoken.pro/v1",
        dialect="zhizengzeng",
        balance_api="credit_grants",
        key_prefixes=("zk-", "sk-zk", "sk-"),
        refused_key_prefixes=(("zp-", _ZP_WHY),),
        aliases=("ztoken-pro",),
        docs="http://doc.ztoken.pro",
    )
)

DEFAULT_GATEWAY = "zhizengzeng"


def get_preset(name: str) -> GatewayPreset:
    """Look a preset up by name or alias (case-insensitive).

    Raises:
        ConfigurationError: no preset has that name; the message lists the names.
    """
    from ._local_errors import ConfigurationError

    preset = PRESETS.get(name.strip().lower()) or PRESETS.get(name.strip())
    if preset is None:
        names = ", ".join(sorted({p.name for p in PRESETS.values()}))
        raise ConfigurationError(
            f"unknown gateway {name!r}; choose one of: {names}, or pass base_url= for any other relay"
        )
    return preset


def preset_for_url(base_url: str) -> GatewayPreset | None:
    """The preset whose primary or mirror host is ``base_url``'s host, if any."""
    host = host_of(base_url)
    for preset in PRESETS.values():
        if host in {host_of(u) for u in (preset.base_url, *preset.mirrors)}:
            return preset
    return None

