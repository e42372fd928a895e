"""One translation system for the server's public pages: gettext catalogs
(kiosk/server/locale), the visitor's language (?lang, the ticket's, Accept-Language), and
no French interface text on a page shown in another language."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.utils import translation

from kiosk.domain.languages import DRAFT_LANGUAGES
from kiosk.domain.po import read_po
from kiosk.server.web import catalogs
from tests.conftest import demo_data

pytestmark = pytest.mark.django_db

OTHERS = ("en", "ar", "zh", "wo", "bm")
KIOSK_LOCALE = catalogs.LOCALE_DIR.parent.parent / "ui" / "locale"
PLACEHOLDER = re.compile(r"\{[a-z_]*\}")


@pytest.fixture(autouse=True)
def static_root(settings, tmp_path):
    """whitenoise warns (an error here) when STATIC_ROOT does not exist: fresh checkouts."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()


def catalog(code: str) -> dict[str, str]:
    """The server's and the kiosk's words in `code` (pages show both: an offer's "when" is
    the kiosk's wording)."""
    kiosk = read_po(KIOSK_LOCALE / code / "LC_MESSAGES" / "kiosk.po")
    return {**{f"kiosk:{k}": v for k, v in kiosk.items() if v}, **catalogs.messages(code)}


def pattern(text: str) -> re.Pattern | None:
    """A catalog text as a pattern over rendered text ("{n} places" -> "\\S.* places");
    None for texts too short or too generic to tell a language by (placeholders, "OK")."""
    letters = re.sub(r"[\W\d_]", "", PLACEHOLDER.sub("", text))
    if len(letters) < 4:
        return None
    parts = PLACEHOLDER.split(" ".join(text.split()))
    return re.compile(".+?".join(re.escape(p) for p in parts), re.S)


def patterns(code: str) -> list[re.Pattern]:
    return [p for p in map(pattern, set(catalog(code).values())) if p]


class Texts(HTMLParser):
    """Every text node and human-facing attribute, with the language it is marked in."""

    ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")
    VOID = {"meta", "link", "input", "br", "img", "hr", "source"}

    def __init__(self):
        super().__init__()
        self.stack: list[tuple[str, str | None]] = []
        self.found: list[tuple[str, str]] = []  # (language, text)

    def lang(self) -> str:
        return next((lang for _, lang in reversed(self.stack) if lang), "")

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag not in self.VOID:
            self.stack.append((tag, attrs.get("lang")))
        here = attrs.get("lang") or self.lang()
        for name in self.ATTRIBUTES:
            if attrs.get(name):
                self.found.append((here, attrs[name]))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if self.stack and self.stack[-1][0] in ("script", "style"):
            return
        text = " ".join(data.split())
        if text:
            self.found.append((self.lang(), text))


def texts_of(page: str) -> list[tuple[str, str]]:
    parser = Texts()
    parser.feed(page)
    return parser.found


def french_left(page: str, code: str, french: list[re.Pattern],
                own: list[re.Pattern]) -> list[str]:
    """Texts of a page in `code` (not marked lang="fr") that are French interface words."""
    bad = []
    for lang, text in texts_of(page):
        if lang.startswith("fr"):
            continue  # marked French: a content fallback, the site's name, the French status
        if any(p.fullmatch(text) for p in french) and not any(p.fullmatch(text) for p in own):
            bad.append(text)
    return bad


# -- the pages ----------------------------------------------------------------------------


@pytest.fixture
def world(demo):
    """Tickets in every state the phone page draws, and the public pages' slugs."""
    from kiosk.server.content.models import Offer, Service
    from kiosk.server.queueing.counter_actions import do_call_next
    from kiosk.server.queueing.issuing import do_issue_ticket
    from kiosk.server.queueing.models import Counter

    counter = next(c for c in Counter.objects.filter(site=demo, is_open=True).order_by("name")
                   if c.services.filter(ticketing=True).exists())
    service = counter.services.filter(ticketing=True).order_by("slug").first()
    tickets = {}
    for code in ("fr", *OTHERS):
        tickets[code] = do_issue_ticket(service, language=code, phone="06 12 34 56 78",
                                        consent=True)[0]
    called = do_call_next(counter)  # the first one issued: fr
    waiting = {code: t for code, t in tickets.items() if t.pk != called.pk}
    info = Service.objects.filter(site=demo).exclude(documents=[]).order_by("slug").first()
    offer = Offer.objects.filter(site=demo, published=True).order_by("slug").first()
    return {"site": demo, "counter": counter, "service": service, "waiting": waiting,
            "called": called, "info": info or service, "offer": offer}


def pages(client, world, code: str) -> dict[str, str]:
    """Every public page, in `code` (?lang or the ticket's own language)."""
    site = world["site"]
    urls = {
        "phone (ticket's language)": (
            f"/t/{world['waiting'].get(code, world['called']).public_token}", {}),
        "phone called (?lang)": (f"/t/{world['called'].public_token}?lang={code}", {}),
        "phone on its way": (f"/t/{'A' * 22}?lang={code}", {}),
        "phone unknown link": (f"/t/{'!' * 5}?lang={code}", {}),
        "service": (f"/s/{world['info'].slug}?lang={code}&site=paris-19", {}),
        "offer": (f"/o/{world['offer'].slug}?lang={code}&site=paris-19", {}),
        "carte": (f"/carte?lang={code}&site=paris-19", {}),
        "proposer": (f"/proposer?lang={code}&site=paris-19", {}),
        "proposer thanks": (f"/proposer?lang={code}&merci=1&site=paris-19", {}),
        "board": (f"/ecran/{site.slug}/?lang={code}", {}),
        "unknown service": (f"/s/pas-un-service?lang={code}&site=paris-19", {}),
        "unknown page (Accept-Language)": ("/nulle-part/", {"HTTP_ACCEPT_LANGUAGE": code}),
    }
    out = {}
    for name, (url, headers) in urls.items():
        response = client.get(url, **headers)
        assert response.status_code in (200, 404), (name, response.status_code)
        out[name] = response.content.decode()
    # The proposal form with its errors (a title too long, no category).
    response = client.post(f"/proposer?lang={code}&site=paris-19", {"title": "x" * 500, "category": ""})
    out["proposer errors"] = response.content.decode()
    return out


def test_no_french_interface_text_on_a_page_in_another_language(client, world):
    french = patterns("fr")
    failures = {}
    for code in OTHERS:
        own = patterns(code)
        for name, page in pages(client, world, code).items():
            assert re.search(rf'<html lang="{code}" dir="(ltr|rtl)"', page), (code, name)
            left = french_left(page, code, french, own)
            if left:
                failures[f"{code} {name}"] = left
    assert failures == {}


def test_the_check_sees_french_left_on_a_page():
    """The check above can fail: a French label under lang="wo" is caught, the same text
    marked lang="fr" (a content fallback) is not."""
    french, own = patterns("fr"), patterns("wo")
    page = ('<html lang="wo"><body><h2>Horaires</h2><p>Jot nañu sa digle.</p>'
            '<p><span lang="fr">Horaires</span></p><p class="x">environ 12 min</p></body></html>')
    assert french_left(page, "wo", french, own) == ["Horaires", "environ 12 min"]


def test_no_catalog_key_is_ever_shown(client, world):
    keys = set(catalogs.messages("fr"))
    for code in ("fr", *OTHERS):
        for name, page in pages(client, world, code).items():
            shown = {text for _, text in texts_of(page)}
            assert not shown & keys, (code, name, shown & keys)


# -- the catalogs ------------------------------------------------------------------------


def test_the_six_catalogs_have_the_same_keys_and_fields():
    french = catalogs.messages("fr")
    for code in OTHERS:
        other = catalogs.messages(code)
        assert set(other) == set(french), code
        for key, text in other.items():
            fields, french_fields = set(PLACEHOLDER.findall(text)), set(PLACEHOLDER.findall(french[key]))
            if key.startswith("count."):  # Arabic says "one place", "two places" in words
                assert fields <= french_fields, (code, key)
            else:
                assert fields == french_fields, (code, key)


def test_wolof_and_bambara_are_marked_as_drafts():
    for code in DRAFT_LANGUAGES:
        po = catalogs.po_path(code).read_text(encoding="utf-8")
        entries = po.count("\nmsgid ") - 1  # the header
        assert po.count("#. draft: not reviewed by a native speaker") == entries
        assert "#, fuzzy" not in po  # Django would drop fuzzy entries


def test_compiled_catalogs_are_what_django_reads(tmp_path, monkeypatch):
    monkeypatch.setattr(catalogs, "LOCALE_DIR", tmp_path)
    target = catalogs.po_path("wo")
    target.parent.mkdir(parents=True)
    target.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                      'msgid "phone.leave"\nmsgstr "Dama dem"\n', encoding="utf-8")
    assert catalogs.compile_catalogs() == ["wo"]
    assert catalogs.compile_catalogs() == []  # up to date: nothing to do
    import gettext

    with open(catalogs.mo_path("wo"), "rb") as fh:
        assert gettext.GNUTranslations(fh).gettext("phone.leave") == "Dama dem"
    with translation.override("bm"):
        assert translation.gettext("phone.leave") == "N bɛ taa"  # the real catalogs


# -- which language -------------------------------------------------------------------------


def test_accept_language_when_no_lang_and_no_ticket(client, world):
    page = client.get(f"/s/{world['info'].slug}?site=paris-19", HTTP_ACCEPT_LANGUAGE="ar,fr;q=0.5")
    assert page["Content-Language"] == "ar"
    assert '<html lang="ar" dir="rtl">' in page.content.decode()
    asked = client.get(f"/s/{world['info'].slug}?lang=zh&site=paris-19", HTTP_ACCEPT_LANGUAGE="ar")
    assert '<html lang="zh" dir="ltr">' in asked.content.decode()
    # The ticket's own language beats the browser's; ?lang beats both.
    token = world["waiting"]["wo"].public_token
    assert '<html lang="wo"' in client.get(f"/t/{token}", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en"' in client.get(f"/t/{token}?lang=en").content.decode()


def test_the_phone_page_offers_a_language_switch_and_keeps_the_choice(client, world):
    token = world["waiting"]["ar"].public_token
    page = client.get(f"/t/{token}?lang=zh").content.decode()
    for code, name, direction in (("fr", "Français", "ltr"), ("ar", "العربية", "rtl"),
                                  ("wo", "Wolof", "ltr"), ("bm", "Bamanankan", "ltr")):
        assert (f'<a href="?lang={code}" lang="{code}" hreflang="{code}" dir="{direction}"'
                in page) and f">{name}</a>" in page
    assert 'aria-current="true">中文</a>' in page
    # The live state and the visitor's actions keep the chosen language.
    assert f'data-state-url="/t/{token}/etat.json?lang=zh"' in page
    assert client.get(f"/t/{token}/etat.json?lang=zh").json()["status_text"] == "等候中"
    assert client.get(f"/t/{token}/etat.json").json()["status_text"] == "في الانتظار"
    left = client.post(f"/t/{token}/partir?lang=zh")
    assert left.status_code == 302 and left["Location"] == f"/t/{token}?lang=zh"


def test_a_french_fallback_is_marked_french(client, world):
    """A content field with no translation shows the French, marked lang="fr"; a translated
    one is not marked."""
    from kiosk.server.content.models import Service

    service = world["info"]
    Service.objects.filter(pk=service.pk).update(
        name={"fr": "Déclaration de naissance", "bm": "Bangeli sɛbɛn"},
        place={"fr": "Rez-de-chaussée, porte B"})
    page = client.get(f"/s/{service.slug}?lang=bm&site=paris-19").content.decode()
    assert '<span lang="fr" dir="ltr">Rez-de-chaussée, porte B</span>' in page
    assert ">Bangeli sɛbɛn<" in page and '<span lang="fr" dir="ltr">Déclaration' not in page
    assert "<title>Bangeli sɛbɛn — Meri</title>" in page  # plain text in the title


def test_an_unknown_ticket_link_gets_a_page_in_the_visitors_language(client):
    response = client.get("/t/pas-un-jeton!", HTTP_ACCEPT_LANGUAGE="ar")
    assert response.status_code == 404
    page = response.content.decode()
    assert '<html lang="ar" dir="rtl">' in page and "هذا الرابط لا يؤدي إلى أي تذكرة" in page
    assert 'name="viewport"' in page and 'data-testid="languages"' in page
    generic = client.get("/nulle-part/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert generic.status_code == 404 and "找不到页面" in generic.content.decode()
    assert "Not Found" not in generic.content.decode()


# -- the agent learns the visitor's language --------------------------------------------------


def agent_client(client):
    a = next(a for a in demo_data()["agents"] if a.get("role", "counter") == "counter")
    assert client.login(username=a["username"], password=a["password"])
    return client


def test_the_console_shows_each_tickets_language(client, world):
    agent = agent_client(client)
    counter = world["counter"]
    state = agent.get(f"/guichet/{counter.pk}/etat.json").json()
    rows = {row["number"]: row for row in state["waiting"]}
    arabic = rows[world["waiting"]["ar"].display]
    assert (arabic["language"], arabic["language_name"], arabic["language_dir"]) == (
        "ar", "العربية", "rtl")
    page = agent.get(f"/guichet/{counter.pk}/").content.decode()
    assert '<b class="code">AR</b> <span lang="ar" dir="rtl">العربية</span>' in page
    assert '<b class="code">ZH</b> <span lang="zh" dir="ltr">中文</span>' in page
    assert state["current"]["language"] == "fr"


def test_the_issue_form_keeps_the_agents_last_language(client, world):
    agent = agent_client(client)
    url = f"/guichet/{world['counter'].pk}/ticket/"
    form = agent.get(url).content.decode()
    assert re.search(r'<option value="fr" selected[^>]*>Français \(fr\)</option>', form)
    assert "العربية (ar)" in form
    done = agent.post(url, {"service": world["service"].slug, "language": "ar", "priority": ""})
    assert done.status_code == 302
    after = agent.get(done["Location"]).content.decode()
    assert '<span lang="ar" dir="rtl">العربية</span>' in after  # the issued ticket's language
    assert re.search(r'<option value="ar" selected[^>]*>', after)


def test_the_board_shows_the_language_of_the_call(client, world):
    page = client.get(f"/ecran/{world['site'].slug}/").content.decode()
    assert 'data-testid="latest-language" lang="fr" dir="ltr">Français</span>' in page
    call = client.get(f"/ecran/{world['site'].slug}/etat.json").json()["calls"][0]
    assert call["language_name"] == "Français"
    english = client.get(f"/ecran/{world['site'].slug}/etat.json?lang=en").json()["calls"][0]
    assert english["counter"].startswith("Counter ") or english["named"]
