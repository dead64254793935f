// Tiled LUTNet on the edgebench stream interface (see rtl/README.md):
//   input bits -> stream_deserializer -> layer 0 (thresholds) -> layer 1 (thresholds) -> layer 2 (scores) -> argmax.
// Each layer is a lutnet_tiled_layer folded by its own (PE, SIMD); the network's initiation interval is
//   max(ceil(IN_BITS / BUS_WIDTH), (H1/PE0)*(IN_BITS/SIMD0), (H2/PE1)*(H1/SIMD1), (N_CLASSES/PE2)*(H2/SIMD2)).
// Truth tables, connection maps and thresholds come from $readmemh files written by designs/lutnet.py.
module lutnet_tiled_top #(
    parameter integer BUS_WIDTH = 32,
    parameter integer IN_BITS   = 128,
    parameter integer H1        = 32,
    parameter integer H2        = 32,
    parameter integer N_CLASSES = 10,
    parameter integer K         = 4,
    parameter integer PE0 = 8, parameter integer SIMD0 = 32,
    parameter integer PE1 = 8, parameter integer SIMD1 = 16,
    parameter integer PE2 = 2, parameter integer SIMD2 = 16,
    parameter TT0_FILE = "tt0.hex", parameter C0_FILE = "c0.hex", parameter T0_FILE = "t0.hex",
    parameter TT1_FILE = "tt1.hex", parameter C1_FILE = "c1.hex", parameter T1_FILE = "t1.hex",
    parameter TT2_FILE = "tt2.hex", parameter C2_FILE = "c2.hex",
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

    lutnet_tiled_layer #(.MW(IN_BITS), .MH(H1), .K(K), .PE(PE0), .SIMD(SIMD0), .THRESH(1),
                         .TABLE_FILE(TT0_FILE), .CONN_FILE(C0_FILE), .THRESH_FILE(T0_FILE)) u_l0 (
        .clk(clk), .rst_n(rst_n),
        .in_data(x0), .in_valid(v0), .in_ready(r0),
        .out_data(x1), .out_valid(v1), .out_ready(r1)
    );

    lutnet_tiled_layer #(.MW(H1), .MH(H2), .K(K), .PE(PE1), .SIMD(SIMD1), .THRESH(1),
                         .TABLE_FILE(TT1_FILE), .CONN_FILE(C1_FILE), .THRESH_FILE(T1_FILE)) u_l1 (
        .clk(clk), .rst_n(rst_n),
        .in_data(x1), .in_valid(v1), .in_ready(r1),
        .out_data(x2), .out_valid(v2), .out_ready(r2)
    );

    lutnet_tiled_layer #(.MW(H2), .MH(N_CLASSES), .K(K), .PE(PE2), .SIMD(SIMD2), .THRESH(0),
                         .TABLE_FILE(TT2_FILE), .CONN_FILE(C2_FILE), .ACC_W(SCORE_W)) u_l2 (
        .clk(clk), .rst_n(rst_n),
        .in_data(x2), .in_valid(v2), .in_ready(r2),
        .out_data(scores), .out_valid(v3), .out_ready(r3)
    );
endmodule
