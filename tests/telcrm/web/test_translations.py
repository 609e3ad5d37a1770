"""zh-Hans: pages follow the user's language; the catalogue is complete."""

from __future__ import annotations

import ast
import gettext
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.test import Client
from tests.telcrm.factories import logged_in

import telcrm
from telcrm.users.choices import Role

MESSAGES = Path(telcrm.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES"
PO_FILE = MESSAGES / "django.po"
MO_FILE = MESSAGES / "django.mo"


def client_for(language: str, role: str = Role.AGENT) -> Client:
    return logged_in(role, language=language)[0]


@pytest.mark.django_db
def test_a_chinese_user_sees_chinese_pages() -> None:
    client = client_for("zh-hans")

    home = client.get("/").content.decode()
    login = client.get("/login/").content.decode()

    assert ">查找客户</a>" in home
    assert "按电话号码、姓名、证件号码、账户或号码查找客户。" in home
    assert "呼叫中心坐席" in home
    assert "退出登录" in home
    assert "Find a customer" not in home
    assert "<h1>登录</h1>" in login
    assert "用户名" in login
    assert "密码" in login
    assert "Log in" not in login


@pytest.mark.django_db
def test_an_english_user_sees_english_pages() -> None:
    client = client_for("en")

    home = client.get("/").content.decode()
    login = client.get("/login/").content.decode()

    assert ">Find a customer</a>" in home
    assert "Find a customer by phone number, name, ID number, account or line." in home
    assert "Call-centre agent" in home
    assert "查找客户" not in home
    assert "<h1>Log in</h1>" in login
    assert "User name" in login
    assert "登录" not in login


@pytest.mark.django_db
def test_the_login_page_follows_the_browser_before_login() -> None:
    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").get("/login/")
    english = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").get("/login/")

    assert "<h1>登录</h1>" in chinese.content.decode()
    assert "<h1>Log in</h1>" in english.content.decode()


@dataclass
class Entry:
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstrs: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0


def parse_po(path: Path) -> list[Entry]:
    """The entries of a .po file, obsolete ``#~`` entries left out."""
    entries: list[Entry] = []
    entry = Entry()
    target: tuple[str, int] | None = None

    def finish() -> None:
        nonlocal entry, target
        if target is not None:
            entries.append(entry)
        entry, target = Entry(), None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            finish()
        elif line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            assert target is not None, f"line {number}: a string outside an entry"
            text = ast.literal_eval(line)
            kind, index = target
            if kind == "msgctxt":
                entry.msgctxt = (entry.msgctxt or "") + text
            elif kind == "msgid":
                entry.msgid += text
            elif kind == "msgid_plural":
                entry.msgid_plural = (entry.msgid_plural or "") + text
            elif kind == "msgstr":
                entry.msgstrs[index] += text
        else:
            keyword, _, value = line.partition(" ")
            starts = keyword in ("msgctxt", "msgid")
            if starts and target is not None and target[0] == "msgstr":
                finish()
            text = ast.literal_eval(value)
            if keyword == "msgctxt":
                entry.msgctxt, target = text, ("msgctxt", 0)
            elif keyword == "msgid":
                entry.msgid, entry.line, target = text, number, ("msgid", 0)
            elif keyword == "msgid_plural":
                entry.msgid_plural, target = text, ("msgid_plural", 0)
            elif keyword.startswith("msgstr"):
                index = int(keyword[7:-1]) if keyword != "msgstr" else 0
                entry.msgstrs[index] = text
                target = ("msgstr", index)
            else:
                raise AssertionError(f"line {number}: unknown keyword {keyword}")
    finish()
    return entries


def test_the_catalogue_is_fully_translated() -> None:
    entries = parse_po(PO_FILE)
    header, messages = entries[0], entries[1:]

    assert header.msgid == ""
    assert "fuzzy" not in header.flags
    assert "Plural-Forms: nplurals=1; plural=0;" in header.msgstrs[0]
    assert len(messages) > 500
    fuzzy = [entry.msgid for entry in messages if "fuzzy" in entry.flags]
    untranslated = [
        entry.msgid
        for entry in messages
        if not entry.msgstrs or not all(entry.msgstrs.values())
    ]
    plural_forms = [
        entry.msgid
        for entry in messages
        if entry.msgid_plural is not None and sorted(entry.msgstrs) != [0]
    ]
    assert fuzzy == []
    assert untranslated == []
    assert plural_forms == []


def test_the_compiled_catalogue_matches_the_po_file() -> None:
    with MO_FILE.open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)

    for entry in parse_po(PO_FILE)[1:]:
        if entry.msgid_plural is None:
            found = (
                catalog.gettext(entry.msgid)
                if entry.msgctxt is None
                else catalog.pgettext(entry.msgctxt, entry.msgid)
            )
        elif entry.msgctxt is None:
            found = catalog.ngettext(entry.msgid, entry.msgid_plural, 1)
        else:
            found = catalog.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, 1)
        assert found == entry.msgstrs[0], entry.msgid
