"""Reading and seeding the test client's session, the way lesson 22 teaches."""

from django.conf import settings


def stored(client):
    """The whole session as the store holds it now: what the next request sees.

    Mind that client.session creates and saves a session when the client has
    no cookie yet.
    """
    return dict(client.session.items())


def put_in_session(client, **values):
    """Write values into the client's session without a request.

    client.session is kept in a variable, changed and saved; the cookie is set
    again because a signed_cookies session's key is its data.
    """
    session = client.session
    session.update(values)
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
