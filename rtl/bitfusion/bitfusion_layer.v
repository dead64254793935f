// One fully connected layer of the Bit Fusion core: UNITS fusion units, each one neuron's K products per cycle.
//
// Precision is fixed per layer (parameters A_W x W_W, each 2, 4 or 8): input activations are unsigned A_W-bit
// integers, weights two's complement W_W-bit. A fusion unit (bitfusion_unit) forms K = 16 / ((A_W/2)*(W_W/2))
// products per cycle and sums them; a per-unit accumulator adds that sum to the neuron's running total.
// Folding as a FINN MVAU, with fusion units as PEs and K as SIMD: neuron n = g*UNITS + u runs on unit u in neuron
// fold g (NF = MH/UNITS folds), input fold s (SF = MW/K folds) takes inputs s*K .. s*K+K-1, so a vector takes
// STEPS = NF*SF = MH*MW / (UNITS*K) cycles.
//
// Memories ($readmemh files written by designs/bitfusion.py), read at the issue step:
//   WEIGHT_FILE word g*SF + s, bits [(u*K + k)*W_W +: W_W]: weight of neuron g*UNITS + u, input s*K + k;
//   BIAS_FILE   word g, bits [u*ACC_W +: ACC_W]: two's complement bias of neuron g*UNITS + u.
// acc = bias + sum of products, exact in ACC_W bits (ACC_W = bit_length(2*MW*2^(W_W-1)*(2^A_W-1)) + 1, biases
// bounded by half of that range: no overflow for any input or weight code; designs/bitfusion.py derives it).
// HIDDEN=1: output field n (OUT_A_W bits) = bitfusion_requant(acc[n]) (shift-round, ReLU, saturate);
// HIDDEN=0: output field n (ACC_W bits) = acc[n] (signed scores).
// Control: the shared fold_sequencer (u_seq: input double buffer, step counters, in-flight credit) and
// fold_collector (u_out_fifo) of rtl/common, as mac_layer; pipeline issue (memory reads, input fold select)
// -> compute (fusion units, accumulators), back-to-back vectors overlap, so the layer takes exactly STEPS cycles
// per vector.
module bitfusion_layer #(
    parameter integer MW          = 64,
    parameter integer MH          = 32,
    parameter integer UNITS       = 16,
    parameter integer A_W         = 8,
    parameter integer W_W         = 8,
    parameter integer ACC_W       = 23,
    parameter integer HIDDEN      = 1,
    parameter integer SHIFT       = 9,
    parameter integer OUT_A_W     = 4,
    parameter         WEIGHT_FILE = "weights.hex",
    parameter         BIAS_FILE   = "bias.hex",
    parameter integer OUT_DEPTH   = 2,
    // derived, not to be overridden
    parameter integer K           = 16 / ((A_W / 2) * (W_W / 2)),
    parameter integer SF          = MW / K,
    parameter integer NF          = MH / UNITS,
    parameter integer STEPS       = NF * SF,
    parameter integer RES_W       = (HIDDEN != 0) ? OUT_A_W : ACC_W,
    parameter integer OUT_W       = MH * RES_W
) (
    input  wire              clk,
    input  wire              rst_n,
    input  wire [MW*A_W-1:0] in_data,
    input  wire              in_valid,
    output wire              in_ready,
    output wire [OUT_W-1:0]  out_data,
    output wire              out_valid,
    input  wire              out_ready
);
    localparam integer DOT_W  = A_W + W_W + $clog2(K);  // bitfusion_unit's OUT_W (signed weights)
    localparam integer WORD_W = UNITS * K * W_W;
    localparam integer XS_W   = K * A_W;                // one input fold
    localparam integer STEP_W = (STEPS > 1) ? $clog2(STEPS) : 1;
    localparam integer G_W    = (NF > 1) ? $clog2(NF) : 1;
    localparam integer S_W    = (SF > 1) ? $clog2(SF) : 1;

    // ---------------------------------------------------------------- parameter memories
    reg [WORD_W-1:0]      wmem [0:STEPS-1];
    reg [UNITS*ACC_W-1:0] bmem [0:NF-1];
    initial $readmemh(WEIGHT_FILE, wmem);
    initial $readmemh(BIAS_FILE, bmem);

    // ---------------------------------------------------------------- input double buffer + schedule counters
    wire [MW*A_W-1:0] work;
    wire              start, room;
    wire [STEP_W-1:0] step;
    wire [S_W-1:0]    s;  // input fold
    wire [G_W-1:0]    g, c_g;
    wire              c_valid, c_first, c_last, c_final;

    /* verilator lint_off PINCONNECTEMPTY */
    fold_sequencer #(.VEC_W(MW*A_W), .STEPS(STEPS), .GROUPS(NF), .GROUP_STEPS(SF), .GROUP_END_IN(0)) u_seq (
        .clk(clk), .rst_n(rst_n), .in_data(in_data), .in_valid(in_valid), .in_ready(in_ready),
        .room(room), .group_end(1'b0), .start(start), .work(work),
        .issue(), .step(step), .inner(s), .group(g),
        .c_valid(c_valid), .c_first(c_first), .c_last(c_last), .c_final(c_final), .c_group(c_g)
    );
    /* verilator lint_on PINCONNECTEMPTY */

    // the input vector as an array of input folds
    wire [XS_W-1:0] xs [0:SF-1];
    genvar f;
    generate
        for (f = 0; f < SF; f = f + 1) begin : g_xs
            assign xs[f] = work[f*XS_W +: XS_W];
        end
    endgenerate

    // ---------------------------------------------------------------- issue -> compute registers
    reg [WORD_W-1:0]      w_q;  // every unit's K weights of this step
    reg [XS_W-1:0]        x_q;  // the K activations of this input fold, broadcast to every unit
    reg [UNITS*ACC_W-1:0] b_q;

    always @(posedge clk) begin
        w_q <= wmem[step];
        x_q <= xs[s];
        b_q <= bmem[g];
    end

    // ---------------------------------------------------------------- fusion units + accumulators
    wire [UNITS*RES_W-1:0] res;  // this step's results, meaningful when c_last
    genvar u;
    generate
        for (u = 0; u < UNITS; u = u + 1) begin : g_unit
            wire [DOT_W-1:0] dot;
            bitfusion_unit #(.A_W(A_W), .W_W(W_W), .A_SIGNED(0), .W_SIGNED(1)) u_fu (
                .a(x_q), .w(w_q[u*K*W_W +: K*W_W]), .dot(dot));

            reg  [ACC_W-1:0] acc_q;
            wire [ACC_W-1:0] dot_ext  = {{(ACC_W - DOT_W){dot[DOT_W-1]}}, dot};
            wire [ACC_W-1:0] acc_next = (c_first ? b_q[u*ACC_W +: ACC_W] : acc_q) + dot_ext;
            always @(posedge clk) begin
                if (c_valid) acc_q <= acc_next;
            end

            if (HIDDEN != 0) begin : g_rq
                bitfusion_requant #(.ACC_W(ACC_W), .SHIFT(SHIFT), .OUT_W(RES_W)) u_rq (
                    .acc(acc_next), .act(res[u*RES_W +: RES_W]));
            end else begin : g_score
                assign res[u*RES_W +: RES_W] = acc_next;
            end
        end
    endgenerate

    // ---------------------------------------------------------------- collect, output FIFO, in-flight credit
    fold_collector #(.MH(MH), .PE(UNITS), .RES_W(RES_W), .OUT_DEPTH(OUT_DEPTH)) u_out_fifo (
        .clk(clk), .rst_n(rst_n), .start(start), .room(room),
        .c_valid(c_valid), .c_last(c_last), .c_final(c_final), .c_group(c_g), .c_res(res),
        .out_data(out_data), .out_valid(out_valid), .out_ready(out_ready)
    );
`ifdef EDGEBENCH_PROTOCOL_CHECK  // simulation only: this module's output stream obeys valid/ready
    stream_protocol_checker #(.WIDTH(OUT_W)) out_protocol (clk, rst_n, out_valid, out_ready, out_data);
`endif
endmodule
