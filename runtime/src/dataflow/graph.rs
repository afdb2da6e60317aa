//! The dataflow a `#[pipeline]` declares, as a graph to print (`--print-graph mermaid|dot`):
//! its source, every operator its body applies, and its outputs. Operators add themselves
//! while the body is built in a describing run, which connects to nothing.

use std::fmt::Write;

/// What a node of the graph stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Source,
    Operator,
    Sink,
}

#[derive(Debug, Clone)]
struct Node {
    label: String,
    role: Role,
}

/// A pipeline's dataflow: its source is node 0, every other node has the nodes it reads.
#[derive(Debug, Clone)]
pub struct Graph {
    name: String,
    nodes: Vec<Node>,
    edges: Vec<(usize, usize)>,
}

impl Graph {
    /// A graph of pipeline `name` reading `source`.
    pub(crate) fn new(name: &str, source: String) -> Graph {
        Graph {
            name: name.to_owned(),
            nodes: vec![Node {
                label: source,
                role: Role::Source,
            }],
            edges: Vec::new(),
        }
    }

    /// Adds an operator reading node `from`; returns the new node.
    pub(crate) fn operator(&mut self, from: usize, label: String) -> usize {
        self.add(from, label, Role::Operator)
    }

    /// Adds an output reading node `from`.
    pub(crate) fn sink(&mut self, from: usize, label: String) {
        self.add(from, label, Role::Sink);
    }

    fn add(&mut self, from: usize, label: String, role: Role) -> usize {
        self.nodes.push(Node { label, role });
        let node = self.nodes.len() - 1;
        self.edges.push((from, node));
        node
    }

    /// The graph as a Mermaid flowchart (GitHub renders it in Markdown).
    pub fn mermaid(&self) -> String {
        let mut text = format!("---\ntitle: {}\n---\nflowchart LR\n", self.name);
        for (id, node) in self.nodes.iter().enumerate() {
            let label = node.label.replace('"', "#quot;");
            let _ = match node.role {
                Role::Source | Role::Sink => writeln!(text, "    n{id}[(\"{label}\")]"),
                Role::Operator => writeln!(text, "    n{id}[\"{label}\"]"),
            };
        }
        for (from, to) in &self.edges {
            let _ = writeln!(text, "    n{from} --> n{to}");
        }
        text
    }

    /// The graph in Graphviz's DOT language (`dot -Tsvg`).
    pub fn dot(&self) -> String {
        let mut text = format!(
            "digraph \"{}\" {{\n    rankdir=LR;\n",
            self.name.replace('"', "\\\"")
        );
        for (id, node) in self.nodes.iter().enumerate() {
            let label = node.label.replace('\\', "\\\\").replace('"', "\\\"");
            let shape = match node.role {
                Role::Source | Role::Sink => "cylinder",
                Role::Operator => "box",
            };
            let _ = writeln!(text, "    n{id} [label=\"{label}\", shape={shape}];");
        }
        for (from, to) in &self.edges {
            let _ = writeln!(text, "    n{from} -> n{to};");
        }
        text.push_str("}\n");
        text
    }
}

/// How `--print-graph` writes the graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    /// A Mermaid flowchart.
    Mermaid,
    /// Graphviz DOT.
    Dot,
}

impl Graph {
    /// The graph in `format`.
    pub fn render(&self, format: GraphFormat) -> String {
        match format {
            GraphFormat::Mermaid => self.mermaid(),
            GraphFormat::Dot => self.dot(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fork_renders_in_both_formats() {
        let mut graph = Graph::new("alerts", "Kafka topic `orders`".into());
        let filter = graph.operator(0, "filter".into());
        graph.sink(0, "MySQL table `orders`".into());
        graph.sink(filter, "print \"alerts\"".into());
        assert_eq!(
            graph.mermaid(),
            "---\ntitle: alerts\n---\nflowchart LR\n    n0[(\"Kafka topic `orders`\")]\n    \
             n1[\"filter\"]\n    n2[(\"MySQL table `orders`\")]\n    n3[(\"print #quot;alerts#quot;\")]\n    \
             n0 --> n1\n    n0 --> n2\n    n1 --> n3\n"
        );
        assert!(
            graph
                .dot()
                .contains("n3 [label=\"print \\\"alerts\\\"\", shape=cylinder];")
        );
        assert!(graph.dot().ends_with("    n1 -> n3;\n}\n"));
    }
}
