//! The fuzzer's mutators that need nothing but std and serde_json (shared with the CLI fuzz test,
//! `cli/tests/fuzz_cli.rs`): a seeded PRNG, byte-level havoc (bit flips, interesting values,
//! insertions, deletions, truncation, splicing), JSON-aware mutation (a value replaced with a
//! huge, negative, non-finite or wrongly typed one, keys dropped, arrays grown or emptied, deep
//! nesting) and protobuf-wire-aware mutation (a varint field set to an extreme).
#![allow(dead_code)]

use serde_json::Value;

/// SplitMix64: small, seeded, good enough to drive mutations reproducibly.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9e37_79b9_7f4a_7c15)
    }
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    /// True with probability `1 / n`.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }
    /// A random element.
    pub fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

/// Integers that break size arithmetic: zero, one, off-by-ones at every power of two a format
/// uses, the extremes of every integer type.
pub const INTERESTING_I64: &[i64] = &[
    0,
    1,
    -1,
    2,
    3,
    7,
    8,
    16,
    255,
    256,
    4095,
    65535,
    65536,
    1 << 20,
    (1 << 21) + 1,
    1 << 24,
    i32::MAX as i64,
    1 << 31,
    u32::MAX as i64,
    1 << 32,
    1 << 40,
    1 << 53,
    1 << 62,
    i64::MAX,
    i64::MIN,
    i64::MIN + 1,
    -(1 << 31),
    -65536,
];

/// An interesting integer, sometimes perturbed by ±1.
pub fn interesting(rng: &mut Rng) -> i64 {
    let v = *rng.pick(INTERESTING_I64);
    match rng.below(4) {
        0 => v.wrapping_add(1),
        1 => v.wrapping_sub(1),
        _ => v,
    }
}

/// Byte-level havoc: 1 to 4 stacked edits. `other` is a second input to splice from. Returns a
/// description of what was done.
pub fn havoc(rng: &mut Rng, data: &mut Vec<u8>, other: &[u8]) -> String {
    let n = 1 + rng.below(4);
    let mut what = Vec::new();
    for _ in 0..n {
        what.push(havoc_one(rng, data, other));
    }
    what.join(", ")
}

fn havoc_one(rng: &mut Rng, data: &mut Vec<u8>, other: &[u8]) -> String {
    if data.is_empty() {
        data.push(rng.next_u64() as u8);
        return "grew an empty file".into();
    }
    let len = data.len();
    let at = rng.below(len);
    match rng.below(10) {
        0 | 1 => {
            let bit = rng.below(8);
            data[at] ^= 1 << bit;
            format!("flipped bit {bit} of byte {at}")
        }
        2 => {
            let v = *rng.pick(&[0u8, 0xff, 0x7f, 0x80, b'0', b'9', b'-', b'"', b'[', b'{', b'e']);
            data[at] = v;
            format!("set byte {at} to {v:#04x}")
        }
        3 => {
            // An interesting integer over 1, 2, 4 or 8 bytes, either endianness.
            let width = *rng.pick(&[1usize, 2, 4, 8]);
            let v = interesting(rng).to_le_bytes();
            let be = rng.one_in(2);
            for i in 0..width.min(len - at) {
                data[at + i] = if be { v[width - 1 - i] } else { v[i] };
            }
            format!("wrote an interesting {width}-byte integer at {at}")
        }
        4 => {
            let k = 1 + rng.below(16.min(len));
            let end = (at + k).min(len);
            data.drain(at..end);
            format!("deleted bytes {at}..{end}")
        }
        5 => {
            let k = 1 + rng.below(64);
            let bytes: Vec<u8> = (0..k).map(|_| rng.next_u64() as u8).collect();
            data.splice(at..at, bytes);
            format!("inserted {k} random bytes at {at}")
        }
        6 => {
            data.truncate(at);
            format!("truncated to {at} bytes")
        }
        7 => {
            // Duplicate a chunk (repeated structure).
            let k = 1 + rng.below(256.min(len - at));
            let chunk = data[at..at + k].to_vec();
            let to = rng.below(len);
            data.splice(to..to, chunk);
            format!("duplicated {k} bytes from {at} at {to}")
        }
        8 if !other.is_empty() => {
            // Splice: our head, the other input's tail.
            let from = rng.below(other.len());
            data.truncate(at);
            data.extend_from_slice(&other[from..]);
            format!("spliced another seed's bytes {from}.. at {at}")
        }
        _ => {
            let k = 1 + rng.below(8.min(len - at));
            data[at..at + k].fill(0);
            format!("zeroed bytes {at}..{}", at + k)
        }
    }
}

/// A JSON value that breaks its consumer: a number at an extreme, non-finite by way of
/// overflow, negative, fractional; a string that is empty, not hex, or long; the wrong type.
pub fn hostile_json(rng: &mut Rng, like: &Value) -> Value {
    match rng.below(12) {
        0..=3 => Value::from(interesting(rng)),
        4 => Value::from(*rng.pick(&[u64::MAX, 1u64 << 63, (1u64 << 53) + 1])),
        5 => serde_json::Number::from_f64(*rng.pick(&[1e308, -1e308, 1e-308, 0.5, -0.5, 3.4e38, -0.0, 1e19])).map_or(Value::Null, Value::Number),
        6 => Value::from(*rng.pick(&["", "0x", "0xzz", "0x00", "not a number", "NaN", "-1", "1e999", "dev_unsafe", "file"])),
        7 => Value::from(format!("0x{}", "f".repeat(*rng.pick(&[63usize, 64, 65, 66])))),
        8 => rng.pick(&[Value::Null, Value::Bool(true), Value::Bool(false)]).clone(),
        9 => match like {
            Value::Array(_) => Value::Object(Default::default()),
            Value::Object(_) => Value::Array(vec![]),
            _ => Value::Array(vec![like.clone()]),
        },
        10 => Value::from("x".repeat(100_000)),
        _ => {
            // Deep nesting.
            let mut v = Value::from(0);
            for _ in 0..rng.below(300) {
                v = Value::Array(vec![v]);
            }
            v
        }
    }
}

/// Every value's path in `v` (object keys and array indices), at most `max` of them.
fn paths(v: &Value, max: usize) -> Vec<Vec<PathPart>> {
    let mut out = Vec::new();
    let mut stack = vec![(v, Vec::new())];
    while let Some((v, p)) = stack.pop() {
        if out.len() >= max {
            break;
        }
        match v {
            Value::Object(m) => m.iter().for_each(|(k, c)| stack.push((c, [p.clone(), vec![PathPart::Key(k.clone())]].concat()))),
            Value::Array(a) => a.iter().enumerate().for_each(|(i, c)| stack.push((c, [p.clone(), vec![PathPart::Index(i)]].concat()))),
            _ => {}
        }
        out.push(p);
    }
    out
}

#[derive(Debug, Clone)]
enum PathPart {
    Key(String),
    Index(usize),
}

fn at_mut<'a>(v: &'a mut Value, path: &[PathPart]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |v, p| match p {
        PathPart::Key(k) => v.get_mut(k.as_str()),
        PathPart::Index(i) => v.get_mut(*i),
    })
}

fn describe(path: &[PathPart]) -> String {
    path.iter().map(|p| match p { PathPart::Key(k) => format!(".{k}"), PathPart::Index(i) => format!("[{i}]") }).collect()
}

/// JSON-aware mutation of `text`: 1 to 3 edits of the parsed value, serialised back; falls back to
/// [`havoc`] when the text is not JSON.
pub fn mutate_json(rng: &mut Rng, text: &[u8], other: &[u8]) -> (Vec<u8>, String) {
    let Ok(mut v) = serde_json::from_slice::<Value>(text) else {
        let mut d = text.to_vec();
        let what = havoc(rng, &mut d, other);
        return (d, what);
    };
    let mut what = Vec::new();
    for _ in 0..1 + rng.below(3) {
        let all = paths(&v, 50_000);
        let path = rng.pick(&all).clone();
        let Some(node) = at_mut(&mut v, &path) else { continue };
        let here = describe(&path);
        match rng.below(10) {
            0..=5 => {
                *node = hostile_json(rng, node);
                what.push(format!("{here} := hostile value"));
            }
            6 => {
                let new = match node.as_i64() {
                    Some(x) => Value::from(*rng.pick(&[x.wrapping_add(1), x.wrapping_sub(1), x.wrapping_neg(), x.wrapping_mul(2), x.wrapping_mul(1 << 20)])),
                    None => hostile_json(rng, node),
                };
                *node = new;
                what.push(format!("{here} perturbed"));
            }
            7 => match node {
                Value::Array(a) if !a.is_empty() => {
                    let i = rng.below(a.len());
                    match rng.below(3) {
                        0 => drop(a.remove(i)),
                        1 => a.truncate(i),
                        _ => {
                            let copy = a[i].clone();
                            let k = *rng.pick(&[1usize, 2, 100, 10_000]);
                            a.extend(std::iter::repeat_n(copy, k));
                        }
                    }
                    what.push(format!("{here} resized"));
                }
                Value::Object(m) if !m.is_empty() => {
                    let key = m.keys().nth(rng.below(m.len())).cloned().unwrap_or_default();
                    m.remove(&key);
                    what.push(format!("{here}.{key} removed"));
                }
                _ => what.push("no-op".into()),
            },
            8 => {
                if let Value::Object(m) = node {
                    m.insert(rng.pick(&["format", "version", "k", "tied", "prods", "pinned", "accuracy", "extra"]).to_string(), hostile_json(rng, &Value::Null));
                    what.push(format!("{here}: key added"));
                }
            }
            _ => {
                // A number as a huge or non-finite literal (text level, below).
                *node = Value::from("__HUGE__");
                what.push(format!("{here} := huge literal"));
            }
        }
    }
    let mut s = if rng.one_in(2) { serde_json::to_string(&v) } else { serde_json::to_string_pretty(&v) }.unwrap_or_default();
    let literal = *rng.pick(&["1e999", "-1e999", "NaN", "123456789012345678901234567890", "-0", "[0,0,0]"]);
    s = s.replace("\"__HUGE__\"", literal);
    (s.into_bytes(), what.join(", "))
}

/// Protobuf-wire-aware mutation: the offsets of every varint field of `data` (walking messages
/// recursively where a length-delimited field parses as one), one of which is rewritten to an
/// extreme value. Falls back to [`havoc`].
pub fn mutate_protobuf(rng: &mut Rng, data: &[u8], other: &[u8]) -> (Vec<u8>, String) {
    let mut varints = Vec::new();
    walk(data, 0, 0, &mut varints);
    if varints.is_empty() {
        let mut d = data.to_vec();
        let what = havoc(rng, &mut d, other);
        return (d, what);
    }
    let (start, end) = *rng.pick(&varints);
    let v = interesting(rng) as u64;
    let mut enc = Vec::new();
    let mut x = v;
    loop {
        let b = (x & 0x7f) as u8;
        x >>= 7;
        if x == 0 {
            enc.push(b);
            break;
        }
        enc.push(b | 0x80);
    }
    // Keep the length when the new encoding fits (so enclosing lengths stay right), pad with
    // continuation bytes; else splice (enclosing lengths then go wrong: also worth trying).
    let mut out = data.to_vec();
    if enc.len() <= end - start {
        while enc.len() < end - start {
            let last = enc.len() - 1;
            enc[last] |= 0x80;
            enc.push(0);
        }
    }
    out.splice(start..end, enc);
    (out, format!("varint at {start} := {v:#x}"))
}

fn varint(data: &[u8], mut at: usize) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for shift in (0..70).step_by(7) {
        let b = *data.get(at)?;
        at += 1;
        if shift < 64 {
            v |= u64::from(b & 0x7f) << shift;
        }
        if b & 0x80 == 0 {
            return Some((v, at));
        }
    }
    None
}

/// Collects `(start, end)` of every varint value in a protobuf message (best effort).
fn walk(data: &[u8], base: usize, depth: usize, out: &mut Vec<(usize, usize)>) -> bool {
    if depth > 8 {
        return false;
    }
    let mut at = 0;
    let mut found = Vec::new();
    while at < data.len() {
        let Some((key, next)) = varint(data, at) else { return false };
        at = next;
        match key & 7 {
            0 => {
                let Some((_, next)) = varint(data, at) else { return false };
                found.push((base + at, base + next));
                at = next;
            }
            1 => at += 8,
            5 => at += 4,
            2 => {
                let Some((len, next)) = varint(data, at) else { return false };
                let end = next.saturating_add(len as usize);
                if end > data.len() {
                    return false;
                }
                found.push((base + at, base + next));
                let inner = &data[next..end];
                let mut sub = Vec::new();
                if walk(inner, base + next, depth + 1, &mut sub) {
                    found.extend(sub);
                } else {
                    // Maybe a packed repeated varint field (dims, ints).
                    let mut p = 0;
                    while p < inner.len() {
                        let Some((_, n)) = varint(inner, p) else { break };
                        found.push((base + next + p, base + next + n));
                        p = n;
                    }
                }
                at = end;
            }
            _ => return false,
        }
        if at > data.len() {
            return false;
        }
    }
    out.extend(found);
    true
}
