"""Lesson 14: SessionStore outside views, the Session model, and manage.py sessions."""

import os
import re
import subprocess
import sys
import time
from datetime import timedelta
from importlib import import_module
from io import StringIO

import django
import pytest
from django.conf import settings
from django.contrib.sessions.backends.base import VALID_KEY_CHARS, UpdateError
from django.contrib.sessions.models import Session
from django.core import signing
from django.core.management import call_command
from django.core.management.commands.shell import Command as Shell
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import get_random_string

from myapp.lessons.outside_views import TRANSCRIPT_KEY, run_in_shell
from myapp.management.commands.sessions import Command
from tests.html import parse

PAGE = reverse("myapp:outside-views")
RUN = reverse("myapp:outside-views-run")
# Engines whose sessions the command can list; "active" is lesson 19's.
LISTABLE = ("db", "file", "cached_db", "active")
UNKNOWN_KEY = "nosuchsession0000000000000000000"


def shorten(key):
    """A key as the page and the command print it: its first 8 characters."""
    return key[:8] + "…"


def session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def make_session(data, expires=None):
    """Store a session the way a script would; return its key."""
    session = session_store()()
    session.update(data)
    if expires is not None:
        session.set_expiry(expires)
    session.save()
    return session.session_key


def sessions_output(*args):
    out = StringIO()
    call_command("sessions", *args, stdout=out)
    return out.getvalue()


def session_cookie(client):
    return client.cookies.get(settings.SESSION_COOKIE_NAME)


class TestSessionStoreByHand:
    def test_create_saves_what_the_store_holds(self, server_engine):
        """Not "empty data", as SessionBase.create()'s docstring says."""
        session = session_store()()
        session["x"] = 1
        session.create()
        assert session_store()(session.session_key)["x"] == 1

    def test_create_on_a_keyed_store_makes_a_new_key_and_keeps_the_old(
        self, server_engine
    ):
        session = session_store()()
        session["x"] = 1
        session.save()
        first_key = session.session_key
        session.create()
        assert session.session_key != first_key
        assert session_store()().exists(first_key)

    def test_create_on_a_store_never_read_saves_empty_data(self, server_engine):
        """The one case create()'s "with empty data" describes: nothing was
        loaded, so nothing is copied to the new key."""
        key = make_session({"x": 1})
        unread = session_store()(key)
        unread.create()
        assert unread.session_key != key
        assert dict(session_store()(unread.session_key).items()) == {}
        assert session_store()(key)["x"] == 1

    def test_an_unknown_key_read_first_saves_under_a_new_key(self, server_engine):
        """Reading loads the store: the unknown key is dropped, save() makes one."""
        session = session_store()(UNKNOWN_KEY)
        assert dict(session.items()) == {}
        session["x"] = 1
        session.save()
        assert session.session_key not in (None, UNKNOWN_KEY)
        assert session_store()(session.session_key)["x"] == 1
        assert not session_store()().exists(UNKNOWN_KEY)

    def test_an_unknown_key_saved_unread_raises_update_error(self, server_engine):
        """Nothing was loaded, so the key is still set: save() updates a
        record that is not there, as for one deleted meanwhile."""
        with pytest.raises(UpdateError):
            session_store()(UNKNOWN_KEY).save()
        assert not session_store()().exists(UNKNOWN_KEY)

    def test_after_a_key_change_only_the_fallbacks_keep_old_records(
        self, use_settings, db, settings
    ):
        """No old record passes the signature check after a SECRET_KEY
        change, unless the old key is in SECRET_KEY_FALLBACKS."""
        use_settings("db")
        key = make_session({"x": 1})
        old_key = settings.SECRET_KEY
        settings.SECRET_KEY = "a-new-secret-key-" + "n" * 40
        assert session_store()(key).load() == {}
        settings.SECRET_KEY_FALLBACKS = [old_key]
        assert session_store()(key).load() == {"x": 1}

    def test_the_shell_imports_the_session_model(self):
        """Every model since 5.2; settings and timezone as well since 6.0."""
        imports = set(Shell().get_auto_imports())
        assert "django.contrib.sessions.models.Session" in imports
        common = {"django.conf.settings", "django.utils.timezone"}
        if django.VERSION >= (6, 0):
            assert common <= imports
        else:
            assert not common & imports

    def test_signed_cookies_create_makes_no_key_and_save_makes_the_data(
        self, use_settings, db
    ):
        use_settings("cookies")
        session = session_store()()
        session["x"] = 1
        session.create()
        assert session.session_key is None
        session.save()
        assert session_store()(session.session_key)["x"] == 1

    @pytest.mark.parametrize("engine_name", ["db", "cached_db"])
    def test_session_model_decodes_a_row(self, use_settings, db, engine_name):
        use_settings(engine_name)
        key = make_session({"sname": "ada"})
        assert Session.objects.get(pk=key).get_decoded() == {"sname": "ada"}

    @pytest.mark.parametrize("engine_name", ["file", "cache", "cookies"])
    def test_other_engines_write_no_row(self, use_settings, db, engine_name):
        use_settings(engine_name)
        make_session({"sname": "ada"})
        assert not Session.objects.exists()


class TestCommandListing:
    @pytest.fixture(params=LISTABLE)
    def listable(self, request, use_settings, db):
        return use_settings(request.param)

    def test_lists_live_sessions_with_short_keys_and_decoded_data(self, listable):
        ada = make_session({"sname": "ada"})
        bob = make_session({"sname": "bob"})
        out = sessions_output()
        assert "2 live, 0 expired" in out
        for key, name in ((ada, "ada"), (bob, "bob")):
            line = next(line for line in out.splitlines() if shorten(key) in line)
            assert f'{{"sname": "{name}"}}' in line
            assert key not in out

    def test_full_keys_prints_whole_keys(self, listable):
        key = make_session({"sname": "ada"})
        assert key in sessions_output("--full-keys")

    def test_expired_are_counted_and_listed_only_on_request(self, listable):
        live = make_session({"sname": "live"})
        gone = make_session({"sname": "gone"}, timezone.now() - timedelta(minutes=5))
        out = sessions_output()
        assert "1 live, 1 expired (not listed; add --expired" in out
        assert shorten(live) in out
        assert shorten(gone) not in out
        out = sessions_output("--expired")
        line = next(line for line in out.splitlines() if shorten(gone) in line)
        assert "[expired]" in line
        assert "[expired]" not in next(
            line for line in out.splitlines() if shorten(live) in line
        )

    def test_listing_deletes_nothing(self, listable):
        """The file engine's load() would delete an expired file: not used here."""
        gone = make_session({"sname": "gone"}, timezone.now() - timedelta(minutes=5))
        sessions_output("--expired")
        assert session_store()().exists(gone)

    def test_soonest_expiry_comes_first(self, listable):
        later = make_session({"n": 2}, 3600)
        sooner = make_session({"n": 1}, 600)
        out = sessions_output()
        assert out.index(shorten(sooner)) < out.index(shorten(later))

    def test_file_engine_keeps_a_session_whose_expiry_was_set_in_seconds(
        self, use_settings, db
    ):
        """Django's file engine never expires set_expiry(seconds): load() still
        returns it and clearsessions keeps it. The listing says so."""
        use_settings("file")
        key = make_session({"sname": "kept"}, 60)
        an_hour_ago = time.time() - 3600
        path = os.path.join(settings.SESSION_FILE_PATH, "sessionid" + key)
        os.utime(path, (an_hour_ago, an_hour_ago))
        assert session_store()(key)["sname"] == "kept"
        call_command("clearsessions")
        assert os.path.exists(path)
        out = sessions_output()
        assert "1 live, 0 expired" in out
        line = next(line for line in out.splitlines() if shorten(key) in line)
        assert "[past its expiry, but the file engine keeps it]" in line

    @pytest.mark.parametrize("engine_name", ["db", "file"])
    def test_unreadable_records_are_marked_not_logged(
        self, use_settings, db, caplog, engine_name
    ):
        """Run by hand after a key change: one mark per record in the output,
        not one warning per record in the log."""
        use_settings(engine_name)
        with override_settings(SECRET_KEY="the key before the change"):
            key = make_session({"sname": "from before"})
        with caplog.at_level("WARNING", logger="django.security"):
            out = sessions_output()
        line = next(line for line in out.splitlines() if shorten(key) in line)
        assert line.endswith(
            "[cannot be decoded: signed with another SECRET_KEY, or changed]  {}"
        )
        assert not [r for r in caplog.records if "corrupted" in r.getMessage()]

    def test_file_listing_skips_files_that_are_not_sessions(self, use_settings, db):
        use_settings("file")
        key = make_session({"sname": "ada"})
        directory = settings.SESSION_FILE_PATH
        for name in ("notes.txt", "sessionid", f"sessionid{key}_out_abc123"):
            with open(os.path.join(directory, name), "w") as stray:
                stray.write("not a session")
        out = sessions_output("--expired")
        assert "1 live, 0 expired" in out
        assert "not a session" not in out


class TestCommandNotListable:
    def test_cache_engine_says_why(self, use_settings, db):
        use_settings("cache")
        key = make_session({"sname": "ada"})
        out = sessions_output("--expired", "--full-keys")
        assert "cannot list keys" in out
        assert "LocMemCache" in out
        assert "a command run from a shell is another process" in out
        assert key not in out

    def test_signed_cookies_engine_says_why(self, use_settings, db):
        use_settings("cookies")
        out = sessions_output()
        assert "keeps each session in the visitor's own cookie" in out

    def test_exits_with_status_zero(self, tmp_path):
        """Nothing to list is not an error, as for clearsessions."""
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "sitecore.settings.cache",
            "DJANGO_SECRET_KEY": "outside-views-test-only",
            "DJANGO_DB_PATH": str(tmp_path / "db.sqlite3"),
        }
        result = subprocess.run(
            [sys.executable, "manage.py", "sessions"],
            cwd=settings.BASE_DIR,
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert "cannot list keys" in result.stdout

    def test_help_documents_the_options_and_the_exit_status(self):
        text = Command().create_parser("manage.py", "sessions").format_help()
        for fragment in ("--full-keys", "--expired", "exits with status 0"):
            assert fragment in " ".join(text.split())


class TestPage:
    @pytest.mark.parametrize("engine_name", LISTABLE)
    def test_shows_counts_and_only_your_own_record(
        self, client, use_settings, db, engine_name
    ):
        use_settings(engine_name)
        client.get("/ssession")
        own_key = session_cookie(client).value
        other = Client()
        other.post(reverse("myapp:login"), {"username": "Mallory Secretname"})
        other_key = session_cookie(other).value
        response = client.get(PAGE)
        page = parse(response)
        # The file engine's page counts files: live or expired is inside each.
        counted = {"file": "2 session files"}.get(
            engine_name, "2 live sessions and 0 expired"
        )
        assert counted in page.text("outside-listing")
        own = page.text("outside-own")
        assert own.startswith(shorten(own_key))
        assert '"sname": "irfan"' in own
        content = response.content.decode()
        assert "Mallory Secretname" not in content
        assert other_key not in content
        assert shorten(other_key) not in content
        assert own_key not in page.raw_text("demo")

    @pytest.mark.parametrize(
        ("engine_name", "reason"),
        [("cache", "cannot list keys"), ("cookies", "visitor's own cookie")],
    )
    def test_unlistable_engines_explain_instead(
        self, client, use_settings, db, engine_name, reason
    ):
        use_settings(engine_name)
        client.get("/ssession")
        assert reason in parse(client.get(PAGE)).text("outside-listing")

    def test_the_run_form_returns_to_the_demo(self, client, db):
        page = parse(client.get(PAGE))
        actions = [form["action"] for form in page.by_id("demo").find_all("form")]
        assert actions == [RUN + "#demo"]

    def test_a_new_visitor_has_nothing_stored(self, client, db):
        text = parse(client.get(PAGE)).text("outside-own")
        assert text.startswith("You have no session key yet")


def stored_rows(count, data, expires_in=timedelta(days=1)):
    """count rows in django_session, written at once as a busy site leaves them."""
    now = timezone.now()
    Session.objects.bulk_create(
        Session(
            session_key=get_random_string(32, VALID_KEY_CHARS),
            session_data=data,
            expire_date=now + expires_in,
        )
        for _ in range(count)
    )


def stored_files(directory, count, text):
    for _ in range(count):
        key = get_random_string(32, VALID_KEY_CHARS)
        with open(os.path.join(directory, "sessionid" + key), "w") as file:
            file.write(text)


@pytest.fixture
def signatures_checked(monkeypatch):
    """How many signed values are checked: every decode of a session is one."""
    calls = []
    loads = signing.loads

    def counting_loads(*args, **kwargs):
        calls.append(args[0])
        return loads(*args, **kwargs)

    monkeypatch.setattr(signing, "loads", counting_loads)
    return calls


def corrupted_lines(caplog):
    return [r for r in caplog.records if r.getMessage() == "Session data corrupted"]


class TestPageCost:
    """Anyone can add sessions (any visitor whose first demo stores something
    does): the page must not cost more for each one, nor log a line for each
    one it cannot read."""

    def test_5000_rows_cost_no_more_queries_than_none(self, client, use_settings, db):
        use_settings("db")
        client.get("/ssession")
        client.get(PAGE)  # the first view records progress
        with CaptureQueriesContext(connection) as empty:
            client.get(PAGE)
        stored_rows(5000, session_store()().encode({"n": 1}))
        with CaptureQueriesContext(connection) as full:
            page = parse(client.get(PAGE))
        assert len(full) == len(empty) <= 8
        text = page.text("outside-listing")
        assert "more than 1,000 live sessions and 0 expired" in text

    def test_only_the_visitors_own_session_is_decoded(
        self, client, use_settings, db, signatures_checked
    ):
        """Three decodes of your own record at most (the middleware's load,
        the inspector, the listing), none of the 5,000 others."""
        use_settings("db")
        client.get("/ssession")
        others = session_store()().encode({"n": 1})
        stored_rows(5000, others)
        signatures_checked.clear()
        page = parse(client.get(PAGE))
        assert 1 <= len(signatures_checked) <= 3
        assert others not in signatures_checked
        assert '"sname": "irfan"' in page.text("outside-own")

    def test_the_file_engine_reads_no_other_file(
        self, client, use_settings, db, signatures_checked
    ):
        use_settings("file")
        client.get("/ssession")
        others = session_store()().encode({"n": 1})
        stored_files(settings.SESSION_FILE_PATH, 1500, others)
        signatures_checked.clear()
        page = parse(client.get(PAGE))
        assert 1 <= len(signatures_checked) <= 3
        assert others not in signatures_checked
        assert "more than 1,000 session files" in page.text("outside-listing")
        assert '"sname": "irfan"' in page.text("outside-own")

    def test_the_page_takes_as_long_at_5000_rows_as_at_none(
        self, client, use_settings, db
    ):
        """The best of seven views, so that load on the machine cancels out.
        Reading every row took about 20 times as long at 5,000."""

        def best_time():
            times = []
            for _ in range(7):
                start = time.perf_counter()
                client.get(PAGE)
                times.append(time.perf_counter() - start)
            return min(times)

        use_settings("db")
        client.get("/ssession")
        client.get(PAGE)
        empty = best_time()
        stored_rows(5000, session_store()().encode({"n": 1}))
        assert best_time() < 2 * empty + 0.01

    @pytest.mark.parametrize("engine_name", ["db", "file"])
    def test_records_signed_with_another_key_log_nothing_on_a_page_view(
        self, client, use_settings, db, caplog, engine_name
    ):
        """After a SECRET_KEY change every stored record fails its signature:
        the page must not log "Session data corrupted" once per record."""
        use_settings(engine_name)
        client.get("/ssession")
        with override_settings(SECRET_KEY="the key before the change"):
            old = session_store()().encode({"sname": "from before"})
        if engine_name == "db":
            stored_rows(50, old)
        else:
            stored_files(settings.SESSION_FILE_PATH, 50, old)
        with caplog.at_level("WARNING", logger="django.security"):
            response = client.get(PAGE)
        assert response.status_code == 200
        assert corrupted_lines(caplog) == []

    def test_your_own_unreadable_record_is_shown_as_such(
        self, client, use_settings, db, caplog
    ):
        """One line in the log, Django's own when it loads your session; the
        page and its inspector say why they cannot show the data instead of
        logging it again."""
        use_settings("db")
        client.get("/ssession")
        key = session_cookie(client).value
        with override_settings(SECRET_KEY="the key before the change"):
            old = session_store()().encode({"sname": "from before"})
        Session.objects.filter(pk=key).update(session_data=old)
        with caplog.at_level("WARNING", logger="django.security"):
            page = parse(client.get(PAGE))
        assert len(corrupted_lines(caplog)) == 1
        own = page.text("outside-own")
        assert own.startswith(shorten(key))
        assert "(cannot be decoded: signed with another SECRET_KEY, or changed)" in (
            page.text("inspector-stored")
        )
        assert "[cannot be decoded: signed with another SECRET_KEY, or changed]" in own


def transcript_of(client):
    return dict(client.session[TRANSCRIPT_KEY])


class TestRunRecipe:
    def test_runs_on_every_engine_and_loads_back_by_key(self, client, engine):
        response = client.post(RUN)
        assert response.status_code == 302
        assert response["Location"] == PAGE + "#outside-transcript"
        out = transcript_of(client)
        assert out["s.session_key is None"] == "True"
        assert out["s.save()"] == ""
        assert re.fullmatch(r"'.{8}…'", out["s.session_key"])
        assert out["SessionStore(session_key=first_key)['made_by']"] == "'a script'"
        unknown = f"SessionStore(session_key={UNKNOWN_KEY!r}).load()"
        assert out[unknown] == "{}"
        text = parse(client.get(PAGE)).text("outside-transcript")
        assert ">>> SessionStore(session_key=first_key)['made_by'] 'a script'" in text

    @pytest.mark.parametrize("engine_name", ["db", "cached_db"])
    def test_database_engines_have_a_row(self, client, use_settings, db, engine_name):
        use_settings(engine_name)
        client.post(RUN)
        out = transcript_of(client)
        decoded = out["Session.objects.get(pk=first_key).get_decoded()"]
        assert decoded == "{'made_by': 'a script'}"

    @pytest.mark.parametrize("engine_name", ["file", "cache", "cookies"])
    def test_other_engines_have_no_row(self, client, use_settings, db, engine_name):
        use_settings(engine_name)
        client.post(RUN)
        out = transcript_of(client)
        assert out["Session.objects.get(pk=first_key).get_decoded()"] == (
            "Session.DoesNotExist: Session matching query does not exist."
        )

    def test_create_makes_a_new_key_on_server_engines(self, client, server_engine):
        client.post(RUN)
        out = transcript_of(client)
        assert out["s.session_key == first_key"] == "False"
        assert out["SessionStore().exists(first_key)"] == "True"

    def test_create_keeps_the_key_with_signed_cookies(self, client, use_settings, db):
        use_settings("cookies")
        client.post(RUN)
        out = transcript_of(client)
        assert out["s.session_key == first_key"] == "True"
        assert out["SessionStore().exists(first_key)"] == "False"

    @pytest.mark.parametrize("engine_name", LISTABLE)
    def test_the_recipe_deletes_what_it_stored(
        self, client, use_settings, db, engine_name
    ):
        use_settings(engine_name)
        client.get("/ssession")
        client.post(RUN)
        assert "1 live, 0 expired" in sessions_output("--expired")

    def test_run_is_post_only(self, client, engine):
        assert client.get(RUN).status_code == 405
        assert session_cookie(client) is None

    def test_post_without_csrf_token_is_refused(self, engine):
        client = Client(enforce_csrf_checks=True)
        assert client.post(RUN).status_code == 403
        assert TRANSCRIPT_KEY not in client.session


class TestRunInShell:
    def test_behaves_like_the_interactive_shell(self):
        assert run_in_shell(["x = 1", "x + 1", "None", "1 / 0", "x"]) == [
            ["x = 1", ""],
            ["x + 1", "2"],
            ["None", ""],
            ["1 / 0", "ZeroDivisionError: division by zero"],
            ["x", "1"],
        ]
