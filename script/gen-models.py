#!/usr/bin/env python3
"""Deterministic generator of the bundled ONNX models and their sample inputs.

Run: python3 script/gen-models.py [OUT_DIR]   (needs `pip install onnx numpy`)
The outputs are committed under models/; re-running reproduces them byte for byte.
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "models")


def init(name, arr):
    return numpy_helper.from_array(np.asarray(arr, dtype=np.float32), name)


def build_and_save(name, nodes, inp, out, inits=(), samples=(), graph_name=None, opset=13):
    """One graph with a float input and output (opset 13 unless given), saved as `name` with its samples.
    Callers pass `inits` before `samples` so that initializers draw from the RNG first."""
    graph = helper.make_graph(
        nodes,
        graph_name or name,
        [helper.make_tensor_value_info(inp[0], TensorProto.FLOAT, inp[1])],
        [helper.make_tensor_value_info(out[0], TensorProto.FLOAT, out[1])],
        initializer=list(inits),
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="zkinfer-gen-models")
    save(model, name, samples)


def save(model, name, inputs):
    model.ir_version = 8
    onnx.checker.check_model(model)
    path = os.path.join(OUT, f"{name}.onnx")
    # Deterministic serialisation.
    with open(path, "wb") as f:
        f.write(model.SerializeToString(deterministic=True))
    for i, x in enumerate(inputs):
        suffix = "" if i == 0 else f"-{i}"
        with open(os.path.join(OUT, f"{name}.input{suffix}.json"), "w") as f:
            json.dump({"input_data": [[round(float(v), 6) for v in x]]}, f)
            f.write("\n")
    print("wrote", path)


def mlp_small_weights(rng):
    """The weights of `mlp_small`'s architecture, drawn from `rng`."""
    w1 = rng.normal(0, 0.5, (16, 8))
    b1 = rng.normal(0, 0.1, (16,))
    w2 = rng.normal(0, 0.4, (16, 8))
    b2 = rng.normal(0, 0.1, (8,))
    w3 = rng.normal(0, 0.5, (8, 3))
    b3 = rng.normal(0, 0.1, (3,))
    return w1, b1, w2, b2, w3, b3


def mlp_small_forward(weights, x):
    """Float forward pass of `mlp_small`'s architecture (numpy)."""
    w1, b1, w2, b2, w3, b3 = weights
    a1 = np.maximum(x @ w1.T + b1, 0)
    a2 = np.maximum(a1 @ w2 + b2, 0)
    return a2 @ w3 + b3


def mlp_small_testset(n=64, seed=20261202):
    """A labelled test set for `mlp_small`'s architecture (accuracy bounties): `n` samples whose
    labels are mlp_small_b's float answers, except every fourth, which gets another class.
    Written as models/mlp_small.testset-64.json and, its first 16 samples, models/mlp_small.testset.json:
    {"inputs": [[...]], "labels": [...]}."""
    rng = np.random.default_rng(seed)
    b = mlp_small_weights(np.random.default_rng(20261201))
    xs = rng.uniform(-1, 1, (n, 8))
    labels = [int(np.argmax(mlp_small_forward(b, x))) for x in xs]
    labels = [(l + 1) % 3 if i % 4 == 3 else l for i, l in enumerate(labels)]
    for name, k in [("mlp_small.testset-64.json", n), ("mlp_small.testset.json", 16)]:
        with open(os.path.join(OUT, name), "w") as f:
            json.dump({"inputs": [[round(float(v), 6) for v in x] for x in xs[:k]], "labels": labels[:k]}, f)
            f.write("\n")
        print("wrote", name)


def mlp_small(name="mlp_small", seed=20261123, samples=3):
    """8 → 16 → 8 → 3 MLP: Gemm(transB) + Relu, MatMul + Add + Relu, Flatten, Gemm.
    `mlp_small_b` is the same architecture with other weights (a second hunter's model for
    hashed weights: one verifier, two weight sets)."""
    rng = np.random.default_rng(seed)
    w1, b1, w2, b2, w3, b3 = mlp_small_weights(rng)
    nodes = [
        helper.make_node("Gemm", ["input", "w1", "b1"], ["h1"], name="fc1", transB=1),
        helper.make_node("Relu", ["h1"], ["a1"], name="relu1"),
        helper.make_node("MatMul", ["a1", "w2"], ["h2"], name="fc2_matmul"),
        helper.make_node("Add", ["h2", "b2"], ["h2b"], name="fc2_bias"),
        helper.make_node("Relu", ["h2b"], ["a2"], name="relu2"),
        helper.make_node("Flatten", ["a2"], ["f2"], name="flatten", axis=1),
        helper.make_node("Gemm", ["f2", "w3", "b3"], ["logits"], name="fc3"),
    ]
    build_and_save(
        name,
        nodes,
        ("input", ["batch", 8]),
        ("logits", ["batch", 3]),
        inits=[init("w1", w1), init("b1", b1), init("w2", w2), init("b2", b2), init("w3", w3), init("b3", b3)],
        samples=[rng.uniform(-1, 1, 8) for _ in range(samples)],
        graph_name="mlp_small",
    )


def unsupported_op():
    """A model with an op the prover does not support (Det), for error-message tests."""
    nodes = [helper.make_node("Det", ["input"], ["y"], name="odd_activation")]
    build_and_save("unsupported_det", nodes, ("input", [1, 4]), ("y", [1, 4]), graph_name="unsupported")


def op_variants():
    """Exercises every registry op and attribute: Gemm alpha/beta/transB=0, MatMul with a scalar
    Add, Reshape with -1, Identity, Constant, a leading Relu and Add (no preceding layer)."""
    rng = np.random.default_rng(7)
    shape = numpy_helper.from_array(np.array([1, -1], dtype=np.int64), "shape")
    nodes = [
        helper.make_node("Relu", ["input"], ["r0"], name="leading_relu"),
        helper.make_node("Add", ["r0", "c0"], ["a0"], name="leading_add"),
        helper.make_node("Reshape", ["a0", "shape"], ["flat"], name="reshape_minus_one"),
        helper.make_node("Gemm", ["flat", "w1", "b1"], ["g1"], name="gemm_alpha_beta", alpha=0.5, beta=2.0, transB=0),
        helper.make_node("Identity", ["g1"], ["i1"], name="identity"),
        helper.make_node("Constant", [], ["w2"], name="const_w2", value=numpy_helper.from_array(rng.normal(0, 0.4, (6, 4)).astype(np.float32), "w2v")),
        helper.make_node("MatMul", ["i1", "w2"], ["m2"], name="matmul_const_node"),
        helper.make_node("Add", ["scalar", "m2"], ["y"], name="add_scalar_first"),
    ]
    build_and_save(
        "op_variants",
        nodes,
        ("input", [1, 2, 3]),
        ("y", [1, 4]),
        inits=[
            init("c0", rng.normal(0, 0.2, (1, 2, 3))),
            shape,
            init("w1", rng.normal(0, 0.5, (6, 6))),
            init("b1", rng.normal(0, 0.1, (1, 6))),
            init("scalar", [0.25]),
        ],
        samples=[rng.uniform(-1, 1, 6)],
    )


def bad_attribute():
    """Gemm with transA=1: a supported op with an unsupported attribute value."""
    nodes = [helper.make_node("Gemm", ["input", "w"], ["y"], name="gemm_transposed_a", transA=1)]
    build_and_save(
        "bad_attribute",
        nodes,
        ("input", [4, 1]),
        ("y", [1, 2]),
        inits=[init("w", np.ones((4, 2)))],
        samples=[],
    )


def branching():
    """Add of two activations (a residual): relu(x) + x."""
    nodes = [
        helper.make_node("Relu", ["input"], ["r"], name="relu"),
        helper.make_node("Add", ["input", "r"], ["y"], name="residual_add"),
    ]
    build_and_save("branching_residual", nodes, ("input", [1, 4]), ("y", [1, 4]), graph_name="branching")


def cnn_small():
    """[1,8,8] image: Conv 3x3 pad 1 + BatchNormalization + Relu, AveragePool 2x2/2, Conv 3x3,
    Relu, GlobalAveragePool, Flatten, Gemm to 3 classes."""
    rng = np.random.default_rng(31)
    c1 = rng.normal(0, 0.4, (4, 1, 3, 3))
    c1b = rng.normal(0, 0.1, (4,))
    c2 = rng.normal(0, 0.3, (6, 4, 3, 3))
    fc = rng.normal(0, 0.5, (3, 6))
    nodes = [
        helper.make_node("Conv", ["input", "c1", "c1b"], ["h1"], name="conv1", kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1]),
        helper.make_node("BatchNormalization", ["h1", "bn_g", "bn_b", "bn_m", "bn_v"], ["n1"], name="bn1", epsilon=1e-5),
        helper.make_node("Relu", ["n1"], ["a1"], name="relu1"),
        helper.make_node("AveragePool", ["a1"], ["p1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "c2"], ["h2"], name="conv2", kernel_shape=[3, 3], strides=[1, 1]),
        helper.make_node("Relu", ["h2"], ["a2"], name="relu2"),
        helper.make_node("GlobalAveragePool", ["a2"], ["g"], name="gap"),
        helper.make_node("Flatten", ["g"], ["f"], name="flatten", axis=1),
        helper.make_node("Gemm", ["f", "fc_w", "fc_b"], ["logits"], name="fc", transB=1),
    ]
    build_and_save(
        "cnn_small",
        nodes,
        ("input", [1, 1, 8, 8]),
        ("logits", [1, 3]),
        inits=[
            init("c1", c1), init("c1b", c1b), init("c2", c2), init("fc_w", fc), init("fc_b", rng.normal(0, 0.1, (3,))),
            init("bn_g", rng.uniform(0.5, 1.5, 4)), init("bn_b", rng.normal(0, 0.1, 4)),
            init("bn_m", rng.normal(0, 0.1, 4)), init("bn_v", rng.uniform(0.5, 1.5, 4)),
        ],
        samples=[rng.uniform(0, 1, 64) for _ in range(2)],
    )


def cnn_maxpool():
    """(Strides written out, as torch.onnx does; ezkl requires them.) Conv + Relu, MaxPool 3x3 stride 2 pad 1 (windows of 4, 6 and 9 taps), Conv, MaxPool 2x2,
    Flatten, Gemm to 4 classes."""
    rng = np.random.default_rng(53)
    nodes = [
        helper.make_node("Conv", ["input", "k1", "k1b"], ["h1"], name="conv1", kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1]),
        helper.make_node("Relu", ["h1"], ["a1"], name="relu1"),
        helper.make_node("MaxPool", ["a1"], ["p1"], name="maxpool1", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Conv", ["p1", "k2"], ["h2"], name="conv2", kernel_shape=[2, 2], strides=[1, 1]),
        helper.make_node("MaxPool", ["h2"], ["p2"], name="maxpool2", kernel_shape=[2, 2], strides=[1, 1]),
        helper.make_node("Flatten", ["p2"], ["f"], name="flatten", axis=1),
        helper.make_node("Gemm", ["f", "w_out", "b_out"], ["logits"], name="head", transB=1),
    ]
    build_and_save(
        "cnn_maxpool",
        nodes,
        ("input", [1, 2, 6, 6]),
        ("logits", [1, 4]),
        inits=[
            init("k1", rng.normal(0, 0.4, (3, 2, 3, 3))), init("k1b", rng.normal(0, 0.1, 3)),
            init("k2", rng.normal(0, 0.4, (4, 3, 2, 2))),
            init("w_out", rng.normal(0, 0.5, (4, 4))), init("b_out", rng.normal(0, 0.1, 4)),
        ],
        samples=[rng.uniform(-1, 1, 72) for _ in range(2)],
    )


def tabular_sigmoid():
    """Gemm + Tanh, Gemm + Relu, Gemm + Sigmoid: a scoring model with a probability output."""
    rng = np.random.default_rng(71)
    nodes = [
        helper.make_node("Gemm", ["input", "w1", "b1"], ["h1"], name="fc1", transB=1),
        helper.make_node("Tanh", ["h1"], ["t1"], name="tanh1"),
        helper.make_node("Gemm", ["t1", "w2", "b2"], ["h2"], name="fc2", transB=1),
        helper.make_node("Relu", ["h2"], ["r2"], name="relu2"),
        helper.make_node("Gemm", ["r2", "w3", "b3"], ["h3"], name="fc3", transB=1),
        helper.make_node("Sigmoid", ["h3"], ["p"], name="probability"),
    ]
    build_and_save(
        "tabular_sigmoid",
        nodes,
        ("input", [1, 6]),
        ("p", [1, 1]),
        inits=[
            init("w1", rng.normal(0, 0.8, (8, 6))), init("b1", rng.normal(0, 0.2, 8)),
            init("w2", rng.normal(0, 0.6, (4, 8))), init("b2", rng.normal(0, 0.2, 4)),
            init("w3", rng.normal(0, 0.8, (1, 4))), init("b3", rng.normal(0, 0.2, 1)),
        ],
        samples=[rng.uniform(-1, 1, 6) for _ in range(3)],
    )


def shape_ops():
    """Transpose, strided Slice, Reshape (0 and -1) of a cast constant shape, MatMul over rows,
    Relu, Gather with a negative index, Squeeze/Unsqueeze, Cast to float, Flatten, Gemm."""
    rng = np.random.default_rng(83)
    shape_f = numpy_helper.from_array(np.array([0, 2, -1], dtype=np.float32), "shape_f")
    nodes = [
        helper.make_node("Transpose", ["input"], ["t"], name="to_nhwc", perm=[0, 2, 3, 1]),
        helper.make_node("Slice", ["t", "starts", "ends", "axes", "steps"], ["s"], name="strided_slice"),
        helper.make_node("Cast", ["shape_f"], ["shape_i"], name="cast_shape", to=TensorProto.INT64),
        helper.make_node("Reshape", ["s", "shape_i"], ["r"], name="rows"),
        helper.make_node("MatMul", ["r", "w_rows"], ["m"], name="per_row_matmul"),
        helper.make_node("Relu", ["m"], ["a"], name="relu"),
        helper.make_node("Gather", ["a", "pick"], ["g"], name="pick_features", axis=2),
        helper.make_node("Squeeze", ["g", "ax0"], ["sq"], name="squeeze"),
        helper.make_node("Unsqueeze", ["sq", "ax0"], ["un"], name="unsqueeze"),
        helper.make_node("Flatten", ["un"], ["f"], name="flatten", axis=1),
        helper.make_node("Cast", ["f"], ["fc"], name="cast_float", to=TensorProto.FLOAT),
        helper.make_node("Gemm", ["fc", "w_head", "b_head"], ["y"], name="head", transB=1),
    ]
    build_and_save(
        "shape_ops",
        nodes,
        ("input", [1, 2, 3, 4]),
        ("y", [1, 2]),
        inits=[
            numpy_helper.from_array(np.array([0, 1], dtype=np.int64), "starts"),
            numpy_helper.from_array(np.array([3, 4], dtype=np.int64), "ends"),
            numpy_helper.from_array(np.array([1, 2], dtype=np.int64), "axes"),
            numpy_helper.from_array(np.array([2, 1], dtype=np.int64), "steps"),
            shape_f,
            init("w_rows", rng.normal(0, 0.6, (6, 5))),
            numpy_helper.from_array(np.array([4, 0, -1], dtype=np.int64), "pick"),
            numpy_helper.from_array(np.array([0], dtype=np.int64), "ax0"),
            init("w_head", rng.normal(0, 0.6, (2, 6))), init("b_head", rng.normal(0, 0.1, 2)),
        ],
        samples=[rng.uniform(-1, 1, 24) for _ in range(2)],
    )


def mnist_mlp():
    """MNIST-sized MLP: 784 → 128 → 10 (Gemm + Relu, Gemm), He-scaled seeded weights; the
    samples are seeded images in [0, 1]."""
    rng = np.random.default_rng(97)
    nodes = [
        helper.make_node("Gemm", ["input", "w1", "b1"], ["h"], name="fc1", transB=1),
        helper.make_node("Relu", ["h"], ["a"], name="relu1"),
        helper.make_node("Gemm", ["a", "w2", "b2"], ["logits"], name="fc2", transB=1),
    ]
    build_and_save(
        "mnist_mlp",
        nodes,
        ("input", ["batch", 784]),
        ("logits", ["batch", 10]),
        inits=[
            init("w1", rng.normal(0, (2 / 784) ** 0.5, (128, 784))), init("b1", rng.normal(0, 0.05, 128)),
            init("w2", rng.normal(0, (2 / 128) ** 0.5, (10, 128))), init("b2", rng.normal(0, 0.05, 10)),
        ],
        samples=[rng.uniform(0, 1, 784).round(3) for _ in range(1)],
    )


def clip_variants():
    """Clip with both bounds, with only max (empty min input), with only min."""
    rng = np.random.default_rng(61)
    nodes = [
        helper.make_node("Clip", ["input", "lo", "hi"], ["c0"], name="clip_both"),
        helper.make_node("Gemm", ["c0", "w1", "b1"], ["h1"], name="fc1", transB=1),
        helper.make_node("Clip", ["h1", "", "hi2"], ["c1"], name="clip_max_only"),
        helper.make_node("Gemm", ["c1", "w2", "b2"], ["h2"], name="fc2", transB=1),
        helper.make_node("Clip", ["h2", "lo3"], ["y"], name="clip_min_only"),
    ]
    build_and_save(
        "clip_variants",
        nodes,
        ("input", [1, 5]),
        ("y", [1, 3]),
        inits=[
            init("lo", -0.5), init("hi", 0.5), init("hi2", 0.3), init("lo3", -0.2),
            init("w1", rng.normal(0, 0.8, (4, 5))), init("b1", rng.normal(0, 0.2, 4)),
            init("w2", rng.normal(0, 0.8, (3, 4))), init("b2", rng.normal(0, 0.2, 3)),
        ],
        samples=[rng.uniform(-1.5, 1.5, 5) for _ in range(3)],
    )


def tabular_small():
    """Standardise (Sub mean, Div std), Gemm + Relu, Gemm, Mul by a constant."""
    rng = np.random.default_rng(47)
    nodes = [
        helper.make_node("Sub", ["input", "mu"], ["z0"], name="center"),
        helper.make_node("Div", ["z0", "sigma"], ["z"], name="scale"),
        helper.make_node("Gemm", ["z", "w1", "b1"], ["h"], name="fc1", transB=1),
        helper.make_node("Relu", ["h"], ["a"], name="relu"),
        helper.make_node("Gemm", ["a", "w2", "b2"], ["s"], name="fc2", transB=1),
        helper.make_node("Mul", ["s", "half"], ["y"], name="temperature"),
    ]
    build_and_save(
        "tabular_small",
        nodes,
        ("input", [1, 6]),
        ("y", [1, 2]),
        inits=[
            init("mu", rng.normal(5, 2, 6)), init("sigma", rng.uniform(1, 3, 6)),
            init("w1", rng.normal(0, 0.5, (8, 6))), init("b1", rng.normal(0, 0.1, 8)),
            init("w2", rng.normal(0, 0.5, (2, 8))), init("b2", rng.normal(0, 0.1, 2)),
            init("half", [0.5]),
        ],
        samples=[rng.normal(5, 2, 6) for _ in range(2)],
    )


def attention(prefix, h, wq, wk, wv, wo, d, heads=1, seq=4):
    """Self-attention nodes on `h` ([1, seq, d]); returns (nodes, output name). With several heads,
    Q/K/V are split by Reshape + Transpose and merged back the same way."""
    dh = d // heads
    n = lambda s: f"{prefix}_{s}"
    nodes = [helper.make_node("MatMul", [h, w], [n(w)], name=n(w)) for w in (wq, wk, wv)]
    q, k, v = n(wq), n(wk), n(wv)
    if heads > 1:
        for t in (q, k, v):
            nodes += [
                helper.make_node("Reshape", [t, n("split_shape")], [t + "_r"], name=t + "_split"),
                helper.make_node("Transpose", [t + "_r"], [t + "_h"], name=t + "_heads", perm=[0, 2, 1, 3]),
            ]
        q, k, v = q + "_h", k + "_h", v + "_h"
    perm = [0, 1, 3, 2] if heads > 1 else [0, 2, 1]
    nodes += [
        helper.make_node("Transpose", [k], [n("kt")], name=n("k_transpose"), perm=perm),
        helper.make_node("MatMul", [q, n("kt")], [n("scores")], name=n("qk")),
        helper.make_node("Div", [n("scores"), n("sqrt_dh")], [n("scaled")], name=n("scale")),
        helper.make_node("Softmax", [n("scaled")], [n("probs")], name=n("softmax"), axis=-1),
        helper.make_node("MatMul", [n("probs"), v], [n("ctx")], name=n("pv")),
    ]
    ctx = n("ctx")
    if heads > 1:
        nodes += [
            helper.make_node("Transpose", [ctx], [n("ctx_t")], name=n("merge_transpose"), perm=[0, 2, 1, 3]),
            helper.make_node("Reshape", [n("ctx_t"), n("merge_shape")], [n("ctx_m")], name=n("merge")),
        ]
        ctx = n("ctx_m")
    nodes.append(helper.make_node("MatMul", [ctx, wo], [n("out")], name=n("out_proj")))
    inits = [init(n("sqrt_dh"), [np.sqrt(dh)])]
    if heads > 1:
        inits += [
            numpy_helper.from_array(np.array([1, seq, heads, dh], dtype=np.int64), n("split_shape")),
            numpy_helper.from_array(np.array([1, seq, d], dtype=np.int64), n("merge_shape")),
        ]
    return nodes, n("out"), inits


def transformer_block():
    """Pre-LN transformer block on [1, 4, 8] (opset 17): LayerNormalization, single-head
    self-attention (MatMul of two activations, Transpose, Softmax), residual Add, LayerNormalization,
    FFN 8 -> 16 -> 8 with GELU as torch exports it (Div, Erf, Add, Mul, Mul), residual Add,
    ReduceMean over the sequence, Gemm to 3 classes."""
    rng = np.random.default_rng(4242)
    d, f = 8, 16
    w = lambda *s: rng.normal(0, 1 / np.sqrt(s[0]), s)
    weights = {k: w(d, d) for k in ("wq", "wk", "wv", "wo")}
    att_nodes, att_out, att_inits = attention("att", "ln1", "wq", "wk", "wv", "wo", d)
    nodes = [helper.make_node("LayerNormalization", ["input", "g1", "b1"], ["ln1"], name="ln1", axis=-1, epsilon=1e-5)]
    nodes += att_nodes
    nodes += [
        helper.make_node("Add", ["input", att_out], ["res1"], name="residual1"),
        helper.make_node("LayerNormalization", ["res1", "g2", "b2"], ["ln2"], name="ln2", axis=-1, epsilon=1e-5),
        helper.make_node("MatMul", ["ln2", "w1"], ["f1m"], name="ffn1"),
        helper.make_node("Add", ["f1m", "fb1"], ["f1"], name="ffn1_bias"),
        helper.make_node("Div", ["f1", "sqrt2"], ["f1s"], name="gelu_div"),
        helper.make_node("Erf", ["f1s"], ["f1e"], name="gelu_erf"),
        helper.make_node("Add", ["f1e", "one"], ["f1p"], name="gelu_add"),
        helper.make_node("Mul", ["f1", "f1p"], ["f1g"], name="gelu_mul"),
        helper.make_node("Mul", ["f1g", "half"], ["g"], name="gelu_half"),
        helper.make_node("MatMul", ["g", "w2"], ["f2m"], name="ffn2"),
        helper.make_node("Add", ["f2m", "fb2"], ["f2"], name="ffn2_bias"),
        helper.make_node("Add", ["res1", "f2"], ["res2"], name="residual2"),
        helper.make_node("ReduceMean", ["res2"], ["pooled"], name="pool", axes=[1], keepdims=0),
        helper.make_node("Gemm", ["pooled", "head_w", "head_b"], ["logits"], name="head", transB=1),
    ]
    inits = [init(k, v) for k, v in weights.items()] + att_inits + [
        init("g1", rng.uniform(0.8, 1.2, d)), init("b1", rng.normal(0, 0.1, d)),
        init("g2", rng.uniform(0.8, 1.2, d)), init("b2", rng.normal(0, 0.1, d)),
        init("w1", w(d, f)), init("fb1", rng.normal(0, 0.1, f)), init("w2", w(f, d)), init("fb2", rng.normal(0, 0.1, d)),
        init("sqrt2", [np.sqrt(2.0)]), init("one", [1.0]), init("half", [0.5]),
        init("head_w", w(3, d)), init("head_b", rng.normal(0, 0.1, 3)),
    ]
    build_and_save("transformer_block", nodes, ("input", [1, 4, d]), ("logits", [1, 3]), inits=inits,
                   samples=[rng.normal(0, 1, 4 * d) for _ in range(2)], opset=17)


def transformer_mh():
    """Two-head attention block as older exporters write it (opset 13): LayerNorm decomposed into
    ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add; heads split and merged with
    Reshape + Transpose; Softmax; residual Add; Tanh FFN; the first token (Gather) and the mean
    (ReduceMean, Squeeze) joined by Concat into a Gemm head."""
    rng = np.random.default_rng(777)
    d, f, seq = 8, 8, 4
    w = lambda *s: rng.normal(0, 1 / np.sqrt(s[0]), s)
    weights = {k: w(d, d) for k in ("wq", "wk", "wv", "wo")}
    att_nodes, att_out, att_inits = attention("mh", "ln", "wq", "wk", "wv", "wo", d, heads=2, seq=seq)
    nodes = [
        helper.make_node("ReduceMean", ["input"], ["mu"], name="ln_mean", axes=[-1], keepdims=1),
        helper.make_node("Sub", ["input", "mu"], ["xc"], name="ln_centre"),
        helper.make_node("Pow", ["xc", "two"], ["xc2"], name="ln_square"),
        helper.make_node("ReduceMean", ["xc2"], ["var"], name="ln_var", axes=[-1], keepdims=1),
        helper.make_node("Add", ["var", "eps"], ["var_e"], name="ln_eps"),
        helper.make_node("Sqrt", ["var_e"], ["std"], name="ln_sqrt"),
        helper.make_node("Div", ["xc", "std"], ["xn"], name="ln_div"),
        helper.make_node("Mul", ["xn", "gamma"], ["xg"], name="ln_scale"),
        helper.make_node("Add", ["xg", "beta"], ["ln"], name="ln_shift"),
    ]
    nodes += att_nodes
    nodes += [
        helper.make_node("Add", ["input", att_out], ["res"], name="residual"),
        helper.make_node("MatMul", ["res", "w1"], ["h1"], name="ffn1"),
        helper.make_node("Tanh", ["h1"], ["t1"], name="ffn_tanh"),
        helper.make_node("MatMul", ["t1", "w2"], ["h2"], name="ffn2"),
        helper.make_node("Add", ["res", "h2"], ["out"], name="residual_ffn"),
        helper.make_node("Gather", ["out", "first"], ["cls"], name="first_token", axis=1),
        helper.make_node("ReduceMean", ["out"], ["mean3"], name="mean_pool", axes=[1], keepdims=1),
        helper.make_node("Squeeze", ["mean3", "axis1"], ["mean"], name="squeeze_mean"),
        helper.make_node("Concat", ["cls", "mean"], ["feat"], name="features", axis=1),
        helper.make_node("Gemm", ["feat", "head_w", "head_b"], ["logits"], name="head", transB=1),
    ]
    inits = [init(k, v) for k, v in weights.items()] + att_inits + [
        init("two", [2.0]), init("eps", [1e-5]), init("gamma", rng.uniform(0.8, 1.2, d)), init("beta", rng.normal(0, 0.1, d)),
        init("w1", w(d, f)), init("w2", w(f, d)),
        numpy_helper.from_array(np.array(0, dtype=np.int64), "first"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
        init("head_w", w(3, 2 * d)), init("head_b", rng.normal(0, 0.1, 3)),
    ]
    build_and_save("transformer_mh", nodes, ("input", [1, seq, d]), ("logits", [1, 3]), inits=inits,
                   samples=[rng.normal(0, 1, seq * d) for _ in range(2)])


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    mlp_small()
    mlp_small("mlp_small_b", seed=20261201, samples=0)
    mlp_small_testset()
    unsupported_op()
    op_variants()
    bad_attribute()
    branching()
    cnn_small()
    cnn_maxpool()
    tabular_small()
    clip_variants()
    tabular_sigmoid()
    shape_ops()
    mnist_mlp()
    transformer_block()
    transformer_mh()
