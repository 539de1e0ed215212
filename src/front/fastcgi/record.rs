//! FastCGI 1.0 record framing: the 8-byte header and the records the responder sends.
//! Pure functions over bytes; every length written is checked to fit its field.

/// The only protocol version there is.
pub const VERSION: u8 = 1;
/// Bytes of a record header.
pub const HEADER_LEN: usize = 8;
/// Largest content of one record (a 16-bit field).
pub const MAX_CONTENT: usize = 65535;

/// Record type: starts a request (role, flags).
pub const BEGIN_REQUEST: u8 = 1;
/// Record type: the web server gives up on a request.
pub const ABORT_REQUEST: u8 = 2;
/// Record type: the responder finished a request.
pub const END_REQUEST: u8 = 3;
/// Record type: a piece of the name-value stream of CGI parameters.
pub const PARAMS: u8 = 4;
/// Record type: a piece of the request body.
pub const STDIN: u8 = 5;
/// Record type: a piece of the CGI response.
pub const STDOUT: u8 = 6;
/// Record type: the filter role's extra input stream (never used by a responder).
pub const DATA: u8 = 8;
/// Management record type: the web server asks for capability values.
pub const GET_VALUES: u8 = 9;
/// Management record type: the answer to GET_VALUES.
pub const GET_VALUES_RESULT: u8 = 10;
/// Management record type: the answer to a management record we do not know.
pub const UNKNOWN_TYPE: u8 = 11;

/// The only role served.
pub const ROLE_RESPONDER: u16 = 1;
/// BEGIN_REQUEST flag: keep the connection open after the request.
pub const FLAG_KEEP_CONN: u8 = 1;

/// END_REQUEST protocol status: the request ran to its end.
pub const REQUEST_COMPLETE: u8 = 0;
/// END_REQUEST protocol status: a second request on a connection that has one running.
pub const CANT_MPX_CONN: u8 = 1;
/// END_REQUEST protocol status: a role other than responder (or an unreadable one).
pub const UNKNOWN_ROLE: u8 = 3;

/// A decoded record header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Record type.
    pub kind: u8,
    /// Request id; 0 for management records.
    pub id: u16,
    /// Bytes of content that follow the header.
    pub content_len: u16,
    /// Bytes of padding after the content.
    pub padding_len: u8,
}

/// A header with a version other than 1: the stream is not FastCGI (or lost its framing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadVersion(pub u8);

impl Header {
    /// Decodes a header; the reserved byte is ignored.
    pub fn parse(bytes: &[u8; HEADER_LEN]) -> Result<Header, BadVersion> {
        if bytes[0] != VERSION {
            return Err(BadVersion(bytes[0]));
        }
        Ok(Header {
            kind: bytes[1],
            id: u16::from_be_bytes([bytes[2], bytes[3]]),
            content_len: u16::from_be_bytes([bytes[4], bytes[5]]),
            padding_len: bytes[6],
        })
    }
}

/// Appends one record without padding. `content` must fit one record; callers chunk.
pub fn push_record(out: &mut Vec<u8>, kind: u8, id: u16, content: &[u8]) {
    debug_assert!(content.len() <= MAX_CONTENT);
    let len = content.len().min(MAX_CONTENT) as u16;
    let [id_hi, id_lo] = id.to_be_bytes();
    let [len_hi, len_lo] = len.to_be_bytes();
    out.extend_from_slice(&[VERSION, kind, id_hi, id_lo, len_hi, len_lo, 0, 0]);
    out.extend_from_slice(&content[..usize::from(len)]);
}

/// Appends a whole response: `stdout` as STDOUT records of at most 65535 bytes, the empty
/// STDOUT that ends the stream, and END_REQUEST (complete, app status 0).
pub fn push_response(out: &mut Vec<u8>, id: u16, stdout: &[u8]) {
    let records = stdout.len().div_ceil(MAX_CONTENT) + 2;
    out.reserve(stdout.len() + records * HEADER_LEN + 8);
    for chunk in stdout.chunks(MAX_CONTENT) {
        push_record(out, STDOUT, id, chunk);
    }
    push_record(out, STDOUT, id, &[]);
    push_end_request(out, id, REQUEST_COMPLETE);
}

/// Appends END_REQUEST with app status 0 and the given protocol status.
pub fn push_end_request(out: &mut Vec<u8>, id: u16, protocol_status: u8) {
    push_record(
        out,
        END_REQUEST,
        id,
        &[0, 0, 0, 0, protocol_status, 0, 0, 0],
    );
}

/// Appends UNKNOWN_TYPE naming a management record type we do not know.
pub fn push_unknown_type(out: &mut Vec<u8>, kind: u8) {
    push_record(out, UNKNOWN_TYPE, 0, &[kind, 0, 0, 0, 0, 0, 0, 0]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip_and_version_check() {
        let mut out = Vec::new();
        push_record(&mut out, PARAMS, 0x1234, b"abc");
        assert_eq!(out, [1, 4, 0x12, 0x34, 0, 3, 0, 0, b'a', b'b', b'c']);
        let head: [u8; 8] = out[..8].try_into().unwrap();
        let h = Header::parse(&head).unwrap();
        assert_eq!(
            (h.kind, h.id, h.content_len, h.padding_len),
            (4, 0x1234, 3, 0)
        );
        assert_eq!(Header::parse(&[2, 1, 0, 1, 0, 0, 0, 0]), Err(BadVersion(2)));
    }

    #[test]
    fn response_is_chunked_and_ended() {
        let body = vec![7u8; MAX_CONTENT * 2 + 10];
        let mut out = Vec::new();
        push_response(&mut out, 3, &body);
        // Walk the records: 65535, 65535, 10, 0 bytes of STDOUT, then END_REQUEST.
        let mut seen = Vec::new();
        let mut pos = 0;
        while pos < out.len() {
            let h = Header::parse(out[pos..pos + 8].try_into().unwrap()).unwrap();
            assert_eq!(h.id, 3);
            seen.push((h.kind, h.content_len));
            pos += 8 + usize::from(h.content_len);
        }
        assert_eq!(
            seen,
            [
                (STDOUT, 65535),
                (STDOUT, 65535),
                (STDOUT, 10),
                (STDOUT, 0),
                (END_REQUEST, 8)
            ]
        );
        assert_eq!(
            &out[out.len() - 8..],
            &[0, 0, 0, 0, REQUEST_COMPLETE, 0, 0, 0]
        );
    }

    #[test]
    fn unknown_type_names_the_type() {
        let mut out = Vec::new();
        push_unknown_type(&mut out, 42);
        assert_eq!(
            out,
            [1, UNKNOWN_TYPE, 0, 0, 0, 8, 0, 0, 42, 0, 0, 0, 0, 0, 0, 0]
        );
    }
}
