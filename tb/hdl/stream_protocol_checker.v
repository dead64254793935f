`timescale 1ns / 1ps
// Valid/ready protocol checker for one stream interface (rtl/README.md), simulation only.
//
// The generated top (tb/harness.py) binds one to the core's input and output ports; with
// `+define+EDGEBENCH_PROTOCOL_CHECK` every RTL module that produces a stream instantiates one on its output, so
// every link inside a core is checked too (Icarus 11 has no `bind`, hence the define). Each clock edge checks the
// cycle that ends:
//   - in reset, from its second edge on: valid low (a registered valid has had one edge to clear);
//   - after reset: valid and ready are 0 or 1, never X or Z (only Icarus can see X; Verilator is two-state);
//   - data has no X or Z bit while valid is high (CHECK_DATA_X);
//   - a transfer offered and not taken (valid high, ready low) is offered again, unchanged, the next cycle.
// A violation prints one line starting with PREFIX, which tb/runner.py collects from the simulator log and the
// tests fail on; MAX_REPORTS lines per instance.
module stream_protocol_checker #(
    parameter integer WIDTH        = 1,
    parameter integer CHECK_DATA_X = 1,
    parameter integer MAX_REPORTS  = 4
) (
    input wire             clk,
    input wire             rst_n,
    input wire             valid,
    input wire             ready,
    input wire [WIDTH-1:0] data
);
    localparam PREFIX = "EDGEBENCH PROTOCOL";

    reg             in_reset;   // the previous edge saw reset
    reg             was_reset;  // some edge saw reset: before it every flop may be X, so nothing is checked
    reg             held;       // the previous cycle offered a transfer that was not taken
    reg [WIDTH-1:0] held_data;
    integer         cycle;      // edges since reset release
    integer         errors;

    initial begin
        in_reset = 1'b0;
        was_reset = 1'b0;
        held = 1'b0;
        held_data = {WIDTH{1'b0}};
        cycle = 0;
        errors = 0;
    end

    localparam integer N_RULES = 6;
    function automatic [8*56-1:0] rule(input integer index);
        case (index)
            0: rule = "valid is not low during reset";
            1: rule = "valid is X or Z";
            2: rule = "ready is X or Z";
            3: rule = "data has X or Z bits while valid";
            4: rule = "a transfer vanished: valid fell while ready was low";
            default: rule = "a transfer changed while valid was high and ready low";
        endcase
    endfunction

    reg [N_RULES-1:0] broken;
    integer r;
    always @(posedge clk) begin
        broken = {N_RULES{1'b0}};
        if (rst_n !== 1'b1) begin
            broken[0] = in_reset && valid !== 1'b0;
            in_reset <= 1'b1;
            was_reset <= 1'b1;
            held <= 1'b0;
            cycle <= 0;
        end else if (was_reset) begin
            in_reset <= 1'b0;
            broken[1] = valid !== 1'b0 && valid !== 1'b1;
            broken[2] = ready !== 1'b0 && ready !== 1'b1;
            broken[3] = CHECK_DATA_X != 0 && valid === 1'b1 && ^data === 1'bx;
            broken[4] = held && valid !== 1'b1;
            broken[5] = held && valid === 1'b1 && data !== held_data;
            held <= valid === 1'b1 && ready === 1'b0;
            held_data <= data;
            cycle <= cycle + 1;
        end
        for (r = 0; r < N_RULES; r = r + 1) begin
            if (broken[r]) begin
                errors = errors + 1;
                if (errors <= MAX_REPORTS)
                    $display("%0s %m: %0s cycle %0d (t=%0t): %0s", PREFIX, rst_n === 1'b1 ? "after reset," : "in reset,",
                             cycle, $time, rule(r));
                if (errors == MAX_REPORTS + 1) $display("%0s %m: further violations not shown", PREFIX);
            end
        end
    end
endmodule
