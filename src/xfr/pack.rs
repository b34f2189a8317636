//! Packing a transfer's records into TCP-framed DNS messages, with a name-compression table
//! made for long runs of records: a hash table of the suffixes already written, one node per
//! (known shorter suffix, label), so that finding the longest known suffix of a name costs
//! one lookup per label whatever the message holds (the query path's `Writer` scans a short
//! list instead, which suits small answers). Matching is exact, letter case included (BIND
//! too compresses case-sensitively unless `no-case-compress` says otherwise), so every name
//! reads back as the zone spells it. Finished messages wait in one buffer to be written
//! together.

use crate::dns::rdata;
use crate::dns::tsig::Signer;

/// The two length bytes in front of a message on TCP.
const FRAME: usize = 2;
/// Compression pointers can only reach the first 16 KiB of a message.
const MAX_PTR: usize = 0x3fff;
/// Slots of the open-addressing table (a power of two).
const SLOTS: usize = 1 << 13;
/// Most suffixes remembered per message: the table stays at most half full.
const MAX_NODES: usize = SLOTS / 2;
/// The parent of a name's last label: the root.
const ROOT: u32 = u32::MAX;
/// No node (a suffix not remembered).
const NONE: u32 = u32::MAX - 1;
/// Most labels a name can have (255 bytes, 2 per label).
const MAX_LABELS: usize = 128;

/// One remembered suffix: the label written at message offset `at`, followed by the suffix
/// `parent` (a node index, or [`ROOT`]).
#[derive(Clone, Copy)]
struct Node {
    parent: u32,
    at: u16,
    hash: u32,
    slot: u32,
}

/// Messages being packed: `buf` holds finished messages (each after its length prefix)
/// waiting to be written together, then the one being filled, from `base`.
pub(super) struct Packer {
    buf: Vec<u8>,
    /// Where the message being filled (its length prefix) starts in `buf`.
    base: usize,
    /// Size (without the prefix) that [`Packer::fits`] fills messages to.
    target: usize,
    /// Largest message allowed (without the prefix), see [`Packer::over`].
    max: usize,
    /// 0 when free, else a node index + 1.
    slots: Box<[u32]>,
    nodes: Vec<Node>,
    /// Scratch: where each label of the name being written starts.
    starts: [u8; MAX_LABELS],
    /// The suffix nodes of the name compressed last, by label from the right (`NONE` for a
    /// suffix not remembered), and its label count.
    rsuffix: [u32; MAX_LABELS],
    prev_labels: usize,
}

impl Packer {
    /// A packer filling messages to `target` bytes (without the length prefix); a message
    /// of one record alone may grow to `max`.
    pub(super) fn new(target: usize, max: usize) -> Packer {
        Packer {
            buf: Vec::with_capacity(2 * (FRAME + max.max(target)) + 512),
            base: 0,
            target: target.min(max),
            max,
            slots: vec![0; SLOTS].into_boxed_slice(),
            nodes: Vec::with_capacity(MAX_NODES),
            starts: [0; MAX_LABELS],
            rsuffix: [NONE; MAX_LABELS],
            prev_labels: 0,
        }
    }

    /// Starts a new message after the finished ones: a zeroed header, nothing remembered.
    pub(super) fn begin(&mut self) {
        for n in &self.nodes {
            self.slots[n.slot as usize] = 0;
        }
        self.nodes.clear();
        self.prev_labels = 0;
        self.base = self.buf.len();
        self.buf
            .resize(self.base + FRAME + crate::dns::wire::HEADER, 0);
    }

    /// Length of the message so far.
    pub(super) fn len(&self) -> usize {
        self.buf.len() - self.base - FRAME
    }

    /// The finished messages, framed, to be written in one go.
    pub(super) fn finished(&self) -> &[u8] {
        &self.buf[..self.base]
    }

    /// Forgets the finished messages (once written); call between messages only.
    pub(super) fn clear(&mut self) {
        self.buf.clear();
        self.base = 0;
    }

    /// Is the message longer than `max` (a record too big for any message)?
    pub(super) fn over(&self) -> bool {
        self.len() > self.max
    }

    /// Does a record of this owner and RDATA surely fit (uncompressed) under the target?
    pub(super) fn fits(&self, owner: &[u8], rd: &[u8]) -> bool {
        self.len() + owner.len() + 10 + rd.len() <= self.target
    }

    /// Appends the question: `qname` (a compression target) and the bytes after it.
    pub(super) fn put_question(&mut self, qname: &[u8], rest: &[u8]) {
        self.put_name(qname, true);
        self.buf.extend_from_slice(rest);
    }

    /// Appends one record; names in RDATA are compressed for the RFC 1035 types only.
    pub(super) fn put_rr(&mut self, owner: &[u8], rtype: u16, class: u16, ttl: u32, rd: &[u8]) {
        self.put_name(owner, true);
        let t = rtype.to_be_bytes();
        let c = class.to_be_bytes();
        let l = ttl.to_be_bytes();
        self.buf
            .extend_from_slice(&[t[0], t[1], c[0], c[1], l[0], l[1], l[2], l[3], 0, 0]);
        let len_at = self.buf.len() - 2;
        match rdata::compressible_fields(rtype) {
            Some(fields) => self.put_fields(fields, rd),
            None => self.buf.extend_from_slice(rd),
        }
        let rdlen = (self.buf.len() - len_at - 2).min(u16::MAX as usize) as u16;
        self.buf[len_at..len_at + 2].copy_from_slice(&rdlen.to_be_bytes());
    }

    fn put_fields(&mut self, fields: &[rdata::F], rd: &[u8]) {
        let mut p = 0usize;
        for f in fields {
            if let rdata::F::Dn(compress) = *f {
                let Some(l) = rd.get(p..).and_then(crate::dns::name::wire_len) else {
                    break;
                };
                self.put_name(&rd[p..p + l], compress);
                p += l;
                continue;
            }
            // Fields other than names are copied; one of unknown length takes the rest.
            let n = f.wire_len(rd, p).unwrap_or(rd.len() - p);
            let end = (p + n).min(rd.len());
            self.buf.extend_from_slice(&rd[p..end]);
            p = end;
        }
        if p < rd.len() {
            self.buf.extend_from_slice(&rd[p..]);
        }
    }

    /// Writes the header (`counts`: QD, AN, NS, AR), signs the message when `signer` is
    /// given and fills in the length prefix: the message joins the finished ones.
    pub(super) fn finish(
        &mut self,
        id: u16,
        flags: u16,
        counts: [u16; 4],
        signer: Option<&mut Signer<'_>>,
    ) {
        let msg = self.base + FRAME;
        let h = &mut self.buf[msg..msg + crate::dns::wire::HEADER];
        h[0..2].copy_from_slice(&id.to_be_bytes());
        h[2..4].copy_from_slice(&flags.to_be_bytes());
        for (i, c) in counts.iter().enumerate() {
            h[4 + 2 * i..6 + 2 * i].copy_from_slice(&c.to_be_bytes());
        }
        if let Some(s) = signer {
            s.sign_at(&mut self.buf, msg, crate::dns::tsig::now());
        }
        let len = (self.buf.len() - msg).min(u16::MAX as usize) as u16;
        self.buf[self.base..msg].copy_from_slice(&len.to_be_bytes());
        self.base = self.buf.len();
    }

    /// Writes the uncompressed wire name `name`; with `compress`, its longest suffix already
    /// in the message becomes a pointer and the labels written become targets.
    fn put_name(&mut self, name: &[u8], compress: bool) {
        let mut k = 0usize;
        let mut i = 0usize;
        loop {
            let Some(&l) = name.get(i) else {
                // Not a complete name (never from a loaded zone): copied as it is.
                self.buf.extend_from_slice(name);
                return;
            };
            if l == 0 {
                break;
            }
            if l & 0xc0 != 0 || k == MAX_LABELS || i + 1 + l as usize > name.len() {
                self.buf.extend_from_slice(name);
                return;
            }
            self.starts[k] = i as u8;
            k += 1;
            i += 1 + l as usize;
        }
        let name = &name[..=i];
        if !compress {
            self.buf.extend_from_slice(name);
            return;
        }
        // Labels are counted from the right: `r` of them are known so far, the suffix they
        // make is node `parent`. Names come sorted, so the previous name's suffixes are the
        // first guess: an equal label costs a comparison instead of a lookup.
        let mut parent = ROOT;
        let mut r = 0usize;
        while r < k.min(self.prev_labels) {
            let node = self.rsuffix[r];
            let ours = label_at(name, self.starts[k - 1 - r] as usize);
            if node == NONE || self.label_in_msg(self.nodes[node as usize].at) != Some(ours) {
                break;
            }
            parent = node;
            r += 1;
        }
        // Then the table, label by label.
        let mut miss_hash = None;
        while r < k {
            let label = label_at(name, self.starts[k - 1 - r] as usize);
            let h = hash(parent, label);
            match self.find(parent, label, h) {
                Some(id) => {
                    parent = id;
                    self.rsuffix[r] = id;
                    r += 1;
                }
                None => {
                    miss_hash = Some(h);
                    break;
                }
            }
        }
        // Labels 0..m are written out, the rest is a pointer.
        let m = k - r;
        let at = self.len();
        if m == k {
            self.buf.extend_from_slice(name);
        } else {
            self.buf.extend_from_slice(&name[..self.starts[m] as usize]);
            let target = self.nodes[parent as usize].at;
            self.buf.extend_from_slice(&(0xc000 | target).to_be_bytes());
        }
        // The labels written become targets, from the right; a label past the pointer
        // range ends it (the ones left of it would need it as their suffix).
        for j in (0..m).rev() {
            let off = at + self.starts[j] as usize;
            if off > MAX_PTR || self.nodes.len() >= MAX_NODES {
                break;
            }
            let label = label_at(name, self.starts[j] as usize);
            let h = match miss_hash.take() {
                Some(h) => h,
                None => hash(parent, label),
            };
            parent = self.insert(parent, off as u16, h);
            self.rsuffix[r] = parent;
            r += 1;
        }
        self.rsuffix[r..k].fill(NONE);
        self.prev_labels = k;
    }

    /// The node for `label` under `parent`, if remembered.
    fn find(&self, parent: u32, label: &[u8], h: u32) -> Option<u32> {
        let mut s = h as usize & (SLOTS - 1);
        loop {
            let v = self.slots[s];
            if v == 0 {
                return None;
            }
            let n = &self.nodes[v as usize - 1];
            if n.hash == h && n.parent == parent && self.label_in_msg(n.at) == Some(label) {
                return Some(v - 1);
            }
            s = (s + 1) & (SLOTS - 1);
        }
    }

    fn insert(&mut self, parent: u32, at: u16, h: u32) -> u32 {
        let mut s = h as usize & (SLOTS - 1);
        while self.slots[s] != 0 {
            s = (s + 1) & (SLOTS - 1);
        }
        let id = self.nodes.len() as u32;
        self.nodes.push(Node {
            parent,
            at,
            hash: h,
            slot: s as u32,
        });
        self.slots[s] = id + 1;
        id
    }

    /// The label (length byte included) written at message offset `at`.
    fn label_in_msg(&self, at: u16) -> Option<&[u8]> {
        let p = self.base + FRAME + at as usize;
        let l = *self.buf.get(p)? as usize;
        self.buf.get(p..p + 1 + l)
    }
}

/// The label (length byte included) at `name[at..]`, a checked label start.
fn label_at(name: &[u8], at: usize) -> &[u8] {
    &name[at..at + 1 + name[at] as usize]
}

/// Hash of a label (length byte included) under the suffix node `parent`. Whole 8-byte
/// words, then the 1-7 bytes left read as two overlapping words or three bytes (which cover
/// them all), without copying.
fn hash(parent: u32, label: &[u8]) -> u32 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mix = |h: u64, w: u64| (h.rotate_left(29) ^ w).wrapping_mul(K);
    let mut h = u64::from(parent).wrapping_add(1).wrapping_mul(K);
    let mut words = label.chunks_exact(8);
    for w in &mut words {
        let mut b = [0u8; 8];
        b.copy_from_slice(w);
        h = mix(h, u64::from_le_bytes(b));
    }
    let t = words.remainder();
    let n = t.len();
    let tail = if n >= 4 {
        let lo = u32::from_le_bytes([t[0], t[1], t[2], t[3]]);
        let hi = u32::from_le_bytes([t[n - 4], t[n - 3], t[n - 2], t[n - 1]]);
        u64::from(lo) | u64::from(hi) << 32
    } else if n > 0 {
        u64::from(t[0]) | u64::from(t[n / 2]) << 8 | u64::from(t[n - 1]) << 16
    } else {
        return (h >> 32) as u32;
    };
    (mix(h, tail) >> 32) as u32
}

#[cfg(test)]
#[path = "pack_tests.rs"]
mod tests;
