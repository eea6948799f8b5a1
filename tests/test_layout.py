"""The library never imports the experiments or the command line."""

import ast
import subprocess
import sys
from pathlib import Path

import sk_symmetry

PACKAGE = Path(sk_symmetry.__file__).parent
LIBRARY = [
    path
    for path in PACKAGE.rglob("*.py")
    if path.relative_to(PACKAGE).parts[0] not in ("experiments", "__main__.py")
]


def _imported_modules(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            yield "." * node.level + (node.module or "")
            for alias in node.names:
                yield "." * node.level + (node.module or "") + "." + alias.name
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def test_library_modules_never_import_experiments_or_the_command_line():
    assert len(LIBRARY) > 10
    offenders = [
        (str(path.relative_to(PACKAGE)), module)
        for path in LIBRARY
        for module in _imported_modules(path)
        if "experiments" in module.split(".") or "__main__" in module.split(".")
    ]
    assert offenders == []


def test_importing_the_package_loads_no_experiment():
    code = (
        "import sys, sk_symmetry; "
        "print(sorted(m for m in sys.modules if m.startswith('sk_symmetry.exp')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
