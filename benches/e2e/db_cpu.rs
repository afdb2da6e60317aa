//! CPU time the database server spent during a run, when it runs on this machine: on a small
//! machine the client and MySQL share the cores, so a client that spends less leaves more.

/// The server's user + system CPU seconds so far, or `None` when no `mariadbd`/`mysqld`
/// process is visible in `/proc`.
pub fn seconds() -> Option<f64> {
    let entries = std::fs::read_dir("/proc").ok()?;
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(comm) = std::fs::read_to_string(path.join("comm")) else {
            continue;
        };
        if matches!(comm.trim(), "mariadbd" | "mysqld") {
            return cpu_seconds(&path);
        }
    }
    None
}

/// This process's user + system CPU seconds so far.
pub fn own_seconds() -> Option<f64> {
    cpu_seconds(std::path::Path::new("/proc/self"))
}

fn cpu_seconds(process: &std::path::Path) -> Option<f64> {
    let ticks_per_second = 100.0; // USER_HZ on Linux
    let stat = std::fs::read_to_string(process.join("stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let after_name = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / ticks_per_second)
}
