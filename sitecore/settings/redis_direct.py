"""Sessions only in Redis, through the course's own engine (lesson 27).

The same Redis, timeouts, breaker interval and logging as redis.py; only the
engine differs: one GET per load and one SET per save, straight on redis-py,
instead of Django's cache engine and its cache layer. It finds Redis in
CACHES["default"] (SESSION_CACHE_ALIAS), so ``make run`` checks it the same
way (myapp/checks.py).
"""

from .redis import *  # noqa: F403

# A custom engine is named by its module path, like Django's own; Django's docs
# say what its SessionStore must do ("SessionStore objects", under "Technical details"):
# https://docs.djangoproject.com/en/5.2/topics/http/sessions/
SESSION_ENGINE = "myapp.session_backends.redis_direct"
