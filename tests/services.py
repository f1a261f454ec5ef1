"""Real services for the tests that need them: Redis, PostgreSQL, gunicorn.

Outside CI a missing service skips its tests with a reason that says how to
start it. Under CI=true (what .ci/run exports) it fails them instead: CI must
never count a skipped service test as a pass.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
START_REDIS = (
    'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" '
    "--appendonly no"
)
START_POSTGRES = (
    "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
)


def in_ci():
    return os.environ.get("CI", "").lower() == "true"


def unavailable(reason):
    """Skip with the reason, or fail under CI=true."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: service tests must run, not skip)")
    pytest.skip(reason)


def redis_reachable(url=REDIS_URL):
    try:
        import redis

        return redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:
        return False


def require_redis(url=REDIS_URL):
    if not redis_reachable(url):
        unavailable(f"Redis is not running at {url}; start it with: {START_REDIS}")
    return url


def require_command(name, package):
    path = shutil.which(name)
    if path is None:
        unavailable(f"{name} is not installed: apt-get install -y {package}")
    return path


def free_port():
    """A port nothing listens on right now, on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port, timeout=20.0, process=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


@contextmanager
def running(command, port, env=None, timeout=20.0):
    """Start a server process, wait for its port, stop it by its pid at the end."""
    process = subprocess.Popen(
        command,
        cwd=PROJECT_DIR,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        wait_for_port(port, timeout=timeout, process=process)
        yield process
    except (RuntimeError, TimeoutError) as error:
        process.kill()
        stderr = process.stderr.read().decode(errors="replace")[-2000:]
        raise RuntimeError(f"{command[0]} did not start: {error}\n{stderr}") from None
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        process.stderr.close()


@contextmanager
def gunicorn(settings_module, workers=1, env=None):
    """Serve the project with gunicorn on a free 127.0.0.1 port; yield its base URL."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "sitecore.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--no-control-socket",
        "--log-level",
        "warning",
    ]
    environment = {"DJANGO_SETTINGS_MODULE": settings_module, **(env or {})}
    with running(command, port, env=environment):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def private_redis():
    """A redis-server of the test's own on a free port; yield (url, process)."""
    server = require_command("redis-server", "redis-server")
    port = free_port()
    command = [
        server,
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--save",
        "",
        "--appendonly",
        "no",
    ]
    with running(command, port) as process:
        yield f"redis://127.0.0.1:{port}/0", process
