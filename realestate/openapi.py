"""The API schema's generator: drf-spectacular's, with the error answers every endpoint gives."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema

ERROR_DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}
# A 400 lists field errors by field name, or (rarely) the messages alone.
VALIDATION_ERRORS = {
    "oneOf": [
        {"type": "object", "additionalProperties": True},
        {"type": "array", "items": {"type": "string"}},
    ]
}
ERROR_RESPONSES = {
    "400": ("The input is not valid: the messages by field.", VALIDATION_ERRORS),
    "401": ("Not signed in, or the token has expired.", ERROR_DETAIL),
    "403": ("Signed in, but not allowed to do this.", ERROR_DETAIL),
    "404": ("No such record among those the caller may see.", ERROR_DETAIL),
    "429": ("Too many requests: wait the Retry-After seconds.", ERROR_DETAIL),
}


class AutoSchema(SpectacularAutoSchema):
    """Documents the error answers (400, 401, 403, 404, 429) of every operation, so that a
    client, and the API fuzzing test, know them as part of the contract."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code, (description, schema) in ERROR_RESPONSES.items():
            responses.setdefault(
                code,
                {"description": description, "content": {"application/json": {"schema": schema}}},
            )
        return responses
