//! FastCGI name-value pairs: each length is one byte (0..127) or four bytes with the top
//! bit set (31 bits). The PARAMS stream is kept as the one buffer it arrived in and read
//! in place, so a declared length is only ever compared against bytes that are there.

use crate::response::Response;

/// The parameters of one request: a complete, well-formed name-value stream.
#[derive(Debug, Clone, Default)]
pub struct Params {
    buf: Vec<u8>,
}

/// Why a PARAMS stream was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamsError {
    /// A pair's lengths run past the end of the stream.
    Malformed,
    /// The stream is longer than the configured limit (the rest was not kept).
    TooLarge,
}

impl ParamsError {
    /// The plain-text answer, like the pipeline's other request-level errors.
    pub fn response(self) -> Response {
        match self {
            ParamsError::Malformed => {
                Response::text(400, "400 Bad request: malformed FastCGI parameters")
            }
            ParamsError::TooLarge => Response::text(431, "431 Request header fields too large"),
        }
    }
}

impl Params {
    /// Accepts `buf` if it is a sequence of whole pairs.
    pub fn parse(buf: Vec<u8>) -> Result<Params, ParamsError> {
        for pair in Pairs::new(&buf) {
            pair?;
        }
        Ok(Params { buf })
    }

    /// The value of the first parameter called `name` (ASCII case-insensitive, as CGI
    /// meta-variable names are compared by the web servers).
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.pairs()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v)
    }

    /// Every (name, value) pair in order.
    pub fn pairs(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        Pairs::new(&self.buf).map_while(Result::ok)
    }
}

/// Iterates the pairs of a buffer; yields `Malformed` once and stops on a cut pair.
pub struct Pairs<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Pairs<'a> {
    /// Pairs of `buf` from its start.
    pub fn new(buf: &'a [u8]) -> Pairs<'a> {
        Pairs { buf, pos: 0 }
    }

    fn length(&mut self) -> Option<usize> {
        let first = *self.buf.get(self.pos)?;
        if first < 0x80 {
            self.pos += 1;
            return Some(usize::from(first));
        }
        let bytes = self.buf.get(self.pos..self.pos + 4)?;
        self.pos += 4;
        let n = u32::from_be_bytes([bytes[0] & 0x7f, bytes[1], bytes[2], bytes[3]]);
        usize::try_from(n).ok()
    }

    fn slice(&mut self, len: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(len)?;
        let s = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }
}

impl<'a> Iterator for Pairs<'a> {
    type Item = Result<(&'a [u8], &'a [u8]), ParamsError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let pair = (|| {
            let name_len = self.length()?;
            let value_len = self.length()?;
            Some((self.slice(name_len)?, self.slice(value_len)?))
        })();
        if pair.is_none() {
            self.pos = self.buf.len();
        }
        Some(pair.ok_or(ParamsError::Malformed))
    }
}

/// Appends one pair, with 1- or 4-byte lengths as needed (lengths must be below 2^31).
pub fn push_pair(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    for len in [name.len(), value.len()] {
        match u8::try_from(len) {
            Ok(short) if short < 0x80 => out.push(short),
            _ => out.extend_from_slice(&((len as u32) | 0x8000_0000).to_be_bytes()),
        }
    }
    out.extend_from_slice(name);
    out.extend_from_slice(value);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_lengths() {
        let long = vec![b'v'; 300];
        let mut buf = Vec::new();
        push_pair(&mut buf, b"REQUEST_METHOD", b"GET");
        push_pair(&mut buf, b"HTTP_COOKIE", &long);
        push_pair(&mut buf, b"EMPTY", b"");
        assert_eq!(buf[0], 14);
        assert_eq!(&buf[19..24], &[0x0b, 0x80, 0, 1, 0x2c]);
        let p = Params::parse(buf).unwrap();
        assert_eq!(p.get("request_method"), Some(&b"GET"[..]));
        assert_eq!(p.get("HTTP_COOKIE").map(<[u8]>::len), Some(300));
        assert_eq!(p.get("EMPTY"), Some(&b""[..]));
        assert_eq!(p.get("MISSING"), None);
        assert_eq!(p.pairs().count(), 3);
    }

    #[test]
    fn a_four_byte_length_may_be_used_for_short_values() {
        let buf = [0x80, 0, 0, 1, 0x80, 0, 0, 2, b'A', b'x', b'y'].to_vec();
        assert_eq!(Params::parse(buf).unwrap().get("A"), Some(&b"xy"[..]));
    }

    #[test]
    fn cut_pairs_and_huge_declared_lengths_are_malformed() {
        // 2 GiB - 1 declared for the value, three bytes present.
        let huge = [1, 0xff, 0xff, 0xff, 0xff, b'A', b'x', b'y', b'z'].to_vec();
        assert_eq!(Params::parse(huge).unwrap_err(), ParamsError::Malformed);
        for cut in [
            &[5u8][..],
            &[0x80, 0, 0],
            &[1, 1, b'A'],
            &[3, 0, b'A', b'B'],
        ] {
            assert_eq!(
                Params::parse(cut.to_vec()).unwrap_err(),
                ParamsError::Malformed,
                "{cut:?}"
            );
        }
        assert!(Params::parse(Vec::new()).unwrap().pairs().next().is_none());
    }
}
