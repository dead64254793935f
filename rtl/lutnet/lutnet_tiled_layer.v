// Tiled LUTNet layer: truth tables and the connection map in memories, folded like FINN's MVAU.
//
// One layer with MW inputs and MH neurons; every synapse i is a K-input LUT reading inputs conn[i][0..K-1]
// (conn[i][0] = i; one connection map per layer, shared by its neurons), LUT address
// addr_i = sum_k x[conn[i][k]] << k. Neuron n's accumulator is the popcount of its MW LUT outputs
// tt[n][i][addr_i] (0 <= acc <= MW, ACC_W bits).
//   THRESH=1: out bit n = (acc[n] >= T[n]), T as wide as the accumulator, T in [0, MW+1]
//   THRESH=0: out field n = acc[n] (class scores, ACC_W bits each)
// Folding: NF = MH/PE neuron folds by SF = MW/SIMD synapse folds, one fold per cycle, so a vector takes
// NF*SF cycles and back-to-back vectors start every NF*SF cycles. Neuron n = nf*PE + pe, synapse i = sf*SIMD + s.
// Memories (all written by designs/lutnet.py):
//   TABLE_FILE  word nf*SF + sf, bits [(pe*SIMD + s)*V +: V] = truth table of (neuron nf*PE+pe, synapse sf*SIMD+s),
//               bit a = LUT output for address a (V = 2**K);
//   CONN_FILE   word sf, bits [(s*K + k)*IDX_W +: IDX_W] = conn[sf*SIMD + s][k];
//   THRESH_FILE word nf, bits [pe*ACC_W +: ACC_W] = T[nf*PE + pe].
//
// Pipeline: issue (table address; connection word read combinationally and the K*SIMD address bits gathered
// from the working vector) -> compute (registered table word and addresses, LUT lookup, popcount-accumulate,
// threshold) -> output FIFO. A vector is only started when the output FIFO is sure to have room for it
// (in-flight credit), so the fold pipeline never stalls in the middle of a vector.
module lutnet_tiled_layer #(
    parameter integer MW          = 64,
    parameter integer MH          = 64,
    parameter integer K           = 4,
    parameter integer PE          = 8,
    parameter integer SIMD        = 16,
    parameter integer THRESH      = 1,
    parameter         TABLE_FILE  = "tables.hex",
    parameter         CONN_FILE   = "conn.hex",
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
    localparam integer V        = 1 << K;
    localparam integer NF       = MH / PE;
    localparam integer SF       = MW / SIMD;
    localparam integer FOLDS    = NF * SF;
    localparam integer ADDR_W   = (FOLDS > 1) ? $clog2(FOLDS) : 1;
    localparam integer NF_W     = (NF > 1) ? $clog2(NF) : 1;
    localparam integer SF_W     = (SF > 1) ? $clog2(SF) : 1;
    localparam integer IDX_W    = (MW > 1) ? $clog2(MW) : 1;
    localparam integer PC_W     = $clog2(SIMD + 1);
    localparam integer RES_W    = (THRESH != 0) ? 1 : ACC_W;  // result width per neuron

    // ---------------------------------------------------------------- parameter memories
    reg [PE*SIMD*V-1:0]    tmem [0:FOLDS-1];
    reg [SIMD*K*IDX_W-1:0] cmem [0:SF-1];
    initial $readmemh(TABLE_FILE, tmem);
    initial $readmemh(CONN_FILE, cmem);

    // ---------------------------------------------------------------- input double buffer + fold counters
    wire [MW-1:0]     work;
    wire              start, room;
    wire [ADDR_W-1:0] addr;
    wire [SF_W-1:0]   sf;
    wire [NF_W-1:0]   c_nf;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [NF_W-1:0]   nf;  // only the threshold memory reads it (THRESH=1)
    /* verilator lint_on UNUSEDSIGNAL */
    wire              c_valid, c_first, c_last, c_final;

    /* verilator lint_off PINCONNECTEMPTY */
    fold_sequencer #(.VEC_W(MW), .STEPS(FOLDS), .GROUPS(NF), .GROUP_STEPS(SF)) u_seq (
        .clk(clk), .rst_n(rst_n), .in_data(in_data), .in_valid(in_valid), .in_ready(in_ready),
        .room(room), .group_end(1'b0), .start(start), .work(work),
        .issue(), .step(addr), .inner(sf), .group(nf),
        .c_valid(c_valid), .c_first(c_first), .c_last(c_last), .c_final(c_final), .c_group(c_nf)
    );
    /* verilator lint_on PINCONNECTEMPTY */

    // ---------------------------------------------------------------- issue: gather the LUT address bits
    wire [SIMD*K*IDX_W-1:0] conn_w = cmem[sf];  // small ROM, read combinationally
    wire [SIMD*K-1:0]       lut_addr;
    genvar g;
    generate
        for (g = 0; g < SIMD * K; g = g + 1) begin : g_gather
            assign lut_addr[g] = work[conn_w[g*IDX_W +: IDX_W]];
        end
    endgenerate

    // ---------------------------------------------------------------- issue -> compute registers
    reg [PE*SIMD*V-1:0] tt_q;
    reg [SIMD*K-1:0]    a_q;

    always @(posedge clk) begin
        tt_q <= tmem[addr];  // synchronous read: maps to block RAM
        a_q  <= lut_addr;
    end

    // ---------------------------------------------------------------- compute: LUT-popcount-accumulate-threshold
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

    genvar p, s;
    generate
        for (p = 0; p < PE; p = p + 1) begin : g_pe
            wire [SIMD-1:0] lut_out;
            for (s = 0; s < SIMD; s = s + 1) begin : g_lut
                wire [V-1:0] table_bits = tt_q[(p*SIMD + s)*V +: V];
                assign lut_out[s] = table_bits[a_q[s*K +: K]];
            end
            wire [PC_W-1:0] pc = popcount(lut_out);
            assign acc_d[p] = (c_first ? {ACC_W{1'b0}} : acc_q[p]) + ACC_W'(pc);
            always @(posedge clk) begin
                if (c_valid) acc_q[p] <= acc_d[p];
            end
        end

        if (THRESH != 0) begin : g_thresh
            // Threshold memory, read at issue like the tables so it lines up with the fold it serves.
            reg [PE*ACC_W-1:0] thmem [0:NF-1];
            reg [PE*ACC_W-1:0] t_q;
            initial $readmemh(THRESH_FILE, thmem);
            always @(posedge clk) t_q <= thmem[nf];
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
