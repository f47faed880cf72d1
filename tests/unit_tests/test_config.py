"""Configuration: presets, environment, the four usual mistakes, secrets."""

from __future__ import annotations

import pickle
import warnings

import pytest
from pydantic import ValidationError

from zzz_core import ConfigurationError, ZZZConfig, _compat, get_preset, normalize_base_url

KEY = "sk-zkABCDEF0123456789abcdef0123456789abcdef012345"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for var in ("ZZZ_API_KEY", "ZZZ_BASE_URL", "ZZZ_GATEWAY", "ZZZ_MIRRORS"):
        monkeypatch.delenv(var, raising=False)


def test_default_preset_is_zhizengzeng_with_its_mirror():
    cfg = ZZZConfig.resolve(api_key=KEY)
    assert cfg.gateway == "zhizengzeng"
    assert cfg.base_url == "https://api.zhizengzeng.com/v1"
    assert cfg.mirrors == ("https://flag.smarttrot.com/v1",)
    assert cfg.dialect == "zhizengzeng" and cfg.balance_api == "credit_grants"


@pytest.mark.parametrize(
    "name,url",
    [("4z", "https://zzzzapi.com/v1"), ("zzzzapi", "https://zzzzapi.com/v1"), ("ztoken", "https://api.ztoken.pro/v1")],
)
def test_presets_by_name_and_alias(name, url):
    cfg = ZZZConfig.resolve(api_key=KEY, gateway=name)
    assert cfg.base_url == url
    assert get_preset(name).base_url == url


def test_4z_preset_is_newapi():
    cfg = ZZZConfig.resolve(api_key="sk-abc", gateway="4z")
    assert cfg.dialect == "newapi" and cfg.balance_api == "subscription" and cfg.mirrors == ()


def test_unknown_preset_lists_the_names():
    with pytest.raises(ConfigurationError, match="zhizengzeng"):
        ZZZConfig.resolve(api_key=KEY, gateway="nope")


def test_environment_variables(monkeypatch):
    monkeypatch.setenv("ZZZ_API_KEY", KEY)
    monkeypatch.setenv("ZZZ_GATEWAY", "4z")
    cfg = ZZZConfig.resolve()
    assert cfg.api_key.get_secret_value() == KEY and cfg.gateway == "4z"
    monkeypatch.setenv("ZZZ_BASE_URL", "https://relay.example.com/v1")
    monkeypatch.delenv("ZZZ_GATEWAY")
    monkeypatch.setenv("ZZZ_MIRRORS", "https://backup.example.com/v1, https://b2.example.com")
    with pytest.warns(UserWarning, match="/v1"):
        cfg = ZZZConfig.resolve()
    assert cfg.gateway == "custom" and cfg.base_url == "https://relay.example.com/v1"
    assert cfg.mirrors == ("https://backup.example.com/v1", "https://b2.example.com/v1")


def test_base_url_of_a_preset_host_adopts_the_preset():
    cfg = ZZZConfig.resolve(api_key=KEY, base_url="https://flag.smarttrot.com/v1")
    assert cfg.gateway == "zhizengzeng"
    assert cfg.mirrors == ("https://api.zhizengzeng.com/v1",)


def test_missing_key_names_the_variable():
    with pytest.raises(ConfigurationError, match="ZZZ_API_KEY"):
        ZZZConfig.resolve()


def test_personal_plan_key_is_refused_before_sending():
    with pytest.raises(ConfigurationError, match="personal"):
        ZZZConfig.resolve(api_key="zp-123456789")


def test_bearer_prefix_is_refused():
    with pytest.raises(ConfigurationError, match="Bearer"):
        ZZZConfig.resolve(api_key="Bearer sk-zk123")


def test_openai_key_gets_a_hint():
    assert "OpenAI key" in ZZZConfig.resolve(api_key="sk-proj-abcdef").key_hint()
    assert ZZZConfig.resolve(api_key=KEY).key_hint() is None


@pytest.mark.parametrize(
    "given,expected,warns",
    [
        ("https://api.zhizengzeng.com/v1", "https://api.zhizengzeng.com/v1", False),
        ("https://api.zhizengzeng.com/v1/", "https://api.zhizengzeng.com/v1", False),
        ("https://api.zhizengzeng.com", "https://api.zhizengzeng.com/v1", True),
        ("https://api.zhizengzeng.com/", "https://api.zhizengzeng.com/v1", True),
        ("https://zzzzapi.com/v1/chat/completions", "https://zzzzapi.com/v1", True),
        ("http://flag.smarttrot.com/index.php/api/v1", "http://flag.smarttrot.com/index.php/api/v1", False),
        (
            "https://dashscope.aliyuncs.com/compatible-mode/v1",
            "https://dashscope.aliyuncs.com/compatible-mode/v1",
            False,
        ),
    ],
)
def test_base_url_normalization(given, expected, warns):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert normalize_base_url(given) == expected
    assert bool(caught) == warns
    assert len(caught) <= 1


def test_not_a_url():
    with pytest.raises(ConfigurationError, match="http"):
        normalize_base_url("api.zhizengzeng.com/v1")


def test_plain_http_to_a_remote_host_is_refused():
    with pytest.raises(ConfigurationError, match="clear text"):
        ZZZConfig.resolve(api_key=KEY, base_url="http://relay.example.com/v1")
    cfg = ZZZConfig.resolve(api_key=KEY, base_url="http://relay.example.com/v1", allow_insecure_http=True)
    assert cfg.base_url.startswith("http://")
    assert ZZZConfig.resolve(api_key=KEY, base_url="http://127.0.0.1:8000/v1").gateway == "custom"
    assert ZZZConfig.resolve(api_key=KEY, base_url="http://localhost:8000/v1")


def test_key_never_in_repr_or_pickle(monkeypatch):
    cfg = ZZZConfig.resolve(api_key=KEY)
    assert KEY not in repr(cfg) and KEY not in str(cfg)
    assert KEY.encode() not in pickle.dumps(cfg)
    monkeypatch.setenv("ZZZ_API_KEY", "sk-zk-from-env")
    assert pickle.loads(pickle.dumps(cfg)).api_key.get_secret_value() == "sk-zk-from-env"


def test_wrong_kind_of_http_client_is_refused():
    class NotAClient:
        pass

    with pytest.raises(TypeError, match=_compat.HTTP_PACKAGE):
        ZZZConfig.resolve(api_key=KEY, http_client=NotAClient())
    with pytest.raises(TypeError, match="AsyncClient"):
        ZZZConfig.resolve(api_key=KEY, http_async_client=_compat.Client())
    cfg = ZZZConfig.resolve(api_key=KEY, http_client=_compat.Client())
    assert cfg.http_client is not None


def test_config_is_frozen_and_hashable():
    cfg = ZZZConfig.resolve(api_key=KEY)
    assert hash(cfg) == hash(ZZZConfig.resolve(api_key=KEY))
    with pytest.raises(ValidationError, match="frozen"):
        cfg.base_url = "x"  # type: ignore[misc]
