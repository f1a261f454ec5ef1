"""The system checks that make `make run` explain a missing Redis or PostgreSQL.

`make run ENGINE=...` runs `manage.py migrate` first, and migrate runs the
checks: the subprocess tests run exactly that command.
"""

import pytest
from django.core.checks import run_checks

from myapp.checks import postgresql_is_reachable, redis_is_reachable
from sitecore.settings import redis as redis_settings
from tests.services import (
    free_port,
    isolated_settings,
    manage,
    private_redis,
    throwaway_postgres_database,
)

REDIS_CACHE = redis_settings.CACHES["default"]


def redis_cache_at(url):
    return {"default": {**REDIS_CACHE, "LOCATION": url}}


def error_ids(errors):
    return [error.id for error in errors]


class TestRedisCheck:
    def test_a_redis_that_does_not_answer_is_an_error_with_a_hint(self, settings):
        port = free_port()
        settings.CACHES = redis_cache_at(f"redis://127.0.0.1:{port}/0")
        (error,) = redis_is_reachable()
        assert error.id == "myapp.E001"
        assert f"redis://127.0.0.1:{port}/0" in error.msg
        assert error.hint == (
            "Start it with: redis-server --daemonize yes --bind 127.0.0.1 "
            f'--port {port} --save "" --appendonly no'
        )

    def test_the_password_is_not_printed(self, settings):
        settings.CACHES = redis_cache_at(f"redis://:s3cret@127.0.0.1:{free_port()}/0")
        (error,) = redis_is_reachable()
        assert "s3cret" not in error.msg

    def test_a_remote_redis_gets_a_hint_without_a_command(self, settings):
        # 192.0.2.0/24 is reserved for documentation: nothing answers there.
        settings.CACHES = redis_cache_at("redis://192.0.2.1:6379/0")
        (error,) = redis_is_reachable()
        assert "REDIS_URL" in error.hint

    @pytest.mark.services
    def test_a_running_redis_passes(self, settings):
        with private_redis() as (url, _process):
            settings.CACHES = redis_cache_at(url)
            assert redis_is_reachable() == []

    def test_it_does_not_apply_to_other_caches(self, settings):
        """The local-memory cache of the test settings: nothing to reach."""
        assert "RedisCache" not in str(settings.CACHES)
        assert redis_is_reachable() == []

    def test_it_is_registered(self, settings):
        settings.CACHES = redis_cache_at(f"redis://127.0.0.1:{free_port()}/0")
        assert "myapp.E001" in error_ids(run_checks())


class TestPostgreSQLCheck:
    def test_it_does_not_apply_to_sqlite(self, db):
        assert postgresql_is_reachable(databases=["default"]) == []

    def test_it_runs_only_for_the_databases_a_command_names(self):
        assert postgresql_is_reachable(databases=None) == []


class TestMakeRun:
    """`make run` runs `manage.py migrate` before the server: these run it."""

    def test_redis_not_running_stops_migrate_with_the_command_to_start_it(self):
        port = free_port()
        result = manage(
            "migrate",
            env={
                "DJANGO_SETTINGS_MODULE": "sitecore.settings.redis",
                "REDIS_URL": f"redis://127.0.0.1:{port}/0",
            },
        )
        assert result.returncode == 1
        assert "(myapp.E001) Redis does not answer" in result.stderr
        hint = f'redis-server --daemonize yes --bind 127.0.0.1 --port {port} --save ""'
        assert hint in result.stderr
        assert "Traceback" not in result.stderr

    def test_postgresql_not_running_stops_migrate_with_the_command_to_start_it(self):
        result = manage(
            "migrate",
            env={
                "DJANGO_SETTINGS_MODULE": "sitecore.settings.postgres",
                "DATABASE_URL": f"postgres://127.0.0.1:{free_port()}/sessions_course",
            },
        )
        assert result.returncode == 1
        assert "(myapp.E002) PostgreSQL does not answer" in result.stderr
        assert "pg_ctlcluster --skip-systemctl-redirect" in result.stderr
        assert "Traceback" not in result.stderr

    @pytest.mark.services
    def test_migrate_passes_when_redis_answers(self, tmp_path):
        with private_redis() as (url, _process):
            env = isolated_settings(tmp_path, "redis_cached_db")
            result = manage("migrate", "--no-input", env={**env, "REDIS_URL": url})
        assert result.returncode == 0, result.stderr

    @pytest.mark.services
    def test_migrate_passes_when_postgresql_answers(self):
        with throwaway_postgres_database() as name:
            result = manage(
                "migrate",
                "--no-input",
                env={
                    "DJANGO_SETTINGS_MODULE": "sitecore.settings.postgres",
                    "PGDATABASE": name,
                    "DATABASE_URL": "",
                },
            )
        assert result.returncode == 0, result.stderr
