"""Render a run's HTML report in headless Chromium and save a full-page PNG (default docs/report.png).

Usage: python benchmarks/report_screenshot.py RUN_DIR_OR_REPORT_HTML [--out docs/report.png] [--height 4200]

Needs Debian's chromium (CI: ``apt-get update && apt-get install -y chromium fonts-dejavu-core``). The
report is self-contained (plotly inlined), so the browser runs with networking features off.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--hide-scrollbars")


def chromium() -> str | None:
    """Path of a Chromium binary, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def screenshot(html: Path, out: Path, width: int = 1280, height: int = 4200, wait_ms: int = 8000) -> Path:
    """Load ``html`` in headless Chromium (a fresh profile) and write a ``width`` x ``height`` PNG to ``out``."""
    exe = chromium()
    if exe is None:
        raise RuntimeError("chromium is not installed (apt-get install -y chromium)")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        cmd = [exe, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
               f"--virtual-time-budget={wait_ms}", f"--screenshot={out.resolve()}", html.resolve().as_uri()]
        subprocess.run(cmd, check=True, capture_output=True, timeout=180)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="run folder (its report.html) or an HTML file")
    parser.add_argument("--out", type=Path, default=Path("docs/report.png"))
    parser.add_argument("--height", type=int, default=4200)
    args = parser.parse_args()
    html = args.run / "report.html" if args.run.is_dir() else args.run
    if not html.exists():
        print(f"{html} does not exist; write it with `bienestar report RUN` first", file=sys.stderr)
        return 2
    print(screenshot(html, args.out, height=args.height))
    return 0


if __name__ == "__main__":
    sys.exit(main())
