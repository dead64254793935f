// A throwaway style (tests/test_new_style.py): class c's score is the number of ones in input bits
// [c*GROUP, (c+1)*GROUP). The datapath is one adder tree per class between the shared shell's two sides.
module groupcount_top #(
    parameter integer BUS_WIDTH = 16,
    parameter integer IN_BITS   = 64,
    parameter integer N_CLASSES = 10,
    parameter integer GROUP     = 6,
    parameter integer SCORE_W   = $clog2(GROUP + 1),
    parameter integer CLASS_W   = (N_CLASSES > 1) ? $clog2(N_CLASSES) : 1
) (
    input  wire                         clk,
    input  wire                         rst_n,
    input  wire [BUS_WIDTH-1:0]         in_data,
    input  wire                         in_valid,
    output wire                         in_ready,
    input  wire                         in_last,
    output wire [CLASS_W-1:0]           out_class,
    output wire [N_CLASSES*SCORE_W-1:0] out_scores,
    output wire                         out_valid,
    input  wire                         out_ready
);
    wire [IN_BITS-1:0]           vec;
    wire                         vec_valid, scores_ready;
    reg  [N_CLASSES*SCORE_W-1:0] scores;

    core_shell #(.BUS_WIDTH(BUS_WIDTH), .IN_BITS(IN_BITS), .N_CLASSES(N_CLASSES), .SCORE_W(SCORE_W),
                 .CLASS_W(CLASS_W)) u_shell (
        .clk(clk), .rst_n(rst_n), .in_data(in_data), .in_valid(in_valid), .in_ready(in_ready), .in_last(in_last),
        .out_class(out_class), .out_scores(out_scores), .out_valid(out_valid), .out_ready(out_ready),
        .vec_data(vec), .vec_valid(vec_valid), .vec_ready(scores_ready),
        .scores(scores), .scores_valid(vec_valid), .scores_ready(scores_ready)
    );

    integer c, b;
    always @(*) begin
        scores = {N_CLASSES*SCORE_W{1'b0}};
        for (c = 0; c < N_CLASSES; c = c + 1)
            for (b = 0; b < GROUP; b = b + 1)
                scores[c*SCORE_W +: SCORE_W] = scores[c*SCORE_W +: SCORE_W] + {{(SCORE_W-1){1'b0}}, vec[c*GROUP + b]};
    end
endmodule
