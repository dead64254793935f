// Quantized MLP (N_IN -> H1 -> .. -> N_CLASSES) of the MAC family on the edgebench stream interface:
//   input bits -> stream_deserializer -> mac_layer 0 .. mac_layer N_LAYERS-2 (requantized hidden activations)
//              -> mac_layer N_LAYERS-1 (signed class scores) -> argmax_output (SIGNED=1).
// N_LAYERS = 2..4 layers: hidden sizes H1..H3 (H1 the first hidden layer; N_LAYERS = 2 is the network
// N_IN -> H1 -> N_CLASSES), layer l with Pl lanes, DEPTHl weight words, an ACCl_W-bit accumulator and, for a
// hidden layer, the requantization shift SHIFTl. Parameters of layers past N_LAYERS-1 are unused.
// KIND: 0 uniform INT-N (multiplier lanes), 1 power-of-two (shift lanes), 2 ASM (shared pre-computer bank,
// select+shift lanes); SPARSE=1 (zero-skip weight lists) with KIND=1 is the pruned PoT engine.
// Input: N_IN unsigned IN_W-bit activations, activation f at bits [f*IN_W +: IN_W]; hidden activations A_W bits.
// Cycles per inference (initiation interval): max(ceil(N_IN*IN_W / BUS_WIDTH), DEPTH0, .., DEPTH{N_LAYERS-1}),
// where DEPTHl is the number of weight words of layer l (dense: (MH/P)*MW; zero-skip: sum over neuron groups of
// max(1, largest nonzero count of a lane in the group)); the layers run concurrently on consecutive vectors.
// Weights and biases come from $readmemh files written by designs/mac.py into MEM_DIR:
// l<l>_w.hex (weight words) and l<l>_b.hex (biases) for every layer l.
module mac_top #(
    parameter integer BUS_WIDTH = 64,
    parameter integer N_IN      = 64,
    parameter integer IN_W      = 5,
    parameter integer N_LAYERS  = 2,
    parameter integer H1        = 32,
    parameter integer H2        = 32,
    parameter integer H3        = 32,
    parameter integer N_CLASSES = 10,
    parameter integer KIND      = 0,
    parameter integer SPARSE    = 0,
    parameter integer W_W       = 8,
    parameter integer A_W       = 8,
    parameter integer NA        = 4,
    parameter integer P0        = 8,
    parameter integer P1        = 2,
    parameter integer P2        = 2,
    parameter integer P3        = 2,
    // dense depths by default: (MH/P)*MW, MH being the next hidden size or N_CLASSES for the last layer
    parameter integer DEPTH0    = (H1 / P0) * N_IN,
    parameter integer DEPTH1    = (N_LAYERS > 2) ? (H2 / P1) * H1 : (N_CLASSES / P1) * H1,
    parameter integer DEPTH2    = (N_LAYERS > 3) ? (H3 / P2) * H2 : (N_CLASSES / P2) * H2,
    parameter integer DEPTH3    = (N_CLASSES / P3) * H3,
    parameter integer ACC0_W    = 20,
    parameter integer ACC1_W    = 22,
    parameter integer ACC2_W    = 22,
    parameter integer ACC3_W    = 22,
    parameter integer SHIFT0    = 5,
    parameter integer SHIFT1    = 5,
    parameter integer SHIFT2    = 5,
    parameter MEM_DIR = ".",
    parameter integer SCORE_W   = (N_LAYERS == 2) ? ACC1_W : (N_LAYERS == 3) ? ACC2_W : ACC3_W,
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
    // length of activation vector l (the input of layer l): 0 = the N_IN inputs, l = hidden layer l
    function automatic integer size_of(input integer l);
        case (l)
            0: size_of = N_IN;
            1: size_of = H1;
            2: size_of = H2;
            default: size_of = H3;
        endcase
    endfunction
    // bits of one element of activation vector l
    function automatic integer elem_w(input integer l);
        elem_w = (l == 0) ? IN_W : A_W;
    endfunction
    // bits of activation vector l
    function automatic integer act_bits(input integer l);
        case (l)
            0: act_bits = N_IN * IN_W;
            1: act_bits = H1 * A_W;
            2: act_bits = H2 * A_W;
            default: act_bits = H3 * A_W;
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
            0: pe_of = P0;
            1: pe_of = P1;
            2: pe_of = P2;
            default: pe_of = P3;
        endcase
    endfunction
    function automatic integer depth_of(input integer l);
        case (l)
            0: depth_of = DEPTH0;
            1: depth_of = DEPTH1;
            2: depth_of = DEPTH2;
            default: depth_of = DEPTH3;
        endcase
    endfunction
    function automatic integer acc_w_of(input integer l);
        case (l)
            0: acc_w_of = ACC0_W;
            1: acc_w_of = ACC1_W;
            2: acc_w_of = ACC2_W;
            default: acc_w_of = ACC3_W;
        endcase
    endfunction
    function automatic integer shift_of(input integer l);
        case (l)
            0: shift_of = SHIFT0;
            1: shift_of = SHIFT1;
            default: shift_of = SHIFT2;
        endcase
    endfunction

    localparam integer IN_BITS = N_IN * IN_W;
    localparam integer ACTS_W  = act_offset(N_LAYERS);  // input bits + every hidden layer's activations
    wire [ACTS_W-1:0] acts;
    wire [N_CLASSES*SCORE_W-1:0] scores;
    wire [N_LAYERS:0] valid, ready;  // stream l feeds layer l; stream N_LAYERS carries the scores

    core_shell #(.BUS_WIDTH(BUS_WIDTH), .IN_BITS(IN_BITS), .N_CLASSES(N_CLASSES), .SCORE_W(SCORE_W),
                 .SIGNED(1), .CLASS_W(CLASS_W)) u_shell (
        .clk(clk), .rst_n(rst_n), .in_data(in_data), .in_valid(in_valid), .in_ready(in_ready), .in_last(in_last),
        .out_class(out_class), .out_scores(out_scores), .out_valid(out_valid), .out_ready(out_ready),
        .vec_data(acts[IN_BITS-1:0]), .vec_valid(valid[0]), .vec_ready(ready[0]),
        .scores(scores), .scores_valid(valid[N_LAYERS]), .scores_ready(ready[N_LAYERS])
    );

    genvar l;
    generate
        for (l = 0; l < N_LAYERS; l = l + 1) begin : g_layer
            localparam integer MW    = size_of(l);
            localparam integer LIN_W = elem_w(l);
            localparam [8*2-1:0] NAME = {"l", 8'd48 + l[7:0]};  // "l0".."l3"
            if (l < N_LAYERS - 1) begin : g_hidden
                localparam integer MH = size_of(l + 1);
                mac_layer #(.MW(MW), .MH(MH), .P(pe_of(l)), .IN_W(LIN_W), .KIND(KIND), .SPARSE(SPARSE),
                            .DEPTH(depth_of(l)), .ACC_W(acc_w_of(l)), .HIDDEN(1), .SHIFT(shift_of(l)), .A_W(A_W),
                            .W_W(W_W), .NA(NA), .WEIGHT_FILE({MEM_DIR, "/", NAME, "_w.hex"}),
                            .BIAS_FILE({MEM_DIR, "/", NAME, "_b.hex"})) u_layer (
                    .clk(clk), .rst_n(rst_n),
                    .in_data(acts[act_offset(l) +: act_bits(l)]), .in_valid(valid[l]), .in_ready(ready[l]),
                    .out_data(acts[act_offset(l + 1) +: act_bits(l + 1)]), .out_valid(valid[l + 1]),
                    .out_ready(ready[l + 1])
                );
            end else begin : g_scores
                mac_layer #(.MW(MW), .MH(N_CLASSES), .P(pe_of(l)), .IN_W(LIN_W), .KIND(KIND), .SPARSE(SPARSE),
                            .DEPTH(depth_of(l)), .ACC_W(acc_w_of(l)), .HIDDEN(0), .SHIFT(0), .A_W(A_W),
                            .W_W(W_W), .NA(NA), .WEIGHT_FILE({MEM_DIR, "/", NAME, "_w.hex"}),
                            .BIAS_FILE({MEM_DIR, "/", NAME, "_b.hex"})) u_layer (
                    .clk(clk), .rst_n(rst_n),
                    .in_data(acts[act_offset(l) +: act_bits(l)]), .in_valid(valid[l]), .in_ready(ready[l]),
                    .out_data(scores), .out_valid(valid[l + 1]), .out_ready(ready[l + 1])
                );
            end
        end
    endgenerate
endmodule
