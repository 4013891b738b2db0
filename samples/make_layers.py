"""Writes conv_pool.grad, batchnorm_net.grad and token_net.grad (their inputs as literals in the
program) and their expected numbers in expected.json, computed by PyTorch's own layers in float64:
F.conv2d, F.max_pool2d, F.batch_norm (training=True: the batch's mean and biased variance),
F.embedding, F.linear, F.layer_norm, F.dropout (its own mask, written into the program),
F.cross_entropy (with probabilities, and with integer labels).

Run once by hand, from the repository's root, with a Python that has torch:

    python samples/make_layers.py

The tests never import torch: they read the numbers this wrote (tests/test_reference.py).
"""

import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent
DIGITS = 6


def literal(a) -> str:
    return json.dumps(np.round(a, 2).tolist())


def rounded(v):
    return np.round(np.asarray(v, dtype=float), DIGITS).tolist()


def run(inputs: dict, loss) -> dict:
    tensors = {k: torch.tensor(v, requires_grad=True) for k, v in inputs.items()}
    value = loss(**tensors)
    value.backward()
    return {"arrays": True, "value": rounded(value.item()),
            "gradient": {k: rounded(t.grad.numpy()) for k, t in tensors.items()}}


def conv_pool(rng):
    x = np.round(rng.uniform(-1, 1, (2, 1, 4, 4)), 2)
    w = np.round(rng.uniform(-1, 1, (2, 1, 3, 3)), 2)
    b = np.array([0.1, -0.2])
    text = ("# A convolution layer, ReLU and 2 x 2 max pooling on a batch of two 4 x 4 images (cs231n's layout:\n"
            "# x is (N, C, H, W), w is (F, C, HH, WW)); the numbers are PyTorch's (samples/make_layers.py).\n"
            f"x = {literal(x)}\nw = {literal(w)}\nb = {literal(b)}\n"
            "y = conv2d(x, w, padding=1) + expand_dims(expand_dims(b, 1), 2)\n"
            "p = max_pool2d(relu(y), 2)\nf = sum(p*p)\n")
    entry = run({"x": x, "w": w, "b": b},
                lambda x, w, b: (F.max_pool2d(F.relu(F.conv2d(x, w, b, padding=1)), 2) ** 2).sum())
    return text, {"output": "f", **entry}


def batchnorm_net(rng):
    X = np.round(rng.uniform(-2, 2, (4, 3)), 2)
    W1, b1 = np.round(rng.uniform(-1, 1, (3, 5)), 2), np.round(rng.uniform(-0.5, 0.5, 5), 2)
    gamma, beta = np.round(rng.uniform(0.5, 1.5, 5), 2), np.round(rng.uniform(-0.5, 0.5, 5), 2)
    W2, b2 = np.round(rng.uniform(-1, 1, (5, 3)), 2), np.round(rng.uniform(-0.5, 0.5, 3), 2)
    labels = np.array([0, 2, 1, 2])
    Y = np.eye(3)[labels]
    values = {"X": X, "W1": W1, "b1": b1, "gamma": gamma, "beta": beta, "W2": W2, "b2": b2, "Y": Y}
    text = ("# A two-layer net: affine, batch norm (the batch's mean and biased variance over axis 0, as in\n"
            "# training), ReLU, affine, softmax cross-entropy against the rows of Y, written from primitives.\n"
            "# The numbers are PyTorch's F.batch_norm and F.cross_entropy (samples/make_layers.py).\n"
            + "".join(f"{k} = {literal(v)}\n" for k, v in values.items())
            + "h = X @ W1 + b1\n"
              "mu = mean(h, axis=0)\n"
              "var = mean(h*h, axis=0) - mu^2\n"
              "hn = (h - mu) / sqrt(var + 1e-5)\n"
              "a = relu(gamma*hn + beta)\n"
              "S = a @ W2 + b2\n"
              "logp = S - expand_dims(logsumexp(S, 1), 1)\n"
              "L = -mean(sum(Y*logp, 1))\n")

    def loss(X, W1, b1, gamma, beta, W2, b2, Y):
        h = X @ W1 + b1
        a = F.relu(F.batch_norm(h, None, None, gamma, beta, training=True, eps=1e-5))
        return F.cross_entropy(a @ W2 + b2, Y)  # class probabilities: the one-hot rows

    return text, {"output": "L", **run(values, loss)}


def token_net(rng):
    E = np.round(rng.uniform(-1, 1, (5, 4)), 2)
    W1, b1 = np.round(rng.uniform(-1, 1, (6, 4)), 2), np.round(rng.uniform(-0.5, 0.5, 6), 2)
    g, beta = np.round(rng.uniform(0.5, 1.5, 6), 2), np.round(rng.uniform(-0.5, 0.5, 6), 2)
    W2, b2 = np.round(rng.uniform(-1, 1, (6, 3)), 2), np.round(rng.uniform(-0.5, 0.5, 3), 2)
    ids, labels = [3, 0, 4, 3], [1, 0, 2, 2]
    torch.manual_seed(5)
    M = (F.dropout(torch.ones(4, 6), p=0.5, training=True) != 0).double().numpy()  # PyTorch's own mask
    values = {"E": E, "W1": W1, "b1": b1, "g": g, "beta": beta, "W2": W2, "b2": b2, "M": M}
    text = ("# Token ids through an embedding, an affine layer (PyTorch's (out, in) weight), layer norm,\n"
            "# ReLU, dropout with a given mask (p = 0.5), an affine layer and the softmax cross-entropy\n"
            "# with integer labels, written from primitives. The numbers are PyTorch's F.embedding,\n"
            "# F.linear, F.layer_norm, F.dropout (the mask M is the one it drew) and F.cross_entropy\n"
            "# (samples/make_layers.py).\n"
            f"ids = {json.dumps(ids)}\ny = {json.dumps(labels)}\nN = 4\n"
            + "".join(f"{k} = {literal(v)}\n" for k, v in values.items() if k != "M")
            + f"M = {json.dumps(M.astype(int).tolist())}\n"
              "h = E[ids] @ transpose(W1) + b1\n"
              "mu = mean(h, axis=1, keepdims=True)\n"
              "v = var(h, axis=1, keepdims=True)\n"
              "hn = g * (h - mu) / sqrt(v + 1e-5) + beta\n"
              "a = relu(hn) * M / 0.5\n"
              "S = a @ W2 + b2\n"
              "L = -mean(log_softmax(S, axis=1)[arange(N), y])\n")

    def loss(E, W1, b1, g, beta, W2, b2, M):
        h = F.linear(F.embedding(torch.tensor(ids), E), W1, b1)
        r = F.relu(F.layer_norm(h, (6,), g, beta, eps=1e-5))
        torch.manual_seed(5)
        dropped = F.dropout(r, p=0.5, training=True)  # the same draw: the mask M
        a = r * M / 0.5  # the same numbers, and M (an input of the program) gets its gradient
        assert torch.equal(a, dropped)
        return F.cross_entropy(a @ W2 + b2, torch.tensor(labels))

    return text, {"output": "L", **run(values, loss)}


def main():
    torch.set_default_dtype(torch.float64)
    rng = np.random.default_rng(20)
    path = HERE / "expected.json"
    text = path.read_text()  # edited as text: the other entries keep their digits as written
    entries = []
    for name, make in (("conv_pool.grad", conv_pool), ("batchnorm_net.grad", batchnorm_net),
                       ("token_net.grad", token_net)):
        program, entry = make(rng)
        if f'"{name}"' in text:
            continue  # written before: its numbers stay as they are (remove the entry to write it again)
        (HERE / name).write_text(program)
        entries.append(f'  "{name}": {json.dumps(entry)}')
    body = text.rstrip()
    assert body.endswith("}")
    path.write_text(body[:-1].rstrip() + ",\n" + ",\n".join(entries) + "\n}\n")


if __name__ == "__main__":
    main()
