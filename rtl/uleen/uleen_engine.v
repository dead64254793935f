// One ULEEN submodel, time-multiplexed over U hash units (see README.md):
//   filter f = g*U + u (group g in 0..G-1, unit u in 0..U-1; filters >= F are padding with mask 0);
//   cycle (g, h) of a vector: unit u hashes filter g*U+u with hash function h and reads its table word
//   (all classes at once: the H3 parameters are shared by the classes); the K lookups are ANDed
//   (Bloom filter), masked by the pruning mask and popcounted per class into the accumulators.
// A vector takes K*G active cycles. Pipeline: A (hash + registered table/mask read), B (Bloom AND),
// C (popcount + accumulate); `done` pulses 3 cycles after `last`, when `sums` holds the vector's counts.
// Memories ($readmemh, written by designs/uleen.py):
//   PERM_FILE: G*U*N words, word p = index of the input bit feeding permuted position p (IN_BITS = zero);
//   H3_FILE:   K*N words of W bits, word h*N + j = m[h][j];
//   TAB_FILE:  U*GP*2^W words of C bits, word {u, g, e} = table[.][g*U+u][e] (class c at bit c);
//   MASK_FILE: U*GP words of C bits, word {u, g} = mask[.][g*U+u] (1 = kept).
// GP = 2^GCW >= G: the unit index u is the constant high part of every address unit u reads, so each
// hash unit reads its own bank of GP*2^W words (a physical bank per unit, as in the ULEEN accelerator).
module uleen_engine #(
    parameter integer IN_BITS = 256,
    parameter integer C       = 10,
    parameter integer N       = 16,
    parameter integer K       = 2,
    parameter integer W       = 6,
    parameter integer U       = 16,
    parameter integer G       = 1,
    parameter integer ACC_W   = 8,
    parameter PERM_FILE = "perm0.hex",
    parameter H3_FILE   = "h3_0.hex",
    parameter TAB_FILE  = "tab0.hex",
    parameter MASK_FILE = "mask0.hex"
) (
    input  wire               clk,
    input  wire               rst_n,
    input  wire [IN_BITS-1:0] x,       // held stable while the vector is processed
    input  wire               active,  // one (g, h) step this cycle
    input  wire               last,    // the vector's last cycle (all engines)
    output reg  [C*ACC_W-1:0] sums,
    output wire               done
);
    localparam integer E     = 1 << W;
    localparam integer NF    = G * U;                 // filters incl. padding
    localparam integer XP    = NF * N;                // permuted bits
    localparam integer PW    = $clog2(IN_BITS + 1);
    localparam integer UW    = (U > 1) ? $clog2(U) : 1;
    localparam integer FW    = (NF > 1) ? $clog2(NF) : 1;
    localparam integer HCW   = (K > 1) ? $clog2(K) : 1;
    localparam integer GCW   = (G > 1) ? $clog2(G) : 1;
    localparam integer CW    = $clog2(U + 1);
    localparam integer GP    = 1 << GCW;
    localparam integer AW    = UW + GCW + W;

    // mem2reg: Yosys' frontend turns this ROM into constant words, so its constant-address reads fold into wiring
    // before any memory pass. As a memory, its XP read ports were merged into one word XP x PW bits wide, read XP
    // times; at BTHOWeN-Medium's 2,352 inputs that exhausted Yosys' 4 GiB (WebAssembly) address space.
    (* mem2reg *) reg [PW-1:0] perm_rom [0:XP-1];
    reg [W-1:0]   h3_rom   [0:K*N-1];
    reg [C-1:0]   tab_rom  [0:U*GP*E-1];
    reg [C-1:0]   mask_rom [0:U*GP-1];
    initial begin
        $readmemh(PERM_FILE, perm_rom);
        $readmemh(H3_FILE, h3_rom);
        $readmemh(TAB_FILE, tab_rom);
        $readmemh(MASK_FILE, mask_rom);
    end

    // Input permutation: perm_rom is read at constant addresses only, so synthesis folds it into wiring.
    wire [IN_BITS:0] xpad = {1'b0, x};
    wire [XP-1:0] xp;
    genvar p;
    generate
        for (p = 0; p < XP; p = p + 1) begin : g_perm
            assign xp[p] = xpad[perm_rom[p]];
        end
    endgenerate

    // ---------------- stage A: counters, hashes, table and mask reads
    reg [HCW-1:0] h_q;
    reg [GCW-1:0] g_q;
    wire h_end = (h_q == HCW'(K - 1));
    wire g_end = (g_q == GCW'(G - 1));
    always @(posedge clk) begin
        if (!rst_n) begin
            h_q <= {HCW{1'b0}};
            g_q <= {GCW{1'b0}};
        end else if (active) begin
            h_q <= h_end ? {HCW{1'b0}} : h_q + 1'b1;
            if (h_end) g_q <= g_end ? {GCW{1'b0}} : g_q + 1'b1;
        end
    end

    reg [N*W-1:0] m_sel;  // parameters of hash h_q
    integer j;
    always @(*) begin
        for (j = 0; j < N; j = j + 1) m_sel[j*W +: W] = h3_rom[32'(h_q) * N + j];
    end

    reg [U*C-1:0] rd_q;    // table words, unit u at [u*C +: C]
    reg [U*C-1:0] mk_q;    // mask words
    reg vA_q, fhA_q, lhA_q, fgA_q, lastA_q;
    genvar u;
    generate
        for (u = 0; u < U; u = u + 1) begin : g_unit
            wire [FW-1:0] f = FW'(32'(g_q) * U + u);
            wire [N-1:0] xin = xp[32'(f) * N +: N];
            wire [W-1:0] hash;
            uleen_h3 #(.N(N), .W(W)) u_h3 (.x(xin), .m(m_sel), .hash(hash));
            wire [UW-1:0] bank = UW'(u);
            wire [AW-1:0] addr = {bank, g_q, hash};
            always @(posedge clk) begin
                rd_q[u*C +: C] <= tab_rom[addr];
                mk_q[u*C +: C] <= mask_rom[{bank, g_q}];
            end
        end
    endgenerate

    always @(posedge clk) begin
        if (!rst_n) begin
            vA_q <= 1'b0; fhA_q <= 1'b0; lhA_q <= 1'b0; fgA_q <= 1'b0; lastA_q <= 1'b0;
        end else begin
            vA_q    <= active;
            fhA_q   <= (h_q == {HCW{1'b0}});
            lhA_q   <= h_end;
            fgA_q   <= (g_q == {GCW{1'b0}});
            lastA_q <= last;
        end
    end

    // ---------------- stage B: Bloom AND over the K hashes, pruning mask
    reg [U*C-1:0] and_q;
    reg [U*C-1:0] grp_q;
    reg vB_q, fgB_q, lastB_q;
    wire [U*C-1:0] and_d = (fhA_q ? {U*C{1'b1}} : and_q) & rd_q;
    always @(posedge clk) begin
        if (vA_q) and_q <= and_d;
        if (vA_q && lhA_q) grp_q <= and_d & mk_q;
        if (!rst_n) begin
            vB_q <= 1'b0; fgB_q <= 1'b0; lastB_q <= 1'b0;
        end else begin
            vB_q    <= vA_q && lhA_q;
            fgB_q   <= fgA_q;
            lastB_q <= lastA_q;
        end
    end

    // ---------------- stage C: popcount per class, accumulate over groups
    wire [C*CW-1:0] counts;
    uleen_popcount #(.U(U), .C(C), .CW(CW)) u_pop (.bits(grp_q), .counts(counts));
    reg lastC_q;
    integer c;
    always @(posedge clk) begin
        if (!rst_n) begin
            sums    <= {C*ACC_W{1'b0}};
            lastC_q <= 1'b0;
        end else begin
            lastC_q <= lastB_q;
            if (vB_q) begin
                for (c = 0; c < C; c = c + 1) begin
                    sums[c*ACC_W +: ACC_W] <= (fgB_q ? {ACC_W{1'b0}} : sums[c*ACC_W +: ACC_W])
                                              + ACC_W'(counts[c*CW +: CW]);
                end
            end
        end
    end
    assign done = lastC_q;
endmodule
