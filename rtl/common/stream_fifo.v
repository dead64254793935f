// Small register FIFO with valid/ready on both sides (fall-through output: out_data is valid with out_valid).
module stream_fifo #(
    parameter integer WIDTH = 8,
    parameter integer DEPTH = 2
) (
    input  wire             clk,
    input  wire             rst_n,
    input  wire [WIDTH-1:0] in_data,
    input  wire             in_valid,
    output wire             in_ready,
    output wire [WIDTH-1:0] out_data,
    output wire             out_valid,
    input  wire             out_ready
);
    localparam integer PTR_W = (DEPTH > 1) ? $clog2(DEPTH) : 1;
    localparam integer CNT_W = $clog2(DEPTH + 1);

    reg [WIDTH-1:0] mem_q [0:DEPTH-1];
    reg [PTR_W-1:0] wr_q, rd_q;
    reg [CNT_W-1:0] count_q;

    wire push = in_valid && in_ready;
    wire pop  = out_valid && out_ready;

    assign in_ready  = (count_q != CNT_W'(DEPTH));
    assign out_valid = (count_q != {CNT_W{1'b0}});
    assign out_data  = mem_q[rd_q];

    function automatic [PTR_W-1:0] next_ptr(input [PTR_W-1:0] p);
        next_ptr = (p == PTR_W'(DEPTH - 1)) ? {PTR_W{1'b0}} : p + 1'b1;
    endfunction

    // The storage has no reset (like any RAM), so its write enable is `push` itself.
    always @(posedge clk) begin
        if (push) mem_q[wr_q] <= in_data;
    end

    always @(posedge clk) begin
        if (!rst_n) begin
            wr_q    <= {PTR_W{1'b0}};
            rd_q    <= {PTR_W{1'b0}};
            count_q <= {CNT_W{1'b0}};
        end else begin
            if (push) wr_q <= next_ptr(wr_q);
            if (pop) rd_q <= next_ptr(rd_q);
            if (push && !pop) count_q <= count_q + 1'b1;
            else if (pop && !push) count_q <= count_q - 1'b1;
        end
    end
`ifdef EDGEBENCH_PROTOCOL_CHECK  // simulation only: this module's output stream obeys valid/ready
    stream_protocol_checker #(.WIDTH(WIDTH)) out_protocol (clk, rst_n, out_valid, out_ready, out_data);
`endif
endmodule
