// ASM pre-computer bank: the alphabet multiples of one activation, computed once and shared by all lanes.
// Alphabet entry k is 2k+1 (nested alphabets {1}, {1,3}, {1,3,5,7}); NA entries are built, the others are 0.
//   m[0] = x, m[1] = 3x = (x << 1) + x, m[2] = 5x = (x << 2) + x, m[3] = 7x = (x << 3) - x.
// Output: entry k at bits [k*M_W +: M_W], M_W = IN_W + 3.
module asm_precompute #(
    parameter integer IN_W = 8,
    parameter integer NA   = 4,
    parameter integer M_W  = IN_W + 3,
    parameter integer BANK_W = M_W << 2
) (
    input  wire [IN_W-1:0]   x,
    output wire [BANK_W-1:0] multiples
);
    wire [M_W-1:0] x1 = {3'd0, x};
    wire [M_W-1:0] m1 = x1;
    wire [M_W-1:0] m3 = (NA >= 2) ? (x1 << 1) + x1 : {M_W{1'b0}};
    wire [M_W-1:0] m5 = (NA >= 4) ? (x1 << 2) + x1 : {M_W{1'b0}};
    wire [M_W-1:0] m7 = (NA >= 4) ? (x1 << 3) - x1 : {M_W{1'b0}};
    assign multiples = {m7, m5, m3, m1};
endmodule
