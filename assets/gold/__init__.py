"""Gold: indicators on the H3 grid, per shopping district and per commune.

One module per domain; each exposes ``assets`` (its asset definitions) and ``EXPORTS``
(layer name -> description of the gold tables to export for GIS users).
"""

from assets.gold import (
    canvas,
    catchment,
    cells,
    cockpit,
    districts,
    editions,
    footfall,
    friction,
    online,
)

DOMAINS = [cells, districts, catchment, footfall, friction, online, canvas, editions, cockpit]

assets = [a for domain in DOMAINS for a in domain.assets]
EXPORTS = {name: desc for domain in DOMAINS for name, desc in domain.EXPORTS.items()}
