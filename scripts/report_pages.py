"""Render pages of the demo's progress report (PDF) to PNG for the README.

Generates the report with ``yorisou report`` (on the database the settings point
at, e.g. the demo's after ``make demo``) and turns the chosen pages into PNG with
pdftoppm (Debian: ``apt-get install poppler-utils``).

Usage: python scripts/report_pages.py [PAGE ...]  (default: pages 3 and 6)
"""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def main(pages: list[int]) -> None:
    if shutil.which("pdftoppm") is None:
        sys.exit("pdftoppm is missing: apt-get install poppler-utils")
    with tempfile.TemporaryDirectory() as work:
        pdf = Path(work) / "report.pdf"
        subprocess.run(
            [
                *(sys.executable, "-m", "yorisou", "report", "--format", "pdf"),
                *("--output", str(pdf), "--period", "FY2022"),
            ],
            check=True,
        )
        OUT.mkdir(parents=True, exist_ok=True)
        for page in pages:
            prefix = OUT / f"report-page-{page}"
            subprocess.run(
                [
                    *("pdftoppm", "-png", "-r", "80", "-singlefile"),
                    *("-f", str(page), "-l", str(page), str(pdf), str(prefix)),
                ],
                check=True,
            )
            print(f"{prefix}.png")


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [3, 6])
