"""Where customers live: a modest, Zhejiang-heavy table of districts.

Every district carries its real administrative code (the first six digits of the
resident ID numbers of people born there), its telephone area code and its share of
the operator's customers, like a provincial operator based in Hangzhou.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa


@dataclass(frozen=True)
class District:
    """One district (区/县) with its codes and its share of customers."""

    province: str
    city: str
    district: str
    code: int
    area_code: int
    weight: float


DISTRICTS: tuple[District, ...] = (
    District("浙江省", "杭州市", "上城区", 330102, 571, 9.0),
    District("浙江省", "杭州市", "拱墅区", 330105, 571, 9.0),
    District("浙江省", "杭州市", "西湖区", 330106, 571, 10.0),
    District("浙江省", "杭州市", "滨江区", 330108, 571, 7.0),
    District("浙江省", "杭州市", "萧山区", 330109, 571, 10.0),
    District("浙江省", "杭州市", "余杭区", 330110, 571, 10.0),
    District("浙江省", "杭州市", "富阳区", 330111, 571, 4.0),
    District("浙江省", "杭州市", "临安区", 330112, 571, 3.0),
    District("浙江省", "杭州市", "桐庐县", 330122, 571, 2.0),
    District("浙江省", "杭州市", "淳安县", 330127, 571, 1.5),
    District("浙江省", "宁波市", "海曙区", 330203, 574, 3.0),
    District("浙江省", "宁波市", "江北区", 330205, 574, 2.0),
    District("浙江省", "宁波市", "鄞州区", 330212, 574, 3.0),
    District("浙江省", "温州市", "鹿城区", 330302, 577, 2.5),
    District("浙江省", "温州市", "瓯海区", 330304, 577, 1.5),
    District("浙江省", "嘉兴市", "南湖区", 330402, 573, 2.0),
    District("浙江省", "湖州市", "吴兴区", 330502, 572, 1.5),
    District("浙江省", "绍兴市", "越城区", 330602, 575, 2.0),
    District("浙江省", "绍兴市", "柯桥区", 330603, 575, 2.0),
    District("浙江省", "金华市", "婺城区", 330702, 579, 1.5),
    District("浙江省", "金华市", "义乌市", 330782, 579, 2.0),
    District("浙江省", "台州市", "椒江区", 331002, 576, 1.5),
    District("上海市", "上海市", "浦东新区", 310115, 21, 1.2),
    District("上海市", "上海市", "徐汇区", 310104, 21, 0.6),
    District("江苏省", "南京市", "玄武区", 320102, 25, 0.5),
    District("江苏省", "苏州市", "姑苏区", 320508, 512, 0.6),
    District("安徽省", "合肥市", "蜀山区", 340104, 551, 0.6),
    District("江西省", "南昌市", "东湖区", 360102, 791, 0.5),
    District("福建省", "福州市", "鼓楼区", 350102, 591, 0.4),
    District("河南省", "郑州市", "金水区", 410105, 371, 0.5),
    District("四川省", "成都市", "锦江区", 510104, 28, 0.4),
    District("广东省", "广州市", "天河区", 440106, 20, 0.4),
    District("北京市", "北京市", "朝阳区", 110105, 10, 0.3),
)

# People born outside Zhejiang (migrant workers) are over-represented among ID codes.
BIRTHPLACE_OUTSIDE_BOOST = 6.0

STREETS: tuple[str, ...] = (
    "文三路",
    "文二路",
    "学院路",
    "解放路",
    "延安路",
    "中山路",
    "人民路",
    "建设路",
    "和平路",
    "体育场路",
    "庆春路",
    "凤起路",
    "莫干山路",
    "古墩路",
    "江南大道",
    "滨盛路",
    "市心路",
    "金城路",
    "文一西路",
    "五常大道",
    "天目山路",
    "西溪路",
    "湖墅南路",
    "秋涛路",
    "新华路",
    "环城北路",
    "东新路",
    "明石路",
    "工农路",
    "振兴路",
)

COMMUNITIES: tuple[str, ...] = (
    "阳光花园",
    "翠苑",
    "金色家园",
    "绿城桂花园",
    "滨江花园",
    "世纪新城",
    "和睦新村",
    "东方名苑",
    "锦绣江南",
    "香樟公寓",
    "紫金庭院",
    "梧桐苑",
    "春江花月",
    "清水湾",
)


def district_weights() -> np.ndarray:
    """Return the residence probability of every district (sums to 1)."""
    weights = np.array([d.weight for d in DISTRICTS])
    return weights / weights.sum()


def birthplace_weights() -> np.ndarray:
    """Return the birthplace probability of every district (more from outside)."""
    weights = np.array(
        [
            d.weight * (1 if d.province == "浙江省" else BIRTHPLACE_OUTSIDE_BOOST)
            for d in DISTRICTS
        ]
    )
    return weights / weights.sum()


def district_column(field: str) -> pa.Array:
    """Return one attribute of every district as an Arrow array, to ``take`` from."""
    return pa.array([getattr(d, field) for d in DISTRICTS])


def district_codes() -> np.ndarray:
    """Return the six-digit administrative code of every district."""
    return np.array([d.code for d in DISTRICTS], dtype=np.int64)


# Local-number length by area code where it is not 8 (libphonenumber's CN metadata).
SEVEN_DIGIT_AREAS = (572,)


def local_digits(area_code: np.ndarray) -> np.ndarray:
    """How many digits a fixed-line local number has in each area."""
    return np.where(np.isin(area_code, SEVEN_DIGIT_AREAS), 7, 8)


def area_codes() -> np.ndarray:
    """Return the telephone area code (without the leading 0) of every district."""
    return np.array([d.area_code for d in DISTRICTS], dtype=np.int64)
