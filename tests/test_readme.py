"""The README's commands are the ones the project really runs."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## Set up.*?```bash\n(.*?)```", readme, re.S)
    assert block, "README.md lost its set-up block"
    return [line.strip() for line in block.group(1).splitlines() if line.strip()]


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
    args = _parser().parse_args(argv)
    assert args.command == "reproduce"
