"""A bounded fuzzing run of the API against its own OpenAPI schema (schemathesis).

Every operation is called with generated input as a broker: no answer may be a 500, and
every answer must match the schema (status code, content type, body).

The run is bounded (``API_FUZZ_EXAMPLES`` examples per operation, deterministic) so it takes a
couple of minutes on a CI machine; ``.ci/run`` runs the suite twice (SQLite, then PostgreSQL)
and the fuzzing runs only once, in the SQLite pass (``DATABASE_URL`` unset), unless
``API_FUZZ=1`` asks for it.
"""

import json
import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        "DATABASE_URL" in os.environ and os.environ.get("API_FUZZ") != "1",
        reason="the API fuzzing runs once, in the SQLite pass (API_FUZZ=1 forces it)",
    ),
]

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "10"))


@pytest.fixture
def broker_token(personas):
    return str(RefreshToken.for_user(personas.broker.user).access_token)


def load_schema():
    """The schema /api/schema/ serves, made in-process, with the app to call."""
    raw = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(public=True)))
    loaded = schemathesis.openapi.from_dict(raw)
    loaded.app = get_wsgi_application()
    loaded.config.generation.update(max_examples=EXAMPLES, deterministic=True, database="none")
    loaded.config.phases.update(phases=["examples", "fuzzing"])
    return loaded


schema = load_schema()


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_answers_no_500_and_matches_its_schema(case, broker_token):
    # Business rules may refuse schema-valid input (a 400): that is not checked here.
    case.call_and_validate(
        headers={"Authorization": f"Bearer {broker_token}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
