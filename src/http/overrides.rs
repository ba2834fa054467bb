//! Page templates from `branding.dir/templates/` (docs/configuration.md, "Page templates";
//! docs/security.md O.6): Jinja files rendered at run time with minijinja in place of the built-in
//! askama pages of the same name. Every file is read and compiled once, at start-up, and checked:
//! a syntax error, an unknown file, a file that names no page and is used by none, or an
//! `extends`/`include`/`import` of a file that is not there refuses the start, naming the file
//! and line. Output is HTML-escaped and an undefined name is an error (strict), so a typo fails
//! loudly instead of showing an empty field.

use std::cell::Cell;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use minijinja::value::Value;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, context};

/// The pages whose built-in template (`templates/NAME.html`) an override `NAME.html` replaces.
/// `base.html` is not among them: built-in templates extend it with Rust expressions, so an
/// override brings its own layout (examples/branding/templates/layout.html).
pub const PAGES: &[&str] = &[
    "account",
    "consent",
    "denied",
    "dev_callback",
    "device",
    "device_confirm",
    "device_done",
    "error",
    "form_post",
    "logged_out",
    "login",
    "logout",
    "logout_stayed",
    "mfa_account",
    "mfa_challenge",
    "mfa_recovery",
    "mfa_totp",
    "password_forgot",
    "password_reset",
    "signup",
];

/// The largest template file read (a page is a few KiB).
const MAX_FILE_BYTES: u64 = 256 * 1024;

/// Why the overrides could not be loaded; the server does not start.
#[derive(Debug, thiserror::Error)]
pub enum OverrideError {
    #[error("branding.dir templates: cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("branding.dir templates: {file}: {why}")]
    File { file: String, why: String },
    #[error("branding.dir templates: {file} line {line}: {why}")]
    Line { file: String, line: usize, why: String },
}

/// The compiled overrides of one server (none when `branding.dir` has no `templates/`).
pub struct Overrides {
    env: Environment<'static>,
    /// The page names that have an override (`login`, ...).
    pages: BTreeSet<String>,
}

impl std::fmt::Debug for Overrides {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Overrides").field("pages", &self.pages).finish()
    }
}

impl Default for Overrides {
    fn default() -> Self {
        Overrides {
            env: environment(),
            pages: BTreeSet::new(),
        }
    }
}

impl Overrides {
    /// Reads and compiles `dir/templates/*.html` (`dir` is `branding.dir`); no such
    /// subdirectory: no overrides.
    pub fn load(dir: &Path) -> Result<Overrides, OverrideError> {
        let root = dir.join("templates");
        if !root.is_dir() {
            return Ok(Overrides::default());
        }
        let files = read_files(&root)?;
        check_references(&files)?;
        let mut env = environment();
        let mut pages = BTreeSet::new();
        for (file, source) in files {
            if let Some(page) = page_of(&file) {
                pages.insert(page.to_string());
            }
            env.add_template_owned(file.clone(), source)
                .map_err(|e| OverrideError::Line {
                    line: e.line().unwrap_or(1),
                    why: e
                        .detail()
                        .map_or_else(|| e.kind().to_string(), |d| format!("{}: {d}", e.kind())),
                    file,
                })?;
        }
        Ok(Overrides { env, pages })
    }

    /// The pages overridden, by name.
    pub fn pages(&self) -> impl Iterator<Item = &str> {
        self.pages.iter().map(String::as_str)
    }

    /// Renders the override of `page` with `ctx`; `None` when the page has none.
    pub fn render(&self, page: &str, ctx: Value) -> Option<Result<String, minijinja::Error>> {
        if !self.pages.contains(page) {
            return None;
        }
        Some(
            self.env
                .get_template(&format!("{page}.html"))
                .and_then(|t| t.render(ctx)),
        )
    }
}

/// The environment every override runs in: HTML autoescape, strict undefined, and the
/// translation functions of the built-in templates (`crate::i18n`), in the request's language.
fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.add_function("t", |id: &str| crate::i18n::t(id));
    env.add_function("t1", |id: &str, name: &str, value: Value| {
        crate::i18n::t1(id, name, value)
    });
    env.add_function(
        "t2",
        |id: &str, a: &str, a_value: Value, b: &str, b_value: Value| {
            crate::i18n::t2(id, a, a_value, b, b_value)
        },
    );
    env.add_function("tn", |id: &str, count: Value| crate::i18n::tn(id, count));
    env.add_function("around", |id: &str, name: &str| {
        around(crate::i18n::around(id, name))
    });
    env.add_function("around2", |id: &str, name: &str, other: &str, value: Value| {
        around(crate::i18n::around2(id, name, other, value))
    });
    env
}

fn around(a: crate::i18n::Around) -> Value {
    context! { pre => a.pre, post => a.post }
}

/// `login.html` -> `login`, when it names a page.
fn page_of(file: &str) -> Option<&'static str> {
    let stem = file.strip_suffix(".html")?;
    PAGES.iter().copied().find(|p| *p == stem)
}

/// A plain template file name: `[a-z0-9_-]+.html`.
fn is_plain_name(name: &str) -> bool {
    name.strip_suffix(".html").is_some_and(|stem| {
        !stem.is_empty()
            && stem
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    })
}

/// Every file of `root`, by name, in name order; anything but plain `.html` files is refused.
fn read_files(root: &Path) -> Result<Vec<(String, String)>, OverrideError> {
    let read_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| OverrideError::Read { path, source }
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(root).map_err(read_err(root))? {
        let entry = entry.map_err(read_err(root))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = entry.file_type().map_err(read_err(&path))?;
        let refuse = |why: &str| {
            Err(OverrideError::File {
                file: name.clone(),
                why: why.to_string(),
            })
        };
        if !kind.is_file() {
            return refuse("only regular files (no directories or symbolic links)");
        }
        if !is_plain_name(&name) {
            return refuse("not a template name (lower-case letters, digits, _ and -, ending in .html)");
        }
        if entry.metadata().map_err(read_err(&path))?.len() > MAX_FILE_BYTES {
            return refuse("larger than 256 KiB");
        }
        let bytes = std::fs::read(&path).map_err(read_err(&path))?;
        let Ok(source) = String::from_utf8(bytes) else {
            return refuse("not UTF-8");
        };
        files.push((name, source));
    }
    files.sort();
    Ok(files)
}

/// The files a template names in `extends`, `include`, `import` and `from` tags (quoted literal
/// names only), each with its line; `ignore missing` includes are left out.
fn references(source: &str) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    let mut rest = source;
    let mut offset = 0;
    while let Some(start) = rest.find("{%") {
        let Some(len) = rest[start..].find("%}") else {
            break;
        };
        let tag =
            rest[start + 2..start + len].trim_matches(|c: char| c == '-' || c == '+' || c.is_whitespace());
        let keyword = tag.split_whitespace().next().unwrap_or_default();
        if matches!(keyword, "extends" | "include" | "import" | "from") && !tag.contains("ignore missing") {
            let line = 1 + source[..offset + start].matches('\n').count();
            found.extend(quoted(tag).into_iter().map(|name| (name, line)));
        }
        offset += start + len + 2;
        rest = &rest[start + len + 2..];
    }
    found
}

/// The string literals (`"..."` or `'...'`) of a tag.
fn quoted(tag: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = tag.chars();
    while let Some(c) = chars.next() {
        if c == '"' || c == '\'' {
            out.push(chars.by_ref().take_while(|&d| d != c).collect());
        }
    }
    out
}

/// Every named file exists, and every file that names no page is used by another one.
fn check_references(files: &[(String, String)]) -> Result<(), OverrideError> {
    let names: BTreeSet<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    let mut used = BTreeSet::new();
    for (file, source) in files {
        for (name, line) in references(source) {
            if !names.contains(name.as_str()) {
                return Err(OverrideError::Line {
                    file: file.clone(),
                    line,
                    why: format!(
                        "{name:?} is not in the templates directory (an override can not extend the built-in base.html)"
                    ),
                });
            }
            if name != *file {
                used.insert(name);
            }
        }
    }
    match files
        .iter()
        .find(|(file, _)| page_of(file).is_none() && !used.contains(file))
    {
        Some((file, _)) => Err(OverrideError::File {
            file: file.clone(),
            why: format!(
                "names no page and no other template extends, includes or imports it (pages: {})",
                PAGES.join(", ")
            ),
        }),
        None => Ok(()),
    }
}

tokio::task_local! {
    static FAILED: Cell<bool>;
}

/// Runs `fut` (one request) with its own "an override failed" mark.
pub async fn scope<F: std::future::Future>(fut: F) -> F::Output {
    FAILED.scope(Cell::new(false), fut).await
}

/// Runs `f` with its own mark, synchronously (unit tests).
pub fn sync_scope<R>(f: impl FnOnce() -> R) -> R {
    FAILED.sync_scope(Cell::new(false), f)
}

/// Marks the request: an override failed, so its error page is the built-in one.
pub fn mark_failed() {
    let _ = FAILED.try_with(|f| f.set(true));
}

/// An override failed while serving this request.
pub fn failed() -> bool {
    FAILED.try_with(Cell::get).unwrap_or(false)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn dir_with(files: &[(&str, &str)]) -> crate::tempdir::TempDir {
        let dir = crate::tempdir::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("templates")).unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join("templates").join(name), text).unwrap();
        }
        dir
    }

    fn error_of(files: &[(&str, &str)]) -> String {
        Overrides::load(dir_with(files).path()).unwrap_err().to_string()
    }

    /// Every built-in page template (but base.html) has a name an override can take.
    #[test]
    fn every_built_in_page_can_be_overridden() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut built_in: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.unwrap().file_name().into_string().ok())
            .filter_map(|n| n.strip_suffix(".html").map(str::to_owned))
            .filter(|n| n != "base")
            .collect();
        built_in.sort();
        assert_eq!(built_in, PAGES);
    }

    /// docs/configuration.md, "Page templates", gives the context of every page.
    #[test]
    fn every_page_context_is_documented() {
        let docs = include_str!("../../docs/configuration.md");
        for page in PAGES {
            assert!(docs.contains(&format!("| `{page}.html` |")), "{page}.html");
        }
    }

    /// A syntax error refuses the start, naming the file and the line.
    #[test]
    fn syntax_error_names_file_and_line() {
        let err = error_of(&[("login.html", "<p>\n{{ t(\"login-title\") }}\n{% if %}\n")]);
        assert!(err.contains("login.html line 3"), "{err}");
        assert!(err.contains("syntax error"), "{err}");
    }

    /// A file that names no page is refused unless another override extends, includes or
    /// imports it; only plain `.html` names are read.
    #[test]
    fn unknown_files_are_refused_unless_used_by_another_override() {
        let err = error_of(&[("logn.html", "<p>typo</p>")]);
        assert!(err.contains("logn.html: names no page"), "{err}");
        assert!(
            Overrides::load(
                dir_with(&[
                    ("layout.html", "{% block content %}{% endblock %}"),
                    ("login.html", "{% extends \"layout.html\" %}"),
                ])
                .path()
            )
            .is_ok()
        );
        let err = error_of(&[("login.txt", "x")]);
        assert!(err.contains("login.txt: not a template name"), "{err}");
        let err = error_of(&[("Login.html", "x")]);
        assert!(err.contains("not a template name"), "{err}");
    }

    /// An `extends` of a file that is not in the directory (such as the built-in base.html)
    /// refuses the start at its line.
    #[test]
    fn missing_extended_file_is_refused_at_its_line() {
        let err = error_of(&[("consent.html", "\n\n{%- extends 'base.html' -%}")]);
        assert!(err.contains("consent.html line 3"), "{err}");
        assert!(
            err.contains("\"base.html\" is not in the templates directory"),
            "{err}"
        );
    }

    /// Undefined names fail (strict), and output is HTML-escaped.
    #[test]
    fn undefined_is_an_error_and_output_is_escaped() {
        let dir = dir_with(&[("error.html", "<h1>{{ title }}</h1>{{ titel }}")]);
        let o = Overrides::load(dir.path()).unwrap();
        assert!(o.render("error", context! { title => "x" }).unwrap().is_err());
        let dir = dir_with(&[("error.html", "<h1>{{ title }}</h1>")]);
        let o = Overrides::load(dir.path()).unwrap();
        let html = o
            .render("error", context! { title => "<script>" })
            .unwrap()
            .unwrap();
        assert_eq!(html, "<h1>&lt;script&gt;</h1>");
        assert!(o.render("login", context! {}).is_none(), "not overridden");
    }

    #[test]
    fn no_templates_directory_means_no_overrides() {
        let dir = crate::tempdir::tempdir().unwrap();
        assert_eq!(Overrides::load(dir.path()).unwrap().pages().count(), 0);
    }
}
