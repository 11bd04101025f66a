"""One module per friction indicator family: each declares its indicators once (code, unit,
needs, names, method: :class:`pipelines.friction.spec.Indicator`) and computes their rows
(its ``FAMILY``). :mod:`pipelines.friction.catalogue` collects them in number order."""
