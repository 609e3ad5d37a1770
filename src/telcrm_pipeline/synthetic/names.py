"""Chinese names, resident ID numbers, USCCs, addresses, phones and e-mails.

Everything is built column-wise: numbers with numpy, strings by Arrow kernels
(``take`` from small tables and element-wise joins), never one Python string per row.
Only characters of GB 2312 are used, so every name encodes in GBK.
"""

from __future__ import annotations

import functools

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from stdnum import numdb

from telcrm_pipeline.synthetic import regions

SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 7.1),
    ("李", 7.0),
    ("张", 6.7),
    ("刘", 5.4),
    ("陈", 5.5),
    ("杨", 3.1),
    ("黄", 2.2),
    ("赵", 2.0),
    ("吴", 2.4),
    ("周", 2.1),
    ("徐", 2.0),
    ("孙", 1.5),
    ("马", 1.3),
    ("朱", 1.5),
    ("胡", 1.4),
    ("郭", 1.1),
    ("何", 1.1),
    ("林", 1.2),
    ("罗", 0.9),
    ("高", 0.9),
    ("郑", 0.9),
    ("梁", 0.8),
    ("谢", 0.7),
    ("宋", 0.6),
    ("唐", 0.6),
    ("许", 0.7),
    ("韩", 0.5),
    ("冯", 0.5),
    ("邓", 0.5),
    ("曹", 0.5),
    ("彭", 0.5),
    ("曾", 0.5),
    ("肖", 0.4),
    ("田", 0.4),
    ("董", 0.4),
    ("袁", 0.4),
    ("潘", 0.4),
    ("于", 0.4),
    ("蒋", 0.5),
    ("蔡", 0.4),
    ("余", 0.4),
    ("杜", 0.4),
    ("叶", 0.5),
    ("程", 0.3),
    ("苏", 0.3),
    ("魏", 0.3),
    ("吕", 0.3),
    ("丁", 0.3),
    ("任", 0.3),
    ("沈", 0.6),
    ("姚", 0.3),
    ("卢", 0.3),
    ("姜", 0.3),
    ("钟", 0.2),
    ("陆", 0.4),
    ("汪", 0.3),
    ("范", 0.2),
    ("金", 0.5),
    ("方", 0.3),
    ("俞", 0.3),
    ("欧阳", 0.05),
    ("诸葛", 0.01),
)

MALE_CHARS = (
    "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙峰建国文志海东亮成晨阳"
    "天博毅睿轩豪振家嘉永春"
)
FEMALE_CHARS = (
    "芳娜敏静丽艳娟霞秀玲婷雪慧燕佳颖琳晶欣倩洁梅兰红莉萍丹蕾怡思雨涵悦琪彤萱璐瑶"
    "菲月露晓梦诗婧"
)

# Characters a clerk may type instead of the right one (same pinyin).
HOMOPHONE_GROUPS: tuple[str, ...] = (
    "伟维卫玮",
    "明铭鸣",
    "华桦骅",
    "静婧靖",
    "丽莉俐",
    "军君钧",
    "杰洁婕",
    "芳方舫",
    "敏闽珉",
    "磊蕾",
    "涛韬滔",
    "勇永咏",
    "艳燕雁彦",
    "刚钢纲",
    "平萍苹",
    "辉晖徽",
    "玲琳凌灵",
    "婷庭亭",
    "斌彬滨",
    "宇雨语羽",
    "浩皓昊",
    "凯恺锴",
    "鹏朋彭",
    "飞菲非",
    "红宏鸿虹",
    "霞侠",
    "波博柏",
    "晨辰琛",
    "欣馨心新",
    "佳嘉家",
    "涵晗含",
    "轩萱宣",
    "睿瑞锐",
    "思斯丝",
    "雪学",
    "梅玫媚",
    "兰岚澜",
    "慧惠蕙",
    "建健剑",
    "文雯闻",
    "俊骏峻",
    "峰锋丰枫",
    "超潮",
    "洋阳扬杨",
    "彤桐童",
    "琪琦淇",
    "张章",
    "王汪",
    "李黎",
    "刘柳",
    "徐许",
    "吴伍",
    "赵肇",
    "朱诸",
    "何贺",
    "郭国",
    "罗骆",
    "梁良",
    "唐汤",
    "冯封",
    "于余俞",
    "程成",
    "袁元",
    "叶页",
    "金今",
    "方芳",
    "沈审",
    "陆路",
)

ORG_BRANDS = (
    "华鑫恒瑞泰康宏达远航天成金钱江信诚新纪东方南海通汇银盛安永德利丰嘉荣兴隆美中"
)
ORG_INDUSTRY_WORDS: tuple[tuple[str, str], ...] = (
    ("制造业", "机械制造"),
    ("制造业", "电子科技"),
    ("信息传输、软件和信息技术服务业", "网络科技"),
    ("批发和零售业", "商贸"),
    ("建筑业", "建设工程"),
    ("交通运输、仓储和邮政业", "物流"),
    ("住宿和餐饮业", "餐饮管理"),
    ("金融业", "投资管理"),
    ("房地产业", "置业"),
    ("教育", "教育科技"),
    ("卫生和社会工作", "医疗器械"),
    ("采矿业", "矿业"),
)

INTERNET_MAIL = ("qq.com", "163.com", "126.com", "sina.com", "139.com")

ID_WEIGHTS = np.array(
    [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64
)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = np.array(
    [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28], dtype=np.int64
)
ORG_CODE_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)


def join(*parts: pa.Array | str) -> pa.Array:
    """Concatenate string columns (or constants) element-wise."""
    return pc.binary_join_element_wise(*parts, "")


def pick(table: tuple[str, ...] | list[str] | str, index: np.ndarray) -> pa.Array:
    """Return ``table[index]`` as an Arrow string column."""
    return pa.array(list(table)).take(pa.array(index))


def digits_of(values: np.ndarray, width: int) -> np.ndarray:
    """Split non-negative integers into a (n, width) matrix of decimal digits."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (values[:, None] // powers[None, :]) % 10


def as_text(values: np.ndarray) -> pa.Array:
    """Format integers as decimal strings (Arrow cast, vectorised)."""
    return pc.cast(pa.array(values, type=pa.int64()), pa.string())


def zero_padded(values: np.ndarray, width: int) -> pa.Array:
    """Format integers with leading zeros to ``width`` digits."""
    return pc.utf8_slice_codeunits(as_text(values + 10**width), 1)


def person_names(rng: np.random.Generator, female: np.ndarray) -> pa.Array:
    """Draw Chinese names: a surname by frequency and one or two given characters."""
    n = len(female)
    weights = np.array([w for _, w in SURNAMES])
    surname = pick(
        [s for s, _ in SURNAMES],
        rng.choice(len(SURNAMES), n, p=weights / weights.sum()),
    )
    first = given_chars(rng, female)
    second = given_chars(rng, female)
    one_char = rng.random(n) < 0.3
    given = pc.if_else(pa.array(one_char), first, join(first, second))
    return join(surname, given)


def given_chars(rng: np.random.Generator, female: np.ndarray) -> pa.Array:
    """Draw one given-name character per person, by gender."""
    male = pick(MALE_CHARS, rng.integers(0, len(MALE_CHARS), len(female)))
    fem = pick(FEMALE_CHARS, rng.integers(0, len(FEMALE_CHARS), len(female)))
    return pc.if_else(pa.array(female), fem, male)


def resident_ids(
    rng: np.random.Generator,
    region_code: np.ndarray,
    birth_day: np.ndarray,
    female: np.ndarray,
) -> pa.Array:
    """Build valid 18-digit resident ID numbers (GB 11643, ISO 7064 MOD 11-2).

    The order code's last digit is odd for men and even for women.
    """
    dates = birth_day.astype("datetime64[D]")
    years = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    months = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
    days = (dates - dates.astype("datetime64[M]")).astype(np.int64) + 1
    order = (
        rng.integers(0, 50, len(region_code)) * 20
        + rng.integers(0, 5, len(region_code)) * 2
    )
    order = order + np.where(female, 0, 1)
    region_code = birth_region_codes(rng, region_code, years)
    body = ((region_code * 10000 + years) * 100 + months) * 100 + days
    body = body * 1000 + order % 1000
    check = (digits_of(body, 17) * ID_WEIGHTS).sum(axis=1) % 11
    return join(as_text(body), pick("10X98765432", check))


def usccs(rng: np.random.Generator, region_code: np.ndarray) -> pa.Array:
    """Build valid unified social credit codes (GB 32100) for organisations."""
    n = len(region_code)
    org_body = rng.integers(10_000_000, 100_000_000, n)
    org_check = (11 - (digits_of(org_body, 8) * ORG_CODE_WEIGHTS).sum(axis=1) % 11) % 11
    head = (91 * 1_000_000 + region_code) * 100_000_000 + org_body
    org_check_value = np.where(org_check == 10, USCC_ALPHABET.index("X"), org_check)
    values = np.concatenate([digits_of(head, 16), org_check_value[:, None]], axis=1)
    check = (31 - (values * USCC_WEIGHTS).sum(axis=1) % 31) % 31
    return join(
        as_text(head), pick("0123456789X", org_check), pick(USCC_ALPHABET, check)
    )


def org_names(
    rng: np.random.Generator,
    brand: np.ndarray,
    district: np.ndarray,
    industry: np.ndarray,
    level: np.ndarray,
) -> pa.Array:
    """Name organisations: group roots, subsidiaries and branches of one brand.

    ``level`` is 0 for a group root or stand-alone company, 1 subsidiary, 2 branch.
    """
    city = pc.utf8_slice_codeunits(
        regions.district_column("city").take(pa.array(district)), 0, 2
    )
    size = len(ORG_BRANDS)
    brand_text = join(
        pick(ORG_BRANDS, brand % size), pick(ORG_BRANDS, brand // size % size)
    )
    trade = pick([w for _, w in ORG_INDUSTRY_WORDS], industry)
    company = join(city, brand_text, trade, "有限公司")
    root = join("浙江", brand_text, "集团有限公司")
    branch = join(
        company, regions.district_column("district").take(pa.array(district)), "分公司"
    )
    is_root = pa.array(level == 0)
    return pc.if_else(pa.array(level == 2), branch, pc.if_else(is_root, root, company))


def industry_names(industry: np.ndarray) -> pa.Array:
    """Return the GB/T 4754 section name of each industry index."""
    return pick([s for s, _ in ORG_INDUSTRY_WORDS], industry)


def addresses(rng: np.random.Generator, district: np.ndarray) -> pa.Array:
    """Build street addresses within each district."""
    n = len(district)
    take = pa.array(district)
    prefix = join(
        regions.district_column("province").take(take),
        regions.district_column("city").take(take),
        regions.district_column("district").take(take),
    )
    prefix = pc.replace_substring(prefix, "上海市上海市", "上海市")
    prefix = pc.replace_substring(prefix, "北京市北京市", "北京市")
    street = pick(regions.STREETS, rng.integers(0, len(regions.STREETS), n))
    estate = pick(regions.COMMUNITIES, rng.integers(0, len(regions.COMMUNITIES), n))
    number = as_text(rng.integers(1, 400, n))
    building = as_text(rng.integers(1, 30, n))
    room = as_text(rng.integers(1, 30, n) * 100 + rng.integers(1, 6, n))
    return join(prefix, street, number, "号", estate, building, "幢", room, "室")


def msisdn_typed(rng: np.random.Generator, msisdn: np.ndarray) -> pa.Array:
    """Format mobile numbers the ways people type them (spaces, dashes, +86)."""
    text = as_text(msisdn)
    head = pc.utf8_slice_codeunits(text, 0, 3)
    mid = pc.utf8_slice_codeunits(text, 3, 7)
    tail = pc.utf8_slice_codeunits(text, 7, 11)
    styles = [
        text,
        join(head, " ", mid, " ", tail),
        join("+86 ", text),
        join(head, "-", mid, "-", tail),
        join("86", text),
    ]
    style = rng.choice(5, len(msisdn), p=[0.55, 0.2, 0.1, 0.1, 0.05])
    return pc.choose(pa.array(style.astype(np.int8)), *styles)


def landline_typed(area_code: np.ndarray, local: np.ndarray) -> pa.Array:
    """Format fixed numbers as ``0571-87654321``."""
    return join("0", as_text(area_code), "-", as_text(local))


def emails(rng: np.random.Generator, n: int) -> pa.Array:
    """Draw personal e-mail addresses (QQ numbers and mailbox names)."""
    qq = as_text(rng.integers(100_000, 3_000_000_000, n))
    domain = pick(
        INTERNET_MAIL, rng.choice(len(INTERNET_MAIL), n, p=[0.5, 0.2, 0.1, 0.05, 0.15])
    )
    return join(qq, "@", domain)


def homophone_typo(
    rng: np.random.Generator, names: pa.Array, rate: float
) -> tuple[pa.Array, np.ndarray]:
    """Replace one character by a homophone in about ``rate`` of the names.

    Returns the new names and a mask of the rows actually changed. Only the
    distinct mistyped names go through Python; the table of names is small.
    """
    chosen = np.flatnonzero(rng.random(len(names)) < rate)
    originals = names.take(pa.array(chosen)).to_pylist()
    draws = rng.random((len(chosen), 2))
    replaced = [
        mistype(name, a, b) for name, (a, b) in zip(originals, draws, strict=True)
    ]
    changed = np.zeros(len(names), dtype=bool)
    changed[chosen] = np.array(
        [r != o for r, o in zip(replaced, originals, strict=True)], dtype=bool
    )
    if not len(chosen):
        return names, changed
    values = names.to_numpy(zero_copy_only=False).copy()
    values[chosen] = replaced
    return pa.array(values.tolist(), type=pa.string()), changed


_HOMOPHONES = {c: group.replace(c, "") for group in HOMOPHONE_GROUPS for c in group}


def mistype(name: str, where: float, which: float) -> str:
    """Swap one character of ``name`` for a homophone (or swap given names)."""
    positions = [i for i, c in enumerate(name) if c in _HOMOPHONES]
    if not positions:
        return name[0] + name[2] + name[1] if len(name) == 3 else name
    i = positions[int(where * len(positions))]
    options = _HOMOPHONES[name[i]]
    return name[:i] + options[int(which * len(options))] + name[i + 1 :]


def wrong_digit(rng: np.random.Generator, ids: pa.Array) -> pa.Array:
    """Change one digit (not the last) of each ID number: a clerk's typo."""
    n = len(ids)
    pos = rng.integers(6, 16, n)
    text = ids.to_numpy(zero_copy_only=False).astype("U18")
    chars = text.view("U1").reshape(n, 18)
    old = chars[np.arange(n), pos].astype(np.int64)
    chars[np.arange(n), pos] = ((old + rng.integers(1, 10, n)) % 10).astype("U1")
    return pa.array(chars.view("U18").ravel().tolist(), type=pa.string())


@functools.cache
def county_codes_by_year(
    prefixes: tuple[int, ...],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All county codes under the 4-digit city ``prefixes`` with their validity years.

    Read from python-stdnum's administrative division database, so that a
    birthplace code is always one that existed in the person's birth year.
    Returns (codes, first_year, last_year).
    """
    database = numdb.get("cn/loc")
    rows: list[tuple[int, int, int]] = []
    for prefix in prefixes:
        for suffix in range(1, 100):
            code = prefix * 100 + suffix
            info = {
                k: v for _, props in database.info(str(code)) for k, v in props.items()
            }
            rows.extend(
                (code, *years) for years in county_validity(info.get("county", ""))
            )
    table = np.array(rows, dtype=np.int64).reshape(-1, 3)
    return table[:, 0], table[:, 1], table[:, 2]


def county_validity(county: str) -> list[tuple[int, int]]:
    """Parse stdnum's ``[1983-2001]name,[2002-]name`` into year ranges."""
    ranges = []
    for part in filter(None, county.split(",")):
        if not part.startswith("["):
            ranges.append((0, 9999))
            continue
        first, last = part[1:].split("]")[0].split("-")
        ranges.append((int(first or 0), int(last or 9999)))
    return ranges


def birth_region_codes(
    rng: np.random.Generator, district_code: np.ndarray, birth_year: np.ndarray
) -> np.ndarray:
    """Pick a county code of each birth city that existed in the birth year."""
    prefix = district_code // 100
    codes, first, last = county_codes_by_year(tuple(int(p) for p in np.unique(prefix)))
    result = district_code.copy()
    key = prefix * 10_000 + birth_year
    order = np.argsort(key, kind="stable")
    keys, starts = np.unique(key[order], return_index=True)
    for city_year, rows in zip(keys, np.split(order, starts[1:]), strict=True):
        city, year = divmod(int(city_year), 10_000)
        in_time = (first <= year) & (last >= year)
        valid = codes[(codes // 100 == city) & in_time]
        # A city created after the birth year: fall back to its province's counties.
        valid = (
            valid if len(valid) else codes[(codes // 10_000 == city // 100) & in_time]
        )
        valid = valid if len(valid) else province_codes_in_year(city // 100, year)
        result[rows] = valid[rng.integers(0, len(valid), len(rows))]
    return result


def province_codes_in_year(province: int, year: int) -> np.ndarray:
    """Every county code of the province that existed in ``year``.

    Needed for people born before their city's counties were (re)numbered: the
    division database starts many counties in 1983, so an older birthplace must be
    one of the few codes of the province that were valid then.
    """
    codes, first, last = county_codes_by_year(
        tuple(province * 100 + city for city in range(1, 100))
    )
    valid = codes[(first <= year) & (last >= year)]
    if not len(valid):
        raise ValueError(f"no county of province {province} existed in {year}")
    return valid
