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


# Arrows point down: a subpackage imports only from subpackages of a lower
# rank (and from the top-level private modules such as _compat). inspection
# looks into scorers, networks and the orbit classifier, so it sits above them.
RANKS = {
    "symmetry": 0,
    "features": 1,
    "neural_network": 1,
    "augmentation": 2,
    "metrics": 2,
    "datasets": 2,
    "averaging": 3,  # the regressor's target signs are the scorers'
    "inspection": 4,
}


def _subpackage_imports(path):
    """The sk_symmetry subpackages ``path`` imports (relative imports only,
    as the package uses)."""
    package = path.relative_to(PACKAGE).parts[0]
    for module in _imported_modules(path):
        level = len(module) - len(module.lstrip("."))
        parts = module.lstrip(".").split(".")
        if level == 2 and parts[0] and not parts[0].startswith("_"):
            yield package, parts[0]


def test_subpackages_import_only_downwards():
    assert set(RANKS) == {
        path.relative_to(PACKAGE).parts[0]
        for path in LIBRARY
        if len(path.relative_to(PACKAGE).parts) > 1
    }
    upward = sorted(
        {
            (str(path.relative_to(PACKAGE)), target)
            for path in LIBRARY
            if len(path.relative_to(PACKAGE).parts) > 1
            for package, target in _subpackage_imports(path)
            if target != package and RANKS[target] >= RANKS[package]
        }
    )
    assert upward == []


def test_metrics_is_a_leaf_above_symmetry():
    # Issue 17: metrics imports no estimator and no network math.
    imports = {
        target
        for path in (PACKAGE / "metrics").glob("*.py")
        for _, target in _subpackage_imports(path)
    }
    assert imports <= {"symmetry"}
