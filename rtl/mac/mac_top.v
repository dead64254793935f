// Quantized MLP (N_IN -> H -> N_CLASSES) of the MAC family on the edgebench stream interface:
//   input bits -> stream_deserializer -> mac_layer 0 (requantized hidden activations)
//              -> mac_layer 1 (signed class scores) -> argmax_output (SIGNED=1).
// KIND: 0 uniform INT-N (multiplier lanes), 1 power-of-two (shift lanes), 2 ASM (shared pre-computer bank,
// select+shift lanes); SPARSE=1 (zero-skip weight lists) with KIND=1 is the pruned PoT engine.
// Input: N_IN unsigned IN_W-bit activations, activation f at bits [f*IN_W +: IN_W].
// Cycles per inference (initiation interval): max(ceil(N_IN*IN_W / BUS_WIDTH), DEPTH0, DEPTH1), where
// DEPTHl is the number of weight words of layer l (dense: (MH/P)*MW; zero-skip: sum over neuron groups of
// max(1, largest nonzero count of a lane in the group)).
// Weights and biases come from $readmemh files written by designs/mac.py.
module mac_top #(
    parameter integer BUS_WIDTH = 64,
    parameter integer N_IN      = 64,
    parameter integer IN_W      = 5,
    parameter integer H         = 32,
    parameter integer N_CLASSES = 10,
    parameter integer KIND      = 0,
    parameter integer SPARSE    = 0,
    parameter integer W_W       = 8,
    parameter integer A_W       = 8,
    parameter integer NA        = 4,
    parameter integer P0        = 8,
    parameter integer P1        = 2,
    parameter integer DEPTH0    = (H / P0) * N_IN,
    parameter integer DEPTH1    = (N_CLASSES / P1) * H,
    parameter integer ACC0_W    = 20,
    parameter integer ACC1_W    = 22,
    parameter integer SHIFT0    = 5,
    parameter W0_FILE = "w0.hex", parameter B0_FILE = "b0.hex",
    parameter W1_FILE = "w1.hex", parameter B1_FILE = "b1.hex",
    parameter integer SCORE_W   = ACC1_W,
    parameter integer CLASS_W   = (N_CLASSES > 1) ? $clog2(N_CLASSES) : 1
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
    localparam integer IN_BITS = N_IN * IN_W;
    wire [IN_BITS-1:0] x0;
    wire [H*A_W-1:0] x1;
    wire [N_CLASSES*SCORE_W-1:0] scores;
    wire v0, r0, v1, r1, v2, r2;

    core_shell #(.BUS_WIDTH(BUS_WIDTH), .IN_BITS(IN_BITS), .N_CLASSES(N_CLASSES), .SCORE_W(SCORE_W),
                 .SIGNED(1), .CLASS_W(CLASS_W)) u_shell (
        .clk(clk), .rst_n(rst_n), .in_data(in_data), .in_valid(in_valid), .in_ready(in_ready), .in_last(in_last),
        .out_class(out_class), .out_scores(out_scores), .out_valid(out_valid), .out_ready(out_ready),
        .vec_data(x0), .vec_valid(v0), .vec_ready(r0), .scores(scores), .scores_valid(v2), .scores_ready(r2)
    );

    mac_layer #(.MW(N_IN), .MH(H), .P(P0), .IN_W(IN_W), .KIND(KIND), .SPARSE(SPARSE), .DEPTH(DEPTH0),
                .ACC_W(ACC0_W), .HIDDEN(1), .SHIFT(SHIFT0), .A_W(A_W), .W_W(W_W), .NA(NA),
                .WEIGHT_FILE(W0_FILE), .BIAS_FILE(B0_FILE)) u_l0 (
        .clk(clk), .rst_n(rst_n),
        .in_data(x0), .in_valid(v0), .in_ready(r0),
        .out_data(x1), .out_valid(v1), .out_ready(r1)
    );

    mac_layer #(.MW(H), .MH(N_CLASSES), .P(P1), .IN_W(A_W), .KIND(KIND), .SPARSE(SPARSE), .DEPTH(DEPTH1),
                .ACC_W(ACC1_W), .HIDDEN(0), .SHIFT(0), .A_W(A_W), .W_W(W_W), .NA(NA),
                .WEIGHT_FILE(W1_FILE), .BIAS_FILE(B1_FILE)) u_l1 (
        .clk(clk), .rst_n(rst_n),
        .in_data(x1), .in_valid(v1), .in_ready(r1),
        .out_data(scores), .out_valid(v2), .out_ready(r2)
    );
endmodule
