"""Write samples/rnn_bptt.grad: a vanilla RNN over T = 50 steps, and print its expected numbers.

The weights and inputs are fixed formulas (no random state), rounded to 3 decimals so the
program's literals are exact.  The expected numbers come from backprop through time written
out by hand here in numpy, independently of gradcli:

    .venv/bin/python samples/make_rnn.py        # rewrites the .grad file, prints the numbers
"""

from pathlib import Path

import numpy as np

T, H, D = 50, 3, 2
Wxh = np.round(np.array([[0.5, -0.3], [0.2, 0.4], [-0.1, 0.3]]), 3)
Whh = np.round(np.array([[0.3, -0.2, 0.1], [0.1, 0.4, -0.2], [-0.2, 0.1, 0.3]]), 3)
b = np.array([0.1, -0.1, 0.05])
y = np.array([0.5, -0.2, 0.1])
X = np.round(np.stack([np.sin(0.3 * np.arange(T)), np.cos(0.2 * np.arange(T))], axis=1), 3)


def literal(a) -> str:
    return "[" + ", ".join(literal(r) for r in a) + "]" if np.ndim(a) else repr(float(a)).removesuffix(".0")


def forward_backward():
    hs = [np.zeros(H)]
    for t in range(T):
        hs.append(np.tanh(Wxh @ X[t] + Whh @ hs[-1] + b))
    L = 0.5 * np.sum((hs[T] - y) ** 2)
    dh = hs[T] - y
    grads = {"Wxh": np.zeros_like(Wxh), "Whh": np.zeros_like(Whh), "b": np.zeros_like(b), "X": np.zeros_like(X)}
    norms = {T: np.linalg.norm(dh)}
    for t in range(T - 1, -1, -1):
        dz = dh * (1 - hs[t + 1] ** 2)
        grads["Wxh"] += np.outer(dz, X[t])
        grads["Whh"] += np.outer(dz, hs[t])
        grads["b"] += dz
        grads["X"][t] = Wxh.T @ dz
        dh = Whh.T @ dz
        norms[t] = np.linalg.norm(dh)
    grads["h[0]"] = dh  # the initial state is an input too (its default is zeros)
    return L, hs, grads, norms


if __name__ == "__main__":
    program = f"""# A vanilla RNN over T = 50 steps (Karpathy's min-char-rnn cell, without the output layer):
# h[t+1] = tanh(Wxh @ x_t + Whh @ h[t] + b), the loss on the last state only.
# `gradcli explain --steps -f samples/rnn_bptt.grad` ends with the gradient's norm at every step.
Wxh = {literal(Wxh)}
Whh = {literal(Whh)}
b = {literal(b)}
y = {literal(y)}
X = {literal(X)}
h[0] = [0, 0, 0]
for t in range(50) {{ h[t+1] = tanh(Wxh @ X[t] + Whh @ h[t] + b) }}
L = sum((h[50] - y)^2)/2
"""
    Path(__file__).with_name("rnn_bptt.grad").write_text(program)
    L, hs, grads, norms = forward_backward()
    print("L", repr(L))
    for k, g in grads.items():
        print(k, np.array2string(g if k != "X" else g[-3:], precision=8, separator=", "))
    print("norms", {t: float(f"{norms[t]:.6g}") for t in (50, 49, 40, 30, 0)})
