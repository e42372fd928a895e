"""The answer to a login refused because the account is locked (django-axes): the login
page again, with a message that says why and for how long, status 429."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.forms import AuthenticationForm
from django.forms.utils import ErrorDict
from django.shortcuts import render


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return (f"Trop de mots de passe erronés pour ce compte : il est bloqué pendant {minutes} "
            "minutes. Réessayez plus tard, ou demandez à un administrateur de le débloquer.")


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the agents' login page, or the back-office's for /admin/."""
    message = lockout_message()
    in_admin = request.path.startswith("/admin/")
    form_class = AdminAuthenticationForm if in_admin else AuthenticationForm
    # A bound form showing the message, without validating it again (that would try the
    # password once more and count one more failure).
    form = form_class(request, data={"username": request.POST.get("username", "")})
    form._errors = ErrorDict({"__all__": form.error_class([message], error_class="nonfield")})
    redirect_to = request.POST.get(REDIRECT_FIELD_NAME, request.GET.get(REDIRECT_FIELD_NAME, ""))
    context = {"form": form, "locked_out": message, REDIRECT_FIELD_NAME: redirect_to}
    if in_admin:
        context.update(admin.site.each_context(request), title="Connexion",
                       app_path=request.get_full_path(), username=request.user.get_username())
        return render(request, "admin/login.html", context, status=429)
    return render(request, "registration/login.html", context, status=429)
