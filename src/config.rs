//! Service configuration: one TOML file, every key optional, defaults that run a fresh checkout.
//!
//! Lookup order: `--config PATH`, else `$ACCOUNTHUB_CONFIG`, else
//! `/etc/accounthub/accounthub.toml` if it exists, else the built-in defaults.
//! `deploy/accounthub.toml.example` documents every key with its default.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::{Map, Value};

pub use crate::log::{Format as LogFormat, Level as LogLevel};
use crate::store::ratelimit::Limit;

/// System-wide config file used when neither `--config` nor `$ACCOUNTHUB_CONFIG` is given.
pub const SYSTEM_CONFIG: &str = "/etc/accounthub/accounthub.toml";

/// The whole configuration, as read from TOML (unknown keys are refused so typos surface).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Path of the SQLite file; created with the schema on first use.
    pub database: PathBuf,
    /// Absolute public URL of the service root (e.g. `https://example.org/accounthub/`);
    /// used to build absolute URLs instead of trusting the Host header.
    pub public_url: String,
    /// Site title: the appname of login alert emails.
    pub site_title: String,
    /// System name: the TOTP issuer shown in authenticator apps.
    pub system_name: String,
    /// IANA zone in which times are shown (`YYYY-MM-DD HH:MM:SS`); storage is always UTC.
    pub timezone: String,
    /// Value of the `mobileenabled` action, and whether the mobile API answers at all.
    pub mobile_enabled: bool,
    /// Largest request body accepted, in bytes; larger bodies get 413.
    pub body_limit: usize,
    /// FastCGI responder settings.
    pub server: ServerConfig,
    /// Password hashing settings.
    pub passwords: PasswordConfig,
    /// Rate limiter settings.
    pub rate_limit: RateLimitConfig,
    /// Outgoing mail settings.
    pub mail: MailConfig,
    /// Maian add-account API settings.
    pub maian: MaianConfig,
    /// `GET <prefix>/metrics` settings.
    pub metrics: MetricsConfig,
    /// Audit log settings.
    pub audit: AuditConfig,
    /// Login page settings.
    pub login: LoginConfig,
    /// Apps listed by `listapps`, in file order: `[apps.<id>]` tables passed through as JSON.
    pub apps: Map<String, Value>,
}

/// Settings of the long-lived FastCGI responder.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Default listen address when `--listen` is not given and fd 0 is not a socket
    /// (`unix:/path` or `tcp:127.0.0.1:9000`).
    pub listen: String,
    /// Permission bits of a unix socket created by `--listen unix:...` (octal in the file).
    pub socket_mode: SocketMode,
    /// Upper bound of threads doing blocking work (SQLite, hashing) at once.
    pub max_blocking_threads: usize,
    /// Seconds that in-flight requests get to finish after SIGTERM/SIGINT.
    pub shutdown_grace_secs: u64,
    /// Log level on stderr: `off`, `error`, `warn` or `info` (one line per request).
    pub log_level: LogLevel,
    /// Shape of the stderr lines: `text`, or `json` (one object per line) for journald
    /// and log shippers.
    pub log_format: LogFormat,
    /// Proxies whose `X-Forwarded-For` is trusted for the client IP (exact addresses).
    pub trusted_proxies: Vec<IpAddr>,
    /// Connections served at once; more wait in the listen backlog, and a waiting one
    /// makes the longest-idle connection close. Also bounded by the open-file limit.
    pub max_connections: usize,
    /// Seconds a connection may wait for a request to begin (new or kept alive).
    pub idle_timeout_secs: u64,
    /// Seconds from the first byte of a request to the end of its parameters.
    pub header_timeout_secs: u64,
    /// Seconds from the end of the parameters to the end of the body.
    pub body_timeout_secs: u64,
    /// Largest FastCGI parameter stream (all CGI variables of a request) in bytes;
    /// larger requests get 431.
    pub params_limit: usize,
}

/// Password hashing settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordConfig {
    /// PBKDF2-HMAC-SHA256 rounds for new hashes.
    pub pbkdf2_rounds: u32,
    /// Hashes computed at once; 0 means one per CPU core.
    pub hash_concurrency: usize,
}

/// Rate limiter settings: fixed windows, counted in the SQLite file.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Bad or missing API keys allowed per client IP per window before 429.
    pub bad_key_limit: u32,
    /// Window of the bad-key limiter, in seconds.
    pub bad_key_window_secs: u64,
    /// Failed credential checks allowed per (client IP, username) per window before 429.
    pub credential_limit: u32,
    /// Window of the credential limiter, in seconds.
    pub credential_window_secs: u64,
    /// Failed `codelogin` attempts allowed per client IP per window before 429. Kiosks
    /// behind one app server share the count, so this is higher than `credential_limit`.
    pub code_login_limit: u32,
    /// Window of the `codelogin` limiter, in seconds.
    pub code_login_window_secs: u64,
}

/// Audit log (`authlog`) settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditConfig {
    /// Most rows kept; past it each new row pushes out the oldest, so the log cannot fill
    /// the disk.
    pub max_rows: u64,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            max_rows: crate::store::authlog::DEFAULT_MAX_ROWS as u64,
        }
    }
}

/// Outgoing mail settings (alert and welcome mails).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailConfig {
    /// Address that receives login alerts.
    pub admin_email: String,
    /// Sender address of every mail.
    pub from: String,
    /// SMTP server host name.
    pub host: String,
    /// SMTP server port.
    pub port: u16,
    /// How the SMTP connection is protected.
    pub security: MailSecurity,
    /// Whether to log in to the SMTP server.
    pub auth: bool,
    /// SMTP user name.
    pub user: String,
    /// SMTP password.
    pub password: String,
    /// Accept self-signed or mismatched certificates (the original's default).
    pub allow_invalid_certificate: bool,
    /// Attempts before a message is marked failed.
    pub max_attempts: u32,
    /// First retry delay in seconds; doubles on every further attempt.
    pub retry_base_secs: u64,
    /// Seconds one SMTP step (connect, each reply) may take before the attempt fails,
    /// so a stuck server cannot hold a message forever.
    pub timeout_secs: u64,
}

/// Permission bits of a unix socket, read from an octal string (`"0660"`, `"0o660"`) when
/// the configuration is loaded, so a bad value stops the start at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct SocketMode(pub u32);

impl TryFrom<String> for SocketMode {
    type Error = String;

    fn try_from(text: String) -> Result<SocketMode, String> {
        u32::from_str_radix(text.trim_start_matches("0o"), 8)
            .ok()
            .filter(|mode| *mode <= 0o7777)
            .map(SocketMode)
            .ok_or_else(|| format!("socket mode {text:?} is not an octal mode such as \"0660\""))
    }
}

/// How outgoing SMTP connections are protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum MailSecurity {
    /// `starttls`: plain connect, then STARTTLS; servers without it are refused.
    StartTls,
    /// `tls`: implicit TLS from the first byte (usually port 465).
    Tls,
    /// `plain`: no TLS at all (a local relay only).
    Plain,
}

impl TryFrom<String> for MailSecurity {
    type Error = String;

    fn try_from(text: String) -> Result<MailSecurity, String> {
        match text.as_str() {
            "starttls" => Ok(MailSecurity::StartTls),
            "tls" => Ok(MailSecurity::Tls),
            "plain" => Ok(MailSecurity::Plain),
            other => Err(format!(
                "mail.security must be starttls, tls or plain, not {other:?}"
            )),
        }
    }
}

/// Prometheus metrics settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Whether requests are counted and `GET <prefix>/metrics` answers.
    pub enabled: bool,
    /// Client addresses that may read `/metrics` (after `server.trusted_proxies`); others
    /// get 403, because the figures describe the traffic of every user.
    pub allow: Vec<IpAddr>,
}

/// Maian add-account API settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MaianConfig {
    /// Most accounts accepted in one request.
    pub batch_limit: usize,
    /// Length of generated passwords.
    pub password_length: usize,
    /// Zone stored when an account's timezone is missing or not an IANA name.
    pub default_timezone: String,
    /// Accepted languages.
    pub languages: Vec<String>,
    /// Language stored when an account's language is not in the list.
    pub default_language: String,
    /// Longest accepted `notes`, in characters.
    pub notes_max_chars: usize,
}

/// Login page settings (the SSO page apps send their users to).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoginConfig {
    /// Origins (`https://app.example.org`) the page may send the browser back to, besides
    /// those of the `[apps]` URLs.
    pub redirect_allowlist: Vec<String>,
    /// Shortest new password accepted, in characters.
    pub password_min_length: usize,
    /// A file of common passwords, one a line, refused as new passwords in addition to
    /// the built-in list; empty = the built-in list only.
    pub common_passwords_file: PathBuf,
    /// Seconds a signed-in browser session lasts.
    pub session_lifetime_secs: i64,
}

impl Default for LoginConfig {
    fn default() -> Self {
        LoginConfig {
            redirect_allowlist: Vec::new(),
            password_min_length: 10,
            common_passwords_file: PathBuf::new(),
            session_lifetime_secs: 8 * 3600,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database: PathBuf::from("./accounthub.sqlite"),
            public_url: "http://localhost/accounthub/".into(),
            site_title: "AccountHub".into(),
            system_name: "AccountHub".into(),
            timezone: "UTC".into(),
            mobile_enabled: true,
            body_limit: 1024 * 1024,
            server: ServerConfig::default(),
            passwords: PasswordConfig::default(),
            rate_limit: RateLimitConfig::default(),
            mail: MailConfig::default(),
            maian: MaianConfig::default(),
            metrics: MetricsConfig::default(),
            audit: AuditConfig::default(),
            login: LoginConfig::default(),
            apps: Map::new(),
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "unix:/run/accounthub/accounthub.sock".into(),
            socket_mode: SocketMode(0o660),
            max_blocking_threads: 32,
            shutdown_grace_secs: 10,
            log_level: LogLevel::Info,
            log_format: LogFormat::Text,
            trusted_proxies: Vec::new(),
            max_connections: 4096,
            idle_timeout_secs: 90,
            header_timeout_secs: 10,
            body_timeout_secs: 60,
            params_limit: 256 * 1024,
        }
    }
}

impl Default for PasswordConfig {
    fn default() -> Self {
        PasswordConfig {
            pbkdf2_rounds: 600_000,
            hash_concurrency: 0,
        }
    }
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            bad_key_limit: 10,
            bad_key_window_secs: 60,
            credential_limit: 5,
            credential_window_secs: 300,
            code_login_limit: 20,
            code_login_window_secs: 300,
        }
    }
}

impl RateLimitConfig {
    /// The bad-key limiter: per client IP.
    pub fn bad_key(&self) -> Limit {
        Limit {
            limit: self.bad_key_limit,
            window_secs: self.bad_key_window_secs,
        }
    }

    /// The credential limiter: per (client IP, user name) and secret kind; also the
    /// `alertemail` limiter.
    pub fn credential(&self) -> Limit {
        Limit {
            limit: self.credential_limit,
            window_secs: self.credential_window_secs,
        }
    }

    /// The longest window of any limiter: a bucket that started longer ago than this has
    /// ended whatever its kind, so it can be dropped.
    pub fn longest_window_secs(&self) -> u64 {
        self.bad_key_window_secs
            .max(self.credential_window_secs)
            .max(self.code_login_window_secs)
    }
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            admin_email: String::new(),
            from: "alert-noreply@example.com".into(),
            host: "localhost".into(),
            port: 587,
            security: MailSecurity::StartTls,
            auth: false,
            user: String::new(),
            password: String::new(),
            allow_invalid_certificate: true,
            max_attempts: 8,
            retry_base_secs: 60,
            timeout_secs: 30,
        }
    }
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            enabled: true,
            allow: vec![
                IpAddr::from([127, 0, 0, 1]),
                IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
            ],
        }
    }
}

impl Default for MaianConfig {
    fn default() -> Self {
        MaianConfig {
            batch_limit: 1000,
            password_length: 12,
            default_timezone: "UTC".into(),
            languages: vec!["english".into()],
            default_language: "english".into(),
            notes_max_chars: 2000,
        }
    }
}

impl Config {
    /// Finds and reads the configuration: `explicit`, else `$ACCOUNTHUB_CONFIG`, else
    /// `SYSTEM_CONFIG` if it exists, else the defaults.
    pub fn load(explicit: Option<&Path>) -> Result<Config, String> {
        match Config::locate(explicit) {
            Some(path) => Config::from_file(&path),
            None => Ok(Config::default()),
        }
    }

    /// The file `load` reads, or `None` for the built-in defaults.
    pub fn locate(explicit: Option<&Path>) -> Option<PathBuf> {
        let from_env = std::env::var_os("ACCOUNTHUB_CONFIG").map(PathBuf::from);
        explicit.map(Path::to_path_buf).or(from_env).or_else(|| {
            let system = PathBuf::from(SYSTEM_CONFIG);
            system.exists().then_some(system)
        })
    }

    /// Reads one TOML file and checks the values that could only fail later.
    pub fn from_file(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read config {}: {e}", path.display()))?;
        Config::from_toml(&text).map_err(|e| format!("config {}: {e}", path.display()))
    }

    /// Parses TOML text into a checked configuration.
    pub fn from_toml(text: &str) -> Result<Config, String> {
        let config: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        match config.value_problems().into_iter().next() {
            Some((_, problem)) => Err(problem),
            None => Ok(config),
        }
    }

    /// Values that parse but cannot be used, as (dotted key, message); `accounthub check`
    /// reports each with its line. Typed values (log level and format, socket mode, mail
    /// security) are refused while parsing, with their own line.
    pub fn value_problems(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        if let Err(e) = self.tz() {
            problems.push(("timezone", e));
        }
        problems
    }

    /// The display time zone.
    pub fn tz(&self) -> Result<Tz, String> {
        self.timezone
            .parse::<Tz>()
            .map_err(|_| format!("timezone {:?} is not an IANA zone name", self.timezone))
    }

    /// Concurrent hash computations allowed (config, or the number of cores).
    pub fn hash_concurrency(&self) -> usize {
        match self.passwords.hash_concurrency {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_run_a_fresh_checkout() {
        let c = Config::from_toml("").unwrap();
        assert_eq!(c.database, PathBuf::from("./accounthub.sqlite"));
        assert_eq!(c.passwords.pbkdf2_rounds, 600_000);
        assert_eq!(c.body_limit, 1024 * 1024);
    }

    #[test]
    fn apps_keep_file_order() {
        let c = Config::from_toml("[apps.zeta]\ntitle='Z'\n[apps.alpha]\ntitle='A'\n").unwrap();
        let ids: Vec<_> = c.apps.keys().cloned().collect();
        assert_eq!(ids, ["zeta", "alpha"]);
    }

    #[test]
    fn typos_and_bad_values_are_refused() {
        assert!(Config::from_toml("databse = 'x'").is_err());
        assert!(Config::from_toml("timezone = 'Mars/Olympus'").is_err());
        assert!(Config::from_toml("[mail]\nsecurity = 'ssl3'").is_err());
        let bad_mode = Config::from_toml("[server]\nsocket_mode = '0999'").unwrap_err();
        assert!(bad_mode.contains("not an octal mode"), "{bad_mode}");
        let bad_level = Config::from_toml("[server]\nlog_level = 'loud'").unwrap_err();
        assert!(bad_level.contains("log level"), "{bad_level}");
    }

    #[test]
    fn typed_values_are_read_at_load() {
        let c = Config::from_toml(
            "[server]\nsocket_mode = '0o600'\nlog_level = 'WARN'\n[mail]\nsecurity = 'tls'\n",
        )
        .unwrap();
        assert_eq!(c.server.socket_mode, SocketMode(0o600));
        assert_eq!(c.server.log_level, LogLevel::Warn);
        assert_eq!(c.mail.security, MailSecurity::Tls);
    }
}
