//! One FastCGI connection over a byte stream: reads with the idle, header and body
//! deadlines, hands out complete requests, and writes each answer in one write.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::{Instant, timeout_at};

use super::decoder::{Decoder, Incoming, Limits, Phase};
use super::record::push_response;
use super::slots::Slot;

/// Bytes read at once; a typical request head from nginx fits in one read.
const READ_BUF: usize = 8 * 1024;
/// An answer buffer larger than this is not kept for the next request.
const KEEP_OUT: usize = 64 * 1024;

/// How long a connection may take for each part of a request.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// Waiting for a request to begin (new connection, or between kept-alive requests);
    /// also the longest wait for the peer to take an answer.
    pub idle: Duration,
    /// From the first byte of a request to the end of its parameters.
    pub header: Duration,
    /// From the end of the parameters to the end of stdin.
    pub body: Duration,
}

/// A FastCGI connection and its buffers.
pub struct Conn<S> {
    stream: S,
    decoder: Decoder,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    out: Vec<u8>,
    timeouts: Timeouts,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Conn<S> {
    /// Wraps an accepted stream.
    pub fn new(stream: S, limits: Limits, timeouts: Timeouts) -> Conn<S> {
        Conn {
            stream,
            decoder: Decoder::new(limits),
            buf: vec![0; READ_BUF].into_boxed_slice(),
            start: 0,
            end: 0,
            out: Vec::new(),
            timeouts,
        }
    }

    /// The next complete request, or None when the connection is over: the peer closed,
    /// a deadline passed, the slot was evicted while idle, or the stream is not FastCGI.
    /// The slot is idle while waiting and busy from the first byte of a request.
    pub async fn next_request(&mut self, slot: &Slot) -> Option<Incoming> {
        slot.set_idle();
        let mut busy = false;
        let mut phase = Phase::Idle;
        let mut deadline = Instant::now() + self.timeouts.idle;
        loop {
            if self.start < self.end {
                // Bytes to decode (read now or left after the previous request) begin a
                // request: an evicted slot must not start one.
                if !busy && !slot.set_busy() {
                    return None;
                }
                busy = true;
                let (used, ready) = self.decoder.feed(&self.buf[self.start..self.end]).ok()?;
                self.start += used;
                if !self.decoder.output().is_empty() {
                    let written = timeout_at(
                        Instant::now() + self.timeouts.idle,
                        self.stream.write_all(self.decoder.output()),
                    )
                    .await;
                    if !matches!(written, Ok(Ok(()))) {
                        return None;
                    }
                    self.decoder.clear_output();
                }
                if ready.is_some() {
                    return ready;
                }
                if self.decoder.wants_close() {
                    return None;
                }
            }
            let now = self.decoder.phase();
            if now == Phase::Idle && busy {
                slot.set_idle();
                busy = false;
            }
            if now != phase {
                let limit = match now {
                    Phase::Idle => self.timeouts.idle,
                    Phase::Head => self.timeouts.header,
                    Phase::Body => self.timeouts.body,
                };
                deadline = Instant::now() + limit;
                phase = now;
            }
            self.start = 0;
            self.end = 0;
            let read = self.stream.read(&mut self.buf);
            let n = if busy {
                timeout_at(deadline, read).await
            } else {
                tokio::select! {
                    read = timeout_at(deadline, read) => read,
                    () = slot.evicted() => return None,
                }
            };
            match n {
                Ok(Ok(n)) if n > 0 => self.end = n,
                _ => return None,
            }
        }
    }

    /// Writes the answer to request `id` (the CGI response bytes) in one write: STDOUT
    /// records, the end of STDOUT and END_REQUEST. False if the connection is over.
    pub async fn respond(&mut self, id: u16, keep_conn: bool, stdout: &[u8]) -> bool {
        self.out.clear();
        push_response(&mut self.out, id, stdout);
        let written = timeout_at(
            Instant::now() + self.timeouts.idle,
            self.stream.write_all(&self.out),
        )
        .await;
        if self.out.capacity() > KEEP_OUT {
            self.out = Vec::new();
        }
        keep_conn && matches!(written, Ok(Ok(())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::front::fastcgi::params::push_pair;
    use crate::front::fastcgi::record::{BEGIN_REQUEST, PARAMS, STDIN, push_record};
    use crate::front::fastcgi::slots::Slots;

    const LIMITS: Limits = Limits {
        params: 4096,
        stdin: 4096,
        connections: 4,
    };
    const QUICK: Timeouts = Timeouts {
        idle: Duration::from_millis(300),
        header: Duration::from_millis(300),
        body: Duration::from_millis(300),
    };

    fn head(id: u16) -> Vec<u8> {
        let mut params = Vec::new();
        push_pair(&mut params, b"REQUEST_METHOD", b"GET");
        let mut out = Vec::new();
        push_record(&mut out, BEGIN_REQUEST, id, &[0, 1, 1, 0, 0, 0, 0, 0]);
        push_record(&mut out, PARAMS, id, &params);
        push_record(&mut out, PARAMS, id, &[]);
        out
    }

    fn request(id: u16) -> Vec<u8> {
        let mut out = head(id);
        push_record(&mut out, STDIN, id, &[]);
        out
    }

    #[tokio::test]
    async fn pipelined_requests_are_busy_and_answered_in_one_write_each() {
        let slots = Slots::new(4);
        let slot = slots.claim().await;
        let (ours, mut peer) = tokio::io::duplex(1 << 16);
        let mut conn = Conn::new(ours, LIMITS, QUICK);
        let mut both = request(1);
        both.extend(request(2));
        peer.write_all(&both).await.unwrap();
        let first = conn.next_request(&slot).await.unwrap();
        assert_eq!((first.id, slots.busy()), (1, 1));
        assert!(conn.respond(1, true, b"Status: 200 OK\r\n\r\n").await);
        // The second request was read with the first: it still counts as busy.
        let second = conn.next_request(&slot).await.unwrap();
        assert_eq!((second.id, slots.busy()), (2, 1));
        assert!(!conn.respond(2, false, b"x").await, "no keep-conn: close");
        let mut answer = vec![0u8; 1024];
        let n = peer.read(&mut answer).await.unwrap();
        // STDOUT (8 + 18), empty STDOUT (8), END_REQUEST (16), twice (the second 8 + 1).
        assert_eq!(n, (8 + 18 + 8 + 16) + (8 + 1 + 8 + 16));
    }

    #[tokio::test]
    async fn a_stalled_body_or_idle_connection_is_closed_at_its_deadline() {
        let slots = Slots::new(4);
        for stalled in [head(1), Vec::new()] {
            let slot = slots.claim().await;
            let (ours, mut peer) = tokio::io::duplex(1 << 16);
            let mut conn = Conn::new(ours, LIMITS, QUICK);
            peer.write_all(&stalled).await.unwrap();
            let started = std::time::Instant::now();
            assert!(conn.next_request(&slot).await.is_none());
            assert!(started.elapsed() >= Duration::from_millis(250));
            drop(slot);
            assert_eq!(slots.busy(), 0);
        }
    }
}
