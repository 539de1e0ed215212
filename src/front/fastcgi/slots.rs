//! Connection slots: the cap on connections served at once, and which of them are idle.
//!
//! Past the cap the responder stops accepting, so further connections wait in the
//! kernel's listen backlog instead of failing with EMFILE. A waiting connection makes the
//! longest-idle connection (no request begun) close, so cheap requests keep being answered
//! while idle or kept-alive connections fill the cap. Busy slots are also what shutdown
//! waits for.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

const BUSY: u64 = 0;
const IDLE: u64 = 1;
const EVICTED: u64 = 2;
const FREE: u64 = 3;

/// One slot's state: the low two bits are BUSY/IDLE/EVICTED/FREE, the rest the
/// millisecond (since `Slots::epoch`) at which it last became idle.
struct State {
    word: AtomicU64,
    evict: Notify,
}

/// All slots of the responder.
pub struct Slots {
    permits: Arc<Semaphore>,
    free: Mutex<Vec<usize>>,
    states: Box<[State]>,
    epoch: Instant,
    busy: AtomicUsize,
    all_idle: Notify,
    claim_waiting: AtomicBool,
    went_idle: Notify,
}

/// A claimed slot, held by one connection for its whole life.
pub struct Slot {
    slots: Arc<Slots>,
    index: usize,
    _permit: OwnedSemaphorePermit,
}

impl Slots {
    /// `cap` slots (at least one).
    pub fn new(cap: usize) -> Arc<Slots> {
        let cap = cap.max(1);
        Arc::new(Slots {
            permits: Arc::new(Semaphore::new(cap)),
            free: Mutex::new((0..cap).rev().collect()),
            states: (0..cap)
                .map(|_| State {
                    word: AtomicU64::new(FREE),
                    evict: Notify::new(),
                })
                .collect(),
            epoch: Instant::now(),
            busy: AtomicUsize::new(0),
            all_idle: Notify::new(),
            claim_waiting: AtomicBool::new(false),
            went_idle: Notify::new(),
        })
    }

    /// Waits for a free slot for an accepted connection. At the cap it asks the
    /// longest-idle connection to close, and asks again whenever one goes idle.
    pub async fn claim(self: &Arc<Slots>) -> Slot {
        let permit = loop {
            if let Ok(permit) = self.permits.clone().try_acquire_owned() {
                break permit;
            }
            let went_idle = self.went_idle.notified();
            tokio::pin!(went_idle);
            went_idle.as_mut().enable();
            self.claim_waiting.store(true, Ordering::SeqCst);
            let evicted = self.evict_oldest_idle();
            tokio::select! {
                permit = self.permits.clone().acquire_owned() => match permit {
                    Ok(permit) => break permit,
                    Err(_) => std::future::pending().await,
                },
                () = &mut went_idle, if !evicted => {}
            }
        };
        self.claim_waiting.store(false, Ordering::SeqCst);
        let index = self
            .free
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop()
            .unwrap_or_default();
        let slot = Slot {
            slots: self.clone(),
            index,
            _permit: permit,
        };
        slot.state().word.store(slot.idle_word(), Ordering::SeqCst);
        slot
    }

    /// Connections in the middle of a request.
    pub fn busy(&self) -> usize {
        self.busy.load(Ordering::SeqCst)
    }

    /// Waits until no connection is in the middle of a request, or `grace` is over
    /// (then false).
    pub async fn drain(&self, grace: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + grace;
        loop {
            let all_idle = self.all_idle.notified();
            if self.busy() == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, all_idle).await.is_err() {
                return false;
            }
        }
    }

    /// Marks the longest-idle slot evicted and wakes its connection; false if none is idle.
    fn evict_oldest_idle(&self) -> bool {
        loop {
            let oldest = self
                .states
                .iter()
                .map(|s| (s, s.word.load(Ordering::SeqCst)))
                .filter(|(_, w)| w & 3 == IDLE)
                .min_by_key(|(_, w)| w >> 2);
            let Some((state, word)) = oldest else {
                return false;
            };
            let evicted = (word & !3) | EVICTED;
            if state
                .word
                .compare_exchange(word, evicted, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
            {
                state.evict.notify_one();
                return true;
            }
        }
    }
}

impl Slot {
    fn state(&self) -> &State {
        &self.slots.states[self.index]
    }

    fn idle_word(&self) -> u64 {
        let millis = self.slots.epoch.elapsed().as_millis() as u64;
        (millis << 2) | IDLE
    }

    /// Between requests: the connection may be evicted from now on (an evicted slot
    /// stays evicted).
    pub fn set_idle(&self) {
        let idle = self.idle_word();
        let before = self
            .state()
            .word
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |w| {
                (w & 3 != EVICTED).then_some(idle)
            });
        if before.is_ok_and(|w| w & 3 == BUSY) {
            self.slots.left_busy();
        }
        if self.slots.claim_waiting.load(Ordering::SeqCst) {
            self.slots.went_idle.notify_waiters();
        }
    }

    /// A request begins; false if the slot was evicted first (the connection closes).
    pub fn set_busy(&self) -> bool {
        let word = self.state().word.load(Ordering::SeqCst);
        match word & 3 {
            BUSY => true,
            IDLE => {
                let won = self
                    .state()
                    .word
                    .compare_exchange(word, BUSY, Ordering::SeqCst, Ordering::SeqCst)
                    .is_ok();
                if won {
                    self.slots.busy.fetch_add(1, Ordering::SeqCst);
                }
                won
            }
            _ => false,
        }
    }

    /// Resolves once another connection needs this idle slot.
    pub async fn evicted(&self) {
        loop {
            self.state().evict.notified().await;
            if self.state().word.load(Ordering::SeqCst) & 3 == EVICTED {
                return;
            }
        }
    }
}

impl Slots {
    fn left_busy(&self) {
        if self.busy.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.all_idle.notify_waiters();
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let before = self.state().word.swap(FREE, Ordering::SeqCst);
        if before & 3 == BUSY {
            self.slots.left_busy();
        }
        self.slots
            .free
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(self.index);
    }
}

/// Raises the soft RLIMIT_NOFILE to the hard limit and returns the soft limit in force.
pub fn raise_nofile() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit into the struct we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &raw mut lim) } != 0 {
        return 1024;
    }
    let target = if lim.rlim_max == libc::RLIM_INFINITY {
        std::fs::read_to_string("/proc/sys/fs/nr_open")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(1 << 20)
    } else {
        lim.rlim_max
    };
    if lim.rlim_cur < target {
        let raised = libc::rlimit {
            rlim_cur: target,
            rlim_max: lim.rlim_max,
        };
        // SAFETY: setrlimit reads the struct; raising soft up to hard needs no privilege.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raw const raised) } == 0 {
            lim.rlim_cur = target;
        }
    }
    lim.rlim_cur
}

/// Connections that fit under `nofile` descriptors: the configured cap, less a reserve
/// for SQLite (three files per open connection, one per blocking thread), mail and logs.
pub fn cap_for(configured: usize, nofile: u64, blocking_threads: usize) -> usize {
    let nofile = usize::try_from(nofile).unwrap_or(usize::MAX);
    let reserve = (3 * blocking_threads + 32).min(nofile / 2);
    configured.min(nofile - reserve).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_leaves_descriptors_for_the_rest() {
        assert_eq!(cap_for(4096, 65536, 32), 4096);
        assert_eq!(cap_for(4096, 1024, 32), 1024 - 128);
        assert_eq!(cap_for(4096, 48, 32), 24);
        assert_eq!(cap_for(0, 48, 32), 1);
    }

    #[test]
    fn nofile_is_raised_to_the_hard_limit() {
        let soft = raise_nofile();
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: as in raise_nofile.
        unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &raw mut lim) };
        assert_eq!(soft, lim.rlim_cur);
        assert!(lim.rlim_max == libc::RLIM_INFINITY || lim.rlim_cur == lim.rlim_max);
    }

    #[tokio::test]
    async fn at_the_cap_the_oldest_idle_slot_is_evicted() {
        let slots = Slots::new(2);
        let a = slots.claim().await;
        tokio::time::sleep(Duration::from_millis(5)).await;
        let b = slots.claim().await;
        assert!(b.set_busy());
        assert_eq!(slots.busy(), 1);
        // A third connection: `a` (idle) is asked to go, `b` (busy) is not.
        let claim = tokio::spawn({
            let slots = slots.clone();
            async move { slots.claim().await.index }
        });
        tokio::time::timeout(Duration::from_secs(5), a.evicted())
            .await
            .expect("idle slot evicted");
        a.set_idle();
        assert!(!a.set_busy(), "an evicted slot cannot start a request");
        let index = a.index;
        drop(a);
        assert_eq!(claim.await.unwrap(), index);
        b.set_idle();
        assert_eq!(slots.busy(), 0);
        assert!(slots.drain(Duration::from_millis(10)).await);
    }

    #[tokio::test]
    async fn a_waiting_claim_evicts_a_slot_that_goes_idle_later() {
        let slots = Slots::new(1);
        let a = slots.claim().await;
        assert!(a.set_busy());
        let claim = tokio::spawn({
            let slots = slots.clone();
            async move { slots.claim().await.index }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!slots.drain(Duration::from_millis(10)).await);
        a.set_idle();
        tokio::time::timeout(Duration::from_secs(5), a.evicted())
            .await
            .expect("evicted once idle");
        drop(a);
        assert_eq!(claim.await.unwrap(), 0);
    }
}
