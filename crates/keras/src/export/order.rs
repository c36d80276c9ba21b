//! The order in which Keras 3 lists a Functional model's operations (`model.layers`,
//! input layers included), reproduced from `keras.src.ops.function.map_graph`.
//!
//! The order matters twice: `config.json` lists layers in it, and `model.weights.h5`
//! names each layer's group after its class with a counter *in this order*
//! (`layers/dense`, `layers/dense_1`). Keras recomputes the order from the graph when it
//! loads, so an exporter that wrote the groups in any other order would hand two Dense
//! layers of the same shape each other's weights without an error.
//!
//! Keras's algorithm: a depth-first walk from each output (in order) records each
//! operation's first-visit index and lists nodes inputs-first; walking that list
//! backwards gives every node a depth (0 at the outputs, parents at least one deeper,
//! an operation as deep as its deepest node); operations are then sorted by decreasing
//! depth, ties by first-visit index. Inputs that no output uses come last at depth 0.

use std::collections::HashMap;

/// A graph for ordering: operations (numbered from 0), and nodes (calls) with the operation
/// they call and the nodes whose outputs they read.
#[derive(Clone, Debug, Default)]
pub struct OrderGraph {
    /// For each node: its operation and its parent nodes in argument order (a merge's
    /// inputs left to right; an input layer's node has none).
    pub nodes: Vec<(usize, Vec<usize>)>,
    /// The nodes producing the model outputs, in output order.
    pub outputs: Vec<usize>,
    /// The input layers' nodes, in model input order.
    pub inputs: Vec<usize>,
}

/// Keras's operation order (operation numbers); operations the outputs do not
/// reach are left out, except unused inputs.
pub fn keras_operation_order(g: &OrderGraph) -> Vec<usize> {
    let mut finished = vec![false; g.nodes.len()];
    let mut op_index: HashMap<usize, i64> = HashMap::new();
    let mut decreasing_depth: Vec<usize> = Vec::new();
    for &out in &g.outputs {
        visit(g, out, &mut finished, &mut op_index, &mut decreasing_depth);
    }
    let mut node_depth: HashMap<usize, usize> = HashMap::new();
    // Python dict insertion order decides ties between unused inputs; keep it.
    let mut op_depth: Vec<(usize, usize)> = Vec::new();
    for &node in decreasing_depth.iter().rev() {
        let op = g.nodes[node].0;
        let mut depth = *node_depth.entry(node).or_insert(0);
        let pos = op_depth.iter().position(|(o, _)| *o == op);
        if let Some(p) = pos {
            depth = depth.max(op_depth[p].1);
            op_depth[p].1 = depth;
        } else {
            op_depth.push((op, depth));
        }
        node_depth.insert(node, depth);
        for &parent in &g.nodes[node].1 {
            let d = node_depth.entry(parent).or_insert(0);
            *d = (*d).max(depth + 1);
        }
    }
    for &input in &g.inputs {
        let op = g.nodes[input].0;
        if !op_depth.iter().any(|(o, _)| *o == op) {
            op_depth.push((op, 0));
            op_index.insert(op, -1);
        }
    }
    let mut depths: Vec<usize> = op_depth.iter().map(|(_, d)| *d).collect();
    depths.sort_unstable_by(|a, b| b.cmp(a));
    depths.dedup();
    let mut order = Vec::new();
    for d in depths {
        let mut at: Vec<usize> = op_depth.iter().filter(|(_, od)| *od == d).map(|(o, _)| *o).collect();
        // A stable sort, as Python's: equal indices keep insertion order.
        at.sort_by_key(|o| op_index.get(o).copied().unwrap_or(i64::MAX));
        order.extend(at);
    }
    order
}

/// `_build_map_helper`: depth-first from `node`, parents in argument order.
fn visit(g: &OrderGraph, node: usize, finished: &mut [bool], op_index: &mut HashMap<usize, i64>, out: &mut Vec<usize>) {
    // An explicit stack instead of recursion: a deep graph must not overflow ours.
    let mut stack: Vec<(usize, usize)> = vec![(node, 0)];
    if finished[node] {
        return;
    }
    note_op(g, node, op_index);
    while let Some((n, next)) = stack.pop() {
        let parents = &g.nodes[n].1;
        if next < parents.len() {
            stack.push((n, next + 1));
            let p = parents[next];
            if !finished[p] && !stack.iter().any(|(s, _)| *s == p) {
                note_op(g, p, op_index);
                stack.push((p, 0));
            }
        } else if !finished[n] {
            finished[n] = true;
            out.push(n);
        }
    }
}

fn note_op(g: &OrderGraph, node: usize, op_index: &mut HashMap<usize, i64>) {
    let op = g.nodes[node].0;
    let next = op_index.len() as i64;
    op_index.entry(op).or_insert(next);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ops: 0 = input a, 1 = input b, 2 = dense(b), 3 = inner(a, dense), 4 = dense(inner):
    /// the nested_functional_in_functional corpus model, where Keras lists input b first.
    #[test]
    fn second_input_comes_first_when_it_is_deeper() {
        let g = OrderGraph {
            nodes: vec![(0, vec![]), (1, vec![]), (2, vec![1]), (3, vec![0, 2]), (4, vec![3])],
            outputs: vec![4],
            inputs: vec![0, 1],
        };
        assert_eq!(keras_operation_order(&g), vec![1, 0, 2, 3, 4]);
    }

    /// A shared layer called at two depths takes the deeper one; an unused input goes last.
    #[test]
    fn shared_layer_takes_its_deepest_call_and_unused_inputs_go_last() {
        // ops: 0 = input x, 1 = shared dense, 2 = relu, 3 = unused input.
        // nodes: 0 = x, 1 = dense(x), 2 = relu(dense), 3 = dense(relu), 4 = input 3.
        let g = OrderGraph {
            nodes: vec![(0, vec![]), (1, vec![0]), (2, vec![1]), (1, vec![2]), (3, vec![])],
            outputs: vec![3],
            inputs: vec![0, 4],
        };
        assert_eq!(keras_operation_order(&g), vec![0, 1, 2, 3]);
    }

    /// Ties at one depth go by first visit, which follows the outputs' order.
    #[test]
    fn ties_follow_the_depth_first_visit_from_the_outputs() {
        // ops: 0 = x, 1 = a(x), 2 = b(x); outputs [b, a].
        let g =
            OrderGraph { nodes: vec![(0, vec![]), (1, vec![0]), (2, vec![0])], outputs: vec![2, 1], inputs: vec![0] };
        assert_eq!(keras_operation_order(&g), vec![0, 2, 1]);
    }
}
