//! Temporary directories for the tests, unit and integration (`tests/api` includes this file),
//! removed with everything in them when dropped. Here rather than from the `tempfile` crate so
//! that the test build needs no dependency the server's release build lacks (bench/README.md,
//! "Build time").

use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

/// A directory of the current user only (mode 0700) under the system's temporary directory.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A new, empty directory with a random name; a name already taken is never reused.
pub fn tempdir() -> io::Result<TempDir> {
    let base = std::env::temp_dir();
    let mut builder = std::fs::DirBuilder::new();
    builder.mode(0o700);
    loop {
        let path = base.join(format!("portcullis-test-{:032x}", rand::random::<u128>()));
        match builder.create(&path) {
            Ok(()) => return Ok(TempDir { path }),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}
