"""nox sessions: `nox -s tests`, `nox -s bench`, `nox -s simspeed`, `nox -s soak`, `nox -s mutants`,
`nox -s lint` (each in its own virtualenv)."""

import nox

nox.options.sessions = ["lint", "tests"]


@nox.session
def tests(session: nox.Session) -> None:
    session.install("-e", ".[dev]")
    session.run("python", "-m", "pytest", "-n", "auto", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    session.install("-e", ".")
    session.run("edgebench", "bench", *(session.posargs or ["--design", "all", "--out", "results/"]))


@nox.session
def simspeed(session: nox.Session) -> None:
    session.install("-e", ".")
    session.run("edgebench", "simspeed", *(session.posargs or ["--design", "all", "--out", "results/"]))


@nox.session
def soak(session: nox.Session) -> None:
    """10,000 vectors under stalls, bursts and a mid-stream reset, every core on both simulators (nightly: about
    an hour, nearly all of it Icarus)."""
    session.install("-e", ".")
    session.run("edgebench", "soak", *(session.posargs or ["--design", "all", "--out", "results/"]))


@nox.session
def mutants(session: nox.Session) -> None:
    """The mutation score: 160 single-point RTL mutants against the tests on Icarus -> results/mutation.json
    (about half an hour on 2 cores)."""
    session.install("-e", ".")
    session.run("edgebench", "mutants", *(session.posargs or ["--out", "results/"]))


@nox.session
def lint(session: nox.Session) -> None:
    session.install("-e", ".[dev]")
    session.run("ruff", "check", ".")
    session.run("python", "-m", "pytest", "-q", "tests/test_lint.py")
