//! The bounds a zone file is read within (token, record text, records, bytes, `$GENERATE`
//! output, RRset size) and the flag that cancels a read in flight: every limit is checked
//! before the memory it guards is allocated, and a zone over one is rejected with `path:line`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Default cap on records per zone (10M: a cluster zone of a million hosts with ten records
/// each; three 10M-record `$GENERATE` lines are over it).
pub const DEFAULT_MAX_RECORDS: u64 = 10_000_000;
/// Default cap on the bytes of zone text read for one zone, includes counted (4 GiB).
pub const DEFAULT_MAX_ZONE_BYTES: u64 = 4 << 30;
/// Default cap on the records all `$GENERATE` lines of one zone make together.
pub const DEFAULT_MAX_GENERATE: u64 = 10_000_000;
/// Default cap on the text of one record (a line, or lines joined by parentheses): 1 MiB is
/// four times the largest RDATA (65,535 bytes) written with `\DDD` escapes.
pub const DEFAULT_MAX_RECORD_TEXT: usize = 1 << 20;
/// Default cap on one token: a base64 or hex field of the largest RDATA fits (87,380 bytes of
/// base64 for 65,535 bytes), and a name with every byte escaped (4 * 255) easily does.
pub const DEFAULT_MAX_TOKEN: usize = 128 << 10;
/// Default cap on the records of one RRset. The largest A RRset one 64 KiB TCP message can
/// carry is about 4,070 records (16 bytes each with a compressed owner): a bigger RRset can
/// never be answered in full, over UDP or TCP. BIND's `max-records-per-type` default of 100 is
/// too small for cluster zones (one name for every node of a service), so the default is the
/// wire's own bound, rounded down.
pub const DEFAULT_MAX_RRSET: u32 = 4_000;
/// How much of an oversized token an error quotes.
pub(crate) const QUOTE: usize = 100;

/// The bounds of one zone read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub max_records: u64,
    pub max_zone_bytes: u64,
    pub max_generate: u64,
    pub max_record_text: usize,
    pub max_token: usize,
    pub max_rrset: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_records: DEFAULT_MAX_RECORDS,
            max_zone_bytes: DEFAULT_MAX_ZONE_BYTES,
            max_generate: DEFAULT_MAX_GENERATE,
            max_record_text: DEFAULT_MAX_RECORD_TEXT,
            max_token: DEFAULT_MAX_TOKEN,
            max_rrset: DEFAULT_MAX_RRSET,
        }
    }
}

/// Set once to stop every read that holds a clone (shutdown): the reader checks it between
/// chunks and while expanding `$GENERATE`, and gives up with an error.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// At most [`QUOTE`] bytes of `t`, made printable, for an error message.
pub(crate) fn quote(t: &[u8]) -> String {
    let mut s = String::new();
    for &c in t.iter().take(QUOTE) {
        match c {
            0x21..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\{c:03}")),
        }
    }
    if t.len() > QUOTE {
        s.push_str("...");
    }
    s
}
