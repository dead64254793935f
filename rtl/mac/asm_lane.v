// Alphabet-set-multiplier lane (no multiplier). Weight code {sign, q1[4:0], q0[4:0]} is an 8-bit
// sign-magnitude weight split into two quartets; quartet field {nz, sel[1:0], sh[1:0]} has the value
// nz ? (2*sel+1) << sh : 0. Each quartet selects one alphabet multiple from the shared pre-computer bank
// and shifts it; the quartet adder forms (t1 << 4) + t0 = |w| * x, negated when sign is set, and adds
// it to a signed ACC_W-bit accumulator. first=1 starts a neuron from its bias; register updates when en.
module asm_lane #(
    parameter integer IN_W  = 8,
    parameter integer ACC_W = 24,
    parameter integer M_W   = IN_W + 3,
    parameter integer BANK_W = M_W << 2  // four alphabet multiples
) (
    input  wire             clk,
    input  wire             en,
    input  wire             first,
    input  wire [ACC_W-1:0] bias,
    input  wire [10:0]      code,
    input  wire [BANK_W-1:0] multiples,
    output wire [ACC_W-1:0] acc_next
);
    localparam integer Q_W   = M_W + 3;   // a multiple shifted by up to 3
    localparam integer MAG_W = Q_W + 4;   // quartet adder: (t1 << 4) + t0

    function automatic [Q_W-1:0] quartet(input [4:0] f, input [BANK_W-1:0] m);
        reg [M_W-1:0] pick;
        begin
            case (f[3:2])
                2'd0: pick = m[0 +: M_W];
                2'd1: pick = m[M_W +: M_W];
                2'd2: pick = m[(M_W << 1) +: M_W];
                default: pick = m[(M_W << 1) + M_W +: M_W];
            endcase
            quartet = f[4] ? ({3'd0, pick} << f[1:0]) : {Q_W{1'b0}};
        end
    endfunction

    reg  [ACC_W-1:0] acc_q;
    wire [Q_W-1:0]   t0 = quartet(code[4:0], multiples);
    wire [Q_W-1:0]   t1 = quartet(code[9:5], multiples);
    wire [MAG_W-1:0] mag = {t1, 4'd0} + {4'd0, t0};
    wire [ACC_W-1:0] mag_ext = {{(ACC_W - MAG_W){1'b0}}, mag};
    wire [ACC_W-1:0] term = code[10] ? (~mag_ext + 1'b1) : mag_ext;
    assign acc_next = (first ? bias : acc_q) + term;
    always @(posedge clk) begin
        if (en) acc_q <= acc_next;
    end
endmodule
