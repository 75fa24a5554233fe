"""JSON API adapters: one small module per platform shape that recurs in the region.

Each adapter declares how its API pages (`paging`) and how an item's fields map onto the
catalogue (`map_into`); `harvesters.json_api` does the fetching for all of them.
"""

from __future__ import annotations

from typing import Any

ADAPTERS: dict[str, Any] = {}
