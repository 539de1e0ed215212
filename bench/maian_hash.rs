//! Times one password hash as the responder computes it (PBKDF2 at the configured rounds),
//! so bench/maian.sh can compare a batch request against N × one hash in the same run.
//! Usage: maian_hash ROUNDS SAMPLES; prints the mean seconds per hash.

use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let rounds: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(600_000);
    let samples: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let start = Instant::now();
    for i in 0..samples {
        if let Err(e) = accounthub::password::hash(&format!("bench-password-{i}"), rounds) {
            eprintln!("maian_hash: {e}");
            std::process::exit(1);
        }
    }
    println!(
        "{:.6}",
        start.elapsed().as_secs_f64() / f64::from(samples.max(1))
    );
}
