import re

from tests.conftest import ROOT


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```sh\n(python3 -m venv .*?)\n```", text)


def test_readme_has_exactly_two_set_up_commands_and_ci_runs_the_test_one():
    commands = readme_commands()
    assert len(commands) == 2
    run_app, run_tests = commands
    assert run_app.endswith("-m desktop_app") and run_tests.endswith("-m pytest")
    ci = (ROOT / ".ci" / "run").read_text()
    assert run_tests in ci.splitlines()
