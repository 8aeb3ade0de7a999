#!/usr/bin/env python3
"""Deterministic generator of the op-conformance models in models/ops/: one small graph per ONNX
op (or attribute case), each a constant Gemm of the input followed by the op, with a sample input
and onnxruntime's float output.

Run: python3 script/gen-op-models.py [OUT_DIR]   (needs `pip install onnx onnxruntime numpy`)
Writes NAME.onnx, NAME.input.json ({"input_data": [[...]]}), NAME.expected.json ({"output": [...],
"shape": [...]}) and manifest.json (name, ops, tolerance). prover/tests/ops.rs proves every one
and compares the circuit's output with onnxruntime's. Re-running reproduces the files.

Inputs avoid the discontinuities of steps and roundings (a margin of 0.05 around every threshold),
where a fixed-point value may fall on the other side of the threshold than the float one.
"""
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "models", "ops")
WIDTH = 8  # input values
HIDDEN = 6  # values after the Gemm
MANIFEST = []


def init(name, arr, dtype=np.float32):
    return numpy_helper.from_array(np.asarray(arr, dtype=dtype), name)


def make(name, body, inits=(), hidden=HIDDEN, out_shape=None, out_type=TensorProto.FLOAT, opset=17,
         tolerance=0.03, margin=None, gain=1.0, extra_opsets=(), inputs=None, reference=None, outputs=None):
    """Input x [1, WIDTH] → h = Gemm(x) [1, hidden] → body(h) → y.

    `body` is a list of nodes reading "h" and writing "y"; `margin(h) -> bool` rejects sample
    inputs too close to a discontinuity; `gain` scales the Gemm weights. With `inputs` (a list of
    (name, shape)) the graph has those inputs instead, and no Gemm. With `outputs` (a list of
    (name, type, shape)) the graph has those outputs; the expected output is their flattened
    concatenation in graph order (as the prover proves several outputs)."""
    rng = np.random.default_rng(sum(map(ord, name)) * 7919)
    w = rng.uniform(-0.6, 0.6, size=(WIDTH, hidden)).astype(np.float32) * gain
    b = rng.uniform(-0.2, 0.2, size=(hidden,)).astype(np.float32) * gain
    if inputs is None:
        inputs = [("x", [1, WIDTH])]
        nodes = [helper.make_node("Gemm", ["x", "W", "B"], ["h"], name="gemm")] + body
        inits = [init("W", w), init("B", b)] + list(inits)
    else:
        nodes = list(body)
    opsets = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, v) for d, v in extra_opsets]

    def build(shape):
        graph = helper.make_graph(
            nodes,
            name,
            [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs],
            [helper.make_tensor_value_info(n, t, sh) for n, t, sh in (outputs or [("y", out_type, shape)])],
            initializer=list(inits),
        )
        model = helper.make_model(graph, producer_name="zkinfer-gen-op-models", opset_imports=opsets)
        model.ir_version = 8
        return model

    if out_shape is None and outputs is None:
        # The output's shape, by shape inference.
        inferred = onnx.shape_inference.infer_shapes(build(None), strict_mode=True)
        out_shape = [d.dim_value for d in inferred.graph.output[0].type.tensor_type.shape.dim]
        if not out_shape or 0 in out_shape:
            # Not inferable statically (a computed reshape): run it once on zeros.
            probe = ort.InferenceSession(build(None).SerializeToString(), providers=["CPUExecutionProvider"])
            (y0,) = probe.run(["y"], {n: np.zeros(s, np.float32) for n, s in inputs})
            out_shape = list(np.asarray(y0).shape)
    model = build(out_shape)
    onnx.checker.check_model(model, full_check=True)
    data = model.SerializeToString()
    sess = ort.InferenceSession(data, providers=["CPUExecutionProvider"]) if reference is None else None
    # A sample input, redrawn while some hidden value sits too close to a discontinuity.
    for _ in range(1000):
        xs = [np.round(rng.uniform(-1.0, 1.0, size=s), 6).astype(np.float32) for _, s in inputs]
        h = xs[0] @ w + b if len(xs) == 1 and xs[0].shape == (1, WIDTH) else None
        if margin is None or margin(h):
            break
    else:
        raise SystemExit(f"{name}: no sample input clear of the discontinuities")
    if reference is None:
        names = [n for n, _, _ in outputs] if outputs else ["y"]
        ys = sess.run(names, {n: x for (n, _), x in zip(inputs, xs)})
        y = np.concatenate([np.asarray(v, np.float64).flatten() for v in ys]) if outputs else ys[0]
    else:
        # An opset onnxruntime no longer runs: numpy computes the float output from h.
        y = reference(xs[0].astype(np.float64) @ w + b).astype(np.float32)
    y = np.asarray(y)
    with open(os.path.join(OUT, f"{name}.onnx"), "wb") as f:
        f.write(data)
    with open(os.path.join(OUT, f"{name}.input.json"), "w") as f:
        json.dump({"input_data": [[float(v) for v in x.flatten()] for x in xs]}, f)
        f.write("\n")
    with open(os.path.join(OUT, f"{name}.expected.json"), "w") as f:
        json.dump({"output": [round(float(v), 7) for v in y.astype(np.float64).flatten()], "shape": list(y.shape)}, f)
        f.write("\n")
    ops = sorted({(f"{n.domain}." if n.domain else "") + n.op_type for n in nodes})
    MANIFEST.append({"name": name, "ops": ops, "tolerance": tolerance})


def clear_of(thresholds, m=0.05):
    """A margin test: every hidden value at least `m` from every threshold."""
    return lambda h: all(abs(v - t) >= m for v in h.flatten() for t in thresholds)


def clear_of_integers(h, m=0.05, scale=1.0):
    v = h.flatten() * scale
    return all(abs(x - np.round(x)) >= m and abs(abs(x - np.floor(x)) - 0.5) >= m for x in v)


def unary(name, op, pre=(), **attrs):
    """h → [pre nodes] → op → y."""
    src = "h"
    body = []
    for i, (pop, pinputs, pattrs) in enumerate(pre):
        out = f"p{i}"
        body.append(helper.make_node(pop, [src] + list(pinputs), [out], name=f"pre{i}", **pattrs))
        src = out
    body.append(helper.make_node(op, [src], ["y"], name=op.lower(), **attrs))
    return body


def main():
    os.makedirs(OUT, exist_ok=True)
    half = init("half", [0.5])
    one_half = init("one_half", [1.5])
    shrink_in = init("nine_tenths", [0.9])

    # Element-wise, exact (ReLU compositions).
    make("abs", unary("abs", "Abs"))
    make("neg", unary("neg", "Neg"))
    make("leaky_relu", unary("leaky_relu", "LeakyRelu", alpha=0.1))
    make("prelu", [helper.make_node("PRelu", ["h", "slope"], ["y"], name="prelu")],
         inits=[init("slope", np.linspace(-0.3, 0.4, HIDDEN))])
    make("hard_sigmoid", unary("hard_sigmoid", "HardSigmoid", alpha=0.4, beta=0.5), gain=3.0)
    make("hard_swish", unary("hard_swish", "HardSwish"), gain=5.0, tolerance=0.05)
    make("thresholded_relu", unary("thresholded_relu", "ThresholdedRelu", alpha=0.2), margin=clear_of([0.2]))
    make("shrink", unary("shrink", "Shrink", bias=0.1, lambd=0.3), margin=clear_of([0.3, -0.3]))
    # Element-wise through the exp table.
    make("elu", unary("elu", "Elu", alpha=0.8), gain=3.0)
    make("selu", unary("selu", "Selu"), gain=3.0)
    make("celu", unary("celu", "Celu", alpha=0.7), gain=3.0)
    # Element-wise tables.
    for op in ["Softplus", "Softsign", "Sin", "Cos", "Atan", "Asinh"]:
        make(op.lower(), unary(op.lower(), op), gain=3.0)
    # Steep functions: an input's rounding (1/512) moves the output by up to cosh(x)/512.
    for op in ["Sinh", "Cosh"]:
        make(op.lower(), unary(op.lower(), op), gain=3.0, tolerance=0.1)
    make("tan", unary("tan", "Tan"))
    make("mish", unary("mish", "Mish"), gain=3.0, opset=18)
    make("gelu_tanh", unary("gelu_tanh", "Gelu", approximate="tanh"), gain=3.0, opset=20)
    sq = ("Mul", ["h"], {})
    make("log", unary("log", "Log", pre=[sq, ("Add", ["half"], {})]), inits=[half])
    make("acosh", unary("acosh", "Acosh", pre=[sq, ("Add", ["one_half"], {})]), inits=[one_half])
    for op in ["Asin", "Acos", "Atanh"]:
        make(op.lower(), unary(op.lower(), op, pre=[("Tanh", [], {}), ("Mul", ["nine_tenths"], {})]), inits=[shrink_in], tolerance=0.05)
    # Roundings and steps (exact tables), clear of their discontinuities.
    make("sign", unary("sign", "Sign"), margin=clear_of([0.0]))
    for op in ["Floor", "Ceil", "Round"]:
        make(op.lower(), unary(op.lower(), op), gain=4.0, margin=clear_of_integers, tolerance=0.001)
    # Cast of the activation to an integer type and back (truncation), and to bool and back.
    make("cast_int", [helper.make_node("Cast", ["h"], ["t"], name="to_int", to=TensorProto.INT64),
                      helper.make_node("Cast", ["t"], ["y"], name="to_float", to=TensorProto.FLOAT)],
         gain=4.0, margin=clear_of_integers, tolerance=0.001)
    make("cast_bool", [helper.make_node("Relu", ["h"], ["r"], name="relu"),
                       helper.make_node("Cast", ["r"], ["t"], name="to_bool", to=TensorProto.BOOL),
                       helper.make_node("Cast", ["t"], ["y"], name="to_float", to=TensorProto.FLOAT)],
         margin=clear_of([0.0]), tolerance=0.001)
    # Pow: integer exponents, and a constant base.
    make("pow3", [helper.make_node("Pow", ["h", "three"], ["y"], name="pow")], inits=[init("three", [3.0])], gain=2.0)
    make("pow_base", [helper.make_node("Pow", ["two", "h"], ["y"], name="pow")], inits=[init("two", [2.0])], gain=2.0)
    # LogSoftmax.
    make("log_softmax", unary("log_softmax", "LogSoftmax", axis=-1), gain=3.0, tolerance=0.05)

    # Two activations: the Gemm output split in halves.
    split = [
        helper.make_node("Slice", ["h", "s0", "s3", "ax"], ["a"], name="first_half"),
        helper.make_node("Slice", ["h", "s3", "s6", "ax"], ["b"], name="second_half"),
    ]
    split_inits = [init("s0", [0], np.int64), init("s3", [3], np.int64), init("s6", [6], np.int64), init("ax", [1], np.int64)]
    far = lambda h: all(abs(h[0, i] - h[0, i + 3]) >= 0.05 for i in range(3))
    make("max2", split + [helper.make_node("Max", ["a", "b"], ["y"], name="max")], inits=split_inits)
    make("min3", split + [helper.make_node("Min", ["a", "b", "c"], ["y"], name="min")], inits=split_inits + [init("c", [0.1, -0.1, 0.0])])
    make("max_const", [helper.make_node("Max", ["h", "c"], ["y"], name="max")], inits=[init("c", [0.25])])
    for op in ["Greater", "Less", "GreaterOrEqual", "LessOrEqual"]:
        make(f"{op.lower()}", split + [helper.make_node(op, ["a", "b"], ["t"], name=op.lower()),
                                       helper.make_node("Cast", ["t"], ["y"], name="to_float", to=TensorProto.FLOAT)],
             inits=split_inits, margin=far, tolerance=0.001)
    make("greater_const_bool", [helper.make_node("Greater", ["h", "thr"], ["y"], name="greater")],
         inits=[init("thr", [0.1])], out_type=TensorProto.BOOL, margin=clear_of([0.1]), tolerance=0.001)
    # Equal on fixed-point values: Round first so that equal values are exactly equal.
    make("equal", [helper.make_node("Round", ["h"], ["r"], name="round"),
                   helper.make_node("Equal", ["r", "zero"], ["t"], name="equal"),
                   helper.make_node("Cast", ["t"], ["y"], name="to_float", to=TensorProto.FLOAT)],
         inits=[init("zero", [0.0])], gain=2.0, margin=clear_of_integers, tolerance=0.001)
    cmp = [
        helper.make_node("Greater", ["a", "zero"], ["ga"], name="a_pos"),
        helper.make_node("Greater", ["b", "zero"], ["gb"], name="b_pos"),
    ]
    sign_far = lambda h: all(abs(v) >= 0.05 for v in h.flatten())
    for op in ["And", "Or", "Xor"]:
        make(op.lower(), split + cmp + [helper.make_node(op, ["ga", "gb"], ["t"], name=op.lower()),
                                        helper.make_node("Cast", ["t"], ["y"], name="to_float", to=TensorProto.FLOAT)],
             inits=split_inits + [init("zero", [0.0])], margin=sign_far, tolerance=0.001)
    make("not", split + cmp[:1] + [helper.make_node("Not", ["ga"], ["t"], name="not"),
                                    helper.make_node("Cast", ["t"], ["y"], name="to_float", to=TensorProto.FLOAT)],
         inits=split_inits + [init("zero", [0.0])], margin=sign_far, tolerance=0.001)
    # Where: torch.where(h > 0, h, 0.1·h), with activations, and with constant branches.
    make("where", [helper.make_node("Greater", ["h", "zero"], ["c"], name="positive"),
                   helper.make_node("Mul", ["h", "tenth"], ["s"], name="scaled"),
                   helper.make_node("Where", ["c", "h", "s"], ["y"], name="where")],
         inits=[init("zero", [0.0]), init("tenth", [0.1])], margin=sign_far)
    make("where_const", [helper.make_node("Less", ["h", "zero"], ["c"], name="negative"),
                         helper.make_node("Where", ["c", "lo", "hi"], ["y"], name="where")],
         inits=[init("zero", [0.0]), init("lo", np.linspace(-1, 0, HIDDEN)), init("hi", [0.75])], margin=sign_far, tolerance=0.01)
    make("where_mixed", split + [helper.make_node("Greater", ["a", "b"], ["c"], name="greater"),
                                 helper.make_node("Where", ["c", "a", "k"], ["y"], name="where")],
         inits=split_inits + [init("k", [-0.5])], margin=far)

    # Several graph inputs (the input file lists one tensor per input, in graph order).
    make("two_inputs", [helper.make_node("Gemm", ["a", "Wa"], ["ha"], name="gemm_a"),
                        helper.make_node("Gemm", ["b", "Wb"], ["hb"], name="gemm_b"),
                        helper.make_node("Sigmoid", ["hb"], ["gate"], name="gate"),
                        helper.make_node("Mul", ["ha", "gate"], ["y"], name="gated")],
         inits=[init("Wa", np.linspace(-0.5, 0.5, 20).reshape(5, 4)), init("Wb", np.linspace(0.4, -0.4, 12).reshape(3, 4))],
         inputs=[("a", [1, 5]), ("b", [1, 3])])
    make("three_inputs_concat", [helper.make_node("Concat", ["a", "b", "c"], ["abc"], name="concat", axis=1),
                                 helper.make_node("Gemm", ["abc", "W"], ["h"], name="gemm"),
                                 helper.make_node("Relu", ["h"], ["y"], name="relu")],
         inits=[init("W", np.linspace(-0.5, 0.5, 24).reshape(8, 3))],
         inputs=[("a", [1, 2]), ("b", [1, 4]), ("c", [1, 2])])

    # Shape subgraphs as torch writes them, folded at compile time: Shape → Gather → Unsqueeze →
    # Concat → Reshape, integer Div of a dimension, ConstantOfShape, Range, Equal/Where on shapes.
    i64 = lambda name, v: init(name, v, np.int64)
    make("shape_subgraph", [
        helper.make_node("Shape", ["h"], ["s"], name="shape"),
        helper.make_node("Gather", ["s", "zero_i"], ["n"], name="batch", axis=0),
        helper.make_node("Unsqueeze", ["n", "axes0"], ["n1"], name="unsqueeze"),
        helper.make_node("Gather", ["s", "one_i"], ["w"], name="width", axis=0),
        helper.make_node("Div", ["w", "two_i"], ["half_w"], name="half_width"),
        helper.make_node("Unsqueeze", ["half_w", "axes0"], ["hw1"], name="unsqueeze_half"),
        helper.make_node("Concat", ["n1", "two_1", "hw1"], ["target"], name="target_shape", axis=0),
        helper.make_node("Reshape", ["h", "target"], ["r"], name="reshape"),
        helper.make_node("ConstantOfShape", ["target"], ["ones"], name="ones", value=helper.make_tensor("v", TensorProto.FLOAT, [1], [1.0])),
        helper.make_node("Add", ["r", "ones"], ["r1"], name="plus_one"),
        helper.make_node("Range", ["zero_s", "three_s", "one_s"], ["idx"], name="range"),
        helper.make_node("Equal", ["idx", "one_s"], ["is_one"], name="is_one"),
        helper.make_node("Where", ["is_one", "neg_half", "one_f"], ["mask"], name="mask"),
        helper.make_node("Mul", ["r1", "mask"], ["m"], name="masked"),
        helper.make_node("Flatten", ["m"], ["y"], name="flatten", axis=1),
    ], inits=[i64("zero_i", 0), i64("one_i", 1), i64("two_i", 2), i64("axes0", [0]), i64("two_1", [2]),
              i64("zero_s", 0), i64("three_s", 3), i64("one_s", 1), init("neg_half", [-0.5]), init("one_f", [1.0])])
    make("expand_tile", [
        helper.make_node("Slice", ["h", "s0", "s2", "ax"], ["a"], name="first_two"),
        helper.make_node("Reshape", ["a", "col"], ["a_col"], name="column"),
        helper.make_node("Expand", ["a_col", "wide"], ["e"], name="expand"),
        helper.make_node("Tile", ["e", "reps"], ["t"], name="tile"),
        helper.make_node("Flatten", ["t"], ["y"], name="flatten", axis=0),
    ], inits=[i64("s0", [0]), i64("s2", [2]), i64("ax", [1]), i64("col", [2, 1]), i64("wide", [2, 3]), i64("reps", [1, 2])])

    # Split (opset 13: sizes as an input) into two outputs, each used.
    make("split", [helper.make_node("Split", ["h", "sizes"], ["a", "b"], name="split", axis=1),
                   helper.make_node("Relu", ["a"], ["ra"], name="relu"),
                   helper.make_node("Sigmoid", ["b"], ["sb"], name="sigmoid"),
                   helper.make_node("Concat", ["ra", "sb"], ["y"], name="concat", axis=1)],
         inits=[i64("sizes", [2, 4])])
    # A batch of samples in one proof: Gemm over [3, 4], BatchNormalization over [2, 3, 2, 2].
    make("gemm_batch3", [helper.make_node("Gemm", ["x", "Wb", "Cb"], ["g"], name="gemm", transB=1),
                         helper.make_node("Relu", ["g"], ["y"], name="relu")],
         inits=[init("Wb", np.linspace(-0.7, 0.6, 20).reshape(5, 4)), init("Cb", np.linspace(-0.1, 0.2, 5))],
         inputs=[("x", [3, 4])])
    make("batchnorm_batch2", [helper.make_node("BatchNormalization", ["x", "g", "b", "m", "v"], ["y"], name="bn", epsilon=1e-5)],
         inits=[init("g", [1.2, 0.8, -0.5]), init("b", [0.1, -0.2, 0.0]), init("m", [0.05, -0.1, 0.2]), init("v", [0.9, 1.1, 0.5])],
         inputs=[("x", [2, 3, 2, 2])])
    # Legacy attributes: Add with broadcast and axis (opset 6), Slice with attributes (opset 9).
    make("legacy_add_axis", [helper.make_node("Reshape", ["h", "shp"], ["r"], name="reshape"),
                             helper.make_node("Add", ["r", "c"], ["a"], name="add", broadcast=1, axis=1),
                             helper.make_node("Slice", ["a"], ["y"], name="slice", starts=[0, 0, 1], ends=[1, 2, 3], axes=[0, 1, 2])],
         inits=[i64("shp", [1, 2, 3]), init("c", [0.5, -0.5])], opset=6, out_shape=[1, 2, 2],
         reference=lambda h: (h.reshape(1, 2, 3) + np.array([0.5, -0.5])[None, :, None])[:, :, 1:3])

    # Convolutions and pools: 1-D with a batch, 3-D, depthwise, dilated, auto_pad, ceil_mode.
    k = lambda *shape: init("K", np.linspace(-0.5, 0.5, int(np.prod(shape))).reshape(shape))
    kb = lambda m: init("KB", np.linspace(-0.1, 0.1, m))
    make("conv1d_batch2", [helper.make_node("Conv", ["x", "K", "KB"], ["y"], name="conv", pads=[1, 1], strides=[2])],
         inits=[k(3, 2, 3), kb(3)], inputs=[("x", [2, 2, 7])])
    make("conv3d", [helper.make_node("Conv", ["x", "K"], ["y"], name="conv", pads=[0, 1, 1, 0, 1, 1])],
         inits=[k(2, 1, 2, 2, 2)], inputs=[("x", [1, 1, 3, 3, 3])])
    make("conv_depthwise", [helper.make_node("Conv", ["x", "K", "KB"], ["c"], name="depthwise", group=3, pads=[1, 1, 1, 1]),
                            helper.make_node("Relu", ["c"], ["r"], name="relu"),
                            helper.make_node("Conv", ["r", "P"], ["y"], name="pointwise")],
         inits=[k(3, 1, 3, 3), kb(3), init("P", np.linspace(0.3, -0.3, 6).reshape(2, 3, 1, 1))], inputs=[("x", [1, 3, 4, 4])])
    make("conv_dilated", [helper.make_node("Conv", ["x", "K"], ["c"], name="conv", dilations=[2, 2], pads=[1, 0, 1, 2]),
                          helper.make_node("Conv", ["c", "K2"], ["y"], name="same", auto_pad="SAME_LOWER", strides=[2, 2])],
         inits=[k(2, 1, 2, 2), init("K2", np.linspace(0.4, -0.2, 8).reshape(1, 2, 2, 2))], inputs=[("x", [1, 1, 5, 5])])
    make("maxpool_ceil_dilated", [helper.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1, dilations=[1, 2])],
         inputs=[("x", [1, 2, 5, 5])], opset=12)
    make("avgpool_ceil_pads", [helper.make_node("AveragePool", ["x"], ["y"], name="pool", kernel_shape=[3], strides=[2], pads=[1, 1], ceil_mode=1, count_include_pad=1)],
         inputs=[("x", [2, 2, 6])])
    make("maxpool1d", [helper.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[3], strides=[1], pads=[1, 1])],
         inputs=[("x", [1, 3, 5])])
    make("global_max_pool", [helper.make_node("GlobalMaxPool", ["x"], ["y"], name="pool")], inputs=[("x", [2, 3, 2, 2])])

    # Selections: ArgMax/ArgMin (axis, keepdims, last index), Hardmax, on values clear of ties.
    apart = lambda h: all(abs(a - b) >= 0.05 for i, a in enumerate(h.flatten()) for b in h.flatten()[i + 1:])
    make("argmax", unary("argmax", "ArgMax", pre=[("Reshape", ["r23"], {})], axis=1, keepdims=0), inits=[i64("r23", [1, 2, 3])],
         out_type=TensorProto.INT64, margin=apart, tolerance=0.001)
    make("argmin_last", unary("argmin", "ArgMin", axis=-1, select_last_index=1), out_type=TensorProto.INT64, margin=apart, tolerance=0.001)
    make("argmax_ties", [helper.make_node("Round", ["h"], ["r"], name="round"),
                         helper.make_node("Relu", ["r"], ["p"], name="relu"),
                         helper.make_node("ArgMax", ["p"], ["y"], name="argmax", axis=1)],
         gain=2.0, out_type=TensorProto.INT64, margin=clear_of_integers, tolerance=0.001)
    make("hardmax", unary("hardmax", "Hardmax"), margin=apart, tolerance=0.001)
    # Reductions.
    r2 = [("Reshape", ["r23"], {})]
    make("reduce_min", unary("reduce_min", "ReduceMin", pre=r2, axes=[2]), inits=[i64("r23", [1, 2, 3])])
    make("reduce_sum_square", unary("rss", "ReduceSumSquare", pre=r2, axes=[1]), inits=[i64("r23", [1, 2, 3])])
    make("reduce_l1", unary("rl1", "ReduceL1", pre=r2, axes=[2], keepdims=0), inits=[i64("r23", [1, 2, 3])])
    make("reduce_l2", unary("rl2", "ReduceL2", pre=r2, axes=[2]), inits=[i64("r23", [1, 2, 3])], tolerance=0.05)
    make("reduce_log_sum_exp", unary("rlse", "ReduceLogSumExp", pre=r2, axes=[2]), inits=[i64("r23", [1, 2, 3])], tolerance=0.05)
    make("reduce_prod", unary("rprod", "ReduceProd", pre=r2, axes=[2]), inits=[i64("r23", [1, 2, 3])], gain=2.0)
    make("sum_mean", [helper.make_node("Relu", ["h"], ["r"], name="relu"),
                      helper.make_node("Sum", ["h", "r", "c"], ["s"], name="sum"),
                      helper.make_node("Mean", ["s", "h"], ["y"], name="mean")], inits=[init("c", np.linspace(-0.2, 0.3, HIDDEN))])

    # ONNX-ML (ai.onnx.ml) as skl2onnx writes it: a scaled logistic regression with its label
    # and probabilities (two graph outputs), a binary one with one model, a linear SVM, a
    # regressor, Normalizer, Binarizer, ArrayFeatureExtractor and ZipMap.
    ml = [("ai.onnx.ml", 3)]
    mlnode = lambda op, ins, outs, **a: helper.make_node(op, ins, outs, name=op.lower(), domain="ai.onnx.ml", **a)
    coef = lambda m, c, seed: [round(float(v), 4) for v in np.random.default_rng(seed).uniform(-1.2, 1.2, m * c)]
    i64s = TensorProto.INT64
    make("ml_logreg_softmax", [mlnode("Scaler", ["x"], ["s"], offset=[0.1, -0.2, 0.0, 0.3, 0.0], scale=[1.5, 0.8, 1.0, 2.0, 1.2]),
                               mlnode("LinearClassifier", ["s"], ["label", "probs"], classlabels_ints=[3, 5, 7], coefficients=coef(3, 5, 1),
                                      intercepts=[0.1, -0.3, 0.2], multi_class=1, post_transform="SOFTMAX"),
                               mlnode("Normalizer", ["probs"], ["probabilities"], norm="L1")],
         inputs=[("x", [1, 5])], extra_opsets=ml, outputs=[("label", i64s, [1]), ("probabilities", TensorProto.FLOAT, [1, 3])],
         tolerance=0.03, margin=None)
    make("ml_logreg_binary", [mlnode("LinearClassifier", ["x"], ["label", "probabilities"], classlabels_ints=[0, 1], coefficients=coef(1, 4, 2),
                                     intercepts=[0.2], post_transform="LOGISTIC")],
         inputs=[("x", [2, 4])], extra_opsets=ml, outputs=[("label", i64s, [2]), ("probabilities", TensorProto.FLOAT, [2, 2])])
    make("ml_linear_svc_zipmap", [mlnode("LinearClassifier", ["x"], ["label", "scores"], classlabels_ints=[0, 1, 2, 3], coefficients=coef(4, 3, 3),
                                         intercepts=[0.0, 0.1, -0.1, 0.05], post_transform="NONE"),
                                  mlnode("ZipMap", ["scores"], ["zipped"], classlabels_int64s=[0, 1, 2, 3]),
                                  helper.make_node("Identity", ["label"], ["label_out"], name="label_out")],
         inputs=[("x", [1, 3])], extra_opsets=ml, outputs=[("label_out", i64s, [1]), ("scores", TensorProto.FLOAT, [1, 4])])
    make("ml_regressor_features", [mlnode("ArrayFeatureExtractor", ["x", "cols"], ["f"]),
                                   mlnode("LinearRegressor", ["f"], ["y"], coefficients=coef(2, 3, 4), intercepts=[0.5, -0.25], targets=2)],
         inits=[i64("cols", [4, 0, 2])], inputs=[("x", [1, 5])], extra_opsets=ml)
    make("ml_binarizer", [mlnode("Binarizer", ["h"], ["y"], threshold=0.1)], extra_opsets=ml, margin=clear_of([0.1]), tolerance=0.001)
    make("ml_normalizer_l2", [helper.make_node("Relu", ["h"], ["r"], name="relu"),
                              helper.make_node("Add", ["r", "half"], ["p"], name="positive"),
                              mlnode("Normalizer", ["p"], ["y"], norm="L2")], inits=[half], extra_opsets=ml)
    make("ml_normalizer_max", [mlnode("Normalizer", ["h"], ["y"], norm="MAX")], extra_opsets=ml, gain=3.0)

    # Re-indexings with constants: reversed slices, Pad (every mode), Trilu, GatherElements, CumSum.
    rs = helper.make_node("Reshape", ["h", "r23"], ["g"], name="reshape")
    r23 = i64("r23", [1, 2, 3])
    make("slice_reverse", [rs, helper.make_node("Slice", ["g", "st", "en", "ax", "sp"], ["y"], name="slice")],
         inits=[r23, i64("st", [-1, 1]), i64("en", [-(2 ** 62), -(2 ** 62)]), i64("ax", [2, 1]), i64("sp", [-1, -2])])
    for mode in ["constant", "reflect", "edge"]:
        make(f"pad_{mode}", [rs, helper.make_node("Pad", ["g", "pads"] + (["v"] if mode == "constant" else []), ["y"], name="pad", mode=mode)],
             inits=[r23, i64("pads", [0, 1, 2, 0, 0, 1])] + ([init("v", np.array(0.25))] if mode == "constant" else []))
    make("trilu_upper", [rs, helper.make_node("Trilu", ["g", "k"], ["y"], name="trilu", upper=1)], inits=[r23, i64("k", 1)])
    make("trilu_lower", [rs, helper.make_node("Trilu", ["g"], ["y"], name="trilu", upper=0)], inits=[r23])
    make("gather_elements", [rs, helper.make_node("GatherElements", ["g", "idx"], ["y"], name="gather", axis=2)],
         inits=[r23, i64("idx", [[[2, 0], [-1, 1]]])])
    make("cumsum", [rs, helper.make_node("CumSum", ["g", "a2"], ["c"], name="cumsum_rev", exclusive=1, reverse=1),
                    helper.make_node("CumSum", ["c", "a1"], ["y"], name="cumsum")], inits=[r23, i64("a2", 2), i64("a1", 1)])

    make("instance_norm", [rs, helper.make_node("InstanceNormalization", ["g", "sc", "bi"], ["y"], name="inorm", epsilon=1e-3)],
         inits=[r23, init("sc", [1.5, -0.5]), init("bi", [0.1, 0.2])], tolerance=0.06)

    # Resize: nearest by scales, linear by sizes (half_pixel) and align_corners.
    r4 = helper.make_node("Reshape", ["h", "r1123"], ["g4"], name="reshape4")
    r1123 = i64("r1123", [1, 1, 2, 3])
    make("resize_nearest", [r4, helper.make_node("Resize", ["g4", "", "sc"], ["y"], name="resize", mode="nearest")],
         inits=[r1123, init("sc", [1.0, 1.0, 2.0, 1.5])])
    make("resize_linear", [r4, helper.make_node("Resize", ["g4", "", "", "sz"], ["y"], name="resize", mode="linear")],
         inits=[r1123, i64("sz", [1, 1, 3, 5])])
    make("resize_linear_corners", [r4, helper.make_node("Resize", ["g4", "", "", "sz"], ["y"], name="resize", mode="linear", coordinate_transformation_mode="align_corners")],
         inits=[r1123, i64("sz", [1, 1, 4, 4])])

    # Hummingbird's GEMM trees multiply a constant A by Xᵀ; torch's numel is ReduceProd(Shape).
    make("gemm_const_a", [helper.make_node("Gemm", ["A", "h", "C"], ["y"], name="gemm_a", transB=1, alpha=0.5)],
         inits=[init("A", np.linspace(-1.0, 1.0, 18).reshape(3, 6)), init("C", [[0.1], [-0.2], [0.3]])])
    make("numel_divides", [helper.make_node("Shape", ["h"], ["s"], name="shape"),
                           helper.make_node("ReduceProd", ["s"], ["n"], name="numel", keepdims=0),
                           helper.make_node("Cast", ["n"], ["nf"], name="cast", to=TensorProto.FLOAT),
                           helper.make_node("Div", ["h", "nf"], ["y"], name="div")], opset=13)

    # Tree ensembles as skl2onnx and onnxmltools write them: every split mode, a split shared by
    # two trees, a tree that is one leaf, two targets averaged; a three-class softmax forest; an
    # XGBoost-style binary classifier (one scored class, LOGISTIC).
    def trees(spec):
        """spec: per tree, its nodes (id, mode, feature, threshold, true id, false id) and leaves
        {id: [(output, weight)]}; returns the nodes_* attributes and the leaves' (tree, node,
        output, weight) lists."""
        a = {k: [] for k in ["nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_values", "nodes_modes", "nodes_truenodeids", "nodes_falsenodeids"]}
        leaves = [[], [], [], []]
        for t, (splits, outs) in enumerate(spec):
            for nid, mode, f, v, yes, no in splits + [(lid, "LEAF", 0, 0.0, 0, 0) for lid in outs]:
                for k, val in zip(a, [t, nid, f, v, mode, yes, no]):
                    a[k].append(val)
            for lid, ws in outs.items():
                for o, w in ws:
                    for lst, val in zip(leaves, [t, lid, o, w]):
                        lst.append(val)
        return a, leaves
    spec = [([(0, "BRANCH_LEQ", 0, 0.1, 1, 2), (1, "BRANCH_LT", 2, -0.2, 3, 4), (2, "BRANCH_GT", 1, 0.3, 5, 6)],
             {3: [(0, 0.5), (1, -1.0)], 4: [(0, -0.25)], 5: [(0, 1.25), (1, 0.75)], 6: [(1, 0.4)]}),
            ([(0, "BRANCH_GTE", 3, 0.0, 1, 2), (2, "BRANCH_LEQ", 0, 0.1, 3, 4)],
             {1: [(0, 0.3), (1, 0.2)], 3: [(0, -0.6)], 4: [(0, 0.9), (1, -0.35)]}),
            ([], {0: [(0, 0.1), (1, 0.05)]})]
    thresholds = [0.1, -0.2, 0.3, 0.0, 0.45, -0.1]
    a, (tt, tn, ti, tw) = trees(spec)
    make("ml_tree_regressor", [mlnode("TreeEnsembleRegressor", ["h"], ["y"], n_targets=2, aggregate_function="AVERAGE", base_values=[0.2, -0.1],
                                      target_treeids=tt, target_nodeids=tn, target_ids=ti, target_weights=tw, post_transform="NONE", **a)],
         extra_opsets=ml, margin=clear_of(thresholds), tolerance=0.01)
    spec = [([(0, "BRANCH_LEQ", 4, 0.45, 1, 2), (1, "BRANCH_LEQ", 5, -0.1, 3, 4)],
             {2: [(0, 0.1), (1, 0.2), (2, 0.7)], 3: [(0, 0.8), (1, 0.1), (2, 0.1)], 4: [(0, 0.2), (1, 0.6), (2, 0.2)]}),
            ([(0, "BRANCH_GT", 0, 0.1, 1, 2), (2, "BRANCH_LT", 1, 0.3, 3, 4)],
             {1: [(0, 0.3), (1, 0.3), (2, 0.4)], 3: [(0, 0.5), (1, 0.25), (2, 0.25)], 4: [(0, 0.1), (1, 0.8), (2, 0.1)]})]
    a, (tt, tn, ti, tw) = trees(spec)
    make("ml_tree_classifier_softmax", [mlnode("TreeEnsembleClassifier", ["h"], ["label", "probabilities"], classlabels_int64s=[2, 4, 6], post_transform="SOFTMAX",
                                               class_treeids=tt, class_nodeids=tn, class_ids=ti, class_weights=tw, **a)],
         extra_opsets=ml, margin=clear_of(thresholds), outputs=[("label", i64s, [1]), ("probabilities", TensorProto.FLOAT, [1, 3])])
    spec = [([(0, "BRANCH_LT", 2, -0.2, 1, 2), (2, "BRANCH_LT", 3, 0.0, 3, 4)], {1: [(0, -0.8)], 3: [(0, 0.35)], 4: [(0, 0.6)]}),
            ([(0, "BRANCH_LT", 5, -0.1, 1, 2)], {1: [(0, 0.45)], 2: [(0, -0.3)]})]
    a, (tt, tn, ti, tw) = trees(spec)
    make("ml_tree_classifier_binary", [mlnode("TreeEnsembleClassifier", ["h"], ["label", "probabilities"], classlabels_int64s=[0, 1], post_transform="LOGISTIC",
                                              base_values=[-0.2], class_treeids=tt, class_nodeids=tn, class_ids=ti, class_weights=tw, **a)],
         extra_opsets=ml, margin=clear_of(thresholds), outputs=[("label", i64s, [1]), ("probabilities", TensorProto.FLOAT, [1, 2])])

    # ConvTranspose as a GAN generator writes it: stride 2, pads, output_padding, groups; 1-D dilated.
    make("conv_transpose", [helper.make_node("ConvTranspose", ["x", "Wt", "Bt"], ["y"], name="deconv", strides=[2, 2], pads=[1, 0, 0, 1], output_padding=[1, 0], group=2)],
         inits=[init("Wt", np.linspace(-0.5, 0.6, 2 * 2 * 3 * 2).reshape(2, 2, 3, 2)), init("Bt", [0.1, -0.1, 0.05, 0.0])], inputs=[("x", [1, 2, 3, 3])])
    make("conv_transpose1d", [helper.make_node("ConvTranspose", ["x", "Wt"], ["y"], name="deconv", strides=[3], dilations=[2], output_shape=[8])],
         inits=[init("Wt", np.linspace(0.4, -0.3, 3 * 2 * 2).reshape(3, 2, 2))], inputs=[("x", [2, 3, 3])])

    # Support-vector regressors (skl2onnx's SVR): linear, RBF and sigmoid kernels.
    sv = [round(float(v), 3) for v in np.random.default_rng(11).uniform(-0.8, 0.8, 3 * HIDDEN)]
    for kernel, params in [("LINEAR", [0.0, 0.0, 3.0]), ("RBF", [0.4, 0.0, 3.0]), ("SIGMOID", [0.5, 0.1, 3.0])]:
        make(f"ml_svr_{kernel.lower()}", [mlnode("SVMRegressor", ["h"], ["y"], kernel_type=kernel, kernel_params=params, n_supports=3,
                                                 support_vectors=sv, coefficients=[0.7, -0.4, 0.25], rho=[0.15], post_transform="NONE")],
             extra_opsets=ml, tolerance=0.02)

    # Recurrent layers as torch exports them (static sequence): directions, layouts, batch 2,
    # GRU's two reset forms, an RNN with ReLU and zero initial state / full sequence_lens given.
    def rec(name, op, t, b, i, hsz, gates, dirs, outs, layout=0, extra=(), **attrs):
        r = np.random.default_rng(sum(map(ord, name)))
        w = r.uniform(-0.6, 0.6, (dirs, gates * hsz, i))
        rr = r.uniform(-0.6, 0.6, (dirs, gates * hsz, hsz))
        bb = r.uniform(-0.2, 0.2, (dirs, 2 * gates * hsz))
        xs = [t, b, i] if layout == 0 else [b, t, i]
        names = ["x", "Wr", "Rr", "Br"] + [e[0] for e in extra]
        made = [init("Wr", w), init("Rr", rr), init("Br", bb)] + [init(n, v, dt) for n, v, dt in extra]
        y = [t, dirs, b, hsz] if layout == 0 else [b, t, dirs, hsz]
        last = [dirs, b, hsz] if layout == 0 else [b, dirs, hsz]
        ys = [(n, TensorProto.FLOAT, y if n == "Y" else last) for n in outs if n]
        make(name, [helper.make_node(op, names, [n for n in outs], name=op.lower(), hidden_size=hsz, layout=layout, **attrs)],
             inits=made, inputs=[("x", xs)], tolerance=0.05,
             outputs=[(n, TensorProto.FLOAT, sh) for n, _, sh in ys])
    rec("lstm_bidirectional_batch2", "LSTM", 3, 2, 2, 3, 4, 2, ["Y", "Y_h", "Y_c"], direction="bidirectional")
    rec("lstm_reverse", "LSTM", 3, 2, 2, 2, 4, 1, ["", "Y_h"], direction="reverse")
    rec("gru_reset_after", "GRU", 3, 1, 3, 2, 3, 2, ["Y", "Y_h"], direction="bidirectional", linear_before_reset=1)
    rec("gru_reset_before", "GRU", 3, 2, 2, 3, 3, 1, ["Y", "Y_h"], linear_before_reset=0)
    rec("rnn_relu_reverse", "RNN", 4, 1, 3, 3, 1, 1, ["Y", "Y_h"], direction="reverse", activations=["Relu"],
        extra=[("lens", [4], np.int32), ("h0", np.zeros((1, 1, 3)), np.float32)])

    # TopK with a constant K: the largest along the last axis after a Gemm; the smallest along
    # axis 0 of a [4, 3] input (values and int64 indices).
    def apart(m=0.05):
        return lambda h: all(abs(a - b) >= m for i, a in enumerate(h.flatten()) for b in h.flatten()[i + 1:])
    make("topk_largest", [helper.make_node("TopK", ["h", "k"], ["values", "indices"], name="topk", axis=-1)], inits=[init("k", [3], np.int64)],
         margin=apart(), outputs=[("values", TensorProto.FLOAT, [1, 3]), ("indices", TensorProto.INT64, [1, 3])])
    make("topk_smallest_axis0", [helper.make_node("TopK", ["x", "k"], ["values", "indices"], name="topk", axis=0, largest=0)], inits=[init("k", [2], np.int64)],
         inputs=[("x", [4, 3])], outputs=[("values", TensorProto.FLOAT, [2, 3]), ("indices", TensorProto.INT64, [2, 3])])

    # Einsum: two activations (a batched matrix product), a constant first operand with the
    # implicit output, a diagonal of one operand.
    make("einsum_batched", [helper.make_node("Einsum", ["a", "b"], ["y"], name="einsum", equation="bij,bjk->bik")], inputs=[("a", [2, 2, 3]), ("b", [2, 3, 2])])
    make("einsum_const_implicit", [helper.make_node("Einsum", ["Wc", "x"], ["y"], name="einsum", equation="jk,ij")],
         inits=[init("Wc", np.linspace(-0.7, 0.8, 12).reshape(3, 4))], inputs=[("x", [2, 3])])
    make("einsum_diagonal", [helper.make_node("Einsum", ["x"], ["y"], name="einsum", equation="ii->i")], inputs=[("x", [3, 3])])

    # Gathers with computed indices (hummingbird's tree traversal, skl2onnx's class labels): a
    # constant table by a floored index, an activation by activation indices, class labels by
    # the argmax.
    two = init("two", [2.0])
    make("gather_computed_index", [helper.make_node("Mul", ["h", "two"], ["m"]), helper.make_node("Add", ["m", "off"], ["a"]),
                                   helper.make_node("Floor", ["a"], ["f"]), helper.make_node("Clip", ["f", "lo", "hi"], ["c"]),
                                   helper.make_node("Cast", ["c"], ["i"], to=TensorProto.INT64), helper.make_node("Gather", ["table", "i"], ["y"], name="gather", axis=0)],
         inits=[two, init("off", [2.5]), init("lo", 0.0), init("hi", 4.0), init("table", np.linspace(-1.0, 1.2, 10).reshape(5, 2))],
         margin=lambda h: clear_of_integers(h * 2 + 2.5))
    make("gather_elements_computed", [helper.make_node("Mul", ["x", "two"], ["m"]), helper.make_node("Add", ["m", "off"], ["a"]),
                                      helper.make_node("Floor", ["a"], ["f"]), helper.make_node("Clip", ["f", "lo", "hi"], ["c"]),
                                      helper.make_node("Cast", ["c"], ["i"], to=TensorProto.INT64), helper.make_node("GatherElements", ["x", "i"], ["y"], name="gather", axis=1)],
         inits=[two, init("off", [2.0]), init("lo", 0.0), init("hi", 3.0)], inputs=[("x", [2, 4])])
    make("ml_array_feature_extractor_argmax", [helper.make_node("ArgMax", ["h"], ["am"], axis=1, keepdims=1),
                                               mlnode("ArrayFeatureExtractor", ["labels", "am"], ["y"])],
         inits=[init("labels", [10.0, 20.0, 30.0, 40.0, 50.0, 60.0])], extra_opsets=ml, margin=apart(), tolerance=0.001)

    # A constant larger than the activation (GaussianNB's per-class means against one sample):
    # the activation is broadcast to the constant's shape.
    make("sub_const_broadcasts_activation", [helper.make_node("Sub", ["x", "means"], ["y"], name="sub")],
         inits=[init("means", np.linspace(-0.5, 0.5, 12).reshape(1, 3, 4))], inputs=[("x", [1, 1, 4])])

    # Scatters and N-d gathers with constant indices; OneHot of computed indices.
    make("scatter_elements_add", [helper.make_node("ScatterElements", ["x", "si", "su"], ["y"], name="scatter", axis=1, reduction="add")],
         inits=[init("si", [[0, 2], [3, 3]], np.int64), init("su", [[0.5, -0.25], [0.125, 0.25]])], inputs=[("x", [2, 4])], opset=18)
    make("scatter_nd_updates", [helper.make_node("Reshape", ["h", "s23"], ["h3"]), helper.make_node("ScatterND", ["base", "ni", "h3"], ["y"], name="scatter")],
         inits=[init("s23", [2, 3], np.int64), init("base", np.linspace(-1.0, 1.0, 12).reshape(4, 3)), init("ni", [[3], [1]], np.int64)])
    make("gather_nd", [helper.make_node("GatherND", ["x", "gi"], ["y"], name="gathernd")], inits=[init("gi", [[1, 0], [0, 2], [1, 2]], np.int64)], inputs=[("x", [2, 3, 2])])
    make("one_hot_computed", [helper.make_node("Mul", ["h", "two"], ["m"]), helper.make_node("Add", ["m", "off"], ["a"]),
                              helper.make_node("Floor", ["a"], ["f"]), helper.make_node("Clip", ["f", "lo", "hi"], ["c"]),
                              helper.make_node("Cast", ["c"], ["i"], to=TensorProto.INT64),
                              helper.make_node("OneHot", ["i", "depth", "vals"], ["y"], name="onehot", axis=1)],
         inits=[two, init("off", [2.5]), init("lo", 0.0), init("hi", 4.0), init("depth", [5], np.int64), init("vals", [-0.5, 1.5])],
         margin=lambda h: clear_of_integers(h * 2 + 2.5))

    # Support-vector classifiers (skl2onnx's SVC, one-vs-one): RBF with three classes, a linear
    # kernel with three, a sigmoid kernel with two (mixed-sign coefficients). Sample inputs keep
    # every decision value clear of 0 (where a vote flips).
    def svc(name, kernel, params, per, seed):
        r = np.random.default_rng(seed)
        k, v = len(per), sum(per)
        svs = np.round(r.uniform(-0.8, 0.8, (v, HIDDEN)), 3)
        coef = np.round(r.uniform(-1.0, 1.0, (k - 1, v)), 3)
        rho = np.round(r.uniform(-0.3, 0.3, k * (k - 1) // 2), 3)

        def decisions(h):
            x = h.flatten()
            if kernel == "RBF":
                kv = np.exp(-params[0] * ((svs - x) ** 2).sum(axis=1))
            elif kernel == "SIGMOID":
                kv = np.tanh(params[0] * svs @ x + params[1])
            else:
                kv = svs @ x
            st = np.cumsum([0] + per)
            out, e = [], 0
            for i in range(k):
                for j in range(i + 1, k):
                    out.append(rho[e] + coef[j - 1, st[i]:st[i + 1]] @ kv[st[i]:st[i + 1]] + coef[i, st[j]:st[j + 1]] @ kv[st[j]:st[j + 1]])
                    e += 1
            return np.array(out)
        pairs = k * (k - 1) // 2
        make(name, [mlnode("SVMClassifier", ["h"], ["label", "scores"], classlabels_ints=list(range(3, 3 + k)), kernel_type=kernel, kernel_params=params,
                           vectors_per_class=per, support_vectors=[float(x) for x in svs.flatten()], coefficients=[float(x) for x in coef.flatten()],
                           rho=[float(x) for x in rho], post_transform="NONE")],
             extra_opsets=ml, margin=lambda h: all(abs(d) >= 0.05 for d in decisions(h)),
             outputs=[("label", i64s, [1]), ("scores", TensorProto.FLOAT, [1, 2 if pairs == 1 else pairs])])
    svc("ml_svc_rbf", "RBF", [0.5, 0.0, 3.0], [2, 3, 2], 5)
    svc("ml_svc_linear", "LINEAR", [0.0, 0.0, 3.0], [2, 2, 1], 6)
    svc("ml_svc_sigmoid_binary", "SIGMOID", [0.4, 0.1, 3.0], [2, 3], 7)

    # If on a condition known at compile time (torch's shape checks): the taken branch is inlined;
    # it reads the outer activation and has its own initializer.
    then_g = helper.make_graph([helper.make_node("Mul", ["h", "tw"], ["t_out"]), helper.make_node("Relu", ["t_out"], ["t_y"])], "then", [],
                               [helper.make_tensor_value_info("t_y", TensorProto.FLOAT, [1, HIDDEN])], initializer=[init("tw", [1.5])])
    else_g = helper.make_graph([helper.make_node("Neg", ["h"], ["e_y"])], "else", [], [helper.make_tensor_value_info("e_y", TensorProto.FLOAT, [1, HIDDEN])])
    make("if_static_condition", [helper.make_node("Shape", ["h"], ["sh"]), helper.make_node("Size", ["sh"], ["n"]),
                                 helper.make_node("Greater", ["n", "one_i"], ["cond"]),
                                 helper.make_node("If", ["cond"], ["y"], name="if", then_branch=then_g, else_branch=else_g)],
         inits=[init("one_i", 1, np.int64)], out_shape=[1, HIDDEN])

    # If on a condition computed from the input (sum(h) > 0): both branches are proven and each
    # output selected by a Where of the condition; one sample takes each branch.
    for name, side in [("if_computed_then", 1.0), ("if_computed_else", -1.0)]:
        then_c = helper.make_graph([helper.make_node("Mul", ["h", "ctw"], ["ct_out"]), helper.make_node("Relu", ["ct_out"], ["ct_y"])], "then", [],
                                   [helper.make_tensor_value_info("ct_y", TensorProto.FLOAT, [1, HIDDEN])], initializer=[init("ctw", [1.5])])
        else_c = helper.make_graph([helper.make_node("Neg", ["h"], ["ce_y"])], "else", [], [helper.make_tensor_value_info("ce_y", TensorProto.FLOAT, [1, HIDDEN])])
        make(name, [helper.make_node("ReduceSum", ["h"], ["total"], keepdims=0), helper.make_node("Greater", ["total", "zero"], ["cond"]),
                    helper.make_node("If", ["cond"], ["y"], name="if", then_branch=then_c, else_branch=else_c)],
             inits=[init("zero", 0.0)], out_shape=[1, HIDDEN], margin=lambda h, side=side: side * float(h.sum()) > 0.05)

    # Integer division by constants: Mod (fmod 0, the divisor's sign) and truncating Div, with
    # positive and negative divisors and dividends.
    divs = init("divs", [3, -4, 5, 3, -2, 7], np.int64)
    for name, op in [("mod_int", "Mod"), ("div_int", "Div")]:
        make(name, [helper.make_node("Mul", ["h", "ten"], ["m"]), helper.make_node("Cast", ["m"], ["i"], to=TensorProto.INT64),
                    helper.make_node(op, ["i", "divs"], ["y"], name=op.lower())],
             inits=[init("ten", [10.0]), divs], margin=lambda h: clear_of_integers(h * 10), out_type=TensorProto.INT64, tolerance=0.001)

    # Gemm of two graph inputs (torch's mm/addmm of two tensors): products, then alpha and C.
    make("gemm_two_activations", [helper.make_node("Gemm", ["a", "b", "c"], ["y"], name="gemm", alpha=0.5, beta=2.0, transB=1)],
         inits=[init("c", [0.25, -0.5, 0.125])], inputs=[("a", [2, 4]), ("b", [3, 4])])
    make("gemm_three_activations", [helper.make_node("Gemm", ["a", "b", "c"], ["y"], name="gemm", alpha=1.5, beta=0.5, transA=1)],
         inputs=[("a", [4, 2]), ("b", [4, 3]), ("c", [3])])

    # Loop with a constant trip count (tf2onnx's recurrent layers): a carried state read by the
    # body with an outer tensor, the iteration number cast and scaled, and a scan output.
    f32 = TensorProto.FLOAT
    body = helper.make_graph(
        [helper.make_node("Mul", ["s_in", "half"], ["m"]), helper.make_node("Add", ["m", "h"], ["a"]),
         helper.make_node("Cast", ["it"], ["itf"], to=f32), helper.make_node("Mul", ["itf", "tenth"], ["step"]),
         helper.make_node("Add", ["a", "step"], ["b"]), helper.make_node("Tanh", ["b"], ["s_out"]),
         helper.make_node("Identity", ["cond_in"], ["cond_out"]), helper.make_node("Identity", ["s_out"], ["scan"])],
        "body",
        [helper.make_tensor_value_info("it", TensorProto.INT64, []), helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("s_in", f32, [1, HIDDEN])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []), helper.make_tensor_value_info("s_out", f32, [1, HIDDEN]),
         helper.make_tensor_value_info("scan", f32, [1, HIDDEN])],
        initializer=[init("half", [0.5]), init("tenth", [0.1])])
    make("loop_static", [helper.make_node("Loop", ["trip", "go", "s0"], ["s_final", "scans"], name="loop", body=body)],
         inits=[init("trip", 3, np.int64), init("go", True, np.bool_), init("s0", np.zeros((1, HIDDEN)))],
         outputs=[("s_final", f32, [1, HIDDEN]), ("scans", f32, [3, 1, HIDDEN])])

    MANIFEST.sort(key=lambda m: m["name"])
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(MANIFEST, f, indent=1)
        f.write("\n")
    print(f"{len(MANIFEST)} models in {OUT}")


if __name__ == "__main__":
    main()
