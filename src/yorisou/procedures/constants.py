"""Vocabulary of the procedure inventory (手続台帳) and its BPR triage."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    """What a citizen or business does with the city (手続の種類)."""

    APPLICATION = "application", _("Application")  # 申請
    NOTIFICATION = "notification", _("Notification")  # 届出
    REQUEST = "request", _("Request")  # 請求 (e.g. 住民票の写しの交付請求)
    OFFER = "offer", _("Offer")  # 申出
    REPORT = "report", _("Report")  # 報告
    OTHER = "other", _("Other")


class LegalBasis(models.TextChoices):
    """Where the procedure is laid down (根拠法令の種類)."""

    NATIONAL_LAW = "national_law", _("National law or ordinance")  # 法令
    MUNICIPAL = "municipal", _("Municipal ordinance or rule")  # 条例・規則
    GUIDELINE = "guideline", _("Guideline")  # 要綱・要領
    NONE = "none", _("None")


class Assurance(models.TextChoices):
    """Identity assurance an online procedure needs (本人確認の水準)."""

    NONE = "none", _("None")
    ACCOUNT = "account", _("Account")
    MY_NUMBER_CARD = "my_number_card", _("My Number card")


class Channel(models.TextChoices):
    """How cases arrive (受付チャネル)."""

    COUNTER = "counter", _("Counter")  # 窓口
    MAIL = "mail", _("Mail")  # 郵送
    ONLINE = "online", _("Online")  # 電子


class TagKind(models.TextChoices):
    LIFE_EVENT = "life_event", _("Life event")  # ライフイベント
    CATEGORY = "category", _("Category")  # 分野


class TriageClass(models.TextChoices):
    """The BPR classification of a candidate (オンライン化の区分)."""

    START_NOW = "start_now", _("① Start now")  # 速やかに実現を図る
    WAIT_STATE = "wait_state", _("② Decide after the state")  # 国の動向を踏まえ判断
    EXCLUDED = "excluded", _("③ Excluded")  # 対象外


class TriageReason(models.TextChoices):
    """Why a candidate was classified as it was (区分の理由, from a list)."""

    HIGH_VOLUME = "high_volume", _("Many cases a year")
    NATIONAL_PRIORITY = "national_priority", _("National priority procedure")
    CITIZEN_IMPACT = "citizen_impact", _("Saves citizens a visit")
    STATE_SYSTEM = "state_system", _("Waiting for the state's system or policy")
    LAW_REQUIRES_PRESENCE = "law_presence", _("The law requires presence")
    WET_SIGNATURE = "wet_signature", _("Needs a handwritten signature or seal")
    ORIGINAL_DOCUMENTS = "originals", _("Needs original documents")
    FACE_TO_FACE = "face_to_face", _("Face-to-face is appropriate")
    LOW_VOLUME = "low_volume", _("Too few cases")
    OTHER = "other", _("Other")


class TriageStatus(models.TextChoices):
    """Where putting a ① procedure online stands."""

    NOT_STARTED = "not_started", _("Not started")  # 未着手
    COORDINATING = "coordinating", _("Coordinating")  # 調整中
    ONLINE = "online", _("Online")  # オンライン化済
