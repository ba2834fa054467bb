//! The account page (docs/operations.md, "What users see"): how it names a token family's device and
//! shows its times. The user sees "Firefox on Linux" rather than a raw `User-Agent`, and times in
//! UTC ("2026-11-23 14:05 UTC") or relative to now ("3 minutes ago").

use crate::timefmt;

/// Tools and libraries that are not browsers, matched first (case-sensitive substrings).
const TOOLS: &[(&str, &str)] = &[
    ("curl/", "curl"),
    ("Wget/", "Wget"),
    ("PostmanRuntime", "Postman"),
    ("insomnia", "Insomnia"),
    ("python-requests", "Python"),
    ("python-urllib", "Python"),
    ("Python-urllib", "Python"),
    ("aiohttp", "Python"),
    ("okhttp", "OkHttp"),
    ("Go-http-client", "Go"),
    ("node-fetch", "Node.js"),
    ("axios", "Node.js"),
    ("Dart/", "Dart"),
    ("Java/", "Java"),
];

/// Browsers, most specific first: Edge, Opera and Samsung Internet also say "Chrome", Chrome says "Safari".
const BROWSERS: &[(&str, &str)] = &[
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("EdgiOS/", "Edge"),
    ("Edge/", "Edge"),
    ("OPR/", "Opera"),
    ("Opera", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Vivaldi/", "Vivaldi"),
    ("YaBrowser/", "Yandex Browser"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
];

/// Operating systems, most specific first: iPhone says "like Mac OS X", Android says "Linux".
const SYSTEMS: &[(&str, &str)] = &[
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("iPod", "iPod"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Macintosh", "macOS"),
    ("Mac OS X", "macOS"),
    ("FreeBSD", "FreeBSD"),
    ("OpenBSD", "OpenBSD"),
    ("Linux", "Linux"),
    ("X11", "Linux"),
];

fn first_match(ua: &str, table: &[(&str, &'static str)]) -> Option<&'static str> {
    table
        .iter()
        .find(|(needle, _)| ua.contains(needle))
        .map(|(_, name)| *name)
}

/// RFC 9110 §10.1.5 `User-Agent` -> a short summary for people: "Firefox on Linux", "Safari on
/// iPhone", "Chrome on Windows", "curl", or "Unknown device".
pub fn summarize(ua: &str) -> String {
    let ua = ua.trim();
    if let Some(tool) = first_match(ua, TOOLS) {
        return tool.to_string();
    }
    match (first_match(ua, BROWSERS), first_match(ua, SYSTEMS)) {
        (Some(browser), Some(os)) => format!("{browser} on {os}"),
        (Some(browser), None) => browser.to_string(),
        (None, Some(os)) => os.to_string(),
        (None, None) => "Unknown device".to_string(),
    }
}

/// The device a token family is shown as: the name the client gave (`device_name`), else a summary
/// of the `User-Agent` it was born with, else "Unknown device".
pub fn label(device_name: Option<&str>, user_agent: Option<&str>) -> String {
    match device_name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => name.to_string(),
        None => summarize(user_agent.unwrap_or_default()),
    }
}

/// `then` relative to `now`: "just now", "3 minutes ago", "1 hour ago", "5 days ago"; after a
/// month, the UTC date and time.
pub fn ago(then: i64, now: i64) -> String {
    let secs = (now - then).max(0);
    use crate::i18n::{t, tn};
    match secs {
        0..60 => t("ago-now"),
        60..3600 => tn("ago-minutes", secs / 60),
        3600..86_400 => tn("ago-hours", secs / 3600),
        86_400..2_592_000 => tn("ago-days", secs / 86_400),
        _ => timefmt::minute_in(crate::i18n::current(), then),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn summarizes_desktop_browsers() {
        let firefox = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        assert_eq!(summarize(firefox), "Firefox on Linux");
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
                      Chrome/126.0.0.0 Safari/537.36";
        assert_eq!(summarize(chrome), "Chrome on Windows");
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
                    Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.68";
        assert_eq!(summarize(edge), "Edge on Windows");
        let safari = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) \
                      Version/17.5 Safari/605.1.15";
        assert_eq!(summarize(safari), "Safari on macOS");
        let opera = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 \
                     Safari/537.36 OPR/112.0.0.0";
        assert_eq!(summarize(opera), "Opera on Linux");
        let chromeos = "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) \
                        Chrome/126.0.0.0 Safari/537.36";
        assert_eq!(summarize(chromeos), "Chrome on ChromeOS");
    }

    #[test]
    fn summarizes_phones_and_tablets() {
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 \
                      (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
        assert_eq!(summarize(iphone), "Safari on iPhone");
        let chrome_ios = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 \
                          (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1";
        assert_eq!(summarize(chrome_ios), "Chrome on iPhone");
        let ipad = "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) \
                    FxiOS/127.0 Mobile/15E148 Safari/605.1.15";
        assert_eq!(summarize(ipad), "Firefox on iPad");
        let android = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) \
                       Chrome/126.0.6478.71 Mobile Safari/537.36";
        assert_eq!(summarize(android), "Chrome on Android");
        let samsung = "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) \
                       SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36";
        assert_eq!(summarize(samsung), "Samsung Internet on Android");
    }

    #[test]
    fn summarizes_tools_and_unknowns() {
        assert_eq!(summarize("curl/8.5.0"), "curl");
        assert_eq!(summarize("python-requests/2.32.3"), "Python");
        assert_eq!(summarize("PostmanRuntime/7.39.0"), "Postman");
        assert_eq!(summarize("okhttp/4.12.0"), "OkHttp");
        assert_eq!(summarize("MyApp/1.0 (iPhone; iOS 17.5)"), "iPhone");
        assert_eq!(summarize("SomeBot/1.0"), "Unknown device");
        assert_eq!(summarize(""), "Unknown device");
        assert_eq!(summarize("   "), "Unknown device");
    }

    #[test]
    fn label_prefers_the_device_name() {
        assert_eq!(label(Some("Work laptop"), Some("curl/8.5.0")), "Work laptop");
        assert_eq!(label(Some("  "), Some("curl/8.5.0")), "curl");
        assert_eq!(label(None, Some("curl/8.5.0")), "curl");
        assert_eq!(label(None, None), "Unknown device");
    }

    #[test]
    fn relative_times() {
        let now = 1_795_442_759;
        assert_eq!(ago(now, now), "just now");
        assert_eq!(ago(now + 30, now), "just now", "clock skew is not negative");
        assert_eq!(ago(now - 59, now), "just now");
        assert_eq!(ago(now - 60, now), "1 minute ago");
        assert_eq!(ago(now - 180, now), "3 minutes ago");
        assert_eq!(ago(now - 3600, now), "1 hour ago");
        assert_eq!(ago(now - 7 * 3600, now), "7 hours ago");
        assert_eq!(ago(now - 86_400, now), "1 day ago");
        assert_eq!(ago(now - 29 * 86_400, now), "29 days ago");
        assert_eq!(ago(now - 40 * 86_400, now), timefmt::minute(now - 40 * 86_400));
    }
}
