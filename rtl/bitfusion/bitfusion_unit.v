// Fusion Unit (Bit Fusion, Sharma et al., ISCA 2018): 16 BitBricks fused into K products per cycle, summed.
//
// At precision A_W x W_W (each 2, 4 or 8 bits) one product takes (A_W/2)*(W_W/2) bricks, so the unit forms
// K = 16 / ((A_W/2)*(W_W/2)) products per cycle: 16 at 2x2, 8 at 4x2 / 2x4, 4 at 4x4 / 8x2 / 2x8, 2 at 8x4 / 4x8,
// 1 at 8x8. Brick b = k*(NA*NW) + i*NW + j (NA = A_W/2, NW = W_W/2) multiplies slice i of activation k
// (bits [2i +: 2]) by slice j of weight k; a slice is a signed brick operand only if it is the top slice of a
// signed operand (A_SIGNED / W_SIGNED). Its 5-bit product, sign-extended, is shifted left by 2*(i+j), and
// dot = sum over all 16 shifted brick products = sum over k of a_k * w_k.
//
// The sum is a 4-level binary adder tree over the 16 terms in brick order (t -> s8 -> s4 -> s2 -> dot), so its
// lowest log2(NA*NW) levels are each product's own shift-add and the levels above add the K products. All terms and partial sums are OUT_W bits:
// additions wrap modulo 2^OUT_W, and since the final sum fits OUT_W bits signed (|dot| < K * 2^(A_W+W_W-1), one
// bit more when both operands are unsigned), any wrap of an intermediate value cancels out and dot is exact.
// Golden: golden.bitfusion.fusion_unit_dot.
module bitfusion_unit #(
    parameter integer A_W      = 8,
    parameter integer W_W      = 8,
    parameter integer A_SIGNED = 0,  // activations: 0 unsigned, 1 two's complement
    parameter integer W_SIGNED = 1,  // weights: 0 unsigned, 1 two's complement
    // derived, not to be overridden: products per cycle and output bits (golden.bitfusion.unit_out_width)
    parameter integer K        = 16 / ((A_W / 2) * (W_W / 2)),
    parameter integer OUT_W    = A_W + W_W + $clog2(K) + (((A_SIGNED == 0) && (W_SIGNED == 0)) ? 1 : 0)
) (
    input  wire [K*A_W-1:0] a,   // activation k at bits [k*A_W +: A_W]
    input  wire [K*W_W-1:0] w,   // weight k at bits [k*W_W +: W_W]
    output wire [OUT_W-1:0] dot  // two's complement sum of the K products
);
    localparam integer NA = A_W / 2;
    localparam integer NW = W_W / 2;
    localparam integer NB = 16;  // bricks

    // adder tree levels, one array each (one array for all levels would look circular to a simulator)
    wire [OUT_W-1:0] t  [0:NB-1];  // shifted brick products
    wire [OUT_W-1:0] s8 [0:7];
    wire [OUT_W-1:0] s4 [0:3];
    wire [OUT_W-1:0] s2 [0:1];

    genvar b, n;
    generate
        for (b = 0; b < NB; b = b + 1) begin : g_brick
            localparam integer PK = b / (NA * NW);  // product
            localparam integer SI = (b / NW) % NA;  // activation slice
            localparam integer SJ = b % NW;         // weight slice
            wire [4:0] p;
            bitfusion_brick u_brick (
                .a(a[PK*A_W + 2*SI +: 2]), .a_signed((A_SIGNED != 0) && (SI == NA - 1)),
                .w(w[PK*W_W + 2*SJ +: 2]), .w_signed((W_SIGNED != 0) && (SJ == NW - 1)),
                .p(p));
            assign t[b] = {{(OUT_W - 5){p[4]}}, p} << (2 * (SI + SJ));  // sign-extended, shifted
        end
        for (n = 0; n < 8; n = n + 1) begin : g_s8
            assign s8[n] = t[2*n] + t[2*n + 1];
        end
        for (n = 0; n < 4; n = n + 1) begin : g_s4
            assign s4[n] = s8[2*n] + s8[2*n + 1];
        end
        for (n = 0; n < 2; n = n + 1) begin : g_s2
            assign s2[n] = s4[2*n] + s4[2*n + 1];
        end
    endgenerate

    assign dot = s2[0] + s2[1];
endmodule
