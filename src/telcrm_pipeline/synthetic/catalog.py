"""The product catalogue: mobile plans, fixed line, broadband, add-ons and bundles."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa


@dataclass(frozen=True)
class Offer:
    """One catalogue entry (a row of ``crm/offers.csv``)."""

    code: str
    name: str
    name_en: str
    line_of_business: str
    kind: str
    monthly_fee: float
    minutes: int = 0
    sms: int = 0
    data_mb: int = 0
    voice_rate: float = 0.0
    sms_rate: float = 0.0
    data_rate: float = 0.0
    contract_months: int = 0
    components: str = ""


OFFERS: tuple[Offer, ...] = (
    Offer(
        "MPR-8",
        "神州行8元卡",
        "Easy-Own 8",
        "mobile_prepaid",
        "plan",
        8,
        0,
        0,
        100,
        0.25,
        0.1,
        0.03,
    ),
    Offer(
        "MPR-18",
        "神州行18元卡",
        "Easy-Own 18",
        "mobile_prepaid",
        "plan",
        18,
        50,
        50,
        1024,
        0.19,
        0.1,
        0.03,
    ),
    Offer(
        "MPR-28",
        "动感地带28元卡",
        "M-Zone 28",
        "mobile_prepaid",
        "plan",
        28,
        100,
        100,
        5120,
        0.19,
        0.1,
        0.02,
    ),
    Offer(
        "MPO-38",
        "畅享套餐38元",
        "Enjoy 38",
        "mobile_postpaid",
        "plan",
        38,
        100,
        100,
        5120,
        0.19,
        0.1,
        0.01,
    ),
    Offer(
        "MPO-58",
        "畅享套餐58元",
        "Enjoy 58",
        "mobile_postpaid",
        "plan",
        58,
        200,
        100,
        10240,
        0.19,
        0.1,
        0.01,
        12,
    ),
    Offer(
        "MPO-88",
        "畅享套餐88元",
        "Enjoy 88",
        "mobile_postpaid",
        "plan",
        88,
        300,
        200,
        20480,
        0.15,
        0.1,
        0.01,
        12,
    ),
    Offer(
        "MPO-128",
        "畅享套餐128元",
        "Enjoy 128",
        "mobile_postpaid",
        "plan",
        128,
        500,
        300,
        40960,
        0.15,
        0.1,
        0.01,
        24,
    ),
    Offer(
        "MPO-188",
        "全球通188元",
        "GoTone 188",
        "mobile_postpaid",
        "plan",
        188,
        800,
        500,
        61440,
        0.12,
        0.1,
        0.01,
        24,
    ),
    Offer(
        "MPO-288",
        "全球通288元",
        "GoTone 288",
        "mobile_postpaid",
        "plan",
        288,
        1500,
        500,
        102400,
        0.1,
        0.1,
        0.01,
        24,
    ),
    Offer(
        "MPO-588",
        "全球通尊享588元",
        "GoTone Premier 588",
        "mobile_postpaid",
        "plan",
        588,
        3000,
        1000,
        307200,
        0.1,
        0.1,
        0.01,
        24,
    ),
    Offer(
        "FXL-20",
        "固定电话月租",
        "Fixed line",
        "fixed_line",
        "plan",
        20,
        0,
        0,
        0,
        0.1,
        0,
        0,
    ),
    Offer(
        "BB-100M",
        "宽带100M",
        "Broadband 100M",
        "broadband",
        "plan",
        50,
        contract_months=12,
    ),
    Offer(
        "BB-200M",
        "宽带200M",
        "Broadband 200M",
        "broadband",
        "plan",
        80,
        contract_months=12,
    ),
    Offer(
        "BB-500M",
        "宽带500M",
        "Broadband 500M",
        "broadband",
        "plan",
        120,
        contract_months=24,
    ),
    Offer(
        "BB-1000M",
        "千兆宽带",
        "Broadband 1000M",
        "broadband",
        "plan",
        200,
        contract_months=24,
    ),
    Offer("VAS-CRBT", "彩铃", "Colour ring-back tone", "vas", "addon", 5),
    Offer("VAS-MUSIC", "咪咕音乐会员", "Migu Music", "vas", "addon", 10),
    Offer("VAS-VIDEO", "咪咕视频会员", "Migu Video", "vas", "addon", 15),
    Offer("VAS-CLOUD", "和彩云", "Cloud storage", "vas", "addon", 10),
    Offer("VAS-INTL", "国际长途优惠包", "International call pack", "vas", "addon", 30),
    Offer(
        "BDL-FAM-199",
        "家庭融合套餐199元",
        "Family bundle 199",
        "mobile_postpaid",
        "bundle",
        199,
        500,
        300,
        40960,
        0.15,
        0.1,
        0.01,
        24,
        "MPO-128|BB-500M|VAS-VIDEO",
    ),
    Offer(
        "BDL-BIZ-299",
        "商务融合套餐299元",
        "Business bundle 299",
        "mobile_postpaid",
        "bundle",
        299,
        1000,
        500,
        61440,
        0.12,
        0.1,
        0.01,
        24,
        "MPO-188|FXL-20|BB-200M",
    ),
    Offer(
        "BDL-YOUTH-59",
        "青春卡融合59元",
        "Youth bundle 59",
        "mobile_postpaid",
        "bundle",
        59,
        200,
        100,
        20480,
        0.19,
        0.1,
        0.01,
        12,
        "MPO-58|VAS-MUSIC",
    ),
)

OFFER_INDEX = {offer.code: i for i, offer in enumerate(OFFERS)}
PREPAID_PLANS = ("MPR-8", "MPR-18", "MPR-28")
POSTPAID_PLANS = (
    "MPO-38",
    "MPO-58",
    "MPO-88",
    "MPO-128",
    "MPO-188",
    "MPO-288",
    "MPO-588",
)
BROADBAND_PLANS = ("BB-100M", "BB-200M", "BB-500M", "BB-1000M")
VAS_ADDONS = ("VAS-CRBT", "VAS-MUSIC", "VAS-VIDEO", "VAS-CLOUD")
BUNDLES = ("BDL-FAM-199", "BDL-BIZ-299", "BDL-YOUTH-59")
BUNDLE_BROADBAND = {"BDL-FAM-199": "BB-500M", "BDL-BIZ-299": "BB-200M"}


def codes(names: tuple[str, ...]) -> np.ndarray:
    """Return the catalogue indexes of offer codes."""
    return np.array([OFFER_INDEX[name] for name in names], dtype=np.int16)


def offer_attribute(attribute: str) -> np.ndarray:
    """Return one numeric attribute of every offer, indexed like ``OFFERS``."""
    return np.array([getattr(offer, attribute) for offer in OFFERS])


def offer_codes() -> pa.Array:
    """Return the offer codes as an Arrow column, to ``take`` from."""
    return pa.array([offer.code for offer in OFFERS])


def offers_table() -> pa.Table:
    """Build ``crm/offers.csv``."""
    columns = {
        "offer_code": [o.code for o in OFFERS],
        "name": [o.name for o in OFFERS],
        "name_en": [o.name_en for o in OFFERS],
        "line_of_business": [o.line_of_business for o in OFFERS],
        "kind": [o.kind for o in OFFERS],
        "monthly_fee": [f"{o.monthly_fee:.2f}" for o in OFFERS],
        "included_minutes": [o.minutes for o in OFFERS],
        "included_sms": [o.sms for o in OFFERS],
        "included_data_mb": [o.data_mb for o in OFFERS],
        "voice_rate": [f"{o.voice_rate:.2f}" for o in OFFERS],
        "sms_rate": [f"{o.sms_rate:.2f}" for o in OFFERS],
        "data_rate_per_mb": [f"{o.data_rate:.2f}" for o in OFFERS],
        "contract_months": [o.contract_months for o in OFFERS],
        "components": [o.components or None for o in OFFERS],
    }
    return pa.table(columns)
