"""Sign-in guard: throttles password guessing and refuses the published demo passwords on a deployment.

One authentication backend does both, so the EHR's login page, Django admin's and anything else
that calls `authenticate()` are guarded alike. Failed attempts are counted per user name and
client address in Django's cache (per process unless the cache is shared). The login forms
show the guard's reason instead of Django's generic "enter a correct username and password".
"""

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.core.exceptions import PermissionDenied

from seeddata.demo import DEFAULT_PASSWORDS

# Host names that only this machine can reach: a site serving only these is a local demo.
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1", "testserver"})


def demo_passwords_refused() -> bool:
    """Whether the published demo passwords are refused: debug off, reachable beyond this machine, not chosen."""
    if settings.DEBUG or settings.EHRGYM_ALLOW_DEMO_PASSWORDS:
        return False
    return any(host not in LOCAL_HOSTS for host in settings.ALLOWED_HOSTS)


def _failures_key(request, username: str) -> str:
    address = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    return f"login-failures:{address}:{username.strip().lower()}"


def refusal(request, username: str | None, password: str | None) -> str:
    """Why this sign-in is refused before the password is even checked ("" if it is not)."""
    username = username or ""
    if cache.get(_failures_key(request, username), 0) >= settings.EHRGYM_LOGIN_MAX_FAILURES:
        minutes = max(1, settings.EHRGYM_LOGIN_LOCKOUT_SECONDS // 60)
        return f"Too many failed sign-ins for {username!r} from this address: try again in {minutes} minutes."
    if password and DEFAULT_PASSWORDS.get(username) == password and demo_passwords_refused():
        return (f"{username!r} still has the published demo password, which this server refuses (it is reachable "
                f"beyond this machine). Choose another: set EHRGYM_DEMO_PASSWORD and run `manage.py setup_demo`, "
                f"or `manage.py changepassword {username}`.")
    return ""


class GuardedModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        reason = refusal(request, username, password)
        if reason:
            if request is not None:
                request.login_refusal = reason
            raise PermissionDenied(reason)  # stops every other backend too
        user = super().authenticate(request, username=username, password=password, **kwargs)
        key = _failures_key(request, username or "")
        if user is None:
            cache.add(key, 0, settings.EHRGYM_LOGIN_LOCKOUT_SECONDS)
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, settings.EHRGYM_LOGIN_LOCKOUT_SECONDS)
        else:
            cache.delete(key)
        return user


class _SaysWhyRefused:
    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            reason = getattr(self.request, "login_refusal", "")
            if reason:
                raise forms.ValidationError(reason, code="refused") from None
            raise


class GuardedAuthenticationForm(_SaysWhyRefused, AuthenticationForm):
    """The EHR's login form."""


class GuardedAdminAuthenticationForm(_SaysWhyRefused, AdminAuthenticationForm):
    """Django admin's login form."""
