"""A real site and a real Chromium for the end-to-end tests.

The site runs in its own process (runserver, so static files are served)
on a throwaway SQLite file; Playwright drives Debian's Chromium (its
headless shell, or the desktop browser: see chromium() below), since it
cannot download a browser of its own here. Everything is started per test
module and stopped at its end: Playwright's sync API runs an event loop in
this thread while it is open, and Django's ORM refuses to run beside one.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager

from tests.services import PROJECT_DIR, free_port, running, unavailable

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TEST_SECRET_KEY = "browser-tests-only-not-a-secret-" + "x" * 20


@contextmanager
def live_site(settings_module="sitecore.settings.db", toolbar=False):
    """Migrate a fresh database and serve the course on a free port.

    The settings leave the debug toolbar out while pytest runs (they see
    PYTEST_VERSION); toolbar=True serves the site as `make run` does, with it.
    """
    with tempfile.TemporaryDirectory() as workdir:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": settings_module,
            "DJANGO_DB_PATH": os.path.join(workdir, "db.sqlite3"),
            "DJANGO_SECRET_KEY": TEST_SECRET_KEY,
            "DJANGO_DEBUG": "1",
        }
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
            cwd=PROJECT_DIR,
            env=env,
            check=True,
            timeout=120,
        )
        port = free_port()
        command = [
            sys.executable,
            "manage.py",
            "runserver",
            f"127.0.0.1:{port}",
            "--noreload",
        ]
        if toolbar:
            # running() passes our environment on; env(1) drops the marker.
            command = ["env", "-u", "PYTEST_VERSION", *command]
        with running(command, port, env=env):
            yield f"http://127.0.0.1:{port}"


# Two of Debian's Chromium packages, the same Blink and V8:
# - chromium-headless-shell, Chromium's own headless browser, the one
#   Playwright runs for headless tests. Without the desktop browser's
#   compositor and windows a page costs about a third less CPU (the
#   accessibility walk: 79 core-seconds against 117). Tests of pages use it.
# - chromium, the desktop browser, headless. Tests of what the browser itself
#   decides use it: it blocks third-party cookies by default, the shell not.
HEADLESS_SHELL = "chromium-headless-shell"
DESKTOP = "chromium"


def chromium_executable(desktop=False):
    """The path of the browser to launch; skip (or fail under CI) without it."""
    name = DESKTOP if desktop else HEADLESS_SHELL
    executable = shutil.which(name)
    if executable is None:
        unavailable(f"{name} is not installed: apt-get install -y {name}")
    return executable


@contextmanager
def chromium(desktop=False):
    """Launch headless Chromium: the headless shell, or the desktop browser."""
    executable = chromium_executable(desktop)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as home, sync_playwright() as playwright:
        # Chromium writes into ~/.config and ~/.cache: keep that out of $HOME.
        env = {
            **os.environ,
            "XDG_CONFIG_HOME": os.path.join(home, "config"),
            "XDG_CACHE_HOME": os.path.join(home, "cache"),
        }
        browser = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, env=env
        )
        try:
            yield browser
        finally:
            browser.close()


def persistent_cookies(context):
    """The cookies a browser keeps when it quits: those with an expiry date."""
    return [cookie for cookie in context.cookies() if cookie["expires"] != -1]
