"""Every command's views, and how each output format is written: the one registry of outputs.

httpie's formatter plugins are the model.  A command computes a result; its
``View`` maps that result to each output format it supports, by one pure
renderer per format; ``gradcli.cli.present`` writes it, with the same format
check, warnings, table fitting and files for every command.

Renderers are named ``"module:function"`` and imported only when asked for, so
that ``gradcli eval --json`` never imports Rich.  A renderer takes the result
and those of the view's declared ``options`` that it names (keyword arguments).

To add an output format: one ``FORMATS`` line (how it is written) and one
renderer in each view that supports it.  To add an explain view: one analysis
(``compute``), its renderers, and one entry in ``VIEWS["explain"]``.
"""

from __future__ import annotations

import importlib

# How a format is written (gradcli.cli.present has one writer per kind):
TABLE = "table"  # a Rich renderable, fitted to the terminal
JSON = "json"  # a JSON-ready dict: one object, with "warnings" when there are any; or a stream of
#                JSON lines (an iterable of dicts or of ready texts), each written and flushed as it comes
CHUNKS = "chunks"  # an iterable of texts, each written and flushed as it comes
TEXT = "text"  # a text, written with a newline after it
FILE = "file"  # a text or bytes, written as they are (a file's whole content)
BINARY = "binary"  # bytes that a terminal cannot show: to -o FILE or a pipe
PAGE = "page"  # a document for a browser (HTML): written as a file, to -o FILE or a pipe, never to a terminal


class Format:
    """How a format is written (its kind) and how a user asks for it, for hints ("" for a default).

    Plain classes here, not dataclasses: this module is imported on every run, and a dataclass costs
    a millisecond to build."""

    __slots__ = ("kind", "asked")

    def __init__(self, kind: str, asked: str):
        self.kind, self.asked = kind, asked


FORMATS = {
    "table": Format(TABLE, ""),
    "text": Format(TEXT, ""),
    "json": Format(JSON, "--json"),
    "csv": Format(CHUNKS, "--format csv"),
    "latex": Format(TEXT, "--latex"),
    "numpy": Format(TEXT, "--numpy"),
    "dot": Format(FILE, "--format dot"),
    "mermaid": Format(FILE, "--format mermaid"),
    "svg": Format(FILE, "--format svg"),
    "png": Format(BINARY, "--format png"),
    "html": Format(PAGE, "--format html"),
}


class View:
    """One kind of result and its outputs.

    ``renderers``: format -> ``"module:function"``, a pure function of the result (and ``options``).
    ``options``: the keyword options this view's compute and renderers take, picked by name from
    everything the command was given.  ``compute``: for explain's views, the analysis
    (``"module:function"`` of the problem and ``options``).  ``outcome``: called after the output is
    written, ``"module:function"`` of the result giving (warnings, error or None): how the run ended.
    """

    __slots__ = ("name", "help", "renderers", "options", "compute", "outcome", "flag", "formats")

    def __init__(self, name: str, help: str, renderers: dict[str, str], options: tuple[str, ...] = (),
                 compute: str | None = None, outcome: str | None = None, flag: str = ""):
        self.name, self.help, self.renderers, self.options = name, help, renderers, options
        self.compute, self.outcome = compute, outcome
        self.flag = flag  # how a user asks for this view ("" for a command's only view)
        self.formats = tuple(renderers)

    def __repr__(self) -> str:
        return f"View({self.name!r})"

    def render(self, fmt: str, result, options: dict):
        return self._call(self.renderers[fmt], result, options)

    def run(self, problem, options: dict):
        return self._call(self.compute, problem, options)

    def _call(self, target: str, first, options: dict):
        """``target(first, ...)`` with those of the view's options that the function names."""
        function = resolve(target)
        code = function.__code__
        named = code.co_varnames[1:code.co_argcount + code.co_kwonlyargcount]
        return function(first, **{k: options[k] for k in self.options if k in named and k in options})


def resolve(target: str):
    """The function a ``"module:function"`` names, imported now."""
    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)


ROWS = View("rows", "One answer per row of --data FILE.", {
    "table": "gradcli.render.composed:rows_table",
    "json": "gradcli.render.composed:rows_json",
    "csv": "gradcli.render.composed:rows_csv",
}, outcome="gradcli.render.composed:rows_outcome", flag="--data FILE")

VIEWS: dict[str, tuple[View, ...]] = {
    "eval": (
        View("eval", "The value and the gradient.", {
            "table": "gradcli.render.eval_view:eval_rich",
            "json": "gradcli.render.eval_view:eval_json",
        }, options=("all_nodes",)),
        ROWS,
        View("value", "An array output's value (no gradient: it is of one number).", {
            "table": "gradcli.render.eval_view:value_rich",
            "json": "gradcli.render.eval_view:value_json",
        }),
    ),
    "explain": (
        View("paths", "Every path from each input to the output.", {
            "table": "gradcli.render.paths_view:paths_rich",
            "json": "gradcli.render.paths_view:paths_json",
            "latex": "gradcli.render.paths_latex:paths_latex",
        }, options=("max_paths",), compute="gradcli.analyses.paths:explain_paths", flag="--paths"),
        View("steps", "The backward pass, node by node.", {
            "table": "gradcli.render.steps_view:steps_rich",
            "json": "gradcli.render.steps_view:steps_json",
        }, compute="gradcli.analyses.steps:backward_steps", flag="--steps"),
        View("trace", "The evaluation trace (Wengert list).", {
            "table": "gradcli.render.trace_view:trace_rich",
            "json": "gradcli.render.trace_view:trace_json",
        }, options=("tangent", "adjoint"), compute="gradcli.analyses.trace:evaluation_trace", flag="--trace"),
        View("graph", "The graph as a tree with values and adjoints.", {
            "table": "gradcli.render.graph_view:graph_rich",
            "json": "gradcli.render.graph_view:graph_json",
        }, compute="gradcli.autodiff.gradient:evaluate", flag="--graph"),
        View("rules", "The derivative worked by the textbook's rules, step by step.", {
            "table": "gradcli.render.rules_view:rules_rich",
            "json": "gradcli.render.rules_view:rules_json",
        }, compute="gradcli.analyses.rules:worked_rules", flag="--rules"),
        View("element", "One element's paths, on the graph of single elements.", {
            "table": "gradcli.render.paths_view:element_paths_rich",
            "json": "gradcli.render.paths_view:element_paths_json",
        }, flag="--paths --element X[i,j]"),
    ),
    "jacobian": (
        View("jacobian", "The Jacobian of several outputs.", {
            "table": "gradcli.render.jacobian_view:jacobian_rich",
            "json": "gradcli.render.jacobian_view:jacobian_json",
        }),
        ROWS,
    ),
    "check": (
        View("check", "The gradient against central differences.", {
            "table": "gradcli.render.check_view:check_rich",
            "json": "gradcli.render.check_view:check_json",
        }, outcome="gradcli.render.composed:check_outcome"),
        ROWS,
        View("against", "A hand-written backward pass, graded adjoint by adjoint.", {
            "table": "gradcli.render.grade_view:grade_rich",
            "json": "gradcli.render.grade_view:grade_json",
        }, outcome="gradcli.render.composed:check_outcome"),
    ),
    "descend": (
        View("descend", "Gradient descent, step by step.", {
            "table": "gradcli.render.composed:descend_table",
            "json": "gradcli.render.composed:descend_lines",
        }, outcome="gradcli.render.composed:descend_outcome"),
    ),
    "graph": (
        View("graph", "The annotated computational graph.", {
            "dot": "gradcli.render.graph_writers:to_dot",
            "mermaid": "gradcli.render.graph_writers:to_mermaid",
            "json": "gradcli.render.graph_writers:to_json_graph",
            "svg": "gradcli.render.composed:graph_svg",
            "png": "gradcli.render.composed:graph_png",
        }),
        View("page", "The interactive page: the forward and backward pass step by step, paths on a click.", {
            "html": "gradcli.render.page:graph_page",
        }, flag="--format html"),
    ),
    "derive": (
        View("derive", "The backward pass as a program.", {
            "text": "gradcli.render.derive_view:derive_text",
            "latex": "gradcli.render.derive_view:derive_latex",
            "numpy": "gradcli.render.derive_view:derive_numpy",
            "json": "gradcli.render.derive_view:derive_json",
        }, options=("closed_form",)),
    ),
    "quiz": (
        View("quiz", "A graph to backpropagate by hand, and its answer sheet.", {
            "text": "gradcli.render.quiz_view:quiz_text",
            "latex": "gradcli.render.quiz_view:quiz_latex",
            "json": "gradcli.render.quiz_view:quiz_json",
        }),
        View("graded", "Answers graded against the sweep.", {
            "table": "gradcli.render.quiz_view:graded_rich",
            "json": "gradcli.render.quiz_view:graded_json",
        }, outcome="gradcli.render.quiz_view:graded_outcome"),
    ),
    "health": (
        View("health", "The gradient-health report, each figure with its rule of thumb.", {
            "table": "gradcli.render.health_view:health_rich",
            "json": "gradcli.render.health_view:health_json",
        }),
    ),
    "plot": (
        View("plot", "f, its derivative and a tangent line, sampled over a range.", {
            "table": "gradcli.render.plot_view:plot_rich",
            "json": "gradcli.render.plot_view:plot_json",
            "svg": "gradcli.render.plot_view:plot_svg",
            "png": "gradcli.render.plot_view:plot_png",
        }),
    ),
    "hessian": (
        View("hessian", "The matrix of second derivatives.", {
            "table": "gradcli.render.hessian_view:hessian_rich",
            "json": "gradcli.render.hessian_view:hessian_json",
        }),
        View("hvp", "The Hessian-vector product H v.", {
            "table": "gradcli.render.hessian_view:hvp_rich",
            "json": "gradcli.render.hessian_view:hvp_json",
        }),
    ),
}


def view(command: str, name: str | None = None) -> View:
    """The view ``name`` of ``command`` (its first view when no name is given)."""
    views = VIEWS[command]
    return views[0] if name is None else next(v for v in views if v.name == name)
