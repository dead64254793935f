// Per-class popcount of U filter outputs (combinational): in bit u*C + c is filter u's output for class c;
// count c (CW bits) in out bits [c*CW, (c+1)*CW).
module uleen_popcount #(
    parameter integer U  = 16,
    parameter integer C  = 10,
    parameter integer CW = $clog2(U + 1)
) (
    input  wire [U*C-1:0]  bits,
    output reg  [C*CW-1:0] counts
);
    integer c, u;
    reg [CW-1:0] acc;
    always @(*) begin
        counts = {C*CW{1'b0}};
        for (c = 0; c < C; c = c + 1) begin
            acc = {CW{1'b0}};
            for (u = 0; u < U; u = u + 1) begin
                acc = acc + CW'(bits[u*C + c]);
            end
            counts[c*CW +: CW] = acc;
        end
    end
endmodule
