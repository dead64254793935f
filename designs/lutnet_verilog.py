"""Generator of the unrolled LUTNet: the trained network as a Verilog circuit (a build output, never committed).

`write_unrolled_top(model, path, bus_width)` writes one module, `lutnet_unrolled_top`, with the shared stream
interface (rtl/README.md):
  stream_deserializer -> layer 0 (logic) -> lutnet_pipe_reg -> layer 1 (logic) -> lutnet_pipe_reg -> ...
  -> last layer (logic, class scores) -> argmax_output.
Every synapse is a hard-wired K-input truth table (a constant indexed by its K address bits; the address of
synapse i is shared by all neurons of the layer, as the connection map is); each neuron is a popcount (an
instance of rtl/lutnet/lutnet_popcount.v) of its LUT outputs compared with a constant threshold.
Simplifications that keep the circuit equal to golden/lutnet.forward: an all-zero table (pruned synapse) is
left out, an all-one table is the constant 1, T = 0 is the constant 1 and a threshold above the neuron's number
of LUTs is the constant 0.
One inference per input vector, fully parallel: II = ceil(IN_BITS / BUS_WIDTH) (the input bus).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edgebench.golden.lutnet import LutnetModel
from edgebench.golden.modelfile import atomic_write_text

MODULE = "lutnet_unrolled_top"


def _clog2(n: int) -> int:
    return max(0, int(n - 1).bit_length())


def _hex(bits: np.ndarray) -> str:
    width = len(bits)
    value = int.from_bytes(np.packbits(bits.astype(np.uint8), bitorder="little").tobytes(), "little")
    return f"{width}'h{value:0{-(-width // 4)}x}"


def _popcount(lines: list[str], p: str, h: int, n: int, width: int) -> str:
    """Declare neuron h's popcount of its n LUT outputs `{p}_n{h}`; returns the count's wire.
    An instance, not a function: rtl/lutnet/lutnet_popcount.v says why."""
    count = f"{p}_c{h}"
    lines.append(f"    wire [{width - 1}:0] {count};")
    lines.append(f"    lutnet_popcount #(.N({n}), .W({width})) u_{p}_pc{h} (.bits({p}_n{h}), .count({count}));")
    return count


def _layer(lines: list[str], model: LutnetModel, layer: int, x: str, out: str) -> None:
    """Logic of one layer: input vector wire `x`, output wire `out` (declared here)."""
    tables, conn = model.tables[layer], model.conns[layer]
    mh, mw, v = tables.shape
    k = model.k
    last = layer == len(model.tables) - 1
    zero = ~tables.any(axis=2)
    one = tables.all(axis=2)
    logic = ~zero & ~one  # synapses that are real LUTs
    counts = (~zero).sum(axis=1)
    m_max = max(1, int(counts.max()))
    pc_w = _clog2(m_max + 1) or 1
    used_syn = np.flatnonzero(logic.any(axis=0))
    used_inputs = set(conn[used_syn].ravel().tolist())
    p = f"l{layer}"
    lines.append(f"    // ---- layer {layer}: {mw} inputs, {mh} neurons, K={k}; {int(logic.sum())} LUTs, "
                 f"{int(one.sum())} constant-1 and {int(zero.sum())} pruned (constant-0) synapses")
    unused = [i for i in range(mw) if i not in used_inputs]
    if unused:
        lines.append(f"    wire unused_{p} = &{{1'b0, " + ", ".join(f"{x}[{i}]" for i in unused) + "};")
    for i in used_syn.tolist():
        addr = ", ".join(f"{x}[{conn[i, j]}]" for j in reversed(range(k)))
        lines.append(f"    wire [{k - 1}:0] {p}_a{i} = {{{addr}}};")
        # one-hot decode of the address, shared by every neuron's LUT on this synapse
        lines.append(f"    wire [{v - 1}:0] {p}_d{i} = {v}'d1 << {p}_a{i};")
    score_w = _clog2(mw + 2)
    width = mh * score_w if last else mh
    lines.append(f"    wire [{width - 1}:0] {out};")
    for h in range(mh):
        terms = []
        for i in np.flatnonzero(~zero[h]).tolist():
            if one[h, i]:
                terms.append("1'b1")
            else:
                # the truth table ANDed with the decoded address, OR-reduced: a plain expression. With a function
                # call per LUT (`lut(tt, a)`) Yosys' frontend took 17 s on the digits k4 circuit (2.4 s without)
                # and had not finished the 28x28 SFC's 54k LUTs after 19 min. As `tt >> a` the frontend was
                # fast, but generic synthesis specialises the shifter once per distinct constant and ran out of
                # WebAssembly memory on the SFC's 34k distinct tables; `1 << a` is one constant for all.
                terms.append(f"|({_hex(tables[h, i])} & {p}_d{i})")
        n_terms = len(terms)
        if n_terms < m_max:
            terms.append(f"{m_max - n_terms}'d0")
        vec = "{" + ", ".join(terms) + "}" if n_terms else f"{m_max}'d0"
        lines.append(f"    wire [{m_max - 1}:0] {p}_n{h} = {vec};")
        if last:
            score = _popcount(lines, p, h, m_max, pc_w)
            lines.append(f"    assign {out}[{h * score_w} +: {score_w}] = {score_w}'({score});")
        else:
            t = int(model.thresholds[layer][h])
            if t == 0:
                expr = "1'b1"
            elif t > n_terms:
                expr = "1'b0"
                lines.append(f"    wire unused_{p}_n{h} = &{{1'b0, {p}_n{h}}};")
            else:
                expr = f"({_popcount(lines, p, h, m_max, pc_w)} >= {pc_w}'d{t})"
            if t == 0:
                lines.append(f"    wire unused_{p}_n{h} = &{{1'b0, {p}_n{h}}};")
            lines.append(f"    assign {out}[{h}] = {expr};")


def unrolled_verilog(model: LutnetModel, bus_width: int) -> str:
    shapes = model.layer_shapes
    n_layers = len(shapes)
    in_bits = model.input_bits
    n_classes = shapes[-1][0]
    score_w = _clog2(shapes[-1][1] + 2)
    k = model.k
    lines = [
        "// GENERATED by designs/lutnet_verilog.py from a trained LUTNet model: do not edit, do not commit.",
        f"// Unrolled LUTNet, layers {' -> '.join(str(mw) for _, mw in shapes)} -> {n_classes}, K = {k}.",
        "// Every synapse is a hard-wired truth table; fully parallel, II = ceil(IN_BITS / BUS_WIDTH).",
        f"module {MODULE} #(",
        f"    parameter integer BUS_WIDTH = {bus_width},",
        f"    parameter integer IN_BITS   = {in_bits},",
        f"    parameter integer N_CLASSES = {n_classes},",
        f"    parameter integer SCORE_W   = {score_w},",
        "    parameter integer CLASS_W   = (N_CLASSES > 1) ? $clog2(N_CLASSES) : 1",
        ") (",
        "    input  wire                         clk,",
        "    input  wire                         rst_n,",
        "    input  wire [BUS_WIDTH-1:0]         in_data,",
        "    input  wire                         in_valid,",
        "    output wire                         in_ready,",
        "    input  wire                         in_last,",
        "    output wire [CLASS_W-1:0]           out_class,",
        "    output wire [N_CLASSES*SCORE_W-1:0] out_scores,",
        "    output wire                         out_valid,",
        "    input  wire                         out_ready",
        ");",
        f"    wire [{in_bits - 1}:0] x0;",
        "    wire v0, r0;",
        "    stream_deserializer #(.BUS_WIDTH(BUS_WIDTH), .VEC_BITS(IN_BITS)) u_in (",
        "        .clk(clk), .rst_n(rst_n),",
        "        .in_data(in_data), .in_valid(in_valid), .in_ready(in_ready), .in_last(in_last),",
        "        .vec_data(x0), .vec_valid(v0), .vec_ready(r0)",
        "    );",
        "",
    ]
    for layer in range(n_layers):
        x, y = f"x{layer}", f"y{layer}"
        _layer(lines, model, layer, x, y)
        if layer < n_layers - 1:
            mh = shapes[layer][0]
            nxt = layer + 1
            lines += [
                f"    wire [{mh - 1}:0] x{nxt};",
                f"    wire v{nxt}, r{nxt};",
                f"    lutnet_pipe_reg #(.WIDTH({mh})) u_reg{layer} (",
                "        .clk(clk), .rst_n(rst_n),",
                f"        .in_data({y}), .in_valid(v{layer}), .in_ready(r{layer}),",
                f"        .out_data(x{nxt}), .out_valid(v{nxt}), .out_ready(r{nxt})",
                "    );",
                "",
            ]
    last = n_layers - 1
    lines += [
        "",
        "    argmax_output #(.N_CLASSES(N_CLASSES), .SCORE_W(SCORE_W), .CLASS_W(CLASS_W)) u_out (",
        "        .clk(clk), .rst_n(rst_n),",
        f"        .in_scores(y{last}), .in_valid(v{last}), .in_ready(r{last}),",
        "        .out_class(out_class), .out_scores(out_scores), .out_valid(out_valid), .out_ready(out_ready)",
        "    );",
        "endmodule",
        "",
    ]
    return "\n".join(lines)


def write_unrolled_top(model: LutnetModel, path: str | Path, bus_width: int) -> Path:
    """Write the generated module to `path` (temporary name first, so a crash leaves no half file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, unrolled_verilog(model, bus_width))
    return path
