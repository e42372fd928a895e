"""Which site (mairie) a public link means, when one server serves several.

A kiosk's QR links carry their site (`?site=<slug>`); slugs of services, offers and pages
repeat from one site to another ("naissance" in every mairie). A link without `?site=` still
works when it can mean only one site (a server with one site, or a slug only one site has);
when it could mean several, the visitor gets a page asking which mairie, in their language,
never a bare 404. `?site=` naming no site is a 404 (a wrong link, not a choice to make).
"""

from __future__ import annotations

import functools

from django.http import Http404
from django.shortcuts import render
from django.utils.http import urlencode

from kiosk.server.content.models import Site
from kiosk.server.web.language import page_context, tr, visitor_language


class SiteChoice(Exception):  # noqa: N818 -- a page to show, not an error
    """The link could mean several sites: the visitor chooses (see `choose_site`)."""

    def __init__(self, sites: list[Site]):
        super().__init__("several sites")
        self.sites = sorted(sites, key=lambda s: (s.name, s.slug))


def asked_site(request) -> str:
    return request.GET.get("site", "")


def site_of(request) -> Site:
    """The site of a page that belongs to no object (/proposer): `?site=`, else the only one."""
    slug = asked_site(request)
    if slug:
        site = Site.objects.filter(slug=slug).first()
        if site is None:
            raise Http404("site inconnu")
        return site
    sites = list(Site.objects.order_by("pk")[:2])
    if not sites:
        raise Http404("aucun site")
    if len(sites) > 1:
        raise SiteChoice(list(Site.objects.all()))
    return sites[0]


def one_of(request, queryset, what: str):
    """The one object of a public link among `queryset` (one slug, any site): `?site=`
    chooses; without it, the only one, or a choice between the sites that have it."""
    slug = asked_site(request)
    found = list(queryset.filter(site__slug=slug) if slug else queryset)
    if not found:
        raise Http404(f"{what} inconnu(e)")
    if len(found) > 1:
        raise SiteChoice([o.site for o in found])
    return found[0]


def site_query(site: Site) -> str:
    """`&site=<slug>` for the page's own links (language switch, Carte, offers): always, so
    a page reached by a slug only one site has still links to its own site's pages."""
    return f"&site={site.slug}"


def choose_site(request, sites: list[Site]):
    """A page listing the mairies the link could mean, each a link to the same page with its
    `?site=` (the visitor's other parameters kept). 300 Multiple Choices: not an error."""
    lang = visitor_language(request)
    params = {k: v for k, v in request.GET.items() if k != "site"}
    keep = f"&{urlencode(params)}" if params else ""
    choices = [{"name": s.name, "address": s.address,
                "href": f"{request.path}?{urlencode({'site': s.slug})}{keep}"} for s in sites]
    query = {k: v for k, v in request.GET.items() if k != "lang"}
    extra = f"&{urlencode(query)}" if query else ""
    response = render(request, "web/choose_site.html", {
        **page_context(lang, extra), "title": tr("site.choose_title"),
        "help": tr("site.choose_help"), "choices": choices,
    }, status=300)
    response["Cache-Control"] = "no-cache"
    response["X-Robots-Tag"] = "noindex"
    return response


def with_site_choice(view):
    """A public view whose link may mean several sites: SiteChoice becomes the choice page."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except SiteChoice as choice:
            return choose_site(request, choice.sites)

    return wrapped
