//! A private Apache 2.4 (Debian `apache2`, event MPM) in front of a prepared `Service`:
//! its own ServerRoot, pid file, logs and runtime files in the service directory, listening
//! on the service's loopback port, with one shipped `deploy/apache-*.conf.example` included
//! after the install paths in it are replaced by the test's.

use std::path::Path;
use std::process::{Command, Stdio};

use super::{BIN, Service, wait_for_port};

/// Where Debian keeps the loadable modules.
const MODULES: &str = "/usr/lib/apache2/modules";

/// The user Apache's workers (and whatever they spawn) run as.
pub const WEB_USER: &str = "www-data";

/// Gives `dir` and everything in it to the web server's user, as a sysadmin would give it
/// the database directory (Apache refuses to run its workers as root).
pub fn give_to_web_user(dir: &Path) {
    let status = Command::new("chown")
        .arg("-R")
        .arg(format!("{WEB_USER}:{WEB_USER}"))
        .arg(dir)
        .status()
        .expect("run chown");
    assert!(status.success(), "chown -R {WEB_USER} {}", dir.display());
}

/// Starts Apache on `service.port` with the shipped site file `example` (relative to the
/// repository), its install paths pointed at this service, loading `modules` (e.g.
/// `proxy_fcgi`) besides the MPM and `authz_core`.
pub fn start(service: &mut Service, example: &str, modules: &[&str]) {
    let shipped = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(example))
        .unwrap_or_else(|e| panic!("read {example}: {e}"));
    let bin_dir = Path::new(BIN).parent().unwrap().display().to_string();
    let site = shipped
        .replace("/usr/local/bin/accounthub", BIN)
        .replace("\"/usr/local/bin\"", &format!("\"{bin_dir}\""))
        .replace(
            "/etc/accounthub/accounthub.toml",
            &service.path("accounthub.toml").display().to_string(),
        )
        .replace(
            "/run/accounthub/accounthub.sock",
            &service.socket().display().to_string(),
        );
    std::fs::write(service.path("site.conf"), site).unwrap();
    let load: String = ["mpm_event", "authz_core"]
        .iter()
        .chain(modules)
        .map(|m| format!("LoadModule {m}_module {MODULES}/mod_{m}.so\n"))
        .collect();
    let d = service.dir.0.display();
    let main = format!(
        "ServerRoot \"{d}\"\nServerName 127.0.0.1\nListen 127.0.0.1:{port}\n\
         PidFile \"{d}/apache.pid\"\nErrorLog \"{d}/apache-error.log\"\nLogLevel warn\n\
         DefaultRuntimeDir \"{d}\"\nUser {WEB_USER}\nGroup {WEB_USER}\n{load}\
         <IfModule fcgid_module>\n  FcgidIPCDir \"{d}/fcgid\"\n  \
         FcgidProcessTableFile \"{d}/fcgid_shm\"\n</IfModule>\n\
         <IfModule cgid_module>\n  ScriptSock \"{d}/cgid.sock\"\n</IfModule>\n\
         Include \"{d}/site.conf\"\n",
        port = service.port,
    );
    std::fs::write(service.path("apache.conf"), main).unwrap();
    give_to_web_user(&service.dir.0);
    let mut apache = Command::new("/usr/sbin/apache2")
        .arg("-f")
        .arg(service.path("apache.conf"))
        .arg("-DFOREGROUND")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(service.path("apache-error.log")).unwrap())
        .spawn()
        .expect("spawn apache2 (is apache2 installed?)");
    wait_for_port(
        "apache",
        &mut apache,
        service.port,
        &service.path("apache-error.log"),
    );
    service.adopt(apache);
}
