"""Places: GB/T 2260 administrative division codes (行政区划代码) and the jurisdiction of a regulator.

A code has six digits: two for the province-level division, two for the prefecture-level city, two for the
county or district. `350000` is Fujian, `350200` Xiamen, `350205` Xiamen's Haicang district. A code covers
the divisions under it:

    350000  (province level: ends in 0000)   covers every 35xxxx
    350200  (city level: ends in 00)         covers every 3502xx
    350205  (county level)                   covers itself

Names are shipped for every province-level division and for the cities and districts of the provinces the
platform serves (data below); any other well-formed code is accepted and shown by its nearest named
division and its code.
"""

from __future__ import annotations

import re

from events.errors import AuthorisationError, InputError

CODE = re.compile(r"[0-9]{6}")

# code: (Chinese, English). Province-level divisions (GB/T 2260-2007 and the Ministry of Civil Affairs'
# current list), then Fujian's prefecture-level cities and the districts the demo province uses.
NAMES: dict[str, tuple[str, str]] = {
    "110000": ("北京市", "Beijing"),
    "120000": ("天津市", "Tianjin"),
    "130000": ("河北省", "Hebei"),
    "140000": ("山西省", "Shanxi"),
    "150000": ("内蒙古自治区", "Inner Mongolia"),
    "210000": ("辽宁省", "Liaoning"),
    "220000": ("吉林省", "Jilin"),
    "230000": ("黑龙江省", "Heilongjiang"),
    "310000": ("上海市", "Shanghai"),
    "320000": ("江苏省", "Jiangsu"),
    "330000": ("浙江省", "Zhejiang"),
    "340000": ("安徽省", "Anhui"),
    "350000": ("福建省", "Fujian"),
    "360000": ("江西省", "Jiangxi"),
    "370000": ("山东省", "Shandong"),
    "410000": ("河南省", "Henan"),
    "420000": ("湖北省", "Hubei"),
    "430000": ("湖南省", "Hunan"),
    "440000": ("广东省", "Guangdong"),
    "450000": ("广西壮族自治区", "Guangxi"),
    "460000": ("海南省", "Hainan"),
    "500000": ("重庆市", "Chongqing"),
    "510000": ("四川省", "Sichuan"),
    "520000": ("贵州省", "Guizhou"),
    "530000": ("云南省", "Yunnan"),
    "540000": ("西藏自治区", "Xizang"),
    "610000": ("陕西省", "Shaanxi"),
    "620000": ("甘肃省", "Gansu"),
    "630000": ("青海省", "Qinghai"),
    "640000": ("宁夏回族自治区", "Ningxia"),
    "650000": ("新疆维吾尔自治区", "Xinjiang"),
    "710000": ("台湾省", "Taiwan"),
    "810000": ("香港特别行政区", "Hong Kong"),
    "820000": ("澳门特别行政区", "Macao"),
    # Fujian's prefecture-level cities
    "350100": ("福州市", "Fuzhou"),
    "350200": ("厦门市", "Xiamen"),
    "350300": ("莆田市", "Putian"),
    "350400": ("三明市", "Sanming"),
    "350500": ("泉州市", "Quanzhou"),
    "350600": ("漳州市", "Zhangzhou"),
    "350700": ("南平市", "Nanping"),
    "350800": ("龙岩市", "Longyan"),
    "350900": ("宁德市", "Ningde"),
    # districts
    "350102": ("福州市鼓楼区", "Gulou, Fuzhou"),
    "350111": ("福州市晋安区", "Jin'an, Fuzhou"),
    "350203": ("厦门市思明区", "Siming, Xiamen"),
    "350205": ("厦门市海沧区", "Haicang, Xiamen"),
    "350211": ("厦门市集美区", "Jimei, Xiamen"),
    "350503": ("泉州市丰泽区", "Fengze, Quanzhou"),
    "350902": ("宁德市蕉城区", "Jiaocheng, Ningde"),
}


class OutOfJurisdiction(AuthorisationError):
    """A region-scoped regulator asked about a place or a pack outside its jurisdiction (HTTP 403)."""

    code = "out_of_jurisdiction"


def check_code(text: str, what: str = "region") -> str:
    """A well-formed division code, else InputError (code `invalid_filter` as it is most often a filter)."""
    if not (isinstance(text, str) and CODE.fullmatch(text)):
        raise InputError(
            f"{what} {text!r} must be a 6-digit GB/T 2260 division code, e.g. 350000 (Fujian) or 350200 (Xiamen)",
            code="invalid_filter",
        )
    return text


def level(code: str) -> str:
    """`province`, `city` or `county`."""
    if code.endswith("0000"):
        return "province"
    return "city" if code.endswith("00") else "county"


def prefix(code: str) -> str:
    """What the codes a division covers start with: `35` for 350000, `3502` for 350200, the code itself for
    a county."""
    if code.endswith("0000"):
        return code[:2]
    return code[:4] if code.endswith("00") else code


def covers(outer: str, inner: str) -> bool:
    """Whether the division `outer` contains `inner` (every code covers itself)."""
    if outer.endswith("0000"):
        return inner[:2] == outer[:2]
    if outer.endswith("00"):
        return inner[:4] == outer[:4]
    return inner == outer


def city_of(code: str) -> str:
    """The prefecture-level division a code is in (a province-level code is its own)."""
    return code if code.endswith("0000") else code[:4] + "00"


def name(code: str, lang: str = "zh") -> str:
    """`厦门市` / `Xiamen` for a named division; otherwise the nearest named division above it and the code,
    `福建省 350981` (or the code alone)."""
    which = 1 if lang == "en" else 0
    if code in NAMES:
        return NAMES[code][which]
    for above in (code[:4] + "00", code[:2] + "0000"):
        if above in NAMES:
            return f"{NAMES[above][which]} {code}"
    return code


def narrowed(jurisdiction: str | None, asked: str | None) -> str | None:
    """The region a read covers: what was asked, which must lie in the caller's jurisdiction (None: the
    whole platform). Asking for a region outside one's jurisdiction, or a wider one, is refused."""
    if asked is not None:
        check_code(asked)
    if jurisdiction is None:
        return asked
    if asked is None:
        return jurisdiction
    if not covers(jurisdiction, asked):
        raise OutOfJurisdiction(
            f"region {asked} ({name(asked, 'en')}) is outside your jurisdiction, "
            f"{jurisdiction} ({name(jurisdiction, 'en')})"
        )
    return asked
