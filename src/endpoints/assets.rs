//! `GET /static/{path}`: the stylesheet, logo and scripts, compiled into the binary so the server
//! needs no files beside it; with `branding.dir`, a file there of the same name replaces a
//! built-in one and other files are served too (docs/security.md O.6): only plain relative paths
//! of known image, font, style and script types, never outside the directory.

use std::path::{Path, PathBuf};

use actix_web::HttpResponse;
use actix_web::http::header;
use actix_web::web::{self, Data};

use crate::http::branding::Brand;

const CSS: &str = include_str!("../../static/css/portcullis.css");
const LOGO: &str = include_str!("../../static/img/logo.svg");
const FORM_POST_JS: &str = include_str!("../../static/js/form_post.js");
const PASSKEY_JS: &str = include_str!("../../static/js/passkey.js");
const PASSWORD_JS: &str = include_str!("../../static/js/password.js");

/// Files larger than this in `branding.dir` are not served.
const MAX_FILE: u64 = 2 * 1024 * 1024;

pub async fn asset(path: web::Path<String>, brand: Option<Data<Brand>>) -> HttpResponse {
    let path = path.into_inner();
    let brand = brand.map(Data::into_inner).unwrap_or_default();
    if path == "brand.css" && brand.has_colours() {
        return ok("text/css; charset=utf-8", brand.colours_css().into_bytes());
    }
    if let Some(dir) = &brand.settings.dir {
        if let Some(file) = local_file(dir, &path) {
            if let Some(body) = read(file).await {
                return ok(mime(&path).unwrap_or("application/octet-stream"), body);
            }
        }
    }
    let (body, mime) = match path.as_str() {
        "css/portcullis.css" => (CSS, "text/css; charset=utf-8"),
        "img/logo.svg" => (LOGO, "image/svg+xml"),
        "js/form_post.js" => (FORM_POST_JS, "text/javascript; charset=utf-8"),
        "js/passkey.js" => (PASSKEY_JS, "text/javascript; charset=utf-8"),
        "js/password.js" => (PASSWORD_JS, "text/javascript; charset=utf-8"),
        _ => return HttpResponse::NotFound().finish(),
    };
    ok(mime, body.as_bytes().to_vec())
}

fn ok(mime: &str, body: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(mime.to_string())
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}

/// The file `path` names under `dir`, when `path` is plain: segments of letters, digits, `-`, `_`
/// and `.`, none starting with a dot (so no `..`, no hidden files), at most four deep, of a
/// served type ([`mime`]).
fn local_file(dir: &Path, path: &str) -> Option<PathBuf> {
    let segments: Vec<&str> = path.split('/').collect();
    let plain = |s: &&str| {
        !s.is_empty()
            && !s.starts_with('.')
            && s.len() <= 100
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    if segments.len() > 4 || !segments.iter().all(plain) || mime(path).is_none() {
        return None;
    }
    Some(segments.iter().fold(dir.to_path_buf(), |p, s| p.join(s)))
}

/// Reads `file` on the blocking pool; `None` when it is missing, not a regular file, too large,
/// or (through a link) outside the directory it was looked up in.
async fn read(file: PathBuf) -> Option<Vec<u8>> {
    web::block(move || {
        let meta = std::fs::symlink_metadata(&file).ok()?;
        if !meta.is_file() || meta.len() > MAX_FILE {
            return None;
        }
        std::fs::read(&file).ok()
    })
    .await
    .ok()
    .flatten()
}

/// The types served from `branding.dir`, by extension.
fn mime(path: &str) -> Option<&'static str> {
    let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An unclosed block swallows every rule after it (the upstream buttons, the user code and the
    /// consent page's "Not you?" went unstyled that way): each `{` of the stylesheet is closed, and
    /// no `}` closes what was never opened.
    #[test]
    fn stylesheet_blocks_are_balanced() {
        let mut depth = 0i32;
        for (n, line) in CSS.lines().enumerate() {
            depth += line.matches('{').count() as i32 - line.matches('}').count() as i32;
            assert!(depth >= 0, "line {}: a '}}' closes nothing", n + 1);
            let top_level_rule = line.starts_with(|c: char| c == '.' || c == '@' || c.is_ascii_alphabetic());
            if top_level_rule && line.ends_with('{') {
                assert_eq!(
                    depth,
                    1,
                    "line {}: {line:?} starts inside an unclosed block",
                    n + 1
                );
            }
        }
        assert_eq!(depth, 0, "the stylesheet ends inside a block");
    }

    #[test]
    fn only_plain_paths_of_served_types_are_looked_up() {
        let dir = Path::new("/srv/brand");
        assert_eq!(
            local_file(dir, "img/logo.svg"),
            Some(PathBuf::from("/srv/brand/img/logo.svg"))
        );
        for bad in [
            "../etc/passwd.css",
            "img/../../x.css",
            ".hidden.css",
            "img/.x.png",
            "/etc/x.css",
            "img//x.png",
            "img\\..\\x.png",
            "notes.txt",
            "x.html",
            "a/b/c/d/e.css",
            "img/%2e%2e/x.png",
        ] {
            assert_eq!(local_file(dir, bad), None, "{bad}");
        }
    }
}
