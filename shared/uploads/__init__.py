"""What callers upload (spreadsheets, descriptions) is untrusted: it is parsed off the
event loop, so one bad file cannot stall the service's other requests (``/livez``
included), and with limits checked while reading, so a small file that expands to
something huge is refused before it is expanded.

:func:`off_loop` runs a parser on the upload threads (writing a large export goes there
too: the same seconds of CPU); :class:`UploadRejected` carries the Chinese message to
answer with. The parsers: :mod:`shared.spreadsheets.reader` (.xlsx, CSV) and
:mod:`shared.uploads.documents` (JSON, YAML)."""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

# Few threads on purpose: parsing is CPU work that holds the GIL in slices, and a burst of
# uploads should queue here rather than crowd out the event loop.
UPLOAD_THREADS = 2
_executor = ThreadPoolExecutor(max_workers=UPLOAD_THREADS, thread_name_prefix="upload-parse")


class UploadRejected(ValueError):
    """An upload we will not read; the message (Chinese) says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


async def off_loop(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``fn(*args, **kwargs)`` on an upload thread; the request's log context goes along."""
    context = contextvars.copy_context()
    call = functools.partial(context.run, fn, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_executor, call)
