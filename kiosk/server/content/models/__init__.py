"""Content the kiosks show: sites, poles, services...; and the change log kiosks sync from.
One module per meaning (base, guide, dated, media); everything is importable from here."""

from kiosk.server.content.models.base import (
    PUBLISHED_HELP,
    ContentChange,
    ContentVersion,
    Site,
    TranslatedModel,
    audio_field,
    published_field,
)
from kiosk.server.content.models.dated import (
    OFFER_CATEGORY_LABELS,
    OFFER_SOURCE_LABELS,
    Announcement,
    Closure,
    Offer,
)
from kiosk.server.content.models.guide import (
    PLACE_KIND_LABELS,
    InfoPage,
    NearbyPlace,
    Pole,
    Service,
    Situation,
)
from kiosk.server.content.models.media import ASSET_KIND_LABELS, Asset, FloorPlan
from kiosk.server.content.models.review import TranslationReview, text_hash

__all__ = [
    "ASSET_KIND_LABELS", "OFFER_CATEGORY_LABELS", "OFFER_SOURCE_LABELS", "PLACE_KIND_LABELS",
    "PUBLISHED_HELP", "Announcement", "Asset", "Closure", "ContentChange", "ContentVersion",
    "FloorPlan", "InfoPage", "NearbyPlace", "Offer", "Pole", "Service", "Site", "Situation",
    "TranslatedModel", "TranslationReview", "audio_field", "published_field", "text_hash",
]
