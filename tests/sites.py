"""More sites than the 19e: the content of another mairie, for the shared `demo` fixture (a
second site, paris-18) and tests/server/test_many_sites.py (20 sites).

Each site takes a few of the 19e's items under the SAME slugs (naissance, troc-livres,
carte-citoyenne...), so a page or API answer that picks "the" object of a slug, or "the"
site, shows the wrong mairie's words; each also has one service of its own."""

from __future__ import annotations

import copy

SHARED_SERVICES = ("naissance",)
SHARED_OFFERS = ("troc-livres", "visite-hotel-de-ville")


def other_site_data(demo: dict, slug: str, number: int) -> dict:
    """The demo JSON of another site ("Mairie du <number>e"), built from the 19e's."""
    name = f"Mairie du {number}e arrondissement"
    mark = f"mairie du {number}e"

    def pick(items, ids):
        return [copy.deepcopy(i) for i in items if i["id"] in ids]

    poles = pick(demo["poles"], ("citoyennete",))
    services = pick(demo["services"], SHARED_SERVICES)
    own = copy.deepcopy(services[0])
    own.update(id=f"ecrivain-public-{number}", prefix="E", order=2,
               name={"fr": f"Écrivain public du {number}e"},
               summary={"fr": f"Aide aux courriers, {mark}."}, documents=[])
    services.append(own)
    for service in services:
        service.pop("plan", None)
        service.pop("plan_x", None)
        service.pop("plan_y", None)
        service["place"] = {"fr": f"Rez-de-chaussée, {mark}"}
    offers = pick(demo["offers"], SHARED_OFFERS)
    for offer in offers:
        offer["title"] = {"fr": f"{offer['title']['fr']} ({mark})"}
        offer["where"] = f"Salle des fêtes, {mark}"
    pages = pick(demo["pages"], ("carte-citoyenne",))
    for page in pages:
        page["summary"] = {"fr": f"La Carte Citoyenne à la {mark}."}
    return {
        "site": {"id": slug, "name": name, "sms_name": f"Mairie {number}e",
                 "address": f"Place de la mairie, 750{number:02d} Paris"},
        "poles": poles, "services": services, "offers": offers, "pages": pages,
        "counters": [{"name": "Guichet 1", "open": True,
                      "services": [s["id"] for s in services]}],
    }
