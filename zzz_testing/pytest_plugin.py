"""pytest fixtures for the gateway simulator (registered as a ``pytest11`` entry point).

The entry point loads this module into every pytest run of everyone who installs the
package, so it imports nothing of ours at module level: the simulator (and nothing of
``zzz_core``) is imported only when a test asks for one of these fixtures.

* ``zzz_simulator``: a running :class:`GatewaySimulator` for one test.  Parametrize it
  indirectly with a dialect name or a dict of constructor arguments::

      @pytest.mark.parametrize("zzz_simulator", ["zhizengzeng", "newapi"], indirect=True)
      def test_x(zzz_simulator): ...

* ``zzz_simulator_factory``: call it with constructor arguments to start any number of
  simulators (e.g. a primary and a mirror); all are stopped at teardown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # pragma: no cover
    from .server import GatewaySimulator

__all__ = ["zzz_simulator", "zzz_simulator_factory"]


def _kwargs(param: Any) -> dict[str, Any]:
    if param is None:
        return {}
    if isinstance(param, str):
        return {"dialect": param}
    if isinstance(param, dict):
        return dict(param)
    raise TypeError(f"zzz_simulator param must be a dialect name or a dict, not {param!r}")


@pytest.fixture
def zzz_simulator(request: pytest.FixtureRequest) -> Iterator[GatewaySimulator]:
    """A running simulator (default dialect zhizengzeng), stopped after the test."""
    from .server import GatewaySimulator

    with GatewaySimulator(**_kwargs(getattr(request, "param", None))) as sim:
        yield sim


@pytest.fixture
def zzz_simulator_factory() -> Iterator[Callable[..., GatewaySimulator]]:
    """Make running simulators on demand; every one is stopped at teardown."""
    from .server import GatewaySimulator

    made: list[GatewaySimulator] = []

    def make(dialect: str = "zhizengzeng", **kwargs: Any) -> GatewaySimulator:
        sim = GatewaySimulator(dialect, **kwargs).start()
        made.append(sim)
        return sim

    yield make
    for sim in reversed(made):
        sim.stop()
