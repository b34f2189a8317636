//! Parse-speed benchmark: writes a 1,000,000-record zone (the shape of `gen_zones.py`'s
//! `big.test`: an SOA/NS header, then `hNNNNNNN IN A 10.x.y.z` lines) into a temporary
//! directory, then times `zonefile::parse_file` and `zone::build` and reports records/s for
//! each stage. Run with `cargo run --release --example parse_bench [-- RECORDS [ROUNDS]]`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clusterdns::dns::name::Name;
use clusterdns::zone;
use clusterdns::zonefile::{self, Options};

/// The allocator the `clusterdns` binary uses, so the figures match what it does.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ORIGIN: &str = "big.test";

/// Writes the zone and returns its path.
fn generate(dir: &Path, n: usize) -> std::io::Result<PathBuf> {
    let path = dir.join(format!("{ORIGIN}.zone"));
    let mut f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&path)?);
    writeln!(f, "$ORIGIN {ORIGIN}.")?;
    writeln!(f, "$TTL 3600")?;
    writeln!(f, "@\tIN\tSOA\tns1.{ORIGIN}. hostmaster.{ORIGIN}. (")?;
    writeln!(f, "\t\t2024010101\t; serial")?;
    writeln!(f, "\t\t3600\t\t; refresh")?;
    writeln!(f, "\t\t1800\t\t; retry")?;
    writeln!(f, "\t\t604800\t\t; expire")?;
    writeln!(f, "\t\t86400 )\t\t; minimum")?;
    writeln!(f, "@\t\tIN\tNS\tns1")?;
    writeln!(f, "ns1\t\tIN\tA\t10.255.255.254")?;
    let width = 7.max(n.to_string().len());
    for i in 1..=n {
        writeln!(
            f,
            "h{i:0width$}\tIN\tA\t10.{}.{}.{}",
            (i >> 16) & 255,
            (i >> 8) & 255,
            i & 255
        )?;
    }
    f.flush()?;
    Ok(path)
}

fn rate(n: usize, d: Duration) -> String {
    format!(
        "{:.2} M records/s ({:.0} ms)",
        n as f64 / d.as_secs_f64() / 1e6,
        d.as_secs_f64() * 1e3
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let rounds: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(3);
    let dir = std::env::temp_dir().join(format!("clusterdns-parse-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = generate(&dir, n)?;
    let size = std::fs::metadata(&path)?.len();
    let origin = Name::from_ascii(&format!("{ORIGIN}."))?;
    println!(
        "zone: {} ({} records, {:.1} MB)",
        path.display(),
        n + 3,
        size as f64 / 1e6
    );

    let (mut best_parse, mut best_build, mut best_total) =
        (Duration::MAX, Duration::MAX, Duration::MAX);
    let mut records = 0;
    for round in 1..=rounds {
        let t0 = Instant::now();
        let parsed = zonefile::parse_file(&path, &Options::new(origin.clone()));
        let t1 = Instant::now();
        records = parsed.records.len();
        if !parsed.errors.is_empty() {
            return Err(format!(
                "unexpected errors: {:?}",
                &parsed.errors[..parsed.errors.len().min(3)]
            )
            .into());
        }
        let mut warnings = Vec::new();
        let z =
            zone::build(&origin, parsed, &mut warnings).map_err(|e| format!("{:?}", e.errors))?;
        let t2 = Instant::now();
        let (p, b) = (t1 - t0, t2 - t1);
        println!(
            "round {round}: parse {}, build {}, parse+build {} [{} names]",
            rate(records, p),
            rate(records, b),
            rate(records, t2 - t0),
            z.nodes.len()
        );
        best_parse = best_parse.min(p);
        best_build = best_build.min(b);
        best_total = best_total.min(t2 - t0);
        drop(z);
    }
    println!(
        "best: parse {}, build {}, parse+build {}",
        rate(records, best_parse),
        rate(records, best_build),
        rate(records, best_total)
    );
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}
