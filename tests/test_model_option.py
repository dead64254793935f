"""`edgebench bench --model FILE`: a given model file replaces the trained/cached one, is checked like a cached
one (the configuration's and dataset's properties), is recorded with its sha256 in the results, and never trains
or touches the cache; every bad file is exit status 2 and one line that names the file, what is wrong and what to
pass, with nothing written to --out.

Fast: the error cases stop at the model check (a stand-in simulate builds the core and no more, as in
tests/test_cli_errors.py); one good file runs 5 digits vectors on Icarus.
"""

from __future__ import annotations

import json
import lzma
from pathlib import Path

import numpy as np
import pytest

import edgebench.scripts.cli as cli
from edgebench.designs import uleen as uleen_design
from edgebench.designs.registry import get_design
from edgebench.golden import modelfile, uleen
from edgebench.golden.datasets import load_dataset
from edgebench.tb import runner as tb_runner
from edgebench.tb import toolchain as tb_toolchain
from edgebench.tb.checks import require_simulator

DIGITS = load_dataset("digits")


@pytest.fixture(scope="module")
def uleen_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `single` configuration's model with a marker in its info, so a run shows it used this very file."""
    folder = tmp_path_factory.mktemp("models")
    model = uleen_design.cached_model(uleen_design.CONFIGS["single"].train, DIGITS, folder)
    model.info["marker"] = "given by --model"
    return uleen.save(model, folder / "single-given.npz")


@pytest.fixture
def empty_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The cache simulate() would use: it must stay empty (a --model run neither trains nor caches)."""
    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setattr(tb_runner, "CACHE_DIR", cache)
    return cache


@pytest.fixture
def build_only(monkeypatch: pytest.MonkeyPatch, empty_cache: Path, tmp_path: Path) -> None:
    """simulate() up to the core's build (where the model is loaded), then stop: the error must come first."""

    def simulate(design: str, config: str, sim: str, **kwargs: object) -> None:
        get_design(design).build(config, load_dataset(str(kwargs["dataset"])), tmp_path / "params", empty_cache)
        raise AssertionError("the model file was accepted")

    monkeypatch.setattr(tb_runner, "simulate", simulate)
    monkeypatch.setattr(tb_toolchain, "ensure_simulator", lambda sim: {sim: "stub"})


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli.main(args)
    return code, capsys.readouterr().err


def assert_user_error(code: int, err: str, *fragments: str) -> None:
    assert code == 2, err
    assert err.strip() and "\n" not in err.strip(), f"not one line: {err!r}"
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, f"{fragment!r} not in {err!r}"


def bench(config: str, model: Path, out: Path, *more: str) -> list[str]:
    return ["bench", "--design", "uleen", "--config", config, "--no-measure", "--model", str(model),
            "--out", str(out), *more]


def test_given_file_is_used_and_recorded(uleen_file: Path, empty_cache: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    require_simulator("icarus")
    out = tmp_path / "r"
    code, err = run(bench("single", uleen_file, out, "--sim", "icarus", "-n", "5"), capsys)
    assert code == 0, err
    row = json.loads((out / "uleen-single.json").read_text())
    assert row["model_file"] == {"path": str(uleen_file.absolute()), "sha256": modelfile.file_sha256(uleen_file)}
    assert row["config_info"]["model_info"]["marker"] == "given by --model", "the run used another model"
    assert row["mismatches"] == 0 and row["cocotb_tests_failed"] == 0
    # the build's own cost, also when a run reuses it (then build_wall_s is only the check that it is current)
    code, err = run(bench("single", uleen_file, out, "--sim", "icarus", "-n", "3"), capsys)
    again = json.loads((out / "uleen-single.json").read_text())
    assert code == 0 and again["n"] == 3, err
    assert row["simulator_build_s"] > 0 and again["simulator_build_s"] == row["simulator_build_s"], (row, again)
    assert f"--model {uleen_file}" in row["command"]
    assert not list(empty_cache.iterdir()), "a --model run wrote to the model cache"


def test_cached_inside_given_model_never_trains_or_saves(uleen_file: Path, tmp_path: Path) -> None:
    cfg = uleen_design.CONFIGS["single"].train

    def never() -> None:
        raise AssertionError("trained or saved a model although one was given")

    with modelfile.given_model(uleen_file, "uleen/single on digits") as given:
        model = modelfile.cached(tmp_path / "absent.npz", never, lambda m, p: never(), uleen.load,
                                 uleen_design.model_properties, uleen_design.expected_properties(cfg, DIGITS))
    assert model.info["marker"] == "given by --model" and given.loads == 1
    assert not (tmp_path / "absent.npz").exists()


def test_file_for_another_configuration(uleen_file: Path, build_only: None, empty_cache: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(bench("ensemble", uleen_file, tmp_path / "r"), capsys)
    assert_user_error(code, err, f"--model {uleen_file.absolute()}: bits_per_feature is 4, but uleen/ensemble on "
                      "digits needs 6", "pass a model made for this configuration and dataset")
    assert "delete" not in err and "retrain" not in err, "a user's file is not a cache file to delete"
    assert not (tmp_path / "r").exists() and not list(empty_cache.iterdir())


def test_file_of_another_style(build_only: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = modelfile.atomic_savez(tmp_path / "bnn.npz", {"format": "edgebench-bnn", "version": 1},
                                  {"w0": np.zeros((2, 2), np.uint8)})
    code, err = run(bench("single", path, tmp_path / "r"), capsys)
    assert_user_error(code, err, f"--model {path}: a 'edgebench-bnn' model file (another design's), but "
                      "uleen/single on digits needs a 'edgebench-uleen' one")
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(("content", "fragments"), [
    (b"PK\x03\x04 this is not a model", ("not a readable model file", "pass a model file edgebench wrote")),
    (lzma.compress(b"\x80\x04 a BTHOWeN pickle"), ("not a readable model file", "xz-compressed",
                                                   "edgebench import bthowen FILE --out MODEL")),
], ids=["zip-garbage", "xz"])
def test_corrupt_file(content: bytes, fragments: tuple[str, ...], build_only: None, tmp_path: Path,
                      capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "model.npz"
    path.write_bytes(content)
    code, err = run(bench("single", path, tmp_path / "r"), capsys)
    assert_user_error(code, err, f"--model {path}:", *fragments)
    assert "allow_pickle" not in err and "pickle.load" not in err, "never advise unpickling a model file"
    assert not (tmp_path / "r").exists()


def test_damaged_field(uleen_file: Path, build_only: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with np.load(uleen_file, allow_pickle=False) as npz:
        files = {k: npz[k] for k in npz.files}
    files["perm0"] = np.zeros_like(files["perm0"])
    path = tmp_path / "damaged.npz"
    np.savez_compressed(path, **files)
    code, err = run(bench("single", path, tmp_path / "r"), capsys)
    assert_user_error(code, err, f"--model {path}: field 'perm0' is not a permutation")


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_missing_file(kind: str, build_only: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "nothing.npz"
    if kind == "directory":
        path.mkdir()
    code, err = run(bench("single", path, tmp_path / "r"), capsys)
    assert_user_error(code, err, f"--model {path}: " + ("no such file" if kind == "missing" else "is a directory"),
                      "pass a model file edgebench wrote")
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("args", [["--design", "all"], ["--design", "uleen", "--config", "all"]])
def test_model_needs_one_design_and_configuration(args: list[str], uleen_file: Path, build_only: None,
                                                  tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(["bench", *args, "--no-measure", "--model", str(uleen_file), "--out", str(tmp_path / "r")],
                    capsys)
    assert_user_error(code, err, "is one design's model for one configuration", "not all")
    assert not (tmp_path / "r").exists()
