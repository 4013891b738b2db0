"""The user's text (program, NAME=VALUE bindings, ``--of``, ``--wrt``) as a ``Problem``.

``load`` raises a ``GradError`` saying what is wrong: a name the program does not have, a
binding of a computed name, shapes that do not fit, an output to choose.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from gradcli.core.shapes import node_shapes
from gradcli.core.indexing_rules import integer_operands
from gradcli.core.values import brief, holds_integers, shape, shape_text
from gradcli.support.errors import BindingError, EvaluationError, ProgramError, UsageError
from gradcli.support.gcpause import paused_gc
from gradcli.core.ops import CONSTANTS
from gradcli.core.tape import INPUT, OPERATION, Tape
from gradcli.core.arguments import check_call
from gradcli.core.lower import constant_value, lower_text
from gradcli.lang.program import NAME, Program, walk
from gradcli.lang.syntax import parse_binding
from gradcli.autodiff.problem import Problem


def load(text: str, bindings: list[str] | tuple[str, ...] = (), of: str | list[str] | None = None,
         wrt: list[str] | None = None, require_values: bool = True, several: bool = False,
         keep: Collection[str] = ()) -> Problem:
    """The user's text as a Problem: only what the output reads is kept, evaluated and asked for.

    ``of`` names the output (a list of them with ``several``); by default the
    output is the statement no other statement uses.  With several such
    statements a single-output command stops and lists them; ``several=True``
    (the Jacobian) takes them all.  An input with a value, or named in ``keep``
    (the columns of --data), is kept even where the outputs do not read it.
    """
    with paused_gc():
        program_tape = lower_text(text)
    bound = parse_bindings(bindings)
    for name in bound:
        if name not in program_tape.names:
            raise BindingError(f"binding {name}=...: " + _not_a_name(name, program_tape, text),
                               kind="unknown-binding")
        node = program_tape.nodes[program_tape.names[name]]
        if node.kind != INPUT or name in program_tape.statements:
            statement = program_tape.statements.get(name)
            line = statement.line if statement is not None else node.line
            raise BindingError(f"binding {name}=...: '{name}' is computed by the program (line {line}), "
                               "not an input", kind="binding")
    outputs = choose_outputs(program_tape, of, several)
    # An input with a value stays on the tape even when the outputs do not read it: its
    # derivative is 0, listed, so the inputs are the same whichever output is picked.
    valued = [i for i in program_tape.inputs if program_tape.nodes[i].name in keep
              or bound.get(program_tape.nodes[i].name, program_tape.nodes[i].value) is not None]
    tape = program_tape.restrict([program_tape.names[name] for name in outputs], valued)
    inputs = tape.input_names()
    values = {}
    for i in tape.inputs:
        node = tape.nodes[i]
        value = bound.get(node.name, node.value)
        if value is not None:
            values[node.name] = value
    missing = [n for n in inputs if n not in values]
    if missing and require_values:
        example = " ".join(f"{n}=1" for n in missing[:3])
        raise BindingError(f"no value for input{'s' if len(missing) > 1 else ''} {', '.join(missing)}: "
                           f"give {'them' if len(missing) > 1 else 'it'} on the command line, like {example}",
                           kind="unbound")
    integers = integer_inputs(tape, values) if tape.arrays or any(map(holds_integers, values.values())) else []
    if wrt:
        every_input = program_tape.input_names()
        for name in wrt:
            if name not in every_input:
                raise UsageError(f"--wrt {name}: '{name}' is not an input of the program "
                                 f"(inputs: {', '.join(every_input) or 'none'})", kind="usage")
            if name not in inputs:
                raise UsageError(f"--wrt {name}: {' and '.join(outputs)} does not depend on {name} "
                                 f"(it reads {', '.join(inputs) or 'no input'})", kind="usage")
            if name in integers:
                raise UsageError(f"--wrt {name}: {name} holds integers (indices, labels), which have no "
                                 "gradient", kind="usage")
        wrt = [n for n in inputs if n in wrt]
    else:
        wrt = [n for n in inputs if n not in integers]
    if len(wrt) < len(inputs):
        tape.differentiate([tape.names[n] for n in wrt])
    problem = Problem(tape, values, outputs[0], wrt, outputs, program_tape.names.keys(), integers=integers)
    # Shapes are checked before anything is computed; a scalar program has nothing to check.
    if problem.arrays:
        problem.shapes = check_shapes(program_tape, tape, values, bound)
    return problem


def integer_inputs(tape: Tape, values: dict) -> list[str]:
    """The inputs that hold integers, which are never differentiated: an integer array (an integer
    ``.npy`` file), or an input read as indices (``x[y]``, ``take(x, y)``, ``arange(N)``), directly or
    through subscripts and new names (``y[:, None]``, ``z = y``), whose values must then be whole
    numbers (a JSON list ``[2, 0, 1]`` is floats until it is used so).  One loop up the tape."""
    read_as_integers = set()
    for node in reversed(tape.nodes):
        if node.kind != OPERATION:
            continue
        if node.index in read_as_integers and node.op.name in ("index", "copy"):
            read_as_integers.add(node.args[0])
        if not node.op.scalar:
            read_as_integers.update(node.args[j] for j in integer_operands(node.op, node.params, len(node.args)))
    return [name for name in tape.input_names()
            if tape.names[name] in read_as_integers or holds_integers(values.get(name))]


def check_shapes(program_tape: Tape, tape: Tape, values: dict, bound: dict, what: str = "binding") -> list:
    """Every node's shape, before anything is computed (a program with arrays only).

    A binding must have the shape of the default it replaces; an operation whose
    operands do not fit stops at its place (``W @ x: (2, 3) @ (2,): ...``).
    """
    for name, value in bound.items():
        default = program_tape.nodes[program_tape.names[name]].value
        if default is not None and shape(default) != shape(value):
            where = f"binding {name}=..." if what == "binding" else f"{what} {name}"
            raise BindingError(f"{where}: {name} has shape {shape_text(shape(value))}, but the "
                               f"program gives it a value of shape {shape_text(shape(default))}",
                               kind="shape")
    return node_shapes(tape, {tape.names[name]: v for name, v in values.items()})


def choose_outputs(tape: Tape, of: str | list[str] | None, several: bool = False) -> list[str]:
    """The outputs asked for with --of, or the statements nothing else uses."""
    asked = [of] if isinstance(of, str) else list(of or [])
    outputs: list[str] = []
    for name in asked:
        if name not in tape.names:
            raise UsageError(f"--of {name}: the program has no name '{name}'"
                             + did_you_mean(name, list(tape.names)), kind="usage")
        if name not in outputs:
            outputs.append(name)
    if outputs:
        return outputs
    if not tape.outputs:
        given = ", ".join(f"{n} = {brief(tape.nodes[tape.names[n]].value)}" for n in tape.input_names()[:3])
        raise UsageError(f"the program computes nothing: its statements only give inputs values ({given}); "
                         "write what to compute, like 'y = 2*x' or a bare expression like '2*pi'",
                         kind="no-output")
    if len(tape.outputs) > 1 and not several:
        raise UsageError(f"the program has {len(tape.outputs)} outputs (statements nothing else uses: "
                         f"{', '.join(tape.outputs)}): pick one with --of, or use 'gradcli jacobian' for all",
                         kind="several-outputs")
    return list(tape.outputs)


_FILE_BINDING = re.compile(r"\s*([^\W\d]\w*)\s*=\s*@(.+)", re.S)


def parse_bindings(bindings) -> dict:
    """NAME=VALUE texts to values; VALUE is a constant expression (``x=pi/4``, ``x=[0.2, 0.4]``),
    or ``@FILE``, a value read from a .npy, .csv or .json file."""
    values: dict = {}
    for text in bindings:
        file_binding = _FILE_BINDING.fullmatch(text)
        if file_binding is not None:
            name = file_binding.group(1)
            if name in values:
                raise BindingError(f"binding {text!r}: '{name}' is bound twice", kind="binding")
            try:
                from gradcli.support.files import read_value  # numpy and the readers: only for @FILE

                values[name] = read_value(file_binding.group(2).strip())
            except BindingError as exc:
                raise BindingError(f"binding {text!r}: {exc.message}", kind=exc.kind) from None
            continue
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
        except (EvaluationError, ProgramError) as exc:  # a domain error, or shapes that do not fit
            raise BindingError(f"binding {text!r}: {exc}", kind="binding") from None
    return values


def _not_a_name(name: str, tape: Tape, text: str) -> str:
    """Why a binding's name binds nothing: a constant the program uses (e, pi), or a slip."""
    if name in CONSTANTS and (_uses_name(text, name) or (name == "pi" and "π" in text)):
        what = "Euler's number" if name == "e" else "the constant"
        return (f"the program uses {name} as {what} ({CONSTANTS[name]!r}), not an input; to make {name} "
                f"an input, give it a default in the program ('{name} = 1' as a statement) or use another name")
    return f"the program has no name '{name}'" + did_you_mean(name, tape.input_names())


def _uses_name(text: str, name: str) -> bool:
    """``name`` stands in the program's text as a name (not inside a longer one)."""
    return re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", text) is not None


def did_you_mean(name: str, candidates: list[str]) -> str:
    import difflib

    same_but_case = [c for c in candidates if c.casefold() == name.casefold()]
    if same_but_case:
        return f": did you mean {same_but_case[0]}? (names are case-sensitive)"
    close = difflib.get_close_matches(name, candidates, n=1)
    return f": did you mean {close[0]}?" if close else ""
