"""What the OpenAPI document says beyond what drf-spectacular reads from the views.

Every operation that needs a login answers 401 without one; the document says so, so
schema-driven clients and fuzzers (schemathesis) expect it.
"""

UNAUTHORIZED = {
    "description": "No credentials, or a token that is not valid: `Authorization: Bearer <token>`.",
    "content": {"application/json": {"schema": {
        "type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}}},
}


def document_unauthorized(result, generator, request, public):
    """drf-spectacular post-processing hook: a 401 answer on every operation that has a security requirement."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict) and operation.get("security") and {} not in operation["security"]:
                operation.setdefault("responses", {}).setdefault("401", UNAUTHORIZED)
    return result
