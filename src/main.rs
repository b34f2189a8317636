//! The `clusterdns` binary: parses the command line, runs a subcommand, prints any error once
//! with its causes, and turns the outcome into an exit code.

use std::process::ExitCode;

use clap::Parser;
use clusterdns::config::cli::{Cli, Command};
use clusterdns::config::layer::LayerError;
use clusterdns::config::ServeOptions;

/// mimalloc: small per-allocation overhead (zones are millions of small objects) and fast
/// frees on reload.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    // `serve` reads its config file first: the file may set the log filter.
    let serve = match &mut cli.command {
        Command::Serve(args) => Some(std::mem::take(args.as_mut()).load()),
        _ => None,
    };
    let file_log = match &serve {
        Some(Ok((opts, _))) => opts.log.clone(),
        _ => None,
    };
    let filter = cli
        .log
        .clone()
        .or(file_log)
        .unwrap_or_else(|| "info".into());
    clusterdns::logging::init(&filter, cli.log_format);
    match run(cli, serve) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("clusterdns: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(
    cli: Cli,
    serve: Option<Result<(ServeOptions, Vec<String>), LayerError>>,
) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(_) => {
            let (opts, notes) =
                serve.ok_or_else(|| anyhow::anyhow!("serve options not loaded"))??;
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
