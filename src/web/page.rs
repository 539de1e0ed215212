//! The one page template (`templates/login.html` on `base.html`) and the headers every
//! page is sent with.

use askama::Template;

use crate::response::Response;

/// Which part of the page is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// User name and password.
    Password,
    /// TOTP code of a 2FA account.
    Totp,
    /// Forced new password (CHANGE_PASSWORD).
    NewPassword,
    /// Signed in, a login key waits: "Continue to {appname}".
    Continue,
    /// Signed in, no key: the account page with a voluntary password change.
    Account,
    /// Only a message (error or notice) and maybe a link.
    Message,
}

impl Step {
    fn name(self) -> &'static str {
        match self {
            Step::Password => "password",
            Step::Totp => "totp",
            Step::NewPassword => "newpass",
            Step::Continue => "continue",
            Step::Account => "account",
            Step::Message => "message",
        }
    }
}

/// Everything the template shows; askama escapes every value for HTML.
#[derive(Template, Debug, Clone, Default)]
#[template(path = "login.html")]
pub struct Page {
    /// `<title>`.
    pub title: String,
    /// Main heading ("Login to {appname}").
    pub heading: String,
    /// Line under the heading.
    pub subheading: String,
    /// The app's icon URL (http, https or a data:image URI only).
    pub icon: Option<String>,
    /// Error shown above the form.
    pub error: Option<String>,
    /// Notice shown above the form.
    pub notice: Option<String>,
    /// Footer: the site title.
    pub site: String,
    /// Template name of the step shown.
    pub step: &'static str,
    /// Form action (the page's path).
    pub action: String,
    /// CSRF token of every form.
    pub csrf: String,
    /// Login key carried through the forms.
    pub code: String,
    /// Return address carried through the forms.
    pub redirect: String,
    /// User name (prefilled, or the signed-in user).
    pub username: String,
    /// App name for "Continue to ...".
    pub appname: String,
    /// Whether the new password is forced (no current password asked).
    pub forced: bool,
    /// Shortest new password.
    pub min_length: usize,
    /// Link of a message page.
    pub link: Option<String>,
    /// Text of that link.
    pub link_text: String,
}

impl Page {
    /// Selects the step shown.
    pub fn at(mut self, step: Step) -> Page {
        self.step = step.name();
        self.forced = step == Step::NewPassword;
        self
    }

    /// Renders the page with the headers every page carries.
    pub fn respond(&self, status: u16) -> Response {
        match self.render() {
            Ok(html) => with_page_headers(Response::html(status, html)),
            Err(e) => {
                crate::log::error(&format!("login page template: {e}"));
                Response::text(503, "The account server is temporarily unavailable.")
            }
        }
    }
}

/// Headers of every page: never cached, never framed, no referrer (the URL holds the login
/// key), no scripts at all.
pub fn with_page_headers(response: Response) -> Response {
    response
        .with_header("Cache-Control", "no-store")
        .with_header(
            "Content-Security-Policy",
            "default-src 'none'; img-src http: https: data:; style-src 'unsafe-inline'; \
             base-uri 'none'; frame-ancestors 'none'",
        )
        .with_header("X-Frame-Options", "DENY")
        .with_header("X-Content-Type-Options", "nosniff")
        .with_header("Referrer-Policy", "no-referrer")
}

/// The icon URL if it is safe to put in `<img src>`: http(s) or a data:image URI.
pub fn safe_icon(icon: &str) -> Option<String> {
    let lower = icon.trim().to_ascii_lowercase();
    let ok = lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with("data:image/");
    ok.then(|| icon.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_is_escaped() {
        let page = Page {
            heading: "Login to <script>x</script>".into(),
            icon: safe_icon("https://a/i.svg\" onerror=\"alert(1)"),
            code: "\"><b>".into(),
            ..Page::default()
        }
        .at(Step::Password);
        let html = page.render().unwrap();
        assert!(
            html.contains("Login to &#60;script&#62;") || html.contains("Login to &lt;script&gt;")
        );
        assert!(!html.contains("<script>"));
        assert!(!html.contains("\" onerror=\""));
        assert!(!html.contains("\"><b>"));
        assert!(html.contains("name=\"password\""));
    }

    #[test]
    fn only_plain_image_urls_are_shown() {
        assert_eq!(safe_icon("javascript:alert(1)"), None);
        assert_eq!(safe_icon("data:text/html,x"), None);
        assert!(safe_icon("data:image/png;base64,AAAA").is_some());
        assert!(safe_icon("HTTPS://a/x.svg").is_some());
    }
}
