//! What the records of a stream went through on their way, as far as delivery must know: it
//! travels with the stream from operator to operator, and the sink reads it.

use super::item::Watermarks;

/// The history of a stream that decides how its sink commits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Lineage {
    /// Records moved between workers (`key_by`): a worker's rows no longer come from its own
    /// source positions only, so positions are committed once every worker's sink has written.
    pub exchanged: bool,
    /// The window operators' watermarks in this stream come from every worker's window
    /// operator (an exchange followed the last window), not from this worker's only.
    pub window_marks_from_every_worker: bool,
    /// A window operator is upstream.
    pub windowed: bool,
    /// A `map_with_state` whose state is stored made these records on this worker: only the
    /// committing output of this worker may write them (see `map_with_state`).
    pub stateful: bool,
    /// Records a stored state led to moved between workers afterwards.
    pub state_moved: bool,
    /// Records may be deletes ([`Origin::change`](super::item::Origin)): the input is a
    /// change stream.
    pub deletes: bool,
    /// The node of the pipeline's graph that made the stream, in a describing run (the
    /// source is node 0).
    pub node: usize,
}

impl Lineage {
    /// What a sink of worker `index` keeps of the window watermarks it receives: its own
    /// worker's window operator's, or every worker's when an exchange followed the window.
    pub fn window_marks(self, index: usize, peers: usize) -> Watermarks {
        if self.window_marks_from_every_worker {
            Watermarks::new(peers)
        } else {
            Watermarks::only(index, peers)
        }
    }

    /// After an exchange: every worker's records, and every worker's watermarks, may arrive.
    pub fn exchanged(self) -> Self {
        Lineage {
            exchanged: true,
            window_marks_from_every_worker: true,
            state_moved: self.state_moved || self.stateful,
            ..self
        }
    }

    /// Out of a window operator: its own watermarks only.
    pub fn windowed(self) -> Self {
        Lineage {
            exchanged: true,
            window_marks_from_every_worker: false,
            windowed: true,
            ..self
        }
    }

    /// Out of a `map_with_state` whose state is stored.
    pub fn with_state(self) -> Self {
        Lineage {
            stateful: true,
            ..self
        }
    }
}
