"""The standalone train_<name>.py: its name, its import, --help, ruff, a design without class
scores, and training with torchrun (2 CPU processes, gloo) and on an image folder."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from train_helpers import tiny_design

from designer.compiler.build import compile_model
from designer.compiler.codegen import generate
from designer.compiler.export import export_python
from designer.examples import example_path
from designer.io.project import load
from designer.training.script import (
    module_name_problem,
    not_class_scores,
    render_train_script,
    safe_module_name,
    script_name,
    write_train_script,
)

ROOT = Path(__file__).resolve().parents[2]


def _write(tmp_path: Path) -> Path:
    """The tiny design exported as model.py + model.pt + train_model.py."""
    doc = tiny_design()
    code, weights = export_python(doc, tmp_path / "model.py")
    script = write_train_script(doc, code, weights)
    assert script == tmp_path / "train_model.py"
    text = script.read_text(encoding="utf-8")
    ast.parse(text)
    assert "import designer" not in text and "from designer" not in text
    return script


def _code_and_script(tmp_path: Path, example: str, stem: str) -> Path:
    """An example's code file and training script (no weights: the script only names them)."""
    doc = load(example_path(example))
    code = tmp_path / f"{stem}.py"
    code.write_text(generate(doc), encoding="utf-8")
    return write_train_script(doc, code, code.with_suffix(".pt"))


def _env() -> dict[str, str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": ""}
    env.pop("PYTEST_CURRENT_TEST", None)
    return env


def _ruff() -> str:
    ruff = Path(sys.executable).with_name("ruff")
    found = str(ruff) if ruff.exists() else shutil.which("ruff")
    if found is None:
        pytest.skip("ruff not installed")
    return found


# ------------------------------------------------------------------------ name and import
def test_the_script_is_named_after_the_code_file_and_imports_its_class_directly(tmp_path):
    assert script_name("net.py") == "train_net.py" and script_name(Path("a/train.py")) == "train_train.py"
    script = _write(tmp_path)
    tree = ast.parse(script.read_text(encoding="utf-8"))
    imports = [n for n in tree.body if isinstance(n, ast.ImportFrom) and n.module == "model"]
    assert [(a.name, a.asname) for n in imports for a in n.names] == [(generate(tiny_design()).class_name, None)]
    assert "importlib" not in script.read_text(encoding="utf-8")
    assert os.access(script, os.X_OK), "it starts with #!"

    # The class it imports is the exported model: it loads the compiled model's weights.
    ns: dict = {}
    exec(compile((tmp_path / "model.py").read_text(encoding="utf-8"), "model.py", "exec"), ns)  # our own code
    ns[imports[0].names[0].name]().load_state_dict(compile_model(tiny_design()).state_dict())


def test_a_second_export_into_the_folder_keeps_the_first_script(tmp_path):
    first = _code_and_script(tmp_path, "inception_module", "card")
    second = _write(tmp_path)
    assert first.exists() and second.exists() and first != second


def test_a_class_named_like_one_of_the_scripts_names_is_imported_under_another():
    script = render_train_script("model", "Dataset")
    assert "from model import Dataset as Model" in script and "net = Model()" in script
    assert "from model import Net  # the exported model" in render_train_script("model", "Net")


def test_render_rejects_names_that_are_not_identifiers():
    with pytest.raises(ValueError):
        render_train_script("model", "Net; import os")
    for module in ("my-net", "2net", "class", "torch", "random", "a/b"):
        with pytest.raises(ValueError):
            render_train_script(module, "Net")


def test_module_names_the_script_can_import():
    assert module_name_problem("net") is None and module_name_problem("GoogLeNet_v2") is None
    assert "letters, digits" in module_name_problem("my-net")
    assert "keyword" in module_name_problem("class")
    assert "hide Python's 'random'" in module_name_problem("random")
    assert "hide Python's 'torch'" in module_name_problem("torch")
    assert safe_module_name("inception-v3 (ours)") == "inception_v3_ours"
    assert safe_module_name("2net") == "model_2net" and safe_module_name("torch") == "torch_model"
    assert safe_module_name("--") == "model"


# ------------------------------------------------------------------------ --help
def _options_and_help(text: str) -> dict[str, str]:
    """Each option of argparse's help and its help text (the rest of its line or the next lines)."""
    entries: dict[str, str] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        m = re.match(r"^  (-\S.*?)(?:\s{2,}(\S.*))?$", line)
        if m:
            current = [m.group(2) or ""]
            for opt in re.findall(r"(--?[\w-]+)", m.group(1)):
                entries[opt] = current  # type: ignore[assignment]
        elif current is not None and re.match(r"^ {6,}\S", line):
            current.append(line.strip())
        else:
            current = None
    return {opt: " ".join(parts).strip() for opt, parts in entries.items()}  # type: ignore[arg-type]


@pytest.mark.parametrize("example", ["inception_module", "mini_inception"])
def test_help_describes_every_option_the_model_and_the_data(tmp_path, example):
    script = _code_and_script(tmp_path, example, "net")
    class_name = generate(load(example_path(example))).class_name
    proc = subprocess.run(
        [sys.executable, script.name, "--help"], cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = proc.stdout
    options = _options_and_help(text)
    added = {
        kw.value
        for node in ast.walk(ast.parse(script.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "add_argument"
        for kw in node.args[:1]
        if isinstance(kw, ast.Constant)
    }
    assert len(added) >= 20 and added <= set(options), added - set(options)
    for opt, help_text in options.items():
        assert re.search(r"[a-z]{3}", help_text.replace("default", "")), f"{opt} has no help: {help_text!r}"
    description = text.split("options:")[0]
    assert f"Train {class_name}, the model in net.py" in description
    assert '"synthetic"' in description and "image" in description and "train/ and val/" in description
    epilog = text.split("examples:")[1]
    assert "torchrun --nproc_per_node=2 train_net.py --data synthetic" in epilog
    assert ("not class scores" in description) == (example == "inception_module")


# ------------------------------------------------------------------------ not a classifier
def test_a_design_without_class_scores_gets_a_script_that_says_so_and_refuses_to_train(tmp_path):
    script = _code_and_script(tmp_path, "inception_module", "card")
    text = script.read_text(encoding="utf-8")
    assert "NUM_CLASSES = 256" not in text and "NUM_CLASSES = None" in text
    note = ast.get_docstring(ast.parse(text))
    assert "Note: InceptionModule outputs a 256 x 28 x 28 feature map, not class scores" in " ".join(note.split())
    proc = subprocess.run(
        [sys.executable, script.name, "--epochs", "1"], cwd=tmp_path, env=_env(), capture_output=True, text=True
    )
    assert proc.returncode == 1 and "epoch" not in proc.stdout
    assert proc.stderr.strip() == (
        "InceptionModule outputs a 256 x 28 x 28 feature map, not class scores: "
        "add an Output (classifier) node to the design to train it for classification"
    )
    assert not_class_scores((10,)) is None and not_class_scores((256, 28, 28), "M") == (
        "M outputs a 256 x 28 x 28 feature map, not class scores"
    )


def test_a_classifier_script_has_its_classes_and_no_refusal(tmp_path):
    text = _write(tmp_path).read_text(encoding="utf-8")
    assert "NUM_CLASSES = 10\n" in text and "AUX_WEIGHTS = (0.3,)" in text
    assert "NOT_CLASS_SCORES" not in text and "not class scores" not in text
    assert 'DEFAULT_WEIGHTS = "model.pt"' in text


# ------------------------------------------------------------------------ ruff
@pytest.mark.parametrize(("example", "stem"), [("inception_module", "card"), ("googlenet", "googlenet")])
def test_the_script_passes_ruff_check_and_format_with_the_projects_settings(tmp_path, example, stem):
    ruff = _ruff()
    script = _code_and_script(tmp_path, example, stem)
    config = str(ROOT / "pyproject.toml")
    for cmd in (["check", "--no-cache"], ["format", "--check", "--no-cache"]):
        proc = subprocess.run(
            [ruff, *cmd, "--config", config, script.name], cwd=tmp_path, capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
    # Also as its own project (the code file beside it is then first-party for isort).
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for cmd in (["check", "--no-cache"], ["format", "--check", "--no-cache"]):
        proc = subprocess.run([ruff, *cmd, script.name], cwd=tmp_path, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr


# ------------------------------------------------------------------------ training
def test_torchrun_with_two_cpu_processes_trains_one_epoch(tmp_path):
    _write(tmp_path)
    torchrun = Path(sys.executable).with_name("torchrun")
    cmd = [
        str(torchrun), "--standalone", "--nproc_per_node=2", "train_model.py", "--data", "synthetic", "--epochs", "1",
        "--synthetic-train", "256", "--synthetic-val", "64", "--batch-size", "32", "--threads", "1", "--out", "out",
    ]  # fmt: skip
    proc = subprocess.run(cmd, cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert "x 2 process(es)" in proc.stdout and "epoch 1/1" in proc.stdout
    assert "starting from" in proc.stdout, "the exported weights, by default"
    state = torch.load(tmp_path / "out" / "last.pt", map_location="cpu", weights_only=True)
    compile_model(tiny_design()).load_state_dict(state)


def test_single_process_on_an_image_folder(tmp_path):
    from PIL import Image

    _write(tmp_path)
    g = torch.Generator().manual_seed(0)
    for k in range(10):
        folder = tmp_path / "images" / f"class{k}"
        folder.mkdir(parents=True)
        for i in range(3):
            arr = (torch.rand(20, 24, 3, generator=g) * 255).to(torch.uint8).numpy()
            Image.fromarray(arr).save(folder / f"{i}.png")
    cmd = [sys.executable, "train_model.py", "--data", "images", "--epochs", "1", "--batch-size", "8", "--threads", "1"]
    proc = subprocess.run(cmd, cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert "epoch 1/1" in proc.stdout
