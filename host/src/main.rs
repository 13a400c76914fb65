//! The `wharf` command: a thin shell over the `wharf` library.

use std::process::ExitCode;

use clap::Parser;

mod cli;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    cli::init_diagnostics();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("Error: cannot start Wharf's async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(args)) {
        Ok(code) => code,
        // The reader of our output is gone (`| head`): nobody to tell.
        Err(err) if cli::output::is_stdout_closed(&err) => {
            ExitCode::from(cli::output::STDOUT_CLOSED_EXIT)
        }
        Err(err) => {
            // Errors quote registries, Docker and mixins: no escape
            // sequences reach the terminal through them.
            let clean = |text: String| wharf::text::strip_control_sequences(&text);
            eprintln!("Error: {}", clean(err.to_string()));
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {}", clean(cause.to_string()));
            }
            ExitCode::FAILURE
        }
    }
}
