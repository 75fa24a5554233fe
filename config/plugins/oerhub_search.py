"""The result cards of the Resources pages come from oerhub/publish/site_search.py under
`oerhub serve`. A published snapshot served by plain `datasette serve` loads this directory
too: with oerhub installed it registers the same plugin (cards, best matches first, the
openness facet; the words of a search read as typed, metadata.yaml's escaped search); without
it the templates show Datasette's table.
"""

from __future__ import annotations

try:
    from oerhub.publish import site_search
except ImportError:  # pragma: no cover - exercised by a snapshot served without oerhub
    site_search = None

if site_search is not None:
    site_search.register()
