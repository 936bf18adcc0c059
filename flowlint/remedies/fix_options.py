"""The fix settings a user chooses (`--strategy`, `--image`, `[fix]` in the config).

Kept apart from the fixing code so that reading the settings loads none of it.
"""

from __future__ import annotations

from flowlint.records import NamedTuple

STRATEGIES = ("dependencies", "working-dir-cache", "custom-image", "process-runner")


class FixOptions(NamedTuple):
    strategy: str = "auto"          # 'auto' or one of STRATEGIES
    image: str | None = None        # custom-image: name or template {namespace} {flow} {task}
    cache_layout: str = "deps"      # working-dir-cache: 'deps' ('venv' is refused: see there)
    ttl: str = "PT24H"
