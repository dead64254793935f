// Uniform INT-N MAC lane: signed W_W-bit weight times unsigned IN_W-bit activation, accumulated in a
// signed ACC_W-bit register. first=1 starts a neuron from its bias: acc_next = bias + w*x, else acc + w*x.
// The register updates when en is high; acc_next is the combinational next value (the result on the
// neuron's last step).
module mac_lane #(
    parameter integer IN_W  = 8,
    parameter integer W_W   = 8,
    parameter integer ACC_W = 24
) (
    input  wire             clk,
    input  wire             en,
    input  wire             first,
    input  wire [ACC_W-1:0] bias,
    input  wire [W_W-1:0]   code,
    input  wire [IN_W-1:0]  x,
    output wire [ACC_W-1:0] acc_next
);
    localparam integer PROD_W = W_W + IN_W + 1;
    reg  [ACC_W-1:0] acc_q;
    wire signed [PROD_W-1:0] prod = $signed({{(IN_W + 1){code[W_W-1]}}, code}) * $signed({{(W_W + 1){1'b0}}, x});
    wire [ACC_W-1:0] prod_ext = {{(ACC_W - PROD_W){prod[PROD_W-1]}}, prod};
    assign acc_next = (first ? bias : acc_q) + prod_ext;
    always @(posedge clk) begin
        if (en) acc_q <= acc_next;
    end
endmodule
