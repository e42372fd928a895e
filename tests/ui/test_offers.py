"""The Carte Citoyenne, the neighbourhood's offers and today's events, under Xvfb with real
touches against the demo server; read-aloud in Wolof plays the recording content provides.
Screenshots: tests/artifacts/screenshots/flows-{home-entries,carte,carte-ar,offers,offer,notice-wo}.png"""

from __future__ import annotations

import datetime as dt
import wave
from pathlib import Path

import pytest

from kiosk.domain.content import AGES, current_offers, offers_on, parse_item, select_offers
from tests.conftest import demo_data
from tests.support import siteclock
from tests.support.patience import NEVER
from tests.ui.conftest import REQUEST_TIMEOUT, screen_section

pytestmark = pytest.mark.ui
ROOT = Path(__file__).resolve().parents[2]


def demo_offers():
    return [parse_item("offer", o) for o in demo_data()["offers"]]


def write_wav(path: Path, seconds: float = 0.2) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"\x00\x00" * int(16000 * seconds))


@pytest.fixture
def offers_config(server, tmp_path):
    """A kiosk whose assets hold a Wolof recording of the AMAP offer, set on the server."""
    assets = tmp_path / "assets"
    assets.mkdir()
    for part in ("pictograms", "plans"):
        (assets / part).symlink_to(ROOT / "assets" / part)
    write_wav(assets / "audio" / "amap-wo.wav")
    server.manage("shell", "-c", (
        "from kiosk.server.content.models import Offer; o = Offer.objects.get(slug='amap-buttes'); "
        "o.audio = {'wo': 'amap-wo.wav'}; o.full_clean(); o.save()"))
    config = tmp_path / "kiosk.toml"
    config.write_text(
        "[server]\n"
        f'server_url = "{server.url}"\ntoken = "{server.kiosk_token}"\n'
        f"sync_interval = 5.0\nrequest_timeout = {REQUEST_TIMEOUT}\n\n"
        f'[kiosk]\ndata_dir = "{tmp_path / "k"}"\nassets_dir = "{assets}"\n'
        f"idle_timeout = {NEVER}\n\n"  # a scripted run: no idle reset (tests/ui/conftest.py)
        + screen_section(),
        encoding="utf-8")
    yield config
    server.manage("shell", "-c", (
        "from kiosk.server.content.models import Offer; o = Offer.objects.get(slug='amap-buttes'); "
        "o.audio = {}; o.save()"))


def test_carte_citoyenne_offers_and_wolof_recording(run_kiosk, offers_config):
    result = run_kiosk("offers", offers_config, "--param", "offer=amap-buttes",
                       "--param", "service=naissance")
    today = siteclock.site_today()
    offers = demo_offers()
    # The agents' announcement on the home screen; Christmas and its eve on a service.
    assert result["announcement"] == demo_data()["announcements"][0]["text"]["fr"]
    assert result["announcement_urgent"] is False
    assert result["christmas_hours"].startswith("Fermé aujourd'hui (Noël)")
    assert result["eve_hours"].startswith("08:30 – 12:00") and "Veille de Noël" in result["eve_hours"]
    page = demo_data()["pages"][0]
    # The Carte Citoyenne: who may have it, a QR code to order it, the offers it opens.
    assert result["carte_title"] == page["title"]["fr"]
    assert "7 ans" in result["carte_summary"] and "Gratuite" in result["carte_summary"]
    assert result["carte_paragraphs"] == len(page["body"])
    assert result["carte_qr"] is True
    assert result["carte_offers"] == [f"offer-{o.id}" for o in current_offers(offers, today, "carte")]
    assert result["carte_offer_opened"] == current_offers(offers, today, "carte")[0].id
    assert result["carte_offer_source"] == "Avec la Carte Citoyenne"
    # The neighbourhood: every offer; "today" = what happens today; then for a child, near.
    assert result["offers_all"] == [f"offer-{o.id}" for o in current_offers(offers, today)]
    assert result["offers_today"] == [f"offer-{o.id}" for o in offers_on(offers, today)]
    child = select_offers(offers, "all", today, age=AGES["child"])
    assert result["offers_child"] == [f"offer-{o.id}" for o in child]
    assert "offer-benevolat-associations" not in result["offers_child"]  # from 16
    assert "offer-heure-du-conte" in result["offers_child"]  # 7 to 11
    near = [o for o in child if o.walking_minutes is not None and o.walking_minutes <= 10]
    assert result["offers_child_near"] == [f"offer-{o.id}" for o in near]
    assert 0 < len(near) < len(child)
    if not result["offers_today"]:
        assert "Rien de prévu" in result["offers_today_empty"]
    assert set(result["offers_week"]) <= set(result["offers_all"])
    # One offer: when (weekday and hours), where (with the walk), its phone page as a QR.
    # The same words as the offer's phone page (kiosk.domain.offer_text).
    # On a Thursday the line starts with "Aujourd'hui · ".
    assert result["offer_when"].endswith("Chaque jeudi, 18:30–20:00")
    assert "Armand-Carrel" in result["offer_where"] and "3" in result["offer_where"]
    assert result["offer_qr"] is True
    # Wolof: no espeak-ng voice; the recording the content names is played, nothing else.
    assert [Path(p).name for p in result["wo_played"]] == ["amap-wo.wav"]
    assert result["wo_notice"] == ""
    # A screen without a recording answers with a pictogram and an agent, not in writing.
    assert result["wo_list_notice"] == ""
    assert result["wo_list_no_voice"] == "speaker-none.png"
    assert result["notice_after_touch"] is False  # its close button closes it
    # Arabic: the page title in Arabic.
    assert result["carte_title_ar"] == page["title"]["ar"]


def test_while_you_wait_shows_todays_events(run_kiosk, server, tmp_path):
    from tests.ui.test_flows import printer_section, write_flow_config

    config = write_flow_config(tmp_path / "kiosk.toml", server.url, server.kiosk_token,
                               tmp_path / "k", extra=printer_section(tmp_path / "p.bin"))
    result = run_kiosk("situation_ticket", config, "--param", "situation=naissance-enfant",
                       "--param", "service=naissance")
    day = dt.date.fromisoformat(result["today"])
    expected = [f"offer-{o.id}" for o in offers_on(demo_offers(), day)]
    assert expected, "the demo content has an event every day of the week"
    assert result["events"] == expected
    assert result["places"][0] == "place-parc-buttes-chaumont"


def test_a_resident_proposes_an_activity_at_the_kiosk(run_kiosk, server, tmp_path):
    import json

    from tests.ui.test_flows import api, write_flow_config

    config = write_flow_config(tmp_path / "kiosk.toml", server.url, server.kiosk_token,
                               tmp_path / "k")
    result = run_kiosk("propose", config, "--param", "title=troc de plantes",
                       "--param", "category=swap")
    assert result["next_disabled_empty"] is True and result["send_disabled_before"] is True
    assert result["typed"] == "troc de plantes" and result["qr"] is True
    assert result["thanks"].startswith("Merci")
    tomorrow = dt.date.fromisoformat(result["payload"]["date"])
    assert result["payload"]["title"] == "troc de plantes"
    assert result["payload"]["category"] == "swap"
    assert "contact" not in result["payload"]  # personal data: forgotten once the server has it
    assert tomorrow - siteclock.site_today() == dt.timedelta(days=1)  # the site clock: 10:00
    assert result["answer"]["status"] == "pending"
    assert result["typed_after"] == ""  # nothing left for the next visitor
    assert result["zh_keyboard"] is False
    # On the server: waiting for a moderator, unseen by every kiosk.
    stored = json.loads(server.manage("shell", "-c", (
        "import json; from kiosk.server.content.models import Offer; "
        f"o = Offer.objects.get(slug={result['answer']['id']!r}); "
        "print(json.dumps([o.status, o.published, o.title, o.category]))"), quiet=False
    ).strip().splitlines()[-1])
    assert stored == ["pending", False, {"fr": "troc de plantes"}, "swap"]
    offers = [i["data"]["id"] for i in api(server, "/content")["items"] if i["kind"] == "offer"]
    assert result["answer"]["id"] not in offers


def test_envies_chips_filter_the_offers_and_the_idle_reset_forgets_them(run_kiosk, server,
                                                                         tmp_path):
    """Screenshots: tests/artifacts/screenshots/flows-offers-interests{,-ar}.png"""
    from kiosk.domain.content import INTERESTS, offer_interests
    from kiosk.ui import theme
    from tests.ui.conftest import write_config

    config = write_config(tmp_path / "kiosk.toml", server.url, server.kiosk_token, tmp_path / "k")
    config.write_text(config.read_text(encoding="utf-8") + "screen_dpi = 160.0\n",
                      encoding="utf-8")
    result = run_kiosk("offers_interests", config)
    today = siteclock.site_today()
    offers = demo_offers()
    tids = lambda chosen: [f"offer-{o.id}" for o in chosen]  # noqa: E731
    every = tids(current_offers(offers, today))
    # Search: "jard" finds the envie "Nature et jardin", which opens its offers.
    assert "result-interest-nature" in result["search_results"]
    assert result["offers_nature"] == tids(select_offers(offers, "all", today, interests=["nature"]))
    assert "offer-amap-buttes" in result["offers_nature"] and result["offers_nature"] != every
    # Only the envies some current offer has, in the vocabulary's order.
    present = offer_interests(current_offers(offers, today))
    assert result["chips"] == [f"interest-{s}" for s in present] and "interest-nature" in result["chips"]
    assert set(present) <= set(INTERESTS)
    # Large targets: every chip (and every other target) at least 44 px and 9 mm at 160 dpi.
    minimum = theme.min_target_px(160.0)
    chips = [t for t in result["targets"] + result["targets_ar"] if t["tid"].startswith("interest-")]
    assert chips and all(min(t["width"], t["height"]) >= minimum - 0.5 for t in chips), chips
    small = [t for t in result["targets"] if min(t["width"], t["height"]) < minimum - 0.5]
    assert not small, small
    # Two envies: an offer with either; with an age too; one touched again goes off.
    both = select_offers(offers, "all", today, interests=["nature", "numerique"])
    assert result["offers_nature_numerique"] == tids(both)
    assert len(both) > len(result["offers_nature"]) and "offer-atelier-numerique" in tids(both)
    assert result["selected"] == ["interest-nature", "interest-numerique"]
    assert result["offers_child_nature_numerique"] == tids(select_offers(
        offers, "all", today, age=AGES["child"], interests=["nature", "numerique"]))
    assert result["offers_child_numerique"] == tids(select_offers(
        offers, "all", today, age=AGES["child"], interests=["numerique"]))
    # Read aloud: what is chosen, then the offers; nothing chosen: how to choose.
    assert "Vos choix\u00a0: Tout, Tous âges, Nature et jardin, Numérique" in result["speech"]
    assert "AMAP" in result["speech"]
    assert "اختياراتك" in result["speech_none_chosen"]
    assert "المس اهتماماً أو أكثر" in result["speech_none_chosen"]
    # The idle reset: the next visitor's envies are theirs.
    assert result["before_reset"] == ["numerique"]
    assert result["after_reset"] == [[], "all"] and result["chips_selected_after_reset"] == []
    assert result["offers_after_reset"] == every
    # Arabic: translated chips, laid out right to left (the first envie on the right).
    assert result["chip_labels_ar"][present.index("nature")] == "طبيعة وحدائق"
    xs = result["chip_x_ar"]
    assert xs == sorted(xs, reverse=True), xs
    assert result["offers_nature_ar"] == result["offers_nature"]
