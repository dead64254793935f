// Output stage shared by the cores: takes a vector of N_CLASSES scores (class c in bits
// [c*SCORE_W, (c+1)*SCORE_W), unsigned, or two's complement when SIGNED=1), registers argmax
// (ties -> lowest index) and the scores onto the output stream.
// One result per cycle when out_ready stays high.
module argmax_output #(
    parameter integer N_CLASSES = 10,
    parameter integer SCORE_W   = 8,
    parameter integer SIGNED    = 0,
    parameter integer CLASS_W   = (N_CLASSES > 1) ? $clog2(N_CLASSES) : 1
) (
    input  wire                           clk,
    input  wire                           rst_n,
    input  wire [N_CLASSES*SCORE_W-1:0]   in_scores,
    input  wire                           in_valid,
    output wire                           in_ready,
    output reg  [CLASS_W-1:0]             out_class,
    output reg  [N_CLASSES*SCORE_W-1:0]   out_scores,
    output reg                            out_valid,
    input  wire                           out_ready
);
    // Linear scan with a strict '>' so an equal later score never displaces an earlier one.
    // Signed scores compare as unsigned after flipping their sign bits (offset binary).
    localparam [SCORE_W-1:0] FLIP = (SIGNED != 0) ? {1'b1, {SCORE_W-1{1'b0}}} : {SCORE_W{1'b0}};
    reg [CLASS_W-1:0] best_idx;
    reg [SCORE_W-1:0] best_val;
    integer c;
    always @(*) begin
        best_idx = {CLASS_W{1'b0}};
        best_val = in_scores[SCORE_W-1:0] ^ FLIP;
        for (c = 1; c < N_CLASSES; c = c + 1) begin
            if ((in_scores[c*SCORE_W +: SCORE_W] ^ FLIP) > best_val) begin
                best_idx = CLASS_W'(c);
                best_val = in_scores[c*SCORE_W +: SCORE_W] ^ FLIP;
            end
        end
    end

    assign in_ready = !out_valid || out_ready;

    always @(posedge clk) begin
        if (!rst_n) begin
            out_valid  <= 1'b0;
            out_class  <= {CLASS_W{1'b0}};
            out_scores <= {N_CLASSES*SCORE_W{1'b0}};
        end else if (in_ready) begin
            out_valid <= in_valid;
            if (in_valid) begin
                out_class  <= best_idx;
                out_scores <= in_scores;
            end
        end
    end
`ifdef EDGEBENCH_PROTOCOL_CHECK  // simulation only: this module's output stream obeys valid/ready
    stream_protocol_checker #(.WIDTH(CLASS_W + N_CLASSES*SCORE_W)) out_protocol (
        clk, rst_n, out_valid, out_ready, {out_class, out_scores});
`endif
endmodule
