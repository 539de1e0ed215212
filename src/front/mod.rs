//! The faces of the binary that receive requests: FastCGI responder, CGI, and the
//! in-process `call`. Each builds one `Request` (or parameter set) and hands it to `api`.

pub mod call;
pub mod cgi;
pub mod detect;
pub mod fastcgi;
