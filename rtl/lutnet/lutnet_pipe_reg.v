// Pipeline register between the unrolled LUTNet's layers: one valid/ready stage, one transfer per cycle
// (in_ready = register empty or being emptied). No combinational path from in_valid to out_valid.
module lutnet_pipe_reg #(
    parameter integer WIDTH = 8
) (
    input  wire             clk,
    input  wire             rst_n,
    input  wire [WIDTH-1:0] in_data,
    input  wire             in_valid,
    output wire             in_ready,
    output reg  [WIDTH-1:0] out_data,
    output reg              out_valid,
    input  wire             out_ready
);
    assign in_ready = !out_valid || out_ready;

    always @(posedge clk) begin
        if (!rst_n) begin
            out_valid <= 1'b0;
            out_data  <= {WIDTH{1'b0}};
        end else if (in_ready) begin
            out_valid <= in_valid;
            if (in_valid) out_data <= in_data;
        end
    end
`ifdef EDGEBENCH_PROTOCOL_CHECK  // simulation only: this module's output stream obeys valid/ready
    stream_protocol_checker #(.WIDTH(WIDTH)) out_protocol (clk, rst_n, out_valid, out_ready, out_data);
`endif
endmodule
