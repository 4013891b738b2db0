"""Every worked example in samples/, checked against the published numbers in samples/expected.json.

A number is checked to the digits it is written with: 0.7311 to within 0.00005, 0.20 to
within 0.005 (the sources round), an integer to within 1e-12 (the sources' integers are exact).
"""

import json
import re
import shlex
from decimal import Decimal

import pytest

from conftest import SAMPLES, run, run_json, run_json_lines

EXPECTED = json.loads((SAMPLES / "expected.json").read_text(), parse_float=Decimal)

def tolerance(expected) -> float:
    """Half a unit in the last written digit; 1e-12 (relative, at least absolute) for an integer."""
    if isinstance(expected, Decimal):
        return float(Decimal((0, (5,), expected.as_tuple().exponent - 1)))
    return 1e-12 * max(1.0, abs(expected))


def close(actual, expected, extra: float = 0.0) -> bool:
    """Numbers, or nested lists of them (an array), each to the digits it is written with."""
    if isinstance(expected, list):
        return (isinstance(actual, list) and len(actual) == len(expected)
                and all(close(a, e, extra) for a, e in zip(actual, expected)))
    return abs(actual - float(expected)) <= tolerance(expected) + extra


def samples(key: str | None = None, arrays: bool | None = None):
    """The samples (with the entry for each) whose expected numbers include `key`
    (and that have arrays, or not, when ``arrays`` says)."""
    return [pytest.param(name, entry, id=name)
            for name, entry in EXPECTED.items() if (key is None or key in entry)
            and (arrays is None or entry.get("arrays", False) == arrays)]


def sample_modes():
    """Every sample with published gradients, in each mode that takes it (paths: scalar programs)."""
    return [pytest.param(name, entry, mode, id=f"{name}-{mode}")
            for name, entry in EXPECTED.items() if "gradient" in entry
            for mode in ("reverse", "forward", "paths") if mode != "paths" or not entry.get("arrays")]


def eval_json(*args):
    return run_json("eval", *args, "--json")


def test_every_sample_has_expected_numbers_and_an_entry_in_the_readme():
    assert sorted(p.name for p in SAMPLES.glob("*.grad")) == sorted(EXPECTED)
    readme = (SAMPLES / "README.md").read_text()
    for name, entry in EXPECTED.items():
        assert f"`{name}`" in readme
        assert "gradient" in entry or "checked_by" in entry, name
        if "descend" in entry:
            assert (SAMPLES / entry["descend"].get("data", name)).exists()


@pytest.mark.parametrize("sample, expected, mode", sample_modes())
def test_value_and_gradient(sample, expected, mode):
    data = eval_json("-f", str(SAMPLES / sample), "--mode", mode)
    assert data["output"] == expected["output"]
    assert close(data["value"], expected["value"])
    assert set(data["gradient"]) == set(expected["gradient"])
    for name, gradient in expected["gradient"].items():
        assert close(data["gradient"][name], gradient), name


@pytest.mark.parametrize("sample, expected", samples("nodes"))
def test_intermediate_values_and_adjoints(sample, expected):
    nodes = {n["node"]: n for n in eval_json("-f", str(SAMPLES / sample), "--all")["nodes"]}
    for name, want in expected["nodes"].items():
        assert close(nodes[name]["value"], want["value"]), name
        assert close(nodes[name]["adjoint"], want["adjoint"]), name


@pytest.mark.parametrize("sample, expected", samples("gradient", arrays=False))
def test_table_shows_the_numbers(sample, expected):
    """The table prints 6 significant digits: allow that rounding on top of the source's."""
    result = run("eval", "-f", str(SAMPLES / sample))
    assert result.code == 0, result.err
    out = expected["output"]
    heading = re.match(rf"{out} = (\S+)\n", result.out)
    assert heading and close(float(heading[1]), expected["value"], 5e-6 * abs(float(expected["value"])))
    for name, gradient in expected["gradient"].items():
        shown = re.search(rf"\bd{out}/d{name} = (\S+)", result.out)
        assert shown and close(float(shown[1]), gradient, 5e-6 * abs(float(gradient))), name


@pytest.mark.parametrize("sample, expected", samples("paths"))
def test_paths_and_their_partials(sample, expected):
    """Each input's paths, edge partials from the input to the output, in any order."""
    result = run_json("explain", "--paths", "-f", str(SAMPLES / sample), "--json")
    inputs = result["inputs"]
    for name, paths in expected["paths"].items():
        assert inputs[name]["path_count"] == len(paths), name
        listed = [p["partials"] for p in inputs[name]["paths"]]
        for want in paths:
            match = next((got for got in listed if len(got) == len(want)
                          and all(close(g, w) for g, w in zip(got, want))), None)
            assert match is not None, (name, want, listed)
            listed.remove(match)


@pytest.mark.parametrize("sample, expected", samples("nudges"))
def test_nudges(sample, expected):
    """Ng's lesson: nudge a from 5 to 5.001 and J moves from 33 to 33.003."""
    for nudge in expected["nudges"]:
        bindings = [f"{name}={value}" for name, value in nudge["set"].items()]
        assert close(eval_json("-f", str(SAMPLES / sample), *bindings)["value"], nudge["value"]), bindings


@pytest.mark.parametrize("sample, expected", samples("gradient"))
def test_statements_in_any_order(sample, expected):
    reversed_text = "\n".join(reversed((SAMPLES / sample).read_text().splitlines()))
    data = run_json("eval", "-f", "-", "--of", expected["output"], "--json", input=reversed_text)
    assert close(data["value"], expected["value"])
    for name, gradient in expected["gradient"].items():
        assert close(data["gradient"][name], gradient), name


@pytest.mark.parametrize("sample, expected", samples("descend"))
def test_descend(sample, expected):
    want = expected["descend"]
    data = ["--data", str(SAMPLES / want["data"])] if "data" in want else []
    summary = run_json_lines("descend", "-f", str(SAMPLES / sample), *data, *want["args"], "--json")[-1]
    assert close(summary["start"]["loss"], want["start_loss"])
    assert close(summary["loss"], want["loss"])
    for name, value in want["values"].items():
        assert close(summary["values"][name], value), name


def readme_commands():
    """The `gradcli ...` commands samples/README.md shows, each under the sample it belongs to."""
    sample, commands = None, []
    for line in (SAMPLES / "README.md").read_text().splitlines():
        heading = re.match(r"## `([^`]+\.grad)`", line)
        sample = heading[1] if heading else sample
        if line.startswith("    gradcli "):
            commands.append(pytest.param(line.strip(), id=line.strip()))
    return commands


@pytest.mark.parametrize("command", readme_commands())
def test_readme_commands_run(command, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # what a command writes (descend --save) lands here
    args = [re.sub(r"(^|[=@])samples/", lambda m: m[1] + str(SAMPLES) + "/", a) for a in shlex.split(command)[1:]]
    result = run(*args)
    assert result.code == 0, result.err
