from __future__ import annotations

import pytest

from events.errors import InputError, InvalidCode
from labels.payload import code_from_text, label_url

PUBLIC = "https://trace.example.gov.cn"
CODE = "001PB12ABCDEFGE9P0000001"
SECOND_LIFE = "S2LPBA1G5A0000007RP"


@pytest.mark.parametrize("public", [PUBLIC, PUBLIC + "/"])
def test_label_url_joins_without_a_double_slash(public: str) -> None:
    assert label_url(public, CODE) == f"{PUBLIC}/p/{CODE}"


@pytest.mark.parametrize(
    "text",
    [
        f"{PUBLIC}/p/{CODE}",
        f"{PUBLIC}/p/{CODE}/",
        f"{PUBLIC}/p/{CODE}?src=label&v=2",
        f"{PUBLIC}/p/{CODE}#top",
        f"HTTPS://TRACE.Example.GOV.CN/p/{CODE}",
        f"http://trace.example.gov.cn/p/{CODE}",
        f"{PUBLIC}/p/{CODE}\r\n",
        CODE,
        f"  {CODE}\n",
    ],
)
def test_our_urls_and_bare_codes_give_the_code(text: str) -> None:
    assert code_from_text(text, PUBLIC) == CODE


def test_second_life_code_bare_and_in_a_url() -> None:
    assert code_from_text(SECOND_LIFE, PUBLIC) == SECOND_LIFE
    assert code_from_text(label_url(PUBLIC, SECOND_LIFE), PUBLIC) == SECOND_LIFE


def test_public_url_with_a_path_prefix() -> None:
    public = "https://gov.example.cn/packtrace/"
    assert code_from_text(label_url(public, CODE), public) == CODE
    with pytest.raises(InputError, match="not a packtrace label") as raised:
        code_from_text(f"https://gov.example.cn/p/{CODE}", public)
    assert raised.value.code == "foreign_code"


@pytest.mark.parametrize(
    "text",
    [
        f"https://evil.example.com/p/{CODE}",
        f"https://trace.example.gov.cn.evil.example.com/p/{CODE}",
        f"https://trace.example.gov.cn@evil.example.com/p/{CODE}",
        f"https://trace.example.gov.cn:8443/p/{CODE}",
        f"ftp://trace.example.gov.cn/p/{CODE}",
        f"{PUBLIC}/packs/{CODE}",
        f"{PUBLIC}/p/{CODE}/events",
        f"{PUBLIC}/p/",
        f"https://trace.example.gov.cn:port/p/{CODE}",
        "hello 你好",
        "",
        "WIFI:S:factory;T:WPA;P:secret;;",
    ],
)
def test_anything_else_is_foreign_and_named(text: str) -> None:
    with pytest.raises(InputError) as raised:
        code_from_text(text, PUBLIC)
    assert raised.value.code == "foreign_code"
    assert str(raised.value) == f"scanned text is not a packtrace label: {text.strip()!r}"


@pytest.mark.parametrize("text", ["0RJXEA00HAU0AAF131001955", f"{PUBLIC}/p/0RJXEA00HAU0AAF131001955"])
def test_code_shaped_but_invalid_says_which_field(text: str) -> None:
    with pytest.raises(InvalidCode):
        code_from_text(text, PUBLIC)
