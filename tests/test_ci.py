"""CI: any true CI value counts, and under CI a skipped test fails the run.

The rule lives in tests/services.py (a missing service fails its test instead
of skipping it) and tests/conftest.py (a skip of any other kind fails the
run). These run pytest itself, in a subprocess, on a tiny selection.
"""

import os
import subprocess
import sys

import pytest

from tests.services import PROJECT_DIR, free_port, in_ci

# A test that needs the shared Redis (through tests/conftest.py's use_settings).
NEEDS_REDIS = (
    "tests/test_session_backends.py::TestRedisCacheEngineContract"
    "::test_saved_session_exists"
)
# Four tests that need nothing, enough to give two xdist workers some each.
NEEDS_NOTHING = "tests/test_settings.py::TestExpirySettings::test_readable_seconds"


def pytest_run(*arguments, tmp_path, **env):
    """Run pytest as a main process of its own, with env added."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PYTEST_", "CI"))
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *arguments],
        cwd=PROJECT_DIR,
        env={**environment, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", True),
        ("true", True),
        ("True", True),
        ("yes", True),
        ("woodpecker", True),  # some services set CI to their name
        ("", False),
        ("0", False),
        ("false", False),
        ("FALSE", False),
        ("no", False),
        ("off", False),
    ],
)
def test_any_true_ci_value_counts_as_ci(value, expected):
    assert in_ci({"CI": value}) is expected


def test_no_ci_variable_is_not_ci():
    assert in_ci({}) is False


class TestRedisUnreachable:
    """REDIS_URL at a port where nothing listens."""

    def test_under_ci_the_test_fails_instead_of_skipping(self, tmp_path):
        closed = f"redis://127.0.0.1:{free_port()}/0"
        result = pytest_run(NEEDS_REDIS, tmp_path=tmp_path, CI="1", REDIS_URL=closed)
        assert result.returncode == 1, result.stdout[-2000:]
        assert "1 error" in result.stdout
        assert "skipped" not in result.stdout
        assert f"Redis is not running at {closed}" in result.stdout

    def test_outside_ci_the_test_skips_with_how_to_start_redis(self, tmp_path):
        closed = f"redis://127.0.0.1:{free_port()}/0"
        result = pytest_run(
            NEEDS_REDIS, "-rs", tmp_path=tmp_path, CI="0", REDIS_URL=closed
        )
        assert result.returncode == 0, result.stdout[-2000:]
        assert "1 skipped" in result.stdout
        assert "start it with: redis-server" in result.stdout


SKIP_EVERY_TEST = """
import pytest


def pytest_runtest_setup(item):
    pytest.skip("skipped by the probe plugin")
"""


class TestAnySkip:
    """A plugin that skips every test, loaded with -p: a skip that no
    service decided, which only tests/conftest.py's hooks can turn into a
    failure."""

    @pytest.fixture
    def probe(self, tmp_path):
        (tmp_path / "skip_every_test.py").write_text(SKIP_EVERY_TEST)
        return ["-p", "skip_every_test", NEEDS_NOTHING]

    def test_under_ci_a_skip_fails_the_run_with_xdist_too(self, probe, tmp_path):
        result = pytest_run(*probe, "-n", "2", tmp_path=tmp_path, CI="true")
        assert result.returncode == 1, result.stdout[-2000:]
        assert "4 skipped" in result.stdout
        assert "CI: skipped tests fail the run" in result.stdout
        assert "4 skipped: under CI every test must run." in result.stdout

    def test_outside_ci_a_skip_passes(self, probe, tmp_path):
        result = pytest_run(*probe, tmp_path=tmp_path, CI="false")
        assert result.returncode == 0, result.stdout[-2000:]
        assert "4 skipped" in result.stdout
        assert "CI: skipped tests fail the run" not in result.stdout
