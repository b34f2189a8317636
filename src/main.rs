//! The `clusterdns` binary: parses the command line, runs a subcommand, prints any error once
//! with its causes, and turns the outcome into an exit code.

use std::process::ExitCode;

use clap::Parser;
use clusterdns::config::cli::{Cli, Command};

/// mimalloc: small per-allocation overhead (zones are millions of small objects) and fast
/// frees on reload.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    clusterdns::logging::init(&cli.log, cli.log_format);
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("clusterdns: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => {
            let (opts, notes) = args.load()?;
            for n in notes {
                tracing::warn!("{n}");
            }
            clusterdns::app::serve(opts.resolve()?)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check(args) => {
            let ok = match args.config_source() {
                Some(src) => clusterdns::check::run_config(
                    &src,
                    args.lint.then_some(args.against),
                    &mut std::io::stderr().lock(),
                )?,
                None => clusterdns::check::run(
                    &args.resolve()?,
                    &mut std::io::stdout().lock(),
                    &mut std::io::stderr().lock(),
                )?,
            };
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::ImportBind { file } => {
            let toml = clusterdns::config::import::import_named_conf(&file)?;
            print!("{toml}");
            Ok(ExitCode::SUCCESS)
        }
    }
}
