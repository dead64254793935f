// BitBrick (Bit Fusion, Sharma et al., ISCA 2018): the 2-bit x 2-bit multiplier every product is built from.
//
// Each operand is a 2-bit slice of a wider operand. With its *_signed flag low it reads as unsigned (0..3: a lower
// slice, or any slice of an unsigned operand); with the flag high it is the top slice of a two's complement
// operand and reads as signed (-2..1). Extended by one bit (zero or sign), every operand is a 3-bit signed
// number {x_signed & x[1], x}, so the brick is a 3-bit x 3-bit signed multiplier. Its product lies in -6..9 and
// is exact in 5 bits: the operands are sign-extended to that width and multiplied there (one expression, as
// Icarus spends most of a fusion unit's time on per-net events). Golden: golden.bitfusion.brick.
module bitfusion_brick (
    input  wire [1:0] a,
    input  wire       a_signed,
    input  wire [1:0] w,
    input  wire       w_signed,
    output wire [4:0] p  // two's complement
);
    assign p = $signed({{3{a_signed & a[1]}}, a}) * $signed({{3{w_signed & w[1]}}, w});
endmodule
