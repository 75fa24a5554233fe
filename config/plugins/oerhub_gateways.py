"""The dashboard's map and the theme pages (/themes, /themes/<id>, /-/map/coverage.svg) come
from oerhub/publish/gateways.py under `oerhub serve`. A published snapshot served by plain
`datasette serve` or `datasette publish` loads this directory too: with oerhub installed it
registers the same plugin; without it the dashboard still renders, without the map (its
template checks), and the theme pages are not there.
"""

from __future__ import annotations

try:
    from oerhub.publish import gateways
except ImportError:  # pragma: no cover - exercised by a snapshot served without oerhub
    gateways = None

if gateways is not None:
    gateways.register()
