"""Every user error of `edgebench` is exit status 2 and one line that says what is wrong and what to do, found
before any simulation, with nothing half-written; Ctrl-C says what was kept and leaves a consistent summary.

Fast: no simulator runs. `tb.runner.simulate` fails the test if it is called, and the toolchain check is stubbed
(tests/test_toolchain.py covers a missing tool through the real command).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import edgebench.scripts.cli as cli
from edgebench.designs import bnn as bnn_design
from edgebench.designs.registry import get_design, styles
from edgebench.golden.datasets import load_dataset
from edgebench.tb import runner as tb_runner
from edgebench.tb import toolchain as tb_toolchain

EDGEBENCH = Path(sys.executable).with_name("edgebench")


@pytest.fixture(autouse=True)
def no_simulation(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def simulate(*args: object, **kwargs: object) -> None:
        raise AssertionError("a simulation started: the error should have been found before")

    monkeypatch.setattr(tb_runner, "simulate", simulate)
    monkeypatch.setattr(tb_toolchain, "ensure_simulator", lambda sim: {sim: "stub"})
    monkeypatch.setattr(tb_toolchain, "check_fst_headers", lambda: None)
    monkeypatch.chdir(tmp_path)  # the default --out (results/) must not touch the checkout


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli.main(args)
    err = capsys.readouterr().err
    return code, err


def assert_user_error(code: int, err: str, *fragments: str) -> None:
    assert code == 2, err
    assert err.strip() and "\n" not in err.strip(), f"not one line: {err!r}"
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, f"{fragment!r} not in {err!r}"


def files_under(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file()) if path.exists() else []


def _row(design: str) -> dict:
    return {"design": design, "config": "default", "simulator": "verilator", "dataset": "digits", "n": 360,
            "mismatches": 0, "golden_accuracy": 0.9, "rtl_accuracy": 0.9, "latency_cycles": 40, "ii_cycles": 32.0,
            "ii_bound_cycles": 32, "inferences_per_s": 3125000.0, "sim_wall_s": 0.5, "cocotb_tests_failed": 0}


# ------------------------------------------------------------------------------------------------ bench options


def test_bench_without_design_says_what_to_pass(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, err = run(["bench"], capsys)
    assert_user_error(code, err, "no --design given", "--design all", "edgebench list", "--no-measure")
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize(("args", "fragments"), [
    (["--design", "nope"], ("unknown design 'nope'", "bnn", "edgebench list")),
    (["--design", "bnn", "--config", "nope"], ("design bnn has no config 'nope'", "default", "hidden-bound")),
    (["--design", "all", "--config", "k2"], ("has no config 'k2'",)),
    (["--design", "bnn", "--seed", "-1"], ("--seed must be an integer in 0..4294967295, got -1",)),
    (["--design", "bnn", "--seed", str(2**32)], ("--seed must be",)),
    (["--design", "bnn", "-n", "0"], ("-n must be >= 2", "got 0", "omit -n")),
    (["--design", "bnn", "-n", "1"], ("-n must be >= 2", "the II needs two results", "got 1")),
    (["--design", "bnn", "-n", "-5"], ("-n must be >= 2",)),
    (["--design", "bnn", "-n", "100000"], ("-n 100000 exceeds the 360 test samples of dataset 'digits'",
                                            "pass -n 360 or less")),
    (["--design", "bnn", "--dataset", "mnist"], ("unknown dataset 'mnist'", "digits, fashion-mnist",
                                                  "MNIST-format IDX")),
    (["--design", "bnn", "--pnr-timeout", "0"], ("--pnr-timeout must be > 0 minutes, got 0",)),
    (["--design", "bnn", "--pnr-timeout", "5"], ("--pnr-timeout limits place and route",)),
])
def test_bad_bench_option(args: list[str], fragments: tuple[str, ...], capsys: pytest.CaptureFixture[str],
                          tmp_path: Path) -> None:
    code, err = run(["bench", *args, "--no-measure", "--out", str(tmp_path / "r")], capsys)
    assert_user_error(code, err, *fragments)
    assert not (tmp_path / "r").exists(), "nothing written on a user error"


@pytest.mark.parametrize(("args", "fragment"), [
    (["--sim", "xcelium"], "argument --sim: invalid choice: 'xcelium'"),
    (["-n", "ten"], "argument -n: invalid int value: 'ten'"),
    (["--seed", "1.5"], "argument --seed: invalid int value"),
    (["--frobnicate"], "unrecognized arguments: --frobnicate"),
])
def test_argparse_errors_are_one_line(args: list[str], fragment: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["bench", "--design", "bnn", *args])
    err = capsys.readouterr().err
    assert_user_error(code, err, fragment, "see `edgebench bench --help`")


def test_out_is_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "r").write_text("not a directory")
    code, err = run(["bench", "--design", "bnn", "--no-measure", "--out", str(tmp_path / "r")], capsys)
    assert_user_error(code, err, f"--out {tmp_path / 'r'}: exists and is not a directory")
    assert (tmp_path / "r").read_text() == "not a directory"


def test_out_cannot_be_created(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    code, err = run(["bench", "--design", "bnn", "--no-measure", "--out", str(tmp_path / "f" / "sub" / "r")], capsys)
    assert_user_error(code, err, "cannot be created", f"{tmp_path / 'f'} is a file")


def test_malformed_results_file_in_out_fails_before_simulation(capsys: pytest.CaptureFixture[str],
                                                               tmp_path: Path) -> None:
    # the summary written after the run reads every results file: a bad one must stop the run before it starts
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "uleen.json").write_text('{"design": "uleen", "n": "360"}')
    code, err = run(["bench", "--design", "bnn", "--no-measure", "--out", str(tmp_path / "r")], capsys)
    assert_user_error(code, err, "uleen.json: missing field 'config'")


def test_results_file_about_to_be_replaced_may_be_malformed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "bnn.json").write_text("{truncated")
    called = []
    monkeypatch.setattr(cli, "bench_one", lambda *a: called.append(a) or (_ for _ in ()).throw(KeyboardInterrupt))
    assert cli.main(["bench", "--design", "bnn", "--no-measure", "--out", str(tmp_path / "r")]) == 130
    assert called, "bench/default rewrites bnn.json, so its old content does not stop the run"


def test_dataset_directory_with_corrupt_idx(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = tmp_path / "mnist"
    data.mkdir()
    for stem in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte"):
        (data / stem).write_bytes(b"\x00\x00\x08\x03" + b"\x00\x00\x00\x05" * 3 + b"short")
    code, err = run(["bench", "--design", "bnn", "--no-measure", "--dataset", str(data), "--out",
                     str(tmp_path / "r")], capsys)
    assert_user_error(code, err, f"{data / 'train-images-idx3-ubyte'}: truncated or corrupt IDX data")
    assert not (tmp_path / "r").exists()


def test_dataset_directory_missing_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "mnist").mkdir()
    code, err = run(["bench", "--design", "bnn", "--no-measure", "--dataset", str(tmp_path / "mnist")], capsys)
    assert_user_error(code, err, "missing train-images-idx3-ubyte[.gz]")


def test_corrupt_cached_model_names_the_fix(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    # The model is loaded when simulate() builds the core, before any simulator runs: a stand-in simulate
    # does just that part.
    cache = tmp_path / "cache"
    data = load_dataset("digits")
    path = bnn_design.model_path(bnn_design.CONFIGS["default"].train, data, cache)
    cache.mkdir()
    path.write_bytes(b"PK\x03\x04 this is not a model")

    def simulate(design: str, config: str, sim: str, **kwargs: object) -> None:
        get_design(design).build(config, load_dataset(str(kwargs["dataset"])), tmp_path / "params", cache)
        raise AssertionError("the corrupt model was accepted")

    monkeypatch.setattr(tb_runner, "simulate", simulate)
    code, err = run(["bench", "--design", "bnn", "--no-measure", "--out", str(tmp_path / "r")], capsys)
    assert_user_error(code, err, f"{path}: not a readable model file", f"delete {path} to retrain it", "rm '")
    assert not (tmp_path / "r").exists()


class _Recorder(argparse.ArgumentParser):
    """Records each option's help text as a subcommand adds it."""

    def __init__(self) -> None:
        super().__init__(add_help=False)
        self.helps: dict[tuple[str, ...], str] = {}

    def add_argument(self, *names: str, **kwargs: object) -> argparse.Action:
        self.helps[names] = str(kwargs.get("help"))
        return super().add_argument(*names, **kwargs)


@pytest.mark.parametrize("command", list(cli.SUBCOMMANDS))
def test_help_shows_every_default(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    recorder = _Recorder()
    cli.SUBCOMMANDS[command].arguments(recorder)
    for names, text in recorder.helps.items():
        assert "(default:" in text, f"{command} {names}: its help does not state the default"
    assert cli.main([command, "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert out.count("(default:") == len(recorder.helps)


def test_bench_help_states_the_design_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["bench", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "(default: none, required)" in out and "(default: the whole test split)" in out
    assert "(default: verilator)" in out and "(default: digits)" in out and "(default: results)" in out


# ------------------------------------------------------------------------------------------------ report


@pytest.mark.parametrize(("content", "fragment"), [
    ("{not json", "bnn.json: not valid JSON"),
    ('{"design": "bnn"}', "bnn.json: missing field 'config'"),
    (json.dumps({**_row("bnn"), "n": "360"}), "field 'n' must be an integer >= 0"),
    (json.dumps({**_row("bnn"), "energy_pj_per_inf": "12 pJ"}), "field 'energy_pj_per_inf' must be a finite number"),
    (json.dumps({**_row("bnn"), "energy_warnings": "one"}), "field 'energy_warnings' must be a list of strings"),
])
def test_report_rejects_malformed_file(content: str, fragment: str, capsys: pytest.CaptureFixture[str],
                                       tmp_path: Path) -> None:
    (tmp_path / "bnn.json").write_text(content)
    (tmp_path / "uleen.json").write_text(json.dumps(_row("uleen")))
    code, err = run(["report", "--out", str(tmp_path)], capsys)
    assert_user_error(code, err, fragment, "re-run the bench for it")
    assert not (tmp_path / "summary.md").exists(), "no summary from a folder with a malformed file"


@pytest.mark.parametrize("content", ["[1, 2, 3]", "{}", '"bnn"', "null", '{"runs": {}}'])
def test_report_leaves_out_json_that_is_no_bench_result(content: str, capsys: pytest.CaptureFixture[str],
                                                         tmp_path: Path) -> None:
    (tmp_path / "bnn.json").write_text(json.dumps(_row("bnn")))
    (tmp_path / "odd.json").write_text(content)
    code, err = run(["report", "--out", str(tmp_path)], capsys)
    assert code == 0, err
    assert err.strip() == f"edgebench: note: {tmp_path / 'odd.json'}: not a bench result (no 'design' field), " \
                          "left out of the summary"
    assert "Written from 1 results files" in (tmp_path / "summary.md").read_text()


def test_report_leaves_out_other_subcommands_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # `soak` and `mutants` keep their own JSON beside the bench results: left out without a note
    (tmp_path / "bnn.json").write_text(json.dumps(_row("bnn")))
    (tmp_path / "soak.json").write_text(json.dumps({"runs": {"bnn/default/icarus": {"design": "bnn"}}}))
    (tmp_path / "mutation.json").write_text(json.dumps({"command": "edgebench mutants", "files": {}}))
    code, err = run(["report", "--out", str(tmp_path)], capsys)
    assert (code, err) == (0, "")
    assert "Written from 1 results files" in (tmp_path / "summary.md").read_text()


@pytest.mark.parametrize("files", [{}, {"bnn.json": "{}"}, {"bnn.json": "[]", "simspeed.json": '{"runs": {}}'}])
def test_report_refuses_a_folder_without_bench_results(files: dict, capsys: pytest.CaptureFixture[str],
                                                       tmp_path: Path) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    code, err = run(["report", "--out", str(tmp_path)], capsys)
    assert_user_error(code, err, "no bench results (*.json with a 'design' field) to summarize",
                      "edgebench bench --design NAME --out")
    assert ("(1 other JSON files there have none)" in err) == ("bnn.json" in files)
    assert not (tmp_path / "summary.md").exists()


def test_report_rejects_malformed_simspeed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "bnn.json").write_text(json.dumps(_row("bnn")))
    (tmp_path / "simspeed.json").write_text(json.dumps({"runs": {"bnn/default/verilator": {"design": "bnn"}}}))
    code, err = run(["report", "--out", str(tmp_path)], capsys)
    assert_user_error(code, err, "simspeed.json: run 'bnn/default/verilator'", "re-run `edgebench simspeed`")


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_report_out_not_a_directory(kind: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "r"
    if kind == "file":
        out.write_text("")
    code, err = run(["report", "--out", str(out)], capsys)
    assert_user_error(code, err, "no results directory" if kind == "missing" else "not a directory")


# ------------------------------------------------------------------------------------------------ Ctrl-C


def _interrupt_after(monkeypatch: pytest.MonkeyPatch, finished: int) -> list[str]:
    """bench_one writes a results file for the first `finished` designs, then Ctrl-C arrives."""
    done: list[str] = []

    def bench_one(design: str, config: str, args: object, command: str) -> dict:
        if len(done) == finished:
            raise KeyboardInterrupt
        row = {**_row(design), "config": config, "command": command}
        path = cli.results_path(args.out, design, config, get_design(design).default_config)
        args.out.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(row))
        done.append(f"{design}/{config}")
        return row

    monkeypatch.setattr(cli, "bench_one", bench_one)
    return done


def test_interrupt_names_finished_designs_and_rebuilds_summary(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r"
    out.mkdir()
    (out / "asm-1.json").write_text(json.dumps(_row("asm-1")))  # from an earlier run: stays, and stays summarized
    (out / "summary.md").write_text("# edgebench summary\n\nWritten from 7 results files (stale)\n")
    done = _interrupt_after(monkeypatch, 2)
    code = cli.main(["bench", "--design", "all", "--no-measure", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 130
    assert err.strip().count("\n") == 0, err
    first, second = [s for s in styles().values() if s.name != "asm-1"][:2]  # `all` runs in registry order
    assert done == [f"{first.name}/{first.default_config}", f"{second.name}/{second.default_config}"]
    assert f"interrupted after 2 of {len(styles())} designs" in err
    assert (f"finished: {done[0]} ({out / (first.name + '.json')}), "
            f"{done[1]} ({out / (second.name + '.json')})") in err
    assert f"{out / 'summary.md'} rebuilt" in err
    summary = (out / "summary.md").read_text()
    assert "Written from 3 results files" in summary
    for name in (first.name, second.name, "asm-1"):
        assert f"| {name} | " in summary
    assert not [p for p in out.iterdir() if ".tmp" in p.name], "no temporary files left"


def test_interrupt_before_any_design_finished(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r"
    out.mkdir()
    (out / "bnn.json").write_text(json.dumps(_row("bnn")))
    (out / "summary.md").write_text("previous summary\n")
    _interrupt_after(monkeypatch, 0)
    code = cli.main(["bench", "--design", "bnn", "--no-measure", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 130
    assert "interrupted after 0 of 1 designs; finished: none; nothing written" in err
    assert (out / "summary.md").read_text() == "previous summary\n"
    assert json.loads((out / "bnn.json").read_text()) == _row("bnn")


def test_failed_tool_run_is_one_line_naming_its_log(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    # Yosys dying inside a measured bench (it did: a WebAssembly exception on a 2048-entry ULEEN) is reported as
    # the tool's failure with its log, exit 1, not as a Python traceback
    from edgebench.measure.synth import SynthesisError

    def bench_one(design: str, config: str, args: object, command: str) -> dict:
        raise SynthesisError("yosys coarse failed: thrown Wasm exception (log: build/x/coarse.log)")

    monkeypatch.setattr(cli, "bench_one", bench_one)
    code = cli.main(["bench", "--design", "bnn", "--no-measure", "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 1
    assert err == "edgebench: error: yosys coarse failed: thrown Wasm exception (log: build/x/coarse.log)\n"


def test_summary_written_atomically(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Ctrl-C while summary.md is being written keeps the previous one whole (temporary file + rename)
    from edgebench.scripts import report

    (tmp_path / "bnn.json").write_text(json.dumps(_row("bnn")))
    (tmp_path / "summary.md").write_text("previous summary\n")

    real_write_text = Path.write_text

    def interrupted(path: Path, text: str) -> None:
        real_write_text(path, text[: len(text) // 2])
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, "write_text", interrupted)
    with pytest.raises(KeyboardInterrupt):
        report.write_summary(tmp_path)
    monkeypatch.undo()
    assert (tmp_path / "summary.md").read_text() == "previous summary\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bnn.json", "summary.md"]


# ------------------------------------------------------------------------------------------------ real command


@pytest.mark.parametrize(("args", "fragment"), [
    (["bench"], "no --design given"),
    (["bench", "--design", "bnn", "--seed", "-3"], "--seed must be"),
    (["report", "--out", "nowhere"], "nowhere: no results directory"),
    ([], "the following arguments are required"),
])
def test_installed_command_prints_one_line(args: list[str], fragment: str, tmp_path: Path) -> None:
    if not EDGEBENCH.exists():
        pytest.skip(f"{EDGEBENCH} not installed (pip install -e .)")
    proc = subprocess.run([str(EDGEBENCH), *args], capture_output=True, text=True, cwd=tmp_path, check=False,
                          timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().count("\n") == 0, proc.stderr
    assert fragment in proc.stderr
    assert proc.stdout == ""
    assert not list(tmp_path.iterdir())


def test_bench_record_keeps_the_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    _interrupt_after(monkeypatch, 1)
    out = tmp_path / "r"
    assert cli.main(["bench", "--design", "bnn", "-n", "360", "--no-measure", "--out", str(out)]) == 0
    assert json.loads((out / "bnn.json").read_text())["command"] == \
        f"edgebench bench --design bnn -n 360 --no-measure --out {out}"
    assert np.isclose(json.loads((out / "bnn.json").read_text())["rtl_accuracy"], 0.9)
