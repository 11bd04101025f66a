"""A commune's register of commercial ground-floor cells, vacant or occupied, by date.

The register is observed on one or more dates, so vacancy has a trend. Row numbers in the
quarantine are 1-based data rows (header excluded).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from pipelines.quarantine import ReadResult
from pipelines.sources._rowchecks import finish_text, first_reason, flag_repeats, read_csv_text
from pipelines.sources.kbo import BELGIUM_BBOX

SOURCE = "vacant"
COLUMNS = ("cell_id", "nis", "address", "lon", "lat", "floor_area_m2", "status", "observed_on")
STATUSES = ("vacant", "occupied")


def read_vacant_cells(path: Path) -> ReadResult:
    """Read ``cell_id,nis,address,lon,lat,floor_area_m2,status,observed_on``.

    Parameters
    ----------
    path : Path
        The commune's CSV register (comma-separated, UTF-8).

    Returns
    -------
    ReadResult
        ``table`` with ``COLUMNS``: ``lon, lat, floor_area_m2`` floats (area may be
        missing), ``status`` lower-cased, ``observed_on`` a date. Quarantined: missing
        ``cell_id``, NIS not 5 digits, missing or non-numeric coordinates, coordinates
        outside Belgium, non-numeric or negative floor area, a status other than
        ``vacant``/``occupied``, a date that is not ``YYYY-MM-DD``, and every repeat of a
        (``cell_id``, ``observed_on``) pair after its first row.
    """
    frame, quarantine, rows_in = read_csv_text(Path(path), COLUMNS, SOURCE)
    lon, lat, area = (
        pd.to_numeric(frame[c], errors="coerce").astype("float64")
        for c in ("lon", "lat", "floor_area_m2")
    )
    area = area.where(np.isfinite(area))
    status = frame["status"].str.lower()
    observed = pd.to_datetime(frame["observed_on"], format="%Y-%m-%d", errors="coerce")
    x0, y0, x1, y1 = BELGIUM_BBOX
    reason = first_reason([
        (frame["cell_id"].isna(), "missing cell_id"),
        (~frame["nis"].str.fullmatch(r"\d{5}"), "malformed NIS (expected 5 digits)"),
        (lon.isna() | lat.isna(), "missing or non-numeric coordinates"),
        (lat.between(x0, x1) & lon.between(y0, y1), "lat/lon swapped"),
        (~(lon.between(x0, x1) & lat.between(y0, y1)), "coordinates outside Belgium"),
        (frame["floor_area_m2"].notna() & area.isna(), "non-numeric floor_area_m2"),
        (area < 0, "negative floor_area_m2"),
        (~status.isin(STATUSES), "unknown status (expected vacant or occupied)"),
        (observed.isna(), "bad observed_on (expected YYYY-MM-DD)"),
    ])  # fmt: skip
    pair = frame["cell_id"] + "|" + observed.dt.strftime("%Y-%m-%d")
    reason = flag_repeats(pair, reason, "duplicate cell_id and observed_on")
    table = frame.assign(
        lon=lon.astype("float64"),
        lat=lat.astype("float64"),
        floor_area_m2=area.astype("float64"),
        status=status,
        observed_on=observed.astype(pd.ArrowDtype(pa.date32())),
    )
    return finish_text(
        table, frame, reason, quarantine, rows_in, source=SOURCE, path=path, columns=COLUMNS
    )
