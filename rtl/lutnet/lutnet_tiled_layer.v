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
// Memories (all written by golden/lutnet_design.py):
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
    localparam integer CREDIT_W = $clog2(OUT_DEPTH + 1);
    localparam integer RES_W    = (THRESH != 0) ? 1 : ACC_W;  // result width per neuron

    // ---------------------------------------------------------------- parameter memories
    reg [PE*SIMD*V-1:0]    tmem [0:FOLDS-1];
    reg [SIMD*K*IDX_W-1:0] cmem [0:SF-1];
    initial $readmemh(TABLE_FILE, tmem);
    initial $readmemh(CONN_FILE, cmem);

    // ---------------------------------------------------------------- input double buffer + fold counters
    reg [MW-1:0]       in_buf_q, work_q;
    reg                in_full_q, busy_q;
    reg [ADDR_W-1:0]   addr_q;
    reg [NF_W-1:0]     nf_q;
    reg [SF_W-1:0]     sf_q;
    reg [CREDIT_W-1:0] inflight_q;  // vectors started and not yet taken from the output FIFO

    wire fifo_pop   = out_valid && out_ready;
    wire last_fold  = (addr_q == ADDR_W'(FOLDS - 1));
    wire start      = in_full_q && (!busy_q || last_fold) && (inflight_q < CREDIT_W'(OUT_DEPTH));
    wire accept     = in_valid && in_ready;
    wire issue      = busy_q;

    assign in_ready = !in_full_q || start;

    always @(posedge clk) begin
        if (!rst_n) begin
            in_full_q  <= 1'b0;
            busy_q     <= 1'b0;
            addr_q     <= {ADDR_W{1'b0}};
            nf_q       <= {NF_W{1'b0}};
            sf_q       <= {SF_W{1'b0}};
            inflight_q <= {CREDIT_W{1'b0}};
            in_buf_q   <= {MW{1'b0}};
            work_q     <= {MW{1'b0}};
        end else begin
            if (accept) in_buf_q <= in_data;
            in_full_q <= accept || (in_full_q && !start);
            if (start) work_q <= in_buf_q;
            inflight_q <= inflight_q + CREDIT_W'(start) - CREDIT_W'(fifo_pop);
            if (start) begin
                busy_q <= 1'b1;
                addr_q <= {ADDR_W{1'b0}};
                nf_q   <= {NF_W{1'b0}};
                sf_q   <= {SF_W{1'b0}};
            end else if (issue) begin
                busy_q <= !last_fold;
                addr_q <= addr_q + 1'b1;
                sf_q   <= (sf_q == SF_W'(SF - 1)) ? {SF_W{1'b0}} : sf_q + 1'b1;
                if (sf_q == SF_W'(SF - 1)) nf_q <= nf_q + 1'b1;
            end
        end
    end

    // ---------------------------------------------------------------- issue: gather the LUT address bits
    wire [SIMD*K*IDX_W-1:0] conn_w = cmem[sf_q];  // small ROM, read combinationally
    wire [SIMD*K-1:0]       lut_addr;
    genvar g;
    generate
        for (g = 0; g < SIMD * K; g = g + 1) begin : g_gather
            assign lut_addr[g] = work_q[conn_w[g*IDX_W +: IDX_W]];
        end
    endgenerate

    // ---------------------------------------------------------------- issue -> compute registers
    reg [PE*SIMD*V-1:0] tt_q;
    reg [SIMD*K-1:0]    a_q;
    reg                 c_valid_q, c_first_q, c_last_q, c_final_q;
    reg [NF_W-1:0]      c_nf_q;

    always @(posedge clk) begin
        tt_q <= tmem[addr_q];  // synchronous read: maps to block RAM
        a_q  <= lut_addr;
    end

    always @(posedge clk) begin
        if (!rst_n) begin
            c_valid_q <= 1'b0;
            c_first_q <= 1'b0;
            c_last_q  <= 1'b0;
            c_final_q <= 1'b0;
            c_nf_q    <= {NF_W{1'b0}};
        end else begin
            c_valid_q <= issue;
            c_first_q <= (sf_q == {SF_W{1'b0}});
            c_last_q  <= (sf_q == SF_W'(SF - 1));
            c_final_q <= last_fold;
            c_nf_q    <= nf_q;
        end
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
    wire [PE*RES_W-1:0] res;  // this fold's results, meaningful when c_last_q

    genvar p, s;
    generate
        for (p = 0; p < PE; p = p + 1) begin : g_pe
            wire [SIMD-1:0] lut_out;
            for (s = 0; s < SIMD; s = s + 1) begin : g_lut
                wire [V-1:0] table_bits = tt_q[(p*SIMD + s)*V +: V];
                assign lut_out[s] = table_bits[a_q[s*K +: K]];
            end
            wire [PC_W-1:0] pc = popcount(lut_out);
            assign acc_d[p] = (c_first_q ? {ACC_W{1'b0}} : acc_q[p]) + ACC_W'(pc);
            always @(posedge clk) begin
                if (c_valid_q) acc_q[p] <= acc_d[p];
            end
        end

        if (THRESH != 0) begin : g_thresh
            // Threshold memory, read at issue like the tables so it lines up with the fold it serves.
            reg [PE*ACC_W-1:0] thmem [0:NF-1];
            reg [PE*ACC_W-1:0] t_q;
            initial $readmemh(THRESH_FILE, thmem);
            always @(posedge clk) t_q <= thmem[nf_q];
            for (p = 0; p < PE; p = p + 1) begin : g_cmp
                assign res[p] = (acc_d[p] >= t_q[p*ACC_W +: ACC_W]);
            end
        end else begin : g_scores
            for (p = 0; p < PE; p = p + 1) begin : g_score
                assign res[p*RES_W +: RES_W] = acc_d[p];
            end
        end
    endgenerate

    // ---------------------------------------------------------------- collect neuron folds into one output vector
    reg  [OUT_W-1:0] collect_q;
    wire [OUT_W-1:0] collect_d;
    genvar n;
    generate
        for (n = 0; n < MH; n = n + 1) begin : g_collect
            wire mine = c_valid_q && c_last_q && (c_nf_q == NF_W'(n / PE));
            assign collect_d[n*RES_W +: RES_W] = mine ? res[(n % PE)*RES_W +: RES_W] : collect_q[n*RES_W +: RES_W];
        end
    endgenerate

    always @(posedge clk) begin
        if (!rst_n) collect_q <= {OUT_W{1'b0}};
        else collect_q <= collect_d;
    end

    wire push = c_valid_q && c_final_q;

    // The credit check at start guarantees room, so the FIFO's in_ready is always high on a push.
    /* verilator lint_off PINCONNECTEMPTY */
    stream_fifo #(.WIDTH(OUT_W), .DEPTH(OUT_DEPTH)) u_out_fifo (
        .clk      (clk),
        .rst_n    (rst_n),
        .in_data  (collect_d),
        .in_valid (push),
        .in_ready (),
        .out_data (out_data),
        .out_valid(out_valid),
        .out_ready(out_ready)
    );
    /* verilator lint_on PINCONNECTEMPTY */
`ifdef EDGEBENCH_PROTOCOL_CHECK  // simulation only: this module's output stream obeys valid/ready
    stream_protocol_checker #(.WIDTH(OUT_W)) out_protocol (clk, rst_n, out_valid, out_ready, out_data);
`endif
endmodule
