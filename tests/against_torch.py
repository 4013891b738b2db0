"""gradcli's gradients against PyTorch's float64 autograd, on random array programs.

Run by hand, never by pytest (the name does not start with ``test_``, and no test imports it).
It needs torch, which is never a dependency of gradcli or of its tests::

    python tests/against_torch.py                  # 300 programs, seed 1
    python tests/against_torch.py --count 1000 --seed 7
    python tests/against_torch.py --seed 7 --only 42   # program 42 alone, as a gradcli command

Two families of programs, each written twice, in gradcli and as a torch function:

* compositions of depth 2 to 4 over an op bank where every op maps arrays of shape (3, 4) to that
  shape (elementwise functions, binary operators, reductions broadcast back, matrix products,
  moves), over 2 or 3 inputs, with a repeated compound argument (and sometimes any) named by a
  statement of its own, ending in ``f = sum(E * R)``;
* a convolution, a bias, an activation and a pooling, with random stride, padding and kernel.

Inputs are drawn in (-1.5, 1.5). The point is kept only if torch's gradient matches central
differences along two random directions (so no kink or singularity is at or near it, and a tie
that matters is skipped, not compared); otherwise the inputs are drawn again, up to 5 times,
after which the program counts as skipped. There gradcli's value and every gradient, R's
included, must agree with torch's to a relative 1e-9 (``numpy.allclose``, atol 1e-11); a program
gradcli refuses counts as a mismatch too. Each one is a line (program, shapes, the largest
difference per input, or gradcli's error), then ``N programs, K mismatches``; the exit code is 1
if K > 0. Program i of seed s is drawn from ``random.Random(f"{s}-{i}")`` alone, so ``--seed s
--only i`` replays it and prints it as a gradcli command line.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch as T  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from gradcli.autodiff.gradient import evaluate  # noqa: E402
from gradcli.autodiff.loading import load  # noqa: E402

UNARY = {  # gradcli spelling: torch function; every op maps (3, 4) arrays to (3, 4)
    "exp(tanh({0}))": lambda a: T.exp(T.tanh(a)), "tanh({0})": T.tanh, "sin({0})": T.sin,
    "cos({0})": T.cos, "sigmoid({0})": T.sigmoid, "softplus({0})": lambda a: T.logaddexp(a, 0 * a),
    "relu({0})": T.relu, "abs({0})": T.abs, "sqrt({0}*{0} + 1)": lambda a: T.sqrt(a * a + 1),
    "log({0}*{0} + 1)": lambda a: T.log(a * a + 1), "log1p(square({0}))": lambda a: T.log1p(a * a),
    "expm1(sin({0}))": lambda a: T.expm1(T.sin(a)), "arcsinh({0})": T.asinh, "arctan({0})": T.atan,
    "square({0})": T.square, "clip({0}, -0.5, 0.5)": lambda a: T.clamp(a, -0.5, 0.5), "sinc({0})": T.sinc,
    "cbrt({0}*{0} + 1)": lambda a: T.pow(a * a + 1, 1 / 3), "-{0}": T.neg,
}
BINARY = {
    "{0} + {1}": T.add, "{0} - {1}": T.sub, "{0} * {1}": T.mul, "{0} / ({1}*{1} + 1)": lambda a, b: a / (b * b + 1),
    "maximum({0}, {1})": T.maximum, "minimum({0}, {1})": T.minimum, "hypot({0}, {1})": T.hypot,
    "logaddexp({0}, {1})": T.logaddexp, "logaddexp2({0}, {1})": T.logaddexp2, "arctan2({0}, {1})": T.atan2,
    "where({0} > {1}, {0}, {1})": lambda a, b: T.where(a > b, a, b),
    "power({0}*{0} + 1, tanh({1}))": lambda a, b: T.pow(a * a + 1, T.tanh(b)),
    "einsum('ij,kj->ik', {0}, {1}) @ {0} / 8": lambda a, b: T.einsum("ij,kj->ik", a, b) @ a / 8,
    "{0} * mean({1}, axis=0)": lambda a, b: a * b.mean(0),
}
ARRAY = {
    "softmax({0}, axis=1)": lambda a: T.softmax(a, 1), "log_softmax({0}, axis=0)": lambda a: T.log_softmax(a, 0),
    "{0} - mean({0}, axis=1, keepdims=True)": lambda a: a - a.mean(1, keepdim=True),
    "{0} / (std({0}, axis=0, keepdims=True) + 1)": lambda a: a / (a.std(0, correction=0, keepdim=True) + 1),
    "var({0}, axis=1, keepdims=True) * {0}": lambda a: a.var(1, correction=0, keepdim=True) * a,
    "logsumexp({0}, axis=1, keepdims=True) + {0}": lambda a: T.logsumexp(a, 1, keepdim=True) + a,
    "cumsum({0}, axis=1)": lambda a: T.cumsum(a, 1), "cumprod(tanh({0}), axis=0)": lambda a: T.cumprod(T.tanh(a), 0),
    "prod(cos({0}), axis=0, keepdims=True) * {0}": lambda a: T.cos(a).prod(0, keepdim=True) * a,
    "diff({0}, axis=1, prepend=0)": lambda a: T.diff(a, dim=1, prepend=0 * a[:, :1]),
    "flip({0}, axis=0)": lambda a: T.flip(a, [0]), "{0}[::-1, ::-1]": lambda a: T.flip(a, [0, 1]),
    "roll({0}, 1, axis=1)": lambda a: T.roll(a, 1, 1), "{0}[[2, 0, 1]]": lambda a: a[[2, 0, 1]],
    "{0} @ transpose({0}) @ {0} / 8": lambda a: a @ a.T @ a / 8,
    "reshape(transpose({0}), (3, 4))": lambda a: a.T.reshape(3, 4),
    "swapaxes(reshape({0}, (4, 3)), 0, 1)": lambda a: a.reshape(4, 3).T,
    "concatenate([{0}[:, 2:], {0}[:, :2]], axis=1)": lambda a: T.cat([a[:, 2:], a[:, :2]], 1),
    "stack([{0}[2], {0}[0], {0}[1]])": lambda a: T.stack([a[2], a[0], a[1]]),
    # a zero row: a zero column would be constant, and std(axis=0) has no gradient there
    "pad({0}[1:], ((1, 0), (0, 0)))": lambda a: F.pad(a[1:], (0, 0, 1, 0)),
    "tile({0}[:, :2], (1, 2))": lambda a: a[:, :2].tile(1, 2),
    "repeat({0}[:, ::2], 2, axis=1)": lambda a: a[:, ::2].repeat_interleave(2, 1),
    "{0} * sum({0}, axis=0)": lambda a: a * a.sum(0), "norm({0}) * {0}": lambda a: T.linalg.norm(a) * a,
    "max({0}, axis=1, keepdims=True) - {0}": lambda a: a.amax(1, keepdim=True) - a,
}
OPS = [*UNARY.items(), *BINARY.items(), *ARRAY.items()]
SHAPE = (3, 4)


def atomic(text: str) -> bool:
    """Whether text is a name or one call, which takes no parentheses as an operand."""
    if text.isidentifier():
        return True
    call = re.match(r"\w+\(", text)
    depth = 0
    for i in range(call.end() - 1 if call else len(text), len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return i == len(text) - 1
    return False


def fill(template: str, args: list[str]) -> str:
    """template with args in place; a compound arg is parenthesized unless it is a whole call argument."""
    def put(m: re.Match) -> str:
        text = args[int(m.group(1))]
        whole = template[:m.start()].endswith(("(", "[", ", ")) and template[m.end():][:1] in (")", "]", ",")
        return text if whole or atomic(text) else f"({text})"
    return re.sub(r"\{(\d)\}", put, template)


class Composition:
    """A random composition over OPS: statements (name, text, torch function of the values)."""

    def __init__(self, rng: random.Random, inputs: list[str]):
        self.rng, self.inputs, self.used, self.statements = rng, inputs, set(), []

    def leaf(self, other: str = ""):
        name = self.rng.choice([n for n in self.inputs + [s[0] for s in self.statements] if n != other])
        self.used.add(name)
        return name, lambda env: env[name]

    def named(self, text, fn):
        name = f"u{len(self.statements) + 1}"
        self.statements.append((name, text, fn))
        return name, lambda env: env[name]

    def tree(self, depth: int):
        if depth == 0 or self.rng.random() < 0.15:
            return self.leaf()
        template, op = self.rng.choice(OPS)
        args = [self.tree(depth - 1) for _ in range(len(set(re.findall(r"\{\d\}", template))))]
        if len(args) == 2 and args[0][0] == args[1][0]:  # not b - b, arctan2(u, u): a leaf instead
            args[1] = self.leaf(other=args[0][0])
        args = [self.named(*arg) if not arg[0].isidentifier() and
                (template.count(f"{{{i}}}") > 1 or self.rng.random() < 0.1) else arg for i, arg in enumerate(args)]
        fns = [fn for _, fn in args]
        return fill(template, [text for text, _ in args]), lambda env: op(*(fn(env) for fn in fns))


def composition(rng: random.Random):
    """An array program: its text, its inputs' shapes (R's too) and f as a torch function of their values."""
    while True:
        program = Composition(rng, ["a", "b", "c"][:rng.choice((2, 3))])
        text, fn = program.tree(rng.randint(2, 4))
        if len(program.used & set(program.inputs)) >= 2:
            break
    if rng.random() < 0.3:
        text, fn = program.named(text, fn)
    statements = program.statements

    def torch_f(env):
        env = dict(env)
        for name, _, statement in statements:
            env[name] = statement(env)
        return (fn(env) * env["R"]).sum()
    lines = [f"{name} = {body}" for name, body, _ in statements] + [f"f = {fill('sum({0} * R)', [text])}"]
    shapes = {name: SHAPE for name in sorted(program.used & set(program.inputs))}
    return "; ".join(lines), {**shapes, "R": SHAPE}, torch_f


def layers(rng: random.Random):
    """A conv2d, maybe a bias, an activation and a pooling that fit x (2, 2, 6, 6) and w (3, 2, 3, 3)."""
    stride, padding = rng.choice((1, 2, (2, 1))), rng.choice((0, 1, (1, 0)))
    sh, sw = stride if isinstance(stride, tuple) else (stride, stride)
    ph, pw = padding if isinstance(padding, tuple) else (padding, padding)
    size = min((6 + 2 * ph - 3) // sh + 1, (6 + 2 * pw - 3) // sw + 1)
    conv = f"conv2d(x, w{f', stride={stride}' if stride != 1 else ''}{f', padding={padding}' if padding else ''})"
    shapes = {"x": (2, 2, 6, 6), "w": (3, 2, 3, 3)}
    if rng.random() < 0.5:
        conv, shapes["b"] = conv + " + b[:, None, None]", (3,)
    act = rng.choice(("relu", "tanh", "sigmoid", "softplus"))
    pool, kernel = rng.choice(("max_pool2d", "avg_pool2d", None)), rng.choice([k for k in (2, 3) if k <= size] or [1])
    pool_stride = rng.choice((None, 1, 2))
    body = f"{act}(z)" if pool is None else \
        f"{pool}({act}(z), {kernel}" + (f", stride={pool_stride}" if pool_stride else "") + ")"
    acts = {"relu": T.relu, "tanh": T.tanh, "sigmoid": T.sigmoid, "softplus": lambda t: T.logaddexp(t, 0 * t)}

    def net(env):
        z = F.conv2d(env["x"], env["w"], stride=stride, padding=padding)
        z = z + env["b"][:, None, None] if "b" in env else z
        a = acts[act](z)
        return a if pool is None else getattr(F, pool)(a, kernel, stride=pool_stride)
    shapes["R"] = tuple(net({k: T.zeros(s, dtype=T.float64) for k, s in shapes.items()}).shape)
    return f"z = {conv}; f = sum({body} * R)", shapes, lambda env: (net(env) * env["R"]).sum()


def torch_gradient(torch_f, values: dict, rng: np.random.Generator):
    """torch's value and gradients at values, or None where they disagree with central differences."""
    tensors = {k: T.tensor(v, requires_grad=True) for k, v in values.items()}
    out = torch_f(tensors)
    grads = dict(zip(tensors, T.autograd.grad(out, list(tensors.values()))))
    if not (T.isfinite(out) and all(T.isfinite(g).all() for g in grads.values())):
        return None
    h = 1e-6
    for _ in range(2):
        direction = {k: rng.standard_normal(v.shape) for k, v in values.items()}
        f_at = [torch_f({k: T.tensor(v + s * h * direction[k]) for k, v in values.items()}).item() for s in (1, -1)]
        slope = sum(float((grads[k].numpy() * d).sum()) for k, d in direction.items())
        scale = 1 + abs(out.item()) + sum(float(np.abs(grads[k].numpy() * d).sum()) for k, d in direction.items())
        if abs((f_at[0] - f_at[1]) / (2 * h) - slope) > 1e-6 * scale:
            return None
    return out.item(), {k: g.numpy() for k, g in grads.items()}


def draw(seed: int, index: int):
    """Program index of seed: its text, and values at which torch's gradient holds (None: skipped)."""
    rng = random.Random(f"{seed}-{index}")
    text, shapes, torch_f = layers(rng) if rng.random() < 0.25 else composition(rng)
    values_rng = np.random.default_rng(rng.getrandbits(64))
    for _ in range(5):
        values = {k: values_rng.uniform(-1, 1, s) if k == "R" else values_rng.uniform(-1.5, 1.5, s)
                  for k, s in shapes.items()}
        expected = torch_gradient(torch_f, values, values_rng)
        if expected is not None:
            return text, values, expected
    return text, None, None


def bindings(values: dict) -> list[str]:
    return [f"{k}={json.dumps(v.tolist())}" for k, v in values.items()]


def compare(text: str, values: dict, expected) -> str | None:
    """What differs between gradcli and torch, or None."""
    try:
        result = evaluate(load(text, bindings(values)))
    except Exception as error:  # a refusal or a crash of gradcli: both are findings
        return f"gradcli error: {type(error).__name__}: {error}"
    value, grads = expected
    close = lambda got, want: np.allclose(got, want, rtol=1e-9, atol=1e-11)  # noqa: E731
    if not close(result.value, value) or not all(close(result.gradient[k], grads[k]) for k in values):
        diffs = ", ".join(f"{k}: {np.abs(result.gradient[k] - grads[k]).max():.3g}" for k in values)
        return f"value {result.value!r} vs {value!r}; max |d gradient| {diffs}"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", type=int, help="run this program alone and print it as a gradcli command")
    options = parser.parse_args()
    indices = range(options.count) if options.only is None else [options.only]
    mismatches = skipped = 0
    for index in indices:
        text, values, expected = draw(options.seed, index)
        if values is None:
            skipped += 1
            print(f"[{options.seed}-{index}] skipped (a kink or singularity at every draw): {text}")
            continue
        if options.only is not None:
            print(shlex.join(["gradcli", "eval", text, *bindings(values), "--json"]))
        problem = compare(text, values, expected)
        if problem:
            mismatches += 1
            shapes = ", ".join(f"{k} {v.shape}" for k, v in values.items())
            print(f"[{options.seed}-{index}] {text}  ({shapes})  {problem}")
    print(f"{len(indices)} programs, {mismatches} mismatches ({skipped} skipped at kinks)")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
