"""CI: any true CI value counts, and under CI a skipped test fails the run.

The rule lives in tests/services.py (a missing service fails its test instead
of skipping it) and tests/conftest.py (under CI any skip fails the run). The
tests below run pytest itself, in a subprocess, on a tiny selection.
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
# Four tests that need nothing.
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


SKIP_THE_SETTINGS_TESTS = """
import pytest


def pytest_runtest_setup(item):
    if item.nodeid.startswith("tests/test_settings.py"):
        pytest.skip("skipped by the probe plugin")
"""


class TestPytestRuns:
    """pytest on a test that needs Redis, with REDIS_URL at a port where
    nothing listens, and on four tests that a plugin loaded with -p skips: a
    skip no service decided, which only tests/conftest.py's hooks can turn
    into a failure."""

    @pytest.fixture
    def skip_probe(self, tmp_path):
        (tmp_path / "skip_probe.py").write_text(SKIP_THE_SETTINGS_TESTS)
        return ["-p", "skip_probe"]

    def test_under_ci_an_unreachable_redis_fails_instead_of_skipping(self, tmp_path):
        closed = f"redis://127.0.0.1:{free_port()}/0"
        result = pytest_run(
            "-rA", NEEDS_REDIS, tmp_path=tmp_path, CI="1", REDIS_URL=closed
        )
        assert result.returncode == 1, result.stdout[-2000:]
        assert f"ERROR {NEEDS_REDIS} - Failed: Redis is not running" in result.stdout
        assert "(CI=1: service tests must run, not skip)" in result.stdout
        assert "1 error" in result.stdout
        assert "skipped" not in result.stdout

    def test_under_ci_any_skip_fails_the_run_with_xdist_too(self, skip_probe, tmp_path):
        """Two xdist workers: their skips fail the run, listed by name."""
        result = pytest_run(
            *skip_probe, "-n", "2", NEEDS_NOTHING, tmp_path=tmp_path, CI="true"
        )
        assert result.returncode == 1, result.stdout[-2000:]
        assert "4 skipped" in result.stdout
        assert "failed" not in result.stdout
        assert "CI: skipped tests fail the run" in result.stdout
        assert f"SKIPPED {NEEDS_NOTHING}[1209600-14 days]" in result.stdout
        assert "4 skipped: under CI every test must run." in result.stdout

    def test_outside_ci_both_skip_and_the_run_passes(self, skip_probe, tmp_path):
        closed = f"redis://127.0.0.1:{free_port()}/0"
        result = pytest_run(
            *skip_probe,
            "-rA",
            NEEDS_REDIS,
            NEEDS_NOTHING,
            tmp_path=tmp_path,
            CI="0",
            REDIS_URL=closed,
        )
        assert result.returncode == 0, result.stdout[-2000:]
        assert "5 skipped" in result.stdout
        assert f"Redis is not running at {closed}; start it with: redis-server" in (
            result.stdout
        )
        assert "CI: skipped tests fail the run" not in result.stdout
