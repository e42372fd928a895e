"""The documents a visitor may be asked to bring, as a controlled vocabulary: each has a key,
a pictogram and its name in the six languages, so a checklist reads in any language and
without reading. A service's (or a life situation's) `documents` list holds either
`{"doc": "<key>"}` (optionally with a `"note": {lang: text}`: "of the person declaring") or,
for what the vocabulary lacks, free localized text `{"fr": "...", ...}`.

Names in Wolof and Bambara (and the few Arabic or Chinese ones listed in a document's
`drafts`) are first drafts nobody who speaks the language has reviewed: `is_draft()` tells,
and the back-office shows them as drafts, like the catalogs' `#. draft:` comments
(kiosk/server/web/catalogs.py). Keys never change once used: content and tickets store them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from kiosk.domain.languages import DRAFT_LANGUAGES, localized

Texts = dict[str, str]
FREE_TEXT_PICTOGRAM = "documents"  # assets/pictograms/src/documents.svg
MAX_DOCUMENTS = 20  # per service or situation; the ticket's `documents` holds as many (API v1)
TEXT_MAX = 200  # each language's text of a ticked line on the wire
NOTE_SEPARATOR = " — "


@dataclass(frozen=True)
class Document:
    key: str
    pictogram: str
    texts: Texts
    drafts: tuple[str, ...] = DRAFT_LANGUAGES  # languages whose name is an unreviewed draft

    def is_draft(self, lang: str) -> bool:
        return lang in self.drafts


@dataclass(frozen=True)
class DocumentLine:
    """One line of a checklist: `key` "" for free text."""
    key: str
    pictogram: str
    texts: Texts
    note: Texts = field(default_factory=dict)

    def shown(self) -> Texts:
        """{lang: what the checklist reads}: the name, then the note (French when the note
        lacks the language, as every content field falls back)."""
        if not self.note:
            return dict(self.texts)
        return {lang: f"{text}{NOTE_SEPARATOR}{localized(self.note, lang)}"
                for lang, text in self.texts.items() if text}

    def wire(self) -> dict[str, object]:
        """The content entry this line was read from."""
        if not self.key:
            return dict(self.texts)
        return {"doc": self.key, "note": dict(self.note)} if self.note else {"doc": self.key}


def _doc(key: str, pictogram: str, fr: str, en: str, ar: str, zh: str, wo: str, bm: str,
         drafts: tuple[str, ...] = DRAFT_LANGUAGES) -> Document:
    return Document(key, pictogram, {"fr": fr, "en": en, "ar": ar, "zh": zh, "wo": wo, "bm": bm},
                    drafts)


_LIST = (
    _doc("id_card", "doc-identite",
         "Pièce d’identité en cours de validité (carte d’identité, passeport ou titre de séjour)",
         "Valid identity document (ID card, passport or residence permit)",
         "وثيقة هوية سارية (بطاقة هوية أو جواز سفر أو بطاقة إقامة)",
         "有效身份证件（身份证、护照或居留证）",
         "Këyitu identite bu jeexul (kàrt didantite, paaspoor walla kàrt sejuur)",
         "Jamanadenya sɛbɛn min waati ma ban (karti, pasipɔri walima sigi sɛbɛn)"),
    _doc("passport", "doc-passeport", "Passeport", "Passport", "جواز السفر", "护照",
         "Paaspoor", "Pasipɔri"),
    _doc("residence_permit", "doc-titre-sejour", "Titre de séjour", "Residence permit",
         "بطاقة الإقامة", "居留证", "Kàrt sejuur (titre de séjour)",
         "Sigi sɛbɛn (titre de séjour)"),
    _doc("proof_of_address", "doc-domicile",
         "Justificatif de domicile de moins de 3 mois (facture, quittance de loyer, avis "
         "d’imposition)",
         "Proof of address less than 3 months old (bill, rent receipt, tax notice)",
         "إثبات سكن لا يتجاوز عمره 3 أشهر (فاتورة، وصل إيجار، إشعار ضريبي)",
         "3个月内的住址证明（账单、房租收据、税单）",
         "Këyit buy wone fi nga dëkk, bu weesuwul 3 weer (faktiir, resi luwaas, avis d’impôt)",
         "Sigiyɔrɔ seereya sɛbɛn, kalo 3 tɛ min kɔ (faktiri, so sara sɛbɛn, takisi sɛbɛn)"),
    _doc("family_record_book", "doc-livret-famille", "Livret de famille",
         "Family record book (livret de famille)", "الدفتر العائلي",
         "家庭户口簿（livret de famille）", "Kayitu njaboot (livret de famille)",
         "Denbaya gafe (livret de famille)"),
    _doc("birth_certificate", "doc-acte-naissance", "Copie intégrale d’acte de naissance",
         "Full copy of the birth certificate", "نسخة كاملة من شهادة الميلاد", "出生证全文副本",
         "Kayitu juddu (copie intégrale)", "Bangekɔrɔ sɛbɛn (copie intégrale)"),
    _doc("birth_notice", "doc-constat-naissance",
         "Constat de naissance remis par la maternité ou le médecin",
         "Birth certificate from the maternity ward or the doctor",
         "شهادة الولادة المسلّمة من قسم الولادة أو الطبيب", "产院或医生出具的出生证明",
         "Kayit bu maternite walla doktoor bi jox ci juddu gi",
         "Jiginni seereya sɛbɛn, dɔgɔtɔrɔso walima dɔgɔtɔrɔ ye min di"),
    _doc("death_certificate", "doc-deces", "Certificat médical de décès",
         "Medical death certificate", "شهادة الوفاة الطبية", "医生开具的死亡证明",
         "Kayitu doktoor bi wone dee bi", "Dɔgɔtɔrɔ ka saya seereya sɛbɛn"),
    _doc("marriage_certificate", "doc-acte-mariage", "Acte de mariage", "Marriage certificate",
         "عقد الزواج", "结婚证书", "Kayitu séy", "Furu sɛbɛn"),
    _doc("divorce_judgment", "doc-divorce", "Jugement de divorce", "Divorce judgment",
         "حكم الطلاق", "离婚判决书", "Àttey tasu séy (jugement de divorce)",
         "Furusa kiiri sɛbɛn (jugement de divorce)"),
    _doc("id_photo", "doc-photo", "Photo d’identité de moins de 6 mois",
         "ID photo less than 6 months old", "صورة هوية لا يتجاوز عمرها 6 أشهر", "6个月内的证件照",
         "Nataalu identite bu weesuwul 6 weer", "Ja (foto) min ma kalo 6 sɔrɔ"),
    _doc("tax_notice", "doc-impots", "Avis d’imposition", "Tax notice", "الإشعار الضريبي",
         "纳税通知单", "Këyitu impôt (avis d’imposition)", "Takisi sɛbɛn (avis d’imposition)"),
    _doc("caf_certificate", "doc-caf", "Attestation de la CAF",
         "CAF (family benefits) certificate", "شهادة صندوق الإعانات العائلية (CAF)",
         "家庭补助局（CAF）证明", "Kayitu CAF", "CAF ka seereya sɛbɛn"),
    _doc("payslips", "doc-salaire", "Bulletins de salaire", "Payslips", "قسائم الراتب", "工资单",
         "Këyitu pey (bulletins de salaire)", "Sara sɛbɛnw (bulletins de salaire)"),
    _doc("proof_of_income", "doc-ressources",
         "Justificatifs de ressources des 3 derniers mois (salaires, allocations, pensions)",
         "Proof of income for the last 3 months (payslips, benefits, pensions)",
         "إثباتات الدخل للأشهر الثلاثة الأخيرة (رواتب، إعانات، معاشات)",
         "最近3个月的收入证明（工资单、补助、退休金）",
         "Këyit yuy wone sa xaalis ci 3 weer yi mujj (pey, alokasiyoŋ, pañsiyoŋ)",
         "Sɔrɔ seereya sɛbɛnw kalo 3 laban (sara, dɛmɛ wari, pansiyɔn)"),
    _doc("lease", "doc-bail", "Bail ou titre de propriété", "Lease or title deed",
         "عقد الإيجار أو سند الملكية", "租约或房产证",
         "Kontraa luwaas walla kayitu moom kër", "So sara bɛnkansɛbɛn walima so tigiya sɛbɛn"),
    _doc("medical_certificate", "doc-certificat-medical", "Certificat médical",
         "Medical certificate", "شهادة طبية", "医疗证明", "Kayitu doktoor", "Dɔgɔtɔrɔ sɛbɛn"),
    _doc("pregnancy_certificate", "doc-grossesse", "Certificat de grossesse",
         "Pregnancy certificate", "شهادة الحمل", "怀孕证明", "Kayitu ëmb",
         "Kɔnɔmaya seereya sɛbɛn"),
    _doc("hosting_certificate", "doc-hebergement", "Attestation d’hébergement",
         "Letter from the person who houses you (attestation d’hébergement)",
         "شهادة إيواء من الشخص الذي يسكنك", "住宿证明（由留宿您的人出具）",
         "Kayit bu ki la dalal bind (attestation d’hébergement)",
         "Jatigi ka seereya sɛbɛn (attestation d’hébergement)",
         drafts=("ar", "wo", "bm")),
    _doc("health_record", "doc-carnet-sante", "Carnet de santé (vaccinations)",
         "Health record (vaccinations)", "الدفتر الصحي (التلقيحات)", "健康手册（疫苗接种记录）",
         "Kayitu wér-gi-yaram (piqûres yi)", "Kɛnɛya gafe (boloci)"),
    _doc("bank_details", "doc-rib", "RIB (relevé d’identité bancaire)", "Bank details (RIB)",
         "كشف الهوية البنكية (RIB)", "银行账户信息（RIB）", "RIB (kayitu bànk)",
         "RIB (banki sɛbɛn)", drafts=("ar", "wo", "bm")),
    _doc("old_document", "doc-ancien-titre", "Ancien titre, ou déclaration de perte ou de vol",
         "Previous document, or a loss or theft report",
         "الوثيقة القديمة، أو تصريح بالضياع أو السرقة", "旧证件，或遗失/被盗声明",
         "Kayit bu màggat bi, walla deklarasiyoŋu ñàkk walla sàcc",
         "Sɛbɛn kɔrɔ, walima tunun walima sonyali dantigɛli"),
    _doc("tax_stamp", "doc-timbre", "Timbre fiscal", "Tax stamp", "طابع جبائي", "印花税票",
         "Tembar (timbre fiscal)", "Tenburu (timbre fiscal)"),
    _doc("cerfa_form", "doc-formulaire", "Formulaire Cerfa rempli", "Completed Cerfa form",
         "استمارة Cerfa معبّأة", "填好的 Cerfa 表格", "Formileer Cerfa bu fees",
         "Cerfa formilɛri min fara"),
    _doc("insurance_certificate", "doc-assurance", "Attestation d’assurance",
         "Insurance certificate", "شهادة التأمين", "保险证明", "Kayitu asiraans",
         "Asiransi sɛbɛn"),
    _doc("parental_consent", "doc-autorisation-parentale",
         "Autorisation d’un parent pour les moins de 18 ans", "A parent’s permission for under-18s",
         "إذن أحد الوالدين لمن هم دون 18 سنة", "未满18岁者需家长同意书",
         "Ndigalu waajur ngir ñi amul 18 at", "Wolobaa ka sɔnni sɛbɛn, san 18 ma se minnu ma"),
)
DOCUMENTS: dict[str, Document] = {d.key: d for d in _LIST}


def _clean_texts(value: object) -> Texts | None:
    if isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str)
                                       for k, v in value.items()):
        return {k: v for k, v in value.items() if v}
    return None


def check_entry(entry: object) -> DocumentLine:
    """A content entry as a checklist line, or ValueError saying why not: a known key (and
    a note of texts), or free text with French (the fallback of every language)."""
    if isinstance(entry, dict) and "doc" in entry:
        if set(entry) - {"doc", "note"}:
            raise ValueError("a document entry holds only doc and note")
        document = DOCUMENTS.get(entry["doc"]) if isinstance(entry["doc"], str) else None
        if document is None:
            raise ValueError(f"unknown document {entry['doc']!r}")
        note = _clean_texts(entry.get("note") or {})
        if note is None:
            raise ValueError("a document's note must be a mapping language -> text")
        return DocumentLine(document.key, document.pictogram, dict(document.texts), note)
    texts = _clean_texts(entry)
    if texts is None:
        raise ValueError("a document is {\"doc\": key} or a mapping language -> text")
    if not texts.get("fr"):
        raise ValueError("a document's free text needs French (the fallback of every language)")
    return DocumentLine("", FREE_TEXT_PICTOGRAM, texts)


def parse_entries(entries: Sequence[object]) -> tuple[DocumentLine, ...]:
    """A whole `documents` list; ValueError for the first bad entry (numbered from 1)."""
    if len(entries) > MAX_DOCUMENTS:
        raise ValueError(f"at most {MAX_DOCUMENTS} documents")
    lines = []
    for index, entry in enumerate(entries, 1):
        try:
            lines.append(check_entry(entry))
        except ValueError as exc:
            raise ValueError(f"document {index}: {exc}") from exc
    return tuple(lines)


def resolve(entry: object) -> DocumentLine | None:
    """A content entry as a checklist line; None for what is neither a known key nor text."""
    try:
        return check_entry(entry)
    except ValueError:
        return None


def free_lines(documents: Sequence[Texts]) -> tuple[DocumentLine, ...]:
    """Lines for texts alone (an item built without its entries, in tests or old code)."""
    return tuple(DocumentLine("", FREE_TEXT_PICTOGRAM, dict(d)) for d in documents)


def ticks_wire(lines: Sequence[DocumentLine], have: Sequence[bool]) -> list[dict[str, object]]:
    """A checklist as a ticket carries it (API v1 `TicketIn.documents`), in content order:
    [{"doc": key or "", "text": {lang: text}, "have": bool}]; every text cut to TEXT_MAX."""
    return [{"doc": line.key,
             "text": {lang: text[:TEXT_MAX] for lang, text in line.shown().items()},
             "have": bool(ticked)}
            for line, ticked in zip(lines[:MAX_DOCUMENTS], have, strict=False)]


def to_wire(entries: Sequence[object]) -> dict[str, list[dict[str, object]]]:
    """A content item's `documents` for the content protocol: the texts every kiosk reads
    (protocol v1: each line's {lang: text}, the note after the name; what kiosks built before
    the vocabulary rely on), and beside them `document_keys`, the vocabulary key and note of
    each line ("" for free text), from which newer kiosks draw the pictograms."""
    lines = [line for line in (resolve(entry) for entry in entries) if line is not None]
    return {"documents": [dict(line.shown()) for line in lines],
            "document_keys": [{"doc": line.key, "note": dict(line.note)} if line.note
                              else {"doc": line.key} for line in lines]}


def from_wire(documents: Sequence[object], keys: object) -> tuple[DocumentLine, ...]:
    """The lines of a content item from the wire: with `document_keys` (same length as
    `documents`), vocabulary lines where a key is known to this kiosk and the text as sent
    elsewhere (a key added after this kiosk was built reads as free text); without it, the
    entries themselves (keys or texts, as the back-office stores them)."""
    if keys is None:
        return parse_entries(documents)
    if not isinstance(keys, list) or len(keys) != len(documents):
        raise ValueError("document_keys must list one entry per document")
    lines = []
    for index, (texts, key) in enumerate(zip(documents, keys, strict=True), 1):
        document = DOCUMENTS.get(key.get("doc", "")) if isinstance(key, dict) else None
        note = _clean_texts(key.get("note") or {}) if isinstance(key, dict) else None
        if document is not None and note is not None:
            lines.append(DocumentLine(document.key, document.pictogram, dict(document.texts),
                                      note))
            continue
        try:
            lines.append(check_entry(texts))
        except ValueError as exc:
            raise ValueError(f"document {index}: {exc}") from exc
    return tuple(lines)
