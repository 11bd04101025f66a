"""The vacant-cell register (``vacant/vacant_cells.csv``) of the demo territory."""

from __future__ import annotations

from pathlib import Path

from pipelines.demo import writers
from pipelines.demo._common import to_lonlat
from pipelines.demo.business import REGISTER_DATES, Business, defect
from pipelines.demo.territory import Territory


def write_vacant(business: Business, territory: Territory, landing: Path) -> dict[str, int]:
    """Write ``vacant/vacant_cells.csv`` (three observations per cell, three defects)."""
    a = business.addresses
    cells = business.cells
    ids = cells["address_id"].to_numpy()
    lon, lat = to_lonlat(a["x"].to_numpy()[ids], a["y"].to_numpy()[ids])
    text = (
        a["street_fr"].to_numpy()[ids]
        + " "
        + a["house_number"].to_numpy()[ids]
        + ", "
        + a["postcode"].to_numpy()[ids]
        + " "
        + a["municipality_fr"].to_numpy()[ids]
    )
    slon = [f"{v:.7f}" for v in lon]
    slat = [f"{v:.7f}" for v in lat]
    rows = []
    for t, day in enumerate(REGISTER_DATES):
        for k, c in enumerate(cells.itertuples()):
            status = "vacant" if c.vacant[t] else "occupied"
            rows.append(
                [
                    c.cell_id,
                    c.nis,
                    text[k],
                    slon[k],
                    slat[k],
                    str(c.floor_area_m2),
                    status,
                    day.isoformat(),
                ]
            )
    n = len(cells)
    # defects on the last register: an unknown status, swapped coordinates, a lost decimal point
    targets = [2 * n + 5, 2 * n + n // 2, 2 * n + n - 3]
    rows[targets[0]][6] = "vide?"
    rows[targets[1]][3], rows[targets[1]][4] = rows[targets[1]][4], rows[targets[1]][3]
    rows[targets[2]][4] = rows[targets[2]][4].replace(".", "")
    business.defects.extend(
        [
            defect(
                "vacant/vacant_cells.csv",
                targets[0] + 1,
                "unknown status",
                rows[targets[0]][0],
                "status 'vide?'",
            ),
            defect(
                "vacant/vacant_cells.csv",
                targets[1] + 1,
                "coordinates out of range",
                rows[targets[1]][0],
                "lon and lat swapped",
            ),
            defect(
                "vacant/vacant_cells.csv",
                targets[2] + 1,
                "coordinates out of range",
                rows[targets[2]][0],
                "lat without its decimal point",
            ),
        ]
    )
    header = ("cell_id", "nis", "address", "lon", "lat", "floor_area_m2", "status", "observed_on")
    return {
        "vacant/vacant_cells.csv": writers.write_csv(
            landing / "vacant" / "vacant_cells.csv", header, rows
        )
    }
