"""Staff of one city never see another city's data."""

import pytest

from conversations.models import Conversation, Membership, Resident
from conversations.tenancy import municipalities_for


@pytest.fixture
def two_cities(make_municipality):
    a = make_municipality("city-a")
    b = make_municipality("city-b")
    conv = {}
    for city in (a, b):
        resident = Resident.objects.create(municipality=city, channel="web", channel_user_id=f"r-{city.slug}")
        conv[city.slug] = Conversation.objects.create(municipality=city, resident=resident)
    return a, b, conv


def test_staff_sees_only_their_municipality(two_cities, staff_user):
    a, b, _ = two_cities
    user = staff_user(a)
    assert list(municipalities_for(user)) == [a]


def test_admin_list_and_detail_are_scoped(two_cities, staff_user, client):
    a, b, conv = two_cities
    client.force_login(staff_user(a))
    listing = client.get("/admin/conversations/conversation/")
    assert listing.status_code == 200
    ids = [c.pk for c in listing.context["cl"].result_list]
    assert ids == [conv["city-a"].pk]
    own = client.get(f"/admin/conversations/conversation/{conv['city-a'].pk}/change/")
    assert own.status_code == 200
    other = client.get(f"/admin/conversations/conversation/{conv['city-b'].pk}/change/")
    assert other.status_code == 302  # the admin redirects a missing object to the index
    assert conv["city-b"].resident.channel_user_id not in other.content.decode()


def test_editor_cannot_reach_conversations_of_any_city(two_cities, staff_user, client):
    a, _b, conv = two_cities
    client.force_login(staff_user(a, role=Membership.Role.EDITOR))
    assert client.get("/admin/conversations/conversation/").status_code == 403


def test_user_without_membership_sees_nothing(two_cities, django_user_model):
    user = django_user_model.objects.create_user("nobody", is_staff=True)
    assert not municipalities_for(user).exists()
