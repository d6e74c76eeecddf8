"""Write the expected export of every shipped example to ``tests/compiler/golden/<example>.py``.

Run ``python -m tests.compiler.regen_golden`` (or the tests with ``UPDATE_GOLDEN=1``) after a
deliberate change to the code generator, and review the diff of the golden files: it is the
change readers of exported code will see.
"""

from __future__ import annotations

from pathlib import Path

GOLDEN = Path(__file__).with_name("golden")


def example_names() -> list[str]:
    from designer import examples

    return [n for n in examples.EXAMPLES if not n.endswith("mismatch")]


def expected(name: str) -> str:
    """The generated source of example ``name``."""
    from designer import examples
    from designer.compiler.codegen import generate

    return str(generate(examples.build(name)))


def main() -> None:
    GOLDEN.mkdir(exist_ok=True)
    for name in example_names():
        path = GOLDEN / f"{name}.py"
        text = expected(name)
        changed = not path.exists() or path.read_text() != text
        path.write_text(text)
        print(f"{'wrote' if changed else 'same '} {path}")


if __name__ == "__main__":
    main()
