"""Headless Debian chromium driven through Debian's chromedriver (selenium never downloads a driver).

Why the system browser: the test machines have no internet, so a test tool's own browser
download cannot work; `make services` installs ``chromium`` and ``chromium-driver`` from Debian.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1400,1000")  # fmt: skip


def missing() -> str | None:
    """Why no browser test can run here, or None when chromium and its driver are installed."""
    for exe in (CHROMIUM, CHROMEDRIVER):
        if not os.access(exe, os.X_OK):
            return f"{exe} is missing: `make services` installs Debian's chromium and chromium-driver (as root)"
    return None


@contextmanager
def chromium(profile: Path) -> Iterator[object]:
    """A selenium WebDriver on a fresh profile directory; quits the browser afterwards."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        opts.add_argument(flag)
    profile.mkdir(parents=True, exist_ok=True)
    opts.add_argument(f"--user-data-dir={profile}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=opts)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
