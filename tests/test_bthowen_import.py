"""`edgebench import bthowen`: a BTHOWeN `.pickle.lzma` becomes an edgebench ULEEN model whose golden scores are
BTHOWeN's own, through a restricted unpickler that runs nothing but array reconstruction.

The pickles are made here with stand-in classes under BTHOWeN's module and class names (wisard.WiSARD,
wisard.Discriminator, bloom_filter.BloomFilter), with the attributes their code gives them (wisard.py,
bloom_filter.py, train_swept_models.save_model). The reference inference is written from their algorithm, not
from edgebench's: float32 Gaussian thermometer bits in level-major order -> zero padding -> input_order ->
filters -> H3 -> min of the looked-up counts >= bleach -> count per class -> lowest-index argmax.
"""

from __future__ import annotations

import json
import lzma
import os
import pickle
import sys
import types
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pytest

import edgebench.scripts.cli as cli
from edgebench.golden import bthowen, uleen
from edgebench.golden.datasets import Dataset, load_dataset
from edgebench.tb.checks import require_simulator


class WiSARD:
    pass


class Discriminator:
    pass


class BloomFilter:
    pass


@pytest.fixture(autouse=True)
def their_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    """BTHOWeN's modules as pickle finds them (`from wisard import WiSARD`, run from software_model/)."""
    for module, classes in (("wisard", (WiSARD, Discriminator)), ("bloom_filter", (BloomFilter,))):
        mod = types.ModuleType(module)
        for cls in classes:
            monkeypatch.setattr(cls, "__module__", module)
            setattr(mod, cls.__name__, cls)
        monkeypatch.setitem(sys.modules, module, mod)


def synthetic_data(rng: np.random.Generator, features: int, classes: int) -> Dataset:
    """Pixels 0..255 with a constant column (std 0) and a sparse one, as MNIST's borders and strokes."""
    def x(n: int) -> np.ndarray:
        v = rng.integers(0, 256, size=(n, features))
        v[:, 0] = 0
        v[:, 1] = np.where(rng.random(n) < 0.1, v[:, 1], 0)
        return v
    y = lambda n: rng.integers(0, classes, size=n)  # noqa: E731
    return Dataset("synthetic", 255, x(300), y(300), x(40), y(40), x(60), y(60))


def their_model(rng: np.random.Generator, features: int, classes: int, bits: int, n: int, entries: int, k: int,
                bleach: int = 1, pad_attr: bool = True) -> dict:
    """A WiSARD as their constructor builds it, with random tables; bleach > 1 keeps counting tables (their
    save_model binarizes, an unbinarized model is what a run holds before it)."""
    num_inputs = features * bits
    pad = (((num_inputs // n) * n) - num_inputs) % n  # their WiSARD.__init__
    model = WiSARD()
    model.input_order = rng.permutation(num_inputs + pad).astype(np.int64)
    if pad_attr:
        model.pad_zeros = pad
    hash_values = rng.integers(0, entries, size=(k, n)).astype(np.int64)
    model.discriminators = []
    for _ in range(classes):
        disc = Discriminator()
        disc.num_filters = (num_inputs + pad) // n
        disc.filters = []
        for _ in range(disc.num_filters):
            bf = BloomFilter()
            bf.num_inputs, bf.num_entries, bf.num_hashes = n, entries, k
            bf.hash_values = hash_values  # one array for every filter, as theirs
            bf.index_bits = int(np.log2(entries))
            if bleach == 1:
                bf.data = (rng.random(entries) < 0.6).astype(np.int64)
            else:
                bf.data = rng.integers(0, 2 * bleach, size=entries).astype(np.int64)
            bf.bleach = np.array(bleach, dtype=np.int64)
            disc.filters.append(bf)
        model.discriminators.append(disc)
    info = {"num_inputs": features, "num_classes": classes, "bits_per_input": bits, "num_filter_inputs": n,
            "num_filter_entries": entries, "num_filter_hashes": k, "hash_values": hash_values}
    return {"info": info, "model": model}


def write_lzma(path: Path, obj: object, protocol: int = 4) -> Path:
    path.write_bytes(lzma.compress(pickle.dumps(obj, protocol=protocol)))
    return path


def their_scores(state: dict, data: Dataset, x: np.ndarray) -> np.ndarray:
    """Their binarize_datasets + WiSARD.predict responses, per sample (N, classes)."""
    model, bits = state["model"], state["info"]["bits_per_input"]
    train = np.concatenate([data.x_train, data.x_val]).astype(np.float32) / np.float32(255)  # ToTensor
    mean, std = train.mean(axis=0), train.std(axis=0)
    skews = [NormalDist().inv_cdf((i + 1) / (bits + 1)) for i in range(bits)]  # norm.ppf
    xf = x.astype(np.float32) / np.float32(255)
    # NumPy 1 casting: a float64 scalar times a float32 array stays float32
    encoded = np.concatenate([(xf >= mean + np.float32(s) * std).astype(np.uint8) for s in skews], axis=1)
    out = []
    for xv in encoded:
        xv = np.pad(xv, (0, getattr(model, "pad_zeros", 0)))[model.input_order]
        responses = []
        for disc in model.discriminators:
            response = 0
            for bf, inp in zip(disc.filters, xv.reshape(len(disc.filters), -1), strict=True):
                h = np.zeros(bf.hash_values.shape[0], dtype=np.int64)
                for i in range(bf.hash_values.shape[1]):
                    h ^= inp[i] * bf.hash_values[:, i]
                response += int(bf.data[h].min() >= bf.bleach)
            responses.append(response)
        out.append(responses)
    return np.array(out)


@pytest.mark.parametrize(("features", "classes", "bits", "n", "entries", "k", "bleach", "pad_attr", "protocol"), [
    (13, 4, 2, 7, 64, 2, 1, True, 4),  # 26 bits, 2 padding bits
    (13, 4, 3, 13, 128, 3, 1, False, 4),  # no pad_zeros attribute (the published pickles)
    (10, 3, 4, 8, 32, 1, 3, True, 3),  # counting tables with bleach 3; protocol 3 (GLOBAL opcodes, no frames)
])
def test_import_scores_equal_their_inference(features: int, classes: int, bits: int, n: int, entries: int, k: int,
                                             bleach: int, pad_attr: bool, protocol: int, tmp_path: Path,
                                             seed: int) -> None:
    rng = np.random.default_rng(seed)
    data = synthetic_data(rng, features, classes)
    state = their_model(rng, features, classes, bits, n, entries, k, bleach, pad_attr)
    src = write_lzma(tmp_path / "m.pickle.lzma", state, protocol)
    model = bthowen.import_model(src, data, tmp_path / "m.npz")
    x = np.concatenate([data.x_test, rng.integers(0, 256, size=(200, features))])
    cls, scores = uleen.forward(model, model.encode(x))
    reference = their_scores(state, data, x)
    assert scores.max() > 0, "a test whose scores are all zero checks nothing"
    np.testing.assert_array_equal(scores, reference)
    np.testing.assert_array_equal(cls, np.argmax(reference, axis=1))
    # the file written is edgebench's own format, arrays only: it loads without pickle and scores the same
    again = uleen.load(tmp_path / "m.npz")
    np.testing.assert_array_equal(uleen.forward(again, again.encode(x))[1], reference)


def test_numpy1_module_names_are_accepted(tmp_path: Path, seed: int) -> None:
    """Their pickles name numpy.core.multiarray (NumPy 1); NumPy 2 writes numpy._core.multiarray."""
    rng = np.random.default_rng(seed)
    data = synthetic_data(rng, 6, 2)
    state = their_model(rng, 6, 2, 2, 4, 16, 2)
    raw = pickle.dumps(state, protocol=3)
    assert b"cnumpy._core.multiarray\n" in raw
    src = tmp_path / "m.pickle.lzma"
    src.write_bytes(lzma.compress(raw.replace(b"cnumpy._core.multiarray\n", b"cnumpy.core.multiarray\n")))
    model = bthowen.import_model(src, data, tmp_path / "m.npz")
    np.testing.assert_array_equal(uleen.forward(model, model.encode(data.x_test))[1],
                                  their_scores(state, data, data.x_test))


class _Evil:
    def __init__(self, func: object, *args: object) -> None:
        self.call = (func, args)

    def __reduce__(self) -> tuple:
        return self.call


@pytest.mark.parametrize("make", ["os.system", "builtins.exec", "unknown module"])
def test_forbidden_global_is_refused_without_running_it(make: str, tmp_path: Path, seed: int) -> None:
    marker = tmp_path / "ran"
    state = their_model(np.random.default_rng(seed), 6, 2, 2, 4, 16, 2)
    if make == "os.system":
        state["model"].input_order = _Evil(os.system, f"touch {marker}")
        raw, name = pickle.dumps(state, protocol=4), f"{os.system.__module__}.system"
    elif make == "builtins.exec":
        state["info"]["num_inputs"] = _Evil(exec, f"open({str(marker)!r}, 'w').close()")
        raw, name = pickle.dumps(state, protocol=4), "builtins.exec"
    else:  # a module nobody has: refusing it must not even try to import it
        raw = pickle.dumps(state, protocol=3).replace(b"cwisard\nWiSARD\n", b"cedgebench_never_imported\nf\n")
        name = "edgebench_never_imported.f"
    src = tmp_path / "evil.pickle.lzma"
    src.write_bytes(lzma.compress(raw))
    out = tmp_path / "m.npz"
    with pytest.raises(bthowen.BthowenImportError) as info:
        bthowen.import_model(src, synthetic_data(np.random.default_rng(seed), 6, 2), out)
    assert not marker.exists(), "the forbidden global ran"
    message = str(info.value)
    assert f"refused to load global {name}" in message and "nothing in it was run" in message
    assert "\n" not in message
    assert "edgebench_never_imported" not in sys.modules, "a refused module was imported"
    assert not out.exists()


def _good_lzma(tmp_path: Path, seed: int) -> tuple[Path, bytes]:
    state = their_model(np.random.default_rng(seed), 6, 2, 2, 4, 16, 2)
    raw = pickle.dumps(state, protocol=4)
    return write_lzma(tmp_path / "m.pickle.lzma", state), raw


@pytest.mark.parametrize(("damage", "fragment"), [
    ("corrupt xz", "not a readable xz/lzma file"),
    ("truncated xz", "the xz/lzma stream is truncated"),
    ("truncated pickle", "not a readable pickle (the pickle is truncated)"),
    ("not xz", "not a readable xz/lzma file"),
    ("missing", "no such file"),
    ("not a model", "holds a list, not the {'info', 'model'} dict"),
])
def test_damaged_file_is_one_clear_line(damage: str, fragment: str, tmp_path: Path, seed: int) -> None:
    src, raw = _good_lzma(tmp_path, seed)
    packed = src.read_bytes()
    if damage == "corrupt xz":
        mid = len(packed) // 2
        src.write_bytes(packed[:mid] + bytes(b ^ 0xFF for b in packed[mid:mid + 16]) + packed[mid + 16:])
    elif damage == "truncated xz":
        src.write_bytes(packed[: len(packed) // 2])
    elif damage == "truncated pickle":
        src.write_bytes(lzma.compress(raw[: len(raw) // 2]))
    elif damage == "not xz":
        src.write_bytes(b"this is a text file\n")
    elif damage == "missing":
        src.unlink()
    else:
        src.write_bytes(lzma.compress(pickle.dumps([1, 2, 3])))
    out = tmp_path / "m.npz"
    with pytest.raises(bthowen.BthowenImportError) as info:
        bthowen.import_model(src, synthetic_data(np.random.default_rng(seed), 6, 2), out)
    message = str(info.value)
    assert message.startswith(f"{src}: ") and fragment in message, message
    assert "\n" not in message
    assert not out.exists() and not list(tmp_path.glob("*.tmp*")), "something was written"


def test_decompression_bomb_is_capped(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, seed: int) -> None:
    src, raw = _good_lzma(tmp_path, seed)
    monkeypatch.setattr(bthowen, "MAX_PICKLE_BYTES", len(raw) - 1)
    with pytest.raises(bthowen.BthowenImportError, match="decompresses to more than"):
        bthowen.read_pickle(src)


def test_model_for_other_data_is_refused(tmp_path: Path, seed: int) -> None:
    src, _ = _good_lzma(tmp_path, seed)  # 6 features, 2 classes
    with pytest.raises(bthowen.BthowenImportError, match="the model reads 6 inputs .* has 7 features; pass --dataset"):
        bthowen.import_model(src, synthetic_data(np.random.default_rng(seed), 7, 2), tmp_path / "m.npz")
    assert not (tmp_path / "m.npz").exists()


# ------------------------------------------------------------------------------------------- through the CLI


def test_cli_import_then_bench_with_the_model(tmp_path: Path, seed: int, capsys: pytest.CaptureFixture[str]) -> None:
    """A digits-shaped BTHOWeN model (4 bits, 8 inputs/filter, 64 entries, 2 hashes: configuration `single`)
    imported and run on the core: 0 mismatches against golden, the model file recorded."""
    require_simulator("icarus")
    rng = np.random.default_rng(seed)
    state = their_model(rng, 64, 10, 4, 8, 64, 2)
    src = write_lzma(tmp_path / "digits.pickle.lzma", state)
    model_file = tmp_path / "digits-bthowen.npz"
    assert cli.main(["import", "bthowen", str(src), "--out", str(model_file), "--dataset", "digits"]) == 0
    printed = capsys.readouterr().out
    assert "run it: edgebench bench --design uleen --config single --dataset digits" in printed, printed
    data = load_dataset("digits")
    model = uleen.load(model_file)
    np.testing.assert_array_equal(uleen.forward(model, model.encode(data.x_test))[1],
                                  their_scores(state, data, data.x_test))
    out = tmp_path / "r"
    code = cli.main(["bench", "--design", "uleen", "--config", "single", "--sim", "icarus", "-n", "5",
                     "--no-measure", "--model", str(model_file), "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    row = json.loads((out / "uleen-single.json").read_text())
    assert row["mismatches"] == 0 and row["model_file"]["path"] == str(model_file.absolute())
    assert row["config_info"]["train"] != model.train_config, "the configuration's training is not the model's"


@pytest.mark.parametrize(("args", "fragments"), [
    (["--dataset", "digits"], ("refused to load global",)),
    (["--dataset", "nope"], ("unknown dataset 'nope'",)),
])
def test_cli_import_errors(args: list[str], fragments: tuple[str, ...], tmp_path: Path, seed: int,
                           capsys: pytest.CaptureFixture[str]) -> None:
    state = their_model(np.random.default_rng(seed), 64, 10, 4, 8, 64, 2)
    state["model"].input_order = _Evil(os.system, "true")
    src = write_lzma(tmp_path / "evil.pickle.lzma", state)
    out = tmp_path / "m.npz"
    code = cli.main(["import", "bthowen", str(src), "--out", str(out), *args])
    err = capsys.readouterr().err
    assert code == 2 and err.strip() and "\n" not in err.strip() and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, err
    assert not out.exists()


@pytest.mark.parametrize(("out", "fragment"), [("dir", "is a directory"), ("missing/m.npz", "does not exist")])
def test_cli_import_bad_out(out: str, fragment: str, tmp_path: Path, seed: int,
                            capsys: pytest.CaptureFixture[str]) -> None:
    src, _ = _good_lzma(tmp_path, seed)
    (tmp_path / "dir").mkdir()
    code = cli.main(["import", "bthowen", str(src), "--out", str(tmp_path / out), "--dataset", "digits"])
    err = capsys.readouterr().err
    assert code == 2 and fragment in err and "\n" not in err.strip(), err
    assert not (tmp_path / "missing").exists()
