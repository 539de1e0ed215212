//! The one executable. It picks its face here: the FastCGI responder when started on an
//! inherited listening socket without arguments (spawn-fcgi, mod_fcgid, systemd), CGI when
//! a web server runs it as a CGI program, else the command line (`serve`, `call`, admin).

use accounthub::cli;
use accounthub::front::{cgi, detect};

fn main() {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let inherited_socket =
        detect::fd0_is_listening_socket() || detect::systemd_listen_fd().is_some();
    let code = if detect::is_cgi() && !inherited_socket {
        cgi::run(cli::load_config(None))
    } else if argv.len() == 1 && inherited_socket {
        cli::finish(cli::serve(None, None, None))
    } else {
        cli::main(argv)
    };
    std::process::exit(code);
}
