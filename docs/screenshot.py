"""docs/report-top.png: the top of a real HTML report, taken with the Debian Chromium the gate uses.

    .venv/bin/python docs/screenshot.py                  # inject redis-down, run -m "smoke or redis", heal, shoot
    .venv/bin/python docs/screenshot.py --report reports/latest.html   # shoot an existing report

The gate's reports of the fault run go to a temporary folder: the operator's reports/latest.* stay as they are.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("OPSGATE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def faulty_report(fault: str, markers: str, reports: Path) -> Path:
    """Run the gate against the reference stack with `fault` injected (healed whatever happens)."""
    sys.path.insert(0, str(ROOT))
    from stack.core import Stack

    stack = Stack()
    stack.inject(fault)
    try:
        subprocess.run([sys.executable, "-m", "pytest", "-p", "no:randomly", "-q", "-m", markers], cwd=ROOT,
                       env={**os.environ, "OPSGATE_REPORTS_DIR": str(reports)}, capture_output=True, check=False)
    finally:
        stack.heal(fault)
    return (reports / "latest.html").resolve()


def shoot(report: Path, png: Path, width: int = 1100, height: int = 760) -> None:
    with tempfile.TemporaryDirectory(prefix="opsgate-chromium-") as home, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, env={**os.environ, "HOME": home})
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(report.as_uri())
            page.wait_for_selector("#results-table tbody")  # pytest-html renders its table with JavaScript
            page.screenshot(path=str(png))
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", type=Path, help="an existing HTML report (default: a fresh fault run's)")
    parser.add_argument("--fault", default="redis-down")
    parser.add_argument("--markers", default="smoke or redis")
    parser.add_argument("-o", "--output", type=Path, default=ROOT / "docs" / "report-top.png")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="opsgate-screenshot-") as reports:
        report = options.report or faulty_report(options.fault, options.markers, Path(reports))
        shoot(report.resolve(), options.output)
    print(f"{options.output}: {options.output.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
