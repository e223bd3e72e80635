"""Django's ASGI handler with each request run in one thread hop, on a thread kept from earlier requests.

Every middleware of this site is synchronous, and so is every view. Django's own ASGIHandler costs a request:

- the chain loaded in async mode: it runs the middleware in a worker thread (sync_to_async), comes back to the
  event loop at the innermost middleware to call the async view handler (async_to_sync), which goes back to the
  same thread for the view (sync_to_async again);
- two more hops to that thread: request_started's receivers before, and the response's close (request_finished)
  after; each hop waits its turn on a busy event loop;
- two new threads: its ThreadSensitiveContext makes a one-thread executor, and asgiref joins it on exit from
  another thread it starts for that.

Here the chain is loaded in sync mode, and request_started, the chain and the close of an answer already in memory
run in one hop, as under WSGI. The hop goes to a one-thread executor lent to the request from those earlier
requests left idle (asgiref's ThreadSensitiveContext(executor=...)): everything thread-sensitive a request does
still runs in one thread of its own, which its database connections belong to. A streamed answer (a static file)
is closed after it is sent, in that thread too.
"""

from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse
from django.urls import set_script_prefix


class SyncChainASGIHandler(ASGIHandler):
    def __init__(self):
        super().__init__()
        # One-thread executors of finished requests; as many exist as requests ever ran at once.
        self._idle_threads: list[ThreadPoolExecutor] = []

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        thread = self._idle_threads.pop() if self._idle_threads else ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="django-request")
        try:
            async with ThreadSensitiveContext(executor=thread):
                await self.handle(scope, receive, send)
        finally:
            self._idle_threads.append(thread)

    async def handle(self, scope, receive, send):
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        try:
            response = await sync_to_async(self._respond, thread_sensitive=True)(scope, body_file)
            await self.send_response(response, send)
            if response.streaming:
                await sync_to_async(response.close, thread_sensitive=True)()
        finally:
            body_file.close()

    def _respond(self, scope, body_file):
        """The answer, in the request's thread: request_started, the middleware and the view, and (unless it is
        streamed) the answer's close, which sends request_finished."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = self.__class__
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size  # the server chunks it
        if not response.streaming:
            response.close()
        return response
