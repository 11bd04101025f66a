"""Friction indicators (*points de friction*) of the Smart Commerce audit.

One module per indicator family in :mod:`pipelines.friction.families` (``transit`` 1,
``access`` 2, ``parking`` 3, ``congestion`` 4, ``flows`` 5, ``visibility`` 6, ``vacancy`` 7,
``tourism`` 8, ``delivery`` 9, ``origin`` 10) declares its indicators once
(:class:`~pipelines.friction.spec.Indicator`) and computes their rows;
:mod:`~pipelines.friction.catalogue` collects them (the catalogue the Canvas reads too).
Shared machinery: ``inputs`` (the input frames, districts, the context a family computes
from), ``matrices`` (routers, travel-time matrices, 2SFCA), ``reach`` (travel-time helpers),
``rows`` (rows per commune and district, suppression), ``table`` (``gold.commune_indicators``,
statuses and needs), ``layers`` (per-cell and per-stop layers), ``od`` (OD flows),
``opening_hours`` (OSM opening hours), ``build`` (the one engine function of the gold asset)
and ``checks`` (what the asset checks). Public transport coverage lives in
:mod:`pipelines.transit`; district membership in :func:`pipelines.districts.assign_districts`.
"""
