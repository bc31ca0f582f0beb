//! Loads a tfroles.hcl and prints one stack's generated backend block,
//! using the libraries rather than the binary.
//!
//! ```sh
//! cargo run --example print_backend -- fixtures/example/input/tfroles.hcl production/public-api
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(config), Some(stack)) = (args.next(), args.next()) else {
        eprintln!("usage: print_backend CONFIG STACK_PATH");
        return ExitCode::from(2);
    };
    match run(PathBuf::from(config), &stack) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(config: PathBuf, stack: &str) -> Result<String, Box<dyn std::error::Error>> {
    let config = tfroles_core::Config::from_path(&config)?;
    // Globs match directories on disk, so list them first.
    let dirs = tfroles_core::discover(config.root())?;
    let paths: Vec<_> = dirs.iter().map(|d| d.path.clone()).collect();
    let resolution = config.resolve(&paths)?;
    let found = resolution
        .stacks
        .iter()
        .find(|s| s.path.as_str() == stack)
        .ok_or_else(|| format!("no stack `{stack}` in {}", config.file().display()))?;
    Ok(tfroles_hcl::backend_file(&config, found)?.contents)
}
