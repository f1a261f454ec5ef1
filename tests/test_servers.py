"""The one server-process helper (myapp/benchmark/servers.py) that sessionbench
and the tests start their servers with."""

import os
import sys
import urllib.request

import pytest

from myapp.benchmark import servers


class TestPorts:
    def test_each_xdist_worker_has_ports_of_its_own(self, monkeypatch):
        """Two workers: the span 10000-32767 cut in two halves of 11,384."""
        monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "2")
        monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
        assert servers.worker_ports() == range(10000, 21384)
        monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
        assert servers.worker_ports() == range(21384, 32768)

    def test_a_port_is_given_out_once(self):
        ports = {servers.free_port() for _ in range(20)}
        assert len(ports) == 20
        assert all(port in servers.worker_ports() for port in ports)


class TestRunning:
    def test_a_server_that_exits_says_why(self):
        """Its last output is in the error, not lost in a pipe."""
        port = servers.free_port()
        command = [sys.executable, "-c", "print('no such thing to serve'); exit(3)"]
        with (
            pytest.raises(servers.ServerError, match="exited with 3") as error,
            servers.running(command, port),
        ):
            pass
        assert "no such thing to serve" in str(error.value)

    def test_a_server_that_never_listens_is_stopped(self):
        port = servers.free_port()
        command = [sys.executable, "-c", "import time; time.sleep(60)"]
        with (
            pytest.raises(servers.ServerError, match="nothing listens"),
            servers.running(command, port, timeout=0.5),
        ):
            pass

    def test_gunicorn_and_its_workers_are_stopped_at_the_end(self):
        """Stopped by the process group: no worker outlives the block."""
        port = servers.free_port()
        env = {
            "DJANGO_SETTINGS_MODULE": "sitecore.settings.cookies",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "test-" + "x" * 50,
        }
        command = servers.gunicorn_command(port, workers=2)
        with servers.running(command, port, env=env, timeout=30) as process:
            url = f"http://127.0.0.1:{port}/lessons/performance/bench/no-session/"
            with urllib.request.urlopen(url, timeout=30) as response:
                assert response.read().startswith(b"no session\n")
            group = process.pid
        assert process.poll() is not None
        with pytest.raises(ProcessLookupError):
            os.killpg(group, 0)
