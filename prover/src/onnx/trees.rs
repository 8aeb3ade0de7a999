//! Tree ensembles of the ONNX-ML domain (`TreeEnsembleRegressor`, `TreeEnsembleClassifier`) as
//! skl2onnx and onnxmltools (XGBoost, LightGBM) write them, proven exactly: every split is a
//! comparison by a step (the sign bit of the range decomposition, exact over any range), never
//! a free witness.
//!
//! For every row of X:
//! - **splits:** each distinct `(feature, threshold, direction)` is one constrained bit,
//!   `c = [t − x_f ≥ 0]` (`x ≤ t`) or `c = [x_f − t ≥ 0]` (`x ≥ t`); `x < t` is `1 − [x ≥ t]` and
//!   `x > t` is `1 − [x ≤ t]`, so a node's condition is `c` or `1 − c`;
//! - **leaves:** a leaf of depth `d` is reached when the `d` conditions on its path (each the
//!   node's condition or its negation, by the branch taken) all hold:
//!   `leaf = [Σ path terms − d = 0]` (a zero test), so each tree has exactly one leaf of 1;
//! - **scores:** `base + Σ weight · leaf` per target or class (divided by the tree count for
//!   `AVERAGE`), a linear map of the leaf bits.
//!
//! A classifier then transforms the scores and takes the label from them like
//! `LinearClassifier` ([`super::ml::classify`]); two classes scored by one column are
//! `[1 − s, s]` (`NONE`) or `[−s, s]`, as the ONNX reference implementation writes them.
//! Missing values (NaN) cannot occur in fixed point: `nodes_missing_value_tracks_true` is moot.

use super::ml::{classify, features, floats, string};
use super::registry::{Lowered, Ref, Step};
use super::NodeCtx;
use crate::error::Result;
use crate::ir::{Activation, AffineMap, LinearMap, Op};
use std::collections::{BTreeMap, HashMap};

/// Most nodes of one ensemble.
const MAX_NODES: usize = 1 << 20;

/// A split's comparison, normalised to `x ≤ t` or `x ≥ t` (and whether the node's condition is
/// its negation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Dir {
    Le,
    Ge,
}

#[derive(Debug, Clone)]
struct Node {
    tree: i64,
    id: i64,
    feature: usize,
    value: f32,
    /// `None` for a leaf; else the comparison and whether the condition is its negation.
    split: Option<(Dir, bool)>,
    yes: i64,
    no: i64,
}

/// The parsed ensemble: its nodes, and per leaf `(tree, node)` its `(output, weight)` pairs.
struct Ensemble {
    nodes: Vec<Node>,
    weights: HashMap<(i64, i64), Vec<(usize, f32)>>,
    trees: Vec<i64>,
}

fn ints(ctx: &NodeCtx<'_>, name: &str) -> Vec<i64> {
    ctx.attr(name).map(|a| a.ints.clone()).unwrap_or_default()
}

fn strings(ctx: &NodeCtx<'_>, name: &str) -> Vec<String> {
    ctx.attr(name).map(|a| a.strings.iter().map(|s| String::from_utf8_lossy(s).into_owned()).collect()).unwrap_or_default()
}

fn split_of(ctx: &NodeCtx<'_>, mode: &str) -> Result<Option<(Dir, bool)>> {
    Ok(match mode {
        "LEAF" => None,
        "BRANCH_LEQ" => Some((Dir::Le, false)),
        "BRANCH_GT" => Some((Dir::Le, true)),
        "BRANCH_GTE" => Some((Dir::Ge, false)),
        "BRANCH_LT" => Some((Dir::Ge, true)),
        other => return Err(ctx.error(format!("attribute 'nodes_modes' has \"{other}\": BRANCH_LEQ, BRANCH_LT, BRANCH_GTE, BRANCH_GT and LEAF are supported"))),
    })
}

/// Parses the `nodes_*` attributes and the leaves' `{prefix}_*` weights (`target` or `class`)
/// for `outputs` targets or classes; X has `c` features.
fn parse(ctx: &NodeCtx<'_>, prefix: &str, outputs: usize, c: usize) -> Result<Ensemble> {
    for t in ["nodes_values_as_tensor", &format!("{prefix}_weights_as_tensor"), "base_values_as_tensor"] {
        if ctx.attr(t).is_some() {
            return Err(ctx.error(format!("attribute '{t}' (double precision) is not supported: export with float attributes")));
        }
    }
    let tree_ids = ints(ctx, "nodes_treeids");
    let n = tree_ids.len();
    if n == 0 || n > MAX_NODES {
        return Err(ctx.error(format!("attribute 'nodes_treeids' has {n} nodes: 1 to {MAX_NODES} are supported")));
    }
    let node_ids = ints(ctx, "nodes_nodeids");
    let features = ints(ctx, "nodes_featureids");
    let values = floats(ctx, "nodes_values");
    let modes = strings(ctx, "nodes_modes");
    let yes = ints(ctx, "nodes_truenodeids");
    let no = ints(ctx, "nodes_falsenodeids");
    for (name, len) in [("nodes_nodeids", node_ids.len()), ("nodes_featureids", features.len()), ("nodes_values", values.len()), ("nodes_modes", modes.len()), ("nodes_truenodeids", yes.len()), ("nodes_falsenodeids", no.len())] {
        if len != n {
            return Err(ctx.error(format!("attribute '{name}' has {len} values, 'nodes_treeids' has {n}")));
        }
    }
    let mut nodes = Vec::with_capacity(n);
    for i in 0..n {
        let split = split_of(ctx, &modes[i])?;
        let feature = usize::try_from(features[i]).ok().filter(|f| *f < c || split.is_none());
        let feature = feature.ok_or_else(|| ctx.error(format!("node {} of tree {} reads feature {}; X has {c}", node_ids[i], tree_ids[i], features[i])))?;
        if split.is_some() && !values[i].is_finite() {
            return Err(ctx.error(format!("node {} of tree {} has threshold {}", node_ids[i], tree_ids[i], values[i])));
        }
        nodes.push(Node { tree: tree_ids[i], id: node_ids[i], feature, value: values[i], split, yes: yes[i], no: no[i] });
    }
    let (lt, ln, lk, lw) = (ints(ctx, &format!("{prefix}_treeids")), ints(ctx, &format!("{prefix}_nodeids")), ints(ctx, &format!("{prefix}_ids")), floats(ctx, &format!("{prefix}_weights")));
    if ln.len() != lt.len() || lk.len() != lt.len() || lw.len() != lt.len() {
        return Err(ctx.error(format!("the {prefix}_treeids/_nodeids/_ids/_weights attributes differ in length ({}, {}, {}, {})", lt.len(), ln.len(), lk.len(), lw.len())));
    }
    let mut weights: HashMap<(i64, i64), Vec<(usize, f32)>> = HashMap::new();
    for i in 0..lt.len() {
        let k = usize::try_from(lk[i]).ok().filter(|k| *k < outputs).ok_or_else(|| ctx.error(format!("attribute '{prefix}_ids' has {}; {outputs} outputs", lk[i])))?;
        if !lw[i].is_finite() {
            return Err(ctx.error(format!("attribute '{prefix}_weights' has {}", lw[i])));
        }
        weights.entry((lt[i], ln[i])).or_default().push((k, lw[i]));
    }
    let mut trees: Vec<i64> = tree_ids.clone();
    trees.sort_unstable();
    trees.dedup();
    Ok(Ensemble { nodes, weights, trees })
}

/// Every leaf of every tree with its path: `(tree, node)` and the `(split index, want)` terms,
/// `want` meaning the node's condition must hold. Splits are numbered in `splits`.
type Leaf = ((i64, i64), Vec<(usize, bool)>);

fn leaves(ctx: &NodeCtx<'_>, e: &Ensemble, splits: &mut BTreeMap<(usize, Dir, u32), usize>) -> Result<Vec<Leaf>> {
    let index: HashMap<(i64, i64), usize> = e.nodes.iter().enumerate().map(|(i, nd)| ((nd.tree, nd.id), i)).collect();
    if index.len() != e.nodes.len() {
        return Err(ctx.error("two nodes share a (tree, node) id"));
    }
    let mut children: std::collections::HashSet<(i64, i64)> = std::collections::HashSet::new();
    for nd in e.nodes.iter().filter(|nd| nd.split.is_some()) {
        for child in [nd.yes, nd.no] {
            if !index.contains_key(&(nd.tree, child)) {
                return Err(ctx.error(format!("node {} of tree {} branches to node {child}, which does not exist", nd.id, nd.tree)));
            }
            children.insert((nd.tree, child));
        }
    }
    let mut out = Vec::new();
    for &t in &e.trees {
        let roots: Vec<usize> = e.nodes.iter().enumerate().filter(|(_, nd)| nd.tree == t && !children.contains(&(t, nd.id))).map(|(i, _)| i).collect();
        let [root] = roots[..] else {
            return Err(ctx.error(format!("tree {t} has {} roots", roots.len())));
        };
        // Depth-first; a path longer than the node count means a cycle.
        let mut stack = vec![(root, Vec::new())];
        while let Some((i, path)) = stack.pop() {
            let nd = &e.nodes[i];
            let Some((dir, negated)) = nd.split else {
                out.push(((nd.tree, nd.id), path));
                continue;
            };
            if path.len() >= e.nodes.len() {
                return Err(ctx.error(format!("tree {t} has a cycle")));
            }
            let next = splits.len();
            let s = *splits.entry((nd.feature, dir, nd.value.to_bits())).or_insert(next);
            for (child, holds) in [(nd.yes, true), (nd.no, false)] {
                let mut p: Vec<(usize, bool)> = path.clone();
                // The condition holds on the true branch: want the split bit `c` unless negated.
                p.push((s, holds != negated));
                stack.push((index[&(nd.tree, child)], p));
            }
        }
    }
    Ok(out)
}

/// The steps computing the raw scores `[rows, outputs]` of the ensemble (`scale` multiplies
/// every weight: `1 / trees` for `AVERAGE`); returns the steps.
fn score_steps(ctx: &NodeCtx<'_>, e: &Ensemble, rows: usize, c: usize, outputs: usize, base: &[f32], scale: f32) -> Result<Vec<Step>> {
    let mut splits = BTreeMap::new();
    let leaves = leaves(ctx, e, &mut splits)?;
    let path_terms: usize = leaves.iter().map(|(_, p)| p.len()).sum();
    ctx.check_terms(path_terms.checked_add(splits.len()).and_then(|t| t.checked_mul(rows)))?;
    let ns = splits.len();
    // Split bits: per row, one difference per split, then its step (sign bit).
    let mut split_rows = Vec::with_capacity(rows * ns);
    let mut split_bias = Vec::with_capacity(rows * ns);
    let mut order: Vec<(&(usize, Dir, u32), &usize)> = splits.iter().collect();
    order.sort_by_key(|(_, i)| **i);
    for r in 0..rows {
        for ((f, dir, t), _) in &order {
            let t = f32::from_bits(*t);
            let (coef, bias) = if *dir == Dir::Le { (-1.0, t) } else { (1.0, -t) };
            split_rows.push(vec![(r * c + f, coef)]);
            split_bias.push(bias);
        }
    }
    // Leaves with a path (a tree that is one leaf adds its weights to the bias).
    let mut constant = vec![0.0f32; outputs];
    let pathed: Vec<&Leaf> = leaves.iter().filter(|(_, p)| !p.is_empty()).collect();
    for ((tree, id), _) in leaves.iter().filter(|(_, p)| p.is_empty()) {
        for (k, w) in e.weights.get(&(*tree, *id)).into_iter().flatten() {
            constant[*k] += w * scale;
        }
    }
    let nl = pathed.len();
    let mut leaf_rows = Vec::with_capacity(rows * nl);
    let mut leaf_bias = Vec::with_capacity(rows * nl);
    for r in 0..rows {
        for (_, path) in &pathed {
            let mut terms: BTreeMap<usize, f32> = BTreeMap::new();
            let mut bias = -(path.len() as f32);
            for (s, want) in path {
                *terms.entry(r * ns + s).or_default() += if *want { 1.0 } else { -1.0 };
                if !*want {
                    bias += 1.0;
                }
            }
            leaf_rows.push(terms.into_iter().filter(|(_, v)| *v != 0.0).collect());
            leaf_bias.push(bias);
        }
    }
    let mut score_rows = Vec::with_capacity(rows * outputs);
    let mut score_bias = Vec::with_capacity(rows * outputs);
    for r in 0..rows {
        let mut per: Vec<Vec<(usize, f32)>> = vec![Vec::new(); outputs];
        for (j, ((tree, id), _)) in pathed.iter().enumerate() {
            for (k, w) in e.weights.get(&(*tree, *id)).into_iter().flatten() {
                per[*k].push((r * nl + j, w * scale));
            }
        }
        for (k, terms) in per.into_iter().enumerate() {
            score_rows.push(terms);
            score_bias.push(base.get(k).copied().unwrap_or(0.0) + constant[k]);
        }
    }
    let mut steps = Vec::new();
    if nl > 0 {
        steps.push(Step::unary(Op::Linear(LinearMap { inputs: ctx.width, rows: split_rows, bias: split_bias, out_shape: vec![rows * ns] })));
        steps.push(Step::new(Op::Act(Activation::NonNegative), &[Ref::Step(0)]));
        steps.push(Step::new(Op::Linear(LinearMap { inputs: rows * ns, rows: leaf_rows, bias: leaf_bias, out_shape: vec![rows * nl] }), &[Ref::Step(1)]));
        steps.push(Step::new(Op::Act(Activation::IsZero), &[Ref::Step(2)]));
        steps.push(Step::new(Op::Linear(LinearMap { inputs: rows * nl, rows: score_rows, bias: score_bias, out_shape: vec![rows, outputs] }), &[Ref::Step(3)]));
    } else {
        // Every tree is one leaf: constant scores (X is read by no row).
        steps.push(Step::unary(Op::Linear(LinearMap { inputs: ctx.width, rows: score_rows, bias: score_bias, out_shape: vec![rows, outputs] })));
    }
    Ok(steps)
}

/// `TreeEnsembleRegressor`: `n_targets` outputs per row, aggregate `SUM` or `AVERAGE`,
/// post_transform `NONE`.
pub fn regressor(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let (rows, c) = features(ctx)?;
    let post = string(ctx, "post_transform", "NONE");
    if post != "NONE" {
        return Err(ctx.error(format!("attribute 'post_transform' = \"{post}\" is not supported (NONE)")));
    }
    let targets = usize::try_from(ctx.attr_int("n_targets", 1)).ok().filter(|t| (1..=1024).contains(t)).ok_or_else(|| ctx.error("attribute 'n_targets' must be 1 to 1024"))?;
    ctx.output_values(&[rows, targets])?;
    let e = parse(ctx, "target", targets, c)?;
    let base = floats(ctx, "base_values");
    if !base.is_empty() && base.len() != targets {
        return Err(ctx.error(format!("attribute 'base_values' has {} values for {targets} targets", base.len())));
    }
    let scale = match string(ctx, "aggregate_function", "SUM").as_str() {
        "SUM" => 1.0,
        "AVERAGE" => 1.0 / e.trees.len() as f32,
        other => return Err(ctx.error(format!("attribute 'aggregate_function' = \"{other}\" is not supported (SUM or AVERAGE)"))),
    };
    Ok(Lowered::Steps(score_steps(ctx, &e, rows, c, targets, &base, scale)?))
}

/// `TreeEnsembleClassifier` with integer labels: outputs the label and the scores.
pub fn classifier(ctx: &NodeCtx<'_>) -> Result<Lowered> {
    let (rows, c) = features(ctx)?;
    if !strings(ctx, "classlabels_strings").is_empty() {
        return Err(ctx.error("string class labels (classlabels_strings) are not supported: export the classifier with integer labels"));
    }
    let labels: Vec<f32> = ints(ctx, "classlabels_int64s").iter().map(|v| *v as f32).collect();
    let classes = labels.len();
    if !(2..=1024).contains(&classes) {
        return Err(ctx.error(format!("attribute 'classlabels_int64s' lists {classes} class(es): 2 to 1024 are supported")));
    }
    ctx.output_values(&[rows, classes])?;
    let e = parse(ctx, "class", classes, c)?;
    let base = floats(ctx, "base_values");
    let post = string(ctx, "post_transform", "NONE");
    // One class column scored for two classes (the ONNX reference's binary case).
    let binary = classes == 2 && e.weights.values().flatten().all(|(k, _)| *k == 0);
    let columns = if binary { 1 } else { classes };
    if !base.is_empty() && base.len() != classes && base.len() != columns {
        return Err(ctx.error(format!("attribute 'base_values' has {} values for {classes} classes", base.len())));
    }
    let mut steps = score_steps(ctx, &e, rows, c, columns, &base, 1.0)?;
    if binary {
        // [1 − s, s] (NONE) or [−s, s]
        let s = steps.len() - 1;
        let none = post == "NONE";
        let map = AffineMap {
            inputs: rows,
            src: (0..rows).flat_map(|r| [r, r]).collect(),
            scale: (0..rows).flat_map(|_| [-1.0, 1.0]).collect(),
            shift: (0..rows).flat_map(|_| [if none { 1.0 } else { 0.0 }, 0.0]).collect(),
        };
        steps.push(Step::new(Op::Affine(map, vec![rows, 2]), &[Ref::Step(s)]));
    }
    let raw = steps.len() - 1;
    classify(ctx, steps, raw, rows, &labels, &post)
}
