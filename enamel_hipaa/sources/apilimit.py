"""A global cap on in-flight cloud API calls, shared by every tenant of an MSP run.

`enamel tenants scan --max-api-calls N` makes one threading.BoundedSemaphore and hands it
to each tenant's scan in ScanContext.extra[KEY]. The AWS collector holds a slot from
botocore's `before-call` to `after-call`/`after-call-error` (retries included: a throttled
call keeps its slot while it backs off); the Azure collector holds one around each HTTP
request of its pipeline. Waiting for a slot is bounded: a call that cannot get one within
WAIT_SECONDS fails (an error finding, never a pass)."""

from __future__ import annotations

import threading

KEY = "api_calls"
WAIT_SECONDS = 300.0
_HELD = "enamel_api_slot"


class NoSlot(RuntimeError):
    """No API call slot came free in time (the cap is too small for the run, or a call hangs)."""


def semaphore(limit: int | None) -> threading.BoundedSemaphore | None:
    return threading.BoundedSemaphore(limit) if limit else None


def acquire(sem, timeout: float = WAIT_SECONDS) -> None:
    if not sem.acquire(timeout=timeout):
        raise NoSlot(f"no API call slot free for {timeout:.0f} s (--max-api-calls)")


def attach_botocore(session, sem) -> None:
    """Make every client later created from this boto3 session honour `sem`."""
    if sem is None:
        return

    def take(context, **_):
        acquire(sem)
        context[_HELD] = True

    def give(context, **_):
        if context.pop(_HELD, False):
            sem.release()

    events = session.events
    events.register_last("before-call", take)  # after other handlers, so nothing raises past it
    events.register_first("after-call", give)
    events.register_first("after-call-error", give)


def azure_policy(sem):
    """An azure-core pipeline policy holding a slot for each request it sends (or None)."""
    if sem is None:
        return None
    from azure.core.pipeline.policies import HTTPPolicy

    class ApiSlotPolicy(HTTPPolicy):
        def send(self, request):
            acquire(sem)
            try:
                return self.next.send(request)
            finally:
                sem.release()

    return ApiSlotPolicy()
