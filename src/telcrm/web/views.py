"""The staff web app's entry points: the landing page and the language switch."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from telcrm.users.models import User
from telcrm.web.scope import sees_customers


def staff(request: HttpRequest) -> User:
    """The logged-in member of staff (views are all behind ``login_required``)."""
    assert isinstance(request.user, User)
    return request.user


def staff_allowed(request: HttpRequest, allowed: Callable[[User], bool]) -> User:
    """The logged-in member of staff, if ``allowed`` lets their role in (else 403)."""
    user = staff(request)
    if not allowed(user):
        raise PermissionDenied
    return user


def is_htmx(request: HttpRequest) -> bool:
    """Whether HTMX sent the request (it wants a part of the page, not all of it)."""
    return request.headers.get("HX-Request") == "true"


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Where each role starts: what it may open from here."""
    user = staff(request)
    return render(request, "web/home.html", {"sees_customers": sees_customers(user)})


@require_POST
@login_required
def language_set(request: HttpRequest) -> HttpResponse:
    """Save the user's language and go back where they were."""
    user = staff(request)
    language = request.POST.get("language", "")
    if language in dict(settings.LANGUAGES):
        user.language = language
        user.save(update_fields=["language"])
    back = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = "/"
    return HttpResponseRedirect(back)
