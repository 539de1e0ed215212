//! The one executable: picks its face (FastCGI, CGI, `call`, admin CLI) and runs it.

fn main() {
    std::process::exit(accounthub::admin::main());
}
