"""The phone page's texts in the kiosk's languages (French is the fallback).

Short, plain sentences. The Wolof and Bambara texts are working translations: have them
reviewed by native speakers (the mairie's interpreters) before opening to the public.
"""

from __future__ import annotations

from kiosk.domain.languages import DEFAULT_LANGUAGE, get_language

TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "waiting": "En attente",
        "called": "Appelé — présentez-vous au guichet",
        "done": "Terminé",
        "cancelled": "Annulé",
        "no_show": "Absent à l'appel",
        "parked": "Mis de côté — l'agent vous rappellera",
        "position": "Votre position",
        "ahead": "Personnes devant vous",
        "wait": "Attente estimée",
        "minutes": "≈ {n} min",
        "unknown": "inconnue",
        "minutes_range": "{lo} à {hi} min",
        "wait_soon": "Restez dans la salle : votre tour approche",
        "wait_not_today": "Nous ne pourrons peut-être pas vous recevoir aujourd'hui : demandez à un agent",
        "counter": "Guichet {label}",
        "leave": "Je pars",
        "leave_confirm": "Vous quittez la file ? Votre ticket sera annulé.",
        "more_time": "J'ai besoin de plus de temps",
        "more_time_help": "Une seule fois : vous reculez de {n} places.",
        "more_time_done": "C'est noté : vous serez appelé un peu plus tard.",
        "left": "Votre ticket est annulé. Merci de nous avoir prévenus.",
        "sms": "SMS prévu quand votre tour approche",
        "note": "Cette page se met à jour toute seule. Aucune donnée personnelle n'y figure.",
        "offline": "Connexion perdue, nouvelle tentative…",
        "error": "Ce n'est plus possible pour ce ticket.",
        "on_the_way": "Votre ticket est en route",
        "on_the_way_help": (
            "La borne l'envoie au serveur dès que sa connexion revient : cette page affichera"
            " alors votre tour. Gardez votre numéro ; en cas de doute, demandez à l'accueil."
        ),
    },
    "en": {
        "waiting": "Waiting",
        "called": "Called — please go to the counter",
        "done": "Done",
        "cancelled": "Cancelled",
        "no_show": "Missed — you were not there when called",
        "parked": "Set aside — the agent will call you back",
        "position": "Your position",
        "ahead": "People ahead of you",
        "wait": "Estimated wait",
        "minutes": "≈ {n} min",
        "unknown": "unknown",
        "minutes_range": "{lo} to {hi} min",
        "wait_soon": "Stay in the waiting room: your turn is coming soon",
        "wait_not_today": "We may not reach you today: please ask an agent",
        "counter": "Counter {label}",
        "leave": "I'm leaving",
        "leave_confirm": "Leave the queue? Your ticket will be cancelled.",
        "more_time": "I need more time",
        "more_time_help": "Once only: you move back {n} places.",
        "more_time_done": "Noted: you will be called a little later.",
        "left": "Your ticket is cancelled. Thank you for letting us know.",
        "sms": "SMS planned when your turn is near",
        "note": "This page updates itself. It holds no personal data.",
        "offline": "Connection lost, retrying…",
        "error": "This is no longer possible for this ticket.",
        "on_the_way": "Your ticket is on its way",
        "on_the_way_help": (
            "The kiosk sends it to the server as soon as its connection is back: this page "
            "will then show your turn. Keep your number; if in doubt, ask at the reception "
            "desk."
        ),
    },
    "ar": {
        "waiting": "في الانتظار",
        "called": "حان دورك — تفضّل إلى الشباك",
        "done": "انتهى",
        "cancelled": "أُلغيت التذكرة",
        "no_show": "فاتك الدور — لم تكن حاضرًا عند النداء",
        "parked": "مؤجَّل — سيناديك الموظف من جديد",
        "position": "ترتيبك",
        "ahead": "عدد الأشخاص قبلك",
        "wait": "مدة الانتظار المتوقعة",
        "minutes": "حوالي {n} دقيقة",
        "unknown": "غير معروفة",
        "minutes_range": "من {lo} إلى {hi} دقيقة",
        "wait_soon": "ابقَ في قاعة الانتظار: دورك يقترب",
        "wait_not_today": "قد لا نتمكن من استقبالك اليوم: اسأل أحد الموظفين",
        "counter": "الشباك {label}",
        "leave": "سأغادر",
        "leave_confirm": "هل تريد مغادرة الطابور؟ ستُلغى تذكرتك.",
        "more_time": "أحتاج إلى مزيد من الوقت",
        "more_time_help": "مرة واحدة فقط: تتأخر {n} أماكن.",
        "more_time_done": "تم: سيُنادى عليك بعد قليل.",
        "left": "أُلغيت تذكرتك. شكرًا لإعلامنا.",
        "sms": "ستصلك رسالة SMS عند اقتراب دورك",
        "note": "تتحدّث هذه الصفحة تلقائيًا. لا تحتوي على أي بيانات شخصية.",
        "offline": "انقطع الاتصال، جارٍ إعادة المحاولة…",
        "error": "لم يعد هذا ممكنًا لهذه التذكرة.",
        "on_the_way": "تذكرتك في الطريق",
        "on_the_way_help": (
            "ترسلها آلة التذاكر إلى الخادم فور عودة الاتصال، وستعرض هذه الصفحة دورك حينها. "
            "احتفظ برقمك، وإن كان لديك شك فاسأل في الاستقبال."
        ),
    },
    "zh": {
        "waiting": "等候中",
        "called": "已叫号 — 请前往窗口",
        "done": "已完成",
        "cancelled": "已取消",
        "no_show": "已过号 — 叫号时您不在",
        "parked": "暂缓办理 — 工作人员会再叫您",
        "position": "您的排位",
        "ahead": "您前面的人数",
        "wait": "预计等候时间",
        "minutes": "约 {n} 分钟",
        "unknown": "未知",
        "minutes_range": "{lo} 至 {hi} 分钟",
        "wait_soon": "请留在等候室：快轮到您了",
        "wait_not_today": "今天可能轮不到您：请咨询工作人员",
        "counter": "{label} 号窗口",
        "leave": "我要离开",
        "leave_confirm": "确定离开队列吗？您的号码将被取消。",
        "more_time": "我需要更多时间",
        "more_time_help": "仅限一次：您将后移 {n} 位。",
        "more_time_done": "已记录：稍后再叫您。",
        "left": "您的号码已取消。感谢告知。",
        "sms": "快轮到您时将发送短信",
        "note": "本页面会自动更新，不含任何个人信息。",
        "offline": "连接中断，正在重试…",
        "error": "此号码已无法进行该操作。",
        "on_the_way": "您的号码正在传送中",
        "on_the_way_help": "网络恢复后，取号机会立即把号码发送到服务器，本页面随后将显示您的排队情况。请保留您的号码；如有疑问，请询问接待处。",
    },
    "wo": {
        "waiting": "Ngay xaar",
        "called": "Woo nañu la — demal ci gise bi",
        "done": "Jeex na",
        "cancelled": "Neenal nañu ko",
        "no_show": "Woo nañu la, nekkuloo fi",
        "parked": "Dañu ko taxawal — ligéeykat bi dina la woo ci kanam",
        "position": "Sa palaas",
        "ahead": "Nit ñi la jiitu",
        "wait": "Diir bi ngay xaar",
        "minutes": "≈ {n} min",
        "unknown": "xamuñu ko",
        "minutes_range": "{lo} ba {hi} min",
        "wait_soon": "Toogal ci néegu xaar bi: sa jaar mu ngi jubsi",
        "wait_not_today": "Xéy-na duñu la mën a jot tey: laajal benn liggéeykat",
        "counter": "Gise {label}",
        "leave": "Dama dem",
        "leave_confirm": "Ndax danga bëgg a génn ci rëdd bi? Sa tike dina neen.",
        "more_time": "Dama soxla yeneen jamono",
        "more_time_help": "Benn yoon rekk: dinga dellu {n} palaas ginnaaw.",
        "more_time_done": "Baax na: dinañu la woo tuuti ginnaaw.",
        "left": "Sa tike neen na. Jërëjëf ci xamle bi.",
        "sms": "Dinañu la yónnee SMS bu sa waxtu jubsee",
        "note": "Xët wii dafay yeesal boppam. Amul benn xibaar bu la jëm.",
        "offline": "Jokkoo gi dog na, ñu ngi koy jéemaat…",
        "error": "Mënul nekk ci tike bii léegi.",
        "on_the_way": "Sa tike ngi ci yoon wi",
        "on_the_way_help": (
            "Masin bi dina ko yónnee ba ci serwëer bi bu jokkoo gi delsee: xët wii dina wone "
            "sa waxtu. Denc sa nimero; soo amee benn laaj, laajal ci dalal gi."
        ),
    },
    "bm": {
        "waiting": "I bɛ makɔnɔ",
        "called": "I welela — taa gise la",
        "done": "A banna",
        "cancelled": "A bɔra a la",
        "no_show": "I welela, i tun tɛ yen",
        "parked": "A bilala kɛrɛfɛ — baarakɛla bɛna i wele tugun",
        "position": "I ka yɔrɔ",
        "ahead": "Mɔgɔ minnu bɛ i ɲɛ",
        "wait": "Makɔnɔ waati",
        "minutes": "≈ {n} min",
        "unknown": "a ma dɔn",
        "minutes_range": "{lo} ka se {hi} min",
        "wait_soon": "I sigi makɔnɔyɔrɔ la: i ka waati surunyana",
        "wait_not_today": "A bɛ se ka kɛ an tɛna se i ma bi: ɲininkali kɛ baarakɛla dɔ fɛ",
        "counter": "Gise {label}",
        "leave": "N bɛ taa",
        "leave_confirm": "I b'a fɛ ka bɔ jɛrɛ la wa? I ka tike bɛna bɔ a la.",
        "more_time": "Waati wɛrɛ ka kan ne ma",
        "more_time_help": "Siɲɛ kelen dɔrɔn: i bɛ segin kɔ yɔrɔ {n}.",
        "more_time_done": "A sɛbɛnna: i bɛna wele dɔɔnin kɔfɛ.",
        "left": "I ka tike bɔra a la. I ni ce k'an kunnafoni.",
        "sms": "SMS bɛna ci i ma ni i ka waati surunyara",
        "note": "Ɲɛ nin bɛ a yɛrɛ kura. Kunnafoni si tɛ a kan min bɛ i yɛrɛ ta.",
        "offline": "Jɛɲɔgɔnya tigɛra, an bɛ a lajɛ tugun…",
        "error": "O tɛ se ka kɛ tike nin na sisan.",
        "on_the_way": "I ka tike bɛ sira kan",
        "on_the_way_help": (
            "Masin bɛna a ci sɛriwɛri ma ni jɛɲɔgɔnya seginna: o kɔ, ɲɛ nin bɛna i ka waati "
            "jira. I ka nimɔrɔ mara; ni sigiya bɛ i la, ɲininkali kɛ bisimilayɔrɔ la."
        ),
    },
}


def texts(lang: str) -> dict[str, str]:
    """All the texts for `lang`, any missing one in French."""
    code = get_language(lang).code
    return {**TEXTS[DEFAULT_LANGUAGE], **TEXTS.get(code, {})}


def counter_name(name: str, lang: str) -> str:
    """'Guichet 3' in the visitor's language ('Counter 3', '3 号窗口'); other names as they are."""
    name = name.strip()
    if name.lower().startswith("guichet "):
        return texts(lang)["counter"].format(label=name.split(" ", 1)[1])
    return name
