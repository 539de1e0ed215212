//! How the binary learns which face it is: a listening socket on fd 0 (spawn-fcgi,
//! mod_fcgid, systemd `StandardInput=socket`) or `LISTEN_FDS` (systemd), else CGI when
//! `GATEWAY_INTERFACE` is set, else the command line.

use std::os::fd::RawFd;

/// True when fd 0 is a listening socket: `getpeername` fails with ENOTCONN
/// (the same test as libfcgi's `FCGX_IsCGI`).
pub fn fd0_is_listening_socket() -> bool {
    let mut addr: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: getpeername writes at most `len` bytes into `addr`, which is large enough.
    let r = unsafe { libc::getpeername(0, (&raw mut addr).cast(), &raw mut len) };
    r == -1 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ENOTCONN)
}

/// The first socket passed by systemd socket activation (`LISTEN_PID`/`LISTEN_FDS`), if any.
pub fn systemd_listen_fd() -> Option<RawFd> {
    let pid: u32 = std::env::var("LISTEN_PID").ok()?.parse().ok()?;
    let fds: u32 = std::env::var("LISTEN_FDS").ok()?.parse().ok()?;
    (pid == std::process::id() && fds >= 1).then_some(3)
}

/// True when a web server runs us as a CGI program.
pub fn is_cgi() -> bool {
    std::env::var("GATEWAY_INTERFACE").is_ok_and(|v| v.starts_with("CGI/"))
}

/// Address family of a socket fd: `AF_UNIX`, `AF_INET`, `AF_INET6`, or None if not a socket.
pub fn socket_family(fd: RawFd) -> Option<libc::c_int> {
    let mut addr: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: getsockname writes at most `len` bytes into `addr`, which is large enough.
    let r = unsafe { libc::getsockname(fd, (&raw mut addr).cast(), &raw mut len) };
    (r == 0).then_some(addr.ss_family as libc::c_int)
}
