"""Shared fixtures: every engine settings file, applied to one test at a time."""

import importlib

import pytest
from django.contrib.sessions.backends.file import SessionStore as FileStore
from django.core.cache import caches

# The engine settings modules of sitecore/settings/ that run on any machine;
# "active" is the course's own engine (lesson 19).
ENGINES = ("db", "file", "cache", "cached_db", "cookies", "active")
# Engines whose data lives on the server, so a stored record can be checked.
SERVER_ENGINES = ("db", "file", "cache", "cached_db", "active")


def settings_of(module_name):
    """The session, cache and middleware settings a settings module defines
    (the active-sessions engine brings its own SessionMiddleware)."""
    module = importlib.import_module(f"sitecore.settings.{module_name}")
    return {
        name: getattr(module, name)
        for name in dir(module)
        if name.startswith("SESSION_") or name in ("CACHES", "MIDDLEWARE")
    }


def forget_file_storage_path():
    # The file engine caches SESSION_FILE_PATH on its class the first time.
    if "_storage_path" in vars(FileStore):
        del FileStore._storage_path


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Tests log users in by the hundred: a fast hasher, as Django's docs advise.
    The production hashers are what the authentication lesson's pages use."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def use_settings(settings, tmp_path):
    """Apply one settings module's session settings (files go to tmp_path)."""

    def apply(module_name):
        for name, value in settings_of(module_name).items():
            setattr(settings, name, value)
        if settings.SESSION_FILE_PATH is not None:
            settings.SESSION_FILE_PATH = str(tmp_path)
        forget_file_storage_path()
        for cache in caches.all():
            cache.clear()
        return module_name

    yield apply
    forget_file_storage_path()


@pytest.fixture(params=ENGINES)
def engine(request, use_settings, db):
    """Run the test once under each engine settings file."""
    return use_settings(request.param)


@pytest.fixture(params=SERVER_ENGINES)
def server_engine(request, use_settings, db):
    """Run the test under each engine that keeps the data on the server."""
    return use_settings(request.param)
