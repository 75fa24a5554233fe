"""One module per protocol. Each harvester takes a source config and yields raw records.

The seam every harvester implements is `harvesters.base.Harvester`; `harvester_for` picks the
module by the source's `protocol`.
"""

from __future__ import annotations

from harvesters.base import Batch, CheckResult, Harvester, HarvestState


def harvester_for(protocol: str) -> type[Harvester]:
    """The harvester class for a protocol name as written in sources.toml."""
    if protocol == "oai-pmh":
        from harvesters.oai_pmh import OaiPmhHarvester

        return OaiPmhHarvester
    raise KeyError(f"no harvester for protocol {protocol!r}")


__all__ = ["Batch", "CheckResult", "Harvester", "HarvestState", "harvester_for"]
