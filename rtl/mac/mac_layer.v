// One fully connected layer of the MAC family on P parallel lanes, reused across neurons.
//
// KIND selects the lane: 0 = uniform INT-N (mac_lane: multiplier + accumulator), 1 = power-of-two
// (pot_lane: shifter + accumulator), 2 = alphabet-set multiplier (asm_lane; one asm_precompute bank
// shared by all lanes). Neuron n = g*P + p is computed by lane p in neuron group g (NG = MH/P groups).
//
// The weight memory (WEIGHT_FILE, DEPTH words, read one word per cycle) drives the schedule; word layout:
//   bit P*LW            : last step of the current neuron group
//   bits [p*LW +: LW]   : lane p's entry: weight code in the low CODE_W bits, then (SPARSE=1) an IDX_W-bit
//                         input index
//   SPARSE=0 (dense)    : word g*MW + i holds the codes of w[g*P + p][i]; every lane takes input i
//                         (broadcast), so a group takes MW cycles and DEPTH = NG*MW.
//   SPARSE=1 (zero-skip): each lane has its own list of (index, code) for its nonzero weights; a group takes
//                         max(1, max_p nnz(g, p)) words (shorter lists padded with the zero code), so pruned
//                         weights cost no cycles and DEPTH = sum_g max(1, max_p nnz(g, p)).
// Bias memory (BIAS_FILE) word g, bits [p*ACC_W +: ACC_W]: two's complement bias of neuron g*P + p.
// Cycles per vector = DEPTH (one word per cycle, back-to-back vectors overlap the pipeline).
//
// HIDDEN=1: output field n (A_W bits) = mac_requant(acc[n]) (shift-round, ReLU, saturate);
// HIDDEN=0: output field n (ACC_W bits) = acc[n] (signed scores).
// Pipeline: issue (weight word, input select, bias) -> compute (lanes accumulate). A vector is started only
// when the output FIFO is sure to have room (in-flight credit), so the schedule never stalls mid-vector.
module mac_layer #(
    parameter integer MW          = 64,
    parameter integer MH          = 32,
    parameter integer P           = 8,
    parameter integer IN_W        = 5,
    parameter integer KIND        = 0,
    parameter integer SPARSE      = 0,
    parameter integer DEPTH       = (MH / P) * MW,
    parameter integer ACC_W       = 20,
    parameter integer HIDDEN      = 1,
    parameter integer SHIFT       = 4,
    parameter integer A_W         = 8,
    parameter integer W_W         = 8,
    parameter integer NA          = 4,
    parameter         WEIGHT_FILE = "weights.hex",
    parameter         BIAS_FILE   = "bias.hex",
    parameter integer OUT_DEPTH   = 2,
    parameter integer RES_W       = (HIDDEN != 0) ? A_W : ACC_W,
    parameter integer OUT_W       = MH * RES_W
) (
    input  wire               clk,
    input  wire               rst_n,
    input  wire [MW*IN_W-1:0] in_data,
    input  wire               in_valid,
    output wire               in_ready,
    output wire [OUT_W-1:0]   out_data,
    output wire               out_valid,
    input  wire               out_ready
);
    localparam integer NG       = MH / P;
    localparam integer CODE_W   = (KIND == 0) ? W_W : ((KIND == 1) ? 4 : 11);
    localparam integer IDX_W    = (MW > 1) ? $clog2(MW) : 1;
    localparam integer LW       = CODE_W + ((SPARSE != 0) ? IDX_W : 0);
    localparam integer WORD_W   = P * LW + 1;
    localparam integer ADDR_W   = (DEPTH > 1) ? $clog2(DEPTH) : 1;
    localparam integer G_W      = (NG > 1) ? $clog2(NG) : 1;
    localparam integer M_W      = IN_W + 3;  // asm multiple width

    // ---------------------------------------------------------------- parameter memories
    reg [WORD_W-1:0]  wmem [0:DEPTH-1];
    reg [P*ACC_W-1:0] bmem [0:NG-1];
    initial $readmemh(WEIGHT_FILE, wmem);
    initial $readmemh(BIAS_FILE, bmem);

    // ---------------------------------------------------------------- input double buffer + schedule counters
    wire [MW*IN_W-1:0] work;
    wire               start, room;
    wire [ADDR_W-1:0]  addr;
    wire [IDX_W-1:0]   i;  // input index of a dense step
    wire [G_W-1:0]     g, c_g;
    wire               c_valid, c_first, c_last, c_final;

    wire [WORD_W-1:0] word      = wmem[addr];  // asynchronous read
    wire              word_last = word[WORD_W-1];

    // A group ends on the word flagged last (zero-skip groups have data-dependent lengths of at most MW words).
    /* verilator lint_off PINCONNECTEMPTY */
    fold_sequencer #(.VEC_W(MW*IN_W), .STEPS(DEPTH), .GROUPS(NG), .GROUP_STEPS(MW), .GROUP_END_IN(1)) u_seq (
        .clk(clk), .rst_n(rst_n), .in_data(in_data), .in_valid(in_valid), .in_ready(in_ready),
        .room(room), .group_end(word_last), .start(start), .work(work),
        .issue(), .step(addr), .inner(i), .group(g),
        .c_valid(c_valid), .c_first(c_first), .c_last(c_last), .c_final(c_final), .c_group(c_g)
    );
    /* verilator lint_on PINCONNECTEMPTY */

    // the input vector as an array of activations
    wire [IN_W-1:0] xel [0:MW-1];
    genvar k;
    generate
        for (k = 0; k < MW; k = k + 1) begin : g_xel
            assign xel[k] = work[k*IN_W +: IN_W];
        end
    endgenerate

    // ---------------------------------------------------------------- issue -> compute registers
    reg [P*LW-1:0]     w_q;  // lane entries of the issued word
    reg [P*ACC_W-1:0]  b_q;

    always @(posedge clk) begin
        w_q <= word[P*LW-1:0];
        b_q <= bmem[g];
    end

    // ---------------------------------------------------------------- lanes
    wire [ACC_W-1:0] acc_next [0:P-1];
    wire [P*RES_W-1:0] res;  // this step's results, meaningful when c_last
    genvar p;
    generate
        // activation operands: one broadcast register (dense) or one register per lane (zero-skip)
        wire [IN_W-1:0] x_lane [0:P-1];
        if (SPARSE == 0) begin : g_bcast
            reg [IN_W-1:0] x_b_q;
            always @(posedge clk) x_b_q <= xel[i];
            for (p = 0; p < P; p = p + 1) begin : g_x
                assign x_lane[p] = x_b_q;
            end
        end else begin : g_gather
            for (p = 0; p < P; p = p + 1) begin : g_x
                reg [IN_W-1:0] x_p_q;
                always @(posedge clk) x_p_q <= xel[word[p*LW + CODE_W +: IDX_W]];
                assign x_lane[p] = x_p_q;
            end
        end

        // ASM: one pre-computer bank on the broadcast activation, shared by every lane
        /* verilator lint_off UNUSEDSIGNAL */
        wire [4*M_W-1:0] bank;  // only the ASM lanes read it
        /* verilator lint_on UNUSEDSIGNAL */
        if (KIND == 2) begin : g_bank
            asm_precompute #(.IN_W(IN_W), .NA(NA), .M_W(M_W)) u_bank (.x(x_lane[0]), .multiples(bank));
        end else begin : g_nobank
            assign bank = {4*M_W{1'b0}};
        end

        for (p = 0; p < P; p = p + 1) begin : g_lane
            wire [CODE_W-1:0] code = w_q[p*LW +: CODE_W];
            wire [ACC_W-1:0]  bias = b_q[p*ACC_W +: ACC_W];
            if (KIND == 0) begin : g_mac
                mac_lane #(.IN_W(IN_W), .W_W(CODE_W), .ACC_W(ACC_W)) u_lane (
                    .clk(clk), .en(c_valid), .first(c_first), .bias(bias), .code(code), .x(x_lane[p]),
                    .acc_next(acc_next[p]));
            end else if (KIND == 1) begin : g_pot
                pot_lane #(.IN_W(IN_W), .ACC_W(ACC_W)) u_lane (
                    .clk(clk), .en(c_valid), .first(c_first), .bias(bias), .code(code[3:0]), .x(x_lane[p]),
                    .acc_next(acc_next[p]));
            end else begin : g_asm
                asm_lane #(.IN_W(IN_W), .ACC_W(ACC_W), .M_W(M_W)) u_lane (
                    .clk(clk), .en(c_valid), .first(c_first), .bias(bias), .code(code[10:0]),
                    .multiples(bank), .acc_next(acc_next[p]));
            end
            if (HIDDEN != 0) begin : g_rq
                mac_requant #(.ACC_W(ACC_W), .SHIFT(SHIFT), .OUT_W(RES_W)) u_rq (
                    .acc(acc_next[p]), .act(res[p*RES_W +: RES_W]));
            end else begin : g_score
                assign res[p*RES_W +: RES_W] = acc_next[p];
            end
        end
    endgenerate

    // ---------------------------------------------------------------- collect, output FIFO, in-flight credit
    fold_collector #(.MH(MH), .PE(P), .RES_W(RES_W), .OUT_DEPTH(OUT_DEPTH)) u_out_fifo (
        .clk(clk), .rst_n(rst_n), .start(start), .room(room),
        .c_valid(c_valid), .c_last(c_last), .c_final(c_final), .c_group(c_g), .c_res(res),
        .out_data(out_data), .out_valid(out_valid), .out_ready(out_ready)
    );
`ifdef EDGEBENCH_PROTOCOL_CHECK  // simulation only: this module's output stream obeys valid/ready
    stream_protocol_checker #(.WIDTH(OUT_W)) out_protocol (clk, rst_n, out_valid, out_ready, out_data);
`endif
endmodule
