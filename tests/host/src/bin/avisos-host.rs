//! `avisos-host up`: serve a Spin application like `spin up`, without the Spin CLI.

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use avisos_host::{App, AppOptions, KvMode, StartupError};
use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "avisos-host",
    version,
    about = "A Spin-compatible host for the avisos app"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the application (like `spin up`).
    Up(UpArgs),
}

#[derive(clap::Args)]
struct UpArgs {
    /// The application manifest.
    #[arg(long, short = 'f', visible_alias = "from", default_value = "spin.toml")]
    manifest: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    /// Directory for state such as the key-value database (default: `.spin` next to the
    /// manifest).
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// Where the default key-value store lives.
    #[arg(long, value_enum, default_value_t = KvArg::Sqlite)]
    kv: KvArg,
    /// A Spin runtime config file (only `[key_value_store.<label>]` with `type = "spin"`).
    #[arg(long)]
    runtime_config_file: Option<PathBuf>,
    /// Set an application variable (repeatable); wins over `SPIN_VARIABLE_<NAME>`.
    #[arg(long = "variable", value_name = "NAME=VALUE", value_parser = parse_pair)]
    variables: Vec<(String, String)>,
    /// Cache directory for compiled components (default: `<state dir>/component-cache`).
    #[arg(long)]
    cache_dir: Option<PathBuf>,
    /// Do not log each request.
    #[arg(long)]
    quiet: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum KvArg {
    Sqlite,
    Memory,
}

fn parse_pair(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("expected NAME=VALUE, got {s:?}"))
}

fn main() -> ExitCode {
    let Command::Up(args) = Cli::parse().command;
    match up(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn up(args: UpArgs) -> Result<(), StartupError> {
    let mut options = AppOptions::new(args.manifest);
    options.state_dir = args.state_dir;
    options.kv = match args.kv {
        KvArg::Sqlite => KvMode::Sqlite,
        KvArg::Memory => KvMode::Memory,
    };
    options.runtime_config_file = args.runtime_config_file;
    options.variables = args.variables.into_iter().collect::<HashMap<_, _>>();
    options.cache_dir = Some(
        args.cache_dir
            .unwrap_or_else(|| options.state_dir().join("component-cache")),
    );
    options.log_requests = !args.quiet;

    let app = App::load(&options)?;
    let listener = avisos_host::server::bind(args.listen)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| StartupError::Invalid(format!("cannot start the runtime: {e}")))?;

    // Write errors (stdout closed by whoever started us) must not stop the server.
    let mut stdout = std::io::stdout().lock();
    for note in app.notes() {
        let _ = writeln!(stdout, "{note}");
    }
    let base = format!("http://{}", args.listen);
    let _ = writeln!(stdout, "\nServing {base}");
    let _ = write!(stdout, "{}", app.route_listing(&base));
    let _ = stdout.flush();
    drop(stdout);

    let served = runtime.block_on(avisos_host::server::serve(
        Arc::new(app),
        listener,
        shutdown_signal(),
    ));
    served.map_err(|e| StartupError::Invalid(format!("server failed: {e}")))
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    eprintln!("Shutting down: finishing in-flight requests...");
}
