"""Editors correct cached translations and extend the glossary in the admin, within their city."""

from __future__ import annotations

import pytest

from conversations.models import Membership
from languages import glossary, translation
from languages.models import CachedTranslation, GlossaryTerm

pytestmark = pytest.mark.usefixtures("fresh_glossary")

CT = "/admin/languages/cachedtranslation/"
GT = "/admin/languages/glossaryterm/"


@pytest.fixture
def cities(make_municipality):
    return make_municipality("city-a"), make_municipality("city-b")


@pytest.fixture
def editor(cities, staff_user):
    return staff_user(cities[0], role=Membership.Role.EDITOR)


def cached(municipality, text="住民票の写しは市民課で取れます。", translated="[en] machine"):
    return CachedTranslation.objects.create(
        municipality=municipality,
        source_language="ja",
        target_language="en",
        source_text=text,
        text=translated,
        backend="libre",
    )


def change_form(row, **changes):
    data = {
        "text": row.text,
        "is_curated": "on" if row.is_curated else "",
    }
    data.update(changes)
    return data


def test_editor_correction_in_the_admin_becomes_curated(cities, editor, client, settings):
    settings.TRANSLATOR = "none"
    row = cached(cities[0])
    client.force_login(editor)
    response = client.post(f"{CT}{row.pk}/change/", change_form(row, text="A certificate of residence: see 市民課."))
    assert response.status_code == 302, response.content.decode()[:2000]
    row.refresh_from_db()
    assert row.is_curated and row.corrected_by == editor
    result = translation.translate(row.source_text, "ja", "en", municipality=cities[0])
    assert result.text == "A certificate of residence: see 市民課." and result.curated


def test_saving_without_changing_the_text_keeps_it_machine(cities, editor, client):
    row = cached(cities[0])
    client.force_login(editor)
    client.post(f"{CT}{row.pk}/change/", change_form(row))
    row.refresh_from_db()
    assert not row.is_curated


def test_editor_sees_own_and_shared_rows_only(cities, editor, client):
    own, other, shared = cached(cities[0]), cached(cities[1]), cached(None, text="共有")
    client.force_login(editor)
    listing = client.get(CT)
    assert listing.status_code == 200
    assert {r.pk for r in listing.context["cl"].result_list} == {own.pk, shared.pk}
    assert client.get(f"{CT}{other.pk}/change/").status_code == 302  # not found for this editor


def test_shared_rows_are_read_only_for_editors(cities, editor, client):
    shared = cached(None, text="共有")
    client.force_login(editor)
    assert client.get(f"{CT}{shared.pk}/change/").status_code == 200  # may look
    client.post(f"{CT}{shared.pk}/change/", change_form(shared, text="changed"))
    shared.refresh_from_db()
    assert shared.text == "[en] machine"


def test_superuser_can_correct_shared_rows(cities, client, django_user_model):
    shared = cached(None, text="共有")
    client.force_login(django_user_model.objects.create_superuser("root", password="pw"))
    client.post(f"{CT}{shared.pk}/change/", change_form(shared, text="shared, corrected"))
    shared.refresh_from_db()
    assert shared.text == "shared, corrected" and shared.is_curated


def test_staff_without_editor_role_cannot_open_the_cache(cities, staff_user, client):
    client.force_login(staff_user(cities[0]))
    assert client.get(CT).status_code == 403


def test_editor_adds_a_glossary_term_for_their_city(cities, editor, client):
    client.force_login(editor)
    response = client.post(
        f"{GT}add/",
        {
            "municipality": cities[0].pk,
            "japanese": "ふれあいバス",
            "language": "vi",
            "term": "xe buýt fureai",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert GlossaryTerm.objects.get().municipality == cities[0]
    assert glossary.expand_to_japanese("xe buýt fureai dừng ở đâu", "vi", municipality=cities[0]) == ["ふれあいバス"]
    assert glossary.expand_to_japanese("xe buýt fureai dừng ở đâu", "vi", municipality=cities[1]) == []


def test_editor_cannot_add_shared_or_other_city_terms(cities, editor, client):
    client.force_login(editor)
    for municipality in ("", cities[1].pk):
        response = client.post(
            f"{GT}add/",
            {"municipality": municipality, "japanese": "市民まつり", "language": "en", "term": "festival"},
        )
        assert response.status_code == 200  # the form comes back with an error
    assert not GlossaryTerm.objects.exists()


def test_shared_glossary_rows_are_read_only_for_editors(cities, editor, client):
    shared = GlossaryTerm.objects.create(japanese="市民まつり", language="en", term="city festival")
    client.force_login(editor)
    assert client.get(f"{GT}{shared.pk}/change/").status_code == 200
    client.post(
        f"{GT}{shared.pk}/change/",
        {"municipality": cities[0].pk, "japanese": "市民まつり", "language": "en", "term": "hijacked"},
    )
    shared.refresh_from_db()
    assert shared.term == "city festival" and shared.municipality is None
