"""The README's commands are the ones the project really runs."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What makes a command work on a fresh machine: its own environment.
SETUP = "python3 -m venv .venv && . .venv/bin/activate && pip install -e "


def _readme():
    return (ROOT / "README.md").read_text()


def _readme_commands():
    block = re.search(r"## Set up.*?```bash\n(.*?)```", _readme(), re.S)
    assert block, "README.md lost its set-up block"
    return [line.strip() for line in block.group(1).splitlines() if line.strip()]


def test_setup_block_is_two_self_contained_commands():
    job, tests = _readme_commands()
    for command in (job, tests):
        assert command.startswith(SETUP), command
    assert '".[plot]"' in job and "sk-symmetry reproduce" in job
    assert '".[test]"' in tests and tests.endswith("python -m pytest")


def test_ci_runs_exactly_the_readme_test_command():
    test_command = [c for c in _readme_commands() if "pytest" in c]
    assert len(test_command) == 1
    ci_lines = [
        line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()
    ]
    assert test_command[0] in ci_lines


def test_readme_main_job_is_the_console_script():
    from sk_symmetry.__main__ import _parser

    job = [c for c in _readme_commands() if "sk-symmetry" in c]
    assert len(job) == 1
    argv = job[0].split("sk-symmetry", 1)[1].split()
    parser, _ = _parser()
    args = parser.parse_args(argv)
    assert args.command == "reproduce"


def test_readme_links_point_inside_the_repository():
    """A clone has only the repository: every relative link must resolve in it."""
    links = re.findall(r"\]\(([^)#]+)\)", _readme())
    local = [link for link in links if "://" not in link]
    assert "docs/PAPER-PROTOCOL.md" in local
    # The built documentation site exists only after its build command, which
    # the README gives next to the link (tests/test_docs.py checks both).
    local = [link for link in local if not link.startswith("docs/_build/")]
    for link in local:
        path = (ROOT / link).resolve()
        assert path.is_relative_to(ROOT) and path.exists(), link
    assert "../shared" not in _readme()


def test_readme_requirements_name_every_core_dependency():
    from configparser import ConfigParser

    config = ConfigParser()
    config.read(ROOT / "setup.cfg")
    required = config["options"]["install_requires"].split()
    names = {re.split(r"[<>=!~ ]", line)[0] for line in required}
    line = re.search(r"^Requirements:(.*?)\n\n", _readme(), re.S | re.M)
    assert line, "README.md lost its Requirements paragraph"
    for name in names:
        assert name in line.group(1), name


def test_package_metadata_names_a_home_page_and_an_author():
    """What ``pip show sk_symmetry`` shows besides the name and version."""
    from configparser import ConfigParser

    config = ConfigParser(interpolation=None)
    config.read(ROOT / "setup.cfg")
    metadata = config["metadata"]
    assert metadata.get("url", "").startswith("https://")
    assert metadata.get("author")
    assert "Paper" in metadata.get("project_urls", "")
