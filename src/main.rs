//! Entry point: tracing, command-line parsing, dispatch, and exit codes
//! (0 ok, 1 failure, 2 bad usage or bad input, 130 cancelled).

#![deny(clippy::unwrap_used)]

use std::process::ExitCode;

use clap::Parser;
use prefect_tui::cli::Cli;
use prefect_tui::commands;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.global.verbose);

    // The wizard runs a whole deploy on a worker thread; debug builds need room for it.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(8 * 1024 * 1024)
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        tokio::select! {
            result = commands::run(cli) => Some(result),
            _ = tokio::signal::ctrl_c() => None,
        }
    });
    match result {
        Some(Ok(())) => ExitCode::SUCCESS,
        Some(Err(err)) => {
            eprintln!("error: {err}");
            for line in err.details() {
                eprintln!("  {line}");
            }
            if let Some(hint) = err.hint() {
                eprintln!("hint: {hint}");
            }
            ExitCode::from(err.exit_code())
        }
        None => {
            eprintln!("cancelled");
            ExitCode::from(130)
        }
    }
}

/// Logs go to stderr, quiet unless asked: -v shows this program's progress, -vv adds the
/// AWS SDK's own. `RUST_LOG` overrides both.
fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "prefect_tui=debug,warn",
        _ => "debug",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(prefect_tui::tui::log_writer)
        .with_target(false)
        .init();
}
