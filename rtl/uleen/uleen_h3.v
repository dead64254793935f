// H3 hash unit (combinational): hash = XOR over j of (x[j] ? m[j] : 0).
// m holds the N parameters of one hash function, parameter j in bits [j*W, (j+1)*W).
module uleen_h3 #(
    parameter integer N = 16,  // inputs per filter
    parameter integer W = 6    // hash width, entries = 2^W
) (
    input  wire [N-1:0]   x,
    input  wire [N*W-1:0] m,
    output reg  [W-1:0]   hash
);
    integer j;
    always @(*) begin
        hash = {W{1'b0}};
        for (j = 0; j < N; j = j + 1) begin
            hash = hash ^ (m[j*W +: W] & {W{x[j]}});
        end
    end
endmodule
