// ULEEN weightless neural network on the edgebench stream interface (see README.md):
//   input (thermometer) bits -> stream_deserializer -> vector register -> 1..3 submodel engines
//   (uleen_engine, run in lockstep) -> sum + bias -> result FIFO -> argmax_output (the stream parts in core_shell).
// Submodel slot s is used when s < N_SUB; each slot has its own N (inputs per filter), K (hashes),
// W (log2 entries), U (hash units), G = ceil(ceil(IN_BITS/N) / U) (filter groups) and memory files.
// Initiation interval (cycles per inference):
//   II = max(ceil(IN_BITS / BUS_WIDTH), max over used s of K_s * G_s).
// The result FIFO and its credits are in core_shell (RES_DEPTH): it offers a vector only while the FIFO has a
// free slot for its result, so back-pressure on the output never loses a result; the input stalls instead.
module uleen_top #(
    parameter integer BUS_WIDTH = 64,
    parameter integer IN_BITS   = 256,
    parameter integer N_CLASSES = 10,
    parameter integer SCORE_W   = 8,
    parameter integer N_SUB     = 1,
    parameter integer N0 = 16, parameter integer K0 = 2, parameter integer W0 = 6,
    parameter integer U0 = 16, parameter integer G0 = 1,
    parameter integer N1 = 16, parameter integer K1 = 2, parameter integer W1 = 6,
    parameter integer U1 = 16, parameter integer G1 = 1,
    parameter integer N2 = 16, parameter integer K2 = 2, parameter integer W2 = 6,
    parameter integer U2 = 16, parameter integer G2 = 1,
    parameter PERM_FILE0 = "perm0.hex", parameter H3_FILE0 = "h3_0.hex",
    parameter TAB_FILE0  = "tab0.hex",  parameter MASK_FILE0 = "mask0.hex",
    parameter PERM_FILE1 = "perm1.hex", parameter H3_FILE1 = "h3_1.hex",
    parameter TAB_FILE1  = "tab1.hex",  parameter MASK_FILE1 = "mask1.hex",
    parameter PERM_FILE2 = "perm2.hex", parameter H3_FILE2 = "h3_2.hex",
    parameter TAB_FILE2  = "tab2.hex",  parameter MASK_FILE2 = "mask2.hex",
    parameter BIAS_FILE  = "bias.hex",
    parameter integer RES_DEPTH = 8,
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
    localparam integer C  = N_CLASSES;
    localparam integer L0 = K0 * G0;
    localparam integer L1 = (N_SUB > 1) ? K1 * G1 : 1;
    localparam integer L2 = (N_SUB > 2) ? K2 * G2 : 1;
    localparam integer L01 = (L0 > L1) ? L0 : L1;
    localparam integer L  = (L01 > L2) ? L01 : L2;  // engine cycles per vector
    localparam integer LW = (L > 1) ? $clog2(L) : 1;
    localparam integer SW = C * SCORE_W;

    // ---------------- stream shell: input deserializer; result FIFO with credits (RES_DEPTH) and argmax
    wire [IN_BITS-1:0] vec_data;
    wire vec_valid, vec_ready;
    reg [SW-1:0] score_q;
    reg          score_valid_q;
    /* verilator lint_off UNUSEDSIGNAL */
    wire score_ready;  // always high: the shell offers a vector only while the result FIFO has room for it
    /* verilator lint_on UNUSEDSIGNAL */
    core_shell #(.BUS_WIDTH(BUS_WIDTH), .IN_BITS(IN_BITS), .N_CLASSES(C), .SCORE_W(SCORE_W), .RES_DEPTH(RES_DEPTH),
                 .CLASS_W(CLASS_W)) u_shell (
        .clk(clk), .rst_n(rst_n), .in_data(in_data), .in_valid(in_valid), .in_ready(in_ready), .in_last(in_last),
        .out_class(out_class), .out_scores(out_scores), .out_valid(out_valid), .out_ready(out_ready),
        .vec_data(vec_data), .vec_valid(vec_valid), .vec_ready(vec_ready),
        .scores(score_q), .scores_valid(score_valid_q), .scores_ready(score_ready)
    );

    // ---------------- control: one vector every L cycles while the shell offers vectors
    reg [IN_BITS-1:0] x_q;
    reg               busy_q;
    reg [LW-1:0]      cnt_q;
    wire at_end = busy_q && (cnt_q == LW'(L - 1));
    assign vec_ready = !busy_q || at_end;
    wire start = vec_valid && vec_ready;

    always @(posedge clk) begin
        if (!rst_n) begin
            busy_q  <= 1'b0;
            cnt_q   <= {LW{1'b0}};
        end else begin
            if (start) begin
                busy_q <= 1'b1;
                cnt_q  <= {LW{1'b0}};
            end else if (at_end) begin
                busy_q <= 1'b0;
            end else if (busy_q) begin
                cnt_q <= cnt_q + 1'b1;
            end
        end
    end
    always @(posedge clk) begin
        if (start) x_q <= vec_data;
    end

    // ---------------- submodel engines
    wire [SW-1:0] sums0, sums1, sums2;
    wire done0;
    uleen_engine #(.IN_BITS(IN_BITS), .C(C), .N(N0), .K(K0), .W(W0), .U(U0), .G(G0), .ACC_W(SCORE_W),
                   .PERM_FILE(PERM_FILE0), .H3_FILE(H3_FILE0), .TAB_FILE(TAB_FILE0), .MASK_FILE(MASK_FILE0)) u_s0 (
        .clk(clk), .rst_n(rst_n), .x(x_q), .active(busy_q && (32'(cnt_q) < L0)), .last(at_end),
        .sums(sums0), .done(done0)
    );
    generate
        if (N_SUB > 1) begin : g_s1
            /* verilator lint_off UNUSEDSIGNAL */
            wire done1;
            /* verilator lint_on UNUSEDSIGNAL */
            uleen_engine #(.IN_BITS(IN_BITS), .C(C), .N(N1), .K(K1), .W(W1), .U(U1), .G(G1), .ACC_W(SCORE_W),
                           .PERM_FILE(PERM_FILE1), .H3_FILE(H3_FILE1), .TAB_FILE(TAB_FILE1),
                           .MASK_FILE(MASK_FILE1)) u_s1 (
                .clk(clk), .rst_n(rst_n), .x(x_q), .active(busy_q && (32'(cnt_q) < L1)), .last(at_end),
                .sums(sums1), .done(done1)
            );
        end else begin : g_no1
            assign sums1 = {SW{1'b0}};
        end
        if (N_SUB > 2) begin : g_s2
            /* verilator lint_off UNUSEDSIGNAL */
            wire done2;
            /* verilator lint_on UNUSEDSIGNAL */
            uleen_engine #(.IN_BITS(IN_BITS), .C(C), .N(N2), .K(K2), .W(W2), .U(U2), .G(G2), .ACC_W(SCORE_W),
                           .PERM_FILE(PERM_FILE2), .H3_FILE(H3_FILE2), .TAB_FILE(TAB_FILE2),
                           .MASK_FILE(MASK_FILE2)) u_s2 (
                .clk(clk), .rst_n(rst_n), .x(x_q), .active(busy_q && (32'(cnt_q) < L2)), .last(at_end),
                .sums(sums2), .done(done2)
            );
        end else begin : g_no2
            assign sums2 = {SW{1'b0}};
        end
    endgenerate

    // ---------------- ensemble sum + bias (all engines finish in the same cycle: done0)
    reg [SCORE_W-1:0] bias_rom [0:C-1];
    initial $readmemh(BIAS_FILE, bias_rom);
    integer c;
    always @(posedge clk) begin
        if (!rst_n) begin
            score_valid_q <= 1'b0;
        end else begin
            score_valid_q <= done0;
        end
        if (done0) begin
            for (c = 0; c < C; c = c + 1) begin
                score_q[c*SCORE_W +: SCORE_W] <= bias_rom[c] + sums0[c*SCORE_W +: SCORE_W]
                                                + sums1[c*SCORE_W +: SCORE_W] + sums2[c*SCORE_W +: SCORE_W];
            end
        end
    end
endmodule
