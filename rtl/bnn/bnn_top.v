// Binarized MLP on the edgebench stream interface (see rtl/README.md):
//   input bits -> stream_deserializer -> MVAU 0 .. MVAU N_LAYERS-2 (thresholds) -> MVAU N_LAYERS-1 (scores)
//   -> argmax.
// N_LAYERS = 2..5 layers: hidden sizes H1..H4 (H1 the first hidden layer), each layer l folded by its own
// (PEl, SIMDl). The network's initiation interval is its slowest stage:
//   max(ceil(IN_BITS / BUS_WIDTH), (MH_l / PE_l) * (MW_l / SIMD_l) for every layer l),
// with MW_0 = IN_BITS, MH_{N-1} = N_CLASSES. FINN's SFC (784-256-256-256-10) is N_LAYERS = 4.
// Weights and thresholds come from $readmemh files written by designs/bnn.py into MEM_DIR:
// l<l>_w.hex for every layer, l<l>_t.hex for every hidden layer.
module bnn_top #(
    parameter integer BUS_WIDTH = 32,
    parameter integer IN_BITS   = 128,
    parameter integer N_LAYERS  = 3,
    parameter integer H1        = 64,
    parameter integer H2        = 64,
    parameter integer H3        = 64,
    parameter integer H4        = 64,
    parameter integer N_CLASSES = 10,
    parameter integer PE0 = 8, parameter integer SIMD0 = 32,
    parameter integer PE1 = 8, parameter integer SIMD1 = 16,
    parameter integer PE2 = 2, parameter integer SIMD2 = 16,
    parameter integer PE3 = 1, parameter integer SIMD3 = 1,
    parameter integer PE4 = 1, parameter integer SIMD4 = 1,
    parameter MEM_DIR = ".",
    parameter integer SCORE_W = $clog2(((N_LAYERS == 2) ? H1 : (N_LAYERS == 3) ? H2 : (N_LAYERS == 4) ? H3 : H4) + 2),
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
    // width of activation vector l (the input of layer l): 0 = input bits, l = hidden layer l
    function automatic integer act_bits(input integer l);
        case (l)
            0: act_bits = IN_BITS;
            1: act_bits = H1;
            2: act_bits = H2;
            3: act_bits = H3;
            default: act_bits = H4;
        endcase
    endfunction
    // offset of activation vector l in the concatenated `acts` bus
    function automatic integer act_offset(input integer l);
        integer i;
        begin
            act_offset = 0;
            for (i = 0; i < l; i = i + 1) act_offset = act_offset + act_bits(i);
        end
    endfunction
    function automatic integer pe_of(input integer l);
        case (l)
            0: pe_of = PE0;
            1: pe_of = PE1;
            2: pe_of = PE2;
            3: pe_of = PE3;
            default: pe_of = PE4;
        endcase
    endfunction
    function automatic integer simd_of(input integer l);
        case (l)
            0: simd_of = SIMD0;
            1: simd_of = SIMD1;
            2: simd_of = SIMD2;
            3: simd_of = SIMD3;
            default: simd_of = SIMD4;
        endcase
    endfunction

    localparam integer ACTS_W = act_offset(N_LAYERS);  // input bits + every hidden layer's bits
    wire [ACTS_W-1:0] acts;
    wire [N_CLASSES*SCORE_W-1:0] scores;
    wire [N_LAYERS:0] valid, ready;  // stream l feeds layer l; stream N_LAYERS carries the scores

    core_shell #(.BUS_WIDTH(BUS_WIDTH), .IN_BITS(IN_BITS), .N_CLASSES(N_CLASSES), .SCORE_W(SCORE_W),
                 .CLASS_W(CLASS_W)) u_shell (
        .clk(clk), .rst_n(rst_n), .in_data(in_data), .in_valid(in_valid), .in_ready(in_ready), .in_last(in_last),
        .out_class(out_class), .out_scores(out_scores), .out_valid(out_valid), .out_ready(out_ready),
        .vec_data(acts[IN_BITS-1:0]), .vec_valid(valid[0]), .vec_ready(ready[0]),
        .scores(scores), .scores_valid(valid[N_LAYERS]), .scores_ready(ready[N_LAYERS])
    );

    genvar l;
    generate
        for (l = 0; l < N_LAYERS; l = l + 1) begin : g_layer
            localparam integer MW = act_bits(l);
            localparam [8*2-1:0] NAME = {"l", 8'd48 + l[7:0]};  // "l0".."l4"
            if (l < N_LAYERS - 1) begin : g_hidden
                localparam integer MH = act_bits(l + 1);
                bnn_mvau #(.MW(MW), .MH(MH), .PE(pe_of(l)), .SIMD(simd_of(l)), .THRESH(1),
                           .WEIGHT_FILE({MEM_DIR, "/", NAME, "_w.hex"}),
                           .THRESH_FILE({MEM_DIR, "/", NAME, "_t.hex"})) u_mvau (
                    .clk(clk), .rst_n(rst_n),
                    .in_data(acts[act_offset(l) +: MW]), .in_valid(valid[l]), .in_ready(ready[l]),
                    .out_data(acts[act_offset(l + 1) +: MH]), .out_valid(valid[l + 1]), .out_ready(ready[l + 1])
                );
            end else begin : g_scores
                bnn_mvau #(.MW(MW), .MH(N_CLASSES), .PE(pe_of(l)), .SIMD(simd_of(l)), .THRESH(0),
                           .WEIGHT_FILE({MEM_DIR, "/", NAME, "_w.hex"}), .ACC_W(SCORE_W)) u_mvau (
                    .clk(clk), .rst_n(rst_n),
                    .in_data(acts[act_offset(l) +: MW]), .in_valid(valid[l]), .in_ready(ready[l]),
                    .out_data(scores), .out_valid(valid[l + 1]), .out_ready(ready[l + 1])
                );
            end
        end
    endgenerate
endmodule
