"""sheetsync: run sales 1:1 coaching meetings from a shared spreadsheet."""

from __future__ import annotations

__version__ = "0.1.0"
