//! SHA-256 (FIPS 180-4), small enough to keep this crate free of dependencies
//! beyond a TOML parser. Checked against the NIST test vectors and a plain
//! reference implementation below.
//!
//! # Written to be fast unoptimised
//!
//! Cargo builds proc macros and their dependencies with `opt-level = 0` in the
//! dev profile, so `embed_revisions!` runs this code unoptimised when it hashes
//! every `up.sql` of a history; so do users' debug binaries. At opt-level 0
//! every iterator step, slice operation and non-`#[inline(always)]` function
//! is a real call, every array index a bounds check and every intermediate
//! value a store and load. Hence the shape of [`compress`]:
//!
//! - the 64 rounds and the message schedule are unrolled by local macros
//!   over local variables (no iterators, no indexing);
//! - rotations are spelled as two shifts (`rotr!`): `u32::rotate_right` is
//!   inlined but calls `core::intrinsics::rotate_right`, which is a function
//!   call at opt-level 0 (`wrapping_add` is inlined completely). LLVM turns
//!   the shift pair back into one rotate instruction when optimising;
//! - [`Sha256::update`] hashes whole blocks straight from the input and only
//!   buffers a partial block.
//!
//! Compared with the plain version kept as the test reference, this hashes
//! about 4.5 times as fast at opt-level 0 and about 1.4 times as fast at
//! opt-level 3 (`cargo run -p revchain-internals --example sha256_speed`,
//! with and without `--release`).

/// The round constants `K`, as the four rows of sixteen that [`compress`]
/// uses per sixteen rounds.
const K: [[u32; 16]; 4] = [
    [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174,
    ],
    [
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc,
        0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
        0x06ca6351, 0x14292967,
    ],
    [
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e,
        0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624,
        0xf40e3585, 0x106aa070,
    ],
    [
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
        0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb,
        0xbef9a3f7, 0xc67178f2,
    ],
];

const INITIAL: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// An incremental SHA-256 hasher.
#[derive(Clone)]
pub(crate) struct Sha256 {
    state: [u32; 8],
    /// The start of a block that `update` could not complete yet.
    block: [u8; 64],
    /// How many bytes of `block` are filled: always below 64 between calls.
    filled: usize,
    length: u64,
}

impl Sha256 {
    pub(crate) fn new() -> Self {
        Sha256 {
            state: INITIAL,
            block: [0; 64],
            filled: 0,
            length: 0,
        }
    }

    pub(crate) fn update(&mut self, mut data: &[u8]) {
        self.length = self.length.wrapping_add(data.len() as u64);
        // First complete the block an earlier call left partly filled.
        if self.filled > 0 {
            let take = (64 - self.filled).min(data.len());
            let (head, rest) = data.split_at(take);
            self.block[self.filled..self.filled + take].copy_from_slice(head);
            self.filled += take;
            data = rest;
            if self.filled < 64 {
                return;
            }
            compress(&mut self.state, &self.block);
            self.filled = 0;
        }
        // Then whole blocks straight from the input, without copying them.
        while let Some((block, rest)) = data.split_first_chunk::<64>() {
            compress(&mut self.state, block);
            data = rest;
        }
        // Keep the rest, under 64 bytes, for the next call or `finish`.
        self.block[..data.len()].copy_from_slice(data);
        self.filled = data.len();
    }

    pub(crate) fn finish(mut self) -> [u8; 32] {
        // Padding: a 1 bit, zeros up to 56 bytes into a block, then the
        // message length in bits as a big-endian u64. When the 0x80 byte
        // leaves no room for the length, the zeros fill one more block.
        let bit_length = self.length.wrapping_mul(8);
        let filled = self.filled;
        self.block[filled] = 0x80;
        if filled < 56 {
            self.block[filled + 1..56].fill(0);
        } else {
            self.block[filled + 1..].fill(0);
            compress(&mut self.state, &self.block);
            self.block = [0; 64];
        }
        self.block[56..].copy_from_slice(&bit_length.to_be_bytes());
        compress(&mut self.state, &self.block);

        let mut out = [0u8; 32];
        let mut i = 0;
        while i < 8 {
            out[4 * i..4 * i + 4].copy_from_slice(&self.state[i].to_be_bytes());
            i += 1;
        }
        out
    }
}

/// `$x` rotated right by the literal `$n`, as two shifts: see the module
/// documentation for why not `u32::rotate_right`. The `const` block makes
/// `32 - $n` a constant; otherwise opt-level 0 computes it at run time, with
/// an overflow check and a shift-amount check.
macro_rules! rotr {
    ($x:expr, $n:literal) => {
        ($x >> $n) | ($x << const { 32 - $n })
    };
}

/// Applies the compression function to one 64-byte block.
fn compress(state: &mut [u32; 8], block: &[u8; 64]) {
    // Word `$i` of the block, big-endian. The indices are constants, so
    // opt-level 0 emits no bounds checks for them.
    macro_rules! word {
        ($i:literal) => {
            u32::from_be_bytes([
                block[const { 4 * $i }],
                block[const { 4 * $i + 1 }],
                block[const { 4 * $i + 2 }],
                block[const { 4 * $i + 3 }],
            ])
        };
    }

    // One round. The working variables are not shifted along
    // (h = g, g = f, ...): instead each round is given the names of the
    // previous one rotated by one place, so after eight rounds every name
    // holds its own variable again. A round therefore only writes the two
    // variables that get a new value: `$d` becomes the new e, `$h` the new a.
    macro_rules! round {
        ($a:ident, $b:ident, $c:ident, $d:ident, $e:ident, $f:ident, $g:ident, $h:ident,
         $k:ident, $w:ident) => {
            let t1 = $h
                .wrapping_add(rotr!($e, 6) ^ rotr!($e, 11) ^ rotr!($e, 25))
                .wrapping_add(($e & $f) ^ (!$e & $g))
                .wrapping_add($k)
                .wrapping_add($w);
            let t2 = (rotr!($a, 2) ^ rotr!($a, 13) ^ rotr!($a, 22))
                .wrapping_add(($a & $b) ^ ($a & $c) ^ ($b & $c));
            $d = $d.wrapping_add(t1);
            $h = t1.wrapping_add(t2);
        };
    }

    // The message schedule is kept as a window of its last sixteen words
    // w0..w15. Word t replaces word t - 16 in the same variable:
    // W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16], passed here as
    // `$w16` (updated in place), `$w15`, `$w7` and `$w2`.
    macro_rules! schedule {
        ($w16:ident, $w15:ident, $w7:ident, $w2:ident) => {
            $w16 = $w16
                .wrapping_add(rotr!($w15, 7) ^ rotr!($w15, 18) ^ ($w15 >> 3))
                .wrapping_add($w7)
                .wrapping_add(rotr!($w2, 17) ^ rotr!($w2, 19) ^ ($w2 >> 10));
        };
    }

    let mut w0 = word!(0);
    let mut w1 = word!(1);
    let mut w2 = word!(2);
    let mut w3 = word!(3);
    let mut w4 = word!(4);
    let mut w5 = word!(5);
    let mut w6 = word!(6);
    let mut w7 = word!(7);
    let mut w8 = word!(8);
    let mut w9 = word!(9);
    let mut w10 = word!(10);
    let mut w11 = word!(11);
    let mut w12 = word!(12);
    let mut w13 = word!(13);
    let mut w14 = word!(14);
    let mut w15 = word!(15);

    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;
    // Sixteen rounds per row of K, then the next sixteen schedule words.
    let mut row = 0;
    loop {
        let [
            k0,
            k1,
            k2,
            k3,
            k4,
            k5,
            k6,
            k7,
            k8,
            k9,
            k10,
            k11,
            k12,
            k13,
            k14,
            k15,
        ] = K[row];
        round!(a, b, c, d, e, f, g, h, k0, w0);
        round!(h, a, b, c, d, e, f, g, k1, w1);
        round!(g, h, a, b, c, d, e, f, k2, w2);
        round!(f, g, h, a, b, c, d, e, k3, w3);
        round!(e, f, g, h, a, b, c, d, k4, w4);
        round!(d, e, f, g, h, a, b, c, k5, w5);
        round!(c, d, e, f, g, h, a, b, k6, w6);
        round!(b, c, d, e, f, g, h, a, k7, w7);
        round!(a, b, c, d, e, f, g, h, k8, w8);
        round!(h, a, b, c, d, e, f, g, k9, w9);
        round!(g, h, a, b, c, d, e, f, k10, w10);
        round!(f, g, h, a, b, c, d, e, k11, w11);
        round!(e, f, g, h, a, b, c, d, k12, w12);
        round!(d, e, f, g, h, a, b, c, k13, w13);
        round!(c, d, e, f, g, h, a, b, k14, w14);
        round!(b, c, d, e, f, g, h, a, k15, w15);

        row += 1;
        if row == K.len() {
            break;
        }
        schedule!(w0, w1, w9, w14);
        schedule!(w1, w2, w10, w15);
        schedule!(w2, w3, w11, w0);
        schedule!(w3, w4, w12, w1);
        schedule!(w4, w5, w13, w2);
        schedule!(w5, w6, w14, w3);
        schedule!(w6, w7, w15, w4);
        schedule!(w7, w8, w0, w5);
        schedule!(w8, w9, w1, w6);
        schedule!(w9, w10, w2, w7);
        schedule!(w10, w11, w3, w8);
        schedule!(w11, w12, w4, w9);
        schedule!(w12, w13, w5, w10);
        schedule!(w13, w14, w6, w11);
        schedule!(w14, w15, w7, w12);
        schedule!(w15, w0, w8, w13);
    }

    state[0] = state[0].wrapping_add(a);
    state[1] = state[1].wrapping_add(b);
    state[2] = state[2].wrapping_add(c);
    state[3] = state[3].wrapping_add(d);
    state[4] = state[4].wrapping_add(e);
    state[5] = state[5].wrapping_add(f);
    state[6] = state[6].wrapping_add(g);
    state[7] = state[7].wrapping_add(h);
}

#[cfg(test)]
mod tests {
    use super::{INITIAL, K, Sha256};

    /// SHA-256 written as plainly as possible (the implementation this module
    /// had before it was tuned for opt-level 0), to check the tuned one.
    fn reference(data: &[u8]) -> [u8; 32] {
        let k = K.as_flattened();
        let mut message = data.to_vec();
        message.push(0x80);
        while message.len() % 64 != 56 {
            message.push(0);
        }
        message.extend_from_slice(&(data.len() as u64 * 8).to_be_bytes());

        let mut state = INITIAL;
        for block in message.chunks_exact(64) {
            let mut w = [0u32; 64];
            for (i, chunk) in block.chunks_exact(4).enumerate() {
                w[i] = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            }
            for i in 16..64 {
                let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
                let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
                w[i] = w[i - 16]
                    .wrapping_add(s0)
                    .wrapping_add(w[i - 7])
                    .wrapping_add(s1);
            }
            let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = state;
            for i in 0..64 {
                let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
                let ch = (e & f) ^ (!e & g);
                let t1 = h
                    .wrapping_add(s1)
                    .wrapping_add(ch)
                    .wrapping_add(k[i])
                    .wrapping_add(w[i]);
                let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
                let maj = (a & b) ^ (a & c) ^ (b & c);
                let t2 = s0.wrapping_add(maj);
                h = g;
                g = f;
                f = e;
                e = d.wrapping_add(t1);
                d = c;
                c = b;
                b = a;
                a = t1.wrapping_add(t2);
            }
            for (slot, value) in state.iter_mut().zip([a, b, c, d, e, f, g, h]) {
                *slot = slot.wrapping_add(value);
            }
        }

        let mut out = [0u8; 32];
        for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        out
    }

    fn hash(data: &[u8]) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(data);
        hasher.finish()
    }

    fn hex(data: &[u8]) -> String {
        hash(data).iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Bytes that differ from block to block and word to word.
    fn sample(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 + i / 7) as u8).collect()
    }

    #[test]
    fn matches_nist_vectors() {
        assert_eq!(
            hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
        assert_eq!(
            hex(&[b'a'; 1_000_000]),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        );
    }

    #[test]
    fn reference_matches_nist_vectors() {
        assert_eq!(reference(b"abc"), hash(b"abc"));
        assert_eq!(
            reference(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            hash(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
        );
    }

    #[test]
    fn incremental_updates_equal_one_update() {
        let data: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let mut split = Sha256::new();
        for piece in data.chunks(7) {
            split.update(piece);
        }
        let mut whole = Sha256::new();
        whole.update(&data);
        assert_eq!(split.finish(), whole.finish());
    }

    /// Every way `update` can meet a partly filled block: pieces of every
    /// length up to just over two blocks, and a split at every such offset.
    /// Length 0 stands for empty updates, which must change nothing.
    #[test]
    fn pieces_of_every_length_equal_one_update() {
        let data = sample(1000);
        let whole = hash(&data);
        assert_eq!(whole, reference(&data));
        for len in 0..=130 {
            let mut pieces = Sha256::new();
            if len == 0 {
                pieces.update(&[]);
                pieces.update(&data);
                pieces.update(&[]);
            } else {
                for piece in data.chunks(len) {
                    pieces.update(piece);
                    pieces.update(&[]);
                }
            }
            assert_eq!(pieces.finish(), whole, "pieces of {len} bytes");

            let mut split = Sha256::new();
            split.update(&data[..len]);
            split.update(&data[len..]);
            assert_eq!(split.finish(), whole, "split after {len} bytes");
        }
    }

    /// Every length up to three blocks and a bit, so every padding case:
    /// room for the length in the last block (up to 55 bytes into it) or not.
    #[test]
    fn every_length_matches_the_reference() {
        let data = sample(200);
        for len in 0..=200 {
            assert_eq!(hash(&data[..len]), reference(&data[..len]), "{len} bytes");
        }
    }
}
