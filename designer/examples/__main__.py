"""``python -m designer.examples [NAME ...]``: rewrite resources/examples/*.json."""

from __future__ import annotations

from . import main

raise SystemExit(main())
