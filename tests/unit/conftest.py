"""Unit tests run without a server: the fixtures that start redis-server or make a database
refuse here, so a test that needs one belongs with the black-box tests in tests/."""

import pytest


@pytest.fixture(scope="session")
def redis_server() -> None:
    pytest.fail("tests/unit starts no redis-server; move this test up to tests/")


@pytest.fixture(scope="session")
def database_url() -> None:
    pytest.fail("tests/unit uses no database; move this test up to tests/")
