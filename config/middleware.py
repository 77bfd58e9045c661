"""Bad parameters get 400 with a message, never 500 (on every page, the admin's included).

Views check the parameters they know (the dashboard's dates, the web API's ids); this catches what
slips through anywhere else: a number too large for its database column (``DataError``, e.g. an
admin URL with an id of 25 digits on PostgreSQL), a value a field refuses (``ValidationError``), a
date out of range (``OverflowError``), a required query parameter missing. Each is logged.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import DataError
from django.http import HttpRequest, HttpResponse
from django.utils.datastructures import MultiValueDictKeyError
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

BAD_PARAMETERS = (DataError, ValidationError, OverflowError, MultiValueDictKeyError)


def bad_request(message: str) -> HttpResponse:
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


class BadParametersMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, BAD_PARAMETERS):
            return None
        log.warning("bad parameters for %s %s: %s", request.method, request.path, type(exception).__name__)
        return bad_request(_("The request has a parameter this page cannot use (a date, an id or a number)."))
