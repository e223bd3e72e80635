"""The web server's Django handler (ehrsite/asgi_handler.py) runs the middleware and the view in one thread hop per
request instead of Django's four: the chain is synchronous, and answers are what Django's own handler gives."""

import asyncio
import gc
import json

from asgiref.sync import SyncToAsync, iscoroutinefunction
from channels.testing import HttpCommunicator
from django.core.handlers.asgi import ASGIHandler

from ehrsite.asgi_handler import SyncChainASGIHandler


def asgi_get(application, path: str) -> tuple[int, dict, bytes]:
    communicator = HttpCommunicator(application, "GET", path, headers=[(b"host", b"testserver")])
    answer = asyncio.run(communicator.get_response(timeout=30))
    headers = {name.decode().lower(): value.decode() for name, value in answer["headers"]}
    return answer["status"], headers, answer["body"]


def test_the_middleware_chain_is_synchronous():
    chain = SyncChainASGIHandler()._middleware_chain
    assert not isinstance(chain, SyncToAsync) and not iscoroutinefunction(chain)
    # Django's own: the sync chain wrapped to be awaited, which goes back to the event loop for the view.
    assert isinstance(ASGIHandler()._middleware_chain, SyncToAsync)


def test_it_answers_through_every_middleware_as_djangos_handler_does(db):
    ours, django_s = SyncChainASGIHandler(), ASGIHandler()
    for path in ("/openenv/health", "/no-such-page/"):
        status, headers, body = asgi_get(ours, path)
        expected_status, expected_headers, expected_body = asgi_get(django_s, path)
        assert status == expected_status
        # The site's own middleware ran (security headers) in both.
        assert headers.get("content-security-policy") == expected_headers.get("content-security-policy")
        assert headers.get("x-content-type-options") == "nosniff"
        if path == "/openenv/health":
            assert status == 200 and json.loads(body) == json.loads(expected_body)
        else:
            assert status == 404


def test_the_server_freezes_what_loading_made_and_collects_the_young_less_often():
    from ehrsite import serve

    thresholds = gc.get_threshold()
    try:
        application = serve._application_with_quiet_gc()
        assert application is not None
        assert gc.get_freeze_count() > 10_000
        assert gc.get_threshold() == serve.GC_THRESHOLDS
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
