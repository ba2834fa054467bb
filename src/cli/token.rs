//! `portcullis token inspect` (docs/operations.md, "Token debugging"): decodes a JWT Portcullis
//! issued (access, ID or logout token), verifies its signature against the issuer's published
//! JWKS, checks `exp`, `nbf`, `iss`, `aud` and `typ`, prints the header, the claims and their
//! times for people, and says plainly why a token is not valid (exit status 1).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clap::Subcommand;
use serde_json::{Map, Value, json};

use crate::cli::{CliError, output};
use crate::clock::Clock;
use crate::config::Settings;
use crate::keys::published;
use crate::oauth::client_assertion::parse_jwks;

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Decode and check a JWT: signature (the issuer's JWKS), exp, nbf, iss, aud, typ.
    Inspect {
        /// The token; `-` reads it from standard input.
        token: String,
        /// The issuer whose JWKS verifies it [default: this configuration's issuer].
        #[arg(long)]
        issuer: Option<String>,
        /// The audience the token must name (e.g. an API's identifier).
        #[arg(long)]
        audience: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(settings: Settings, cmd: TokenCommand) -> Result<(), CliError> {
    let TokenCommand::Inspect {
        token,
        issuer,
        audience,
        json,
    } = cmd;
    let token = if token == "-" {
        output::strip_newline(std::io::read_to_string(std::io::stdin())?)
    } else {
        token
    };
    let issuer = issuer
        .unwrap_or(settings.issuer)
        .trim_end_matches('/')
        .to_string();
    let decoded = decode(token.trim())?;
    let jwks = fetch_jwks(&issuer).await;
    let now = Clock::system().now();
    let report = check(&decoded, token.trim(), jwks, &issuer, audience.as_deref(), now);
    if json {
        output::json(&json!({
            "valid": report.problems.is_empty(),
            "problems": report.problems,
            "kind": report.kind,
            "header": decoded.header,
            "claims": decoded.claims,
        }))?;
    } else {
        output::line(&render(&decoded, &report, now))?;
    }
    if report.problems.is_empty() {
        Ok(())
    } else {
        Err(CliError::Invalid(format!(
            "the token is not valid: {}",
            report.problems.join("; ")
        )))
    }
}

/// A compact JWS taken apart, unverified.
pub struct Decoded {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
}

fn part(text: &str, what: &str) -> Result<Map<String, Value>, CliError> {
    let raw = URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| CliError::Invalid(format!("not a JWT: its {what} is not base64url")))?;
    serde_json::from_slice(&raw)
        .map_err(|_| CliError::Invalid(format!("not a JWT: its {what} is not a JSON object")))
}

/// RFC 7515 §7.1: three base64url parts; the header and claims are JSON objects.
pub fn decode(token: &str) -> Result<Decoded, CliError> {
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(CliError::Invalid(format!(
            "not a JWT: {} part(s) where a signed JWT has 3 (an opaque refresh token cannot be inspected)",
            parts.len()
        )));
    }
    Ok(Decoded {
        header: part(parts[0], "header")?,
        claims: part(parts[1], "payload")?,
    })
}

/// The issuer's JWKS, found through its discovery document (`jwks_uri`), or why not.
async fn fetch_jwks(issuer: &str) -> Result<String, String> {
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let get = |url: String| {
        let http = http.clone();
        async move {
            let res = http.get(&url).send().await.map_err(|e| format!("{url}: {e}"))?;
            if !res.status().is_success() {
                return Err(format!("{url}: HTTP {}", res.status()));
            }
            res.text().await.map_err(|e| format!("{url}: {e}"))
        }
    };
    let discovery = get(format!("{issuer}/.well-known/openid-configuration")).await?;
    let doc: Value =
        serde_json::from_str(&discovery).map_err(|_| "the discovery document is not JSON".to_string())?;
    let jwks_uri = doc
        .get("jwks_uri")
        .and_then(Value::as_str)
        .ok_or("the discovery document has no jwks_uri")?;
    get(jwks_uri.to_string()).await
}

/// What the checks found.
pub struct Report {
    /// Why the token is not valid; empty: valid.
    pub problems: Vec<String>,
    /// What the token is, by its `typ` (RFC 9068 §2.1, OpenID Back-Channel Logout §2.4).
    pub kind: &'static str,
    /// How the signature was checked, when it was.
    pub signature: String,
}

/// Checks `decoded` (the token `token`) against the issuer's `jwks` at `now`.
pub fn check(
    decoded: &Decoded,
    token: &str,
    jwks: Result<String, String>,
    issuer: &str,
    audience: Option<&str>,
    now: i64,
) -> Report {
    let mut problems = Vec::new();
    let text = |m: &Map<String, Value>, name: &str| m.get(name).and_then(Value::as_str).map(str::to_string);
    let typ = text(&decoded.header, "typ").unwrap_or_default();
    let kind = match typ.to_ascii_lowercase().as_str() {
        "at+jwt" | "application/at+jwt" => "access token (RFC 9068)",
        "logout+jwt" => "logout token (OpenID Back-Channel Logout)",
        "jwt" | "" if decoded.claims.contains_key("nonce") || decoded.claims.contains_key("auth_time") => {
            "ID token (OpenID Connect)"
        }
        "jwt" | "" => "JWT (no typ of an access token: an ID token, or not one of Portcullis's tokens)",
        _ => "JWT of an unknown typ",
    };
    let signature = match verify(decoded, token, jwks) {
        Ok(how) => how,
        Err(why) => {
            problems.push(format!("signature: {why}"));
            "not verified".into()
        }
    };
    match decoded.claims.get("exp").and_then(Value::as_i64) {
        Some(exp) if exp <= now => problems.push(format!(
            "expired {} ({})",
            relative(exp - now),
            crate::timefmt::second(exp)
        )),
        Some(_) => {}
        None => problems.push("no exp: Portcullis's tokens always expire".into()),
    }
    if let Some(nbf) = decoded.claims.get("nbf").and_then(Value::as_i64) {
        if nbf > now {
            problems.push(format!(
                "not valid yet: valid {} ({})",
                relative(nbf - now),
                crate::timefmt::second(nbf)
            ));
        }
    }
    match text(&decoded.claims, "iss") {
        Some(iss) if iss == issuer => {}
        Some(iss) => problems.push(format!("issued by {iss}, not by {issuer}")),
        None => problems.push("no iss".into()),
    }
    if let Some(want) = audience {
        let names = match decoded.claims.get("aud") {
            Some(Value::String(a)) => a == want,
            Some(Value::Array(all)) => all.iter().any(|a| a.as_str() == Some(want)),
            _ => false,
        };
        if !names {
            problems.push(format!("its aud does not name {want}"));
        }
    }
    Report {
        problems,
        kind,
        signature,
    }
}

/// RFC 7515 §5.2 with the issuer's key named by `kid`.
fn verify(decoded: &Decoded, token: &str, jwks: Result<String, String>) -> Result<String, String> {
    let jwks = jwks.map_err(|e| format!("the issuer's JWKS could not be fetched ({e})"))?;
    let keys = parse_jwks(&jwks).map_err(|e| format!("the issuer's JWKS is not valid ({e})"))?;
    let alg = decoded
        .header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or("none");
    if !published::ALGS.contains(&alg) {
        return Err(format!("alg {alg} is not one Portcullis signs with"));
    }
    let kid = decoded.header.get("kid").and_then(Value::as_str);
    let jwk = published::select(&keys, alg, kid).map_err(|e| match e {
        published::KeyChoice::NotFound => format!(
            "the issuer publishes no {alg} key {} (another issuer's token, or a key retired long ago)",
            kid.map(|k| format!("with kid {k}")).unwrap_or_default()
        ),
        published::KeyChoice::NeedsKid => "the header names no kid and the issuer has several keys".into(),
        published::KeyChoice::NotAJwk(e) => format!("the issuer's key is not usable ({e})"),
    })?;
    let verifier =
        published::verifier(alg, &jwk).map_err(|e| format!("the issuer's key does not suit {alg} ({e})"))?;
    josekit::jws::deserialize_compact(token, verifier.as_ref())
        .map_err(|_| "does not verify: the token was changed, or signed by someone else".to_string())?;
    Ok(format!("valid ({alg}, key {})", kid.unwrap_or("without kid")))
}

/// "in 5 minutes", "3 hours ago".
fn relative(delta: i64) -> String {
    let n = delta.unsigned_abs();
    let (value, unit) = match n {
        0..=119 => (n, "second"),
        120..=7199 => (n / 60, "minute"),
        7200..=172_799 => (n / 3600, "hour"),
        _ => (n / 86_400, "day"),
    };
    let plural = if value == 1 { "" } else { "s" };
    if delta >= 0 {
        format!("in {value} {unit}{plural}")
    } else {
        format!("{value} {unit}{plural} ago")
    }
}

fn render(decoded: &Decoded, report: &Report, now: i64) -> String {
    let mut out = String::new();
    out.push_str(&format!("Kind:      {}\n", report.kind));
    out.push_str(&format!("Signature: {}\n", report.signature));
    for name in ["iat", "nbf", "auth_time", "exp"] {
        if let Some(t) = decoded.claims.get(name).and_then(Value::as_i64) {
            out.push_str(&format!(
                "{:<10} {} ({})\n",
                format!("{name}:"),
                crate::timefmt::second(t),
                relative(t - now)
            ));
        }
    }
    out.push_str("Header:\n");
    out.push_str(&serde_json::to_string_pretty(&decoded.header).unwrap_or_default());
    out.push_str("\nClaims:\n");
    out.push_str(&serde_json::to_string_pretty(&decoded.claims).unwrap_or_default());
    out.push('\n');
    if report.problems.is_empty() {
        out.push_str("Valid.");
    } else {
        out.push_str("NOT VALID:");
        for p in &report.problems {
            out.push_str(&format!("\n  - {p}"));
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn times_are_said_for_people() {
        assert_eq!(relative(300), "in 5 minutes");
        assert_eq!(relative(-1), "1 second ago");
        assert_eq!(relative(-7200), "2 hours ago");
        assert_eq!(relative(3 * 86_400), "in 3 days");
    }

    #[test]
    fn what_is_not_a_jwt_is_said_plainly() {
        let e = decode("abc").err().unwrap().to_string();
        assert!(e.contains("not a JWT"), "{e}");
        let e = decode("e30.bm90IGpzb24.x").err().unwrap().to_string();
        assert!(e.contains("payload is not a JSON object"), "{e}");
    }

    #[test]
    fn expiry_issuer_audience_and_a_missing_jwks_are_each_named() {
        let decoded = Decoded {
            header: serde_json::from_str(r#"{"alg":"RS256","typ":"at+jwt","kid":"k"}"#).unwrap(),
            claims: serde_json::from_str(r#"{"iss":"https://a.example","aud":"x","exp":100}"#).unwrap(),
        };
        let r = check(
            &decoded,
            "a.b.c",
            Err("down".into()),
            "https://b.example",
            Some("y"),
            200,
        );
        assert_eq!(r.kind, "access token (RFC 9068)");
        let all = r.problems.join("\n");
        assert!(all.contains("could not be fetched (down)"), "{all}");
        assert!(all.contains("expired 100 seconds ago"), "{all}");
        assert!(
            all.contains("issued by https://a.example, not by https://b.example"),
            "{all}"
        );
        assert!(all.contains("its aud does not name y"), "{all}");
    }
}
