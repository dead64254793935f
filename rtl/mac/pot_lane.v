// Power-of-two shift-accumulate lane (no multiplier).
// Weight code {sign, e[2:0]}: e = 0 is the zero code, else |w| = 2^(e-1); the product is x << (e-1),
// negated when sign is set, and added to a signed ACC_W-bit accumulator.
// first=1 starts a neuron from its bias; the register updates when en is high.
module pot_lane #(
    parameter integer IN_W  = 8,
    parameter integer ACC_W = 24
) (
    input  wire             clk,
    input  wire             en,
    input  wire             first,
    input  wire [ACC_W-1:0] bias,
    input  wire [3:0]       code,
    input  wire [IN_W-1:0]  x,
    output wire [ACC_W-1:0] acc_next
);
    localparam integer MAG_W = IN_W + 6;  // largest shift is 6
    reg  [ACC_W-1:0] acc_q;
    wire [2:0]       e   = code[2:0];
    wire [2:0]       sh  = e - 3'd1;
    wire [MAG_W-1:0] mag = (e == 3'd0) ? {MAG_W{1'b0}} : ({6'd0, x} << sh);
    wire [ACC_W-1:0] mag_ext = {{(ACC_W - MAG_W){1'b0}}, mag};
    wire [ACC_W-1:0] term = code[3] ? (~mag_ext + 1'b1) : mag_ext;
    assign acc_next = (first ? bias : acc_q) + term;
    always @(posedge clk) begin
        if (en) acc_q <= acc_next;
    end
endmodule
