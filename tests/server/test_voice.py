"""The visitor's voice, visitor side: the phone page's faces, comment and question (one
answer per ticket, changeable for an hour, filtered, rate limited), and the kiosk's
POST /api/v1/feedback (validation, idempotency, per kiosk, rate limited)."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from django.core.cache import cache
from django.utils import timezone

pytestmark = pytest.mark.django_db


@pytest.fixture
def served(demo):
    """Two tickets of the demo: the first called and done, the second still waiting."""
    from kiosk.server.queueing.counter_actions import do_call_next, do_finish_current
    from kiosk.server.queueing.issuing import do_issue_ticket
    from kiosk.server.queueing.models import Counter

    counter = next(c for c in Counter.objects.filter(site=demo, is_open=True).order_by("name")
                   if c.services.filter(ticketing=True).exists())
    service = counter.services.filter(ticketing=True).order_by("slug").first()
    done, _ = do_issue_ticket(service, language="ar")
    waiting, _ = do_issue_ticket(service, language="fr")
    assert do_call_next(counter).pk == done.pk
    do_finish_current(counter)
    done.refresh_from_db()
    return {"done": done, "waiting": waiting, "service": service}


def feedbacks():
    from kiosk.server.voice.models import Feedback

    return Feedback.objects.all()


def remarks():
    from kiosk.server.voice.models import Remark

    return Remark.objects.all()


# -- the phone page ---------------------------------------------------------------------------


def test_a_done_ticket_asks_how_it_went_a_waiting_one_does_not(client, served):
    done = client.get(f"/t/{served['done'].public_token}?lang=fr").content.decode()
    assert "Comment ça s&#x27;est passé\u00a0?" in done or "Comment ça s'est passé\u00a0?" in done
    for face in range(1, 6):
        assert f'data-testid="face-{face}"' in done and f'name="face" value="{face}"' in done
    for words in ("Très mal", "Mal", "Moyen", "Bien", "Très bien"):
        assert f'<span class="face-label">{words}</span>' in done  # each face says its words
    assert 'aria-hidden="true" focusable="false" class="face-img"' in done
    assert 'name="website"' in done and 'name="comment"' in done and 'name="question"' in done
    waiting = client.get(f"/t/{served['waiting'].public_token}?lang=fr").content.decode()
    assert 'data-testid="voice"' not in waiting
    # Posting for a ticket still waiting is refused (the page never offered it).
    client.post(f"/t/{served['waiting'].public_token}/avis", {"face": "5"})
    assert not feedbacks().exists()


def test_the_ticket_language_is_spoken_arabic_right_to_left(client, served):
    page = client.get(f"/t/{served['done'].public_token}").content.decode()
    assert '<html lang="ar" dir="rtl">' in page
    assert "كيف كانت زيارتك؟" in page and "جيدة جدًا" in page


def test_one_answer_per_ticket_changeable_then_locked(client, served):
    from kiosk.server.voice.services import VoiceError, give_feedback

    url = f"/t/{served['done'].public_token}/avis?lang=fr"
    response = client.post(url, {"face": "2", "comment": "Long, mais l'agent était gentil."})
    assert response.status_code == 302 and response["Location"].endswith("merci=1#avis")
    response = client.post(url, {"face": "4", "comment": "Long, mais l'agent était gentil."})
    assert feedbacks().count() == 1
    feedback = feedbacks().get()
    assert feedback.face == 4 and feedback.ticket_id == served["done"].pk
    assert feedback.service_id == served["service"].pk and feedback.via == "phone"
    assert remarks().get().text == "Long, mais l'agent était gentil."
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="voice-thanks"' in page and "Modifier mon avis" in page
    assert re.search(r'value="4" required checked', page)
    # An hour later the answer stays as it is.
    later = feedback.created_at + dt.timedelta(minutes=61)
    with pytest.raises(VoiceError) as error:
        give_feedback(served["done"], 1, now=later)
    assert error.value.code == "too_late"
    feedback.created_at = timezone.now() - dt.timedelta(minutes=61)
    feedback.save()
    client.post(url, {"face": "1"})
    assert feedbacks().get().face == 4
    page = client.get(f"/t/{served['done'].public_token}?lang=fr").content.decode()
    assert 'data-testid="voice-closed"' in page and 'data-testid="voice-form"' not in page


def test_a_changed_comment_goes_back_to_moderation(client, served, django_user_model):
    from kiosk.server.voice.services import give_feedback, keep

    feedback, _ = give_feedback(served["done"], 3, "Bien reçu")
    remark = keep(remarks().get(), None, "Merci !", publish=True)
    assert remark.published
    give_feedback(served["done"], 3, "Bien reçu")  # same text: stays published
    assert remarks().get().published
    give_feedback(served["done"], 3, "Finalement, trop d'attente")
    remark = remarks().get()
    assert (remark.status, remark.published, remark.answer) == ("pending", False, "")
    give_feedback(served["done"], 3, "")  # the comment taken back: nothing left to read
    assert not remarks().exists() and feedbacks().get().face == 3


@pytest.mark.parametrize("face", ["", "0", "6", "x", "3.5"])
def test_a_face_must_be_one_to_five(client, served, face):
    response = client.post(f"/t/{served['done'].public_token}/avis?lang=fr", {"face": face})
    assert "avis_erreur=face" in response["Location"]
    assert not feedbacks().exists()
    page = client.get(response["Location"]).content.decode()
    assert "Choisissez un visage." in page


def test_comments_are_cleaned_personal_data_masked_and_limited(client, served):
    from kiosk.domain.voice import MAX_COMMENT
    from kiosk.server.voice.services import filter_text

    url = f"/t/{served['done'].public_token}/avis?lang=fr"
    client.post(url, {"face": "1", "comment": "Rappelez-moi au 06 12 34 56 78 ou a.b@mail.fr"
                                              "\u202e svp <b>vite</b>"})
    text = remarks().get().text
    assert "06 12" not in text and "@" not in text and "\u202e" not in text
    assert text == "Rappelez-moi au […] ou […] svp <b>vite</b>"  # escaped where shown
    page = client.get(f"/t/{served['done'].public_token}?lang=fr").content.decode()
    assert "&lt;b&gt;vite&lt;/b&gt;" in page and "<b>vite</b>" not in page
    response = client.post(url, {"face": "1", "comment": "x" * (MAX_COMMENT + 1)})
    assert "avis_erreur=too_long" in response["Location"]
    assert remarks().get().text == text  # unchanged
    # Short numbers (a ticket, a date, an amount) are not phone numbers.
    assert filter_text("Ticket C042 le 12/03, 25 €", 100) == "Ticket C042 le 12/03, 25 €"


def test_the_honeypot_drops_the_post_silently(client, served):
    response = client.post(f"/t/{served['done'].public_token}/avis",
                           {"face": "5", "website": "http://spam"})
    assert response.status_code == 302 and "merci=1" in response["Location"]
    assert not feedbacks().exists()


def test_a_question_for_the_agents(client, served, demo):
    url = f"/t/{served['done'].public_token}/question?lang=fr"
    response = client.post(url, {"question": "Faut-il un justificatif récent ?",
                                 "service": served["service"].slug})
    assert "question=1" in response["Location"]
    question = remarks().get(kind="question")
    assert question.service_id == served["service"].pk and question.site_id == demo.pk
    assert question.status == "pending" and not question.published
    assert "avis_erreur=empty" in client.post(url, {"question": "  "})["Location"]
    assert "avis_erreur=service" in client.post(
        url, {"question": "Et ici ?", "service": "pas-un-service"})["Location"]
    assert remarks().filter(kind="question").count() == 1


def test_phone_posts_are_rate_limited_per_ticket(client, served, settings):
    settings.RATELIMIT_ENABLED = True
    settings.RATELIMITS = {**settings.RATELIMITS, "voice_phone": "2/h"}
    cache.clear()
    try:
        url = f"/t/{served['done'].public_token}/avis"
        codes = [client.post(url, {"face": "3"}).status_code for _ in range(3)]
        assert codes == [302, 302, 429]
    finally:
        cache.clear()


# -- the kiosk's API -------------------------------------------------------------------------


def test_the_api_takes_a_face_once_per_idempotency_key(api, demo):
    from kiosk.server.content.models import Pole

    pole = Pole.objects.filter(site=demo).order_by("slug").first()
    body = {"face": 5, "language": "wo", "pole": pole.slug}
    key = uuid.uuid4()
    first = api.post("/feedback", body, key=key)
    assert first.status_code == 201, first.content
    again = api.post("/feedback", body, key=key)
    assert again.status_code == 200 and again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert api.post("/feedback", {**body, "face": 1}, key=key).status_code == 422
    feedback = feedbacks().get()
    assert (feedback.face, feedback.language, feedback.pole_id, feedback.via) == (
        5, "wo", pole.pk, "kiosk")
    assert feedback.ticket is None and feedback.site_id == demo.pk


def test_the_api_validates(api, demo):
    for body in ({"face": 0}, {"face": 6}, {"face": "5x"}, {"face": 3, "language": "de"},
                 {"face": 3, "pole": "pas-un-pole"}, {}):
        response = api.post("/feedback", body, key=uuid.uuid4())
        assert response.status_code == 422, body
    assert api.post("/feedback", {"face": 3}).status_code == 422  # no Idempotency-Key
    assert not feedbacks().exists()


def test_the_api_dates_an_offline_answer_never_in_the_future(api, demo):
    earlier = timezone.now() - dt.timedelta(hours=3)
    api.post("/feedback", {"face": 2, "at": earlier.isoformat()}, key=uuid.uuid4())
    api.post("/feedback", {"face": 2, "at": (timezone.now() + dt.timedelta(days=2)).isoformat()},
             key=uuid.uuid4())
    first, second = feedbacks().order_by("pk")
    assert abs((first.created_at - earlier).total_seconds()) < 1
    assert second.created_at <= timezone.now()


def test_the_api_is_for_kiosks_only_and_rate_limited(client, api, demo, settings):
    response = client.post("/api/v1/feedback", {"face": 3}, content_type="application/json",
                           headers={"Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 401
    settings.RATELIMIT_ENABLED = True
    settings.RATELIMITS = {**settings.RATELIMITS, "voice_kiosk": "2/h"}
    cache.clear()
    try:
        codes = [api.post("/feedback", {"face": 4}, key=uuid.uuid4()).status_code
                 for _ in range(3)]
        assert codes == [201, 201, 429]
    finally:
        cache.clear()


def test_a_key_of_another_kiosk_is_refused(api, demo):
    from kiosk.server.devices.models import Kiosk
    from kiosk.server.voice.services import VoiceError, kiosk_feedback

    key = uuid.uuid4()
    assert api.post("/feedback", {"face": 4}, key=key).status_code == 201
    other, _ = Kiosk.objects.register(demo, "Autre borne")
    with pytest.raises(VoiceError):
        kiosk_feedback(other, 4, None, "fr", key)


def test_a_kiosk_comment_is_filtered_and_waits_for_a_moderator(api, demo):
    from kiosk.domain.voice import MAX_COMMENT

    key = uuid.uuid4()
    body = {"face": 2, "language": "fr",
            "comment": "trop d'attente, appelez le 06 12 34 56 78 ou a.b@mail.fr\u202e"}
    first = api.post("/feedback", body, key=key)
    assert first.status_code == 201, first.content
    assert api.post("/feedback", body, key=key).content == first.content  # sent once
    remark = remarks().get()
    feedback = feedbacks().get()
    assert remark.text == "trop d'attente, appelez le […] ou […]"
    assert (remark.kind, remark.status, remark.published, remark.via) == (
        "comment", "pending", False, "kiosk")
    assert remark.feedback_id == feedback.pk and remark.ticket_id is None
    assert remark.site_id == demo.pk and remark.language == "fr"
    # Without a comment (the kiosk's "Passer"), no message to moderate; too long: a 422.
    assert api.post("/feedback", {"face": 4, "comment": ""}, key=uuid.uuid4()).status_code == 201
    too_long = api.post("/feedback", {"face": 4, "comment": "x" * (MAX_COMMENT + 1)},
                        key=uuid.uuid4())
    assert too_long.status_code == 422
    assert feedbacks().count() == 2 and remarks().count() == 1
