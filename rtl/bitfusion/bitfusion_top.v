// Bit Fusion core (after Sharma et al., ISCA 2018) on the edgebench stream interface: a 3-layer MLP
// N_IN -> H1 -> H2 -> N_CLASSES with its precision set per layer, each layer on its own fusion units:
//   input bits -> core_shell (deserializer) -> bitfusion_layer 0 (A0_W x W0_W, U0 units, requantized to A1_W bits)
//              -> bitfusion_layer 1 (A1_W x W1_W, U1 units, requantized to A2_W bits)
//              -> bitfusion_layer 2 (A2_W x W2_W, U2 units, signed scores) -> core_shell (argmax, SIGNED=1).
// Input: N_IN unsigned A0_W-bit activations, activation f at bits [f*A0_W +: A0_W].
// Cycles per inference (initiation interval) = max(ceil(N_IN*A0_W / BUS_WIDTH), C0, C1, C2), where layer l takes
// Cl = MH*MW / (Ul * Kl) cycles and Kl = 16 / ((Al_W/2)*(Wl_W/2)) is its products per fusion unit and cycle.
// Weights and biases come from $readmemh files written by designs/bitfusion.py.
module bitfusion_top #(
    parameter integer BUS_WIDTH = 64,
    parameter integer N_IN      = 64,
    parameter integer H1        = 16,
    parameter integer H2        = 32,
    parameter integer N_CLASSES = 10,
    parameter integer A0_W      = 8,
    parameter integer W0_W      = 8,
    parameter integer A1_W      = 4,
    parameter integer W1_W      = 4,
    parameter integer A2_W      = 8,
    parameter integer W2_W      = 8,
    parameter integer U0        = 16,
    parameter integer U1        = 1,
    parameter integer U2        = 5,
    parameter integer ACC0_W    = 23,
    parameter integer ACC1_W    = 13,
    parameter integer ACC2_W    = 22,
    parameter integer SHIFT0    = 9,
    parameter integer SHIFT1    = 3,
    parameter W0_FILE = "w0.hex", parameter B0_FILE = "b0.hex",
    parameter W1_FILE = "w1.hex", parameter B1_FILE = "b1.hex",
    parameter W2_FILE = "w2.hex", parameter B2_FILE = "b2.hex",
    parameter integer SCORE_W   = ACC2_W,
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
    localparam integer IN_BITS = N_IN * A0_W;
    wire [IN_BITS-1:0]           x0;
    wire [H1*A1_W-1:0]           x1;
    wire [H2*A2_W-1:0]           x2;
    wire [N_CLASSES*SCORE_W-1:0] scores;
    wire v0, r0, v1, r1, v2, r2, v3, r3;

    core_shell #(.BUS_WIDTH(BUS_WIDTH), .IN_BITS(IN_BITS), .N_CLASSES(N_CLASSES), .SCORE_W(SCORE_W),
                 .SIGNED(1), .CLASS_W(CLASS_W)) u_shell (
        .clk(clk), .rst_n(rst_n), .in_data(in_data), .in_valid(in_valid), .in_ready(in_ready), .in_last(in_last),
        .out_class(out_class), .out_scores(out_scores), .out_valid(out_valid), .out_ready(out_ready),
        .vec_data(x0), .vec_valid(v0), .vec_ready(r0), .scores(scores), .scores_valid(v3), .scores_ready(r3)
    );

    bitfusion_layer #(.MW(N_IN), .MH(H1), .UNITS(U0), .A_W(A0_W), .W_W(W0_W), .ACC_W(ACC0_W), .HIDDEN(1),
                      .SHIFT(SHIFT0), .OUT_A_W(A1_W), .WEIGHT_FILE(W0_FILE), .BIAS_FILE(B0_FILE)) u_l0 (
        .clk(clk), .rst_n(rst_n),
        .in_data(x0), .in_valid(v0), .in_ready(r0),
        .out_data(x1), .out_valid(v1), .out_ready(r1)
    );

    bitfusion_layer #(.MW(H1), .MH(H2), .UNITS(U1), .A_W(A1_W), .W_W(W1_W), .ACC_W(ACC1_W), .HIDDEN(1),
                      .SHIFT(SHIFT1), .OUT_A_W(A2_W), .WEIGHT_FILE(W1_FILE), .BIAS_FILE(B1_FILE)) u_l1 (
        .clk(clk), .rst_n(rst_n),
        .in_data(x1), .in_valid(v1), .in_ready(r1),
        .out_data(x2), .out_valid(v2), .out_ready(r2)
    );

    bitfusion_layer #(.MW(H2), .MH(N_CLASSES), .UNITS(U2), .A_W(A2_W), .W_W(W2_W), .ACC_W(ACC2_W), .HIDDEN(0),
                      .SHIFT(0), .OUT_A_W(A2_W), .WEIGHT_FILE(W2_FILE), .BIAS_FILE(B2_FILE)) u_l2 (
        .clk(clk), .rst_n(rst_n),
        .in_data(x2), .in_valid(v2), .in_ready(r2),
        .out_data(scores), .out_valid(v3), .out_ready(r3)
    );
endmodule
