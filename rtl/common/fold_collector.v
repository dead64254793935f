// Output side of a folded layer (bnn_mvau, lutnet_tiled_layer, mac_layer): collects the neuron groups' results
// into one output vector, queues finished vectors in an output FIFO, and keeps the in-flight credit.
//
// A vector has MH results of RES_W bits, computed PE at a time: group g delivers results g*PE .. g*PE+PE-1
// (result g*PE + p in bits [p*RES_W +: RES_W] of `c_res`) on a cycle with c_valid and c_last high and
// c_group = g. Result n sits in bits [n*RES_W +: RES_W] of the output vector. On the vector's final step
// (c_valid and c_final) the vector, with that step's results written in, is pushed into the FIFO.
//
// Credit: `room` is high while fewer than OUT_DEPTH vectors have started (`start`) and not yet left the FIFO.
// A layer that starts a vector only with `room` high never finds the FIFO full when the vector is pushed, so the
// FIFO's in_ready is not needed, and output back-pressure only delays the next start.
module fold_collector #(
    parameter integer MH        = 64,
    parameter integer PE        = 8,
    parameter integer RES_W     = 1,
    parameter integer OUT_DEPTH = 2,
    parameter integer GROUP_W   = (MH / PE > 1) ? $clog2(MH / PE) : 1,
    parameter integer OUT_W     = MH * RES_W
) (
    input  wire               clk,
    input  wire               rst_n,
    input  wire               start,    // a vector started: it will take one FIFO entry
    output wire               room,     // one more vector may start
    input  wire               c_valid,  // compute stage of the layer (see fold_sequencer)
    input  wire               c_last,
    input  wire               c_final,
    input  wire [GROUP_W-1:0] c_group,
    input  wire [PE*RES_W-1:0] c_res,   // the group's results, meaningful when c_valid && c_last
    output wire [OUT_W-1:0]   out_data,
    output wire               out_valid,
    input  wire               out_ready
);
    localparam integer CREDIT_W = $clog2(OUT_DEPTH + 1);

    reg  [CREDIT_W-1:0] inflight_q;  // vectors started and not yet taken from the output FIFO
    reg  [OUT_W-1:0]    collect_q;
    wire [OUT_W-1:0]    collect_d;

    genvar n;
    generate
        for (n = 0; n < MH; n = n + 1) begin : g_collect
            wire mine = c_valid && c_last && (c_group == GROUP_W'(n / PE));
            assign collect_d[n*RES_W +: RES_W] = mine ? c_res[(n % PE)*RES_W +: RES_W] : collect_q[n*RES_W +: RES_W];
        end
    endgenerate

    wire push = c_valid && c_final;
    wire pop  = out_valid && out_ready;
    assign room = (inflight_q < CREDIT_W'(OUT_DEPTH));

    always @(posedge clk) begin
        if (!rst_n) begin
            inflight_q <= {CREDIT_W{1'b0}};
            collect_q  <= {OUT_W{1'b0}};
        end else begin
            inflight_q <= inflight_q + CREDIT_W'(start) - CREDIT_W'(pop);
            collect_q  <= collect_d;
        end
    end

    /* verilator lint_off PINCONNECTEMPTY */
    stream_fifo #(.WIDTH(OUT_W), .DEPTH(OUT_DEPTH)) u_fifo (
        .clk      (clk),
        .rst_n    (rst_n),
        .in_data  (collect_d),
        .in_valid (push),
        .in_ready (),
        .out_data (out_data),
        .out_valid(out_valid),
        .out_ready(out_ready)
    );
    /* verilator lint_on PINCONNECTEMPTY */
`ifdef EDGEBENCH_PROTOCOL_CHECK  // simulation only: this module's output stream obeys valid/ready
    stream_protocol_checker #(.WIDTH(OUT_W)) out_protocol (clk, rst_n, out_valid, out_ready, out_data);
`endif
endmodule
