"""What every command starts from: a tape, its input values, the output, and the inputs to differentiate.

``load`` turns the user's text (program, NAME=VALUE bindings, ``--of``,
``--wrt``) into a ``Problem`` or raises a ``GradError`` saying what is wrong.
``evaluate`` runs the forward pass and the reverse sweep and returns a
``Gradient`` result object that renderers read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .engine import forward, reverse
from .errors import BindingError, EvaluationError, ProgramError, UsageError
from .gcpause import paused_gc
from .ops import CONSTANTS
from .graph import INPUT, Tape, check_call, build_tape, constant_value
from .program import NAME, Program, walk
from .syntax import parse_binding, parse_program


@dataclass
class Problem:
    tape: Tape
    values: dict[str, float]  # every input's value: default or binding
    output: str
    wrt: list[str]  # inputs to differentiate with respect to, in display order

    @property
    def output_index(self) -> int:
        return self.tape.names[self.output]

    def input_values(self, overrides: dict[str, float] | None = None) -> dict[int, float]:
        values = self.values if not overrides else {**self.values, **overrides}
        return {self.tape.names[name]: v for name, v in values.items()}


@dataclass
class Gradient:
    """The result of a forward pass and a reverse sweep."""

    problem: Problem
    values: list[float]  # per tape node
    adjoints: list[float]  # per tape node: d(output)/d(node)
    mode: str = "reverse"
    passes: int = 1
    extra: dict = field(default_factory=dict)

    @property
    def tape(self) -> Tape:
        return self.problem.tape

    @property
    def output(self) -> str:
        return self.problem.output

    @property
    def value(self) -> float:
        return self.values[self.problem.output_index]

    @property
    def gradient(self) -> dict[str, float]:
        names = self.tape.names
        return {name: self.adjoints[names[name]] for name in self.problem.wrt}


def load(text: str, bindings: list[str] | tuple[str, ...] = (), of: str | None = None,
         wrt: list[str] | None = None, require_values: bool = True) -> Problem:
    with paused_gc():
        tape = build_tape(parse_program(text))
    values = {tape.nodes[i].name: tape.nodes[i].value for i in tape.inputs
              if tape.nodes[i].value is not None}
    for name, value in parse_bindings(bindings).items():
        if name not in tape.names:
            raise BindingError(f"binding {name}=...: the program has no name '{name}'"
                               + did_you_mean(name, tape.input_names()), kind="unknown-binding")
        node = tape.nodes[tape.names[name]]
        if node.kind != INPUT or name in tape.statements:
            line = tape.statements[name].line if name in tape.statements else node.line
            raise BindingError(f"binding {name}=...: '{name}' is computed by the program (line {line}), "
                               "not an input", kind="binding")
        values[name] = value
    missing = [n for n in tape.input_names() if n not in values]
    if missing and require_values:
        example = " ".join(f"{n}=1" for n in missing[:3])
        raise BindingError(f"no value for input{'s' if len(missing) > 1 else ''} {', '.join(missing)}: "
                           f"give {'them' if len(missing) > 1 else 'it'} on the command line, like {example}",
                           kind="unbound")
    output = of or tape.default_output
    if output not in tape.names:
        raise UsageError(f"--of {output}: the program has no name '{output}'"
                         + did_you_mean(output, list(tape.names)), kind="usage")
    inputs = tape.input_names()
    if wrt:
        for name in wrt:
            if name not in inputs:
                raise UsageError(f"--wrt {name}: '{name}' is not an input of the program "
                                 f"(inputs: {', '.join(inputs) or 'none'})", kind="usage")
        wrt = [n for n in inputs if n in wrt]
    else:
        wrt = inputs
    return Problem(tape, values, output, wrt)


def parse_bindings(bindings) -> dict[str, float]:
    """NAME=VALUE texts to values; VALUE is a constant expression (``x=pi/4``)."""
    values: dict[str, float] = {}
    for text in bindings:
        name, expr = parse_binding(text)
        program = Program([], text)
        for e in walk(expr):
            if e.kind == NAME and e.text not in CONSTANTS:
                raise BindingError(f"binding {text!r}: the value must be a constant expression, "
                                   f"but it uses the name '{e.text}'", kind="binding")
            if e.kind == "call":
                try:
                    check_call(program, e)
                except ProgramError as exc:
                    raise BindingError(f"binding {text!r}: {exc}", kind="binding") from None
        if name in values:
            raise BindingError(f"binding {text!r}: '{name}' is bound twice", kind="binding")
        try:
            values[name] = constant_value(expr, text)
        except EvaluationError as exc:
            raise BindingError(f"binding {text!r}: {exc}", kind="binding") from None
    return values


def evaluate(problem: Problem) -> Gradient:
    values = forward(problem.tape, problem.input_values())
    adjoints = reverse(problem.tape, values, problem.output_index)
    return Gradient(problem, values, adjoints)


def did_you_mean(name: str, candidates: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, candidates, n=1)
    return f": did you mean {close[0]}?" if close else ""
