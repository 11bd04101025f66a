"""One reader per landing format. Readers return :class:`pipelines.quarantine.ReadResult`."""
