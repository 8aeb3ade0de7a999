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

/// Parses `input=hashed,output=public,weights=fixed` (any subset; the rest keep the defaults).
impl FromStr for Visibilities {
    type Err = ProverError;
    fn from_str(s: &str) -> Result<Self> {
        let mut v = Visibilities::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (group, value) = part
                .split_once('=')
                .ok_or_else(|| ProverError::BadSettings(format!("visibility '{part}': expected GROUP=VISIBILITY, e.g. input=hashed")))?;
            let value: Visibility = value.trim().parse()?;
            match group.trim() {
                "weights" | "params" => v.weights = value,
                "input" => v.input = value,
                "output" => v.output = value,
                other => return Err(ProverError::BadSettings(format!("unknown tensor group '{other}' (expected weights, input or output)"))),
            }
        }
        v.validate()?;
        Ok(v)
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
    }
}
