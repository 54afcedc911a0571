//! The `lianxin` command: parse the command line, start the runtime, hand over to the library
//! (`lianxin::cli`).

use clap::Parser;
use std::process::ExitCode;

// The rule engine builds and drops hundreds of thousands of small strings and vectors per
// evaluation; glibc's allocator spent a fifth of it consolidating free chunks.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    lianxin::telemetry::init_logs();
    let cli = lianxin::cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("无法启动运行时：{e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(lianxin::cli::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误：{e:#}");
            ExitCode::FAILURE
        }
    }
}
