"""What every test shares: nothing negotiation learned in an earlier test.

:mod:`zzz_core.negotiation` remembers its adjustments per ``host:port`` and model for the life
of the process; simulators bind ephemeral ports, and a later one can get a port an earlier one
had, so a learned adjustment would change what a later test sends.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from zzz_core import negotiation


@pytest.fixture(autouse=True)
def _nothing_negotiated() -> Iterator[None]:
    negotiation.forget()
    yield
    negotiation.forget()
