"""Forms of the seed examples: user input is validated before it is stored."""

from django import forms


class LoginForm(forms.Form):
    """A popular tutorial's name field, with the checks it left out.

    CharField strips surrounding whitespace by default, so a name of spaces
    becomes empty and fails ``required``.
    """

    username = forms.CharField(
        label="Your name",
        max_length=150,
        strip=True,
        help_text="Required. At most 150 characters.",
    )
