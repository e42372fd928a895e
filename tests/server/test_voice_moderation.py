"""The visitor's voice, managers' side: moderation in the back-office (per site), published
answers on the public page, satisfaction per service and week (numbers, plot, CSV)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid

import pytest
from django.utils import timezone

from tests.server.test_contributions import staff

pytestmark = pytest.mark.django_db


def _question(site, text, service=None, language="fr"):
    from kiosk.server.voice.services import ask_question

    return ask_question(site, text, service=service, language=language)


# -- moderation --------------------------------------------------------------------------------


def test_a_moderator_answers_and_publishes_a_question(client, demo):
    from kiosk.server.voice.models import Remark

    question = _question(demo, "Le samedi, faut-il un rendez-vous ?")
    client.force_login(staff("modo", demo, "moderator"))
    listing = client.get("/admin/voice/remark/").content.decode()
    assert "Le samedi, faut-il un rendez-vous ?" in listing
    url = f"/admin/voice/remark/{question.pk}/change/"
    page = client.get(url).content.decode()
    assert 'data-testid="publish"' in page and "Réponse de la mairie" in page
    # A question is published with its answer, never without.
    refused = client.post(url, {"decision": "publish", "answer": ""})
    assert refused.status_code == 200 and "Écrivez une réponse" in refused.content.decode()
    assert not Remark.objects.get().published
    done = client.post(url, {"decision": "publish",
                             "answer": "Non : le samedi matin, sans rendez-vous."})
    assert done.status_code == 302
    question.refresh_from_db()
    assert question.published and question.status == "kept" and question.published_at
    assert question.answer == "Non : le samedi matin, sans rendez-vous."
    assert question.moderated_by.username == "modo"


def test_a_refused_message_is_erased_and_never_shown(client, demo):
    question = _question(demo, "Texte insultant")
    client.force_login(staff("modo", demo, "moderator"))
    client.post(f"/admin/voice/remark/{question.pk}/change/", {"decision": "reject"})
    question.refresh_from_db()
    assert (question.status, question.text, question.published) == ("rejected", "", False)
    assert "Texte insultant" not in client.get("/avis/paris-19/").content.decode()


def test_moderators_see_only_their_sites(client, demo, paris18):
    ours = _question(demo, "Question du 19e")
    theirs = _question(paris18, "Question du 18e")
    client.force_login(staff("modo19", demo, "moderator"))
    listing = client.get("/admin/voice/remark/").content.decode()
    assert "Question du 19e" in listing and "Question du 18e" not in listing
    assert client.get(f"/admin/voice/remark/{theirs.pk}/change/").status_code in (302, 403, 404)
    assert client.post(f"/admin/voice/remark/{theirs.pk}/change/",
                       {"decision": "publish", "answer": "x"}).status_code in (302, 403, 404)
    theirs.refresh_from_db()
    assert not theirs.published
    assert client.get(f"/admin/voice/remark/{ours.pk}/change/").status_code == 200
    # A counter agent is no moderator; a superuser sees every site.
    client.force_login(staff("v-agent", demo, "counter"))
    assert client.get("/admin/voice/remark/").status_code == 403
    client.force_login(staff("v-root", superuser=True))
    listing = client.get("/admin/voice/remark/").content.decode()
    assert "Question du 19e" in listing and "Question du 18e" in listing


# -- the public page ---------------------------------------------------------------------------


def test_the_public_page_shows_published_answers_only_of_its_site(client, demo, paris18):
    from kiosk.server.voice.services import keep

    published = _question(demo, "Où déposer un dossier ?", language="ar")
    keep(published, None, "À l'accueil, au rez-de-chaussée.", publish=True)
    kept = _question(demo, "Gardée mais pas publiée")
    keep(kept, None, "", publish=False)
    _question(demo, "En attente de modération")
    other = _question(paris18, "Question publiée du 18e")
    keep(other, None, "Réponse du 18e", publish=True)
    page = client.get("/avis/paris-19/?lang=fr").content.decode()
    assert page.count('data-testid="answer-item"') == 1
    assert "Où déposer un dossier ?" in page and "À l&#x27;accueil" in page
    assert 'lang="ar" dir="rtl">Où déposer' in page  # the visitor's words keep their language
    for hidden in ("Gardée mais pas publiée", "En attente", "du 18e"):
        assert hidden not in page
    arabic = client.get("/avis/paris-19/?lang=ar").content.decode()
    assert '<html lang="ar" dir="rtl">' in arabic and "أسئلتكم وأجوبتنا" in arabic
    assert client.get("/avis/nulle-part/").status_code == 404
    empty = client.get("/avis/paris-18/?lang=en")
    assert "Your questions, our answers" in empty.content.decode()


def test_the_phone_page_links_to_the_answers(client, demo):
    from kiosk.server.queueing.counter_actions import do_call_next, do_finish_current
    from kiosk.server.queueing.issuing import do_issue_ticket
    from kiosk.server.queueing.models import Counter

    counter = next(c for c in Counter.objects.filter(site=demo, is_open=True)
                   if c.services.filter(ticketing=True).exists())
    ticket, _ = do_issue_ticket(counter.services.filter(ticketing=True).first(), language="zh")
    do_call_next(counter)
    do_finish_current(counter)
    page = client.get(f"/t/{ticket.public_token}").content.decode()
    assert 'href="/avis/paris-19/?lang=zh"' in page and "区政府的答复" in page


# -- statistics --------------------------------------------------------------------------------


@pytest.fixture
def answers(demo):
    """Faces in two weeks for two services and one pole (kiosk), with known numbers."""
    from kiosk.server.content.models import Pole, Service
    from kiosk.server.voice.models import Feedback, Remark

    services = list(Service.objects.filter(site=demo, ticketing=True).order_by("slug")[:2])
    pole = Pole.objects.filter(site=demo).order_by("slug").first()
    monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday() + 7)
    at = timezone.make_aware(dt.datetime.combine(monday, dt.time(10)))
    plan = [(services[0], None, 0, [5, 4, 4]), (services[0], None, 7, [2]),
            (services[1], None, 1, [1, 3]), (None, pole, 8, [5, 5])]
    for service, pol, days, faces in plan:
        for face in faces:
            feedback = Feedback.objects.create(
                site=demo, service=service, pole=pol, face=face, via="kiosk" if pol else "phone",
                created_at=at + dt.timedelta(days=days), updated_at=at)
            if face == 1:
                Remark.objects.create(site=demo, kind="comment", feedback=feedback, text="Trop long",
                                      created_at=at)
    return {"services": services, "pole": pole, "monday": monday}


def test_satisfaction_per_service_and_week(client, demo, answers):
    from kiosk.server.stats.queries import Period
    from kiosk.server.voice.stats import satisfaction_stats

    monday = answers["monday"]
    first, second = (s.text("name") for s in answers["services"])
    pole = f"{answers['pole'].text('name')} (borne)"
    stats = satisfaction_stats(demo, Period(monday, monday + dt.timedelta(days=13)))
    assert stats.weeks == [monday, monday + dt.timedelta(days=7)]
    assert stats.total.count == 8 and stats.total.mean == pytest.approx(29 / 8)
    assert stats.by_service[first].count == 4
    assert stats.by_service[first].mean == pytest.approx(15 / 4)
    cell = stats.cells[(monday, first)]
    assert (cell.count, cell.mean, cell.counts) == (3, pytest.approx(13 / 3),
                                                     {1: 0, 2: 0, 3: 0, 4: 2, 5: 1})
    assert stats.cells[(monday, second)].counts == {1: 1, 2: 0, 3: 1, 4: 0, 5: 0}
    assert stats.cells[(monday + dt.timedelta(days=7), pole)].mean == 5
    assert stats.comments == {(monday, second): 1}
    # The period's bounds are days: a week outside is not counted.
    assert satisfaction_stats(demo, Period(monday, monday + dt.timedelta(days=6))).total.count == 5


def test_the_satisfaction_page_and_csv_for_managers_only(client, demo, answers, paris18):
    monday = answers["monday"]
    query = f"?from={monday}&to={monday + dt.timedelta(days=13)}"
    url = "/stats/paris-19/satisfaction/"
    client.force_login(staff("modo", demo, "moderator"))
    assert client.get(url + query).status_code == 403
    client.force_login(staff("chef18", paris18, "admin"))
    assert client.get(url + query).status_code == 403
    client.force_login(staff("chef", demo, "admin"))
    page = client.get(url + query).content.decode()
    assert 'data-testid="answers-count">8<' in page and 'data-testid="mean-face">3,6<' in page
    for chart in ("chart-satisfaction-services", "chart-satisfaction-weeks",
                  "chart-satisfaction-faces"):
        assert f'id="{chart}"' in page and "<svg" in page
    response = client.get("/stats/paris-19/satisfaction.csv" + query)
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == ["week", "service", "answers", "mean_face", "face_1", "face_2", "face_3",
                       "face_4", "face_5", "comments"]
    first = answers["services"][0].text("name")
    assert [monday.isoformat(), first, "3", "4,33", "0", "0", "0", "2", "1", "0"] in rows
    assert len(rows) == 1 + 4  # (week, service) cells with answers
    assert client.get("/stats/paris-19/satisfaction.csv?from=2026-13-01").status_code == 400


def test_a_kiosk_face_counts_in_the_statistics(api, demo):
    from kiosk.server.stats.queries import Period
    from kiosk.server.voice.stats import satisfaction_stats

    for face in (2, 4):
        assert api.post("/feedback", {"face": face}, key=uuid.uuid4()).status_code == 201
    today = timezone.localdate()
    stats = satisfaction_stats(demo, Period(today, today))
    assert stats.by_service["Sans service précisé"].mean == 3
