"""The gettext catalogues: every supported language has every string, and the catalogues compile."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import to_locale

LOCALES = Path(settings.BASE_DIR) / "locales"
LANGUAGE_CODES = [code for code, _ in settings.LANGUAGES]


def catalogue(code: str) -> Path:
    return LOCALES / to_locale(code) / "LC_MESSAGES" / "django.po"


def entries(po: Path) -> list[dict]:
    """A small .po reader: msgid, msgid_plural, msgstr[...] and flags of each entry."""
    found: list[dict] = []
    current: dict = {}
    key = None

    def close():
        if current.get("msgid") is not None:
            found.append(dict(current))

    for raw in po.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            close()
            current, key = {}, None
        elif line.startswith("#,"):
            current["flags"] = line[2:].strip()
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            current[key] += line[1:-1]
        else:
            key, _, value = line.partition(" ")
            current[key] = value[1:-1]
    close()
    return [e for e in found if e["msgid"]]


@pytest.mark.parametrize("code", LANGUAGE_CODES)
def test_every_language_has_every_string(code):
    po = catalogue(code)
    assert po.exists(), f"no catalogue for {code}: {po}"
    missing = [e["msgid"] for e in entries(po) if not all(v for k, v in e.items() if k.startswith("msgstr"))]
    fuzzy = [e["msgid"] for e in entries(po) if "fuzzy" in e.get("flags", "")]
    assert not missing, f"{code}: {len(missing)} untranslated, e.g. {missing[:3]}"
    assert not fuzzy, f"{code}: {len(fuzzy)} fuzzy, e.g. {fuzzy[:3]}"


def test_every_catalogue_has_the_same_strings():
    reference = {e["msgid"] for e in entries(catalogue("ja"))}
    for code in LANGUAGE_CODES:
        assert {e["msgid"] for e in entries(catalogue(code))} == reference, code


@pytest.mark.parametrize("code", LANGUAGE_CODES)
def test_catalogue_compiles_and_formats_match(code, tmp_path):
    if shutil.which("msgfmt") is None:
        pytest.fail("msgfmt (gettext) is not installed: run `make test`, which installs it")
    result = subprocess.run(
        ["msgfmt", "--check", "-o", str(tmp_path / "django.mo"), str(catalogue(code))], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert (catalogue(code).with_suffix(".mo")).exists(), "compiled .mo missing: run `make messages`"


@pytest.mark.parametrize("code", [c for c in LANGUAGE_CODES if c != "en"])
def test_resident_strings_are_served_translated(code):
    msgid = "Talk to a person"
    with translation.override(code):
        assert translation.gettext(msgid) != msgid


def test_catalogues_hold_every_string_the_code_marks(tmp_path):
    """A string marked for translation but missing from the catalogues reaches every reader in English:
    the catalogues are extracted afresh from a copy of the code and compared (``make messages`` fixes it)."""
    base = Path(settings.BASE_DIR)
    copy = tmp_path / "src"
    skip = shutil.ignore_patterns(
        ".*", "var", "tests", "demo", "test-artifacts", "staticfiles", "__pycache__", "*.mo", "*.npz"
    )
    shutil.copytree(base, copy, ignore=skip)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "ja", "--no-obsolete", "-v0"],
        cwd=copy,
        env={**os.environ, "MADOGUCHI_VAR_DIR": str(tmp_path / "var")},
        check=True,
        capture_output=True,
    )
    fresh = {e["msgid"] for e in entries(copy / "locales" / "ja" / "LC_MESSAGES" / "django.po")}
    current = {e["msgid"] for e in entries(catalogue("ja"))}
    assert sorted(fresh - current) == [], "marked in the code, missing from the catalogues: run `make messages`"
    assert sorted(current - fresh) == [], "in the catalogues, no longer in the code: run `make messages`"
