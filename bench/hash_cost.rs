//! Measures PBKDF2 verify cost at the given rounds, so `bench/auth.sh` can compare auth
//! throughput against hashing measured in the same run (the machine may be shared).
//! `hash_cost ROUNDS` prints the median ms of one verify on one core;
//! `hash_cost ROUNDS THREADS SECS` prints verifies/s with THREADS threads busy for SECS;
//! `hash_cost bcrypt COST PASSWORD` prints a `$2y$` bcrypt hash, as the PHP original stored
//! them (the timing row of `bench/auth.sh` imports such users).

use std::time::{Duration, Instant};

use accounthub::password;

fn main() {
    if let [_, mode, cost, password] = &std::env::args().collect::<Vec<_>>()[..]
        && mode == "bcrypt"
    {
        let cost = cost.parse().expect("numeric cost");
        let hash = bcrypt::hash_with_result(password, cost).expect("bcrypt");
        println!("{}", hash.format_for_version(bcrypt::Version::TwoY));
        return;
    }
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("numeric arguments"))
        .collect();
    let rounds = args.first().map_or(600_000, |&r| r as u32);
    let stored = password::hash("bench password", rounds).expect("hash");
    let verify = || assert!(password::verify("bench password", &stored, rounds).matched());
    if let [_, threads, secs] = args[..] {
        let until = Instant::now() + Duration::from_secs(secs);
        let done: u64 = std::thread::scope(|s| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(|| {
                        let mut n = 0u64;
                        while Instant::now() < until {
                            verify();
                            n += 1;
                        }
                        n
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).sum()
        });
        println!("{:.1}", done as f64 / secs as f64);
        return;
    }
    let mut times: Vec<f64> = (0..15)
        .map(|_| {
            let start = Instant::now();
            verify();
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!("{:.2}", times[times.len() / 2]);
}
