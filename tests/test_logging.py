"""Errors reach stderr under every settings file, once each: 500s everywhere
(sitecore/settings/base.py); in production also 4xx and django.security, one
line per event (sitecore/settings/production.py)."""

from pathlib import Path

import pytest
from django.conf import settings

from tests.processes import fresh_python

SETTINGS_DIR = Path(settings.BASE_DIR) / "sitecore" / "settings"
# Every settings file, found on disk: a new engine file is tested unasked.
MODULES = sorted(
    path.stem for path in SETTINGS_DIR.glob("*.py") if path.stem != "__init__"
)
PRODUCTION_ENVIRONMENT = {
    "DJANGO_SECRET_KEY": "k3y-" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ",
    "DJANGO_ALLOWED_HOSTS": "testserver",
}

# For each module: Django's logging set up from its LOGGING (as
# django.setup() does), then one 500 logged the way Django logs it, with the
# exception. Markers on stderr split the output per module. Every logger is
# reset first, as in a fresh process: one process is much faster than 13.
EACH_MODULE = """
import importlib, logging, sys
import django
from django.conf import settings
from django.utils.log import configure_logging

django.setup()
settings.DEBUG = {debug}
for name in {modules!r}:
    module = importlib.import_module("sitecore.settings." + name)
    for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
        if isinstance(logger, logging.Logger):
            logger.handlers.clear()
            logger.setLevel(logging.NOTSET)
            logger.propagate = True
    logging.getLogger().setLevel(logging.WARNING)
    configure_logging(settings.LOGGING_CONFIG, module.LOGGING)
    sys.stderr.write("=== " + name + "\\n")
    try:
        raise RuntimeError("boom in " + name)
    except RuntimeError as error:
        logging.getLogger("django.request").error(
            "Internal Server Error: /%s", name, exc_info=error
        )
    sys.stderr.flush()
"""

# Real requests through Django's handler: a view that raises, an unknown URL,
# a POST without its CSRF token, and a Host header the site does not serve.
# Static files unhashed: no collectstatic needed (tests/test_deployment.py
# runs the real thing).
REQUESTS = """
import sys, types
import django
django.setup()
from django.conf import settings
from django.test import Client, override_settings
from django.urls import include, path

def boom(request):
    raise RuntimeError("boom")

urls = types.ModuleType("boom_urls")
urls.urlpatterns = [path("boom/", boom), path("", include("sitecore.urls"))]
sys.modules["boom_urls"] = urls
plain_static = {
    **settings.STORAGES,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
with override_settings(ROOT_URLCONF="boom_urls", STORAGES=plain_static):
    client = Client(raise_request_exception=False)
    secure = {"secure": True}  # production redirects plain http
    for label, response in [
        ("500", lambda: client.get("/boom/", **secure)),
        ("404", lambda: client.get("/no-such-page/", **secure)),
        ("403", lambda: Client(enforce_csrf_checks=True).post(
            "/lessons/outside-views/run/", **secure)),
        ("400", lambda: client.get("/", HTTP_HOST="evil.example", **secure)),
    ]:
        sys.stderr.write("=== " + label + "\\n")
        sys.stderr.write("status " + str(response().status_code) + "\\n")
        sys.stderr.flush()
"""


def run_python(code, settings_module="db", static_root=None, **env):
    """Run code in a fresh process under a settings module; return its stderr."""
    environment = {**PRODUCTION_ENVIRONMENT, **env}  # only production needs it
    if static_root is not None:
        environment["DJANGO_STATIC_ROOT"] = str(static_root)
    result = fresh_python(
        ["-c", code],
        DJANGO_SETTINGS_MODULE=f"sitecore.settings.{settings_module}",
        **environment,
    )
    assert result.returncode == 0, result.stderr
    return result.stderr


def sections(stderr):
    """{marker: the stderr lines after it}."""
    parts = {}
    for block in stderr.split("=== ")[1:]:
        name, _, body = block.partition("\n")
        parts[name] = body.splitlines()
    return parts


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_every_settings_file_prints_a_server_error_once(debug):
    """With DEBUG off, base's handler prints it; with DEBUG on, Django's own
    console handler does. Never both, never neither."""
    assert {"base", "db", "file", "cookies", "production"} <= set(MODULES)
    # production.py sets DEBUG = False whatever the environment says.
    modules = [name for name in MODULES if not (debug and name == "production")]
    code = EACH_MODULE.format(debug=debug, modules=modules)
    output = sections(run_python(code, DJANGO_DEBUG="1" if debug else "0"))
    assert sorted(output) == modules
    for name, lines in output.items():
        text = "\n".join(lines)
        assert text.count(f"Internal Server Error: /{name}") == 1, (name, text)
        assert text.count(f"RuntimeError: boom in {name}") == 1, (name, text)


def test_db_settings_log_a_real_500_once_and_stay_quiet_on_4xx():
    """Outside production only server errors: a 404 is a visitor's typo."""
    output = sections(run_python(REQUESTS, "db", DJANGO_DEBUG="0"))
    assert output["500"][-1] == "status 500"
    text_500 = "\n".join(output["500"])
    assert text_500.count("Internal Server Error: /boom/") == 1
    assert "RuntimeError: boom" in text_500
    assert output["404"] == ["status 404"]
    assert output["403"] == ["status 403"]


def test_production_logs_each_error_and_security_event_on_one_line(tmp_path):
    """5xx with its traceback; 404, CSRF failure and bad Host header on one
    line each, with the level and the logger that tell them apart."""
    output = sections(run_python(REQUESTS, "production", static_root=tmp_path))
    text_500 = "\n".join(output["500"])
    assert text_500.startswith("ERROR django.request: Internal Server Error: /boom/")
    assert text_500.count("Internal Server Error") == 1
    assert "Traceback (most recent call last)" in text_500
    assert output["404"] == [
        "WARNING django.request: Not Found: /no-such-page/",
        "status 404",
    ]
    assert len(output["403"]) == 2
    assert output["403"][0].startswith("WARNING django.security.csrf: Forbidden (")
    assert output["403"][1] == "status 403"
    assert output["400"] == [
        "ERROR django.security.DisallowedHost: Invalid HTTP_HOST header: "
        "'evil.example'. You may need to add 'evil.example' to ALLOWED_HOSTS.",
        "status 400",
    ]


def test_production_logs_a_forged_session_once():
    """base prints "Session data corrupted" through its own handler;
    production routes all of django.security to stderr instead, not twice."""
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('django.security.SuspiciousSession')"
        ".warning('Session data corrupted')"
    )
    assert run_python(code, "production").splitlines() == [
        "WARNING django.security.SuspiciousSession: Session data corrupted"
    ]
