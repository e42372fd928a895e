"""The fiche de liaison: what an agent writes in a visitor's carnet at the end of a visit,
chosen from controlled lists (a status and a next step, each with a pictogram and its words
in the six languages), so it reads in the visitor's language, and without reading, on the
next visit; an optional free note (at most NOTE_MAX characters) adds what the lists lack.

The Wolof and Bambara words are drafts: a native speaker must review them (as the server's
catalogs, kiosk/server/web/catalogs.py).
"""

from __future__ import annotations

from dataclasses import dataclass

Texts = dict[str, str]
NOTE_MAX = 500


@dataclass(frozen=True)
class Choice:
    key: str  # stored in the database
    pictogram: str  # assets/pictograms/src/<pictogram>.svg
    texts: Texts

    def text(self, lang: str) -> str:
        return self.texts.get(lang) or self.texts["fr"]


STATUSES: tuple[Choice, ...] = (
    Choice("done", "attestation", {
        "fr": "Démarche terminée", "en": "Procedure completed", "ar": "اكتمل الإجراء",
        "zh": "手续已办完", "wo": "Liggéey bi jeex na", "bm": "Ko in banna"}),
    Choice("in_progress", "clock", {
        "fr": "Dossier en cours de traitement", "en": "File being processed",
        "ar": "الملف قيد المعالجة", "zh": "材料正在办理中", "wo": "Kayit yi ngi ci liggéey",
        "bm": "Dosiye bɛ baara la"}),
    Choice("documents_missing", "documents", {
        "fr": "Il manque des documents", "en": "Some documents are missing",
        "ar": "بعض الوثائق ناقصة", "zh": "缺少部分材料", "wo": "Am na ay kayit yu des",
        "bm": "Sɛbɛn dɔw dɛsɛlen"}),
    Choice("appointment", "priority-appointment", {
        "fr": "Sur rendez-vous", "en": "By appointment", "ar": "بموعد مسبق", "zh": "需要预约",
        "wo": "Ci rendez-vous", "bm": "Ni wagati latigɛlen ye"}),
    Choice("other_service", "mairie", {
        "fr": "Orienté vers un autre service", "en": "Referred to another service",
        "ar": "تمت الإحالة إلى مصلحة أخرى", "zh": "已转至其他部门",
        "wo": "Yónne nañu la ci beneen bureau", "bm": "I ci la baarada wɛrɛ la"}),
)

NEXT_STEPS: tuple[Choice, ...] = (
    Choice("none", "attestation", {
        "fr": "Rien d'autre à faire", "en": "Nothing more to do", "ar": "لا شيء آخر للقيام به",
        "zh": "无需再办理", "wo": "Dara desul", "bm": "Foyi tɛ to ka kɛ"}),
    Choice("come_back_documents", "documents", {
        "fr": "Revenir avec les documents manquants",
        "en": "Come back with the missing documents", "ar": "العودة بالوثائق الناقصة",
        "zh": "带齐缺少的材料再来", "wo": "Dellusil ak kayit yi des",
        "bm": "Segin ka na ni sɛbɛn dɛsɛlenw ye"}),
    Choice("take_appointment", "priority-appointment", {
        "fr": "Prendre rendez-vous", "en": "Book an appointment", "ar": "حجز موعد",
        "zh": "预约", "wo": "Jël rendez-vous", "bm": "Wagati ta"}),
    Choice("wait_answer", "clock", {
        "fr": "Attendre la réponse", "en": "Wait for the answer", "ar": "انتظار الرد",
        "zh": "等待答复", "wo": "Xaar tontu bi", "bm": "Jaabi makɔnɔ"}),
    Choice("collect_document", "ticket", {
        "fr": "Revenir retirer le document", "en": "Come back to collect the document",
        "ar": "العودة لاستلام الوثيقة", "zh": "回来领取证件", "wo": "Dellusil jël kayit bi",
        "bm": "Segin ka na sɛbɛn ta"}),
    Choice("go_other_service", "map-pin", {
        "fr": "Aller au service indiqué dans la note", "en": "Go to the service in the note",
        "ar": "التوجه إلى المصلحة المذكورة في الملاحظة", "zh": "前往备注中写明的部门",
        "wo": "Demal ci bureau bi ñu bind ci note bi",
        "bm": "Taa baarada min sɛbɛnnen bɛ kunnafoni la"}),
)

_STATUS = {c.key: c for c in STATUSES}
_NEXT = {c.key: c for c in NEXT_STEPS}


def status(key: str) -> Choice | None:
    return _STATUS.get(key)


def next_step(key: str) -> Choice | None:
    return _NEXT.get(key)
