"""Gateway presets: everything the package knows about one gateway, registered in one place.

A preset names a gateway's hosts (the primary and its mirrors, which ``zzz doctor`` probes
too), its error dialect, how its balance is read (:data:`BALANCE_APIS`), the key shapes it
issues, the keys it refuses and the hosts people mistake for it.  ``ZZZConfig(gateway="4z")``
picks one; the skins and the ``zzz`` command accept every registered name and alias; a custom
``base_url`` works for any other OpenAI-compatible relay (dialect ``"generic"``).

Adding a gateway is one call, plus its test::

    register_preset(GatewayPreset(name="example", label="Example", base_url="https://api.example.com/v1",
                                  dialect="newapi", balance_api="subscription", key_prefixes=("sk-",)))

No other module names a gateway: they read this registry (docs/architecture.md, "How to extend").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .decode import balance_from_credit_grants, balance_from_subscription
from .types import Balance
from .urls import host_of

__all__ = [
    "BALANCE_APIS",
    "CUSTOM_RELAY_BALANCE_APIS",
    "DEFAULT_GATEWAY",
    "DIALECTS",
    "PRESETS",
    "BalanceApi",
    "GatewayPreset",
    "RefusedKey",
    "WrongHost",
    "balance_apis_for",
    "get_preset",
    "key_shapes",
    "preset_for_url",
    "preset_names",
    "presets",
    "refused_key",
    "register_preset",
    "unregister_preset",
    "wrong_host",
]

DIALECTS = ("zhizengzeng", "newapi", "generic")
"""Error dialects: 智增增's ``{"code", "msg"}`` envelope, new-api/one-api, or anything else."""


@dataclass(frozen=True, slots=True)
class BalanceApi:
    """How one family of gateways reports the balance: the requests, and how to read the answers."""

    name: str
    requests: tuple[tuple[str, str], ...]
    """``(method, path)`` under the base URL, sent in order; a ``POST`` sends ``{}``."""
    decode: Callable[..., Balance]
    """``decode(*answers, gateway)``: the JSON answers, in request order, -> :class:`~zzz_core.types.Balance`."""


BALANCE_APIS: dict[str, BalanceApi] = {
    api.name: api
    for api in (
        BalanceApi("credit_grants", (("POST", "/dashboard/billing/credit_grants"),), balance_from_credit_grants),
        BalanceApi(
            "subscription",
            (("GET", "/dashboard/billing/subscription"), ("GET", "/dashboard/billing/usage")),
            balance_from_subscription,
        ),
    )
}
CUSTOM_RELAY_BALANCE_APIS = ("subscription", "credit_grants")
"""What a relay without a preset is asked, in order: new-api's routes (most relays run it), then 智增增's."""


@dataclass(frozen=True, slots=True)
class RefusedKey:
    """A key shape that can never work from code on a gateway; refused before anything is sent."""

    prefix: str
    kind: str
    """What such a key is, e.g. ``"智增增 personal-plan"``."""
    why: str
    """Why it cannot work, completing "<kind> keys (<prefix>…) ..."."""
    advice: str
    """What to do instead, e.g. ``"create an API key (zk-…/sk-zk…) in the 智增增 console"``."""

    @property
    def message(self) -> str:
        """The ``ConfigurationError`` text."""
        return f"{self.kind} keys ({self.prefix}…) {self.why}. {self.advice[:1].upper()}{self.advice[1:]}."


@dataclass(frozen=True, slots=True)
class WrongHost:
    """A host people use by mistake for this gateway's API (``zzz doctor`` warns about it)."""

    host: str
    what: str
    """What the host is, e.g. ``"智增增's personal-plan (plug-in) host"``."""


@dataclass(frozen=True, slots=True)
class GatewayPreset:
    """One gateway, as data.  Register it with :func:`register_preset`."""

    name: str
    base_url: str
    mirrors: tuple[str, ...] = ()
    dialect: str = "generic"
    """One of :data:`DIALECTS`: ``"zhizengzeng"`` (``code``/``msg`` envelope), ``"newapi"``, ``"generic"``."""
    balance_api: str | None = None
    """A key of :data:`BALANCE_APIS` (``"credit_grants"``, ``"subscription"``), ``None`` if unknown."""
    key_prefixes: tuple[str, ...] = ()
    """Key shapes this gateway issues, for hints; never used to refuse a key."""
    refused_keys: tuple[RefusedKey, ...] = ()
    """Key shapes that can never work from code on this gateway: refused with their message."""
    aliases: tuple[str, ...] = ()
    label: str = ""
    """The name people know it by, for messages (``"智增增"``); default :attr:`name`."""
    wrong_hosts: tuple[WrongHost, ...] = ()
    rerank_max_documents: int | None = None
    """Documents one ``/v1/rerank`` request may carry on this gateway (``None``: no known limit);
    ``Gateway.rerank`` sends longer lists in batches.  The model's profile may set a smaller one."""

    @property
    def display_name(self) -> str:
        return self.label or self.name

    @property
    def refused_key_prefixes(self) -> tuple[tuple[str, str], ...]:
        """``(prefix, message)`` pairs of :attr:`refused_keys` (the shape of earlier versions)."""
        return tuple((r.prefix, r.message) for r in self.refused_keys)


PRESETS: dict[str, GatewayPreset] = {}
"""Every registered name and alias -> its preset (lower-case names; aliases as written)."""


def register_preset(preset: GatewayPreset, *, replace: bool = False) -> GatewayPreset:
    """Add a gateway: its name and aliases are accepted everywhere from now on.

    Args:
        preset: The gateway's facts.
        replace: Allow taking over names another preset holds (else that is an error).

    Returns:
        ``preset``, so the call can be used as an expression.

    Raises:
        ValueError: a name already taken, an unknown dialect or balance API.
    """
    if preset.dialect not in DIALECTS:
        raise ValueError(f"preset {preset.name!r}: dialect must be one of {DIALECTS}, not {preset.dialect!r}")
    if preset.balance_api is not None and preset.balance_api not in BALANCE_APIS:
        raise ValueError(
            f"preset {preset.name!r}: balance_api must be one of {sorted(BALANCE_APIS)} or None, "
            f"not {preset.balance_api!r}"
        )
    names = [_key(n) for n in (preset.name, *preset.aliases)]
    taken = [n for n in names if n in PRESETS and PRESETS[n].name != preset.name]
    if taken and not replace:
        raise ValueError(f"preset {preset.name!r}: {', '.join(taken)} already name another preset (pass replace=True)")
    unregister_preset(preset.name)
    for n in names:
        PRESETS[n] = preset
    return preset


def unregister_preset(name: str) -> GatewayPreset | None:
    """Remove a preset (by name or alias) with all its names; returns it, or None if unknown."""
    preset = PRESETS.get(_key(name))
    if preset is not None:
        for n in [n for n, p in PRESETS.items() if p is preset]:
            del PRESETS[n]
    return preset


def presets() -> list[GatewayPreset]:
    """Every registered preset once, in registration order."""
    return list({id(p): p for p in PRESETS.values()}.values())


def preset_names(*, aliases: bool = False) -> list[str]:
    """The names ``gateway=`` accepts: each preset's name (and, with ``aliases``, its aliases)."""
    return [n for p in presets() for n in ((p.name, *p.aliases) if aliases else (p.name,))]


def key_shapes() -> str:
    """What each gateway's keys look like, for messages: ``"智增增: zk-… or sk-zk…; 4Z-API: sk-…"``."""
    shapes: dict[str, str] = {}
    for p in presets():
        if p.key_prefixes:
            shapes.setdefault(p.display_name, " or ".join(f"{prefix}…" for prefix in p.key_prefixes))
    return "; ".join(f"{label}: {shape}" for label, shape in shapes.items())


def refused_key(key: str, preset: GatewayPreset | None = None) -> RefusedKey | None:
    """The refused shape ``key`` has: ``preset``'s own first, then any other gateway's."""
    ordered = ([preset] if preset is not None else []) + presets()
    return next((r for p in ordered for r in p.refused_keys if key.startswith(r.prefix)), None)


def wrong_host(host: str) -> tuple[GatewayPreset, WrongHost] | None:
    """The gateway ``host`` is mistakenly used for, if any (``host`` without port, any case)."""
    host = host.lower()
    return next(((p, w) for p in presets() for w in p.wrong_hosts if w.host == host), None)


def balance_apis_for(balance_api: str | None) -> tuple[BalanceApi, ...]:
    """The balance APIs to try, in order: the preset's, or for a custom relay every known one."""
    if balance_api is not None:
        return (BALANCE_APIS[balance_api],)
    return tuple(BALANCE_APIS[name] for name in CUSTOM_RELAY_BALANCE_APIS)


DEFAULT_GATEWAY = "zhizengzeng"


def get_preset(name: str) -> GatewayPreset:
    """Look a preset up by name or alias (case-insensitive).

    Raises:
        ConfigurationError: no preset has that name; the message lists the names.
    """
    from ._local_errors import ConfigurationError

    preset = PRESETS.get(_key(name)) or PRESETS.get(name.strip())
    if preset is None:
        names = ", ".join(sorted(preset_names()))
        raise ConfigurationError(
            f"unknown gateway {name!r}; choose one of: {names}, or pass base_url= for any other relay"
        )
    return preset


def preset_for_url(base_url: str) -> GatewayPreset | None:
    """The preset whose primary or mirror host is ``base_url``'s host, if any."""
    host = host_of(base_url)
    for preset in presets():
        if host in {host_of(u) for u in (preset.base_url, *preset.mirrors)}:
            return preset
    return None


def _key(name: str) -> str:
    return name.strip().lower()


# ------------------------------------------------------------------ the built-in gateways
_ZP = RefusedKey(
    prefix="zp-",
    kind="智增增 personal-plan",
    why="only work in 智增增's chat plug-ins, not from code (no API access, no concurrency)",
    advice="create an API key (zk-…/sk-zk…) in the 智增增 console",
)

register_preset(
    GatewayPreset(
        name="zhizengzeng",
        label="智增增",
        base_url="https://api.zhizengzeng.com/v1",
        mirrors=("https://flag.smarttrot.com/v1",),
        dialect="zhizengzeng",
        balance_api="credit_grants",
        key_prefixes=("zk-", "sk-zk"),
        refused_keys=(_ZP,),
        aliases=("zzz", "智增增"),
        wrong_hosts=(WrongHost("plugin.smarttrot.com", "智增增's personal-plan (plug-in) host"),),
    )
)
register_preset(
    GatewayPreset(
        name="4z",
        label="4Z-API",
        base_url="https://zzzzapi.com/v1",
        dialect="newapi",
        balance_api="subscription",
        key_prefixes=("sk-",),
        aliases=("zzzzapi", "4z-api"),
    )
)
register_preset(
    GatewayPreset(
        name="ztoken",
        base_url="https://api.ztoken.pro/v1",
        dialect="zhizengzeng",
        balance_api="credit_grants",
        key_prefixes=("zk-", "sk-zk", "sk-"),
        refused_keys=(_ZP,),
        aliases=("ztoken-pro",),
    )
)
