"""Sessions as files on disk, one file per session key."""

from .base import *  # noqa: F403
from .base import VAR_DIR

# https://docs.djangoproject.com/en/5.2/topics/http/sessions/#using-file-based-sessions
SESSION_ENGINE = "django.contrib.sessions.backends.file"

# Inside the project (git-ignored) rather than the shared temp directory, so a
# learner can open the files. Django refuses to start a session if it is missing.
SESSION_FILE_PATH = VAR_DIR / "sessions"
SESSION_FILE_PATH.mkdir(parents=True, exist_ok=True)
