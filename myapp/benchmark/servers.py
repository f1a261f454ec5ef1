"""Start a server process on a free port, wait until it listens, stop it.

The one helper for every server the project starts for a while: gunicorn and
runserver for sessionbench and the tests, and the tests' own redis-server.
A server binds to 127.0.0.1 only and is stopped by its process id (its whole
process group: gunicorn's workers too), never by its name.
"""

import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent.parent

# Ports come from this span, below Linux's ephemeral ports (32768 and up), so
# no outgoing connection takes one while a server is stopped and restarted.
PORTS = range(10000, 32768)
_ports_given = set()


class ServerError(RuntimeError):
    """A server exited before it listened, or did not listen in time."""


def worker_ports():
    """This process's share of PORTS. Under pytest-xdist (gw0 of -n 2, ...)
    each worker gets a slice of its own, so two workers never hand out the
    same port; any other process gets the whole span."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    index = int(name.removeprefix("gw"))
    size = len(PORTS) // count
    return PORTS[index * size : (index + 1) * size]


def free_port():
    """A port nothing listens on right now, on 127.0.0.1, from this process's
    ports and not given out before by this process."""
    ports = worker_ports()
    start = random.randrange(len(ports))  # apart from other runs' servers
    for offset in range(len(ports)):
        port = ports[(start + offset) % len(ports)]
        if port in _ports_given:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _ports_given.add(port)
        return port
    raise ServerError(f"no free port left in {ports}")


def wait_for_port(port, timeout=20.0, process=None):
    """Return once 127.0.0.1:port accepts a connection; ServerError if the
    process exits first or nothing listens within timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise ServerError(f"it exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise ServerError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


@contextmanager
def running(command, port, env=None, timeout=20.0):
    """Run command (a server that will listen on port) with env added to this
    process's environment; yield its Popen once it listens, stop it at the end.

    Its output goes to a temporary file, not a pipe that could fill up and
    block it; the last of it is in the ServerError when it does not start.
    """
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_DIR,
            env={**os.environ, **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            # A process group of its own: stopping it stops its children.
            start_new_session=True,
        )
        try:
            try:
                wait_for_port(port, timeout=timeout, process=process)
            except ServerError as error:
                stop(process)
                log.seek(0)
                output = log.read().decode(errors="replace")[-2000:]
                raise ServerError(
                    f"{Path(command[0]).name} did not start: {error}\n{output}"
                ) from None
            yield process
        finally:
            stop(process)


def stop(process, grace=10):
    """SIGTERM the process group, SIGKILL it after grace seconds."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def gunicorn_command(port, workers=1, app="sitecore.wsgi:application"):
    """gunicorn serving the project (DJANGO_SETTINGS_MODULE picks the settings)."""
    return [
        sys.executable, "-m", "gunicorn", app,
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers),
        # gunicorn 27 otherwise opens a control socket in the home directory.
        "--no-control-socket",
        "--log-level", "warning",
    ]  # fmt: skip


@contextmanager
def gunicorn(workers=1, env=None, timeout=30.0):
    """Serve the project with gunicorn on a free port; yield the port."""
    port = free_port()
    with running(gunicorn_command(port, workers), port, env=env, timeout=timeout):
        yield port
