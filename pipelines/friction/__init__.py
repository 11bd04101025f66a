"""Friction indicators (*points de friction*) of the Smart Commerce audit.

``core`` holds the indicator catalogue and row helpers; ``reach`` (travel-time based
indicators, 2SFCA), ``od`` (congestion from OD flows), ``stats`` (shares and trends),
``opening_hours`` (OSM opening hours), ``rows`` / ``table_rows`` (indicator rows from the
networks and from the lake tables), ``layers`` (per-cell and per-stop layers) and ``build``
(everything for the gold asset). Public transport coverage lives in ``pipelines.transit``.
"""
