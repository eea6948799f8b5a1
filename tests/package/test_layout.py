"""The library never imports the experiments or the command line."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

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


# Issue 28, section 2: one internal surface. A subpackage that others need
# exposes it from its __init__ (public names) or from its one _internal
# module; nothing reaches into another subpackage's private modules.
SUBPACKAGES = {
    path.parent.name for path in PACKAGE.glob("*/__init__.py")
}


def _absolute_imports(relative, text):
    """``(module, names)`` of every import of the module at ``relative`` (a
    path inside the package) holding ``text``, inside functions too, relative
    imports made absolute."""
    parts = relative.with_suffix("").parts
    package = ["sk_symmetry", *parts[:-1]]
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            yield module, [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []


def _private_reaches(relative, text):
    """The imports of a subpackage's module that reach into another
    subpackage: a private module other than _internal, or a private name."""
    own = relative.parts[0]
    for module, names in _absolute_imports(relative, text):
        parts = module.split(".")
        if parts[0] != "sk_symmetry" or len(parts) < 2:
            continue
        if parts[1] not in SUBPACKAGES or parts[1] == own:
            continue
        inner, private = parts[2:], [n for n in names if n.startswith("_")]
        if inner not in ([], ["_internal"]) or private:
            yield module, private


@pytest.mark.parametrize(
    "line, reaches",
    [
        ("from ..symmetry._group import SymmetryGroup", True),
        ("from ..metrics import _scoring", True),
        ("from ..symmetry._internal import _image_shape", True),
        ("def f():\n    from ..datasets._ising_exact import binder_cumulant", True),
        ("from ..symmetry import SymmetryGroup", False),
        ("from ..symmetry._internal import as_arrays", False),
        ("from .._utils import n_threads", False),
        ("from ._common import check_image_shape", False),
    ],
)
def test_the_private_reach_check_finds_each_kind(line, reaches):
    found = list(_private_reaches(Path("features/_probe.py"), line))
    assert bool(found) == reaches
    # One level deeper, one more dot reaches as far.
    deeper = line.replace("from ..", "from ...")
    assert list(_private_reaches(Path("features/deep/_probe.py"), deeper)) == found


def test_no_subpackage_reaches_into_another_subpackages_private_modules():
    assert {"symmetry", "features", "metrics", "experiments"} <= SUBPACKAGES
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        if len(relative.parts) > 1:  # the command line is no subpackage
            offenders += [
                (str(relative), module, tuple(private))
                for module, private in _private_reaches(relative, path.read_text())
            ]
    assert offenders == []


def test_block_sizes_and_thread_helpers_live_only_in_utils():
    # Issue 28, section 2: _BLOCK_BYTES was defined in four modules and
    # _random_maps rebuilt the thread helpers.
    offenders = []
    for path in LIBRARY:
        if path.name in ("_utils.py", "_compat.py"):
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
                offenders += [
                    (path.name, n)
                    for n in names
                    if n.endswith(("BLOCK_BYTES", "BYTES_PER_THREAD"))
                ]
        relative = path.relative_to(PACKAGE)
        for module, names in _absolute_imports(relative, path.read_text()):
            used = {module, *(f"{module}.{n}" for n in names)}
            offenders += [
                (path.name, u)
                for u in used
                if u.startswith(("concurrent.futures", "threadpoolctl"))
                or u.endswith("_openmp_effective_n_threads")
            ]
    assert offenders == []


# -- import circles, counting the imports placed inside functions ----------------


def _module_name(path, root=PACKAGE):
    """``sk_symmetry.a.b`` for ``root/a/b.py`` (``sk_symmetry.a`` for
    ``root/a/__init__.py``)."""
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph(root=PACKAGE):
    """Each module of the package under ``root`` -> the package's modules it
    imports anywhere in its source (at the top, in functions, in classes).

    ``from a import b`` counts as importing ``a.b`` when that is a module,
    else ``a``. Importing a submodule is not counted as importing its parent
    packages: Python finishes those first, so they cannot close a circle
    through the submodule.
    """
    modules = {
        _module_name(path, root): path
        for path in root.rglob("*.py")
        if "build" not in path.relative_to(root).parts
    }
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.rsplit(".", node.level - 1)[0]
                    base = f"{base}.{node.module}" if node.module else base
                else:
                    base = node.module
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    targets.add(full if full in modules else base)
            elif isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
        graph[name] = sorted(t for t in targets if t in modules and t != name)
    return graph


def _circles(graph):
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_the_package_has_no_import_circle():
    graph = _import_graph()
    assert "sk_symmetry.experiments.claims.run" in graph
    assert _circles(graph) == []


def test_the_circle_check_sees_imports_inside_functions(tmp_path):
    # A circle closed only by an import inside a function, as benchmark and
    # its report had: the check must find it.
    root = tmp_path / "pkg"
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "a.py").write_text("from .b import f\n")
    (root / "b.py").write_text("def f():\n    from .a import g\n    return g\n")
    (root / "c.py").write_text("from . import a\n")
    assert _circles(_import_graph(root)) == [["pkg.a", "pkg.b"]]
