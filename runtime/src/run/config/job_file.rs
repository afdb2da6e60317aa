//! `--config job.toml`: the options of a run kept in a file, by their long names, with
//! librdkafka properties in a `[kafka]` table. A flag or an environment variable wins over the
//! file, which wins over the defaults.
//!
//! ```toml
//! brokers = "kafka-1:9092,kafka-2:9092"
//! epoch = "250ms"
//! until-end = true
//!
//! [kafka]
//! "security.protocol" = "SASL_SSL"
//! ```

use std::ffi::OsString;
use std::path::Path;

use clap::parser::ValueSource;
use clap::{ArgAction, ArgMatches, Command};
use toml::{Table, Value};

use crate::error::{Error, Result};

/// The table of librdkafka properties.
const KAFKA_TABLE: &str = "kafka";
/// Options a job file cannot set: the file itself, and clap's own.
const NOT_IN_A_FILE: [&str; 3] = ["config", "help", "version"];

/// A parsed job file. It may hold secrets: it has no `Debug`.
pub(crate) struct JobFile {
    path: String,
    options: Table,
    /// The `[kafka]` properties, by key.
    pub kafka: Vec<(String, String)>,
}

impl JobFile {
    pub fn read(path: &Path) -> Result<JobFile> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Config(format!("--config {shown}: {e}")))?;
        // toml's messages quote the offending line, which may hold a password: only its place.
        let mut options: Table = text.parse().map_err(|e: toml::de::Error| {
            let line = e
                .span()
                .and_then(|span| text.get(..span.start))
                .map(|before| before.matches('\n').count() + 1);
            Error::Config(match line {
                Some(line) => format!("--config {shown}: line {line} is not valid TOML"),
                None => format!("--config {shown}: not valid TOML"),
            })
        })?;
        let kafka = match options.remove(KAFKA_TABLE) {
            None => Vec::new(),
            Some(Value::Table(properties)) => {
                let mut flat = Vec::new();
                flatten(&shown, "", properties, &mut flat)?;
                flat
            }
            Some(_) => {
                return Err(Error::Config(format!(
                    "--config {shown}: `kafka` must be a table of librdkafka properties \
                     ([kafka] with \"key\" = \"value\" lines)"
                )));
            }
        };
        Ok(JobFile {
            path: shown,
            options,
            kafka,
        })
    }

    /// The command-line arguments that give `command` the file's options, leaving out those
    /// the command line or the environment already set (`matches`, a first parse).
    pub fn arguments(&self, command: &Command, matches: &ArgMatches) -> Result<Vec<OsString>> {
        let settable: Vec<&clap::Arg> = command
            .get_arguments()
            .filter(|arg| arg.get_long().is_some_and(|l| !NOT_IN_A_FILE.contains(&l)))
            .collect();
        let mut arguments = Vec::new();
        for (key, value) in &self.options {
            let wanted = key.replace('_', "-");
            let Some(arg) = settable.iter().find(|arg| arg.get_long() == Some(&wanted)) else {
                let longs = settable.iter().filter_map(|arg| arg.get_long());
                let hint = match sluice_schema::closest(&wanted, longs) {
                    Some(near) => format!(" (did you mean `{near}`?)"),
                    None => String::new(),
                };
                return Err(Error::Config(format!(
                    "--config {}: `{key}` is not an option{hint}; `--help` lists them, and \
                     librdkafka properties go in a [kafka] table",
                    self.path
                )));
            };
            if matches!(
                matches.value_source(arg.get_id().as_str()),
                Some(ValueSource::CommandLine | ValueSource::EnvVariable)
            ) {
                continue;
            }
            let long = format!("--{wanted}");
            match (arg.get_action(), value) {
                (ArgAction::SetTrue, Value::Boolean(true)) => arguments.push(long.into()),
                (ArgAction::SetTrue, Value::Boolean(false)) => {}
                (ArgAction::SetTrue, _) => {
                    return Err(Error::Config(format!(
                        "--config {}: `{key}` is a switch: write `{key} = true` or `false`",
                        self.path
                    )));
                }
                (_, Value::Array(items)) => {
                    for item in items {
                        let text = scalar(&self.path, key, item.clone())?;
                        arguments.push(format!("{long}={text}").into());
                    }
                }
                (_, value) => {
                    let text = scalar(&self.path, key, value.clone())?;
                    arguments.push(format!("{long}={text}").into());
                }
            }
        }
        Ok(arguments)
    }
}

/// The properties of `table` as `key=value` pairs: an unquoted dotted key
/// (`security.protocol = "SASL_SSL"`) is a nested table in TOML, and is the dotted key again
/// here.
fn flatten(path: &str, prefix: &str, table: Table, into: &mut Vec<(String, String)>) -> Result<()> {
    for (key, value) in table {
        let key = if prefix.is_empty() {
            key
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            Value::Table(nested) => flatten(path, &key, nested, into)?,
            value => {
                let text = scalar(path, &key, value)?;
                into.push((key, text));
            }
        }
    }
    Ok(())
}

/// A string, number or boolean as the text a flag takes.
fn scalar(path: &str, key: &str, value: Value) -> Result<String> {
    match value {
        Value::String(text) => Ok(text),
        Value::Integer(number) => Ok(number.to_string()),
        Value::Float(number) => Ok(number.to_string()),
        Value::Boolean(flag) => Ok(flag.to_string()),
        Value::Datetime(_) | Value::Array(_) | Value::Table(_) => Err(Error::Config(format!(
            "--config {path}: `{key}` must be a string, a number or true/false"
        ))),
    }
}
