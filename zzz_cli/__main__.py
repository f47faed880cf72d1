"""``python -m zzz_cli``: the ``zzz`` command."""

from __future__ import annotations

from . import main

if __name__ == "__main__":
    raise SystemExit(main())
