//! The responder's side of one FastCGI connection as a state machine over bytes, without
//! I/O: bytes in, complete requests and protocol replies out. It never allocates more
//! than the configured limits (PARAMS stream, stdin) plus one small scratch buffer, so
//! any byte sequence costs bounded memory, and it has no panicking path.
//!
//! One request at a time: a BEGIN_REQUEST while another is being received is refused with
//! FCGI_CANT_MPX_CONN (nginx and Apache never multiplex).

use crate::request::Request;

use super::params::{Pairs, Params, ParamsError, push_pair};
use super::record::{
    ABORT_REQUEST, BEGIN_REQUEST, BadVersion, CANT_MPX_CONN, FLAG_KEEP_CONN, GET_VALUES,
    GET_VALUES_RESULT, HEADER_LEN, Header, PARAMS, REQUEST_COMPLETE, ROLE_RESPONDER, STDIN,
    UNKNOWN_ROLE, push_end_request, push_record, push_unknown_type,
};

/// Most bytes kept of a BEGIN_REQUEST or management record body (the rest is skipped):
/// both are tiny in practice, and GET_VALUES names only three variables we know.
pub const SCRATCH_MAX: usize = 1024;

/// What one connection may make us hold.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Bytes of the PARAMS stream kept; past it the request is answered as too large.
    pub params: usize,
    /// Bytes of stdin kept; past it the body is dropped (and only counted).
    pub stdin: usize,
    /// Connections served at once, reported to GET_VALUES.
    pub connections: usize,
}

/// What the connection is waiting for; the I/O driver picks its read deadline from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Between requests: no request or record begun.
    Idle,
    /// A request (or a record) begun, its parameters not complete.
    Head,
    /// Parameters complete, stdin not yet ended.
    Body,
}

/// A request whose parameters and stdin have arrived in full.
#[derive(Debug)]
pub struct Incoming {
    /// Request id, for the answer's records.
    pub id: u16,
    /// FCGI_KEEP_CONN: the connection stays open after the answer.
    pub keep_conn: bool,
    /// The parameters, unless malformed or over the limit.
    pub params: Result<Params, ParamsError>,
    /// The body; empty when stdin went past the limit.
    pub body: Vec<u8>,
    /// Bytes of stdin received, kept or not.
    pub stdin_len: u64,
}

impl Incoming {
    /// True when stdin was longer than the limit, so `body` holds none of it.
    pub fn body_dropped(&self) -> bool {
        self.stdin_len > self.body.len() as u64
    }

    /// The request for the pipeline, or why it cannot be one. A dropped body shows as a
    /// content length past the limit, so the pipeline answers 413 exactly as for a
    /// declared one.
    pub fn into_request(self) -> Result<Request, ParamsError> {
        let dropped = self.body_dropped();
        let params = self.params?;
        let mut req = Request::from_params(|name| params.get(name), self.body);
        if dropped {
            let received = usize::try_from(self.stdin_len).unwrap_or(usize::MAX);
            req.content_length = req.content_length.max(received);
        }
        Ok(req)
    }
}

/// The one request being received.
enum Active {
    None,
    Params {
        id: u16,
        keep_conn: bool,
        buf: Vec<u8>,
        too_large: bool,
    },
    Stdin {
        id: u16,
        keep_conn: bool,
        params: Result<Params, ParamsError>,
        body: Vec<u8>,
        len: u64,
    },
}

/// The record being read: its header and what is left of it.
#[derive(Clone, Copy)]
struct Current {
    header: Header,
    content_left: usize,
    padding_left: usize,
}

/// Decoder state of one connection.
pub struct Decoder {
    limits: Limits,
    head: [u8; HEADER_LEN],
    head_len: usize,
    current: Option<Current>,
    scratch: Vec<u8>,
    active: Active,
    out: Vec<u8>,
    close: bool,
}

impl Decoder {
    /// A connection with nothing received yet.
    pub fn new(limits: Limits) -> Decoder {
        Decoder {
            limits,
            head: [0; HEADER_LEN],
            head_len: 0,
            current: None,
            scratch: Vec::new(),
            active: Active::None,
            out: Vec::new(),
            close: false,
        }
    }

    /// Consumes bytes until a request is complete or `input` is used up. Returns how many
    /// bytes were used (the rest belongs to what follows the request) and the request.
    /// A record of another protocol version ends the connection.
    pub fn feed(&mut self, input: &[u8]) -> Result<(usize, Option<Incoming>), BadVersion> {
        let mut pos = 0;
        loop {
            if let Some(cur) = self.current
                && cur.content_left == 0
                && cur.padding_left == 0
            {
                self.current = None;
                if let Some(done) = self.end_record(cur.header) {
                    return Ok((pos, Some(done)));
                }
                continue;
            }
            let rest = &input[pos..];
            if rest.is_empty() {
                return Ok((pos, None));
            }
            match self.current.as_mut() {
                None => {
                    let n = (HEADER_LEN - self.head_len).min(rest.len());
                    self.head[self.head_len..self.head_len + n].copy_from_slice(&rest[..n]);
                    self.head_len += n;
                    pos += n;
                    if self.head_len == HEADER_LEN {
                        self.head_len = 0;
                        let header = Header::parse(&self.head)?;
                        self.scratch.clear();
                        self.current = Some(Current {
                            header,
                            content_left: usize::from(header.content_len),
                            padding_left: usize::from(header.padding_len),
                        });
                    }
                }
                Some(cur) if cur.content_left > 0 => {
                    let n = cur.content_left.min(rest.len());
                    cur.content_left -= n;
                    let header = cur.header;
                    self.content(header, &rest[..n]);
                    pos += n;
                }
                Some(cur) => {
                    let n = cur.padding_left.min(rest.len());
                    cur.padding_left -= n;
                    pos += n;
                }
            }
        }
    }

    /// What the connection waits for now.
    pub fn phase(&self) -> Phase {
        match self.active {
            Active::Stdin { .. } => Phase::Body,
            Active::Params { .. } => Phase::Head,
            Active::None if self.current.is_some() || self.head_len > 0 => Phase::Head,
            Active::None => Phase::Idle,
        }
    }

    /// Protocol replies (management answers, refused requests) waiting to be written.
    pub fn output(&self) -> &[u8] {
        &self.out
    }

    /// Forgets the replies once written.
    pub fn clear_output(&mut self) {
        self.out.clear();
    }

    /// True once a request without FCGI_KEEP_CONN was ended here (aborted or refused):
    /// the connection closes after the replies are written.
    pub fn wants_close(&self) -> bool {
        self.close
    }

    fn active_id(&self) -> Option<u16> {
        match self.active {
            Active::None => None,
            Active::Params { id, .. } | Active::Stdin { id, .. } => Some(id),
        }
    }

    fn content(&mut self, header: Header, data: &[u8]) {
        match (&mut self.active, header.kind) {
            (
                Active::Params {
                    id, buf, too_large, ..
                },
                PARAMS,
            ) if *id == header.id => {
                *too_large = *too_large || !push_bounded(buf, data, self.limits.params);
                if *too_large {
                    *buf = Vec::new();
                }
            }
            (Active::Stdin { id, body, len, .. }, STDIN) if *id == header.id => {
                *len = len.saturating_add(data.len() as u64);
                // Once past the limit nothing more is kept, however small the next piece.
                if *len > self.limits.stdin as u64 || !push_bounded(body, data, self.limits.stdin) {
                    *body = Vec::new();
                }
            }
            _ if header.id == 0 || header.kind == BEGIN_REQUEST => {
                let room = SCRATCH_MAX.saturating_sub(self.scratch.len());
                push_bounded(
                    &mut self.scratch,
                    &data[..room.min(data.len())],
                    SCRATCH_MAX,
                );
            }
            _ => {}
        }
    }

    fn end_record(&mut self, h: Header) -> Option<Incoming> {
        if h.id == 0 {
            match h.kind {
                GET_VALUES => self.get_values(),
                kind => push_unknown_type(&mut self.out, kind),
            }
            return None;
        }
        let is_active = self.active_id() == Some(h.id);
        match h.kind {
            BEGIN_REQUEST => self.begin(h.id),
            ABORT_REQUEST if is_active => {
                let keep_conn = match std::mem::replace(&mut self.active, Active::None) {
                    Active::Params { keep_conn, .. } | Active::Stdin { keep_conn, .. } => keep_conn,
                    Active::None => true,
                };
                push_end_request(&mut self.out, h.id, REQUEST_COMPLETE);
                self.close |= !keep_conn;
            }
            PARAMS if h.content_len == 0 && is_active => self.params_done(),
            STDIN if h.content_len == 0 && is_active => return self.stdin_done(),
            _ => {}
        }
        None
    }

    fn begin(&mut self, id: u16) {
        if let Some(active) = self.active_id() {
            // A repeated BEGIN for the running request is ignored; another id is refused.
            if active != id {
                push_end_request(&mut self.out, id, CANT_MPX_CONN);
            }
            return;
        }
        let (role, flags) = match self.scratch.as_slice() {
            [hi, lo, flags, ..] => (u16::from_be_bytes([*hi, *lo]), *flags),
            _ => (0, 0),
        };
        let keep_conn = flags & FLAG_KEEP_CONN != 0;
        if role != ROLE_RESPONDER {
            push_end_request(&mut self.out, id, UNKNOWN_ROLE);
            self.close |= !keep_conn;
            return;
        }
        self.active = Active::Params {
            id,
            keep_conn,
            buf: Vec::new(),
            too_large: false,
        };
    }

    fn params_done(&mut self) {
        let Active::Params {
            id,
            keep_conn,
            buf,
            too_large,
        } = std::mem::replace(&mut self.active, Active::None)
        else {
            return;
        };
        let params = if too_large {
            Err(ParamsError::TooLarge)
        } else {
            Params::parse(buf)
        };
        // Trust CONTENT_LENGTH only for the one allocation, never past the limit.
        let declared = params
            .as_ref()
            .ok()
            .and_then(|p| p.get("CONTENT_LENGTH"))
            .and_then(|v| std::str::from_utf8(v).ok())
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        self.active = Active::Stdin {
            id,
            keep_conn,
            params,
            body: Vec::with_capacity(declared.min(self.limits.stdin)),
            len: 0,
        };
    }

    fn stdin_done(&mut self) -> Option<Incoming> {
        match std::mem::replace(&mut self.active, Active::None) {
            Active::Stdin {
                id,
                keep_conn,
                params,
                body,
                len,
            } => Some(Incoming {
                id,
                keep_conn,
                params,
                body,
                stdin_len: len,
            }),
            other => {
                self.active = other;
                None
            }
        }
    }

    fn get_values(&mut self) {
        let conns = self.limits.connections.to_string();
        let mut answered = [false; 3];
        let mut content = Vec::new();
        for (name, _) in Pairs::new(&self.scratch).map_while(Result::ok) {
            let (i, value) = match name {
                b"FCGI_MAX_CONNS" => (0, conns.as_bytes()),
                b"FCGI_MAX_REQS" => (1, conns.as_bytes()),
                b"FCGI_MPXS_CONNS" => (2, &b"0"[..]),
                _ => continue,
            };
            if !answered[i] {
                answered[i] = true;
                push_pair(&mut content, name, value);
            }
        }
        push_record(&mut self.out, GET_VALUES_RESULT, 0, &content);
    }

    #[cfg(test)]
    fn held(&self) -> (usize, usize, usize) {
        let (params, body) = match &self.active {
            Active::None => (0, 0),
            Active::Params { buf, .. } => (buf.capacity(), 0),
            Active::Stdin { body, .. } => (0, body.capacity()),
        };
        (params, body, self.scratch.capacity())
    }
}

/// Appends `data` unless that would pass `limit`; growth never reserves past `limit`.
fn push_bounded(buf: &mut Vec<u8>, data: &[u8], limit: usize) -> bool {
    let need = buf.len().saturating_add(data.len());
    if need > limit {
        return false;
    }
    if need > buf.capacity() {
        let target = need.max(buf.capacity().saturating_mul(2)).min(limit);
        buf.reserve_exact(target - buf.len());
    }
    buf.extend_from_slice(data);
    true
}

#[cfg(test)]
#[path = "decoder_tests.rs"]
mod tests;
