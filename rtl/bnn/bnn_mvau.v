// FINN-style binarized Matrix-Vector-Activation Unit.
//
// One layer with MW inputs and MH neurons, folded as NF = MH/PE neuron folds by SF = MW/SIMD synapse folds:
// each cycle PE neurons each consume SIMD input bits, so a vector takes NF*SF cycles (one fold per cycle)
// and back-to-back vectors start every NF*SF cycles.
//   acc[n]  = popcount(XNOR(x, w[n]))  over MW inputs, 0 <= acc <= MW (ACC_W bits)
//   THRESH=1: out bit n = (acc[n] >= T[n]), T as wide as the accumulator, T in [0, MW+1]
//   THRESH=0: out field n = acc[n] (class scores, ACC_W bits each)
// Neuron n = nf*PE + pe is computed by PE pe in neuron fold nf.
// Weight memory word nf*SF + sf, bit pe*SIMD + s = w[nf*PE + pe][sf*SIMD + s] (WEIGHT_FILE);
// threshold memory word nf, bits [pe*ACC_W +: ACC_W] = T[nf*PE + pe] (THRESH_FILE).
//
// Pipeline: issue (memory address) -> compute (registered memory data, XNOR-popcount-accumulate,
// threshold). A vector is only started when the output FIFO is sure to have room for it (in-flight
// credit), so the fold pipeline never stalls in the middle of a vector.
module bnn_mvau #(
    parameter integer MW          = 64,
    parameter integer MH          = 64,
    parameter integer PE          = 8,
    parameter integer SIMD        = 16,
    parameter integer THRESH      = 1,
    parameter         WEIGHT_FILE = "weights.hex",
    parameter         THRESH_FILE = "thresholds.hex",
    parameter integer ACC_W       = $clog2(MW + 2),  // holds 0..MW+1 so "never fires" is representable
    parameter integer OUT_W       = (THRESH != 0) ? MH : MH * ACC_W,
    parameter integer OUT_DEPTH   = 2
) (
    input  wire             clk,
    input  wire             rst_n,
    input  wire [MW-1:0]    in_data,
    input  wire             in_valid,
    output wire             in_ready,
    output wire [OUT_W-1:0] out_data,
    output wire             out_valid,
    input  wire             out_ready
);
    localparam integer NF      = MH / PE;
    localparam integer SF      = MW / SIMD;
    localparam integer FOLDS   = NF * SF;
    localparam integer ADDR_W  = (FOLDS > 1) ? $clog2(FOLDS) : 1;
    localparam integer NF_W    = (NF > 1) ? $clog2(NF) : 1;
    localparam integer SF_W    = (SF > 1) ? $clog2(SF) : 1;
    localparam integer PC_W    = $clog2(SIMD + 1);
    localparam integer RES_W   = (THRESH != 0) ? 1 : ACC_W;  // result width per neuron

    // ---------------------------------------------------------------- parameter memories
    reg [PE*SIMD-1:0] wmem [0:FOLDS-1];
    initial $readmemh(WEIGHT_FILE, wmem);

    // ---------------------------------------------------------------- input double buffer + fold counters
    wire [MW-1:0]     work;
    wire              start, room, issue;
    wire [ADDR_W-1:0] addr;
    wire [SF_W-1:0]   sf;
    wire [NF_W-1:0]   c_nf;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [NF_W-1:0]   nf;  // only the threshold memory reads it (THRESH=1)
    /* verilator lint_on UNUSEDSIGNAL */
    wire              c_valid, c_first, c_last, c_final;

    fold_sequencer #(.VEC_W(MW), .STEPS(FOLDS), .GROUPS(NF), .GROUP_STEPS(SF)) u_seq (
        .clk(clk), .rst_n(rst_n), .in_data(in_data), .in_valid(in_valid), .in_ready(in_ready),
        .room(room), .group_end(1'b0), .start(start), .work(work),
        .issue(issue), .step(addr), .inner(sf), .group(nf),
        .c_valid(c_valid), .c_first(c_first), .c_last(c_last), .c_final(c_final), .c_group(c_nf)
    );

    // ---------------------------------------------------------------- issue -> compute registers
    reg [PE*SIMD-1:0]  w_q;
    reg [SIMD-1:0]     x_q;

    // Synchronous reads (block RAM), enabled only on issue cycles so an idle layer does not read its memories.
    always @(posedge clk) begin
        if (issue) begin
            w_q <= wmem[addr];
            x_q <= work[sf*SIMD +: SIMD];
        end
    end

    // ---------------------------------------------------------------- compute: XNOR-popcount-accumulate-threshold
    function automatic [PC_W-1:0] popcount(input [SIMD-1:0] v);
        integer b;
        begin
            popcount = {PC_W{1'b0}};
            for (b = 0; b < SIMD; b = b + 1) popcount = popcount + PC_W'(v[b]);
        end
    endfunction

    reg  [ACC_W-1:0] acc_q [0:PE-1];
    wire [ACC_W-1:0] acc_d [0:PE-1];
    wire [PE*RES_W-1:0] res;  // this fold's results, meaningful when c_last

    genvar p;
    generate
        for (p = 0; p < PE; p = p + 1) begin : g_pe
            wire [PC_W-1:0] pc = popcount(~(w_q[p*SIMD +: SIMD] ^ x_q));
            assign acc_d[p] = (c_first ? {ACC_W{1'b0}} : acc_q[p]) + ACC_W'(pc);
            always @(posedge clk) begin
                if (c_valid) acc_q[p] <= acc_d[p];
            end
        end

        if (THRESH != 0) begin : g_thresh
            // Threshold memory, read at issue like the weights so it lines up with the fold it serves.
            reg [PE*ACC_W-1:0] tmem [0:NF-1];
            reg [PE*ACC_W-1:0] t_q;
            initial $readmemh(THRESH_FILE, tmem);
            always @(posedge clk) begin
                if (issue) t_q <= tmem[nf];
            end
            for (p = 0; p < PE; p = p + 1) begin : g_cmp
                assign res[p] = (acc_d[p] >= t_q[p*ACC_W +: ACC_W]);
            end
        end else begin : g_scores
            for (p = 0; p < PE; p = p + 1) begin : g_score
                assign res[p*RES_W +: RES_W] = acc_d[p];
            end
        end
    endgenerate

    // ---------------------------------------------------------------- collect, output FIFO, in-flight credit
    fold_collector #(.MH(MH), .PE(PE), .RES_W(RES_W), .OUT_DEPTH(OUT_DEPTH)) u_out_fifo (
        .clk(clk), .rst_n(rst_n), .start(start), .room(room),
        .c_valid(c_valid), .c_last(c_last), .c_final(c_final), .c_group(c_nf), .c_res(res),
        .out_data(out_data), .out_valid(out_valid), .out_ready(out_ready)
    );
`ifdef EDGEBENCH_PROTOCOL_CHECK  // simulation only: this module's output stream obeys valid/ready
    stream_protocol_checker #(.WIDTH(OUT_W)) out_protocol (clk, rst_n, out_valid, out_ready, out_data);
`endif
endmodule
