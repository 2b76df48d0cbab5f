"""The one exception family of packtrace.

    PacktraceError                 every error the platform raises on purpose
    ├── InputError                 the request itself is malformed or impossible      (HTTP 422)
    │   ├── InvalidCode            a GB/T 34014 battery code; `field` names the part at fault
    │   ├── InvalidVin             a GB 16735 vehicle identification number
    │   ├── InvalidPayload         an event payload against its schema
    │   └── InvalidClaim           the claim envelope or its signature
    ├── LifecycleError             the event is not allowed in the pack's current state (HTTP 422)
    ├── AuthorisationError         the actor may not do this (role, custody, key)      (HTTP 403)
    ├── ConflictError              stale `prev`, reused claim id                       (HTTP 409)
    ├── NotFoundError              unknown pack, organisation or key                   (HTTP 404)
    ├── UnavailableError           busy, or missing a part it needs; try again later   (HTTP 503)
    └── VerificationError          the record or a proof does not verify

Each class carries a stable machine-readable `code`; the API maps classes to HTTP status in exactly one
place (api/errors.py). Subclasses may override `code` per instance for a finer distinction.
"""

from __future__ import annotations


class PacktraceError(Exception):
    code = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InputError(PacktraceError):
    code = "invalid_input"


class InvalidCode(InputError):
    code = "invalid_code"

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


class InvalidVin(InputError):
    code = "invalid_vin"


class InvalidPayload(InputError):
    code = "invalid_payload"


class InvalidClaim(InputError):
    code = "invalid_claim"


class LifecycleError(PacktraceError):
    code = "illegal_transition"


class AuthorisationError(PacktraceError):
    code = "forbidden"


class ConflictError(PacktraceError):
    code = "conflict"


class NotFoundError(PacktraceError):
    code = "not_found"


class UnavailableError(PacktraceError):
    """The service cannot do this now (busy, or a part it needs is not installed); `retry_after` in seconds
    when waiting helps."""

    code = "unavailable"

    def __init__(self, message: str, *, code: str | None = None, retry_after: int | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class VerificationError(PacktraceError):
    code = "verification_failed"
