//! A MariaDB server of the test's own, which the test may kill and start again.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct PrivateMariaDb {
    dir: PathBuf,
    port: u16,
    server: Option<Child>,
    /// Server options besides the ones every private server has.
    options: Vec<String>,
}

impl PrivateMariaDb {
    /// Initialises a data directory and starts `mariadbd` on a free port, with a `test`
    /// database and a passwordless root.
    pub fn start(test: &str) -> PrivateMariaDb {
        Self::start_with(test, &[])
    }

    /// Like [`PrivateMariaDb::start`], with more `mariadbd` options (e.g. `--sql-mode=`).
    pub fn start_with(test: &str, options: &[&str]) -> PrivateMariaDb {
        let dir =
            std::env::temp_dir().join(format!("sluice_mariadb_{test}_{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("data directory");
        install_data_directory(&dir.join("data"));
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut server = PrivateMariaDb {
            dir,
            port,
            server: None,
            options: options.iter().map(|o| (*o).to_owned()).collect(),
        };
        server.restart();
        super::execute(
            &server.url_of("mysql"),
            "CREATE DATABASE IF NOT EXISTS test",
        );
        server
    }

    fn url_of(&self, database: &str) -> String {
        format!("mysql://root@127.0.0.1:{}/{database}", self.port)
    }

    /// The URL of its `test` database.
    pub fn url(&self) -> String {
        self.url_of("test")
    }

    /// Kills the server with SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut server) = self.server.take() {
            let _ = server.kill();
            let _ = server.wait();
        }
    }

    /// Starts the server on the same data directory and port, and waits until it answers.
    pub fn restart(&mut self) {
        self.kill();
        let data = self.dir.join("data");
        let child = Command::new("/usr/sbin/mariadbd")
            .args([
                "--no-defaults",
                &format!("--datadir={}", data.display()),
                &format!("--port={}", self.port),
                "--bind-address=127.0.0.1",
                &format!("--socket={}", self.dir.join("mysqld.sock").display()),
                &format!("--pid-file={}", self.dir.join("mysqld.pid").display()),
                "--user=root",
                "--skip-log-bin",
                "--innodb-buffer-pool-size=64M",
            ])
            .args(&self.options)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start mariadbd");
        self.server = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        let address = format!("127.0.0.1:{}", self.port);
        while std::net::TcpStream::connect(&address).is_err() {
            assert!(
                Instant::now() < deadline,
                "mariadbd did not listen on {address}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for PrivateMariaDb {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs `mariadb-install-db` into `data`. It bootstraps a server of its own, which can fail on a
/// loaded machine: it is tried three times, and its output shown if it still fails.
fn install_data_directory(data: &std::path::Path) {
    let mut output = None;
    for _ in 0..3 {
        let _ = std::fs::remove_dir_all(data);
        let run = Command::new("mariadb-install-db")
            .args([
                "--no-defaults",
                &format!("--datadir={}", data.display()),
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--user=root",
            ])
            .stdin(Stdio::null())
            .output()
            .expect("mariadb-install-db (Debian package mariadb-server)");
        if run.status.success() {
            return;
        }
        output = Some(run);
        std::thread::sleep(Duration::from_millis(500));
    }
    let output = output.expect("a failed attempt");
    panic!(
        "mariadb-install-db failed three times ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
