// Binarized MLP on the edgebench stream interface (see rtl/README.md):
//   input bits -> stream_deserializer -> MVAU 0 (thresholds) -> MVAU 1 (thresholds) -> MVAU 2 (scores) -> argmax.
// Each layer is folded by its own (PE, SIMD); the network's initiation interval is
//   max(ceil(IN_BITS / BUS_WIDTH), (H1/PE0)*(IN_BITS/SIMD0), (H2/PE1)*(H1/SIMD1), (N_CLASSES/PE2)*(H2/SIMD2)).
// Weights and thresholds come from $readmemh files written by designs/bnn.py.
module bnn_top #(
    parameter integer BUS_WIDTH = 32,
    parameter integer IN_BITS   = 128,
    parameter integer H1        = 64,
    parameter integer H2        = 64,
    parameter integer N_CLASSES = 10,
    parameter integer PE0 = 8, parameter integer SIMD0 = 32,
    parameter integer PE1 = 8, parameter integer SIMD1 = 16,
    parameter integer PE2 = 2, parameter integer SIMD2 = 16,
    parameter W0_FILE = "w0.hex", parameter T0_FILE = "t0.hex",
    parameter W1_FILE = "w1.hex", parameter T1_FILE = "t1.hex",
    parameter W2_FILE = "w2.hex",
    parameter integer SCORE_W = $clog2(H2 + 2),
    parameter integer CLASS_W = (N_CLASSES > 1) ? $clog2(N_CLASSES) : 1
) (
    input  wire                         clk,
    input  wire                         rst_n,
    input  wire [BUS_WIDTH-1:0]         in_data,
    input  wire                         in_valid,
    output wire                         in_ready,
    input  wire                         in_last,
    output wire [CLASS_W-1:0]           out_class,
    output wire [N_CLASSES*SCORE_W-1:0] out_scores,
    output wire                         out_valid,
    input  wire                         out_ready
);
    wire [IN_BITS-1:0] x0;
    wire [H1-1:0] x1;
    wire [H2-1:0] x2;
    wire [N_CLASSES*SCORE_W-1:0] scores;
    wire v0, r0, v1, r1, v2, r2, v3, r3;

    core_shell #(.BUS_WIDTH(BUS_WIDTH), .IN_BITS(IN_BITS), .N_CLASSES(N_CLASSES), .SCORE_W(SCORE_W),
                 .CLASS_W(CLASS_W)) u_shell (
        .clk(clk), .rst_n(rst_n), .in_data(in_data), .in_valid(in_valid), .in_ready(in_ready), .in_last(in_last),
        .out_class(out_class), .out_scores(out_scores), .out_valid(out_valid), .out_ready(out_ready),
        .vec_data(x0), .vec_valid(v0), .vec_ready(r0), .scores(scores), .scores_valid(v3), .scores_ready(r3)
    );

    bnn_mvau #(.MW(IN_BITS), .MH(H1), .PE(PE0), .SIMD(SIMD0), .THRESH(1),
               .WEIGHT_FILE(W0_FILE), .THRESH_FILE(T0_FILE)) u_l0 (
        .clk(clk), .rst_n(rst_n),
        .in_data(x0), .in_valid(v0), .in_ready(r0),
        .out_data(x1), .out_valid(v1), .out_ready(r1)
    );

    bnn_mvau #(.MW(H1), .MH(H2), .PE(PE1), .SIMD(SIMD1), .THRESH(1),
               .WEIGHT_FILE(W1_FILE), .THRESH_FILE(T1_FILE)) u_l1 (
        .clk(clk), .rst_n(rst_n),
        .in_data(x1), .in_valid(v1), .in_ready(r1),
        .out_data(x2), .out_valid(v2), .out_ready(r2)
    );

    bnn_mvau #(.MW(H2), .MH(N_CLASSES), .PE(PE2), .SIMD(SIMD2), .THRESH(0),
               .WEIGHT_FILE(W2_FILE), .ACC_W(SCORE_W)) u_l2 (
        .clk(clk), .rst_n(rst_n),
        .in_data(x2), .in_valid(v2), .in_ready(r2),
        .out_data(scores), .out_valid(v3), .out_ready(r3)
    );
endmodule
