"""``zzz doctor``: checks the setting, then each host, the key and the balance.

The local checks (:func:`check_key`, :func:`check_base_url`, :func:`check_environment`,
:func:`check_messages`) are pure functions: no sockets.  Each finding names which of
the gateways' four usual mistakes it is (智增增's 注意事项, :data:`MISTAKES`) and says
what to do.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from zzz_core.urls import host_of

from ._output import Printer, mask_key

#: The four usual mistakes of the gateway docs (智增增 注意事项 1-4).
MISTAKES: dict[str, str] = {
    "header": "missing Authorization header / API key (注意事项 1)",
    "messages": "messages not an array (注意事项 2)",
    "openai_key": "an OpenAI (or other non-API) key instead of the gateway's API key (注意事项 3)",
    "base_url": "wrong base_url (注意事项 4)",
}
OPENAI_KEY_PREFIXES = ("sk-proj-", "sk-svcacct-", "sk-admin-", "sk-None-")
DOCTOR_TIMEOUT = 10.0
_NO_KEY = "zzz-doctor-no-usable-key"
_STATUS = {"ok": ("ok  ", "green"), "warn": ("WARN", "yellow"), "fail": ("FAIL", "red"),
           "skip": ("skip", None), "info": ("info", None)}  # fmt: skip
_DNS_TEXT = ("name or service not known", "nodename nor servname", "getaddrinfo", "name resolution", "no address")


@dataclass(slots=True)
class Finding:
    status: str
    """``ok``, ``warn``, ``fail``, ``skip`` or ``info``."""
    check: str
    text: str
    advice: str = ""
    mistake: str | None = None
    """A key of :data:`MISTAKES`, when this is one of the four usual mistakes."""


# ----------------------------------------------------------------- pure checks
def check_key(raw: str | None, source: str, preset: Any = None) -> list[Finding]:
    """The key's presence and shape against what ``preset`` (a ``GatewayPreset`` or None) issues."""
    if raw is None or not raw.strip():
        return [Finding("fail", "key", "no API key: neither --api-key nor $ZZZ_API_KEY is set",
                        "export ZZZ_API_KEY=<the key from the gateway's console>; zzz sends it as the header "
                        "'Authorization: Bearer <key>' on every request", "header")]  # fmt: skip
    key = raw.strip()
    if key.lower().startswith("bearer "):
        return [Finding("fail", "key", f"the key from {source} starts with 'Bearer ' (pasted in with the key: "
                        f"{mask_key(key[7:])})", "set the bare key; the 'Bearer ' prefix is added to the "
                        "Authorization header for you", "header")]  # fmt: skip
    desc = f"{mask_key(key)} ({len(key)} chars, from {source})"
    if key[0] in "\"'“‘" or key[-1] in "\"'”’":
        return [Finding("fail", "key", f"{desc} has quotes around it", "set the key without quotes", "header")]
    if any(c.isspace() for c in key) or not key.isascii():
        return [Finding("fail", "key", f"{desc} contains spaces, line breaks or non-ASCII characters (copied from "
                        "a web page or a masked display?)", "copy the key again from the gateway's console",
                        "header")]  # fmt: skip
    from zzz_core.presets import key_shapes, refused_key

    gateway_keys = key_shapes()
    if key.startswith(OPENAI_KEY_PREFIXES) or key.startswith("sk-ant-"):
        vendor = "an Anthropic" if key.startswith("sk-ant-") else "an OpenAI"
        return [Finding("fail", "key", f"{desc} is {vendor} key ({key[:key.index('-', 3) + 1]}…), not the gateway's",
                        f"use the key the gateway issued ({gateway_keys}); a vendor key does not work on a relay, "
                        "and zzz doctor does not send it there", "openai_key")]  # fmt: skip
    refused = refused_key(key, preset)
    if refused is not None:
        return [Finding("fail", "key", f"{desc} is a {refused.kind} key ({refused.prefix}…): such keys {refused.why}",
                        f"{refused.advice} and set it as ZZZ_API_KEY", "openai_key")]  # fmt: skip
    if preset is None or not preset.key_prefixes:
        return [Finding("ok", "key", f"{desc}: present (custom relay: shape not checked)")]
    shapes = "/".join(f"{p}…" for p in preset.key_prefixes)
    if key.startswith(preset.key_prefixes):
        return [Finding("ok", "key", f"{desc}: the shape {preset.name} issues ({shapes})")]
    if key.startswith("sk-"):
        return [Finding("warn", "key", f"{desc} starts with sk- but {preset.name} keys are {shapes}: "
                        "this may be an OpenAI key", f"check it is the key from the {preset.name} console",
                        "openai_key")]  # fmt: skip
    return [Finding("warn", "key", f"{desc}: not the shape {preset.name} issues ({shapes})",
                    f"check it is the key from the {preset.name} console")]  # fmt: skip


def check_base_url(raw: str | None, source: str, preset: Any = None) -> tuple[list[Finding], str | None]:
    """The base_url's shape; returns the findings and the normalized URL (None if unusable)."""
    from zzz_core.config import _check_scheme, normalize_base_url
    from zzz_core.errors import ConfigurationError
    from zzz_core.presets import DEFAULT_GATEWAY, get_preset, wrong_host

    if raw is None or not raw.strip():
        if preset is None:
            return [Finding("fail", "base_url", "no base_url and no preset", "pass --base-url", "base_url")], None
        return [Finding("ok", "base_url", f"{preset.base_url} (the {preset.name} preset's)")], preset.base_url
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            url = normalize_base_url(raw)
        except ConfigurationError as exc:
            return [Finding("fail", "base_url", f"{source}: {exc}", "", "base_url")], None
    fix = f"export ZZZ_BASE_URL={url}"
    other_clients = " (zzz fixes it itself, but the openai SDK, ChatOpenAI and curl get 404)"
    found = [Finding("warn", "base_url", f"{source}: {' '.join(str(w.message).split())}", fix + other_clients,
                     "base_url") for w in caught]  # fmt: skip
    host = host_of(url)
    mistaken = wrong_host(host.split(":")[0])
    if host.split(":")[0] == "api.openai.com":
        example = (preset or get_preset(DEFAULT_GATEWAY)).base_url
        found.append(Finding("fail", "base_url", f"{url} is OpenAI itself, not the relay",
                             f"use the gateway's base_url, e.g. {example}", "base_url"))  # fmt: skip
    elif mistaken is not None:
        meant, wrong = mistaken
        mirrors = f" (mirror {', '.join(meant.mirrors)})" if meant.mirrors else ""
        found.append(Finding("warn", "base_url", f"{url} is {wrong.what}",
                             f"API keys use {meant.base_url}{mirrors}", "base_url"))  # fmt: skip
    try:
        _check_scheme(url, False)
    except ConfigurationError as exc:
        found.append(Finding("fail", "base_url", str(exc), "use https://", "base_url"))
    if not found:
        found.append(Finding("ok", "base_url", f"{url} (from {source})"))
    return found, url


def check_environment(environ: Mapping[str, str], key_flag: bool = False, url_flag: bool = False) -> list[Finding]:
    """OpenAI's variables set where zzz's are not (the OPENAI_API_BASE vs OPENAI_API_BASE_URL confusion)."""
    found = []
    url_set = url_flag or bool(environ.get("ZZZ_BASE_URL"))
    for name in ("OPENAI_API_BASE_URL", "OPENAI_API_BASE", "OPENAI_BASE_URL"):
        value = environ.get(name)
        if not value:
            continue
        nobody = (" Note that no client reads OPENAI_API_BASE_URL (the 智增增 README names it by mistake): the "
                  "openai SDK reads OPENAI_BASE_URL, old openai/LangChain versions OPENAI_API_BASE.")  # fmt: skip
        nobody = nobody if name == "OPENAI_API_BASE_URL" else ""
        if not url_set:
            found.append(Finding("warn", "environment", f"${name} is set ({value}) but zzz reads $ZZZ_BASE_URL, "
                                 "which is not set, so zzz uses the preset's base_url." + nobody,
                                 f"export ZZZ_BASE_URL={value}", "base_url"))  # fmt: skip
        elif nobody:
            found.append(Finding("info", "environment", f"$OPENAI_API_BASE_URL is set ({value})." + nobody))
    openai_key = environ.get("OPENAI_API_KEY")
    if openai_key and not key_flag and not environ.get("ZZZ_API_KEY"):
        if openai_key.strip().startswith(OPENAI_KEY_PREFIXES):
            found.append(Finding("warn", "environment", f"$OPENAI_API_KEY is set ({mask_key(openai_key)}, an OpenAI "
                                 "key) but zzz reads $ZZZ_API_KEY, which is not set",
                                 "export ZZZ_API_KEY=<the key from the gateway's console>; an OpenAI key does not "
                                 "work on the relay", "openai_key"))  # fmt: skip
        else:
            found.append(Finding("warn", "environment", f"$OPENAI_API_KEY is set ({mask_key(openai_key)}) but zzz "
                                 "reads $ZZZ_API_KEY, which is not set",
                                 'if it holds the gateway\'s key: export ZZZ_API_KEY="$OPENAI_API_KEY"',
                                 "header"))  # fmt: skip
    if not found:
        found.append(Finding("ok", "environment", "no OPENAI_* variables that could be mistaken for ZZZ_* ones"))
    return found


def check_messages() -> Finding:
    """zzz_core refuses ``messages`` that are not a list before anything is sent (verified here)."""
    from zzz_core.errors import InvalidInputError
    from zzz_core.params import build_chat_request

    try:
        build_chat_request("any-model", "hello")
    except InvalidInputError:
        return Finding("info", "messages", "zzz_core checks that messages is an array of {role, content} objects "
                       "before sending (InvalidInputError), so this mistake never reaches the gateway from zzz, "
                       "ChatZZZ or ZZZ", 'in raw HTTP (curl), send "messages": [{"role": "user", "content": "…"}]',
                       "messages")  # fmt: skip
    return Finding("fail", "messages", "zzz_core accepted messages that are not a list", "report this bug")


# ------------------------------------------------------------- network checks
@dataclass(slots=True)
class Probe:
    label: str
    host: str
    ms: float
    models: int | None = None
    error: Any = None


def probe(config: Any, base_url: str, label: str) -> Probe:
    """One authenticated ``GET /v1/models`` on ``base_url`` alone: no retry, no failover."""
    from zzz_core.errors import ZZZError
    from zzz_core.gateway import Gateway

    host = host_of(base_url)
    with Gateway(config.model_copy(update={"base_url": base_url, "mirrors": (), "max_retries": 0})) as gw:
        gw.transport.sync_client  # noqa: B018 - build the client first, so only the request is timed
        start = time.perf_counter()
        try:
            n = len(gw.models())
            return Probe(label, host, (time.perf_counter() - start) * 1000, models=n)
        except ZZZError as exc:
            return Probe(label, host, (time.perf_counter() - start) * 1000, error=exc)


def describe(exc: Any) -> str:
    """An error without its generic advice (doctor gives its own)."""
    text = " ".join(str(exc).split())
    advice = getattr(exc, "advice", "")
    return f"{type(exc).__name__}: {text.replace(' ' + advice, '') if advice else text}"


def probe_findings(probes: list[Probe], key_usable: bool) -> list[Finding]:
    from zzz_core import errors as E

    found: list[Finding] = []
    reachable = [p for p in probes if not isinstance(p.error, E.GatewayConnectionError)]
    for p in probes:
        check, when = f"{p.label} {p.host}", f"({p.ms:.0f} ms)"
        err = p.error
        if err is None:
            found.append(Finding("ok", check, f"reachable, GET /v1/models listed {p.models} models {when}"))
        elif isinstance(err, E.GatewayConnectionError):
            others = [r.host for r in reachable]
            dns = any(t in str(err).lower() for t in _DNS_TEXT)
            status = "warn" if others else "fail"
            advice = (f"calls fail over to {', '.join(others)}" if others else
                      "check the network, a proxy, and the base_url's host")  # fmt: skip
            if dns:
                advice = "the host name does not resolve: check the base_url's host (and DNS); " + advice
            found.append(Finding(status, check, f"unreachable {when}: {describe(err)}", advice,
                                 "base_url" if dns else None))  # fmt: skip
        elif isinstance(err, (E.AuthenticationError, E.PermissionDeniedError)) and not key_usable:
            text = f"reachable (HTTP {err.status_code} to a request without a usable key) {when}"
            found.append(Finding("ok", check, text))
        elif isinstance(err, (E.AuthenticationError, E.PermissionDeniedError, E.InsufficientBalanceError)):
            found.append(Finding("ok", check, f"reachable (HTTP {err.status_code}) {when}"))
        elif isinstance(err, E.RateLimitError):
            found.append(Finding("warn", check, f"reachable, but rate-limited {when}: {describe(err)}",
                                 "wait a minute, or lower concurrency"))  # fmt: skip
        elif err.status_code == 404 or not (isinstance(err, E.GatewayStatusError) and err.status_code >= 500):
            found.append(Finding("fail", check, f"answered, but not as an OpenAI-compatible /v1 API {when}: "
                                 f"{describe(err)}", "check the base_url's path: it should end in /v1",
                                 "base_url"))  # fmt: skip
        else:
            found.append(Finding("fail", check, f"the gateway failed {when}: {describe(err)}",
                                 "retry later; if it persists, tell the gateway's support"))  # fmt: skip
    return found


def key_finding(probes: list[Probe], key_usable: bool) -> Finding:
    from zzz_core import errors as E

    if not key_usable:
        return Finding("skip", "key accepted", "not checked: the key was not sent (see the key check above)")
    for p in probes:
        if p.error is None or isinstance(p.error, E.InsufficientBalanceError):
            return Finding("ok", "key accepted", f"by {p.host}")
    for p in probes:
        if isinstance(p.error, (E.AuthenticationError, E.PermissionDeniedError)):
            hint = "openai_key" if "openai" in str(p.error).lower() else None
            return Finding("fail", "key accepted", f"no: {p.host} answered {describe(p.error)}",
                           "set ZZZ_API_KEY to an API key from this gateway's console", hint)  # fmt: skip
    return Finding("skip", "key accepted", "not checked: no host answered /v1/models")


def balance_finding(config: Any) -> Finding:
    from zzz_core import errors as E
    from zzz_core.gateway import Gateway

    try:
        with Gateway(config.model_copy(update={"max_retries": 0})) as gw:
            bal = gw.balance()
    except E.InsufficientBalanceError as exc:
        return Finding("fail", "balance", describe(exc), "top up in the gateway console")
    except E.ZZZError as exc:
        return Finding("warn", "balance", f"could not be read: {describe(exc)}",
                       "this relay may not offer a balance route; check it in the gateway's console")  # fmt: skip
    currency = f" {bal.currency}" if bal.currency else ""
    if bal.unlimited:
        return Finding("ok", "balance", "unlimited")
    if bal.remaining <= 0:
        return Finding("fail", "balance", f"{bal.remaining:.4f}{currency}: used up", "top up in the gateway console")
    return Finding("ok", "balance", f"{bal.remaining:.4f}{currency} remaining")


# ----------------------------------------------------------------------- run
def diagnose(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> tuple[list[Finding], str]:
    """Every finding, and a one-line description of what was checked."""
    from zzz_core.config import ZZZConfig
    from zzz_core.errors import ConfigurationError
    from zzz_core.presets import DEFAULT_GATEWAY, GatewayPreset, get_preset, preset_for_url

    env = os.environ if environ is None else environ
    raw_key, key_source = (args.api_key, "--api-key") if args.api_key else (env.get("ZZZ_API_KEY"), "$ZZZ_API_KEY")
    raw_url, url_source = (args.base_url, "--base-url") if args.base_url else (env.get("ZZZ_BASE_URL"), "$ZZZ_BASE_URL")
    gateway = args.gateway or env.get("ZZZ_GATEWAY") or None
    preset: GatewayPreset | None  # None: a base URL no preset serves
    try:
        if gateway:
            preset = get_preset(gateway)
        else:
            preset = preset_for_url(raw_url) if raw_url else get_preset(DEFAULT_GATEWAY)
    except ConfigurationError as exc:
        return [Finding("fail", "gateway", str(exc))], "no gateway"
    findings = check_key(raw_key, key_source, preset)
    key_usable = all(f.status != "fail" for f in findings)
    url_findings, _ = check_base_url(raw_url, url_source, preset)
    findings += url_findings + check_environment(env, bool(args.api_key), bool(args.base_url))
    timeout = args.timeout if args.timeout is not None else DOCTOR_TIMEOUT
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the base_url check above reported them
            config = ZZZConfig.resolve(api_key=raw_key if key_usable else _NO_KEY, base_url=raw_url,
                                       gateway=gateway, timeout=timeout, max_retries=0)  # fmt: skip
    except ConfigurationError as exc:
        findings.append(Finding("fail", "configuration", str(exc)))
        return findings + [check_messages()], f"gateway {preset.name if preset else 'custom'}"
    what = f"gateway {config.gateway} ({config.dialect}) at {config.base_url}" + (
        f", mirrors {', '.join(config.mirrors)}" if config.mirrors else ", no mirror"
    )
    probes = [probe(config, url, "primary" if i == 0 else "mirror") for i, url in enumerate(config.hosts)]
    findings += probe_findings(probes, key_usable)
    accepted = key_finding(probes, key_usable)
    findings.append(accepted)
    if accepted.status == "ok":
        findings.append(balance_finding(config))
    else:
        findings.append(Finding("skip", "balance", "not checked (needs an accepted key)"))
    findings.append(check_messages())
    return findings, what


def cmd_doctor(args: argparse.Namespace, printer: Printer) -> int:
    log = logging.getLogger("zzz_core")
    level = log.level
    if not args.debug:
        log.setLevel(logging.ERROR)  # failover notices would interleave with the report
    try:
        findings, what = diagnose(args)
    finally:
        log.setLevel(level)
    failed = [f for f in findings if f.status == "fail"]
    warned = [f for f in findings if f.status == "warn"]
    mistakes = list(dict.fromkeys(f.mistake for f in findings if f.mistake and f.status in ("fail", "warn")))
    code = 1 if failed or (args.strict and warned) else 0
    if args.json:
        out = {"ok": code == 0, "checked": what, "findings": [dataclasses.asdict(f) for f in findings],
               "mistakes": [MISTAKES[m] for m in mistakes]}  # fmt: skip
        printer.line(json.dumps(out, ensure_ascii=False, indent=2))
        return code
    printer.line(f"zzz doctor: {what}")
    for f in findings:
        label, colour = _STATUS[f.status]
        printer.write(label, colour=colour)
        printer.line(f"  {f.check}: {f.text}")
        if f.advice and f.status in ("fail", "warn", "info"):
            printer.line(f"      → {f.advice}")
    if mistakes:
        printer.line("The gateways' usual mistakes found: " + "; ".join(MISTAKES[m] for m in mistakes))
    if code == 0:
        printer.line("All checks passed" + (f" ({len(warned)} warning{'s' * (len(warned) != 1)})" if warned else "."))
    else:
        printer.line(f"{len(failed)} check{'s' * (len(failed) != 1)} failed"
                     + (f", {len(warned)} warning{'s' * (len(warned) != 1)}" if warned else "") + ".")  # fmt: skip
    return code
