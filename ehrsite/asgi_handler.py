"""Django's ASGI handler with the middleware chain and the view run in one thread hop per request.

Every middleware of this site is synchronous, and so is every view. Django's own ASGIHandler loads the chain in
async mode: it runs the middleware in a worker thread (sync_to_async), comes back to the event loop at the
innermost middleware to call the async view handler (async_to_sync), which goes back to the same thread for the
view (sync_to_async again). Each hop waits its turn on a busy event loop. Loaded in sync mode, the whole chain runs
in the request's thread after one hop, as under WSGI; request_started, request_finished and the response's close
stay as Django sends them.
"""

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler


class SyncChainASGIHandler(ASGIHandler):
    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)

    async def get_response_async(self, request):
        # thread_sensitive: the thread of this request's ThreadSensitiveContext, where request_started closed the
        # old database connections and the response's close will send request_finished.
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)
