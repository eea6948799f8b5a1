"""The tests folder mirrors the package: a folder per subpackage, test modules
whose names are unique (pytest imports them by name), one name per fixture."""

import ast
import collections
from pathlib import Path

import sk_symmetry

TESTS = Path(__file__).resolve().parents[1]
PACKAGE = Path(sk_symmetry.__file__).parent


def _test_files():
    return sorted(TESTS.rglob("*.py"))


def test_every_subpackage_has_its_tests_folder():
    subpackages = {path.parent.name for path in PACKAGE.glob("*/__init__.py")}
    folders = {path.name for path in TESTS.iterdir() if path.is_dir()}
    assert subpackages <= folders, sorted(subpackages - folders)


def test_test_module_names_are_unique():
    counts = collections.Counter(
        path.name for path in _test_files() if path.name.startswith("test_")
    )
    assert [name for name, n in counts.items() if n > 1] == []


def _is_fixture(decorator):
    if isinstance(decorator, ast.Call):
        decorator = decorator.func
    return ast.unparse(decorator) in ("pytest.fixture", "fixture")


def _fixtures(path):
    """The names of the fixtures that the module at ``path`` defines."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for decorator in node.decorator_list:
                if _is_fixture(decorator):
                    yield _fixture_name(node, decorator)


def _fixture_name(node, decorator):
    # @pytest.fixture(name="...") names the fixture, not the function
    for keyword in getattr(decorator, "keywords", ()):
        if keyword.arg == "name":
            return ast.literal_eval(keyword.value)
    return node.name


def test_fixture_names_are_unique():
    where = collections.defaultdict(list)
    for path in _test_files():
        for name in _fixtures(path):
            where[name].append(str(path.relative_to(TESTS)))
    assert where, "found no fixture: the search is broken"
    assert {name: paths for name, paths in where.items() if len(paths) > 1} == {}


def test_the_fixture_search_sees_names_and_calls(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import pytest\n"
        "@pytest.fixture\ndef a(): pass\n"
        "@pytest.fixture(scope='module')\ndef b(): pass\n"
        "@pytest.fixture(name='c')\ndef _c(): pass\n"
        "@pytest.mark.slow\ndef test_d(): pass\n"
    )
    assert list(_fixtures(probe)) == ["a", "b", "c"]
