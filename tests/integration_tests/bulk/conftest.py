"""Fixtures of the bulk runner's tests."""

from __future__ import annotations

import pytest
from bulk_kit import KEY


@pytest.fixture
def settings(zzz_simulator):
    return {"api_key": KEY, "base_url": zzz_simulator.base_url, "progress": False}
