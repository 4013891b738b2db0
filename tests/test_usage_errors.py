"""Usage errors in every command: one `gradcli: error:` line, exit 2, and never an option silently dropped."""

import pytest

from conftest import SAMPLES, assert_error, commands, program_commands, run, run_json, takes_one_output

NG = "u = b*c; v = a + u; J = 3*v"
NG_ARGS = [NG, "a=5", "b=3", "c=2"]
TWO = ["y1 = x*x; y2 = 3*x", "x=2"]  # dy1/dx = 4, dy2/dx = 3
REGISTRY = program_commands()
COMMANDS = [[name, *(["--steps"] if name == "explain" else [])] for name in REGISTRY]  # explain with a view
SINGLE_OUTPUT = [c for c in COMMANDS if takes_one_output(REGISTRY[c[0]])]


def assert_error_line(args, code, words):
    """The error as every other: click's own "Usage:" and "Error:" never show, the words are on its line."""
    result = assert_error(args, code, words)
    assert words in result.err.splitlines()[0] and "Usage:" not in result.err and "Error:" not in result.err


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("extra, words", [
    (["--bogus"], "no such option '--bogus'"),
    (["-f", "no/such/file.grad"], "'no/such/file.grad': No such file or directory"),
])
def test_click_errors_look_like_every_other_error(command, extra, words):
    assert_error_line([*command, *extra, *NG_ARGS[1:]], 2, words)
    data = assert_error([*command, *extra, *NG_ARGS[1:], "--json"], 2)
    assert words in data.json_lines()[0]["error"]["message"]


@pytest.mark.parametrize("args, words", [
    (["eval", *NG_ARGS, "--mode", "sideways"], "invalid value for '--mode': 'sideways'"),
    (["jacobian", *TWO, "--mode", "paths"], "invalid value for '--mode': 'paths'"),
    (["graph", *NG_ARGS, "--format", "gif"], "invalid value for '--format': 'gif'"),
    (["descend", "L = (w - 3)^2", "w=0", "--steps", "many"], "'many' is not a valid integer"),
    (["--bogus"], "no such option '--bogus'"),
])
def test_bad_values_and_group_options(args, words):
    assert_error_line(args, 2, words)


@pytest.mark.parametrize("command", SINGLE_OUTPUT, ids=" ".join)
@pytest.mark.parametrize("of", [["--of", "y1", "--of", "y2"], ["--of", "y1,y2"]])
def test_a_single_output_command_refuses_several_outputs(command, of):
    assert_error_line([*command, *TWO, *of], 2, "takes one output; gradcli jacobian takes several")


def test_jacobian_takes_several_outputs():
    data = run_json("jacobian", *TWO, "--of", "y1", "--of", "y2", "--json")
    assert data["outputs"] == ["y1", "y2"] and data["jacobian"] == [[4.0], [3.0]]


@pytest.mark.parametrize("args, words", [
    (["eval", *NG_ARGS, "--mode", "forward", "--mode", "reverse"], "--mode is given twice"),
    (["eval", *NG_ARGS, "--wrt", "a", "--wrt", "b"], "--wrt is given twice"),
    (["check", *NG_ARGS, "--eps", "1e-3", "--eps", "1e-4"], "--eps is given twice"),
    (["descend", "L = (w - 3)^2", "w=0", "--lr", "0.1", "--lr", "0.2"], "--lr is given twice"),
    (["graph", *NG_ARGS, "--format", "dot", "--format", "mermaid"], "--format is given twice"),
    (["graph", *NG_ARGS, "--format", "dot", "--json"], "--json and --format dot disagree"),
    (["explain", "--trace", *NG_ARGS, "--tangent", "a", "--tangent", "b"], "--tangent is given twice"),
    (["explain", "--steps", *NG_ARGS, "--max-paths", "3"], "--max-paths goes with --paths"),
    (["explain", "--steps", *NG_ARGS, "--adjoint"], "--tangent and --adjoint go with --trace"),
    (["explain", "--steps", "--paths", *NG_ARGS, "--json"], "2 views were asked for (--steps, --paths)"),
    (["eval", *NG_ARGS, "--wrt", ""], "--wrt needs input names"),
    (["eval", *NG_ARGS, "--of", ""], "--of needs an output name"),
    (["jacobian", *TWO, "--of", ","], "--of needs output names"),
])
def test_conflicting_or_repeated_options_are_errors(args, words):
    assert_error_line(args, 2, words)


def test_graph_json_flag_alone_or_with_format_json():
    for extra in (["--json"], ["--json", "--format", "json"]):
        data = run_json("graph", *NG_ARGS, *extra)
        assert data["value"] == 33.0


@pytest.mark.parametrize("first, second, first_words, second_words", [
    ("--paths", "--steps", "Bauer", "backward pass"),
    ("--steps", "--paths", "backward pass", "Bauer"),
    ("--graph", "--trace", "dJ/du = 3", "evaluation trace of J = 33"),
])
def test_several_views_are_shown_in_the_order_asked(first, second, first_words, second_words):
    result = run("explain", first, second, *NG_ARGS)
    assert result.code == 0, result.err
    assert first_words in result.out and second_words in result.out
    assert result.out.index(first_words) < result.out.index(second_words)


def test_failed_check_json_also_prints_the_error_line():
    """y = x^3 at 2 with h = 1: the central difference is (27 - 1)/2 = 13, not 12."""
    result = assert_error(["check", "y = x^3", "x=2", "--eps", "1", "--json"], 1)
    data = result.json()
    assert data["ok"] is False and data["inputs"]["x"]["numeric"] == 13.0
    assert result.err.startswith("gradcli: error: gradient check failed for 1 of 1 input; worst: x")


WARNING = "the gradient dy/dx was cut to 0 by underflow"


@pytest.fixture
def warned(monkeypatch):
    """Every evaluation carries a warning, as one that underflowed would."""
    import gradcli.analyses.checking
    import gradcli.analyses.modes
    import gradcli.analyses.paths
    import gradcli.autodiff.gradient
    import gradcli.analyses.steps

    original = gradcli.autodiff.gradient.evaluate

    def evaluate(problem):
        result = original(problem)
        result.warnings = [WARNING]
        return result

    for module in (gradcli.autodiff.gradient, gradcli.analyses.modes, gradcli.analyses.checking,
                   gradcli.analyses.paths, gradcli.analyses.steps):
        monkeypatch.setattr(module, "evaluate", evaluate)


@pytest.mark.parametrize("command", [["eval"], ["explain", "--steps"], ["explain", "--paths"],
                                     ["explain", "--graph"], ["check"]], ids=" ".join)
def test_warnings_go_to_stderr_and_into_the_json(warned, command):
    result = run(*command, *NG_ARGS)
    assert result.code == 0 and result.err == f"gradcli: warning: {WARNING}\n"
    data = run(*command, *NG_ARGS, "--json")
    assert data.json()["warnings"] == [WARNING] and data.err == f"gradcli: warning: {WARNING}\n"


def test_graph_warns_on_stderr(warned):
    result = run("graph", *NG_ARGS, "--format", "json")
    assert result.code == 0 and result.err == f"gradcli: warning: {WARNING}\n"


@pytest.mark.parametrize("command", [["eval"], ["explain", "--steps"], ["check"], ["jacobian"]], ids=" ".join)
def test_no_warnings_key_without_warnings(command):
    result = run(*command, "-f", str(SAMPLES / "sigmoid_neuron.grad"), "--json")
    assert result.code == 0 and "warnings" not in result.json() and result.err == ""


def test_a_bug_is_one_line_not_a_traceback(monkeypatch, capsys):
    """An unexpected exception (a bug) still ends in one `gradcli: error:` line and exit 1."""
    import gradcli.analyses.modes as modes
    from gradcli.cli.app import cli_main as main

    def broken(problem, mode="reverse"):
        raise RuntimeError("boom")

    monkeypatch.setattr(modes, "compute", broken)
    monkeypatch.delenv("GRADCLI_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        main(["eval", "y = x^2", "x=3"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 1
    assert err.startswith("gradcli: error: internal error (RuntimeError: boom)") and "Traceback" not in err


def test_ctrl_c_wrapped_by_python_is_still_an_interrupt(monkeypatch, capsys):
    """Python 3.11 turns a KeyboardInterrupt raised while a class is made into a RuntimeError (``Error
    calling __set_name__``): its cause says it was Ctrl-C, so the exit is 130, not an internal error."""
    import gradcli.analyses.modes as modes
    from gradcli.cli.app import cli_main as main

    def interrupted(problem, mode="reverse"):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:
            raise RuntimeError("Error calling __set_name__ on 'Field' instance 'warnings'") from exc

    monkeypatch.setattr(modes, "compute", interrupted)
    monkeypatch.delenv("GRADCLI_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        main(["eval", "y = x^2", "x=3"])
    assert exit_info.value.code == 130
    assert capsys.readouterr().err == "gradcli: interrupted\n"
