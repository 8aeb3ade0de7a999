//! Poseidon permutation over the BN254 scalar field, width 3 (two-to-one hash).
//!
//! Parameters are circomlib's for two inputs: state width t = 3 (rate 2, capacity 1),
//! S-box x^5, R_F = 8 full rounds (4 before and 4 after the partial ones) and R_P = 57
//! partial rounds, in which only element 0 goes through the S-box.
//!
//! The round constants and the MDS matrix are not pasted: they are generated at first use
//! (see [`spec`]) by the Grain LFSR procedure of the Poseidon paper's reference script
//! `generate_parameters_grain.sage` (Grassi et al.), run as
//! `sage generate_parameters_grain.sage 1 0 254 3 8 57 <p>`, which is where circomlib's
//! constants come from:
//!
//! * the 80-bit LFSR state starts as field = 1 (2 bits), S-box = 0 (4 bits), n = 254
//!   (12 bits), t (12 bits), R_F (10 bits), R_P (10 bits), all big-endian, then 30 ones;
//!   the first 160 output bits are discarded; after that bits are taken in pairs and the
//!   second is kept only when the first is 1;
//! * each round constant is the next 254 bits read as a big-endian integer, re-drawn while
//!   it is ≥ p; there are `ROUNDS * WIDTH` of them, round by round;
//! * the MDS matrix is the Cauchy matrix `1 / (x_i + y_j)` over 2t further 254-bit draws,
//!   `x` the first t and `y` the last t. Unlike the round constants these draws are reduced
//!   mod p, not rejected (this matters: for t = 3 one of the six draws is ≥ p); all 2t are
//!   re-drawn if two are equal or some `x_i + y_j` is zero.
//!   The reference's further MDS security checks (its algorithms 1-3) are not run here:
//!   for these parameters circomlib's matrix is the first candidate, as the tests confirm.
//!
//! [`hash2`] matches circomlib's `Poseidon(2)` circuit and circomlibjs'
//! `poseidon([a, b])`; for example `poseidon([1, 2])` is
//! `7853200120776062878684798364095072458815029376092732009249414926327459813530`.

use std::sync::OnceLock;

use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::{Field, PrimeField};

/// State width t.
pub const WIDTH: usize = 3;
/// Rate: field elements absorbed per permutation (the capacity is `WIDTH - RATE` = 1).
pub const RATE: usize = 2;
/// Number of full rounds R_F (half before the partial rounds, half after).
pub const FULL_ROUNDS: usize = 8;
/// Number of partial rounds R_P.
pub const PARTIAL_ROUNDS: usize = 57;
/// Total number of rounds.
pub const ROUNDS: usize = FULL_ROUNDS + PARTIAL_ROUNDS;

/// Bit length n of the field elements drawn from the Grain LFSR.
const FIELD_BITS: usize = 254;

/// The permutation's constants.
#[derive(Clone, Debug)]
pub struct Spec {
    /// Round constants, one row of `WIDTH` per round (`ROUNDS` rows), added at the start of
    /// each round.
    pub round_constants: Vec<[Fr; WIDTH]>,
    /// MDS matrix: a round's linear layer is `new[j] = Σ_k mds[j][k]·old[k]`.
    pub mds: [[Fr; WIDTH]; WIDTH],
}

/// The Grain LFSR of the reference script; bit `i` of `state` is `bit_sequence[i]`.
struct Grain {
    state: u128,
}

impl Grain {
    fn new() -> Self {
        let fields: [(u64, usize); 7] = [
            (1, 2), // field type: prime field
            (0, 4), // S-box: x^alpha
            (FIELD_BITS as u64, 12),
            (WIDTH as u64, 12),
            (FULL_ROUNDS as u64, 10),
            (PARTIAL_ROUNDS as u64, 10),
            ((1 << 30) - 1, 30),
        ];
        let mut state = 0u128;
        let mut pos = 0;
        for (value, width) in fields {
            for k in (0..width).rev() {
                state |= u128::from((value >> k) & 1 == 1) << pos;
                pos += 1;
            }
        }
        debug_assert_eq!(pos, 80);
        let mut grain = Grain { state };
        for _ in 0..160 {
            grain.step();
        }
        grain
    }

    /// Shift the register once and return the new bit.
    fn step(&mut self) -> bool {
        let s = self.state;
        let bit = ((s >> 62) ^ (s >> 51) ^ (s >> 38) ^ (s >> 23) ^ (s >> 13) ^ s) & 1;
        self.state = (s >> 1) | (bit << 79);
        bit == 1
    }

    /// Next output bit: of each pair, the second bit is kept iff the first is 1.
    fn next_bit(&mut self) -> bool {
        loop {
            let keep = self.step();
            let bit = self.step();
            if keep {
                return bit;
            }
        }
    }

    /// The next `FIELD_BITS` bits as a big-endian integer, in little-endian byte order.
    fn next_repr(&mut self) -> [u8; 32] {
        let mut repr = [0u8; 32];
        for weight in (0..FIELD_BITS).rev() {
            if self.next_bit() {
                repr[weight / 8] |= 1 << (weight % 8);
            }
        }
        repr
    }

    /// A round constant: the next draw, rejected (and re-drawn) while it is ≥ p.
    fn next_constant(&mut self) -> Fr {
        loop {
            if let Some(fe) = Option::<Fr>::from(Fr::from_repr(self.next_repr())) {
                return fe;
            }
        }
    }

    /// An MDS sample: the next draw reduced mod p (no rejection).
    fn next_reduced(&mut self) -> Fr {
        let mut acc = Fr::ZERO;
        for _ in 0..FIELD_BITS {
            acc = acc.double();
            if self.next_bit() {
                acc += Fr::ONE;
            }
        }
        acc
    }

    /// The Cauchy MDS matrix `1 / (x_i + y_j)`, re-drawing all 2t samples on a repeat or
    /// on a zero `x_i + y_j`.
    fn next_mds(&mut self) -> [[Fr; WIDTH]; WIDTH] {
        'draw: loop {
            let samples: [Fr; 2 * WIDTH] = std::array::from_fn(|_| self.next_reduced());
            for i in 0..samples.len() {
                if samples[i + 1..].contains(&samples[i]) {
                    continue 'draw;
                }
            }
            let (xs, ys) = samples.split_at(WIDTH);
            let mut mds = [[Fr::ZERO; WIDTH]; WIDTH];
            for (row, x) in mds.iter_mut().zip(xs) {
                for (entry, y) in row.iter_mut().zip(ys) {
                    match Option::<Fr>::from((*x + y).invert()) {
                        Some(inv) => *entry = inv,
                        None => continue 'draw,
                    }
                }
            }
            return mds;
        }
    }
}

fn generate() -> Spec {
    let mut grain = Grain::new();
    let round_constants = (0..ROUNDS)
        .map(|_| std::array::from_fn(|_| grain.next_constant()))
        .collect();
    let mds = grain.next_mds();
    Spec {
        round_constants,
        mds,
    }
}

/// The permutation's constants, generated on first use (see the module docs).
pub fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(generate)
}

/// Round r is full iff r < FULL_ROUNDS/2 or r >= FULL_ROUNDS/2 + PARTIAL_ROUNDS.
pub fn is_full_round(r: usize) -> bool {
    !(FULL_ROUNDS / 2..FULL_ROUNDS / 2 + PARTIAL_ROUNDS).contains(&r)
}

fn pow5(x: Fr) -> Fr {
    x.square().square() * x
}

/// One round: add `round_constants[r]` to every element, S-box x^5 on every element (full
/// round) or on element 0 only (partial), then multiply by the MDS:
/// `new[j] = Σ_k mds[j][k]·old[k]`.
///
/// Panics if `r >= ROUNDS`.
pub fn round(state: &mut [Fr; WIDTH], r: usize) {
    let spec = spec();
    for (s, c) in state.iter_mut().zip(&spec.round_constants[r]) {
        *s += c;
    }
    if is_full_round(r) {
        for s in state.iter_mut() {
            *s = pow5(*s);
        }
    } else {
        state[0] = pow5(state[0]);
    }
    let old = *state;
    for (s, row) in state.iter_mut().zip(&spec.mds) {
        *s = row.iter().zip(&old).map(|(m, o)| *m * o).sum();
    }
}

/// All ROUNDS rounds in order.
pub fn permute(state: &mut [Fr; WIDTH]) {
    for r in 0..ROUNDS {
        round(state, r);
    }
}

/// circomlib's `poseidon([a, b])`: permute([0, a, b]) and return element 0.
pub fn hash2(a: Fr, b: Fr) -> Fr {
    let mut state = [Fr::ZERO, a, b];
    permute(&mut state);
    state[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A field element from a decimal or `0x` hex literal.
    fn fe(s: &str) -> Fr {
        match s.strip_prefix("0x") {
            Some(hex) => hex.chars().fold(Fr::ZERO, |acc, c| {
                acc * Fr::from(16) + Fr::from(u64::from(c.to_digit(16).expect("hex digit")))
            }),
            None => Fr::from_str_vartime(s).expect("decimal literal"),
        }
    }

    // Vectors from circomlibjs 0.1.7 (npm), computed with both `buildPoseidon()` (wasm) and
    // `buildPoseidonReference()`, which agree: in a scratch dir, `npm install circomlibjs`, then
    // `P = await buildPoseidon(); P.F.toObject(P([a, b])).toString()` for the hash and
    // `P([a, b], 0, 3)` for the whole permuted state of [0, a, b]. A and B were drawn once as
    // random 32 bytes mod p (node `crypto.randomBytes`).
    const A: &str = "1697156268174467480142352870343634322044668421498040433260786552676287243286";
    const B: &str = "21530208587933338728918718383634414993077649751915241086692899958252600895380";

    #[test]
    fn circomlibjs_hash_vectors() {
        let inputs = [["1", "2"], ["0", "0"], [A, B]];
        let wants = [
            "7853200120776062878684798364095072458815029376092732009249414926327459813530",
            "14744269619966411208579211824598458697587494354926760081771325075741142829156",
            "4771651761165765876478247083198133562219206188894386614527286814036217001861",
        ];
        for ([a, b], want) in inputs.into_iter().zip(wants) {
            assert_eq!(hash2(fe(a), fe(b)), fe(want), "poseidon([{a}, {b}])");
        }
    }

    #[test]
    fn circomlibjs_full_state_vectors() {
        let cases = [
            (
                ["0", "1", "2"],
                [
                    "7853200120776062878684798364095072458815029376092732009249414926327459813530",
                    "7142104613055408817911962100316808866448378443474503659992478482890339429929",
                    "6549537674122432311777789598043107870002137484850126429160507761192163713804",
                ],
            ),
            (
                ["0", A, B],
                [
                    "4771651761165765876478247083198133562219206188894386614527286814036217001861",
                    "12459850576456450432713059610451543024635834272634588069084643050939331449846",
                    "11677368124410965874510133876411427225906360923758881774110472566014664447213",
                ],
            ),
        ];
        for (input, want) in cases {
            let mut state = input.map(fe);
            permute(&mut state);
            assert_eq!(state, want.map(fe), "permute({input:?})");
        }
    }

    #[test]
    fn constants_spot_check() {
        // From circomlibjs' src/poseidon_constants.json (C[1], M[1], i.e. t = 3), only to
        // localise a failure of the vectors above to the round constants or the MDS.
        let s = spec();
        let got = [
            s.round_constants[0][0],
            s.round_constants[ROUNDS - 1][2],
            s.mds[0][0],
            s.mds[0][1],
            s.mds[2][2],
        ];
        let want = [
            "0x0ee9a592ba9a9518d05986d656f40c2114c4993c11bb29938d21d47304cd8e6e",
            "0x1da55cc900f0d21f4a3e694391918a1b3c23b2ac773c6b3ef88e2e4228325161",
            "0x109b7f411ba0e4c9b2b70caf5c36a7b194be7c11ad24378bfedb68592ba8118b",
            "0x16ed41e13bb9c0c66ae119424fddbcbc9314dc9fdbdeea55d6c64543dc4903e0",
            "0x19a3fc0a56702bf417ba7fee3802593fa644470307043f7773279cd71d25d5e0",
        ];
        assert_eq!(got, want.map(fe));
    }

    #[test]
    fn permute_is_rounds_in_order() {
        let start = [fe(A), fe(B), Fr::from(7)];
        let mut by_round = start;
        for r in 0..ROUNDS {
            round(&mut by_round, r);
        }
        let mut whole = start;
        permute(&mut whole);
        assert_eq!(by_round, whole);
    }

    #[test]
    fn round_structure() {
        assert_eq!(spec().round_constants.len(), ROUNDS);
        assert_eq!(ROUNDS * WIDTH, 195);
        let full = (0..ROUNDS).filter(|&r| is_full_round(r)).count();
        assert_eq!(full, FULL_ROUNDS);
        assert!(is_full_round(3) && !is_full_round(4) && !is_full_round(60) && is_full_round(61));
    }

    #[test]
    fn mds_is_invertible() {
        let m = &spec().mds;
        let det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
        assert_ne!(det, Fr::ZERO);
    }
}
