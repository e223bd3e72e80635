"""OperationOutcome: how every FHIR error is answered, with its HTTP status.

Views raise FHIRError; the view's exception handler turns it (and DRF's authentication and
permission errors) into an OperationOutcome, never an HTML page or a traceback.
"""

from fhirclient.models.operationoutcome import OperationOutcome

# Issue codes (http://hl7.org/fhir/issue-type) by HTTP status, for errors raised without one.
ISSUE_CODES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported",
               406: "not-supported", 409: "conflict", 413: "too-costly", 415: "not-supported", 422: "processing",
               429: "throttled", 500: "exception", 503: "transient"}


class FHIRError(Exception):
    """A request the server refuses: HTTP `status` and one OperationOutcome issue."""

    def __init__(self, status: int, message: str, *, code: str | None = None, details: dict | None = None,
                 severity: str = "error", headers: dict | None = None):
        super().__init__(message)
        self.status, self.message = status, message
        self.code = code or ISSUE_CODES.get(status, "processing")
        self.details, self.severity, self.headers = details, severity, headers or {}

    def outcome(self) -> dict:
        return operation_outcome(self.message, code=self.code, details=self.details, severity=self.severity)


def operation_outcome(message: str, *, code: str = "processing", details: dict | None = None,
                      severity: str = "error") -> dict:
    issue = {"severity": severity, "code": code, "diagnostics": message}
    if details:
        issue["details"] = details
    return OperationOutcome({"resourceType": "OperationOutcome", "issue": [issue]}).as_json()


def bad_request(message: str) -> FHIRError:
    return FHIRError(400, message)


def not_found(message: str) -> FHIRError:
    return FHIRError(404, message)
