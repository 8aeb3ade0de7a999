//! What a proof reveals of each tensor group: the weights, the input and the output.

use crate::error::{ProverError, Result};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How one tensor group enters the proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// The values are public instances: anyone verifying sees them.
    Public,
    /// Witness only: the proof says nothing about which values were used.
    Private,
    /// Witness, plus one public instance: their Poseidon commitment ([`crate::hash`]), computed in
    /// the circuit. Reveals nothing beyond the commitment (use a salt for guessable values).
    /// Hashed weights make the verifying key depend on the architecture only: one verifier serves
    /// every weight set of that architecture, and the weights' commitment (public instance 0)
    /// says which was used.
    Hashed,
    /// Weights only: baked into the circuit's fixed columns; the verifying key (its model
    /// commitment, public instance 0) identifies the model; the weights are not revealed.
    Fixed,
}

impl Visibility {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Private => "private",
            Visibility::Hashed => "hashed",
            Visibility::Fixed => "fixed",
        }
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Visibility {
    type Err = ProverError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "public" => Ok(Visibility::Public),
            "private" => Ok(Visibility::Private),
            "hashed" => Ok(Visibility::Hashed),
            "fixed" => Ok(Visibility::Fixed),
            other => Err(ProverError::BadSettings(format!("unknown visibility '{other}' (expected public, private, hashed or fixed)"))),
        }
    }
}

/// Most graph inputs a model may give visibilities of their own (`input0=`, `input1=`, …).
pub const MAX_NAMED_INPUTS: usize = 8;

/// The visibility of each graph input (in graph order), when they differ: `inputN=` in a
/// `--visibility` flag. Empty when every graph input takes the input group's visibility.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(into = "Vec<Option<Visibility>>", try_from = "Vec<Option<Visibility>>")]
pub struct GraphInputs([Option<Visibility>; MAX_NAMED_INPUTS]);

impl GraphInputs {
    /// No graph input named.
    pub const NONE: GraphInputs = GraphInputs([None; MAX_NAMED_INPUTS]);
    /// Whether no graph input is named.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(Option::is_none)
    }
    /// Graph input `i`'s own visibility, if named.
    pub fn get(&self, i: usize) -> Option<Visibility> {
        self.0.get(i).copied().flatten()
    }
    /// The named graph inputs: `(index, visibility)`.
    pub fn named(&self) -> impl Iterator<Item = (usize, Visibility)> + '_ {
        self.0.iter().enumerate().filter_map(|(i, v)| v.map(|v| (i, v)))
    }
}

impl From<GraphInputs> for Vec<Option<Visibility>> {
    fn from(g: GraphInputs) -> Self {
        let last = g.0.iter().rposition(Option::is_some).map_or(0, |i| i + 1);
        g.0[..last].to_vec()
    }
}

impl TryFrom<Vec<Option<Visibility>>> for GraphInputs {
    type Error = String;
    fn try_from(v: Vec<Option<Visibility>>) -> std::result::Result<Self, String> {
        if v.len() > MAX_NAMED_INPUTS {
            return Err(format!("{} graph inputs named, at most {MAX_NAMED_INPUTS}", v.len()));
        }
        let mut g = GraphInputs::NONE;
        g.0[..v.len()].copy_from_slice(&v);
        Ok(g)
    }
}

/// The visibility of every tensor group. Defaults: weights `fixed`, input `hashed`, output
/// `public`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Visibilities {
    /// The model's weights and biases.
    pub weights: Visibility,
    /// The model's input: every graph input not in [`Visibilities::inputs`].
    pub input: Visibility,
    /// The model's output.
    pub output: Visibility,
    /// Graph inputs with visibilities of their own. Once resolved for a model
    /// ([`Visibilities::for_graph_inputs`]) either empty or naming every graph input.
    #[serde(default, skip_serializing_if = "GraphInputs::is_empty")]
    pub inputs: GraphInputs,
}

impl Default for Visibilities {
    fn default() -> Self {
        Self::new(Visibility::Fixed, Visibility::Hashed, Visibility::Public)
    }
}

/// Which input wires each input visibility covers (each list in wire order): the public wires'
/// values are instances (in this order), the hashed wires' values are committed to (in this
/// order) by one instance, the private wires are witness only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InputWires {
    /// Wires whose values are public instances.
    pub public: Vec<usize>,
    /// Wires under the input commitment.
    pub hashed: Vec<usize>,
    /// Witness-only wires.
    pub private: Vec<usize>,
}

impl InputWires {
    /// The wire list of one visibility.
    fn of_mut(&mut self, v: Visibility) -> &mut Vec<usize> {
        match v {
            Visibility::Public => &mut self.public,
            Visibility::Hashed => &mut self.hashed,
            Visibility::Private | Visibility::Fixed => &mut self.private,
        }
    }
    /// Public instances the input takes: its public values and, if some wire is hashed, one
    /// commitment (after them).
    pub fn instances(&self) -> usize {
        self.public.len() + usize::from(!self.hashed.is_empty())
    }
    /// `values`' entries at `wires`.
    pub fn pick(values: &[i64], wires: &[usize]) -> Vec<i64> {
        wires.iter().filter_map(|w| values.get(*w).copied()).collect()
    }
}

impl Visibilities {
    /// The visibilities of the three groups, no graph input named.
    pub const fn new(weights: Visibility, input: Visibility, output: Visibility) -> Self {
        Self { weights, input, output, inputs: GraphInputs::NONE }
    }
    /// Everything but the (fixed) weights public: the input and output are instances.
    pub const PUBLIC: Visibilities = Visibilities::new(Visibility::Fixed, Visibility::Public, Visibility::Public);
    /// An accuracy bounty's: the hunter's weights and the test set hashed, the count public.
    pub const BOUNTY: Visibilities = Visibilities::new(Visibility::Hashed, Visibility::Hashed, Visibility::Public);

    /// Graph input `i`'s visibility.
    pub fn input_of(&self, i: usize) -> Visibility {
        self.inputs.get(i).unwrap_or(self.input)
    }
    /// The visibilities the graph inputs take (one when uniform).
    pub fn input_kinds(&self) -> Vec<Visibility> {
        let mut kinds = vec![];
        for v in std::iter::once(self.input).filter(|_| self.inputs.is_empty()).chain(self.inputs.named().map(|(_, v)| v)) {
            if !kinds.contains(&v) {
                kinds.push(v);
            }
        }
        kinds
    }
    /// Whether some graph input has visibility `v`.
    pub fn any_input(&self, v: Visibility) -> bool {
        self.input_kinds().contains(&v)
    }
    /// The single visibility of every graph input, if they share one.
    pub fn uniform_input(&self) -> Option<Visibility> {
        match self.input_kinds()[..] {
            [v] => Some(v),
            _ => None,
        }
    }
    /// Resolved for a model of `count` graph inputs: every named input exists; when they differ,
    /// every graph input is named; when they all agree, none is (the input group says it).
    pub fn for_graph_inputs(self, count: usize) -> Result<Self> {
        if self.inputs.is_empty() {
            return Ok(self);
        }
        if let Some((i, _)) = self.inputs.named().find(|(i, _)| *i >= count) {
            return Err(ProverError::BadSettings(format!("visibility: input{i} names a graph input the model does not have (it has {count}: input0 to input{})", count.saturating_sub(1))));
        }
        if count > MAX_NAMED_INPUTS {
            return Err(ProverError::BadSettings(format!("visibility: the model has {count} graph inputs; inputs can have visibilities of their own in models of at most {MAX_NAMED_INPUTS}")));
        }
        let each: Vec<Visibility> = (0..count).map(|i| self.input_of(i)).collect();
        let v = if each.iter().all(|v| *v == each[0]) {
            Visibilities { input: each[0], inputs: GraphInputs::NONE, ..self }
        } else {
            let mut g = GraphInputs::NONE;
            for (slot, v) in g.0.iter_mut().zip(&each) {
                *slot = Some(*v);
            }
            Visibilities { inputs: g, ..self }
        };
        v.validate()?;
        Ok(v)
    }
    /// The input wires of each visibility, for graph inputs of `sizes` wires (in graph order;
    /// wires past them, if any, take the input group's visibility).
    pub fn input_wires(&self, sizes: &[usize], total: usize) -> InputWires {
        let mut w = InputWires::default();
        let mut wire = 0;
        let push = |v: Visibility, n: usize, w: &mut InputWires, wire: &mut usize| {
            let end = (*wire + n).min(total);
            w.of_mut(v).extend(*wire..end);
            *wire = end;
        };
        for (i, n) in sizes.iter().enumerate() {
            push(self.input_of(i), *n, &mut w, &mut wire);
        }
        push(self.input, total - wire, &mut w, &mut wire);
        w
    }

    /// Rejects the combinations this version cannot prove, naming the group.
    pub fn validate(&self) -> Result<()> {
        let unsupported = |group: &str, v: Visibility, supported: &str| {
            Err(ProverError::BadSettings(format!("{group} visibility '{v}' is not supported (supported: {supported})")))
        };
        if !matches!(self.weights, Visibility::Fixed | Visibility::Hashed) {
            return unsupported("weights", self.weights, "fixed, hashed");
        }
        for (i, v) in std::iter::once((None, self.input)).chain(self.inputs.named().map(|(i, v)| (Some(i), v))) {
            if v == Visibility::Fixed {
                let group = i.map_or("input".to_string(), |i| format!("input{i}"));
                return unsupported(&group, v, "public, private, hashed");
            }
        }
        if self.output == Visibility::Fixed {
            return unsupported("output", self.output, "public, private, hashed");
        }
        Ok(())
    }
}

impl fmt::Display for Visibilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "weights={}", self.weights)?;
        if self.inputs.is_empty() {
            write!(f, ",input={}", self.input)?;
        }
        for (i, v) in self.inputs.named() {
            write!(f, ",input{i}={v}")?;
        }
        write!(f, ",output={}", self.output)
    }
}

/// The tensor groups a `--visibility` flag names, each with its mode; the groups it leaves out
/// keep the defaults of the circuit being compiled ([`VisibilityOverrides::over`]): an inference
/// circuit's ([`Visibilities::default`]) or an accuracy circuit's ([`Visibilities::BOUNTY`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VisibilityOverrides {
    /// `weights=` (or `params=`), if named.
    pub weights: Option<Visibility>,
    /// `input=`, if named.
    pub input: Option<Visibility>,
    /// `output=`, if named.
    pub output: Option<Visibility>,
    /// `input0=`, `input1=`, …: graph inputs with visibilities of their own.
    pub inputs: GraphInputs,
}

impl VisibilityOverrides {
    /// `defaults` with the named groups replaced, validated.
    pub fn over(self, defaults: Visibilities) -> Result<Visibilities> {
        let v = Visibilities {
            weights: self.weights.unwrap_or(defaults.weights),
            input: self.input.unwrap_or(defaults.input),
            output: self.output.unwrap_or(defaults.output),
            inputs: if self.inputs.is_empty() { defaults.inputs } else { self.inputs },
        };
        v.validate()?;
        Ok(v)
    }

    /// The groups named, in `weights, input, inputN…, output` order (for messages).
    pub fn named(&self) -> Vec<String> {
        let groups = [("weights", self.weights), ("input", self.input)].into_iter().filter(|(_, v)| v.is_some()).map(|(g, _)| g.to_string());
        let inputs = self.inputs.named().map(|(i, _)| format!("input{i}"));
        groups.chain(inputs).chain(self.output.map(|_| "output".to_string())).collect()
    }
}

/// Parses `input=hashed,output=public,weights=fixed` (any subset; naming a group twice is an
/// error).
impl FromStr for VisibilityOverrides {
    type Err = ProverError;
    fn from_str(s: &str) -> Result<Self> {
        let mut v = VisibilityOverrides::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (group, value) = part
                .split_once('=')
                .ok_or_else(|| ProverError::BadSettings(format!("visibility '{part}': expected GROUP=VISIBILITY, e.g. input=hashed")))?;
            let value: Visibility = value.trim().parse()?;
            let slot = match group.trim() {
                "weights" | "params" => &mut v.weights,
                "input" => &mut v.input,
                "output" => &mut v.output,
                other => match other.strip_prefix("input").and_then(|i| i.parse::<usize>().ok()) {
                    Some(i) if i < MAX_NAMED_INPUTS => &mut v.inputs.0[i],
                    Some(i) => return Err(ProverError::BadSettings(format!("visibility: input{i}: graph inputs can have visibilities of their own up to input{}", MAX_NAMED_INPUTS - 1))),
                    None => return Err(ProverError::BadSettings(format!("unknown tensor group '{other}' (expected weights, input, input0, input1, … or output)"))),
                },
            };
            if slot.replace(value).is_some() {
                return Err(ProverError::BadSettings(format!("visibility: tensor group '{}' named twice", group.trim())));
            }
        }
        // Refuse what no circuit supports now, whatever the defaults it will be applied over.
        v.over(Visibilities::default())?;
        Ok(v)
    }
}

/// Parses `input=hashed,output=public,weights=fixed` (any subset; the rest keep the inference
/// defaults, [`Visibilities::default`]).
impl FromStr for Visibilities {
    type Err = ProverError;
    fn from_str(s: &str) -> Result<Self> {
        s.parse::<VisibilityOverrides>()?.over(Visibilities::default())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_subsets_and_names_bad_parts() {
        let v: Visibilities = "input=private".parse().unwrap();
        assert_eq!(v, Visibilities { input: Visibility::Private, ..Visibilities::default() });
        assert_eq!("".parse::<Visibilities>().unwrap(), Visibilities::default());
        let e = "input=secret".parse::<Visibilities>().unwrap_err().to_string();
        assert!(e.contains("'secret'"), "{e}");
        let e = "bias=public".parse::<Visibilities>().unwrap_err().to_string();
        assert!(e.contains("'bias'"), "{e}");
        let e = "output=fixed".parse::<Visibilities>().unwrap_err().to_string();
        assert!(e.contains("output visibility 'fixed' is not supported"), "{e}");
        let e = "weights=public".parse::<Visibilities>().unwrap_err().to_string();
        assert!(e.contains("weights visibility 'public' is not supported (supported: fixed, hashed)"), "{e}");
        let v: Visibilities = "weights=hashed".parse().unwrap();
        assert_eq!(v.weights, Visibility::Hashed);
        let e = "input=public,input=hashed".parse::<Visibilities>().unwrap_err().to_string();
        assert!(e.contains("'input' named twice"), "{e}");
    }

    /// Naming one group must not reset the others to the inference defaults (issue 14, item 2).
    #[test]
    fn unnamed_groups_keep_the_circuits_defaults() {
        let o: VisibilityOverrides = "input=public".parse().unwrap();
        assert_eq!(o.named(), ["input"]);
        let bounty = o.over(Visibilities::BOUNTY).unwrap();
        assert_eq!(bounty, Visibilities { input: Visibility::Public, ..Visibilities::BOUNTY });
        assert_eq!(bounty.weights, Visibility::Hashed, "the accuracy circuit's weights stay hashed");
        assert_eq!(o.over(Visibilities::default()).unwrap(), Visibilities { input: Visibility::Public, ..Visibilities::default() });
        assert_eq!("".parse::<VisibilityOverrides>().unwrap().over(Visibilities::BOUNTY).unwrap(), Visibilities::BOUNTY);
    }
}
