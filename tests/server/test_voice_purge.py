"""The visitors' texts are erased after VOICE_COMMENT_RETENTION_DAYS by the nightly purge
(unless published); the faces, and the counts of the satisfaction statistics, stay."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

pytestmark = pytest.mark.django_db


@pytest.fixture
def voices(settings):
    """Comments and questions of 100 and 10 days ago, in each moderation state."""
    from kiosk.server.content.models import Pole, Service, Site
    from kiosk.server.queueing.issuing import do_issue_ticket
    from kiosk.server.voice.models import Feedback, Remark

    settings.VOICE_COMMENT_RETENTION_DAYS = 30
    site = Site.objects.create(slug="avis", name="Mairie")
    pole = Pole.objects.create(site=site, slug="p", color="#1E56A0", pictogram="mairie",
                               name={"fr": "Accueil"})
    service = Service.objects.create(site=site, pole=pole, slug="civil", prefix="C",
                                     pictogram="mairie", name={"fr": "État civil"})
    now = timezone.now()
    made = {}
    for age in (100, 10):
        when = now - dt.timedelta(days=age)
        for state in ("pending", "kept", "published", "rejected"):
            ticket = do_issue_ticket(service)[0]
            feedback = Feedback.objects.create(site=site, service=service, ticket=ticket,
                                               face=4, via="phone", created_at=when,
                                               updated_at=when)
            made[(age, state)] = Remark.objects.create(
                site=site, service=service, kind="comment", feedback=feedback, ticket=ticket,
                text="" if state == "rejected" else f"comment {age} {state}",
                answer="Merci" if state in ("kept", "published") else "",
                status="kept" if state == "published" else state,
                published=state == "published", published_at=when if state == "published"
                else None, created_at=when)
        made[(age, "question")] = Remark.objects.create(
            site=site, kind="question", text=f"question {age}", created_at=when)
    return site, made


def reload(remark):
    remark.refresh_from_db()
    return remark


def test_old_unpublished_texts_are_erased_the_faces_stay(voices):
    from kiosk.server.voice.models import Feedback
    from kiosk.server.voice.services import purge_remarks

    _, made = voices
    assert purge_remarks() == 3  # pending, kept, the question; of 100 days ago
    for state in ("pending", "kept", "question"):
        old = reload(made[(100, state)])
        assert (old.text, old.answer, old.status, old.ticket_id) == ("", "", "erased", None)
        recent = reload(made[(10, state)])
        assert recent.text.endswith("10" if state == "question" else f"10 {state}")
    published = reload(made[(100, "published")])
    assert (published.text, published.answer) == ("comment 100 published", "Merci")
    assert reload(made[(100, "rejected")]).status == "rejected"  # its text was gone already
    assert list(Feedback.objects.values_list("face", flat=True).distinct()) == [4]
    assert Feedback.objects.count() == 8
    assert purge_remarks() == 0  # idempotent


def test_the_retention_is_a_setting(voices, settings):
    from kiosk.server.voice.services import purge_remarks

    settings.VOICE_COMMENT_RETENTION_DAYS = 5
    assert purge_remarks() == 6  # those of 10 days ago too


def test_an_erased_text_cannot_be_kept_and_counts_stay_in_the_statistics(voices,
                                                                        django_user_model):
    from kiosk.server.stats.queries import Period
    from kiosk.server.voice.services import VoiceError, keep, purge_remarks
    from kiosk.server.voice.stats import satisfaction_stats

    site, made = voices
    today = timezone.localdate()
    period = Period(today - dt.timedelta(days=120), today)
    before = satisfaction_stats(site, period)
    purge_remarks()
    after = satisfaction_stats(site, period)
    assert sum(after.comments.values()) == sum(before.comments.values()) == 8
    assert after.total.count == before.total.count == 8
    user = django_user_model.objects.create_superuser("mod", "m@x.fr", "pw-12345")
    with pytest.raises(VoiceError):
        keep(made[(100, "pending")], user, "Réponse", publish=True)
    assert reload(made[(100, "pending")]).published is False


def test_the_nightly_purge_erases_them_and_the_back_office_says_so(client, voices,
                                                                   django_user_model):
    _, made = voices
    out = io.StringIO()
    call_command("purge_personal_data", stdout=out)
    assert "3 visitors' comments and questions erased" in out.getvalue()
    assert reload(made[(100, "pending")]).text == ""
    client.force_login(django_user_model.objects.create_superuser("mod", "m@x.fr", "pw-123"))
    page = client.get("/admin/voice/remark/?status__exact=erased").content.decode()
    assert page.count("(effacé)") == 3 and "comment 10" not in page
