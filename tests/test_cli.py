"""The headless CLI: ``validate`` and ``summary`` with their exit codes and output."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from designer.cli import main
from designer.examples import example_path
from designer.graph.builder import Builder
from designer.io.project import save

ROOT = Path(__file__).resolve().parent.parent
CARD = str(example_path("inception_module"))
MISMATCH = str(example_path("inception_module_mismatch"))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------- validate
def test_validate_valid_design(capsys) -> None:
    code, out, err = run(capsys, "validate", CARD)
    assert code == 0
    assert out.strip().splitlines()[-1] == "Inception module: valid (9 nodes, output 256 x 28 x 28)"
    assert "concat: info: no Output (classifier) node" in out
    assert err == ""


def test_validate_prints_node_message_and_fix(capsys) -> None:
    code, out, _ = run(capsys, "validate", MISMATCH)
    assert code == 1
    lines = out.splitlines()
    (i,) = [k for k, line in enumerate(lines) if line.startswith("concat: error: ")]
    assert "'b1'" in lines[i] and "26 x 26" in lines[i] and "28 x 28" in lines[i] and "Cause" in lines[i]
    assert lines[i + 1] == "    fix: Set padding of 'b1' to 'same'"
    assert lines[-1] == "Inception module (mismatch): 1 error, 0 warnings"


def test_validate_error_without_a_node_names_the_design(tmp_path: Path, capsys) -> None:
    b = Builder("two ends")
    x = b.input(channels=3, height=8, width=8)
    b.conv(x, "left")
    b.conv(x, "right")
    path = tmp_path / "d.json"
    save(b.done(), path)
    code, out, _ = run(capsys, "validate", str(path))
    assert code == 1
    assert any(line.startswith("two ends: error: the design has no Output node") for line in out.splitlines())


@pytest.mark.parametrize("command", ["validate", "summary"])
def test_unreadable_files_exit_2(tmp_path: Path, capsys, command: str) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"format_version": 1, "nodes": [}')
    for path, words in [
        (broken, "line 1, column 33"),
        (tmp_path / "missing.json", "cannot read"),
        (tmp_path, "cannot read"),
    ]:
        code, out, err = run(capsys, command, str(path))
        assert code == 2
        assert out == ""
        assert err.startswith(f"error: {path}") and words in err


@pytest.mark.parametrize(
    "argv",
    [["validate"], ["summary"], ["validate", "a.json", "b.json"], ["summary", "--bogus", CARD], ["validate", "-x"]],
)
def test_bad_arguments_exit_2(capsys, argv: list[str]) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert "usage:" in err


def test_help_and_version_exit_0(capsys) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "validate" in out and "summary" in out
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("inception-designer ")


# --------------------------------------------------------------------------- summary
def test_summary_table(capsys) -> None:
    code, out, _ = run(capsys, "summary", CARD)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["name", "type", "output", "params", "MACs", "share"]
    rows = {line.split()[0]: re.split(r"\s{2,}", line.strip()) for line in lines[2:11]}
    assert len(rows) == 9
    assert rows["b2_3x3"][1:5] == ["conv", "128 x 28 x 28", "110,720", "86,704,128"]
    assert rows["concat"][2] == "256 x 28 x 28"
    assert "block inception module: 163,696 params, 128,049,152 MACs" in lines
    assert any(line.startswith("total: 163,696 params, 128,049,152 MACs per image") for line in lines)


def test_summary_json(capsys) -> None:
    code, out, _ = run(capsys, "summary", "--json", CARD)
    assert code == 0
    data = json.loads(out)
    assert data["valid"] is True
    assert data["total"]["params"] == data["inference"]["params"] == 163_696
    assert data["total"]["macs"] == data["inference"]["macs"] == 128_049_152
    assert sum(n["params"] for n in data["nodes"]) == 163_696
    assert sum(n["macs"] for n in data["nodes"]) == 128_049_152
    by_name = {n["name"]: n for n in data["nodes"]}
    assert by_name["concat"]["output_shape"] == [256, 28, 28]
    assert by_name["b3_5x5"]["receptive_field"] == [5, 5]
    assert data["groups"] == [{"name": "inception module", "params": 163_696, "macs": 128_049_152}]


def test_summary_json_of_a_design_with_errors(capsys) -> None:
    code, out, _ = run(capsys, "summary", "--json", MISMATCH)
    assert code == 1
    data = json.loads(out)
    assert data["valid"] is False
    by_name = {n["name"]: n for n in data["nodes"]}
    assert by_name["concat"]["output_shape"] is None and by_name["concat"]["params"] is None
    assert by_name["b1"]["output_shape"] == [64, 26, 26]
    (err,) = [d for d in data["diagnostics"] if d["severity"] == "error"]
    assert err["fix"]["changes"] == [[by_name["b1"]["id"], "padding", "same"]]


def test_summary_table_of_a_design_with_errors(capsys) -> None:
    code, out, err = run(capsys, "summary", MISMATCH)
    assert code == 1
    assert "concat" in out and "?" in out
    assert "has errors" in err


# --------------------------------------------------------------------------- as a program
def test_python_m_designer_validate() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "designer", "validate", MISMATCH], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert "    fix: Set padding of 'b1' to 'same'" in done.stdout


def test_validate_advice_prints_the_bottleneck_figures(tmp_path, capsys) -> None:
    from designer.graph.builder import Builder
    from designer.io.project import save

    b = Builder("bare 5x5")
    x = b.input(channels=192, height=28, width=28)
    b.conv(x, "b3_5x5", out_channels=32, kernel_size=5)
    path = tmp_path / "bare.json"
    save(b.done(), path)
    assert main(["validate", str(path)]) == 0
    assert "bottleneck" not in capsys.readouterr().out
    assert main(["validate", "--advice", str(path)]) == 0
    out = capsys.readouterr().out
    assert "b3_5x5: info: 'b3_5x5': this 5x5 conv reads 192 channels and costs 120M MACs" in out
    assert "12.4M (9.7x fewer)" in out


# --------------------------------------------------------------------------- huge figures
def test_summary_of_a_deep_strided_design_serialises(tmp_path: Path, capsys) -> None:
    """A valid chain of stride-64 pools: its receptive field is capped at the input's size
    (flagged), not a number with thousands of digits that neither JSON nor print can write."""
    b = Builder("deep")
    x = b.input(channels=1, height=4, width=5)
    for i in range(2_500):
        x = b.pool(x, f"p{i}", mode="max", kernel_size=3, stride=64, padding="same")
    b.output(x, "head", num_classes=2)
    path = tmp_path / "deep.json"
    save(b.done(layout=False), path)
    code, out, err = run(capsys, "summary", "--json", str(path))
    assert (code, err) == (0, "")
    by_name = {n["name"]: n for n in json.loads(out)["nodes"]}
    assert by_name["p2499"]["receptive_field"] == [4, 5]
    assert by_name["p2499"]["receptive_field_capped"] == [True, True]
    assert by_name["p0"]["receptive_field"] == [3, 3] and by_name["p0"]["receptive_field_capped"] == [False, False]
    code, out, err = run(capsys, "summary", str(path))
    assert (code, err) == (0, "") and "p2499" in out
    code, out, err = run(capsys, "validate", "--advice", str(path))
    assert (code, err) == (0, "")


# --------------------------------------------------------------------------- the app or a command
def _no_display_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    return {**env, "PYTHONPATH": str(ROOT)}


def test_a_mistyped_command_is_a_usage_error_not_the_app(tmp_path: Path) -> None:
    # No display: were it taken for a file, the app would start and abort (or open a window).
    done = subprocess.run(
        [sys.executable, "-m", "designer", "frobnicate", "x.json"],
        cwd=tmp_path,
        env=_no_display_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert "unknown command 'frobnicate'" in done.stderr
    for command in ("validate", "summary", "export", "screenshot", "train"):
        assert f"\n  {command} " in done.stderr
    assert "xcb" not in done.stderr and "cannot read" not in done.stderr


def test_without_a_display_the_app_says_so_in_one_line(tmp_path: Path) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("DISPLAY / WAYLAND_DISPLAY are how Linux finds a display")
    for argv in ([], [CARD]):
        done = subprocess.run(
            [sys.executable, "-m", "designer", *argv],
            cwd=tmp_path,
            env=_no_display_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith("inception-designer: no display (")
        assert "xvfb-run" in done.stderr and len(done.stderr.splitlines()) == 1, done.stderr


def test_display_problem_follows_qt_platform_rules() -> None:
    pytest.importorskip("PySide6")
    from designer.ui.app import display_problem

    linux = "linux"
    assert display_problem({}, linux) is not None
    assert display_problem({"QT_QPA_PLATFORM": "xcb"}, linux).startswith("inception-designer: no display (DISPLAY")
    assert display_problem({"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "wayland-0"}, linux) is not None
    assert display_problem({"DISPLAY": ":0"}, linux) is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}, linux) is None
    assert display_problem({"QT_QPA_PLATFORM": "wayland;xcb", "DISPLAY": ":1"}, linux) is None
    assert display_problem({"QT_QPA_PLATFORM": "wayland"}, linux) is not None
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, linux) is None
    assert display_problem({}, "darwin") is None


@pytest.mark.parametrize(
    ("argv", "opens"),
    [
        ([], []),
        ([CARD], [CARD]),
        (["missing.json"], ["missing.json"]),  # ends in .json: the app says it cannot read it
        (["DESIGN.JSON"], ["DESIGN.JSON"]),
        (["frobnicate"], None),
        (["frobnicate", "x.json"], None),
        (["validat", CARD], None),
        (["--frobnicate"], None),
        ([CARD, "extra.json"], None),
        (["designs/frobnicate"], None),
    ],
)
def test_what_opens_the_app(monkeypatch, capsys, argv: list[str], opens: list[str] | None) -> None:
    import designer.cli as cli

    calls: list[list[str]] = []
    monkeypatch.setattr(cli, "cmd_app", lambda args: calls.append(args) or 0)
    code = main(argv)
    err = capsys.readouterr().err
    if opens is None:
        assert code == 2 and calls == [] and "usage: inception-designer" in err
    else:
        assert code == 0 and calls == [opens] and err == ""
    if argv[:1] == ["validat"]:
        assert "unknown command 'validat' (did you mean 'validate'?)" in err
    if argv[:1] == ["designs/frobnicate"]:
        assert "designs/frobnicate: no such file or directory" in err


def test_an_existing_path_without_json_opens_the_app(tmp_path: Path, monkeypatch) -> None:
    import designer.cli as cli

    design = tmp_path / "frobnicate"
    design.write_text(Path(CARD).read_text())
    monkeypatch.chdir(tmp_path)
    calls: list[list[str]] = []
    monkeypatch.setattr(cli, "cmd_app", lambda args: calls.append(args) or 0)
    assert main(["frobnicate"]) == 0 and calls == [["frobnicate"]]


def test_help_lists_every_command(capsys) -> None:
    from designer.cli import COMMANDS

    code, out, _ = run(capsys, "--help")
    assert code == 0
    for command in COMMANDS:
        assert f"\n    {command}" in out, command
    assert "usage: inception-designer [-h] [--version] [FILE | COMMAND ...]" in out


# --------------------------------------------------------------------------- export's output
def test_export_without_o_writes_into_the_current_directory_and_says_where(tmp_path: Path, monkeypatch, capsys) -> None:
    pytest.importorskip("torch")
    examples = tmp_path / "examples"
    examples.mkdir()
    design = examples / "card.json"
    design.write_text(Path(CARD).read_text())
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    code, out, err = run(capsys, "export", str(design))
    assert code == 0
    assert sorted(p.name for p in examples.iterdir()) == ["card.json"], "nothing next to the design"
    assert sorted(p.name for p in work.iterdir()) == ["card.pt", "card.py", "train_card.py"]
    lines = out.splitlines()
    assert len(lines) == 3
    for line, name in zip(lines, ["card.py", "card.pt", "train_card.py"], strict=True):
        m = re.fullmatch(r"wrote (.+) \(([0-9.]+) (bytes|KiB|MiB)\)", line)
        assert m is not None, line
        assert Path(m.group(1)) == work / name
        size = (work / name).stat().st_size
        assert float(m.group(2)) == (size if m.group(3) == "bytes" else round(size / 1024, 1)), line
    assert "KiB" in lines[1]  # 163,696 float32 weights
    # The card module ends in a 256 x 28 x 28 feature map: its script cannot train it, and says so.
    assert err == (
        "note: Inception module outputs a 256 x 28 x 28 feature map, not class scores, so train_card.py "
        "refuses to train it: add an Output (classifier) node to the design to train it for classification\n"
    )


def _classifier(tmp_path: Path, file_name: str = "small.json") -> Path:
    b = Builder("small")
    x = b.input(channels=3, height=16, width=16)
    x = b.conv(x, "conv", out_channels=4, kernel_size=3, stride=2)
    b.output(x, num_classes=5)
    path = tmp_path / file_name
    save(b.done(), path)
    return path


def test_each_export_into_a_folder_gets_its_own_training_script(tmp_path: Path, capsys) -> None:
    pytest.importorskip("torch")
    design = _classifier(tmp_path)
    out = tmp_path / "out"
    assert run(capsys, "export", str(design), "-o", str(out / "a.py"))[0] == 0
    code, _, err = run(capsys, "export", str(design), "-o", str(out / "b.py"))
    assert (code, err) == (0, ""), "a classifier: no note"
    assert sorted(p.name for p in out.iterdir()) == ["a.pt", "a.py", "b.pt", "b.py", "train_a.py", "train_b.py"]
    assert "from a import Small" in (out / "train_a.py").read_text()
    assert "from b import Small" in (out / "train_b.py").read_text()
    assert "NUM_CLASSES = 5\n" in (out / "train_b.py").read_text()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("my-net.py", "my-net.py: train_my-net.py imports the code by its file name, so the name must be letters"),
        ("2net.py", "e.g. -o {out}/model_2net.py"),
        ("class.py", "'class' is a Python keyword"),
        ("random.py", "a random.py beside train_random.py would hide Python's 'random' module"),
        ("torch.py", "e.g. -o {out}/torch_model.py"),
        ("net", "name the code file NAME.py (train_net.py imports it); e.g. -o {out}/net.py"),
        ("net.pt", "is where the weights go"),
    ],
)
def test_export_refuses_a_code_file_name_the_script_cannot_import(tmp_path: Path, capsys, name, message) -> None:
    design = _classifier(tmp_path)
    out = tmp_path / "out"
    code, stdout, err = run(capsys, "export", str(design), "-o", str(out / name))
    assert code == 2 and stdout == ""
    assert err.startswith("error: ") and message.format(out=out) in err, err
    assert not out.exists(), "nothing written"


def test_export_without_o_names_the_code_so_that_its_script_can_import_it(tmp_path: Path, monkeypatch, capsys):
    pytest.importorskip("torch")
    design = _classifier(tmp_path, "my-net v2.json")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert run(capsys, "export", str(design))[0] == 0
    assert sorted(p.name for p in work.iterdir()) == ["my_net_v2.pt", "my_net_v2.py", "train_my_net_v2.py"]


# --------------------------------------------------------------------------- compare
COMPARE_KEYS = {
    "file", "name", "valid", "errors", "params", "params_with_aux", "aux_params", "macs", "macs_with_aux",
    "activation_bytes", "activation_bytes_with_aux", "latency", "run",
}  # fmt: skip


def _without_bottleneck(tmp_path: Path) -> Path:
    """The card's module with the 5x5 branch reading the 192 input channels directly."""
    from designer.io.project import load

    doc = load(CARD)
    doc.remove_node(doc.find("b3_reduce").id)
    doc.connect(doc.find("input").id, doc.find("b3_5x5").id)
    doc.name = "Inception module, no 5x5 bottleneck"
    path = tmp_path / "no_bottleneck.json"
    save(doc, path)
    return path


def test_compare_json_gives_compute_costs_figures(tmp_path: Path, capsys) -> None:
    from designer.graph.cost import compute_costs
    from designer.io.project import load

    other = _without_bottleneck(tmp_path)
    code, out, err = run(capsys, "compare", CARD, str(other), "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert set(data) == {"designs", "latency_setup"} and data["latency_setup"] is None
    assert [d["file"] for d in data["designs"]] == [CARD, str(other)]
    for row in data["designs"]:
        assert set(row) == COMPARE_KEYS and row["valid"] and row["errors"] == []
        c = compute_costs(load(row["file"]))
        assert (row["params"], row["params_with_aux"], row["macs"], row["macs_with_aux"]) == (
            c.inference.params, c.total.params, c.inference.macs, c.total.macs,
        )  # fmt: skip
        assert row["activation_bytes"] == c.inference.activation_bytes
        assert row["activation_bytes_with_aux"] == c.total.activation_bytes
        assert row["latency"] is None and row["run"] is None
    card, plain = data["designs"]
    assert (card["params"], card["macs"]) == (163_696, 128_049_152)  # the README's figures
    # 5x5 x 32 from 192 channels instead of 16: 120.4M MACs instead of 12.0M (+1.2M for the 1x1 reduce).
    assert plain["macs"] - card["macs"] == 192 * 32 * 25 * 784 - (192 * 16 + 16 * 32 * 25) * 784


def test_compare_table_lists_every_design_with_its_figures(tmp_path: Path, capsys) -> None:
    other = _without_bottleneck(tmp_path)
    code, out, _ = run(capsys, "compare", CARD, str(other))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:6] == ["design", "name", "params", "params+aux", "MACs", "act."]
    card = next(line for line in lines if line.startswith("inception_module.json"))
    assert "163,696" in card and "128,049,152" in card
    plain = next(line for line in lines if line.startswith("no_bottleneck.json"))
    assert "236,027,904" in plain
    assert "b1 ms" not in lines[0], "no latency columns without --latency"


def test_compare_with_latency_on_a_tiny_design(tmp_path: Path, capsys) -> None:
    pytest.importorskip("torch")
    design = _classifier(tmp_path)
    code, out, _ = run(capsys, "compare", str(design), "--latency", "--json", "--repeats", "3", "--threads", "1")
    assert code == 0
    data = json.loads(out)
    setup = data["latency_setup"]
    assert setup["threads"] == 1 and setup["repeats"] == 3 and setup["batch_sizes"] == [1, 32]
    lat = data["designs"][0]["latency"]
    for b in (1, 32):
        fig = lat[f"batch_{b}"]
        assert fig["samples"] == 3
        assert 0 < fig["min_ms"] <= fig["q1_ms"] <= fig["median_ms"] <= fig["q3_ms"] <= fig["max_ms"]
        assert fig["images_per_s"] == pytest.approx(b / fig["median_ms"] * 1000)
    code, out, _ = run(capsys, "compare", str(design), "--latency", "--repeats", "2", "--threads", "1")
    assert code == 0
    head = out.splitlines()[0]
    assert "b1 ms (min-max)" in head and "b32 ms (min-max)" in head
    assert "1 thread, torch" in out and "median (min-max) of 2 timed samples" in out


def test_compare_names_an_unreadable_file_and_still_lists_the_others(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text("{not json", encoding="utf-8")
    code, out, err = run(capsys, "compare", CARD, str(bad), str(tmp_path / "missing.json"))
    assert code == 2
    assert str(bad) in err and "missing.json" in err
    assert "163,696" in out and "broken.json" in out and "(unreadable)" in out
    code, out, _ = run(capsys, "compare", str(bad), CARD, "--json")
    assert code == 2
    rows = json.loads(out)["designs"]
    assert "broken.json" in rows[0]["unreadable"] and rows[1]["params"] == 163_696


def test_compare_a_design_with_errors_exits_1_and_lists_the_others(capsys) -> None:
    code, out, _ = run(capsys, "compare", CARD, MISMATCH)
    assert code == 1
    assert "163,696" in out and "inception_module_mismatch.json: 1 error: concat:" in out
    code, out, _ = run(capsys, "compare", MISMATCH, CARD, "--json")
    rows = json.loads(out)["designs"]
    assert code == 1 and not rows[0]["valid"] and rows[0]["params"] is None and "b1" in rows[0]["errors"][0]


def test_compare_shows_the_latest_run_of_each_design(tmp_path: Path, capsys) -> None:
    from designer.graph.cost import compute_costs
    from designer.io.project import load
    from designer.training.checkpoint import RunLog
    from designer.training.records import EpochRecord

    design = tmp_path / "card.json"
    save(load(CARD), design)
    costs = compute_costs(load(CARD)).inference
    for stamp, accs, ips in (("20250101-000000", (0.5, 0.6), 100.0), ("20250102-000000", (0.7, 0.9, 0.8), 250.0)):
        log = RunLog(
            tmp_path / "card.runs" / stamp,
            {"started_at": stamp, "params": costs.params, "macs": costs.macs, "device": "cpu (1 thread)"},
        )
        for e, acc in enumerate(accs, 1):
            log.add_epoch(EpochRecord(e, e * 10, 1.0, 0.5, 1.0, acc, 0.1, ips + e, 1.0, acc == max(accs)))
        log.finish(status="completed", best_val_accuracy=max(accs), final_val_accuracy=accs[-1])
    code, out, _ = run(capsys, "compare", str(design), CARD, "--json")
    assert code == 0
    mine, card = json.loads(out)["designs"]
    assert card["run"] is None
    r = mine["run"]
    assert r["id"] == "20250102-000000" and r["best_val_accuracy"] == 0.9 and r["images_per_s"] == 253.0
    assert r["epochs"] == 3 and r["matches_design"] is True
    code, out, _ = run(capsys, "compare", str(design))
    line = next(line for line in out.splitlines() if line.startswith("card.json"))
    assert line.split()[-2:] == ["90.0%", "253"]
    assert "trained an earlier version" not in out


def test_compare_without_latency_loads_no_torch(tmp_path: Path) -> None:
    code = (
        "import sys, contextlib, io\n"
        "from designer.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main(['compare', {CARD!r}, {MISMATCH!r}]) == 1\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'PySide6'}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_validate_sizes_says_where_a_concat_breaks(tmp_path, capsys) -> None:
    """A 2x2/2 'valid' conv beside a 2x2/2 'same' one agree at even sizes only: --sizes says so."""
    from designer.graph.document import GraphDocument

    doc = GraphDocument("odd sizes")
    x = doc.add_node("input", "input", {"channels": 8, "height": 28, "width": 28}).id
    cat = doc.add_node("concat", "concat").id
    for name, padding in (("b1", "valid"), ("b2", "same")):
        conv = doc.add_node("conv", name, {"kernel_size": 2, "stride": 2, "padding": padding, "out_channels": 8}).id
        doc.connect(x, conv)
        doc.connect(conv, cat)
    save(doc, tmp_path / "odd.json")
    code, out, _ = run(capsys, "validate", str(tmp_path / "odd.json"), "--sizes")
    assert code == 0
    (line,) = [line for line in out.splitlines() if line.startswith("input sizes: ")]
    assert "works at 28 x 28" in line and "odd" in line and "27" in line and "'b1'" in line, line
