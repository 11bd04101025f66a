"""PDF of every commune report, printed by headless Chromium when it is installed.

The HTML reports carry their own print CSS (A4 portrait, 12 mm margins, fixed table layout,
wrapped long words: ``templates/_style.html.j2``). Chromium prints each report to
``<nis>.pdf`` beside it, written to a temporary name then renamed (atomic). Without Chromium
nothing is printed and the status says why; the HTML reports are unaffected.

Printing costs about 2-3 s per commune on the development machine, so it is not part of
``smartcommerce run``: ``python -m assets.cli pdf`` prints after a run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM_ENV = "SMARTCOMMERCE_CHROMIUM"
"""Path of a Chromium (or Chrome) binary, when it is not on PATH as ``chromium``."""
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-pdf-header-footer",
)  # fmt: skip
A4_PT = (595.0, 842.0)
"""A4 in PostScript points (210 x 297 mm); Chromium writes 595.92 x 842.88."""
TIMEOUT_S = 120


@dataclass
class PdfStatus:
    """What printing did: the binary used (None when absent), files written, failures, time."""

    chromium: str | None
    written: list[Path] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def message(self) -> str:
        if self.chromium is None:
            return (f"PDF skipped: no Chromium found ({', '.join(CANDIDATES)} on PATH or ${CHROMIUM_ENV}); "
                    "install it with `apt-get install -y chromium`")
        text = f"{len(self.written)} PDF written in {self.seconds:.1f} s with {self.chromium}"
        return text + (f"; {len(self.failed)} failed: " + ", ".join(self.failed) if self.failed else "")


def find_chromium() -> str | None:
    """``$SMARTCOMMERCE_CHROMIUM`` when set and executable, else the first browser on PATH."""
    given = os.environ.get(CHROMIUM_ENV)
    if given:
        return given if os.access(given, os.X_OK) else None
    return next((p for name in CANDIDATES if (p := shutil.which(name))), None)


def print_pdf(chromium: str, html: Path, pdf: Path) -> None:
    """Print ``html`` to ``pdf`` (atomic). Raises RuntimeError with Chromium's last words."""
    tmp = pdf.with_name(f".{pdf.name}.tmp")
    tmp.unlink(missing_ok=True)
    proc = subprocess.run(  # noqa: S603 (a fixed binary and flags, a path we built)
        [chromium, *FLAGS, f"--print-to-pdf={tmp}", html.resolve().as_uri()],
        capture_output=True, text=True, timeout=TIMEOUT_S, check=False,
    )
    if proc.returncode != 0 or not tmp.exists() or tmp.stat().st_size == 0:
        tmp.unlink(missing_ok=True)
        raise RuntimeError(f"chromium exited {proc.returncode}: {proc.stderr.strip()[-300:]}")
    tmp.replace(pdf)


def write_pdfs(folder: Path, *, workers: int = 2) -> PdfStatus:
    """``<nis>.pdf`` beside every ``<nis>.html`` of ``folder`` (the index is not printed)."""
    chromium = find_chromium()
    status = PdfStatus(chromium)
    if chromium is None:
        return status
    pages = sorted(p for p in folder.glob("*.html") if p.stem.isdigit())
    started = time.perf_counter()

    def one(html: Path) -> tuple[Path, str | None]:
        pdf = html.with_suffix(".pdf")
        try:
            print_pdf(chromium, html, pdf)
            return pdf, None
        except (RuntimeError, subprocess.TimeoutExpired, OSError) as exc:
            return pdf, str(exc)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for pdf, error in pool.map(one, pages):
            if error is None:
                status.written.append(pdf)
            else:
                status.failed[pdf.stem] = error
    status.seconds = time.perf_counter() - started
    return status


def page_sizes(pdf: Path) -> list[tuple[float, float]]:
    """Width and height (points) of every page of a PDF written by Chromium (its
    ``/MediaBox`` entries; enough for a check, not a PDF parser)."""
    data = pdf.read_bytes()
    boxes = re.findall(rb"/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s*\]", data)
    return [(float(x1) - float(x0), float(y1) - float(y0)) for x0, y0, x1, y1 in boxes]
