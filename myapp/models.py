"""The course's own tables: a session model (lesson 19), a cart counter (lesson 20)."""

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils import timezone


class ActiveSession(AbstractBaseSession):
    """Django's session row (key, data, expiry) plus who, from where and when.

    Plain columns, so "every session of this user" is one indexed query;
    in django_session the user id hides inside the signed data of each row.
    The store fills them (myapp.active_sessions): write sessions through it.
    ``ActiveSession.objects.save()`` is Django's BaseSessionManager.save(): it
    builds the row from key, data and expiry alone, resetting the rest.
    """

    # Deleting a user deletes their sessions: a session of nobody is useless.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="active_sessions",
    )
    user_agent = models.CharField(max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    last_activity = models.DateTimeField(default=timezone.now)

    @classmethod
    def get_session_store_class(cls):
        # Imported when called, as Django's Session model does: the engine
        # imports this model the same way, so neither needs the other loaded.
        from myapp.active_sessions import SessionStore

        return SessionStore


class CartCounter(models.Model):
    """Lesson 20's fix: a count the database increments in place.

    ``UPDATE ... SET count = count + 1`` is one statement the database applies
    atomically, so parallel requests cannot overwrite each other's additions.
    """

    # A random id kept in the session; not the session key, which changes at
    # login (cycle_key) and, with signed cookies, on every save.
    cart_id = models.CharField(max_length=64, unique=True)
    count = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"cart {self.cart_id}: {self.count}"
