"""Fixtures for the rules tests; the data lives in ``samples``."""

from __future__ import annotations

import pytest

from estateflow.rules import Scope

from .samples import model_scope, sample_env


@pytest.fixture
def route_scope() -> Scope:
    return model_scope(with_form=True)


@pytest.fixture
def when_scope() -> Scope:
    return model_scope(with_form=False)


@pytest.fixture
def env() -> dict:
    return sample_env()
