"""langchain-tests' standard unit suites for ChatZZZ and ZZZEmbeddings (offline).

Named ``*langchain_standard*`` so scripts/test.sh can leave them out of its
openai-2.x compatibility run.  Nothing is skipped.

``test_serdes`` is xfail(strict): its first half passes (``dumpd`` matches the
snapshot in ``__snapshots__/``, the key only as a ``ZZZ_API_KEY`` secret
reference), but it then revives the model with ``load(...,
allowed_objects="all")``, which in langchain-core 1.7 admits only the classes
listed in ``langchain_core.load.mapping``.  A third-party class can never be on
that list, by design: reviving a ChatZZZ from untrusted JSON with
``secrets_from_env=True`` could send the key to another ``base_url``, so this
package does not add itself.  ``load(..., allowed_objects=[ChatZZZ])`` works; see
test_langchain_chat_unit.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_tests.unit_tests import ChatModelUnitTests, EmbeddingsUnitTests

from langchain_zzz import ChatZZZ, ZZZEmbeddings

KEY = "sk-zk-SECRET-lc-unit-4b8d2f6a1c"  # the same fake key as conftest.KEY

ENV = {"ZZZ_API_KEY": KEY, "ZZZ_BASE_URL": "https://relay.example.com/v1"}


class TestChatZZZStandardUnit(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[ChatZZZ]:
        return ChatZZZ

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "gpt-4o-mini", "api_key": KEY}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return ENV, {"model": "gpt-4o-mini"}, {"api_key": KEY, "base_url": ENV["ZZZ_BASE_URL"]}

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def supports_image_urls(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return True

    @pytest.mark.xfail(
        strict=True,
        reason="langchain-core 1.7 load(allowed_objects='all') admits only classes in langchain_core.load.mapping",
    )
    def test_serdes(self, model: BaseChatModel, snapshot: Any) -> None:
        super().test_serdes(model, snapshot)


class TestZZZEmbeddingsStandardUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[ZZZEmbeddings]:
        return ZZZEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"model": "text-embedding-3-small", "api_key": KEY}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return ENV, {"model": "text-embedding-3-small"}, {"api_key": KEY, "base_url": ENV["ZZZ_BASE_URL"]}
