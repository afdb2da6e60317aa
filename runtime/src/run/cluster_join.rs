//! How the processes of a cluster find each other before timely takes their connections: each
//! listens on its own address and connects to every process before it (timely's layout), and a
//! handshake refuses a process that runs another job or another shape of cluster. A process
//! that does not join within the timeout is an error, never a wait without end.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use timely::WorkerConfig;
use timely::communication::allocator::zero_copy::initialize::initialize_networking_from_sockets;
use timely::communication::allocator::{AllocatorBuilder, ProcessBuilder};
use timely::communication::{Hooks, WorkerGuards};
use timely::worker::Worker;

use crate::error::{Error, Result};
use crate::run::cluster_failure::quiet_lost_connection_panics;
use crate::run::config::Cluster;

/// What the connecting side of a handshake sends first.
const MAGIC: &[u8; 8] = b"sluice/1";
/// How long one side waits for the other's part of a handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How often a waiting process says whom it waits for.
const WAITING_NOTICE: Duration = Duration::from_secs(10);
/// How long one attempt to connect to a process may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// The pause between two attempts to reach a process that is not listening yet.
const RETRY: Duration = Duration::from_millis(200);
/// The longest identity or refusal text a handshake accepts.
const MAX_TEXT: u32 = 4_096;

/// What every process of one cluster has in common: a process with another identity is
/// refused.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Identity(String);

impl Identity {
    /// `job` names what runs and how (its pipeline, input, and the options every process must
    /// share); the shape of the cluster is added.
    pub fn new(job: &str, processes: usize, workers: usize) -> Identity {
        Identity(format!(
            "{job} as {processes} processes of {workers} worker(s)"
        ))
    }
}

/// This process's connections to the others of `cluster` (none for a process alone), for
/// [`execute`]: `job` and `workers` are what every process must share.
pub(crate) fn connect(
    cluster: Option<&Cluster>,
    job: &str,
    workers: usize,
    stop: &AtomicBool,
) -> Result<Option<(usize, Vec<Option<TcpStream>>)>> {
    let Some(cluster) = cluster else {
        return Ok(None);
    };
    cluster.validate()?;
    quiet_lost_connection_panics();
    let identity = Identity::new(job, cluster.processes(), workers);
    Ok(Some((cluster.process, join(cluster, &identity, stop)?)))
}

/// The connections of process `cluster.process` to every other (`None` in its own place),
/// handshakes done, ready for timely. A signal (`stop`) ends the wait.
fn join(
    cluster: &Cluster,
    identity: &Identity,
    stop: &AtomicBool,
) -> Result<Vec<Option<TcpStream>>> {
    let me = cluster.process;
    let deadline = Instant::now() + cluster.join_timeout;
    // On every interface: a host name in the file (a pod's DNS name) may not resolve to this
    // machine's address until the process is up.
    let port = cluster.addresses[me]
        .rsplit_once(':')
        .map_or("", |(_, port)| port);
    let listener = TcpListener::bind(format!("0.0.0.0:{port}")).map_err(|e| {
        Error::Cluster(format!(
            "process {me} cannot listen on port {port} (its line of the host file, {}): {e}",
            cluster.addresses[me]
        ))
    })?;
    let mut sockets: Vec<Option<TcpStream>> = (0..cluster.processes()).map(|_| None).collect();
    let mut notice = Waiting::new(cluster, stop);
    for (process, address) in cluster.addresses.iter().enumerate().take(me) {
        sockets[process] = Some(connect_to(
            me,
            (process, address),
            identity,
            deadline,
            &mut notice,
        )?);
    }
    listener
        .set_nonblocking(true)
        .map_err(|e| Error::Cluster(format!("listening on {}: {e}", cluster.addresses[me])))?;
    while sockets.iter().skip(me + 1).any(Option::is_none) {
        match listener.accept() {
            Ok((stream, peer)) => {
                if let Some((process, stream)) = accept(me, stream, identity, cluster)? {
                    sockets[process] = Some(stream);
                } else {
                    tracing::debug!(%peer, "a connection that is not a sluice process, closed");
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                let missing: Vec<usize> = (me + 1..cluster.processes())
                    .filter(|p| sockets[*p].is_none())
                    .collect();
                notice.waiting_for(&missing, deadline)?;
                std::thread::sleep(RETRY);
            }
            Err(e) => {
                return Err(Error::Cluster(format!(
                    "accepting on {}: {e}",
                    cluster.addresses[me]
                )));
            }
        }
    }
    tracing::info!(
        process = me,
        processes = cluster.processes(),
        "joined the cluster"
    );
    Ok(sockets)
}

/// Connects to `process`, which listens at `address`, retrying until `deadline`.
fn connect_to(
    me: usize,
    (process, address): (usize, &str),
    identity: &Identity,
    deadline: Instant,
    notice: &mut Waiting<'_>,
) -> Result<TcpStream> {
    loop {
        notice.waiting_for(&[process], deadline)?;
        // Every address the name resolves to: `localhost` may give `::1` first.
        let reached = address.to_socket_addrs().ok().and_then(|mut addresses| {
            addresses.find_map(|socket| TcpStream::connect_timeout(&socket, CONNECT_TIMEOUT).ok())
        });
        let Some(mut stream) = reached else {
            std::thread::sleep(RETRY);
            continue;
        };
        let answer = offer(&mut stream, me, identity).map_err(|e| {
            Error::Cluster(format!(
                "the handshake with process {process} at {address}: {e}"
            ))
        })?;
        return match answer {
            None => {
                stream.set_read_timeout(None).ok();
                stream.set_nodelay(true).ok();
                Ok(stream)
            }
            Some(refusal) => Err(Error::Cluster(format!(
                "process {process} at {address} refused this process: {refusal}"
            ))),
        };
    }
}

/// The connecting side of a handshake: magic, index, identity; the answer is `None` when
/// accepted, else the refusal.
fn offer(stream: &mut TcpStream, me: usize, identity: &Identity) -> io::Result<Option<String>> {
    stream.set_read_timeout(Some(HANDSHAKE_TIMEOUT))?;
    stream.write_all(MAGIC)?;
    stream.write_all(&(me as u64).to_be_bytes())?;
    write_text(stream, &identity.0)?;
    stream.flush()?;
    let mut verdict = [0u8; 1];
    stream.read_exact(&mut verdict)?;
    match verdict[0] {
        0 => Ok(None),
        _ => read_text(stream).map(Some),
    }
}

/// The accepting side: which process connected, or `None` for a connection that is not a
/// sluice process. A process of another identity is refused, and is this process's error too.
fn accept(
    me: usize,
    mut stream: TcpStream,
    identity: &Identity,
    cluster: &Cluster,
) -> Result<Option<(usize, TcpStream)>> {
    let handshake = |stream: &mut TcpStream| -> io::Result<Option<(usize, String)>> {
        stream.set_nonblocking(false)?;
        stream.set_read_timeout(Some(HANDSHAKE_TIMEOUT))?;
        let mut magic = [0u8; 8];
        stream.read_exact(&mut magic)?;
        if &magic != MAGIC {
            return Ok(None);
        }
        let mut index = [0u8; 8];
        stream.read_exact(&mut index)?;
        let index = usize::try_from(u64::from_be_bytes(index)).unwrap_or(usize::MAX);
        Ok(Some((index, read_text(stream)?)))
    };
    let Ok(Some((process, theirs))) = handshake(&mut stream) else {
        return Ok(None);
    };
    let refusal = if process <= me || process >= cluster.processes() {
        Some(format!(
            "it says it is process {process}, and process {me} waits for processes {} to {}",
            me + 1,
            cluster.processes() - 1
        ))
    } else if theirs != identity.0 {
        Some(format!(
            "it runs {theirs}, and process {me} runs {}: every process of a cluster runs the \
             same job with the same options (--processes, --workers, --from, --epoch, \
             --until-end)",
            identity.0
        ))
    } else {
        None
    };
    let reply = match &refusal {
        None => stream.write_all(&[0]),
        Some(why) => stream
            .write_all(&[1])
            .and_then(|()| write_text(&mut stream, why)),
    };
    match refusal {
        Some(why) => Err(Error::Cluster(format!("refused a process: {why}"))),
        None => {
            reply.map_err(|e| Error::Cluster(format!("answering process {process}: {e}")))?;
            stream.set_read_timeout(None).ok();
            stream.set_nodelay(true).ok();
            Ok(Some((process, stream)))
        }
    }
}

fn write_text(stream: &mut TcpStream, text: &str) -> io::Result<()> {
    let bytes = &text.as_bytes()[..text.len().min(MAX_TEXT as usize)];
    stream.write_all(&(bytes.len() as u32).to_be_bytes())?;
    stream.write_all(bytes)
}

fn read_text(stream: &mut TcpStream) -> io::Result<String> {
    let mut length = [0u8; 4];
    stream.read_exact(&mut length)?;
    let length = u32::from_be_bytes(length);
    if length > MAX_TEXT {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "a handshake text too long",
        ));
    }
    let mut text = vec![0u8; length as usize];
    stream.read_exact(&mut text)?;
    Ok(String::from_utf8_lossy(&text).into_owned())
}

/// Says, now and then, which processes this one still waits for; an error past the deadline
/// or after a signal.
struct Waiting<'a> {
    stop: &'a AtomicBool,
    started: Instant,
    said: Instant,
    me: usize,
    addresses: Vec<String>,
    timeout: Duration,
}

impl<'a> Waiting<'a> {
    fn new(cluster: &Cluster, stop: &'a AtomicBool) -> Waiting<'a> {
        let now = Instant::now();
        Waiting {
            stop,
            started: now,
            said: now,
            me: cluster.process,
            addresses: cluster.addresses.clone(),
            timeout: cluster.join_timeout,
        }
    }

    fn waiting_for(&mut self, processes: &[usize], deadline: Instant) -> Result<()> {
        let listed = || {
            processes
                .iter()
                .map(|p| format!("{p} ({})", self.addresses[*p]))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if self.stop.load(Ordering::Relaxed) {
            return Err(Error::Cluster(format!(
                "stopped by a signal while waiting for process(es) {} to join",
                listed()
            )));
        }
        if Instant::now() >= deadline {
            return Err(Error::Cluster(format!(
                "process {} waited {:?} (--cluster-join-timeout) for process(es) {} to join; \
                 start every process of the cluster, with the same host file",
                self.me,
                self.timeout,
                listed()
            )));
        }
        if self.said.elapsed() >= WAITING_NOTICE {
            self.said = Instant::now();
            tracing::info!(
                waited_s = self.started.elapsed().as_secs(),
                "waiting for process(es) {} to join the cluster",
                listed()
            );
        }
        Ok(())
    }
}

/// Starts `threads` workers running `func`: timely's own threads, or, in a cluster, workers
/// of every process, over the connections [`connect`] made.
pub(crate) fn execute<F>(
    threads: usize,
    cluster: Option<(usize, Vec<Option<TcpStream>>)>,
    func: F,
) -> crate::error::Result<WorkerGuards<()>>
where
    F: Fn(&mut Worker) + Send + Sync + 'static,
{
    let Some((process, sockets)) = cluster else {
        return timely::execute(timely::Config::process(threads), func).map_err(Error::Worker);
    };
    let hooks = Hooks::default();
    let local =
        ProcessBuilder::new_typed_vector(threads, hooks.refill.clone(), hooks.spill.clone());
    let (builders, connections) =
        initialize_networking_from_sockets(local, sockets, process, threads, hooks)
            .map_err(|e| Error::Cluster(format!("starting the cluster's connections: {e}")))?;
    let builders = builders.into_iter().map(AllocatorBuilder::Tcp).collect();
    timely::execute::execute_from(
        builders,
        Box::new(connections),
        WorkerConfig::default(),
        func,
    )
    .map_err(Error::Worker)
}
