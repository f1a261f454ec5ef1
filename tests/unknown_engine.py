"""A session engine the course's pages do not know, as a package's or your own
would be: ``SESSION_ENGINE = "tests.unknown_engine"``. It keeps the sessions
in a dictionary of this process, so nothing outside the engine can read them.
"""

from django.contrib.sessions.backends.base import CreateError, SessionBase

KEPT = {}


class SessionStore(SessionBase):
    def load(self):
        data = KEPT.get(self.session_key)
        if data is None:
            self._session_key = None  # an unknown key is never adopted
            return {}
        return dict(data)

    def exists(self, session_key):
        return session_key in KEPT

    def create(self):
        self._session_key = self._get_new_session_key()
        self.save(must_create=True)
        self.modified = True

    def save(self, must_create=False):
        if self.session_key is None:
            return self.create()
        if must_create and self.session_key in KEPT:
            raise CreateError
        KEPT[self.session_key] = dict(self._get_session(no_load=must_create))

    def delete(self, session_key=None):
        KEPT.pop(session_key or self.session_key, None)

    @classmethod
    def clear_expired(cls):
        """Nothing expires here: the dictionary lives as long as the process."""
