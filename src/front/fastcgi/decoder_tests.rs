//! Unit tests for every record type, split pairs and the limits, and property tests that
//! feed arbitrary and mutated byte streams in arbitrary pieces: no panic, and the buffers
//! held never pass the limits.

use proptest::prelude::*;

use super::*;
use crate::front::fastcgi::record::{
    DATA, END_REQUEST, GET_VALUES_RESULT, STDOUT, UNKNOWN_TYPE, push_record,
};

const LIMITS: Limits = Limits {
    params: 512,
    stdin: 1024,
    connections: 77,
};

fn begin(id: u16, role: u16, keep_conn: bool) -> Vec<u8> {
    let [hi, lo] = role.to_be_bytes();
    let mut out = Vec::new();
    push_record(
        &mut out,
        BEGIN_REQUEST,
        id,
        &[hi, lo, u8::from(keep_conn), 0, 0, 0, 0, 0],
    );
    out
}

fn rec(kind: u8, id: u16, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    push_record(&mut out, kind, id, content);
    out
}

fn pairs(list: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (n, v) in list {
        push_pair(&mut out, n, v);
    }
    out
}

/// A whole request: PARAMS content split at `cuts`, stdin in one record.
fn request(id: u16, keep_conn: bool, params: &[u8], cuts: &[usize], body: &[u8]) -> Vec<u8> {
    let mut out = begin(id, ROLE_RESPONDER, keep_conn);
    let mut last = 0;
    for &cut in cuts.iter().chain([&params.len()]) {
        // An empty PARAMS record would end the stream early.
        if cut > last {
            out.extend(rec(PARAMS, id, &params[last..cut]));
            last = cut;
        }
    }
    out.extend(rec(PARAMS, id, &[]));
    if !body.is_empty() {
        out.extend(rec(STDIN, id, body));
    }
    out.extend(rec(STDIN, id, &[]));
    out
}

/// Feeds `stream` in pieces of the given sizes (cycled), checking the memory bounds after
/// every piece; returns the requests and all replies.
fn drive(d: &mut Decoder, stream: &[u8], pieces: &[usize]) -> (Vec<Incoming>, Vec<u8>, bool) {
    let mut done = Vec::new();
    let mut replies = Vec::new();
    let mut pos = 0;
    let mut i = 0;
    while pos < stream.len() {
        let size = pieces
            .get(i % pieces.len().max(1))
            .copied()
            .unwrap_or(7)
            .max(1);
        i += 1;
        let end = (pos + size).min(stream.len());
        let mut chunk = &stream[pos..end];
        pos = end;
        loop {
            let Ok((used, ready)) = d.feed(chunk) else {
                return (done, replies, true);
            };
            assert!(used <= chunk.len());
            let (params, body, scratch) = d.held();
            assert!(params <= LIMITS.params, "params buffer {params}");
            assert!(body <= LIMITS.stdin, "body buffer {body}");
            assert!(scratch <= SCRATCH_MAX, "scratch {scratch}");
            assert!(d.output().len() <= 2 * used + 256, "replies outgrow input");
            replies.extend_from_slice(d.output());
            d.clear_output();
            chunk = &chunk[used..];
            match ready {
                Some(incoming) => {
                    assert!(incoming.body.len() <= LIMITS.stdin);
                    if incoming.body_dropped() {
                        assert!(incoming.body.is_empty(), "a dropped body keeps nothing");
                    }
                    done.push(incoming);
                }
                None => break,
            }
        }
    }
    (done, replies, false)
}

fn one(stream: &[u8]) -> (Incoming, Vec<u8>, Decoder) {
    let mut d = Decoder::new(LIMITS);
    let (mut done, replies, bad) = drive(&mut d, stream, &[stream.len()]);
    assert!(!bad);
    assert_eq!(done.len(), 1, "one request expected");
    (done.remove(0), replies, d)
}

/// (kind, id, content) of each reply record.
fn records(mut bytes: &[u8]) -> Vec<(u8, u16, Vec<u8>)> {
    let mut out = Vec::new();
    while bytes.len() >= 8 {
        let h = Header::parse(bytes[..8].try_into().unwrap()).unwrap();
        let end = 8 + usize::from(h.content_len);
        out.push((h.kind, h.id, bytes[8..end].to_vec()));
        bytes = &bytes[end + usize::from(h.padding_len)..];
    }
    assert!(bytes.is_empty());
    out
}

fn end_request(id: u16, status: u8) -> (u8, u16, Vec<u8>) {
    (END_REQUEST, id, vec![0, 0, 0, 0, status, 0, 0, 0])
}

#[test]
fn a_request_passes_through_the_phases() {
    let params = pairs(&[(b"REQUEST_METHOD", b"POST"), (b"CONTENT_LENGTH", b"5")]);
    let mut d = Decoder::new(LIMITS);
    assert_eq!(d.phase(), Phase::Idle);
    let head = begin(1, ROLE_RESPONDER, true);
    assert!(d.feed(&head[..3]).unwrap().1.is_none());
    assert_eq!(d.phase(), Phase::Head);
    d.feed(&head[3..]).unwrap();
    d.feed(&rec(PARAMS, 1, &params)).unwrap();
    assert_eq!(d.phase(), Phase::Head);
    d.feed(&rec(PARAMS, 1, &[])).unwrap();
    assert_eq!(d.phase(), Phase::Body);
    d.feed(&rec(STDIN, 1, b"hello")).unwrap();
    let (used, ready) = d.feed(&rec(STDIN, 1, &[])).unwrap();
    assert_eq!(used, 8);
    let r = ready.expect("request complete");
    assert_eq!(d.phase(), Phase::Idle);
    assert_eq!(
        (r.id, r.keep_conn, r.body.as_slice()),
        (1, true, &b"hello"[..])
    );
    assert!(!r.body_dropped());
    assert_eq!(r.params.unwrap().get("REQUEST_METHOD"), Some(&b"POST"[..]));
    assert!(d.output().is_empty() && !d.wants_close());
}

#[test]
fn pairs_split_across_params_records_at_every_byte() {
    let long = vec![b'x'; 200];
    let list: [(&[u8], &[u8]); 3] = [
        (b"QUERY_STRING", b"a=1"),
        (b"HTTP_COOKIE", &long),
        (b"REQUEST_URI", b"/api/ping/k/"),
    ];
    let params = pairs(&list);
    for cut in 0..=params.len() {
        let (r, _, _) = one(&request(9, false, &params, &[cut], b""));
        let p = r.params.unwrap();
        let got: Vec<_> = p.pairs().collect();
        assert_eq!(got, list, "cut at {cut}");
    }
    // Every pair in its own records, one byte per record.
    let cuts: Vec<usize> = (1..params.len()).collect();
    let (r, _, _) = one(&request(9, false, &params, &cuts, b""));
    assert_eq!(r.params.unwrap().get("HTTP_COOKIE"), Some(long.as_slice()));
}

#[test]
fn byte_at_a_time_equals_all_at_once() {
    let params = pairs(&[(b"A", b"1"), (b"B", b"22")]);
    let stream = request(3, true, &params, &[2], b"body bytes");
    let mut d = Decoder::new(LIMITS);
    let (done, _, _) = drive(&mut d, &stream, &[1]);
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].body, b"body bytes");
    assert_eq!(done[0].params.as_ref().unwrap().get("B"), Some(&b"22"[..]));
}

#[test]
fn pipelined_requests_stop_at_the_first() {
    let params = pairs(&[(b"A", b"1")]);
    let mut stream = request(1, true, &params, &[], b"one");
    let first_len = stream.len();
    stream.extend(request(1, true, &params, &[], b"two"));
    let mut d = Decoder::new(LIMITS);
    let (used, first) = d.feed(&stream).unwrap();
    assert_eq!(used, first_len);
    assert_eq!(first.unwrap().body, b"one");
    let (used, second) = d.feed(&stream[first_len..]).unwrap();
    assert_eq!(used, stream.len() - first_len);
    assert_eq!(second.unwrap().body, b"two");
}

#[test]
fn padding_and_records_of_other_ids_or_types_are_skipped() {
    let params = pairs(&[(b"A", b"1")]);
    let mut stream = begin(5, ROLE_RESPONDER, false);
    // PARAMS with 3 bytes of padding.
    let mut padded = rec(PARAMS, 5, &params);
    padded[6] = 3;
    padded.extend([0xee; 3]);
    stream.extend(padded);
    stream.extend(rec(PARAMS, 6, b"\x01\x01BX")); // not the active request
    stream.extend(rec(STDIN, 5, b"early")); // stdin before the params ended
    stream.extend(rec(PARAMS, 5, &[]));
    stream.extend(rec(DATA, 5, b"data"));
    stream.extend(rec(STDOUT, 5, b"echo"));
    stream.extend(rec(STDIN, 5, b"late"));
    stream.extend(rec(STDIN, 5, &[]));
    let (r, replies, _) = one(&stream);
    assert_eq!(r.body, b"late");
    let p = r.params.unwrap();
    assert_eq!((p.get("A"), p.get("B")), (Some(&b"1"[..]), None));
    assert!(replies.is_empty());
}

#[test]
fn get_values_is_answered() {
    let ask = pairs(&[
        (b"FCGI_MAX_CONNS", b""),
        (b"FCGI_MPXS_CONNS", b""),
        (b"FCGI_MAX_REQS", b""),
        (b"FCGI_MAX_CONNS", b""),
        (b"SOMETHING_ELSE", b""),
    ]);
    let mut d = Decoder::new(LIMITS);
    let (_, replies, _) = drive(&mut d, &rec(GET_VALUES, 0, &ask), &[5]);
    let got = records(&replies);
    let want = pairs(&[
        (b"FCGI_MAX_CONNS", b"77"),
        (b"FCGI_MPXS_CONNS", b"0"),
        (b"FCGI_MAX_REQS", b"77"),
    ]);
    assert_eq!(got, [(GET_VALUES_RESULT, 0, want)]);
    assert_eq!(d.phase(), Phase::Idle);
}

#[test]
fn unknown_management_records_get_unknown_type() {
    let mut stream = rec(42, 0, b"whatever");
    stream.extend(rec(BEGIN_REQUEST, 0, &[0, 1, 0, 0, 0, 0, 0, 0]));
    let mut d = Decoder::new(LIMITS);
    let (_, replies, _) = drive(&mut d, &stream, &[stream.len()]);
    assert_eq!(
        records(&replies),
        [
            (UNKNOWN_TYPE, 0, vec![42, 0, 0, 0, 0, 0, 0, 0]),
            (UNKNOWN_TYPE, 0, vec![BEGIN_REQUEST, 0, 0, 0, 0, 0, 0, 0])
        ]
    );
    assert!(!d.wants_close());
}

#[test]
fn abort_ends_the_request_and_closes_without_keep_conn() {
    for keep_conn in [true, false] {
        let mut stream = begin(4, ROLE_RESPONDER, keep_conn);
        stream.extend(rec(PARAMS, 4, &pairs(&[(b"A", b"1")])));
        stream.extend(rec(ABORT_REQUEST, 3, &[])); // not active: ignored
        stream.extend(rec(ABORT_REQUEST, 4, &[]));
        stream.extend(rec(STDIN, 4, &[])); // after the abort: ignored
        let mut d = Decoder::new(LIMITS);
        let (done, replies, _) = drive(&mut d, &stream, &[11]);
        assert!(done.is_empty());
        assert_eq!(records(&replies), [end_request(4, REQUEST_COMPLETE)]);
        assert_eq!(d.wants_close(), !keep_conn);
        assert_eq!(d.phase(), Phase::Idle);
    }
}

#[test]
fn a_second_request_is_refused_with_cant_mpx_conn() {
    let params = pairs(&[(b"A", b"1")]);
    let mut stream = begin(1, ROLE_RESPONDER, true);
    stream.extend(begin(2, ROLE_RESPONDER, true));
    stream.extend(begin(1, ROLE_RESPONDER, true)); // repeated: ignored
    stream.extend(rec(PARAMS, 2, &params));
    stream.extend(rec(PARAMS, 1, &params));
    stream.extend(rec(PARAMS, 1, &[]));
    stream.extend(rec(STDIN, 2, b"other"));
    stream.extend(rec(STDIN, 1, &[]));
    let (r, replies, _) = one(&stream);
    assert_eq!((r.id, r.body.len()), (1, 0));
    assert_eq!(records(&replies), [end_request(2, CANT_MPX_CONN)]);
}

#[test]
fn other_roles_and_short_begin_bodies_get_unknown_role() {
    for (content, keep) in [
        (&[0u8, 2, 1, 0, 0, 0, 0, 0][..], true), // authorizer, keep-conn
        (&[0, 3, 0, 0, 0, 0, 0, 0], false),      // filter
        (&[], false),
        (&[0], false),
        (&[0, 1], false),
    ] {
        let mut d = Decoder::new(LIMITS);
        let (done, replies, _) = drive(&mut d, &rec(BEGIN_REQUEST, 7, content), &[3]);
        assert!(done.is_empty());
        assert_eq!(
            records(&replies),
            [end_request(7, UNKNOWN_ROLE)],
            "{content:?}"
        );
        assert_eq!(d.wants_close(), !keep, "{content:?}");
    }
}

#[test]
fn params_over_the_limit_are_dropped_not_kept() {
    let big = vec![b'v'; 300];
    let params = pairs(&[(b"A", &big), (b"B", &big)]);
    let cuts = [100, 200, 300, 400, 500];
    let (r, _, _) = one(&request(1, false, &params, &cuts, b""));
    assert_eq!(r.params.unwrap_err(), ParamsError::TooLarge);
}

#[test]
fn stdin_over_the_limit_is_counted_not_kept() {
    let params = pairs(&[(b"CONTENT_LENGTH", b"999999999999")]);
    let mut stream = begin(1, ROLE_RESPONDER, true);
    stream.extend(rec(PARAMS, 1, &params));
    stream.extend(rec(PARAMS, 1, &[]));
    for _ in 0..5 {
        stream.extend(rec(STDIN, 1, &[b'x'; 1000]));
    }
    // A small piece after the limit is not kept either.
    stream.extend(rec(STDIN, 1, &[b'y'; 10]));
    stream.extend(rec(STDIN, 1, &[]));
    let mut d = Decoder::new(LIMITS);
    let (done, _, _) = drive(&mut d, &stream, &[333]);
    assert_eq!(done.len(), 1);
    assert!(done[0].body_dropped());
    assert_eq!((done[0].body.len(), done[0].stdin_len), (0, 5010));
    assert!(done[0].params.is_ok());
}

#[test]
fn a_two_gib_declared_pair_is_malformed_without_allocating_it() {
    let mut params = vec![4, 0xff, 0xff, 0xff, 0xff];
    params.extend_from_slice(b"NAMEvalue");
    let (r, _, _) = one(&request(1, false, &params, &[], b""));
    assert_eq!(r.params.unwrap_err(), ParamsError::Malformed);
}

#[test]
fn another_version_ends_the_connection() {
    let mut stream = begin(1, ROLE_RESPONDER, true);
    stream[0] = 2;
    assert_eq!(
        Decoder::new(LIMITS).feed(&stream).unwrap_err(),
        BadVersion(2)
    );
}

/// A request stream, the pairs it carries and its body.
type Generated = (Vec<u8>, Vec<(Vec<u8>, Vec<u8>)>, Vec<u8>);

/// A valid request stream with random parameters, record splits, padding and body.
fn valid_stream() -> impl Strategy<Value = Generated> {
    let pair = (
        proptest::collection::vec(any::<u8>(), 0..40),
        proptest::collection::vec(any::<u8>(), 0..200),
    );
    (
        proptest::collection::vec(pair, 0..4),
        proptest::collection::vec(any::<u8>(), 0..600),
        proptest::collection::vec(0usize..300, 0..6),
        any::<u16>(),
        any::<bool>(),
        0u8..16,
    )
        .prop_map(|(list, body, mut cuts, id, keep, pad)| {
            let id = id.max(1);
            let mut params = Vec::new();
            for (n, v) in &list {
                push_pair(&mut params, n, v);
            }
            cuts.iter_mut().for_each(|c| *c = (*c).min(params.len()));
            cuts.sort_unstable();
            let mut stream = request(id, keep, &params, &cuts, &body);
            // Pad the BEGIN_REQUEST record.
            stream[6] = pad;
            stream.splice(16..16, std::iter::repeat_n(0xaa, usize::from(pad)));
            (stream, list, body)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn arbitrary_bytes_never_panic_nor_pass_the_limits(
        bytes in proptest::collection::vec(any::<u8>(), 0..4096),
        pieces in proptest::collection::vec(1usize..700, 1..8),
    ) {
        let mut d = Decoder::new(LIMITS);
        drive(&mut d, &bytes, &pieces);
    }

    #[test]
    fn arbitrary_records_never_panic_nor_pass_the_limits(
        recs in proptest::collection::vec(
            (0u8..13, 0u16..3, proptest::collection::vec(any::<u8>(), 0..400), any::<u8>()),
            0..40,
        ),
        pieces in proptest::collection::vec(1usize..300, 1..8),
    ) {
        // Well-framed records of random types, ids and contents: exercises every state.
        let mut stream = Vec::new();
        for (kind, id, content, pad) in recs {
            let mut r = rec(kind, id, &content);
            r[6] = pad;
            r.extend(std::iter::repeat_n(0, usize::from(pad)));
            stream.extend(r);
        }
        let mut d = Decoder::new(LIMITS);
        drive(&mut d, &stream, &pieces);
    }

    #[test]
    fn valid_streams_decode_exactly_in_any_pieces(
        (stream, list, body) in valid_stream(),
        pieces in proptest::collection::vec(1usize..64, 1..8),
    ) {
        let mut d = Decoder::new(LIMITS);
        let (done, replies, bad) = drive(&mut d, &stream, &pieces);
        prop_assert!(!bad && replies.is_empty());
        prop_assert_eq!(done.len(), 1);
        let r = &done[0];
        prop_assert_eq!(&r.body, &body);
        let size: usize = list.iter().map(|(n, v)| n.len() + v.len() + 8).sum();
        if size <= LIMITS.params {
            let p = r.params.as_ref().unwrap();
            let got: Vec<(Vec<u8>, Vec<u8>)> =
                p.pairs().map(|(n, v)| (n.to_vec(), v.to_vec())).collect();
            prop_assert_eq!(got, list);
        }
    }

    #[test]
    fn mutated_valid_streams_never_panic_nor_pass_the_limits(
        (stream, _, _) in valid_stream(),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), 0u8..3), 1..6),
        pieces in proptest::collection::vec(1usize..64, 1..8),
    ) {
        let mut stream = stream;
        for (at, byte, op) in edits {
            let at = at % (stream.len() + 1);
            match op {
                0 if at < stream.len() => stream[at] = byte,
                1 => stream.insert(at, byte),
                _ if at < stream.len() => { stream.remove(at); }
                _ => {}
            }
        }
        let mut d = Decoder::new(LIMITS);
        drive(&mut d, &stream, &pieces);
    }
}
