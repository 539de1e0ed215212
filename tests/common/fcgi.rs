//! A raw FastCGI client for talking to the responder's socket directly: record-level
//! control lets tests send partial or malformed requests.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;

const BEGIN_REQUEST: u8 = 1;
const END_REQUEST: u8 = 3;
const PARAMS: u8 = 4;
const STDIN: u8 = 5;
const STDOUT: u8 = 6;

/// Encodes one record for request id 1.
pub fn record(kind: u8, content: &[u8]) -> Vec<u8> {
    let len = content.len() as u16;
    let mut out = vec![1, kind, 0, 1, (len >> 8) as u8, len as u8, 0, 0];
    out.extend_from_slice(content);
    out
}

fn pair(name: &str, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for len in [name.len(), value.len()] {
        if len < 128 {
            out.push(len as u8);
        } else {
            out.extend_from_slice(&((len as u32) | 0x8000_0000).to_be_bytes());
        }
    }
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(value);
    out
}

/// BEGIN_REQUEST (responder role, keep-conn flag as given) plus all PARAMS records.
pub fn request_head(params: &[(&str, &[u8])], keep_conn: bool) -> Vec<u8> {
    let mut out = record(BEGIN_REQUEST, &[0, 1, u8::from(keep_conn), 0, 0, 0, 0, 0]);
    let body: Vec<u8> = params.iter().flat_map(|(n, v)| pair(n, v)).collect();
    out.extend(record(PARAMS, &body));
    out.extend(record(PARAMS, &[]));
    out
}

/// STDIN records carrying `body`, then the empty end-of-stream record.
pub fn request_body(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in body.chunks(60_000) {
        out.extend(record(STDIN, chunk));
    }
    out.extend(record(STDIN, &[]));
    out
}

/// Reads records until END_REQUEST; returns the concatenated STDOUT (CGI headers + body).
pub fn read_response(stream: &mut UnixStream) -> std::io::Result<Vec<u8>> {
    let mut stdout = Vec::new();
    loop {
        let mut header = [0u8; 8];
        stream.read_exact(&mut header)?;
        let len = u16::from_be_bytes([header[4], header[5]]) as usize;
        let mut content = vec![0u8; len + header[6] as usize];
        stream.read_exact(&mut content)?;
        match header[1] {
            STDOUT => stdout.extend_from_slice(&content[..len]),
            END_REQUEST => return Ok(stdout),
            _ => {}
        }
    }
}

/// A GET-style request for `uri` with the usual CGI parameters.
pub fn simple_params(uri: &str) -> Vec<(&'static str, Vec<u8>)> {
    let query = uri.split_once('?').map_or("", |(_, q)| q);
    vec![
        ("REQUEST_METHOD", b"GET".to_vec()),
        ("REQUEST_URI", uri.as_bytes().to_vec()),
        ("QUERY_STRING", query.as_bytes().to_vec()),
        ("REMOTE_ADDR", b"127.0.0.1".to_vec()),
        ("CONTENT_LENGTH", b"0".to_vec()),
    ]
}

/// One complete request on a fresh connection; returns the raw STDOUT.
pub fn roundtrip(
    socket: &Path,
    params: &[(&str, Vec<u8>)],
    body: &[u8],
) -> std::io::Result<Vec<u8>> {
    let mut stream = UnixStream::connect(socket)?;
    let refs: Vec<(&str, &[u8])> = params.iter().map(|(n, v)| (*n, v.as_slice())).collect();
    stream.write_all(&request_head(&refs, false))?;
    stream.write_all(&request_body(body))?;
    read_response(&mut stream)
}
