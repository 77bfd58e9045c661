"""LINE webhook (filled in by the LINE channel work)."""

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def webhook(request, slug: str) -> HttpResponse:
    return HttpResponse(status=501)
