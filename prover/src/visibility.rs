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

/// The visibility of every tensor group. Defaults: weights `fixed`, input `hashed`, output
/// `public`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Visibilities {
    /// The model's weights and biases.
    pub weights: Visibility,
    /// The model's input.
    pub input: Visibility,
    /// The model's output.
    pub output: Visibility,
}

impl Default for Visibilities {
    fn default() -> Self {
        Self { weights: Visibility::Fixed, input: Visibility::Hashed, output: Visibility::Public }
    }
}

impl Visibilities {
    /// Everything but the (fixed) weights public: the input and output are instances.
    pub const PUBLIC: Visibilities = Visibilities { weights: Visibility::Fixed, input: Visibility::Public, output: Visibility::Public };
    /// An accuracy bounty's: the hunter's weights and the test set hashed, the count public.
    pub const BOUNTY: Visibilities = Visibilities { weights: Visibility::Hashed, input: Visibility::Hashed, output: Visibility::Public };

    /// Rejects the combinations this version cannot prove, naming the group.
    pub fn validate(&self) -> Result<()> {
        let unsupported = |group: &str, v: Visibility, supported: &str| {
            Err(ProverError::BadSettings(format!("{group} visibility '{v}' is not supported (supported: {supported})")))
        };
        if !matches!(self.weights, Visibility::Fixed | Visibility::Hashed) {
            return unsupported("weights", self.weights, "fixed, hashed");
        }
        if self.input == Visibility::Fixed {
            return unsupported("input", self.input, "public, private, hashed");
        }
        if self.output == Visibility::Fixed {
            return unsupported("output", self.output, "public, private, hashed");
        }
        Ok(())
    }
}

impl fmt::Display for Visibilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "weights={},input={},output={}", self.weights, self.input, self.output)
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
}

impl VisibilityOverrides {
    /// `defaults` with the named groups replaced, validated.
    pub fn over(self, defaults: Visibilities) -> Result<Visibilities> {
        let v = Visibilities {
            weights: self.weights.unwrap_or(defaults.weights),
            input: self.input.unwrap_or(defaults.input),
            output: self.output.unwrap_or(defaults.output),
        };
        v.validate()?;
        Ok(v)
    }

    /// The groups named, in `weights, input, output` order (for messages).
    pub fn named(&self) -> Vec<&'static str> {
        [("weights", self.weights), ("input", self.input), ("output", self.output)].into_iter().filter(|(_, v)| v.is_some()).map(|(g, _)| g).collect()
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
                other => return Err(ProverError::BadSettings(format!("unknown tensor group '{other}' (expected weights, input or output)"))),
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
