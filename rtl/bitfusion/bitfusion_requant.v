// Requantization of a hidden layer's accumulator to the next layer's activation width, shift only:
//   act = clamp((acc + (SHIFT > 0 ? 2^(SHIFT-1) : 0)) >>> SHIFT, 0, 2^OUT_W - 1)
// acc is signed ACC_W bits; the rounding add is done in ACC_W+1 bits so it cannot overflow. Negative results
// become 0 (ReLU), results above 2^OUT_W - 1 saturate. Golden: golden.quant.requant (as golden.bitfusion uses it).
module bitfusion_requant #(
    parameter integer ACC_W = 24,
    parameter integer SHIFT = 4,
    parameter integer OUT_W = 4
) (
    input  wire [ACC_W-1:0] acc,
    output wire [OUT_W-1:0] act
);
    localparam [ACC_W:0] RND = (SHIFT > 0) ? ((ACC_W + 1)'(1) << ((SHIFT > 0) ? SHIFT - 1 : 0)) : {(ACC_W + 1){1'b0}};
    localparam [ACC_W:0] AMAX = {{(ACC_W + 1 - OUT_W){1'b0}}, {OUT_W{1'b1}}};
    wire [ACC_W:0] rounded = {acc[ACC_W-1], acc} + RND;
    wire [ACC_W:0] shifted = $unsigned($signed(rounded) >>> SHIFT);
    assign act = shifted[ACC_W] ? {OUT_W{1'b0}} : ((shifted > AMAX) ? {OUT_W{1'b1}} : shifted[OUT_W-1:0]);
endmodule
