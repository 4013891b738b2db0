"""Minibatch Adam on the spirals: `gradcli descend --optimizer adam --batch-size 32` against the same
loop written by hand in numpy (and PyTorch's Adam when torch is installed), whole process each,
side by side in one run.

    .venv/bin/python benchmarks/bench_adam.py [REPEATS] [EPOCHS]

Each trains samples/spirals_net.grad's 2-32-2 tanh network from samples/spirals.npz on all
200 points, in shuffled minibatches of 32 (numpy's default_rng(0), a permutation per epoch,
as descend does), and prints its final weights' loss over every point; the losses must agree
(to 1e-9 relative for numpy; PyTorch's own float order agrees to about 1e-6).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from timing import gradcli_command, medians

ROOT = Path(__file__).resolve().parent.parent
SAMPLE, DATA = ROOT / "samples" / "spirals_net.grad", ROOT / "samples" / "spirals.npz"
LR, BATCH = 0.05, 32

BY_HAND = """
import sys
import numpy as np
d = np.load(sys.argv[1])
X, Y, W1, b1, W2, b2 = (d[n] for n in ("X", "Y", "W1", "b1", "W2", "b2"))
params = [W1, b1, W2, b2]
m = [np.zeros_like(p) for p in params]
v = [np.zeros_like(p) for p in params]
rng = np.random.default_rng(0)
t = 0
def loss_and_grads(X, Y, W1, b1, W2, b2):
    H = np.tanh(X @ W1 + b1)
    S = H @ W2 + b2
    mx = S.max(axis=1, keepdims=True)
    E = np.exp(S - mx)
    Z = E.sum(axis=1, keepdims=True)
    L = np.mean(np.log(Z[:, 0]) + mx[:, 0] - (S * Y).sum(axis=1))
    G = (E / Z - Y) / len(X)
    GH = (G @ W2.T) * (1 - H * H)
    return L, [X.T @ GH, GH.sum(axis=0), H.T @ G, G.sum(axis=0)]
for epoch in range({epochs}):
    order = rng.permutation(len(X))
    for start in range(0, len(X), {batch}):
        rows = order[start:start + {batch}]
        _, grads = loss_and_grads(X[rows], Y[rows], *params)
        t += 1
        for k, g in enumerate(grads):
            m[k] = m[k] + 0.1 * (g - m[k])
            v[k] = 0.999 * v[k] + 0.001 * (g * g)
            params[k] = params[k] - {lr} / (1 - 0.9 ** t) * (m[k] / (np.sqrt(v[k]) / (1 - 0.999 ** t) ** 0.5 + 1e-8))
print(repr(float(loss_and_grads(X, Y, *params)[0])))
"""

BY_TORCH = """
import sys
import numpy as np
import torch
torch.set_num_threads(1)
d = np.load(sys.argv[1])
X, Y = torch.tensor(d["X"]), torch.tensor(d["Y"])
params = [torch.tensor(d[n], requires_grad=True) for n in ("W1", "b1", "W2", "b2")]
opt = torch.optim.Adam(params, lr={lr})
rng = np.random.default_rng(0)
def loss(X, Y, W1, b1, W2, b2):
    S = torch.tanh(X @ W1 + b1) @ W2 + b2
    return torch.mean(torch.logsumexp(S, 1) - (S * Y).sum(1))
for epoch in range({epochs}):
    order = rng.permutation(len(X))
    for start in range(0, len(X), {batch}):
        rows = torch.tensor(order[start:start + {batch}])
        opt.zero_grad()
        loss(X[rows], Y[rows], *params).backward()
        opt.step()
with torch.no_grad():
    print(repr(float(loss(X, Y, *params))))
"""


def main(repeats: int = 5, epochs: int = 100) -> None:
    gradcli = gradcli_command() + [
        "descend", "-f", str(SAMPLE), "--of", "L", "--load", str(DATA), "--examples", "X,Y", "--optimizer", "adam",
        "--lr", str(LR), "--batch-size", str(BATCH), "--epochs", str(epochs)]
    contenders = {"numpy by hand": [sys.executable, "-c", BY_HAND.format(epochs=epochs, batch=BATCH, lr=LR), str(DATA)]}
    mine = json.loads(subprocess.run(gradcli + ["--json"], capture_output=True, text=True, check=True)
                      .stdout.splitlines()[-1])["loss"]
    theirs = float(subprocess.run(contenders["numpy by hand"], capture_output=True, text=True, check=True).stdout)
    assert abs(mine - theirs) <= 1e-9 * abs(theirs), (mine, theirs)
    try:
        import torch  # noqa: F401

        contenders["PyTorch's Adam"] = [sys.executable, "-c", BY_TORCH.format(epochs=epochs, batch=BATCH, lr=LR),
                                        str(DATA)]
        torch_loss = float(subprocess.run(contenders["PyTorch's Adam"], capture_output=True, text=True,
                                          check=True).stdout)
        assert abs(mine - torch_loss) <= 1e-6 * abs(torch_loss), (mine, torch_loss)
    except ImportError:
        pass
    contenders["gradcli descend"] = gradcli
    results = medians(contenders, repeats)
    print(f"spirals 2-32-2, Adam lr {LR}, minibatches of {BATCH}, {epochs} epochs "
          f"({epochs * 7} updates), whole process, median of {repeats} (final loss {mine:.9g})")
    for name, (seconds, peak) in results.items():
        print(f"  {name:<16} {seconds:6.3f} s   peak {peak:5.0f} MB")
    print(f"  ratio gradcli / numpy: {results['gradcli descend'][0] / results['numpy by hand'][0]:.2f}x")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
