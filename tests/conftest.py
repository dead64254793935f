"""Seed handling shared by every test: one seed per pytest session, printed, and a one-line repro on failure."""

from __future__ import annotations

import os
import secrets

import pytest

SEED_ENV = "EDGEBENCH_SEED"


def pytest_configure(config: pytest.Config) -> None:
    # Set in the environment before pytest-xdist starts its workers, so they all use the same seed.
    if SEED_ENV not in os.environ:
        os.environ[SEED_ENV] = str(secrets.randbelow(2**31))
    # One BLAS thread per process: `pytest -n auto` already runs a worker per core, and OpenBLAS's own threads on
    # top of them spin against each other (measured: a 784x256 BNN step 8x slower with 2 threads per process on
    # a loaded 2-core machine). Set before the workers start and import NumPy; an explicit setting wins.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        os.environ.setdefault(var, "1")


def session_seed() -> int:
    return int(os.environ[SEED_ENV])


def pytest_report_header(config: pytest.Config) -> str:
    return f"edgebench seed: {session_seed()} (set {SEED_ENV} to reproduce)"


@pytest.fixture
def seed() -> int:
    return session_seed()


@pytest.fixture
def repro(request: pytest.FixtureRequest) -> str:
    """The one command that reruns this test with this session's seed (for failure messages)."""
    return f"{SEED_ENV}={session_seed()} .venv/bin/pytest '{request.node.nodeid}'"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):  # noqa: ANN201
    outcome = yield
    report = outcome.get_result()
    if report.failed and report.when == "call":
        report.sections.append(
            (
                "edgebench reproduce",
                f"seed {session_seed()}: {SEED_ENV}={session_seed()} python -m pytest '{item.nodeid}'",
            )
        )
