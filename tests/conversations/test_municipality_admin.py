"""LINE credentials in the admin: never shown again, kept when left empty, replaced when typed."""

from conversations.admin import MunicipalityForm


def form_data(municipality, **changes):
    data = {
        "slug": municipality.slug,
        "name_ja": municipality.name_ja,
        "name_en": municipality.name_en,
        "is_active": "on",
        "time_zone": municipality.time_zone,
        "retention_days": municipality.retention_days,
        "line_channel_secret": "",
        "line_access_token": "",
    }
    data.update(changes)
    return data


def test_secrets_are_not_rendered(municipality, admin_client):
    municipality.line_channel_secret = "very-secret-value"
    municipality.line_access_token = "token-value-xyz"
    municipality.save()
    page = admin_client.get(f"/admin/conversations/municipality/{municipality.pk}/change/").content.decode()
    assert "very-secret-value" not in page and "token-value-xyz" not in page


def test_empty_keeps_and_typed_replaces(municipality):
    municipality.line_channel_secret = "old-secret"
    municipality.line_access_token = "old-token"
    municipality.save()
    form = MunicipalityForm(form_data(municipality, line_access_token="new-token"), instance=municipality)
    assert form.is_valid(), form.errors
    saved = form.save()
    assert (saved.line_channel_secret, saved.line_access_token) == ("old-secret", "new-token")


def test_the_admin_is_titled_for_madoguchi_in_the_editors_language(admin_client):
    page = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "Madoguchi 管理サイト" in page and "市の掲載内容と設定" in page and "Django" not in page
