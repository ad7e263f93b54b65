"""The JSON API against its own OpenAPI schema, with schemathesis-generated requests (a bounded number per route)."""

from __future__ import annotations

import warnings

import schemathesis
from hypothesis import HealthCheck, given, settings
from web_support import build_corpus, web_config

from gateway.web.app import create_app

warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
EXAMPLES_PER_OPERATION = 12


def test_every_api_operation_answers_as_its_schema_says(tmp_path) -> None:
    corpus = build_corpus(web_config(tmp_path))
    try:
        app = create_app(corpus.config, corpus.register, corpus.spool)
        schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
        headers = {"Authorization": f"Bearer {corpus.tokens['vanthu']}"}
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) == 23
        # what cannot be undone last: a returned or recalled document refuses further changes (409)
        operations.sort(key=lambda op: (op.path.endswith("/return"), op.path.endswith("/recall")))
        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck),
                      derandomize=True,  # the same requests every run: a finding is reproducible, never a flake
                      database=None)
            def run(case) -> None:
                case.call_and_validate(headers=headers)

            run()
    finally:
        corpus.register.close()
