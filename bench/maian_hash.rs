//! Times one password hash as the responder computes it (PBKDF2 at the configured rounds),
//! so bench/maian.sh can compare a batch request against N × one hash in the same run.
//! Usage: maian_hash ROUNDS SAMPLES; prints the mean wall and CPU seconds per hash. On a
//! busy machine the CPU figure is the steadier one.

use std::time::Instant;

/// CPU seconds (user + system) this process has used.
fn cpu_secs() -> f64 {
    // SAFETY: getrusage only writes into the zeroed struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let rounds: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(600_000);
    let samples: u32 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(10)
        .max(1);
    let (start, cpu0) = (Instant::now(), cpu_secs());
    for i in 0..samples {
        if let Err(e) = accounthub::password::hash(&format!("bench-password-{i}"), rounds) {
            eprintln!("maian_hash: {e}");
            std::process::exit(1);
        }
    }
    let n = f64::from(samples);
    println!(
        "{:.6} {:.6}",
        start.elapsed().as_secs_f64() / n,
        (cpu_secs() - cpu0) / n
    );
}
