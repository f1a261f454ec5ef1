"""Python in a process of its own, for what happens when a process starts.

Settings read the environment once, when they are imported, so a test of
what a settings file does with a variable runs it in a fresh interpreter.
That interpreter sees none of this process's DJANGO_* variables, only the
ones the test gives, and no PYTEST_VERSION: its settings behave as they do
for a server, not as they do under pytest.
"""

import os
import subprocess
import sys

from django.conf import settings


def fresh_python(args, **env):
    """Run ``python *args`` in the project directory; return the finished process."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("DJANGO_") and name != "PYTEST_VERSION"
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
