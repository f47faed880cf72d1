"""The ``zzz`` command without sockets: parsing, help, error lines, masking, doctor's pure checks."""

from __future__ import annotations

import io
from typing import Any

import pytest

from zzz_cli import _commands as C
from zzz_cli import _doctor as D
from zzz_cli import build_parser, format_error, main, mask_key
from zzz_cli._output import Printer
from zzz_core import errors as E
from zzz_core.gateway import Gateway
from zzz_core.presets import get_preset

pytestmark = pytest.mark.disable_socket


KEY = "sk-zkABCDEF0123456789abcdef0123456789abcdef012345"
ZZZ = get_preset("zhizengzeng")
FOUR_Z = get_preset("4z")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("ZZZ_API_KEY", "ZZZ_BASE_URL", "ZZZ_GATEWAY", "ZZZ_MIRRORS", "ZZZ_MODEL", "OPENAI_API_KEY",
                "OPENAI_API_BASE", "OPENAI_API_BASE_URL", "OPENAI_BASE_URL"):  # fmt: skip
        monkeypatch.delenv(var, raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------ parsing
def test_global_options_before_or_after_the_command() -> None:
    parser = build_parser()
    a = parser.parse_args(["--gateway", "4z", "--timeout", "5", "models", "--json"])
    b = parser.parse_args(["models", "--gateway", "4z", "--timeout", "5", "--json"])
    for ns in (a, b):
        assert (ns.command, ns.gateway, ns.timeout, ns.json, ns.debug) == ("models", "4z", 5.0, True, False)
        assert ns.api_key is None and ns.base_url is None


def test_option_before_the_command_survives_the_subcommand() -> None:
    ns = build_parser().parse_args(["--base-url", "https://x.example/v1", "--debug", "balance"])
    assert ns.base_url == "https://x.example/v1" and ns.debug is True


def test_chat_options() -> None:
    ns = build_parser().parse_args(["chat", "hi there", "-m", "deepseek-reasoner", "--system", "be brief",
                                    "--reasoning-effort", "high", "--no-stream", "--max-tokens", "64"])  # fmt: skip
    assert (ns.question, ns.model, ns.system, ns.reasoning_effort, ns.no_stream, ns.max_tokens) == (
        "hi there", "deepseek-reasoner", "be brief", "high", True, 64)


def test_chat_model_defaults_to_env(monkeypatch: pytest.MonkeyPatch) -> None:
    assert build_parser().parse_args(["chat", "q"]).model == "gpt-4o-mini"
    monkeypatch.setenv("ZZZ_MODEL", "qwen-max")
    assert build_parser().parse_args(["chat", "q"]).model == "qwen-max"


def test_simulator_options() -> None:
    ns = build_parser().parse_args(["simulator", "--port", "0", "--dialect", "newapi"])
    assert (ns.port, ns.dialect, ns.host) == (0, "newapi", "127.0.0.1")
    assert build_parser().parse_args(["simulator"]).port == 8000


@pytest.mark.parametrize("argv", [["chat", "q", "--reasoning-effort", "huge"], ["models", "--bogus"],
                                  ["--timeout", "-1", "models"], ["frobnicate"]])  # fmt: skip
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and "usage: zzz" in err and "Traceback" not in err


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys)
    assert code == 2 and "commands" in err and "doctor" in err


# --------------------------------------------------------------------- help
def test_top_level_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for word in ("models", "balance", "chat", "doctor", "simulator", "--gateway", "--base-url", "--api-key",
                 "--timeout", "--debug", "ZZZ_API_KEY", "ZZZ_BASE_URL"):  # fmt: skip
        assert word in out
    flat = " ".join(out.split())
    assert "shell history" in flat and "export ZZZ_API_KEY" in flat


@pytest.mark.parametrize("command,words", [
    ("models", ["--json", "context window", "reasoning"]),
    ("balance", ["--json"]),
    ("chat", ["--model", "--system", "--reasoning-effort", "--no-stream", "stderr"]),
    ("doctor", ["--json", "--strict", "base_url", "mirror", "exit status"]),
    ("simulator", ["--port", "--dialect", "passed through"]),
])  # fmt: skip
def test_each_command_has_help(capsys: pytest.CaptureFixture[str], command: str, words: list[str]) -> None:
    code, out, _ = run(capsys, command, "--help")
    assert code == 0 and out.startswith(f"usage: zzz {command}")
    flat = " ".join(out.split())
    for word in words:
        assert word in flat, word
    if command != "simulator":
        assert "shell history" in flat


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("zzz ")


# ----------------------------------------------------------- error formatting
def _balance_error() -> E.InsufficientBalanceError:
    return E.InsufficientBalanceError(
        "Insufficient balance from gw.example (HTTP 200, code 1001): 余额不足.\nTop up in the console.",
        status_code=200, url="https://gw.example/v1/models", method="GET", code=1001, msg="余额不足",
    )  # fmt: skip


def test_format_error_is_one_line_with_the_class() -> None:
    line = format_error(_balance_error())
    assert line.startswith("zzz: InsufficientBalanceError: Insufficient balance")
    assert "\n" not in line and "(HTTP 200, code 1001): 余额不足" in line
    assert format_error(RuntimeError()) == "zzz: RuntimeError"


class _FailingGateway:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc
        self.closed = False

    def models(self) -> Any:
        raise self.exc

    balance = models

    def close(self) -> None:
        self.closed = True

    # The real Gateway's context manager, so the CLI's `with` closes this double as it would a Gateway.
    __enter__ = Gateway.__enter__
    __exit__ = Gateway.__exit__


@pytest.fixture
def failing(monkeypatch: pytest.MonkeyPatch) -> Any:
    def install(exc: BaseException) -> _FailingGateway:
        gw = _FailingGateway(exc)
        monkeypatch.setattr(C, "open_gateway", lambda args, printer, **kw: gw)
        return gw

    return install


@pytest.mark.parametrize("command", ["models", "balance"])
def test_gateway_error_is_one_line_and_exit_1(capsys: pytest.CaptureFixture[str], failing: Any, command: str) -> None:
    gw = failing(_balance_error())
    code, out, err = run(capsys, command)
    assert code == 1 and out == "" and gw.closed
    assert err.count("\n") == 1 and err.startswith("zzz: InsufficientBalanceError: ")
    assert "Traceback" not in err


def test_debug_adds_the_traceback(capsys: pytest.CaptureFixture[str], failing: Any) -> None:
    failing(_balance_error())
    code, _, err = run(capsys, "--debug", "models")
    assert code == 1 and "Traceback (most recent call last)" in err
    assert err.rstrip().splitlines()[-1].startswith("zzz: InsufficientBalanceError: ")


def test_unexpected_error_suggests_debug(capsys: pytest.CaptureFixture[str], failing: Any) -> None:
    failing(RuntimeError("boom"))
    code, _, err = run(capsys, "models")
    assert code == 1 and err.strip() == "zzz: RuntimeError: boom (unexpected: run again with --debug for the traceback)"


def test_interrupt_exits_130(capsys: pytest.CaptureFixture[str], failing: Any) -> None:
    failing(KeyboardInterrupt())
    code, _, err = run(capsys, "balance")
    assert code == 130 and err.strip() == "zzz: interrupted"


def test_missing_key_is_one_line_before_any_request(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "models")
    assert code == 1 and out == ""
    assert err.startswith("zzz: ConfigurationError: no API key") and err.count("\n") == 1


def test_unknown_gateway(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--gateway", "nope", "--api-key", KEY, "balance")
    assert code == 1 and err.startswith("zzz: ConfigurationError: unknown gateway 'nope'")
    assert KEY not in err


def test_personal_key_refused_before_sending(capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("ZZZ_API_KEY", "zp-0123456789abcdefghij")
    code, _, err = run(capsys, "models")
    assert code == 1 and "ConfigurationError" in err and "zp-" in err and "zp-0123456789abcdefghij" not in err


def test_empty_question_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--api-key", KEY, "chat", "   ")
    assert code == 2 and "the question is empty" in err


# ------------------------------------------------------------------ masking
def test_mask_key() -> None:
    assert mask_key(KEY) == "sk-zk…2345"
    assert mask_key("sk-test") == "***"
    assert mask_key("sk-test-1234") == "sk-…"
    assert mask_key(None) == mask_key("") == "(none)"
    for key in (KEY, "sk-test-1234", "abcdefghijklmnopqrstu"):
        assert key not in mask_key(key) and len(mask_key(key)) <= 10


def test_printer_redacts_known_secrets() -> None:
    out, err = io.StringIO(), io.StringIO()
    p = Printer(out, err, [KEY, None, ""])
    p.line(f"url https://x/{KEY}/v1")
    p.err(f"bad {KEY}")
    assert KEY not in out.getvalue() + err.getvalue()
    assert "sk-zk…2345" in out.getvalue() and "\x1b[" not in out.getvalue()


# ------------------------------------------------------- doctor: pure checks
def _one(findings: list[D.Finding]) -> D.Finding:
    assert len(findings) == 1, findings
    return findings[0]


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_key_missing_is_the_missing_header_mistake(raw: str | None) -> None:
    f = _one(D.check_key(raw, "$ZZZ_API_KEY", ZZZ))
    assert (f.status, f.mistake) == ("fail", "header") and "ZZZ_API_KEY" in f.advice


def test_key_with_bearer_prefix() -> None:
    f = _one(D.check_key("Bearer " + KEY, "$ZZZ_API_KEY", ZZZ))
    assert (f.status, f.mistake) == ("fail", "header") and "Bearer" in f.text and KEY not in f.text


@pytest.mark.parametrize("raw", [f'"{KEY}"', f"'{KEY}'", KEY[:20] + " " + KEY[20:], KEY + "…"])
def test_key_with_quotes_spaces_or_non_ascii(raw: str) -> None:
    f = _one(D.check_key(raw, "--api-key", ZZZ))
    assert f.status == "fail" and KEY not in f.text


@pytest.mark.parametrize("raw", ["sk-proj-" + "a" * 40, "sk-svcacct-" + "b" * 40, "sk-ant-api03-" + "c" * 40])
@pytest.mark.parametrize("preset", [ZZZ, FOUR_Z, None])
def test_vendor_keys_fail_as_the_openai_key_mistake(raw: str, preset: Any) -> None:
    f = _one(D.check_key(raw, "$ZZZ_API_KEY", preset))
    assert (f.status, f.mistake) == ("fail", "openai_key") and raw not in f.text and "not the gateway's" in f.text


@pytest.mark.parametrize("preset", [ZZZ, FOUR_Z, None])
def test_personal_zp_key_fails(preset: Any) -> None:
    f = _one(D.check_key("zp-0123456789abcdefghij", "$ZZZ_API_KEY", preset))
    assert f.status == "fail" and "personal-plan" in f.text and "not from code" in f.text
    assert "zp-0123456789abcdefghij" not in f.text


@pytest.mark.parametrize("raw,preset,status", [
    (KEY, ZZZ, "ok"), ("zk-" + "a" * 40, ZZZ, "ok"), ("sk-" + "a" * 48, FOUR_Z, "ok"),
    ("sk-" + "a" * 48, ZZZ, "warn"), ("xyz-" + "a" * 30, ZZZ, "warn"), ("anything-goes-123", None, "ok"),
])  # fmt: skip
def test_key_shapes_against_the_preset(raw: str, preset: Any, status: str) -> None:
    f = _one(D.check_key(raw, "$ZZZ_API_KEY", preset))
    assert f.status == status and raw not in f.text and mask_key(raw) in f.text
    if raw.startswith("sk-a") and preset is ZZZ:
        assert f.mistake == "openai_key"


def test_base_url_default_is_the_presets() -> None:
    findings, url = D.check_base_url(None, "$ZZZ_BASE_URL", ZZZ)
    assert url == ZZZ.base_url and _one(findings).status == "ok"


def test_base_url_good() -> None:
    findings, url = D.check_base_url("https://zzzzapi.com/v1/", "--base-url", FOUR_Z)
    assert url == "https://zzzzapi.com/v1" and _one(findings).status == "ok"


@pytest.mark.parametrize("raw,fixed,word", [
    ("https://zzzzapi.com", "https://zzzzapi.com/v1", "/v1"),
    ("https://api.zhizengzeng.com/v1/chat/completions", "https://api.zhizengzeng.com/v1", "/chat/completions"),
])  # fmt: skip
def test_base_url_fixable_mistakes_warn(raw: str, fixed: str, word: str) -> None:
    findings, url = D.check_base_url(raw, "$ZZZ_BASE_URL", None)
    f = _one(findings)
    assert url == fixed and (f.status, f.mistake) == ("warn", "base_url")
    assert word in f.text and f"ZZZ_BASE_URL={fixed}" in f.advice


@pytest.mark.parametrize("raw,word", [
    ("https://api.openai.com/v1", "OpenAI itself"),
    ("api.zhizengzeng.com/v1", "http(s) URL"),
    ("http://relay.example.com/v1", "clear text"),
])  # fmt: skip
def test_base_url_failures(raw: str, word: str) -> None:
    findings, _ = D.check_base_url(raw, "--base-url", ZZZ)
    assert any(f.status == "fail" and f.mistake == "base_url" and word in f.text for f in findings), findings


def test_base_url_personal_plan_host_and_loopback_http() -> None:
    findings, _ = D.check_base_url("https://plugin.smarttrot.com/v1", "--base-url", ZZZ)
    assert _one(findings).status == "warn"
    findings, _ = D.check_base_url("http://127.0.0.1:8000/v1", "--base-url", None)
    assert _one(findings).status == "ok"


def test_environment_openai_api_base_url_confusion() -> None:
    env = {"OPENAI_API_BASE_URL": "https://api.zhizengzeng.com/v1"}
    f = _one(D.check_environment(env))
    assert (f.status, f.mistake) == ("warn", "base_url")
    assert "ZZZ_BASE_URL" in f.text and "OPENAI_BASE_URL" in f.text and "OPENAI_API_BASE" in f.text
    assert f.advice == "export ZZZ_BASE_URL=https://api.zhizengzeng.com/v1"
    # With ZZZ_BASE_URL (or --base-url) set, it is only a note.
    assert _one(D.check_environment({**env, "ZZZ_BASE_URL": "https://x/v1"})).status == "info"
    assert _one(D.check_environment(env, url_flag=True)).status == "info"


def test_environment_openai_api_base() -> None:
    f = _one(D.check_environment({"OPENAI_API_BASE": "https://flag.smarttrot.com/v1"}))
    assert f.status == "warn" and "$OPENAI_API_BASE is set" in f.text
    assert _one(D.check_environment({"OPENAI_API_BASE": "x", "ZZZ_BASE_URL": "y"})).status == "ok"


def test_environment_openai_key_without_zzz_key() -> None:
    openai_key = "sk-proj-" + "z" * 40
    f = _one(D.check_environment({"OPENAI_API_KEY": openai_key}))
    assert (f.status, f.mistake) == ("warn", "openai_key") and openai_key not in f.text
    f = _one(D.check_environment({"OPENAI_API_KEY": KEY}))
    assert (f.status, f.mistake) == ("warn", "header") and KEY not in f.text + f.advice
    assert _one(D.check_environment({"OPENAI_API_KEY": KEY, "ZZZ_API_KEY": KEY})).status == "ok"
    assert _one(D.check_environment({"OPENAI_API_KEY": KEY}, key_flag=True)).status == "ok"
    assert _one(D.check_environment({})).status == "ok"


def test_messages_finding_explains_the_local_check() -> None:
    f = D.check_messages()
    assert (f.status, f.mistake) == ("info", "messages") and "before sending" in f.text and "array" in f.text


def _conn_error(host: str) -> E.GatewayConnectionError:
    return E.GatewayConnectionError(f"Could not reach {host} (ConnectError: refused).", url=f"http://{host}/v1/models",
                                    method="GET", host=host)  # fmt: skip


def _status_error(cls: type[E.GatewayStatusError], status: int, msg: str) -> E.GatewayStatusError:
    return cls(f"{cls.__name__} (HTTP {status}): {msg}. {cls.advice}", status_code=status,
               url="http://h/v1/models", method="GET", msg=msg)  # fmt: skip


def test_probe_findings_reachability() -> None:
    probes = [D.Probe("primary", "a:1", 12.0, error=_conn_error("a:1")), D.Probe("mirror", "b:2", 3.0, models=17)]
    primary, mirror = D.probe_findings(probes, key_usable=True)
    assert primary.status == "warn" and "fail over to b:2" in primary.advice and "(12 ms)" in primary.text
    assert mirror.status == "ok" and "17 models" in mirror.text
    assert D.key_finding(probes, True).status == "ok"
    (only,) = D.probe_findings(probes[:1], key_usable=True)
    assert only.status == "fail" and "unreachable" in only.text
    assert D.key_finding(probes[:1], True).status == "skip"


def test_probe_findings_rejected_key_and_wrong_path() -> None:
    auth = _status_error(E.AuthenticationError, 401, "无效的令牌")
    probes = [D.Probe("primary", "a:1", 5.0, error=auth)]
    assert D.probe_findings(probes, key_usable=True)[0].status == "ok"  # reachable: it answered
    key = D.key_finding(probes, key_usable=True)
    assert key.status == "fail" and "无效的令牌" in key.text and auth.advice not in key.text
    assert D.key_finding(probes, key_usable=False).status == "skip"
    not_found = _status_error(E.InvalidRequestError, 404, "Invalid URL (GET /api/v1/models)")
    (f,) = D.probe_findings([D.Probe("primary", "a:1", 5.0, error=not_found)], key_usable=True)
    assert (f.status, f.mistake) == ("fail", "base_url")
    server = _status_error(E.GatewayServerError, 502, "bad gateway")
    (f,) = D.probe_findings([D.Probe("primary", "a:1", 5.0, error=server)], key_usable=True)
    assert f.status == "fail" and f.mistake is None


# --------------------------------------------------------------- formatting
def test_models_table_marks_unknown_profiles() -> None:
    from zzz_core.types import ModelInfo

    rows = [C.model_row(ModelInfo(id="deepseek-reasoner", owned_by="deepseek")),
            C.model_row(ModelInfo(id="my-private-model", owned_by=None)),
            C.model_row(ModelInfo(id="claude-sonnet-4-5", owned_by="anthropic"))]  # fmt: skip
    assert rows[0]["reasoning"] is True and rows[0]["context_window"] == 128000 and rows[0]["profile_known"]
    lines = C.format_models_table(rows)
    assert lines[0].split() == ["MODEL", "OWNER", "KIND", "CONTEXT", "TOOLS", "VISION", "JSON_SCHEMA", "REASONING"]
    assert "128,000" in lines[1] and "yes" in lines[1]
    assert "?" in lines[2] and lines[2].split()[1] == "-"
    assert lines[3].endswith("optional (low/medium/high)") and rows[2]["reasoning_effort"] is True


def test_reasoning_writer_prefixes_each_line_across_chunks() -> None:
    err = io.StringIO()
    w = C._ReasoningWriter(Printer(io.StringIO(), err), hidden=False)
    for part in ("Let me", " think.\nSecond", " line", "\n", "third"):
        w.feed(part)
    w.close()
    assert err.getvalue() == "> Let me think.\n> Second line\n> third\n"
    hidden = io.StringIO()
    C._ReasoningWriter(Printer(io.StringIO(), hidden), hidden=True).feed("secret thoughts")
    assert hidden.getvalue() == ""


def test_simulator_announcement_follows_the_base_url_line() -> None:
    out = io.StringIO()
    a = C._Announce(out, "newapi", [])
    a.write("http://127.0.0.1:8123/v1")
    a.write("\n")
    a.write("later\n")
    lines = out.getvalue().splitlines()
    assert lines[0] == "http://127.0.0.1:8123/v1"
    assert "export ZZZ_BASE_URL=http://127.0.0.1:8123/v1 ZZZ_API_KEY=sk-test" in lines[2]
    assert lines[-1] == "later" and out.getvalue().count("export") == 1
