//! Where the processes of a cluster run are: timely's own cluster mode, one address per
//! process, this process's place among them.

use std::path::Path;
use std::time::Duration;

use crate::error::{Error, Result};

/// One process of a run spread over several (timely's cluster mode). Every process runs the
/// same binary with the same options but `--process`; worker `w` of process `p` is worker
/// `p * workers + w` of the cluster, and Kafka partition `k` belongs to worker
/// `k % (processes * workers)`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Cluster {
    /// This process's index, from 0.
    pub process: usize,
    /// `host:port` of every process, in process order: each listens on its own and connects to
    /// the others'.
    pub addresses: Vec<String>,
    /// How long a process waits for every other to join before it gives up.
    pub join_timeout: Duration,
}

/// How long a process waits for the others by default: long enough for a restart by systemd
/// or Kubernetes, short enough that a cluster that cannot form says so.
pub const DEFAULT_JOIN_TIMEOUT: Duration = Duration::from_secs(120);

impl Cluster {
    /// Process `process` of the cluster at `addresses`.
    pub fn new(process: usize, addresses: Vec<String>) -> Result<Cluster> {
        let cluster = Cluster {
            process,
            addresses,
            join_timeout: DEFAULT_JOIN_TIMEOUT,
        };
        cluster.validate()?;
        Ok(cluster)
    }

    /// Process `process` of `processes`, the addresses being the first `processes` lines of the
    /// host file `path` (`host:port` each; blank lines and `#` comments are skipped).
    pub fn from_hostfile(process: usize, processes: usize, path: &Path) -> Result<Cluster> {
        let shown = path.display();
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Config(format!("--hostfile {shown}: {e}")))?;
        let mut addresses = Vec::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            if !is_host_and_port(line) {
                return Err(Error::Config(format!(
                    "--hostfile {shown}, line {}: `{line}` is not HOST:PORT",
                    number + 1
                )));
            }
            addresses.push(line.to_owned());
        }
        if addresses.len() < processes {
            return Err(Error::Config(format!(
                "--hostfile {shown} lists {} address(es) and --processes is {processes}: it \
                 needs one HOST:PORT line per process",
                addresses.len()
            )));
        }
        addresses.truncate(processes);
        Cluster::new(process, addresses)
    }

    /// How many processes the cluster has.
    pub fn processes(&self) -> usize {
        self.addresses.len()
    }

    pub(crate) fn validate(&self) -> Result<()> {
        let processes = self.processes();
        if processes < 2 {
            return Err(Error::Config(
                "a cluster has at least two processes (one process needs no --hostfile)".into(),
            ));
        }
        if self.process >= processes {
            return Err(Error::Config(format!(
                "--process {} is not one of the {processes} processes (0 to {})",
                self.process,
                processes - 1
            )));
        }
        if let Some(address) = self.addresses.iter().find(|a| !is_host_and_port(a)) {
            return Err(Error::Config(format!(
                "cluster address `{address}` is not HOST:PORT"
            )));
        }
        for (index, address) in self.addresses.iter().enumerate() {
            if self.addresses[..index].contains(address) {
                return Err(Error::Config(format!(
                    "cluster address `{address}` is listed twice: every process needs its own"
                )));
            }
        }
        Ok(())
    }
}

fn is_host_and_port(text: &str) -> bool {
    text.rsplit_once(':').is_some_and(|(host, port)| {
        !host.is_empty() && !host.contains(char::is_whitespace) && port.parse::<u16>().is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A host file holding `text`, removed when dropped.
    struct Hostfile(std::path::PathBuf);

    impl Hostfile {
        fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Hostfile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    fn hostfile(text: &str) -> Hostfile {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "sluice-hosts-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        std::fs::write(&path, text).expect("write the host file");
        Hostfile(path)
    }

    #[test]
    fn a_hostfile_gives_the_first_addresses_in_order() {
        let file = hostfile("# the cluster\nsluice-0:2101\n\nsluice-1:2101  # second\nspare:1\n");
        let cluster = Cluster::from_hostfile(1, 2, file.path()).expect("valid");
        assert_eq!(cluster.addresses, ["sluice-0:2101", "sluice-1:2101"]);
        assert_eq!(cluster.processes(), 2);
    }

    #[test]
    fn mistakes_name_the_file_and_what_to_do() {
        let file = hostfile("127.0.0.1:2101\n");
        let short = Cluster::from_hostfile(0, 2, file.path()).expect_err("one line for two");
        assert!(
            short.to_string().contains("one HOST:PORT line per process"),
            "{short}"
        );
        let bad = hostfile("127.0.0.1:2101\nlocalhost\n");
        let line = Cluster::from_hostfile(0, 2, bad.path()).expect_err("no port");
        assert!(
            line.to_string()
                .contains("line 2: `localhost` is not HOST:PORT"),
            "{line}"
        );
        let file = hostfile("a:1\nb:2\n");
        let outside = Cluster::from_hostfile(2, 2, file.path()).expect_err("process 2 of 2");
        assert!(outside.to_string().contains("0 to 1"), "{outside}");
        let twice = Cluster::new(0, vec!["a:1".into(), "a:1".into()]).expect_err("twice");
        assert!(twice.to_string().contains("listed twice"), "{twice}");
        let missing =
            Cluster::from_hostfile(0, 2, Path::new("/nonexistent/hosts")).expect_err("no file");
        assert!(
            missing.to_string().contains("/nonexistent/hosts"),
            "{missing}"
        );
    }
}
