"""Log-in throttling (django-axes) on the staff console and the admin."""

import pytest

from conversations.models import Membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(municipality, staff_user):
    user = staff_user(municipality, Membership.Role.STAFF, username="tanaka")
    user.set_password("correct-horse")
    user.save()
    return user


def fail(client, url: str, username: str, times: int):
    for _ in range(times):
        client.post(url, {"username": username, "password": "wrong"})


@pytest.mark.parametrize("url", ["/console/login/", "/admin/login/"])
def test_repeated_failures_pause_that_user_name_with_a_clear_page(client, staff, settings, url):
    fail(client, url, "tanaka", settings.AXES_FAILURE_LIMIT)
    response = client.post(url, {"username": "tanaka", "password": "correct-horse"}, HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 429
    assert "15" in response.content.decode()  # minutes to wait
    assert "_auth_user_id" not in client.session  # even the right password does not get in now


def test_below_the_limit_the_right_password_still_works(client, staff, settings):
    fail(client, "/console/login/", "tanaka", settings.AXES_FAILURE_LIMIT - 1)
    response = client.post("/console/login/", {"username": "tanaka", "password": "correct-horse"})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(staff.pk)


def test_another_user_name_from_the_same_address_is_not_paused(client, staff, staff_user, municipality, settings):
    fail(client, "/console/login/", "someone-else", settings.AXES_FAILURE_LIMIT + 2)
    response = client.post("/console/login/", {"username": "tanaka", "password": "correct-horse"})
    assert response.status_code == 302


def test_behind_a_proxy_the_clients_own_address_is_counted(client, staff, settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    for _ in range(settings.AXES_FAILURE_LIMIT):  # one client behind the proxy fails ...
        client.post("/console/login/", {"username": "tanaka", "password": "wrong"}, HTTP_X_REAL_IP="203.0.113.7")
    # ... and tanaka, at another address behind the same proxy, still gets in
    response = client.post(
        "/console/login/", {"username": "tanaka", "password": "correct-horse"}, HTTP_X_REAL_IP="198.51.100.2"
    )
    assert response.status_code == 302
