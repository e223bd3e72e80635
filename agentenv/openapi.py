"""What the OpenAPI document says beyond what drf-spectacular reads from the views.

Every operation that needs a login answers 401 without one, every operation with query
parameters 400 to a value they do not take, and every operation with a body 400 to a body that
is not JSON and 413 to one over the size limit; the document says so, so schema-driven clients
and fuzzers (schemathesis) expect them.
"""

DETAIL = {"application/json": {"schema": {
    "type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}}}
UNAUTHORIZED = {
    "description": "No credentials, or a token that is not valid: `Authorization: Bearer <token>`.",
    "content": DETAIL,
}
MALFORMED = {"description": "The body is not valid JSON (or holds a NUL character).", "content": DETAIL}
BAD_QUERY = {"description": "A query parameter has a value it does not take.",
             "content": {"application/json": {"schema": {"type": "object"}}}}
TOO_LARGE = {"description": "The body is over the size limit the message names.", "content": DETAIL}


def document_common_errors(result, generator, request, public):
    """drf-spectacular post-processing hook: the 401, 400 and 413 answers operations may give."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict) and operation.get("security") and {} not in operation["security"]:
                operation.setdefault("responses", {}).setdefault("401", UNAUTHORIZED)
            if isinstance(operation, dict) and any(p.get("in") == "query" for p in operation.get("parameters", ())):
                operation.setdefault("responses", {}).setdefault("400", BAD_QUERY)
            if isinstance(operation, dict) and "requestBody" in operation:
                operation.setdefault("responses", {}).setdefault("400", MALFORMED)
                operation["responses"].setdefault("413", TOO_LARGE)
    return result
