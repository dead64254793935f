// Number of ones in N bits (combinational): one neuron's popcount of its LUT outputs in the generated
// unrolled LUTNet. A module rather than a function in the generated file: Yosys' frontend inlines a
// function call by call, and the 766 calls of the 28x28 SFC (64-128 loop steps each) had not been
// elaborated after 14 min; as instances of this module the whole coarse synthesis takes 90 s.
module lutnet_popcount #(
    parameter integer N = 8,
    parameter integer W = $clog2(N + 1)
) (
    input  wire [N-1:0] bits,
    output reg  [W-1:0] count
);
    integer j;
    always @(*) begin
        count = {W{1'b0}};
        for (j = 0; j < N; j = j + 1) count = count + W'(bits[j]);
    end
endmodule
