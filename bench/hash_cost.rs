//! Prints the median wall time of one PBKDF2 verify (ms) at the given rounds on one core, so
//! `bench/auth.sh` can compare auth throughput against the hashing cost measured in the
//! same run. Usage: `hash_cost [ROUNDS] [SAMPLES]`.

use accounthub::password;

fn main() {
    let mut args = std::env::args().skip(1);
    let rounds: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(600_000);
    let samples: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(15);
    let stored = password::hash("bench password", rounds).expect("hash");
    let mut times: Vec<f64> = (0..samples)
        .map(|_| {
            let start = std::time::Instant::now();
            assert!(password::verify("bench password", &stored, rounds).matched());
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!("{:.2}", times[times.len() / 2]);
}
