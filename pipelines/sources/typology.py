"""A user-supplied commune typology (``nis,typology``): the fourth peer lens of the Canvas.

Any published classification fits (e.g. Belfius' socio-economic typology of communes, or an
intercommunale's own grouping). One row per commune; row numbers in the quarantine are 1-based
data rows (header excluded).
"""

from __future__ import annotations

from pathlib import Path

from pipelines.quarantine import ReadResult
from pipelines.sources._rowchecks import finish_text, first_reason, flag_repeats, read_csv_text

SOURCE = "typology"
COLUMNS = ("nis", "typology")


def read_typology(path: Path) -> ReadResult:
    """Read ``nis,typology``.

    Returns
    -------
    ReadResult
        ``table`` with ``nis`` (5 digits) and ``typology`` (trimmed text). Quarantined: a NIS
        that is not 5 digits, an empty typology, and every repeat of a NIS after its first row.
    """
    frame, quarantine, rows_in = read_csv_text(Path(path), COLUMNS, SOURCE)
    nis, typology = frame["nis"].str.strip(), frame["typology"].str.strip()
    reason = first_reason([
        (~nis.str.fullmatch(r"\d{5}").fillna(False), "malformed NIS (expected 5 digits)"),
        (typology.isna() | (typology == ""), "missing typology"),
    ])  # fmt: skip
    reason = flag_repeats(nis, reason, "duplicate nis")
    table = frame.assign(nis=nis, typology=typology)
    return finish_text(table, frame, reason, quarantine, rows_in, source=SOURCE, path=path, columns=COLUMNS)
