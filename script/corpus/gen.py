#!/usr/bin/env python3
"""Deterministic generator of the ONNX conformance corpus (models/corpus/).

Every model is produced by a real exporter (skl2onnx, onnxmltools, hummingbird, torch.onnx's
TorchScript exporter, tf2onnx), together with a sample input and the output onnxruntime computes
for it. See script/corpus/README.md.

Run:  script/corpus/setup && .venv-corpus/bin/python script/corpus/gen.py [OUT_DIR] [--only SUBSTR]
OUT_DIR defaults to models/corpus. With --only, only the matching models are written and the
manifest is left alone (for iterating on one model).

Re-running reproduces the same bytes: fixed seeds per model (derived from its name), one thread
everywhere, PYTHONHASHSEED=0, fixed opsets and explicit graph names.
"""
import os
import sys

# Fixed environment for determinism (and modest CPU use); re-exec once if it is not in force.
_ENV = {
    "PYTHONHASHSEED": "0",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "TF_NUM_INTRAOP_THREADS": "1",
    "TF_NUM_INTEROP_THREADS": "1",
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "TF_DETERMINISTIC_OPS": "1",
    "CUDA_VISIBLE_DEVICES": "",
    "PYTHONWARNINGS": "ignore",
}
if any(os.environ.get(k) != v for k, v in _ENV.items()):
    os.environ.update(_ENV)
    os.execv(sys.executable, [sys.executable] + sys.argv)

import contextlib  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import random  # noqa: E402
import tempfile  # noqa: E402
import traceback  # noqa: E402
import warnings  # noqa: E402
import zlib  # noqa: E402

warnings.filterwarnings("ignore")
logging.disable(logging.WARNING)

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)
ort.set_default_logger_severity(3)

HERE = os.path.dirname(os.path.abspath(__file__))
ARGS = [a for a in sys.argv[1:]]
ONLY = None
if "--only" in ARGS:
    i = ARGS.index("--only")
    ONLY = ARGS[i + 1]
    del ARGS[i : i + 2]
OUT = os.path.abspath(ARGS[0] if ARGS else os.path.join(HERE, "..", "..", "models", "corpus"))

TORCH_OPSET = 17
SKL_OPSET = {"": 17, "ai.onnx.ml": 3}
OMT_OPSET = 15  # the highest onnxmltools' XGBoost/LightGBM converters accept
MAX_PARAMS = 20000
MAX_INPUT = 1000

MODELS = []  # (name, builder)


def register(name):
    def deco(fn):
        MODELS.append((name, fn))
        return fn

    return deco


def seed_of(name):
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


RNG = np.random.default_rng(0)  # reset per model by the runner


def U(*shape, lo=-1.0, hi=1.0):
    """A sample input: uniform in [lo, hi], rounded to 6 decimals (what input.json stores)."""
    return np.round(RNG.uniform(lo, hi, size=shape), 6).astype(np.float32)


def rounded(x):
    return np.round(np.asarray(x, dtype=np.float64), 6).astype(np.float32)


def entry(model, inputs, exporter, family, notes=""):
    return {"model": model, "inputs": list(inputs), "exporter": exporter, "family": family, "notes": notes}


# ----------------------------------------------------------------------------------------------
# Datasets (all ship with scikit-learn)
# ----------------------------------------------------------------------------------------------
_DS = {}
ROW = {"iris": 70, "breast_cancer": 13, "wine": 60, "diabetes": 5, "digits": 11}


def ds(name):
    if name not in _DS:
        from sklearn import datasets

        X, y = getattr(datasets, "load_" + name)(return_X_y=True)
        X = rounded(X)
        _DS[name] = (X, y)
    return _DS[name]


def standardise(X):
    mu = X.astype(np.float64).mean(axis=0)
    sd = X.astype(np.float64).std(axis=0)
    sd[sd == 0] = 1.0
    return rounded((X - mu) / sd)


def row(X, name):
    return X[ROW[name] : ROW[name] + 1].astype(np.float32)


# ----------------------------------------------------------------------------------------------
# Exporters
# ----------------------------------------------------------------------------------------------
def skl(name, est, n_features, family, x, zipmap=False, notes="", options=None):
    from sklearn.base import is_classifier
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType

    opts = dict(options or {})
    final = est.steps[-1][1] if hasattr(est, "steps") else est
    if is_classifier(final) and zipmap is not None:
        opts.setdefault(id(final), {})["zipmap"] = zipmap
    onx = convert_sklearn(
        est,
        name=name,
        initial_types=[("input", FloatTensorType([1, n_features]))],
        target_opset=SKL_OPSET,
        options=opts or None,
    )
    return entry(onx, [x], "skl2onnx", family, notes)


def omt(name, est, n_features, family, x, notes=""):
    from onnxmltools import convert_lightgbm, convert_xgboost
    from onnxmltools.convert.common.data_types import FloatTensorType

    types = [("input", FloatTensorType([1, n_features]))]
    if type(est).__module__.startswith("xgboost"):
        onx = convert_xgboost(est, name=name, initial_types=types, target_opset=OMT_OPSET)
    else:
        onx = convert_lightgbm(est, name=name, initial_types=types, target_opset=OMT_OPSET, zipmap=False)
    return entry(onx, [x], "onnxmltools", family, notes)


def hbx(name, est, x, strategy, family="tree", notes=""):
    import hummingbird.ml as hb

    cfg = {"onnx_model_name": name}
    if strategy:
        cfg["tree_implementation"] = strategy
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:  # hummingbird writes a temporary .onnx into the cwd
        os.chdir(tmp)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                m = hb.convert(est, "onnx", x, extra_config=cfg)
        finally:
            os.chdir(cwd)
    note = (f"tree_implementation={strategy}; " if strategy else "") + "batch axis symbolic ('sym'), as hummingbird exports it"
    return entry(m.model, [x], "hummingbird", family, (notes + "; " if notes else "") + note)


def tx(module, inputs, family, notes="", opset=TORCH_OPSET, input_names=None, output_names=None, dynamic_batch=False, training=None):
    """torch.onnx.export with the TorchScript (legacy) exporter."""
    module.eval()
    inputs = [np.asarray(a, dtype=np.float32) for a in inputs]
    input_names = input_names or (["input"] if len(inputs) == 1 else [f"input_{i}" for i in range(len(inputs))])
    with torch.no_grad():
        n_out = module(*[torch.from_numpy(a) for a in inputs])
    n_out = len(n_out) if isinstance(n_out, (tuple, list)) else 1
    output_names = output_names or (["output"] if n_out == 1 else [f"output_{i}" for i in range(n_out)])
    kw = {}
    if dynamic_batch:
        kw["dynamic_axes"] = {n: {0: "batch"} for n in input_names + output_names}
        notes = (notes + "; " if notes else "") + "exported with a dynamic batch axis so the shape subgraph is kept; sample has batch 1"
    if training is not None:
        kw["training"] = training
    f = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(
            module,
            tuple(torch.from_numpy(a) for a in inputs),
            f,
            opset_version=opset,
            dynamo=False,
            input_names=input_names,
            output_names=output_names,
            do_constant_folding=True,
            **kw,
        )
    return entry(onnx.load_from_string(f.getvalue()), inputs, "torch", family, notes)


class Fn(nn.Module):
    """A module whose forward is `fn(self, *inputs)`, with sub-modules given as keywords."""

    def __init__(self, fn, **mods):
        super().__init__()
        self.fn = fn
        for k, v in mods.items():
            setattr(self, k, v)

    def forward(self, *xs):
        return self.fn(self, *xs)


def train_torch(model, X, y, steps=150, lr=0.05, loss="ce"):
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    Xt, yt = torch.from_numpy(np.asarray(X, np.float32)), torch.from_numpy(np.asarray(y))
    lossf = nn.CrossEntropyLoss() if loss == "ce" else nn.MSELoss()
    for _ in range(steps):
        opt.zero_grad()
        out = model(Xt)
        lossf(out, yt.long() if loss == "ce" else yt.float()).backward()
        opt.step()
    model.eval()
    return model


# ==============================================================================================
# skl2onnx
# ==============================================================================================
def _skl_models():
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA
    from sklearn.ensemble import (
        GradientBoostingClassifier,
        GradientBoostingRegressor,
        RandomForestClassifier,
        RandomForestRegressor,
    )
    from sklearn.linear_model import Lasso, LinearRegression, LogisticRegression, Ridge
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import Binarizer, MinMaxScaler, Normalizer, PolynomialFeatures, StandardScaler
    from sklearn.svm import SVC, SVR, LinearSVC
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    def pipe(*steps):
        return Pipeline([(f"s{i}", s) for i, s in enumerate(steps)])

    @register("skl_logreg_credit_pipeline")
    def _(name):
        X, y = ds("breast_cancer")
        m = pipe(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, y)
        return skl(name, m, 30, "linear", row(X, "breast_cancer"), notes="credit-scorer style: StandardScaler+LogisticRegression on breast_cancer; raw input")

    @register("skl_logreg_iris_multiclass")
    def _(name):
        X, y = ds("iris")
        m = LogisticRegression(max_iter=1000).fit(X, y)
        return skl(name, m, 4, "linear", row(X, "iris"))

    @register("skl_logreg_wine_zipmap")
    def _(name):
        X, y = ds("wine")
        m = pipe(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, y)
        return skl(name, m, 13, "linear", row(X, "wine"), zipmap=True,
                   notes="default ZipMap output: a sequence of maps; expected records it as the probabilities in class order")

    @register("skl_logreg_wine_nozipmap")
    def _(name):
        X, y = ds("wine")
        m = pipe(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, y)
        return skl(name, m, 13, "linear", row(X, "wine"), zipmap=False, notes="same model as skl_logreg_wine_zipmap with options zipmap=False")

    @register("skl_linreg_diabetes")
    def _(name):
        X, y = ds("diabetes")
        return skl(name, LinearRegression().fit(X, y), 10, "linear", row(X, "diabetes"))

    @register("skl_ridge_diabetes")
    def _(name):
        X, y = ds("diabetes")
        return skl(name, Ridge(alpha=1.0).fit(X, y), 10, "linear", row(X, "diabetes"))

    @register("skl_lasso_diabetes")
    def _(name):
        X, y = ds("diabetes")
        return skl(name, Lasso(alpha=0.1).fit(X, y), 10, "linear", row(X, "diabetes"))

    @register("skl_poly_ridge_diabetes")
    def _(name):
        X, y = ds("diabetes")
        m = pipe(PolynomialFeatures(degree=2), Ridge(alpha=0.5)).fit(X[:, :4], y)
        return skl(name, m, 4, "linear", X[5:6, :4], notes="PolynomialFeatures(2)+Ridge on the first 4 diabetes features")

    @register("skl_linearsvc_wine")
    def _(name):
        X, y = ds("wine")
        Xs = standardise(X)
        m = LinearSVC(C=0.5, random_state=0).fit(Xs, y)
        return skl(name, m, 13, "linear", row(Xs, "wine"), zipmap=None, notes="trained on standardised wine; input standardised")

    @register("skl_svc_linear_iris")
    def _(name):
        X, y = ds("iris")
        return skl(name, SVC(kernel="linear").fit(X, y), 4, "svm", row(X, "iris"))

    @register("skl_svc_rbf_iris")
    def _(name):
        X, y = ds("iris")
        return skl(name, SVC(kernel="rbf", C=1.0, gamma="scale").fit(X, y), 4, "svm", row(X, "iris"))

    @register("skl_svc_rbf_proba_iris")
    def _(name):
        X, y = ds("iris")
        m = SVC(kernel="rbf", probability=True, random_state=0).fit(X, y)
        return skl(name, m, 4, "svm", row(X, "iris"), notes="probability=True (Platt scaling)")

    @register("skl_svr_linear_diabetes")
    def _(name):
        X, y = ds("diabetes")
        Xs, ys = standardise(X)[:80], standardise(y.reshape(-1, 1)).ravel()[:80]
        m = SVR(kernel="linear", C=1.0).fit(Xs, ys)
        return skl(name, m, 10, "svm", row(Xs, "diabetes"), notes="trained on the first 80 standardised diabetes rows (standardised target); input standardised")

    @register("skl_dtree_clf_iris")
    def _(name):
        X, y = ds("iris")
        return skl(name, DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y), 4, "tree", row(X, "iris"))

    @register("skl_dtree_reg_diabetes")
    def _(name):
        X, y = ds("diabetes")
        return skl(name, DecisionTreeRegressor(max_depth=4, random_state=0).fit(X, y), 10, "tree", row(X, "diabetes"))

    @register("skl_rf_clf_wine")
    def _(name):
        X, y = ds("wine")
        m = RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0, n_jobs=1).fit(X, y)
        return skl(name, m, 13, "tree", row(X, "wine"))

    @register("skl_rf_reg_diabetes")
    def _(name):
        X, y = ds("diabetes")
        m = RandomForestRegressor(n_estimators=3, max_depth=3, random_state=0, n_jobs=1).fit(X, y)
        return skl(name, m, 10, "tree", row(X, "diabetes"))

    @register("skl_gb_clf_credit")
    def _(name):
        X, y = ds("breast_cancer")
        m = GradientBoostingClassifier(n_estimators=5, max_depth=2, learning_rate=0.5, random_state=0).fit(X, y)
        return skl(name, m, 30, "tree", row(X, "breast_cancer"), notes="binary")

    @register("skl_gb_clf_iris")
    def _(name):
        X, y = ds("iris")
        m = GradientBoostingClassifier(n_estimators=3, max_depth=2, learning_rate=0.5, random_state=0).fit(X, y)
        return skl(name, m, 4, "tree", row(X, "iris"), notes="multiclass")

    @register("skl_gb_reg_diabetes")
    def _(name):
        X, y = ds("diabetes")
        m = GradientBoostingRegressor(n_estimators=5, max_depth=2, random_state=0).fit(X, y)
        return skl(name, m, 10, "tree", row(X, "diabetes"))

    @register("skl_mlp_clf_digits_pipeline")
    def _(name):
        X, y = ds("digits")
        m = pipe(StandardScaler(), MLPClassifier(hidden_layer_sizes=(16,), max_iter=60, random_state=0)).fit(X, y)
        return skl(name, m, 64, "mlp", row(X, "digits"), notes="StandardScaler+MLPClassifier on 8x8 digits; raw pixels as input")

    @register("skl_mlp_reg_diabetes")
    def _(name):
        X, y = ds("diabetes")
        Xs, ys = standardise(X), standardise(y.reshape(-1, 1)).ravel()
        m = MLPRegressor(hidden_layer_sizes=(8,), max_iter=200, random_state=0).fit(Xs, ys)
        return skl(name, m, 10, "mlp", row(Xs, "diabetes"), notes="trained on standardised data; input standardised")

    @register("skl_gaussian_nb_iris")
    def _(name):
        X, y = ds("iris")
        return skl(name, GaussianNB().fit(X, y), 4, "bayes", row(X, "iris"))

    @register("skl_kmeans_iris")
    def _(name):
        X, _ = ds("iris")
        m = KMeans(n_clusters=3, n_init=1, random_state=0).fit(X)
        return skl(name, m, 4, "cluster", row(X, "iris"), notes="outputs label and distances to the centres")

    @register("skl_pca_digits")
    def _(name):
        X, _ = ds("digits")
        return skl(name, PCA(n_components=8, random_state=0).fit(X), 64, "decomposition", row(X, "digits"))

    @register("skl_standard_scaler_wine")
    def _(name):
        X, _ = ds("wine")
        return skl(name, StandardScaler().fit(X), 13, "preprocessing", row(X, "wine"))

    @register("skl_minmax_scaler_wine")
    def _(name):
        X, _ = ds("wine")
        return skl(name, MinMaxScaler().fit(X), 13, "preprocessing", row(X, "wine"))

    @register("skl_normalizer_l2")
    def _(name):
        X, _ = ds("wine")
        return skl(name, Normalizer(norm="l2").fit(X), 13, "preprocessing", row(X, "wine"))

    @register("skl_normalizer_max")
    def _(name):
        X, _ = ds("wine")
        return skl(name, Normalizer(norm="max").fit(X), 13, "preprocessing", row(X, "wine"))

    @register("skl_binarizer")
    def _(name):
        X, _ = ds("iris")
        return skl(name, Binarizer(threshold=3.0).fit(X), 4, "preprocessing", row(X, "iris"))


# ==============================================================================================
# onnxmltools (XGBoost, LightGBM)
# ==============================================================================================
def _xgb(kind, **kw):
    import xgboost as xgb

    cls = xgb.XGBClassifier if kind == "clf" else xgb.XGBRegressor
    return cls(n_jobs=1, random_state=0, tree_method="exact", **kw)


def _lgbm(kind, **kw):
    import lightgbm as lgb

    cls = lgb.LGBMClassifier if kind == "clf" else lgb.LGBMRegressor
    return cls(n_jobs=1, random_state=0, deterministic=True, force_row_wise=True, verbose=-1, **kw)


def _omt_models():
    @register("omt_xgb_clf_credit")
    def _(name):
        X, y = ds("breast_cancer")
        m = _xgb("clf", n_estimators=4, max_depth=3).fit(X, y)
        return omt(name, m, 30, "tree", row(X, "breast_cancer"), notes="binary")

    @register("omt_xgb_clf_iris")
    def _(name):
        X, y = ds("iris")
        m = _xgb("clf", n_estimators=3, max_depth=2).fit(X, y)
        return omt(name, m, 4, "tree", row(X, "iris"), notes="multiclass")

    @register("omt_xgb_reg_diabetes")
    def _(name):
        X, y = ds("diabetes")
        m = _xgb("reg", n_estimators=4, max_depth=3).fit(X, y)
        return omt(name, m, 10, "tree", row(X, "diabetes"))

    @register("omt_lgbm_clf_credit")
    def _(name):
        X, y = ds("breast_cancer")
        m = _lgbm("clf", n_estimators=4, max_depth=3, num_leaves=7).fit(X, y)
        return omt(name, m, 30, "tree", row(X, "breast_cancer"), notes="binary; zipmap=False")

    @register("omt_lgbm_clf_iris")
    def _(name):
        X, y = ds("iris")
        m = _lgbm("clf", n_estimators=3, max_depth=2, num_leaves=4, min_child_samples=5).fit(X, y)
        return omt(name, m, 4, "tree", row(X, "iris"), notes="multiclass; zipmap=False")

    @register("omt_lgbm_reg_diabetes")
    def _(name):
        X, y = ds("diabetes")
        m = _lgbm("reg", n_estimators=4, max_depth=3, num_leaves=7).fit(X, y)
        return omt(name, m, 10, "tree", row(X, "diabetes"))


# ==============================================================================================
# hummingbird (tree ensembles compiled to tensor ops)
# ==============================================================================================
def _hb_models():
    from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeClassifier

    def dtree():
        X, y = ds("iris")
        return DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y), row(X, "iris")

    def rf():
        X, y = ds("wine")
        return RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0, n_jobs=1).fit(X, y), row(X, "wine")

    def gbr():
        X, y = ds("diabetes")
        return GradientBoostingRegressor(n_estimators=4, max_depth=2, random_state=0).fit(X, y), row(X, "diabetes")

    def gbc():
        X, y = ds("breast_cancer")
        return GradientBoostingClassifier(n_estimators=4, max_depth=2, learning_rate=0.5, random_state=0).fit(X, y), row(X, "breast_cancer")

    def lgbm():
        X, y = ds("iris")
        return _lgbm("clf", n_estimators=3, max_depth=2, num_leaves=4, min_child_samples=5).fit(X, y), row(X, "iris")

    # XGBoost through hummingbird is not in the corpus: hummingbird 0.4.12 parses base_score with float(),
    # and XGBoost 3 stores it as a vector string ('[1.52E2]'), so conversion fails. LightGBM stands in.

    for tag, make in [("dtree_clf_iris", dtree), ("rf_clf_wine", rf), ("gb_reg_diabetes", gbr), ("gb_clf_credit", gbc),
                      ("lgbm_clf_iris", lgbm)]:
        for strat in ["gemm", "tree_trav"]:
            def build(name, make=make, strat=strat):
                m, x = make()
                return hbx(name, m, x, strat)

            register(f"hb_{tag}_{strat}")(build)

    @register("hb_dtree_clf_iris_perf_tree_trav")
    def _(name):
        m, x = dtree()
        return hbx(name, m, x, "perf_tree_trav")

    @register("hb_logreg_credit_pipeline")
    def _(name):
        X, y = ds("breast_cancer")
        m = Pipeline([("scaler", StandardScaler()), ("clf", LogisticRegression(max_iter=1000))]).fit(X, y)
        return hbx(name, m, row(X, "breast_cancer"), None, family="linear", notes="StandardScaler+LogisticRegression; raw input")


# ==============================================================================================
# torch: neural models
# ==============================================================================================
def _torch_neural():
    @register("t_mlp_iris")
    def _(name):
        X, y = ds("iris")
        Xs = standardise(X)
        m = train_torch(nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3)), Xs, y, steps=150)
        return tx(m, [row(Xs, "iris")], "mlp", "trained 150 Adam steps on standardised iris; input standardised")

    def cnn():
        return nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 10)
        )

    def digits_images():
        X, y = ds("digits")
        return rounded(X / 16.0).reshape(-1, 1, 8, 8), y

    @register("t_cnn_bn_maxpool_digits")
    def _(name):
        Xi, y = digits_images()
        m = train_torch(cnn(), Xi, y, steps=40, lr=0.02)
        return tx(m, [Xi[ROW["digits"] : ROW["digits"] + 1]], "cnn",
                  "Conv(pad=1)+BatchNorm+ReLU+MaxPool+Linear trained 40 steps on 8x8 digits (pixels/16); "
                  "exported with training=PRESERVE so BatchNormalization is kept", training=torch.onnx.TrainingMode.PRESERVE)

    @register("t_cnn_bn_fused_digits")
    def _(name):
        Xi, y = digits_images()
        m = train_torch(cnn(), Xi, y, steps=40, lr=0.02)
        return tx(m, [Xi[ROW["digits"] : ROW["digits"] + 1]], "cnn", "same as t_cnn_bn_maxpool_digits, default export (BatchNorm folded into Conv)")

    @register("t_depthwise_separable_cnn")
    def _(name):
        m = nn.Sequential(
            nn.Conv2d(4, 4, 3, padding=1, groups=4), nn.ReLU(), nn.Conv2d(4, 8, 1), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 3),
        )
        return tx(m, [U(1, 4, 8, 8)], "cnn", "depthwise Conv (groups=4) then pointwise 1x1 Conv, global average pool")

    @register("t_conv1d")
    def _(name):
        m = nn.Sequential(nn.Conv1d(2, 4, 3, padding=1), nn.ReLU(), nn.MaxPool1d(2), nn.Conv1d(4, 4, 3, stride=2),
                          nn.Flatten(), nn.Linear(12, 2))
        return tx(m, [U(1, 2, 16)], "cnn")

    @register("t_conv3d")
    def _(name):
        m = nn.Sequential(nn.Conv3d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool3d(2), nn.Flatten(), nn.Linear(16, 2))
        return tx(m, [U(1, 1, 4, 4, 4)], "cnn")

    @register("t_dilated_conv")
    def _(name):
        m = nn.Sequential(nn.Conv2d(1, 2, 3, dilation=2), nn.ReLU(), nn.Flatten(), nn.Linear(72, 3))
        return tx(m, [U(1, 1, 10, 10)], "cnn", "dilation=2")

    @register("t_strided_conv_avgpool")
    def _(name):
        m = nn.Sequential(nn.Conv2d(2, 4, 3, stride=2, padding=1), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(16, 2))
        return tx(m, [U(1, 2, 8, 8)], "cnn", "stride 2 conv, AveragePool")

    @register("t_gan_generator")
    def _(name):
        m = Fn(lambda s, z: torch.tanh(s.deconv(torch.relu(s.fc(z)).view(-1, 4, 4, 4))),
               fc=nn.Linear(8, 64), deconv=nn.ConvTranspose2d(4, 2, 4, stride=2, padding=1))
        return tx(m, [U(1, 8)], "cnn", "tiny GAN generator: Linear -> reshape -> ConvTranspose2d(stride 2) -> Tanh")

    def rnn_cls(cell, **kw):
        def fwd(s, x):
            out, h = s.rnn(x)
            h = h[0] if isinstance(h, tuple) else h
            return s.fc(h[-1])

        return Fn(fwd, rnn=cell(4, 8, batch_first=True, **kw), fc=nn.Linear(8, 3))

    @register("t_lstm_classifier")
    def _(name):
        return tx(rnn_cls(nn.LSTM), [U(1, 8, 4)], "rnn", "seq 8, hidden 8, last hidden state -> Linear")

    @register("t_gru_classifier")
    def _(name):
        return tx(rnn_cls(nn.GRU), [U(1, 8, 4)], "rnn", "seq 8, hidden 8")

    @register("t_rnn_classifier")
    def _(name):
        return tx(rnn_cls(nn.RNN), [U(1, 8, 4)], "rnn", "Elman RNN (tanh), seq 8, hidden 8")

    @register("t_lstm_bidirectional_seq")
    def _(name):
        m = Fn(lambda s, x: s.fc(s.rnn(x)[0]), rnn=nn.LSTM(3, 4, batch_first=True, bidirectional=True), fc=nn.Linear(8, 2))
        return tx(m, [U(1, 6, 3)], "rnn", "bidirectional LSTM, per-step outputs")

    class Block(nn.Module):
        """GPT-style decoder block (nanoGPT layout): pre-LN, causal multi-head self-attention, GELU MLP."""

        def __init__(self, d=16, h=2, T=8, mask_mode="inf"):
            super().__init__()
            self.h, self.mask_mode = h, mask_mode
            self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
            self.fc1, self.fc2 = nn.Linear(d, 2 * d), nn.Linear(2 * d, d)
            self.register_buffer("causal", torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1))
            self.register_buffer("addmask", torch.triu(torch.full((T, T), -1e4), diagonal=1))

        def forward(self, x):
            B, T, C = x.shape
            q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
            q = q.view(B, T, self.h, C // self.h).transpose(1, 2)
            k = k.view(B, T, self.h, C // self.h).transpose(1, 2)
            v = v.view(B, T, self.h, C // self.h).transpose(1, 2)
            att = (q @ k.transpose(-2, -1)) * (1.0 / (C // self.h) ** 0.5)
            if self.mask_mode == "inf":
                att = att.masked_fill(self.causal[:T, :T], float("-inf"))
            else:
                att = att + self.addmask[:T, :T]
            att = F.softmax(att, dim=-1)
            y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
            x = x + self.proj(y)
            return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))

    @register("t_gpt_block")
    def _(name):
        return tx(Block(), [U(1, 8, 16)], "transformer",
                  "T=8, d=16, 2 heads; token embeddings as a float input; causal mask via masked_fill(-inf); LayerNormalization (opset 17)")

    @register("t_gpt_block_op13_addmask")
    def _(name):
        return tx(Block(mask_mode="add"), [U(1, 8, 16)], "transformer",
                  "same block, additive -1e4 causal mask, opset 13 (LayerNorm decomposed)", opset=13)

    @register("t_sdpa_attention")
    def _(name):
        m = Fn(lambda s, x: F.scaled_dot_product_attention(*s.qkv(x).view(1, 6, 3, 8).unbind(2), is_causal=True),
               qkv=nn.Linear(8, 24))
        return tx(m, [U(1, 6, 8)], "transformer", "F.scaled_dot_product_attention(is_causal=True)")

    @register("t_two_inputs")
    def _(name):
        m = Fn(lambda s, a, b: s.fc(torch.cat([a, b], dim=1)) * torch.sigmoid(s.gate(b)), fc=nn.Linear(8, 4), gate=nn.Linear(4, 4))
        return tx(m, [U(1, 4), U(1, 4)], "mlp", "forward(a, b)", input_names=["a", "b"])

    @register("t_batch4_mlp")
    def _(name):
        m = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 2))
        return tx(m, [U(4, 6)], "mlp", "batch 4")

    @register("t_residual_mlp")
    def _(name):
        m = Fn(lambda s, x: x + s.b(torch.relu(s.a(x))), a=nn.Linear(8, 8), b=nn.Linear(8, 8))
        return tx(m, [U(1, 8)], "mlp", "residual connection")


# ==============================================================================================
# torch: element-wise ops (a Linear, then the op)
# ==============================================================================================
def _torch_elementwise():
    def prelu():
        p = nn.PReLU(6)
        with torch.no_grad():
            p.weight.copy_(torch.linspace(0.05, 0.3, 6))
        return p

    ops = [
        ("abs", lambda s, h: torch.abs(h), None),
        ("neg", lambda s, h: -h, None),
        ("sign", lambda s, h: torch.sign(h), None),
        ("relu", lambda s, h: torch.relu(h), None),
        ("leaky_relu", lambda s, h: F.leaky_relu(h, 0.1), None),
        ("prelu", lambda s, h: s.act(h), prelu),
        ("elu", lambda s, h: F.elu(h), None),
        ("selu", lambda s, h: F.selu(h), None),
        ("celu", lambda s, h: F.celu(h, alpha=0.5), None),
        ("hardsigmoid", lambda s, h: F.hardsigmoid(h), None),
        ("hardswish", lambda s, h: F.hardswish(h), None),
        ("hardtanh", lambda s, h: F.hardtanh(h, -0.5, 0.5), None),
        ("relu6", lambda s, h: F.relu6(h * 4), None),
        ("sigmoid", lambda s, h: torch.sigmoid(h), None),
        ("tanh", lambda s, h: torch.tanh(h), None),
        ("silu", lambda s, h: F.silu(h), None),
        ("softplus", lambda s, h: F.softplus(h), None),
        ("softsign", lambda s, h: F.softsign(h), None),
        ("mish", lambda s, h: F.mish(h), None),
        ("gelu_erf", lambda s, h: F.gelu(h), None),
        ("gelu_tanh", lambda s, h: F.gelu(h, approximate="tanh"), None),
        ("erf", lambda s, h: torch.erf(h), None),
        ("log_x2p1", lambda s, h: torch.log(h * h + 1), None),
        ("exp", lambda s, h: torch.exp(h), None),
        ("pow3", lambda s, h: h.pow(3), None),
        ("sqrt_x2p1", lambda s, h: torch.sqrt(h * h + 1), None),
        ("reciprocal", lambda s, h: 1.0 / (h * h + 1), None),
        ("sin", lambda s, h: torch.sin(h), None),
        ("cos", lambda s, h: torch.cos(h), None),
        ("tan_bounded", lambda s, h: torch.tan(torch.tanh(h)), None),
        ("atan", lambda s, h: torch.atan(h), None),
        ("max_min", lambda s, h: torch.cat([torch.maximum(torch.relu(h), torch.sigmoid(h)), torch.minimum(torch.tanh(h), torch.relu(h))], 1), None),
        ("clamp", lambda s, h: torch.clamp(h, -0.5, 0.5), None),
        ("softmax", lambda s, h: torch.softmax(h, dim=1), None),
        ("square_mul", lambda s, h: h * h * 0.5 - h, None),
        ("div_act", lambda s, h: h / (torch.abs(h) + 1.0), None),
    ]
    notes = {"tan_bounded": "tan(tanh(x)) keeps the argument in (-1, 1)", "max_min": "torch.maximum/minimum of two activations",
             "div_act": "x / (|x| + 1): Div of two activations"}
    for op, fn, mk in ops:
        def build(name, fn=fn, mk=mk, op=op):
            mods = {"lin": nn.Linear(6, 6)}
            if mk:
                mods["act"] = mk()
            m = Fn(lambda s, x, fn=fn: fn(s, s.lin(x)), **mods)
            return tx(m, [U(1, 6)], "elementwise", notes.get(op, ""))

        register(f"e_{op}")(build)


# ==============================================================================================
# torch: reductions, layers, logic
# ==============================================================================================
def _torch_layers():
    def lin_model(fn, n_in=6, n_out=6, **mods):
        return Fn(lambda s, x: fn(s, s.lin(x)), lin=nn.Linear(n_in, n_out), **mods)

    def conv_model(fn, c=2, **mods):
        return Fn(lambda s, x: fn(s, s.conv(x)), conv=nn.Conv2d(c, c, 1), **mods)

    # (name, family, module factory, input shapes, notes)
    L = [
        ("log_softmax", "reduction", lambda: lin_model(lambda s, h: F.log_softmax(h, dim=1)), [(1, 6)], ""),
        ("argmax", "reduction", lambda: lin_model(lambda s, h: torch.argmax(h, dim=1)), [(1, 6)], "int64 output"),
        ("argmax_keepdim_float", "reduction", lambda: lin_model(lambda s, h: torch.argmax(h, dim=1, keepdim=True).float()), [(1, 6)], "argmax cast to float"),
        ("min_dim", "reduction", lambda: lin_model(lambda s, h: torch.min(h.view(1, 2, 3), dim=2)), [(1, 6)], "values and int64 indices"),
        ("max_amax", "reduction", lambda: lin_model(lambda s, h: torch.amax(h.view(1, 2, 3), dim=2)), [(1, 6)], ""),
        ("mean_dim", "reduction", lambda: lin_model(lambda s, h: h.view(1, 2, 3).mean(dim=2)), [(1, 6)], ""),
        ("var_dim", "reduction", lambda: lin_model(lambda s, h: torch.var(h.view(1, 2, 3), dim=2)), [(1, 6)], "unbiased variance"),
        ("prod_dim", "reduction", lambda: lin_model(lambda s, h: h.view(1, 3, 2).prod(dim=2)), [(1, 6)], "product over a dim of size 2"),
        ("l1_norm", "reduction", lambda: lin_model(lambda s, h: torch.norm(h, p=1, dim=1)), [(1, 6)], ""),
        ("l2_norm", "reduction", lambda: lin_model(lambda s, h: torch.linalg.vector_norm(h, 2, dim=1)), [(1, 6)], ""),
        ("normalize_l2", "reduction", lambda: lin_model(lambda s, h: F.normalize(h, dim=1)), [(1, 6)], "F.normalize"),
        ("sum_squares", "reduction", lambda: lin_model(lambda s, h: (h ** 2).sum(dim=1, keepdim=True)), [(1, 6)], ""),
        ("logsumexp", "reduction", lambda: lin_model(lambda s, h: torch.logsumexp(h, dim=1)), [(1, 6)], ""),
        ("cumsum", "reduction", lambda: lin_model(lambda s, h: torch.cumsum(h, dim=1)), [(1, 6)], ""),
        ("topk", "reduction", lambda: lin_model(lambda s, h: torch.topk(h, 2, dim=1)), [(1, 6)], "k=2: values and int64 indices"),
        ("pad_constant", "layer", lambda: conv_model(lambda s, h: F.pad(h, (1, 1, 1, 1), mode="constant", value=0.5)), [(1, 2, 4, 4)], ""),
        ("pad_reflect", "layer", lambda: conv_model(lambda s, h: F.pad(h, (1, 1, 1, 1), mode="reflect")), [(1, 2, 4, 4)], ""),
        ("pad_replicate", "layer", lambda: conv_model(lambda s, h: F.pad(h, (1, 2, 0, 1), mode="replicate")), [(1, 2, 4, 4)], ""),
        ("split", "shape", lambda: lin_model(lambda s, h: (lambda a, b: torch.cat([b, a * 2], 1))(*torch.split(h, [2, 4], dim=1))), [(1, 6)], "torch.split sizes [2, 4]"),
        ("chunk", "shape", lambda: lin_model(lambda s, h: (lambda a, b, c: a * b + c)(*torch.chunk(h, 3, dim=1))), [(1, 6)], "torch.chunk into 3"),
        ("tile", "shape", lambda: lin_model(lambda s, h: torch.tile(h, (1, 2)), n_out=4), [(1, 6)], ""),
        ("repeat", "shape", lambda: lin_model(lambda s, h: h.view(1, 2, 2).repeat(2, 1, 3), n_out=4), [(1, 6)], "x.repeat(2, 1, 3)"),
        ("concat_slice", "shape", lambda: lin_model(lambda s, h: torch.cat([h[:, 1:5:2], h[:, :2], h[:, -1:]], 1)), [(1, 6)], "strided slices and concat"),
        ("transpose_flatten", "shape", lambda: lin_model(lambda s, h: h.view(1, 2, 3).permute(0, 2, 1).flatten(1)), [(1, 6)], ""),
        ("squeeze_unsqueeze", "shape", lambda: lin_model(lambda s, h: h.unsqueeze(1).unsqueeze(3).squeeze(3) * 2), [(1, 6)], ""),
        ("instance_norm", "layer", lambda: conv_model(lambda s, h: s.norm(h), norm=nn.InstanceNorm2d(2, affine=True)), [(1, 2, 4, 4)], ""),
        ("group_norm", "layer", lambda: conv_model(lambda s, h: s.norm(h), c=4, norm=nn.GroupNorm(2, 4)), [(1, 4, 3, 3)], "GroupNorm(2 groups, 4 channels)"),
        ("layer_norm_op13", "layer", lambda: lin_model(lambda s, h: s.norm(h), norm=nn.LayerNorm(6)), [(1, 6)], "opset 13: LayerNorm decomposed"),
        ("layer_norm_op17", "layer", lambda: lin_model(lambda s, h: s.norm(h), norm=nn.LayerNorm(6)), [(1, 6)], "opset 17: LayerNormalization"),
        ("batchnorm1d", "layer", lambda: lin_model(lambda s, h: s.norm(h), norm=nn.BatchNorm1d(6)), [(1, 6)], "exported with training=PRESERVE so BatchNormalization is kept"),
        ("upsample_nearest", "layer", lambda: conv_model(lambda s, h: s.up(h), up=nn.Upsample(scale_factor=2, mode="nearest")), [(1, 2, 3, 3)], ""),
        ("upsample_bilinear", "layer", lambda: conv_model(lambda s, h: s.up(h), up=nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)), [(1, 2, 3, 3)], ""),
        ("avgpool_ceil", "layer", lambda: conv_model(lambda s, h: F.avg_pool2d(h, 2, 2, ceil_mode=True)), [(1, 2, 5, 5)], "ceil_mode=True"),
        ("avgpool_pad_exclude", "layer", lambda: conv_model(lambda s, h: F.avg_pool2d(h, 3, 2, padding=1, count_include_pad=False)), [(1, 2, 5, 5)], "padding=1, count_include_pad=False"),
        ("maxpool_ceil", "layer", lambda: conv_model(lambda s, h: F.max_pool2d(h, 2, 2, ceil_mode=True)), [(1, 2, 5, 5)], "ceil_mode=True"),
        ("global_avgpool", "layer", lambda: conv_model(lambda s, h: F.adaptive_avg_pool2d(h, 1).flatten(1)), [(1, 2, 4, 4)], ""),
        ("triu", "shape", lambda: lin_model(lambda s, h: torch.triu(h.view(1, 4, 4)), n_out=16), [(1, 6)], "Trilu"),
        ("einsum_matvec", "layer", lambda: Fn(lambda s, x: torch.einsum("bi,ij->bj", x, s.w), w=nn.Parameter(torch.randn(6, 4))), [(1, 6)], "einsum bi,ij->bj"),
        ("einsum_outer", "layer", lambda: lin_model(lambda s, h: torch.einsum("bi,bj->bij", h, h), n_out=4), [(1, 6)], "einsum bi,bj->bij"),
        ("matmul_batched", "layer", lambda: lin_model(lambda s, h: torch.matmul(h.view(1, 2, 3), h.view(1, 3, 2) + 1.0)), [(1, 6)], "MatMul of two activations"),
        ("gather_const", "shape", lambda: lin_model(lambda s, h: torch.gather(h, 1, torch.tensor([[5, 0, 2, 2]]))), [(1, 6)], "GatherElements with constant index"),
        ("index_select_const", "shape", lambda: lin_model(lambda s, h: h[:, torch.tensor([3, 1, 4])]), [(1, 6)], "Gather with constant index"),
        ("scatter_onehot", "shape", lambda: lin_model(lambda s, h: torch.zeros(1, 6).scatter(1, torch.tensor([[4, 1, 0]]), h), n_out=3), [(1, 6)], "scatter into zeros with constant indices"),
        ("compare_gt", "logic", lambda: lin_model(lambda s, h: (h > 0.5).float()), [(1, 6)], "x > 0.5 as float"),
        ("compare_mixed", "logic", lambda: lin_model(lambda s, h: torch.cat([(h >= 0).float(), (h < -0.2).float(), (h == h.max()).float()], 1)), [(1, 6)], ">=, <, == as float"),
        ("where_leaky", "logic", lambda: lin_model(lambda s, h: torch.where(h > 0, h, 0.1 * h)), [(1, 6)], "torch.where(x > 0, x, 0.1 x)"),
        ("logic_and_or_not", "logic", lambda: lin_model(lambda s, h: (((h > 0) & (h < 0.5)) | ~(h > -0.3)).float()), [(1, 6)], "and/or/not of comparisons"),
        ("logic_xor", "logic", lambda: lin_model(lambda s, h: torch.logical_xor(h > 0, h.flip(1) > 0).float()), [(1, 6)], ""),
        ("floordiv_remainder", "elementwise", lambda: lin_model(lambda s, h: torch.cat([torch.div(h, 0.3, rounding_mode="floor"), torch.remainder(h, 0.7)], 1)), [(1, 6)], "float floor-div and remainder by constants"),
        ("int_floordiv_remainder", "elementwise", lambda: lin_model(lambda s, h: (lambda q: torch.cat([(q // 3).float(), (q % 3).float()], 1))((h * 10).long())), [(1, 6)], "activations cast to int64, // 3 and % 3"),
        ("round_floor_ceil", "elementwise", lambda: lin_model(lambda s, h: torch.cat([torch.round(h * 3), torch.floor(h * 3), torch.ceil(h * 3)], 1)), [(1, 6)], ""),
    ]
    for op, fam, mk, shapes, note in L:
        def build(name, mk=mk, shapes=shapes, note=note, fam=fam, op=op):
            kw = {}
            if op == "layer_norm_op13":
                kw["opset"] = 13
            if op == "batchnorm1d":
                m = mk()
                with torch.no_grad():  # non-trivial running statistics
                    m.norm.running_mean.copy_(torch.linspace(-0.3, 0.3, 6))
                    m.norm.running_var.copy_(torch.linspace(0.5, 2.0, 6))
                kw["training"] = torch.onnx.TrainingMode.PRESERVE
                return tx(m, [U(*s) for s in shapes], fam, note, **kw)
            return tx(mk(), [U(*s) for s in shapes], fam, note, **kw)

        register(f"r_{op}")(build)

    # Shape subgraphs (dynamic batch axis).
    S = [
        ("view_size", lambda: Fn(lambda s, x: s.fc(torch.relu(s.conv(x)).view(x.size(0), -1)), conv=nn.Conv2d(1, 2, 3), fc=nn.Linear(8, 3)),
         [(1, 1, 4, 4)], "x.view(x.size(0), -1) after a Conv"),
        ("reshape_shape", lambda: Fn(lambda s, x: s.fc(x.reshape(x.shape[0], x.shape[1] * x.shape[2])), fc=nn.Linear(12, 3)),
         [(1, 3, 4)], "x.reshape(x.shape[0], x.shape[1]*x.shape[2])"),
        ("zeros_shape", lambda: Fn(lambda s, x: torch.zeros(x.shape) + torch.relu(s.fc(x)), fc=nn.Linear(6, 6)), [(1, 6)], "torch.zeros(x.shape)"),
        ("ones_like_mul", lambda: Fn(lambda s, x: torch.ones_like(x) * 0.5 + s.fc(x), fc=nn.Linear(6, 6)), [(1, 6)], "torch.ones_like"),
        ("expand", lambda: Fn(lambda s, x: (s.fc(x).unsqueeze(1).expand(x.shape[0], 3, 4) * torch.tensor([[[1.0], [2.0], [3.0]]])).sum(2), fc=nn.Linear(6, 4)),
         [(1, 6)], "unsqueeze().expand(x.shape[0], 3, 4)"),
        ("flatten", lambda: Fn(lambda s, x: s.fc(torch.flatten(x, 1)), fc=nn.Linear(8, 2)), [(1, 2, 2, 2)], "torch.flatten(x, 1)"),
    ]
    for op, mk, shapes, note in S:
        def build(name, mk=mk, shapes=shapes, note=note):
            return tx(mk(), [U(*s) for s in shapes], "shape", note, dynamic_batch=True)

        register(f"s_{op}")(build)


def canonical_names(model):
    """Rename every tensor and node except the graph's inputs and outputs, in graph order.

    tf2onnx's internal names (e.g. 'const_fold_opt__53', 'lstm_cell_7/...') vary from run to run; this
    renaming changes no computation and makes the bytes reproducible."""
    g = model.graph
    keep = {v.name for v in g.input} | {v.name for v in g.output}
    mapping = {}

    def nm(old, prefix="t"):
        if not old or old in keep:
            return old
        if old not in mapping:
            mapping[old] = f"{prefix}_{len(mapping)}"
        return mapping[old]

    counter = [0]

    def walk(graph, top):
        inits = {t.name for t in graph.initializer}
        if not top:
            for v in graph.input:
                v.name = nm(v.name, "arg")
        for node in graph.node:
            for i, x in enumerate(node.input):  # names by first use, not by the initializer list's order
                node.input[i] = nm(x, "const" if x in inits else "t")
            node.name = f"{node.op_type}_{counter[0]}"
            counter[0] += 1
            for a in node.attribute:
                if a.type == onnx.AttributeProto.GRAPH:
                    a.g.name = f"{node.name}_{a.name}"
                    walk(a.g, False)
                for k, sg in enumerate(a.graphs):
                    sg.name = f"{node.name}_{a.name}_{k}"
                    walk(sg, False)
            for i, x in enumerate(node.output):
                node.output[i] = nm(x, node.op_type.lower())
            if node.HasField("domain") and not node.domain:
                node.ClearField("domain")
        for v in list(graph.output) + list(graph.value_info):
            v.name = nm(v.name)
        for t in graph.initializer:
            t.name = nm(t.name, "const")

        def key(x):
            return int(x.name.rsplit("_", 1)[1]) if x.name in mapping.values() else -1

        for field in (graph.initializer, graph.value_info):
            items = sorted(field, key=key)
            copies = [type(i)() for i in items]
            for c, i in zip(copies, items):
                c.CopyFrom(i)
            del field[:]
            field.extend(copies)

    def identity_order(graph):
        # tf2onnx wires a Loop body's carried state and scan output to `x` and `Identity(x)` in either
        # order from run to run; both hold the same value, so put `x` first and `Identity(x)` second.
        src = {n.output[0]: n.input[0] for n in graph.node if n.op_type == "Identity"}
        names = [o.name for o in graph.output]
        for i, o in enumerate(names):
            if o in src and src[o] in names and names.index(src[o]) > i:
                j = names.index(src[o])
                graph.output[i].name, graph.output[j].name = names[j], names[i]
                names = [o.name for o in graph.output]
        for node in graph.node:
            for a in node.attribute:
                if a.type == onnx.AttributeProto.GRAPH:
                    identity_order(a.g)
                for sg in a.graphs:
                    identity_order(sg)

    walk(g, True)
    for node in g.node:
        for a in node.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                identity_order(a.g)
    model.doc_string = "converted by tf2onnx (tensor names canonicalised)"
    return model


# ==============================================================================================
# Keras via tf2onnx
# ==============================================================================================
def _tf_models():
    def conv(name, layers, shape, note):
        import tensorflow as tf
        import tf2onnx

        tf.keras.utils.set_random_seed(seed_of(name))
        m = tf.keras.Sequential([tf.keras.Input(shape, batch_size=1)] + layers(tf.keras.layers), name=name)
        wrng = np.random.default_rng(seed_of(name))
        for layer in m.layers:  # random weights, biases included (untrained)
            layer.set_weights([rounded(wrng.uniform(-0.5, 0.5, w.shape)) for w in layer.get_weights()])
        sig = [tf.TensorSpec((1,) + shape, tf.float32, name="input")]
        f = tf.function(lambda x: m(x), input_signature=sig)
        onx, _ = tf2onnx.convert.from_function(f, input_signature=sig, opset=13, output_path=None)
        onx.graph.name = name
        canonical_names(onx)
        return entry(onx, [U(1, *shape)], "tf2onnx", {"tf_dense_mlp": "mlp", "tf_conv2d_cnn": "cnn"}.get(name, "rnn"),
                     (note + "; " if note else "") + "Keras 3 model traced through tf.function + tf2onnx.convert.from_function (from_keras fails on Keras 3); random weights; "
                     "internal tensor names canonicalised after export (tf2onnx's are not stable between runs)")

    specs = [
        ("tf_dense_mlp", lambda K: [K.Dense(16, activation="relu"), K.Dense(3, activation="softmax")], (8,), ""),
        ("tf_conv2d_cnn", lambda K: [K.Conv2D(4, 3, padding="same", activation="relu"), K.MaxPooling2D(2), K.Flatten(), K.Dense(3)], (8, 8, 1), "NHWC input"),
        ("tf_lstm", lambda K: [K.LSTM(8), K.Dense(2)], (6, 4), "Keras 3 LSTM becomes an ONNX Loop (not an LSTM op)"),
        ("tf_lstm_unrolled", lambda K: [K.LSTM(8, unroll=True), K.Dense(2)], (6, 4), "LSTM(unroll=True): unrolled gate arithmetic"),
    ]
    for nm, layers, shape, note in specs:
        register(nm)(lambda name, layers=layers, shape=shape, note=note: conv(name, layers, shape, note))


# ==============================================================================================
# Runner
# ==============================================================================================
def all_ops(graph, acc):
    for n in graph.node:
        acc.add(n.op_type if n.domain in ("", "ai.onnx") else f"{n.domain}.{n.op_type}")
        for a in n.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                all_ops(a.g, acc)
            for g in a.graphs:
                all_ops(g, acc)
    return acc


def dtype_name(elem_type):
    return onnx.helper.tensor_dtype_to_np_dtype(elem_type).name


def vi_desc(vi):
    t = vi.type
    if t.HasField("tensor_type"):
        shape = [d.dim_param if d.dim_param else d.dim_value for d in t.tensor_type.shape.dim]
        return shape, dtype_name(t.tensor_type.elem_type)
    if t.HasField("sequence_type"):
        return None, "seq(map)" if t.sequence_type.elem_type.HasField("map_type") else "seq"
    return None, "other"


def n_params(model):
    """Parameter count: initializer and Constant elements plus numeric attribute lists (the ai.onnx.ml
    operators keep their coefficients, thresholds and leaf values in attributes)."""

    def graph_params(g):
        n = sum(int(np.prod(t.dims)) if len(t.dims) else 1 for t in g.initializer)
        for node in g.node:
            for a in node.attribute:
                if a.type == onnx.AttributeProto.TENSOR:
                    n += int(np.prod(a.t.dims)) if len(a.t.dims) else 1
                elif a.type in (onnx.AttributeProto.FLOATS, onnx.AttributeProto.INTS) and node.domain == "ai.onnx.ml":
                    n += len(a.floats) + len(a.ints)
                elif a.type == onnx.AttributeProto.GRAPH:
                    n += graph_params(a.g)
        return n

    return graph_params(model.graph)


def fl(v):
    return [float(x) for x in np.asarray(v, dtype=np.float64).ravel()]


def process(name, e):
    model = e["model"]
    onnx.checker.check_model(model)
    data = model.SerializeToString(deterministic=True)
    inputs = [i for i in model.graph.input if i.name not in {t.name for t in model.graph.initializer}]
    assert len(inputs) == len(e["inputs"]), (name, len(inputs), len(e["inputs"]))
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    sess = ort.InferenceSession(data, so, providers=["CPUExecutionProvider"])
    feed = {}
    for vi, x in zip(inputs, e["inputs"]):
        _, dt = vi_desc(vi)
        feed[vi.name] = np.asarray(x).astype(dt)
    outs = sess.run(None, feed)
    notes = [e["notes"]] if e["notes"] else []
    exp_out, shapes, dtypes = [], [], []
    for o, meta in zip(outs, sess.get_outputs()):
        if isinstance(o, list) and o and isinstance(o[0], dict):
            arr = np.array([[d[k] for k in sorted(d)] for d in o], dtype=np.float64)
            dtypes.append("seq(map)")
            notes.append(f"output '{meta.name}' is a ZipMap sequence of maps; recorded as its values in sorted key order, shape {list(arr.shape)}")
        else:
            arr = np.asarray(o)
            dtypes.append(arr.dtype.name)
        if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
            raise ValueError(f"non-finite output in {meta.name}")
        exp_out.append(fl(arr))
        shapes.append(list(arr.shape))
    n_in = sum(int(np.asarray(x).size) for x in e["inputs"])
    npar = n_params(model)
    if npar > MAX_PARAMS or n_in > MAX_INPUT:
        print(f"  WARNING {name}: {npar} parameters, {n_in} input values")
    with open(os.path.join(OUT, f"{name}.onnx"), "wb") as f:
        f.write(data)
    with open(os.path.join(OUT, f"{name}.input.json"), "w") as f:
        json.dump({"input_data": [[round(float(v), 6) for v in np.asarray(x, dtype=np.float32).ravel()] for x in e["inputs"]]}, f)
        f.write("\n")
    with open(os.path.join(OUT, f"{name}.expected.json"), "w") as f:
        json.dump({"outputs": exp_out, "output_names": [m.name for m in sess.get_outputs()], "output_shapes": shapes,
                   "output_dtypes": dtypes}, f)
        f.write("\n")
    opset = {o.domain: o.version for o in model.opset_import}
    if "ai.onnx.ml" in opset:
        notes.append(f"ai.onnx.ml opset {opset['ai.onnx.ml']}")
    return {
        "name": name,
        "exporter": e["exporter"],
        "family": e["family"],
        "ops": sorted(all_ops(model.graph, set())),
        "inputs": [[vi.name, *vi_desc(vi)] for vi in inputs],
        "opset": opset.get("", opset.get("ai.onnx")),
        "params": npar,
        "notes": "; ".join(notes),
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    _skl_models()
    _omt_models()
    _hb_models()
    _torch_neural()
    _torch_elementwise()
    _torch_layers()
    try:
        import tensorflow  # noqa: F401
        import tf2onnx  # noqa: F401

        _tf_models()
    except ImportError:
        print("tensorflow/tf2onnx not installed: Keras models skipped")
    names = [n for n, _ in MODELS]
    assert len(names) == len(set(names)), "duplicate model names"
    manifest, failed = [], []
    for name, build in MODELS:
        if ONLY and ONLY not in name:
            continue
        global RNG
        s = seed_of(name)
        RNG = np.random.default_rng(s)
        np.random.seed(s)
        random.seed(s)
        torch.manual_seed(s)
        try:
            rec = process(name, build(name))
            manifest.append(rec)
            print(f"{name:40s} {rec['exporter']:12s} {','.join(rec['ops'])}")
        except Exception as ex:  # keep going; report at the end
            failed.append((name, repr(ex)))
            print(f"{name:40s} FAILED: {ex!r}")
            traceback.print_exc(limit=3)
    if not ONLY:
        keep = {f"{r['name']}{suf}" for r in manifest for suf in (".onnx", ".input.json", ".expected.json")}
        for fn in os.listdir(OUT):
            if fn.endswith((".onnx", ".input.json", ".expected.json")) and fn not in keep:
                os.remove(os.path.join(OUT, fn))
        with open(os.path.join(OUT, "manifest.json"), "w") as f:
            f.write("[\n" + ",\n".join(json.dumps(r, sort_keys=False) for r in manifest) + "\n]\n")
        by_exp, by_fam = {}, {}
        for r in manifest:
            by_exp[r["exporter"]] = by_exp.get(r["exporter"], 0) + 1
            by_fam[r["family"]] = by_fam.get(r["family"], 0) + 1
        print(f"\n{len(manifest)} models; by exporter {by_exp}; by family {by_fam}")
    if failed:
        print(f"{len(failed)} FAILED:")
        for n, ex in failed:
            print(f"  {n}: {ex}")
        sys.exit(1)


if __name__ == "__main__":
    main()
