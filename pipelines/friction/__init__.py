"""Friction indicators (*points de friction*) of the Smart Commerce audit.

``inputs`` holds :class:`~pipelines.friction.inputs.FrictionInputs` (one frame per upstream
table, and the source families held) and what the modules share; ``core`` the indicator
catalogue (with the source families each needs), row helpers and ``status``/``needs``;
``reach`` (travel-time based indicators, 2SFCA), ``od`` (congestion from OD flows),
``stats`` (shares and trends), ``opening_hours`` (OSM opening hours, opening-hours-py),
``rows`` / ``table_rows`` (indicator rows from the networks and from the tables),
``layers`` (per-cell and per-stop layers), ``build`` (the one engine function of the gold
asset) and ``checks`` (what the asset checks). Public transport coverage lives in
``pipelines.transit``; district membership in :func:`pipelines.districts.assign_districts`.
"""
